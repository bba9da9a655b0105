package gs1

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDigitalLink_Testdata(t *testing.T) {
	p := Parser{Now: testNow}
	for _, v := range readVectors(t, "digitallink.txt") {
		t.Run(v.name, func(t *testing.T) {
			d, err := p.ParseDigitalLink(v.input)
			if v.wantErr != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || !errors.Is(err, v.wantErr) {
					t.Fatalf("ParseDigitalLink(%q) error = %v, want *ParseError wrapping %v", v.input, err, v.wantErr)
				}
				if pe.Pos != v.wantPos {
					t.Errorf("error %q: Pos = %d, want %d", err, pe.Pos, v.wantPos)
				}
				if len(d.Elements) != 0 {
					t.Errorf("failed parse returned elements %+v", d.Elements)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDigitalLink(%q): %v", v.input, err)
			}
			if d.Form != FormDigitalLink {
				t.Errorf("Form = %v", d.Form)
			}
			if got := d.HRI(); got != v.wantHRI {
				t.Errorf("HRI()\n got %s\nwant %s", got, v.wantHRI)
			}
			checkData(t, d)
			// Parse must agree with ParseDigitalLink.
			d2, err := p.Parse(v.input)
			if err != nil || !sameElements(d.Elements, d2.Elements) {
				t.Errorf("Parse disagrees: %+v, %v", d2.Elements, err)
			}
		})
	}
}

func TestParseDigitalLink_Messages(t *testing.T) {
	tests := []struct{ name, uri, want string }{
		{name: "order", uri: "https://example.com/01/09506000134352/21/X/10/Y",
			want: "gs1: AI (10): not allowed as a qualifier of (01) here; allowed after it: 22, 10, 21 or 235 (in that order) (position 44)"},
		{name: "no key", uri: "https://example.com/products/widget",
			want: "gs1: not a GS1 Digital Link URI: the path has no primary key such as /01/{GTIN} followed only by AI/value pairs (position 20)"},
		{name: "attribute", uri: "https://id.gs1.org/01/09521234543213?21=ABC",
			want: "gs1: AI (21): not allowed as a Digital Link data attribute (query parameter) (position 38)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDigitalLink(tt.uri)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func FuzzParseDigitalLink(f *testing.F) {
	for _, v := range readVectors(f, "digitallink.txt") {
		f.Add(v.input)
	}
	p := Parser{Now: testNow}
	f.Fuzz(func(t *testing.T, uri string) {
		d, err := p.ParseDigitalLink(uri)
		if err != nil {
			checkParseError(t, uri, err)
			return
		}
		checkData(t, d)
		if !strings.HasPrefix(strings.ToLower(uri), "http") {
			t.Fatalf("accepted %q, which is not an http(s) URI", uri)
		}
		// The same data as a bracketed element string reads back the same.
		d2, err := p.Parse(d.HRI())
		if err != nil || !sameElements(d.Elements, d2.Elements) {
			t.Fatalf("%q: HRI %q reads back as %+v, %v", uri, d.HRI(), d2.Elements, err)
		}
	})
}
