package gs1

import (
	"fmt"
	"strconv"
	"strings"
)

// MeasureKind says what the value field of a variable-measure number holds.
type MeasureKind int

const (
	// MeasurePrice is a price to pay, in the local currency.
	MeasurePrice MeasureKind = iota + 1
	// MeasureWeight is a net weight, usually in kilograms.
	MeasureWeight
	// MeasureCount is a count of pieces.
	MeasureCount
)

// String names the kind.
func (k MeasureKind) String() string {
	switch k {
	case MeasurePrice:
		return "price"
	case MeasureWeight:
		return "weight"
	case MeasureCount:
		return "count"
	}
	return fmt.Sprintf("MeasureKind(%d)", int(k))
}

// Field is a run of digits in the 13-digit form of a restricted circulation
// number, by 1-based position: Field{Start: 8, Len: 5} is digits 8 to 12.
type Field struct {
	Start int // 1-based position of the first digit
	Len   int // number of digits
}

func (f Field) of(s string) string { return s[f.Start-1 : f.Start-1+f.Len] }

// RCNLayout says where a restricted circulation number carries its item
// reference and its price or weight. GS1 leaves the layout to each GS1
// Member Organisation (country) and often to the retailer, so a site
// configures the layouts it meets; the package's predefined layouts are the
// common ones and a starting point, to be checked against the national
// rules.
//
// Positions count the digits of the 13-digit form: an EAN-13 as it is, a
// UPC-A with a leading 0 (so UPC number system 2 is prefix "02").
type RCNLayout struct {
	// Name identifies the layout in results and errors.
	Name string
	// Prefixes lists the leading digits this layout applies to, e.g.
	// {"2"} for 20-29, {"28", "29"}, or {"02"} for UPC-A number system 2.
	Prefixes []string
	// Item is where the item reference is.
	Item Field
	// Value is where the price, weight or count is.
	Value Field
	// Verifier is the 1-based position of the price/weight verifier digit
	// computed from a 4- or 5-digit Value (GS1 General Specifications,
	// check digit calculation for price/weight fields), or 0 for none.
	Verifier int
	// Places is the number of implied decimal places in Value.
	Places int
	// Kind says what Value holds.
	Kind MeasureKind
	// Unit names Value's unit for people, e.g. "kg" or "EUR"; optional.
	Unit string
}

// Predefined layouts. Each is common in some markets; none is universal.
var (
	// RCNPrice5 is "2F IIIII PPPPP C": prefix 20-29, five-digit item
	// reference, price in cents (two decimals), check digit.
	RCNPrice5 = RCNLayout{Name: "2F IIIII PPPPP C price", Prefixes: []string{"2"},
		Item: Field{3, 5}, Value: Field{8, 5}, Places: 2, Kind: MeasurePrice}
	// RCNWeight5 is "2F IIIII WWWWW C": prefix 20-29, five-digit item
	// reference, weight in grams (kg with three decimals), check digit.
	RCNWeight5 = RCNLayout{Name: "2F IIIII WWWWW C weight", Prefixes: []string{"2"},
		Item: Field{3, 5}, Value: Field{8, 5}, Places: 3, Kind: MeasureWeight, Unit: "kg"}
	// RCNPrice5Verified is "2 IIIII V PPPPP C": prefix 2, five-digit item
	// reference (digits 2-6), price verifier digit, five-digit price in
	// cents, check digit.
	RCNPrice5Verified = RCNLayout{Name: "2 IIIII V PPPPP C price", Prefixes: []string{"2"},
		Item: Field{2, 5}, Verifier: 7, Value: Field{8, 5}, Places: 2, Kind: MeasurePrice}
	// RCNUPCPrice is the US UPC-A layout "2 IIIII V PPPP C": number system
	// 2, five-digit item reference, price verifier digit, four-digit price
	// in cents, check digit.
	RCNUPCPrice = RCNLayout{Name: "UPC-A 2 IIIII V PPPP C price", Prefixes: []string{"02"},
		Item: Field{3, 5}, Verifier: 8, Value: Field{9, 4}, Places: 2, Kind: MeasurePrice, Unit: "USD"}
)

// VariableMeasure is a restricted circulation number read with a layout.
type VariableMeasure struct {
	// GTIN is the number as scanned, in 14 digits.
	GTIN string
	// ItemGTIN is GTIN with the value and verifier digits set to zero and
	// the check digit recomputed: the same for every pack of the item, so
	// it is the key to look the item up by.
	ItemGTIN string
	// Item is the item reference digits.
	Item string
	// Kind says what Value holds.
	Kind MeasureKind
	// Value is the price, weight or count, with the layout's decimal places.
	Value Decimal
	// Unit is the layout's unit name, e.g. "kg"; may be empty.
	Unit string
	// Layout is the Name of the layout that matched.
	Layout string
}

