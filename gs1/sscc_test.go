package gs1

import (
	"errors"
	"testing"
)

func TestBuildSSCC(t *testing.T) {
	tests := []struct {
		name   string
		ext    byte
		prefix string
		serial uint64
		want   string
	}{
		{"reference example", 1, "0614141", 123456789, "106141411234567897"},
		{"padded serial", 0, "0614141", 1, "006141410000000012"},
		{"zero serial", 0, "0614141", 0, "006141410000000005"},
		{"shortest prefix, largest serial", 9, "1234", 999999999999, "912349999999999995"},
		{"longest prefix", 3, "123456789012", 9999, "312345678901299997"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BuildSSCC(tt.ext, tt.prefix, tt.serial)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("BuildSSCC = %s, want %s", got, tt.want)
			}
			if err := ValidSSCC(got); err != nil {
				t.Fatalf("built SSCC refused: %v", err)
			}
		})
	}
}

func TestBuildSSCC_Errors(t *testing.T) {
	tests := []struct {
		name   string
		ext    byte
		prefix string
		serial uint64
		want   error
	}{
		{"extension not a digit", 10, "0614141", 1, ErrValue},
		{"extension as a character", '1', "0614141", 1, ErrValue},
		{"empty prefix", 0, "", 1, ErrEmpty},
		{"letter in prefix", 0, "06141A1", 1, ErrNotDigit},
		{"prefix too short", 0, "123", 1, ErrLength},
		{"prefix too long", 0, "1234567890123", 1, ErrLength},
		{"serial does not fit", 0, "0614141", 1_000_000_000, ErrLength},
		{"serial does not fit a long prefix", 0, "123456789012", 10000, ErrLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BuildSSCC(tt.ext, tt.prefix, tt.serial)
			if !errors.Is(err, tt.want) {
				t.Fatalf("BuildSSCC = %q, %v; want %v", got, err, tt.want)
			}
			var ge *GTINError
			if !errors.As(err, &ge) {
				t.Fatalf("error %T is not a *GTINError", err)
			}
		})
	}
}

func TestSSCCSerialCapacity(t *testing.T) {
	for n, want := range map[int]uint64{3: 0, 4: 1_000_000_000_000, 7: 1_000_000_000, 12: 10_000, 13: 0} {
		if got := SSCCSerialCapacity(n); got != want {
			t.Errorf("SSCCSerialCapacity(%d) = %d, want %d", n, got, want)
		}
		if want == 0 {
			continue
		}
		prefix := "123456789012"[:n]
		if _, err := BuildSSCC(0, prefix, want-1); err != nil {
			t.Errorf("last serial of a %d-digit prefix: %v", n, err)
		}
		if _, err := BuildSSCC(0, prefix, want); !errors.Is(err, ErrLength) {
			t.Errorf("first serial past a %d-digit prefix: %v", n, err)
		}
	}
}
