package gs1

import (
	"fmt"
	"strings"
)

// scanSpace is the whitespace a scanner puts around a read: a configured
// prefix or suffix of space, TAB, CR, LF or CRLF. None of it can be data:
// GS1 character sets have no whitespace, and a label's text does not start
// or end with it.
const scanSpace = " \t\r\n"

// TrimScan removes the spaces, TABs, CRs and LFs a scanner adds before or
// after a read. GS (FNC1) is data and stays.
func TrimScan(s string) string { return strings.Trim(s, scanSpace) }

// LooksGS1 reports whether a scan that could not be read was meant as
// GS1 data, so that its failure is a broken barcode (a bad check digit, a
// garbled element string) rather than a label of some other kind: all
// digits, an AIM identifier of a symbology that carries GS1 data (]C1, ]d2,
// ]Q3, ]e0, ]J1, the EAN/UPC family, an ITF-14), an AI in parentheses, a
// GS, or an http or https URI (a Digital Link). The scan is trimmed first.
func LooksGS1(s string) bool {
	s = TrimScan(s)
	if s == "" {
		return false
	}
	if firstNonDigit(s) < 0 || strings.IndexByte(s, GS) >= 0 {
		return true
	}
	if s[0] == ']' && len(s) >= 3 {
		_, kind := lookupSymbology(s[:3])
		body := s[3:]
		switch kind {
		case kindGS1, kindEAN, kindEAN8, kindEANAddOn:
			return true
		case kindITF:
			return len(body) == 14 && firstNonDigit(body) < 0
		}
		s = body
	}
	if len(s) >= 2 && s[0] == '(' && s[1] >= '0' && s[1] <= '9' {
		return true
	}
	return isURI(s)
}

// MaxBarcodeLen bounds an internal (non-GTIN) barcode.
const MaxBarcodeLen = 48

// NormalizeBarcode returns the canonical form of a barcode that identifies
// a product: the key to store it under and look it up by. The code is
// trimmed (TrimScan). All digits of 8, 12, 13 or 14 is a GTIN: its check
// digit must be right, and it becomes a GTIN-14, so that the UPC-A, EAN-13
// and GTIN-14 forms of one number are one key. Eight digits are a GTIN-8
// here, never a UPC-E: give a UPC-E product its GTIN-12 (ExpandUPCE).
// Anything else is an internal barcode (a Code 128 label and the like):
// printable ASCII up to MaxBarcodeLen characters, kept as it is; digits of
// other lengths are refused, since they are a GTIN scanned wrong more
// often than an internal code.
//
// Errors are *GTINError values with Number "GTIN" or "barcode".
func NormalizeBarcode(code string) (string, error) {
	code = TrimScan(code)
	bad := func(err error, pos int, format string, args ...any) (string, error) {
		return "", &GTINError{Number: "barcode", Input: code, Pos: pos, Reason: fmt.Sprintf(format, args...), Err: err}
	}
	if code == "" {
		return bad(ErrEmpty, 0, "is empty")
	}
	if firstNonDigit(code) < 0 {
		switch len(code) {
		case 8, 12, 13, 14:
			return NormalizeGTIN(code)
		}
		return bad(ErrLength, 0, "has %d digits: a numeric barcode must be a GTIN of 8, 12, 13 or 14 digits", len(code))
	}
	if len(code) > MaxBarcodeLen {
		return bad(ErrLength, 0, "is longer than %d characters", MaxBarcodeLen)
	}
	for i := 0; i < len(code); i++ {
		if code[i] <= ' ' || code[i] >= 0x7f {
			return bad(ErrCharset, i+1, "has a character that is not printable ASCII at position %d", i+1)
		}
	}
	return code, nil
}
