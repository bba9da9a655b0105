package pickwave

import (
	"strings"
	"testing"
)

func TestParseLocale(t *testing.T) {
	for in, want := range map[string]string{"": "", "es": "es", "ES": "es", "es-mx": "es-MX", "en-US": "en-US", "es-419": "es-419", "pt_BR": "pt-BR"} {
		if got, err := ParseLocale(in); err != nil || got != want {
			t.Errorf("ParseLocale(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"e", "español", "12", "es-", "x-private", "und", strings.Repeat("a", 36), "es-MX\x00"} {
		if got, err := ParseLocale(in); ErrorCode(err) != EINVALID {
			t.Errorf("ParseLocale(%q) = %q, %v; want EINVALID", in, got, err)
		}
	}
}

// FuzzParseLocale: any input is either refused with EINVALID or comes out
// in the documented form, stable when parsed again.
func FuzzParseLocale(f *testing.F) {
	for _, s := range []string{"", "es", "es-mx", "zh-Hant-TW", "en-US-u-nu-arab", "x-a", "de-DE-1996"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseLocale(s)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("ParseLocale(%q): %v", s, err)
			}
			return
		}
		if s != "" && (len(got) > MaxLocaleLen || !localeForm.MatchString(got)) {
			t.Fatalf("ParseLocale(%q) = %q, not in the documented form", s, got)
		}
		if again, err := ParseLocale(got); err != nil || again != got {
			t.Fatalf("ParseLocale(%q) = %q, again %q, %v", s, got, again, err)
		}
	})
}