// ParseVariableMeasure reads a restricted circulation GTIN (prefix 02 or
// 20-29 as a GTIN-13, in 12, 13 or 14 digits) with the first layout whose
// prefix matches. Pass the layouts a site uses, most specific prefix first.
//
// Errors are *ParseError values: the GTIN's own errors, ErrNotRCN when the
// number is not a restricted circulation number or no layout covers it,
// ErrCheckDigit when the price/weight verifier digit does not match. A
// broken layout (fields out of range) is reported as a plain error.
func ParseVariableMeasure(gtin string, layouts ...RCNLayout) (VariableMeasure, error) {
	var vm VariableMeasure
	g, err := NormalizeGTIN(gtin)
	if err != nil {
		return vm, gtinParseError(err, 0)
	}
	if len(gtin) == 8 || g[0] != '0' || ClassifyGTIN(g) != GTINRestricted {
		return vm, errorf(ErrNotRCN, 0, "", "%s is not a restricted circulation number (want prefix 02 or 20-29)", gtin)
	}
	g13 := g[1:]
	for _, l := range layouts {
		if !hasAnyPrefix(g13, l.Prefixes) {
			continue
		}
		if err := l.check(); err != nil {
			return vm, err
		}
		value := l.Value.of(g13)
		if l.Verifier > 0 {
			got, want := g13[l.Verifier-1], priceVerifier(value)
			if got != want {
				return vm, errorf(ErrCheckDigit, l.Verifier+len(gtin)-13, "",
					"%s: price/weight verifier digit: got %c want %c", l.Name, got, want)
			}
		}
		units, _ := strconv.ParseInt(value, 10, 64) // digits only, at most 12
		item := []byte(g13)
		for i := l.Value.Start - 1; i < l.Value.Start-1+l.Value.Len; i++ {
			item[i] = '0'
		}
		if l.Verifier > 0 {
			item[l.Verifier-1] = '0'
		}
		item[12] = checkDigit(string(item[:12]))
		return VariableMeasure{
			GTIN: g, ItemGTIN: "0" + string(item), Item: l.Item.of(g13),
			Kind: l.Kind, Value: Decimal{Units: units, Places: l.Places}, Unit: l.Unit,
			Layout: l.Name,
		}, nil
	}
	return vm, errorf(ErrNotRCN, 0, "", "no variable-measure layout covers prefix %s of %s", g13[:2], gtin)
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if p != "" && strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// check reports a layout whose fields fall outside digits 1 to 12.
func (l RCNLayout) check() error {
	in := func(f Field) bool { return f.Start >= 1 && f.Len >= 1 && f.Start+f.Len-1 <= 12 }
	switch {
	case !in(l.Item) || !in(l.Value):
		return fmt.Errorf("gs1: RCN layout %q: item and value must lie within digits 1 to 12", l.Name)
	case l.Verifier != 0 && (l.Verifier < 1 || l.Verifier > 12 || l.Value.Len != 4 && l.Value.Len != 5):
		return fmt.Errorf("gs1: RCN layout %q: a verifier digit needs a position within 1 to 12 and a 4- or 5-digit value", l.Name)
	case l.Places < 0 || l.Places > 12:
		return fmt.Errorf("gs1: RCN layout %q: %d decimal places", l.Name, l.Places)
	}
	return nil
}

// Weighting functions of the GS1 price/weight verifier digit: the product
// of a digit and the weight, reduced to one digit by adding ("+") or
// subtracting ("-") its tens digit.
func weight2minus(d int) int { p := 2 * d; return (p - p/10) % 10 }
func weight3(d int) int      { return 3 * d % 10 }
func weight5plus(d int) int  { p := 5 * d; return (p + p/10) % 10 }
func weight5minus(d int) int { p := 5 * d; return (p - p/10) % 10 }

// priceVerifier computes the verifier digit of a 4- or 5-digit price or
// weight field. Four digits: weights 2-, 2-, 3, 5-; the verifier is the
// units digit of three times the sum. Five digits: weights 5+, 2-, 5-, 5+,
// 2-; the verifier is the digit whose 5- product equals the sum's ten's
// complement.
func priceVerifier(v string) byte {
	d := func(i int) int { return int(v[i] - '0') }
	if len(v) == 4 {
		sum := weight2minus(d(0)) + weight2minus(d(1)) + weight3(d(2)) + weight5minus(d(3))
		return byte('0' + sum*3%10)
	}
	sum := weight5plus(d(0)) + weight2minus(d(1)) + weight5minus(d(2)) + weight5plus(d(3)) + weight2minus(d(4))
	target := (10 - sum%10) % 10
	for c := 0; c <= 9; c++ {
		if weight5minus(c) == target {
			return byte('0' + c)
		}
	}
	return '?' // unreachable: 5- is a permutation of 0-9
}
