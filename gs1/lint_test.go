package gs1

import (
	"errors"
	"testing"
	"time"
)

func TestLinters(t *testing.T) {
	tests := []struct {
		name    string
		linter  string
		value   string
		wantErr error // nil: passes
		wantOff int
	}{
		{name: "csum ok", linter: "csum", value: "09506000134352"},
		{name: "csum bad", linter: "csum", value: "09506000134353", wantErr: ErrCheckDigit, wantOff: 13},
		// Check character pairs from GS1's Barcode Syntax Tests.
		{name: "csumalpha ok", linter: "csumalpha", value: "1987654Ad4X4bL5ttr2310c2K"},
		{name: "csumalpha ok 2", linter: "csumalpha", value: "12345_ABCDEFGHIJKLMCP"},
		{name: "csumalpha ok symbols", linter: "csumalpha", value: "12345_!\"%&'()*+,-./LC"},
		{name: "csumalpha shortest", linter: "csumalpha", value: "22"},
		{name: "csumalpha bad", linter: "csumalpha", value: "1987654Ad4X4bL5ttr2310cXK", wantErr: ErrCheckDigit, wantOff: 23},
		{name: "csumalpha too short", linter: "csumalpha", value: "2", wantErr: ErrLength},
		{name: "gcppos1 ok", linter: "gcppos1", value: "9521234A"},
		{name: "gcppos1 letter", linter: "gcppos1", value: "952A234", wantErr: ErrValue, wantOff: 3},
		{name: "gcppos1 short", linter: "gcppos1", value: "952", wantErr: ErrValue},
		{name: "gcppos2 skips indicator", linter: "gcppos2", value: "X9521"},
		{name: "date ok", linter: "yymmdd", value: "261231"},
		{name: "date day 00 refused", linter: "yymmdd", value: "261200", wantErr: ErrDate, wantOff: 4},
		{name: "date day 00 allowed", linter: "yymmd0", value: "261200"},
		{name: "date month 00", linter: "yymmd0", value: "260010", wantErr: ErrDate, wantOff: 2},
		{name: "date month 13", linter: "yymmd0", value: "261310", wantErr: ErrDate, wantOff: 2},
		{name: "date 31 April", linter: "yymmd0", value: "260431", wantErr: ErrDate, wantOff: 4},
		{name: "date leap 2028", linter: "yymmdd", value: "280229"},
		{name: "date not leap 2027", linter: "yymmdd", value: "270229", wantErr: ErrDate, wantOff: 4},
		{name: "date 2000 leap", linter: "yymmdd", value: "000229"},
		{name: "yyyymmdd", linter: "yyyymmdd", value: "19991231"},
		{name: "yyyymmdd 1900 not leap", linter: "yyyymmdd", value: "19000229", wantErr: ErrDate, wantOff: 6},
		{name: "hhmi ok", linter: "hhmi", value: "2359"},
		{name: "hhmi hour 24", linter: "hhmi", value: "2400", wantErr: ErrDate},
		{name: "hhmi minute 60", linter: "hhmi", value: "1260", wantErr: ErrDate, wantOff: 2},
		{name: "ss 59", linter: "ss", value: "59"},
		{name: "ss 60", linter: "ss", value: "60", wantErr: ErrDate},
		{name: "alpha2 ok", linter: "iso3166alpha2", value: "DE"},
		{name: "alpha2 lower", linter: "iso3166alpha2", value: "de", wantErr: ErrValue},
		{name: "pcenc ok", linter: "pcenc", value: "Anna%20Nowak"},
		{name: "pcenc bad", linter: "pcenc", value: "50%", wantErr: ErrValue, wantOff: 2},
		{name: "pcenc bad hex", linter: "pcenc", value: "%2G", wantErr: ErrValue},
		{name: "yesno", linter: "yesno", value: "1"},
		{name: "yesno 2", linter: "yesno", value: "2", wantErr: ErrValue},
		{name: "winding 9", linter: "winding", value: "9"},
		{name: "winding 2", linter: "winding", value: "2", wantErr: ErrValue},
		{name: "iso5218", linter: "iso5218", value: "9"},
		{name: "hyphen", linter: "hyphen", value: "-"},
		{name: "zero", linter: "zero", value: "0"},
		{name: "zero 1", linter: "zero", value: "1", wantErr: ErrValue},
		{name: "nonzero", linter: "nonzero", value: "0010"},
		{name: "nonzero all zeros", linter: "nonzero", value: "0000", wantErr: ErrValue},
		{name: "nozeroprefix", linter: "nozeroprefix", value: "10"},
		{name: "nozeroprefix 0", linter: "nozeroprefix", value: "01", wantErr: ErrValue},
		{name: "hasnondigit", linter: "hasnondigit", value: "12A"},
		{name: "hasnondigit digits", linter: "hasnondigit", value: "123", wantErr: ErrValue},
		{name: "latitude max", linter: "latitude", value: "1800000000"},
		{name: "latitude over", linter: "latitude", value: "1800000001", wantErr: ErrValue},
		{name: "longitude max", linter: "longitude", value: "3600000000"},
		{name: "longitude over", linter: "longitude", value: "3600000001", wantErr: ErrValue},
		{name: "mediatype 10", linter: "mediatype", value: "10"},
		{name: "mediatype 80", linter: "mediatype", value: "80"},
		{name: "mediatype 11", linter: "mediatype", value: "11", wantErr: ErrValue},
		{name: "mediatype 00", linter: "mediatype", value: "00", wantErr: ErrValue},
		{name: "pieceoftotal", linter: "pieceoftotal", value: "0203"},
		{name: "pieceoftotal equal", linter: "pieceoftotal", value: "0303"},
		{name: "pieceoftotal zero piece", linter: "pieceoftotal", value: "0003", wantErr: ErrValue},
		{name: "pieceoftotal zero total", linter: "pieceoftotal", value: "0100", wantErr: ErrValue, wantOff: 2},
		{name: "pieceoftotal above", linter: "pieceoftotal", value: "0908", wantErr: ErrValue},
		{name: "pieceoftotal odd", linter: "pieceoftotal", value: "111", wantErr: ErrValue},
		{name: "posinseqslash", linter: "posinseqslash", value: "9/10"},
		{name: "posinseqslash after end", linter: "posinseqslash", value: "10/9", wantErr: ErrValue},
		{name: "posinseqslash zero prefix", linter: "posinseqslash", value: "1/02", wantErr: ErrValue, wantOff: 2},
		{name: "posinseqslash malformed", linter: "posinseqslash", value: "1//2", wantErr: ErrValue},
		{name: "importeridx", linter: "importeridx", value: "_"},
		{name: "importeridx bad", linter: "importeridx", value: "!", wantErr: ErrValue},
		{name: "iban ok", linter: "iban", value: "GB82WEST12345698765432"},
		{name: "iban bad check", linter: "iban", value: "GB83WEST12345698765432", wantErr: ErrCheckDigit, wantOff: 2},
		{name: "iban lower", linter: "iban", value: "GB82west12345698765432", wantErr: ErrValue, wantOff: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lint, ok := linters[tt.linter]
			if !ok || lint == nil {
				t.Fatalf("no linter %q", tt.linter)
			}
			e := lint(tt.value, 2026)
			switch {
			case tt.wantErr == nil && e != nil:
				t.Errorf("%s(%q) failed: %s", tt.linter, tt.value, e.reason)
			case tt.wantErr != nil && e == nil:
				t.Errorf("%s(%q) passed, want %v", tt.linter, tt.value, tt.wantErr)
			case e != nil && (!errors.Is(e.err, tt.wantErr) || e.off != tt.wantOff || e.reason == ""):
				t.Errorf("%s(%q) = %v at %d (%s), want %v at %d", tt.linter, tt.value, e.err, e.off, e.reason, tt.wantErr, tt.wantOff)
			}
		})
	}
}

