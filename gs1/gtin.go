package gs1

import (
	"fmt"
	"strings"
)

// GTINError reports why a GTIN, UPC-E, SSCC or GLN was refused. Its message
// names the offending position and characters, for example
//
//	gs1: GTIN "036000291453": bad check digit: got 3 want 2
//	gs1: GTIN "03600O291452": non-digit 'O' at position 6
//	gs1: GTIN "0360002914": wrong length 10 (want 8, 12, 13 or 14)
type GTINError struct {
	// Number names what was checked: "GTIN", "UPC-E", "SSCC", "GLN".
	Number string
	// Input is the text that was refused.
	Input string
	// Pos is the 1-based position of the offending character in Input
	// (the check digit's position for a bad check digit), or 0 when the
	// problem is not one character (empty, wrong length).
	Pos int
	// Reason is the human-readable explanation, without Number and Input.
	Reason string
	// Err is one of ErrEmpty, ErrNotDigit, ErrLength, ErrCheckDigit or
	// ErrNumberSystem.
	Err error
}

// Error implements the error interface.
func (e *GTINError) Error() string {
	return fmt.Sprintf("gs1: %s %s: %s", e.Number, quoteInput(e.Input), e.Reason)
}

// Unwrap returns the sentinel error, for errors.Is.
func (e *GTINError) Unwrap() error { return e.Err }

// quoteInput quotes s for an error message, shortening very long input so
// that a hostile scan cannot make log lines of unbounded size.
func quoteInput(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q… (%d bytes)", s[:max], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// CheckDigit returns the GS1 mod-10 check digit for the digits in body (all
// but the last digit of a GTIN, SSCC, GLN, GSIN...), as the ASCII character
// '0' to '9', so that body+string(c) is the complete number.
//
// From the rightmost digit of body leftward the digits are weighted 3, 1, 3,
// 1...; the check digit brings the weighted sum up to a multiple of ten.
// CheckDigit returns a *GTINError wrapping ErrEmpty or ErrNotDigit if body is
// empty or holds anything but ASCII digits.
func CheckDigit(body string) (byte, error) {
	if body == "" {
		return 0, &GTINError{Number: "check digit body", Input: body, Reason: "empty", Err: ErrEmpty}
	}
	if i := firstNonDigit(body); i >= 0 {
		return 0, nonDigitError("check digit body", body, i)
	}
	return checkDigit(body), nil
}

// checkDigit computes the check digit of an all-digit body.
func checkDigit(body string) byte {
	sum := 0
	weight := 3
	for i := len(body) - 1; i >= 0; i-- {
		sum += int(body[i]-'0') * weight
		weight = 4 - weight // 3, 1, 3, 1...
	}
	return byte('0' + (10-sum%10)%10)
}

// firstNonDigit returns the byte index of the first byte of s that is not an
// ASCII digit, or -1.
func firstNonDigit(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return i
		}
	}
	return -1
}

func nonDigitError(number, s string, i int) *GTINError {
	return &GTINError{
		Number: number, Input: s, Pos: i + 1,
		Reason: fmt.Sprintf("non-digit %s at position %d", quoteByte(s, i), i+1),
		Err:    ErrNotDigit,
	}
}

// quoteByte quotes the character that starts at byte i of s: the whole rune
// when it is valid UTF-8, else the byte in hex.
func quoteByte(s string, i int) string {
	if i >= len(s) {
		return "end of input"
	}
	r := []rune(s[i:min(len(s), i+4)])
	if len(r) > 0 && r[0] != '\uFFFD' {
		return fmt.Sprintf("%q", r[0])
	}
	return fmt.Sprintf("byte 0x%02X", s[i])
}

// checkNumber validates s as an all-digit number of one of the given lengths
// whose last digit is its mod-10 check digit. It returns nil or a *GTINError.
func checkNumber(number, s string, lengths []int, want string) *GTINError {
	if s == "" {
		return &GTINError{Number: number, Input: s, Reason: "empty", Err: ErrEmpty}
	}
	if i := firstNonDigit(s); i >= 0 {
		return nonDigitError(number, s, i)
	}
	ok := false
	for _, n := range lengths {
		ok = ok || len(s) == n
	}
	if !ok {
		return &GTINError{
			Number: number, Input: s,
			Reason: fmt.Sprintf("wrong length %d (want %s)", len(s), want),
			Err:    ErrLength,
		}
	}
	got, wantDigit := s[len(s)-1], checkDigit(s[:len(s)-1])
	if got != wantDigit {
		return &GTINError{
			Number: number, Input: s, Pos: len(s),
			Reason: fmt.Sprintf("bad check digit: got %c want %c", got, wantDigit),
			Err:    ErrCheckDigit,
		}
	}
	return nil
}

var gtinLengths = []int{8, 12, 13, 14}

// ValidGTIN reports whether s is a valid GTIN-8, UPC-A (GTIN-12), EAN-13
// (GTIN-13) or GTIN-14: ASCII digits only, one of those lengths, and a
// correct check digit. Use NormalizeGTIN to learn why a GTIN is refused.
func ValidGTIN(s string) bool {
	return checkNumber("GTIN", s, gtinLengths, "8, 12, 13 or 14") == nil
}

