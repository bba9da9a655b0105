package gs1

import (
	"errors"
	"testing"
)

func TestTrimScan(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"CRLF suffix", "4006381333931\r\n", "4006381333931"},
		{"TAB suffix", "A01-01-1\t", "A01-01-1"},
		{"space prefix", " TOTE-0001", "TOTE-0001"},
		{"GS stays", "\x1d0109506000134352\x1d", "\x1d0109506000134352\x1d"},
		{"inner space stays", "A B", "A B"},
		{"only whitespace", " \r\n\t", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TrimScan(tt.in); got != tt.want {
				t.Errorf("TrimScan(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLooksGS1(t *testing.T) {
	tests := []struct {
		name, in string
		want     bool
	}{
		{"digits", "4006381333932", true},
		{"digits with suffix", " 12345\r\n", true},
		{"GS1-128", "]C1ABC", true},
		{"UPC-E", "]E00654321", true},
		{"EAN with add-on", "]E3123", true},
		{"ITF-14", "]I110614141000415", true},
		{"ITF of another length", "]I0123456", false},
		{"plain Code 128", "]C0TOTE-1", false},
		{"Digital Link in plain QR", "]Q1https://id.gs1.org/01/1", true},
		{"bracketed", "(17)2611", true},
		{"GS inside", "AB\x1dC", true},
		{"Digital Link", "https://example.com/x", true},
		{"tote label", "TOTE-0001", false},
		{"location label", "A01-01-1", false},
		{"parenthesis, no AI", "(A)", false},
		{"empty", " ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LooksGS1(tt.in); got != tt.want {
				t.Errorf("LooksGS1(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeBarcode(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            error
	}{
		{name: "UPC-A", in: "036000291452", want: "00036000291452"},
		{name: "EAN-8", in: "96385074", want: "00000096385074"},
		{name: "trimmed", in: "\t036000291452\r\n", want: "00036000291452"},
		{name: "internal code", in: "BIN-LABEL-7", want: "BIN-LABEL-7"},
		{name: "bad check digit", in: "036000291453", err: ErrCheckDigit},
		{name: "UPC-E is not a key", in: "06543217", err: ErrCheckDigit},
		{name: "odd digit count", in: "12345", err: ErrLength},
		{name: "empty", in: " ", err: ErrEmpty},
		{name: "control character", in: "AB\x1dC", err: ErrCharset},
		{name: "too long", in: "X123456789012345678901234567890123456789012345678", err: ErrLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeBarcode(tt.in)
			var ge *GTINError
			switch {
			case tt.err != nil && (!errors.Is(err, tt.err) || !errors.As(err, &ge)):
				t.Fatalf("NormalizeBarcode(%q) = %q, %v; want a *GTINError wrapping %v", tt.in, got, err, tt.err)
			case tt.err == nil && (err != nil || got != tt.want):
				t.Fatalf("NormalizeBarcode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzNormalizeBarcode(f *testing.F) {
	for _, s := range []string{"036000291452", "0036000291452", "10036000291459", "96385074", "ABC-1", "", "\x00", "99999999999999", " 036000291452\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := NormalizeBarcode(s)
		if err != nil {
			return
		}
		// A key is stable: normalising it again gives itself.
		again, err := NormalizeBarcode(key)
		if err != nil || again != key {
			t.Fatalf("NormalizeBarcode(%q) = %q, then %q, %v", s, key, again, err)
		}
		if len(key) == 0 || len(key) > MaxBarcodeLen {
			t.Fatalf("key %q has length %d", key, len(key))
		}
	})
}