func TestFullYear(t *testing.T) {
	tests := []struct {
		name        string
		yy, refYear int
		want        int
	}{
		{name: "no reference", yy: 80, refYear: 0, want: 2080},
		{name: "same year", yy: 26, refYear: 2026, want: 2026},
		{name: "50 ahead", yy: 76, refYear: 2026, want: 2076},
		{name: "51 ahead is last century", yy: 77, refYear: 2026, want: 1977},
		{name: "49 behind", yy: 77, refYear: 2026, want: 1977},
		{name: "late in a century", yy: 5, refYear: 2090, want: 2105},
		{name: "50 behind is next century", yy: 40, refYear: 2090, want: 2140},
		{name: "49 behind stays", yy: 41, refYear: 2090, want: 2041},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fullYear(tt.yy, tt.refYear); got != tt.want {
				t.Errorf("fullYear(%d, %d) = %d, want %d", tt.yy, tt.refYear, got, tt.want)
			}
		})
	}
}

func TestParseDate_DayZero(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"261200", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"260200", time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)},
		{"280200", time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"260400", time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDate(tt.in, 2026, true)
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("parseDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestDecimal_String(t *testing.T) {
	tests := []struct {
		d    Decimal
		want string
		f    float64
	}{
		{Decimal{1250, 3}, "1.250", 1.25},
		{Decimal{5, 3}, "0.005", 0.005},
		{Decimal{0, 2}, "0.00", 0},
		{Decimal{123, 0}, "123", 123},
		{Decimal{100, 2}, "1.00", 1},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.d.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := tt.d.Float64(); got != tt.f {
				t.Errorf("Float64() = %v, want %v", got, tt.f)
			}
		})
	}
	if got := (Amount{Currency: "978", Value: Decimal{1250, 2}}).String(); got != "978 12.50" {
		t.Errorf("Amount.String() = %q", got)
	}
}
