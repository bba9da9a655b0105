package carrier

import (
	"testing"

	"github.com/pickwave/pickwave"
)

func TestS10CheckDigit(t *testing.T) {
	tests := []struct {
		name   string
		serial uint64
		want   byte
	}{
		{"reference example: sum 204, 204 mod 11 = 6", 12345678, '5'},
		{"11 becomes 5: sum 0", 0, '5'},
		{"10 becomes 0: sum 56, 56 mod 11 = 1", 8, '0'},
		{"plain: sum 7", 1, '4'},
		{"plain: sum 200, 200 mod 11 = 2", 47312482, '9'},
		{"11 becomes 5: largest serial, sum 396", S10MaxSerial, '5'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := S10CheckDigit(tt.serial)
			if err != nil || got != tt.want {
				t.Fatalf("S10CheckDigit(%d) = %c, %v; want %c", tt.serial, got, err, tt.want)
			}
		})
	}
	if _, err := S10CheckDigit(S10MaxSerial + 1); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("nine-digit serial: %v", err)
	}
}

func TestS10(t *testing.T) {
	tests := []struct {
		name             string
		service          string
		serial           uint64
		country, want    string
		wantCode, reason string
	}{
		{name: "reference example", service: "RR", serial: 12345678, country: "GB", want: "RR123456785GB"},
		{name: "padded", service: "LA", serial: 8, country: "DE", want: "LA000000080DE"},
		{name: "zero", service: "CP", serial: 0, country: "FR", want: "CP000000005FR"},
		{name: "series used up", service: "RR", serial: 100_000_000, country: "GB", wantCode: pickwave.EINVALID},
		{name: "lower-case service", service: "rr", serial: 1, country: "GB", wantCode: pickwave.EINVALID},
		{name: "three-letter country", service: "RR", serial: 1, country: "GBR", wantCode: pickwave.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := S10(tt.service, tt.serial, tt.country)
			if code := pickwave.ErrorCode(err); code != tt.wantCode || got != tt.want {
				t.Fatalf("S10 = %q, %v; want %q, code %q", got, err, tt.want, tt.wantCode)
			}
			if tt.want != "" {
				if err := ValidS10(got); err != nil {
					t.Fatalf("built number refused: %v", err)
				}
			}
		})
	}
}

func TestValidS10(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"reference example", "RR123456785GB", true},
		{"check digit 0", "LA000000080DE", true},
		{"check digit 5 from 11", "CP000000005FR", true},
		{"wrong check digit", "RR123456784GB", false},
		{"check digit 10 written as is", "LA0000000810DE", false},
		{"too short", "RR12345678GB", false},
		{"empty", "", false},
		{"lower-case service", "rr123456785GB", false},
		{"digit in service", "R1123456785GB", false},
		{"letter in serial", "RR12345A785GB", false},
		{"lower-case country", "RR123456785gb", false},
		{"non-ASCII", "RR123456785G\xc3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidS10(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidS10(%q) = %v, want ok %v", tt.in, err, tt.ok)
			}
			if err != nil && pickwave.ErrorCode(err) != pickwave.EINVALID {
				t.Fatalf("code %q, want invalid", pickwave.ErrorCode(err))
			}
		})
	}
}

func TestS10Serial(t *testing.T) {
	n, err := S10Serial("RR123456785GB")
	if err != nil || n != 12345678 {
		t.Fatalf("S10Serial = %d, %v", n, err)
	}
}

func TestTrackingURL(t *testing.T) {
	if got := TrackingURL(DefaultTrackingURL, "RR123456785GB"); got != "https://track.example/RR123456785GB" {
		t.Fatal(got)
	}
	if got := TrackingURL("https://t.example/?n={tracking}", "a/b c"); got != "https://t.example/?n=a%2Fb%20c" {
		t.Fatal(got)
	}
}

// FuzzValidS10 checks that ValidS10 never panics, accepts only 13-byte
// numbers whose check digit recomputes, and agrees with S10 on them.
func FuzzValidS10(f *testing.F) {
	for _, s := range []string{"RR123456785GB", "LA000000080DE", "CP000000005FR", "RR123456784GB", "", "RR12345678GB", "rr123456785gb", "ÄÄ123456785GB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidS10(s)
		if err != nil {
			if pickwave.ErrorCode(err) != pickwave.EINVALID {
				t.Fatalf("ValidS10(%q): code %q", s, pickwave.ErrorCode(err))
			}
			return
		}
		n, err := S10Serial(s)
		if err != nil {
			t.Fatalf("S10Serial(%q) of a valid number: %v", s, err)
		}
		again, err := S10(s[:2], n, s[11:])
		if err != nil || again != s {
			t.Fatalf("S10 rebuilds %q as %q, %v", s, again, err)
		}
	})
}