// NormalizeGTIN validates a GTIN-8, UPC-A (12 digits), EAN-13 or GTIN-14
// (ASCII digits only, correct check digit) and returns its 14-digit form,
// left-padded with zeros: UPC-A 036000291452, EAN-13 0036000291452 and
// GTIN-14 00036000291452 all return "00036000291452".
//
// Eight digits are always read as a GTIN-8 (EAN-8). A UPC-E code has eight
// digits too; pass it through ExpandUPCE first when the scanner says it is
// one (AIM identifier ]E0 with eight digits).
//
// The input is not trimmed. On error NormalizeGTIN returns "" and a
// *GTINError wrapping ErrEmpty, ErrNotDigit, ErrLength or ErrCheckDigit.
func NormalizeGTIN(s string) (string, error) {
	if err := checkNumber("GTIN", s, gtinLengths, "8, 12, 13 or 14"); err != nil {
		return "", err
	}
	return "00000000000000"[:14-len(s)] + s, nil
}

// ExpandUPCE expands an 8-digit UPC-E code (number system 0 or 1, six data
// digits d1 to d6, check digit) to its 12-digit UPC-A form. The last data
// digit d6 says where the zeros suppressed by UPC-E go:
//
//	d6 0, 1, 2: manufacturer d1 d2 d6 0 0, item 0 0 d3 d4 d5
//	d6 3:       manufacturer d1 d2 d3 0 0, item 0 0 0 d4 d5
//	d6 4:       manufacturer d1 d2 d3 d4 0, item 0 0 0 0 d5
//	d6 5 to 9:  manufacturer d1 d2 d3 d4 d5, item 0 0 0 0 d6
//
// The check digit is the UPC-A's, so ExpandUPCE checks it against the
// expansion: "04252614" returns "042100005264". Errors are *GTINError values
// with Number "UPC-E".
func ExpandUPCE(s string) (string, error) {
	if err := checkDigitsAndLength("UPC-E", s, 8); err != nil {
		return "", err
	}
	if s[0] != '0' && s[0] != '1' {
		return "", &GTINError{
			Number: "UPC-E", Input: s, Pos: 1,
			Reason: fmt.Sprintf("number system %c at position 1 (want 0 or 1)", s[0]),
			Err:    ErrNumberSystem,
		}
	}
	upca := upceBody(s[0], s[1:7]) + s[7:8]
	if err := checkNumber("UPC-E", upca, []int{12}, "12"); err != nil {
		err.Input, err.Pos = s, 8 // report against what was scanned
		return "", err
	}
	return upca, nil
}

// checkDigitsAndLength refuses empty, non-digit or wrong-length input
// without looking at a check digit.
func checkDigitsAndLength(number, s string, n int) *GTINError {
	if s == "" {
		return &GTINError{Number: number, Input: s, Reason: "empty", Err: ErrEmpty}
	}
	if i := firstNonDigit(s); i >= 0 {
		return nonDigitError(number, s, i)
	}
	if len(s) != n {
		return &GTINError{
			Number: number, Input: s,
			Reason: fmt.Sprintf("wrong length %d (want %d)", len(s), n),
			Err:    ErrLength,
		}
	}
	return nil
}

// ValidSSCC checks an SSCC-18 (AI 00): 18 ASCII digits, extension digit,
// GS1 Company Prefix, serial reference and a correct check digit. It returns
// nil or a *GTINError with Number "SSCC", for example
//
//	gs1: SSCC "106141411234567898": bad check digit: got 8 want 7
func ValidSSCC(s string) error {
	if err := checkNumber("SSCC", s, []int{18}, "18"); err != nil {
		return err
	}
	return nil
}

// GTINClass says what kind of number a GTIN is, from its GS1 prefix.
type GTINClass int

const (
	// GTINInvalid is the class of anything that is not a valid GTIN.
	GTINInvalid GTINClass = iota
	// GTINProduct is an ordinary GTIN for a trade item.
	GTINProduct
	// GTINRestricted is a restricted circulation number: prefix 02 or
	// 20-29 (as a GTIN-13; UPC-A number system 2), or a GTIN-8 starting
	// with 0 or 2. These are variable-measure items with a price or weight
	// inside the number, or in-store numbers; never a product key as they
	// stand (see ParseVariableMeasure).
	GTINRestricted
	// GTINInternal is prefix 04, numbers for a company's internal use.
	GTINInternal
	// GTINCoupon is prefix 05 or 981-984 and 99 (coupons), or 980 (refund
	// receipts).
	GTINCoupon
	// GTINBook is prefix 977 (ISSN, serials), 978 or 979 (ISBN, ISMN).
	GTINBook
)

// String names the class.
func (c GTINClass) String() string {
	switch c {
	case GTINProduct:
		return "product"
	case GTINRestricted:
		return "restricted circulation"
	case GTINInternal:
		return "company internal"
	case GTINCoupon:
		return "coupon"
	case GTINBook:
		return "book or serial"
	}
	return "invalid"
}

// ClassifyGTIN classifies a GTIN of any length by its GS1 prefix. It returns
// GTINInvalid when gtin is not a valid GTIN.
func ClassifyGTIN(gtin string) GTINClass {
	g, err := NormalizeGTIN(gtin)
	if err != nil {
		return GTINInvalid
	}
	if strings.HasPrefix(g, "000000") { // a GTIN-8, padded
		if g[6] == '0' || g[6] == '2' {
			return GTINRestricted
		}
		return GTINProduct
	}
	g13 := g[1:] // the prefix follows the GTIN-14 indicator digit
	switch {
	case g13[0] == '2' || strings.HasPrefix(g13, "02"):
		return GTINRestricted
	case strings.HasPrefix(g13, "04"):
		return GTINInternal
	case strings.HasPrefix(g13, "05"), strings.HasPrefix(g13, "98"), strings.HasPrefix(g13, "99"):
		return GTINCoupon
	case strings.HasPrefix(g13, "977"), strings.HasPrefix(g13, "978"), strings.HasPrefix(g13, "979"):
		return GTINBook
	}
	return GTINProduct
}
