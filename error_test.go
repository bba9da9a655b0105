package pickwave

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFieldErrors_bounded(t *testing.T) {
	var fe FieldErrors
	for range 250 {
		fe.Add(strings.Repeat("f", 500), "is %s", strings.Repeat("é", 400))
	}
	e := fe.Err("bad").(*Error)
	details := e.Details.([]FieldError)
	if len(details) != MaxFieldErrors+1 || details[MaxFieldErrors].Reason != "and 150 more" {
		t.Fatalf("%d details, last %+v", len(details), details[len(details)-1])
	}
	for _, d := range details[:MaxFieldErrors] {
		if len(d.Field) > MaxEcho || len(d.Reason) > MaxEcho || !utf8.ValidString(d.Reason) || !strings.HasSuffix(d.Reason, "…") {
			t.Fatalf("detail %q %q", d.Field, d.Reason)
		}
	}
	if got := Clip("short"); got != "short" {
		t.Fatalf("Clip changed a short string: %q", got)
	}
}

func TestCodeProblem(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"TOTE-0001", true}, {"A01-02-3", true}, {"Kühlbox-7", true}, {"^XZ", true},
		{"", false}, {"TOTE 1", false}, {"TOTE\x001", false}, {"A/B", false},
		{"TOTE\u200b1", false}, {"\xff\xfe", false}, {"TOTE\u00a01", false}, {strings.Repeat("X", 65), false},
	} {
		if got := CodeProblem(tc.in) == ""; got != tc.ok {
			t.Errorf("CodeProblem(%q) = %q, want fit=%v", tc.in, CodeProblem(tc.in), tc.ok)
		}
	}
}

// BoundedErrors keeps MaxFieldErrors errors in full, clipped, and only
// counts the rest.
func TestBoundedErrors(t *testing.T) {
	var b BoundedErrors
	if !b.Empty() || b.Err("x") != nil {
		t.Fatal("a new BoundedErrors is not empty")
	}
	long := strings.Repeat("x", 1<<20)
	for i := range MaxFieldErrors + 5000 {
		b.Add(FieldError{Line: i + 1, Field: "name", Reason: long})
	}
	if len(b.Listed()) != MaxFieldErrors {
		t.Fatalf("%d kept in full", len(b.Listed()))
	}
	details := b.Err("Bad file.").(*Error).Details.([]FieldError)
	if len(details) != MaxFieldErrors+1 || details[len(details)-1].Reason != "and 5000 more" || len(details[0].Reason) > MaxEcho {
		t.Fatalf("%d details, last %+v, first reason %d bytes", len(details), details[len(details)-1], len(details[0].Reason))
	}
}
