package gs1

import (
	"errors"
	"testing"
)

// Worked examples of the GS1 General Specifications' price/weight verifier
// digit: four digits 2875 give 9, five digits 14685 give 6.
func TestPriceVerifier(t *testing.T) {
	tests := []struct {
		value string
		want  byte
	}{
		{"2875", '9'},
		{"14685", '6'},
		{"0000", '0'},
		{"00000", '0'},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			if got := priceVerifier(tt.value); got != tt.want {
				t.Errorf("priceVerifier(%q) = %c, want %c", tt.value, got, tt.want)
			}
		})
	}
}

// A verifier digit must catch every single-digit error in its field.
func TestPriceVerifier_CatchesSingleDigitErrors(t *testing.T) {
	for _, v := range []string{"2875", "14685", "0000", "99999"} {
		want := priceVerifier(v)
		for i := range len(v) {
			for d := byte('0'); d <= '9'; d++ {
				if d == v[i] {
					continue
				}
				b := []byte(v)
				b[i] = d
				if priceVerifier(string(b)) == want {
					t.Errorf("changing %q to %q keeps verifier %c", v, b, want)
				}
			}
		}
	}
}

func TestParseVariableMeasure(t *testing.T) {
	tests := []struct {
		name    string
		gtin    string
		layouts []RCNLayout
		want    VariableMeasure
		wantErr error
	}{
		{name: "price 5", gtin: "2112345012346", layouts: []RCNLayout{RCNPrice5},
			want: VariableMeasure{GTIN: "02112345012346", ItemGTIN: "02112345000008", Item: "12345",
				Kind: MeasurePrice, Value: Decimal{Units: 1234, Places: 2}, Layout: RCNPrice5.Name}},
		{name: "weight 5", gtin: "2112345012346", layouts: []RCNLayout{RCNWeight5},
			want: VariableMeasure{GTIN: "02112345012346", ItemGTIN: "02112345000008", Item: "12345",
				Kind: MeasureWeight, Value: Decimal{Units: 1234, Places: 3}, Unit: "kg", Layout: RCNWeight5.Name}},
		{name: "price 5 verified", gtin: "2123456146851", layouts: []RCNLayout{RCNPrice5Verified},
			want: VariableMeasure{GTIN: "02123456146851", ItemGTIN: "02123450000005", Item: "12345",
				Kind: MeasurePrice, Value: Decimal{Units: 14685, Places: 2}, Layout: RCNPrice5Verified.Name}},
		{name: "bad verifier", gtin: "2123457146850", layouts: []RCNLayout{RCNPrice5Verified}, wantErr: ErrCheckDigit},
		{name: "UPC price", gtin: "212345928752", layouts: []RCNLayout{RCNUPCPrice},
			want: VariableMeasure{GTIN: "00212345928752", ItemGTIN: "00212345000007", Item: "12345",
				Kind: MeasurePrice, Value: Decimal{Units: 2875, Places: 2}, Unit: "USD", Layout: RCNUPCPrice.Name}},
		{name: "first matching layout wins", gtin: "212345928752", layouts: []RCNLayout{RCNPrice5, RCNUPCPrice},
			want: VariableMeasure{GTIN: "00212345928752", ItemGTIN: "00212345000007", Item: "12345",
				Kind: MeasurePrice, Value: Decimal{Units: 2875, Places: 2}, Unit: "USD", Layout: RCNUPCPrice.Name}},
		{name: "no layout for prefix", gtin: "212345928752", layouts: []RCNLayout{RCNPrice5}, wantErr: ErrNotRCN},
		{name: "not restricted", gtin: "4006381333931", layouts: []RCNLayout{RCNPrice5}, wantErr: ErrNotRCN},
		{name: "GTIN-8", gtin: "20000004", layouts: []RCNLayout{RCNPrice5}, wantErr: ErrNotRCN},
		{name: "bad check digit", gtin: "2112345012347", layouts: []RCNLayout{RCNPrice5}, wantErr: ErrCheckDigit},
		{name: "no layouts", gtin: "2112345012346", wantErr: ErrNotRCN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVariableMeasure(tt.gtin, tt.layouts...)
			if tt.wantErr != nil {
				var pe *ParseError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &pe) {
					t.Fatalf("ParseVariableMeasure(%q) = %+v, %v; want *ParseError wrapping %v", tt.gtin, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseVariableMeasure(%q) =\n %+v, %v\nwant\n %+v", tt.gtin, got, err, tt.want)
			}
			if !ValidGTIN(got.ItemGTIN) || ClassifyGTIN(got.ItemGTIN) != GTINRestricted {
				t.Errorf("ItemGTIN %q is not a valid restricted number", got.ItemGTIN)
			}
		})
	}
}

func TestParseVariableMeasure_BadLayout(t *testing.T) {
	bad := []RCNLayout{
		{Name: "value over check digit", Prefixes: []string{"2"}, Item: Field{3, 5}, Value: Field{9, 5}},
		{Name: "verifier with 3 digits", Prefixes: []string{"2"}, Item: Field{3, 5}, Value: Field{10, 3}, Verifier: 9},
		{Name: "zero field", Prefixes: []string{"2"}, Value: Field{8, 5}},
	}
	for _, l := range bad {
		t.Run(l.Name, func(t *testing.T) {
			_, err := ParseVariableMeasure("2112345012346", l)
			var pe *ParseError
			if err == nil || errors.As(err, &pe) {
				t.Errorf("error = %v, want a plain layout error", err)
			}
		})
	}
}

func FuzzParseVariableMeasure(f *testing.F) {
	for _, v := range readGTINVectors(f) {
		f.Add(v.input)
	}
	for _, s := range []string{"2112345012346", "2123456146851", "212345928752", "2123457146850", "2x"} {
		f.Add(s)
	}
	layouts := []RCNLayout{RCNUPCPrice, RCNPrice5Verified}
	f.Fuzz(func(t *testing.T, s string) {
		vm, err := ParseVariableMeasure(s, layouts...)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseVariableMeasure(%q) error %v is %T", s, err, err)
			}
			return
		}
		if ClassifyGTIN(vm.GTIN) != GTINRestricted || !ValidGTIN(vm.ItemGTIN) || vm.Value.Units < 0 {
			t.Fatalf("ParseVariableMeasure(%q) = %+v", s, vm)
		}
	})
}
