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
