package gs1

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error this package returns wraps exactly one of
// them, so a caller can branch with errors.Is (all of them are the client's
// fault: an HTTP layer maps them to 400 or 422) and still show the full
// message, which says where and what.
var (
	// ErrEmpty is returned when there is nothing to read.
	ErrEmpty = errors.New("empty")
	// ErrNotDigit is returned when a numeric field holds a character other
	// than 0-9.
	ErrNotDigit = errors.New("non-digit")
	// ErrLength is returned when a number, a value or the whole input has a
	// length its format does not allow (too short, too long, truncated).
	ErrLength = errors.New("wrong length")
	// ErrCheckDigit is returned when a mod-10 check digit, an alphanumeric
	// check character pair, an IBAN check or a price verifier digit does not
	// match.
	ErrCheckDigit = errors.New("bad check digit")
	// ErrNumberSystem is returned for a UPC-E whose number system digit is
	// not 0 or 1.
	ErrNumberSystem = errors.New("bad number system")
	// ErrUnknownAI is returned for an Application Identifier that is not in
	// GS1's syntax dictionary.
	ErrUnknownAI = errors.New("unknown AI")
	// ErrCharset is returned when a value holds a character outside its
	// component's character set (CSET 82, CSET 39, CSET 64 or digits).
	ErrCharset = errors.New("invalid character")
	// ErrDate is returned for an impossible date or time (month 13, 31
	// April, hour 24...).
	ErrDate = errors.New("invalid date")
	// ErrValue is returned when a value is well formed but breaks one of
	// the dictionary's content rules (a piece number above the total, a
	// latitude out of range, a zero where none is allowed...).
	ErrValue = errors.New("invalid value")
	// ErrDuplicateAI is returned when one scan carries the same AI twice
	// with different values.
	ErrDuplicateAI = errors.New("duplicate AI")
	// ErrSyntax is returned when the structure of the input is wrong: an
	// unclosed parenthesis, a Digital Link URI without a primary key or with
	// qualifiers in the wrong order, a malformed AIM identifier.
	ErrSyntax = errors.New("syntax error")
	// ErrNotGS1 is returned when the scanner's AIM symbology identifier says
	// the symbol does not carry GS1 data (plain Code 128, Code 39...) and the
	// text is not a Digital Link URI either. The Data returned with it still
	// names the symbology, so the caller can treat the text otherwise.
	ErrNotGS1 = errors.New("not GS1 data")
	// ErrNotRCN is returned by ParseVariableMeasure for a GTIN that is not a
	// restricted circulation number, or that no given layout covers.
	ErrNotRCN = errors.New("not a variable-measure number")
)

// ParseError says exactly what is wrong with a scan: where, in which
// element, and why. Its message reads, for example,
//
//	gs1: AI (01): bad check digit: got 3 want 2 (position 17)
//	gs1: unknown AI (04) (position 1)
//	gs1: AI (10): value too long: 23 characters, at most 20 (position 19)
//
// The HTTP layer can show Error() as is, or use the fields to highlight the
// offending character.
type ParseError struct {
	// Pos is the 1-based byte position in the input where the problem
	// starts (for a Digital Link URI, the start of the offending path
	// segment or query parameter), or 0 when it is not one place.
	Pos int
	// AI is the Application Identifier of the element that is wrong, or ""
	// when the problem is not in one element.
	AI string
	// Reason says what is wrong, in words, without the AI and position.
	Reason string
	// Err is the sentinel error (ErrCheckDigit, ErrUnknownAI...) or a
	// *GTINError that wraps one.
	Err error
}

// Error implements the error interface.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("gs1: ")
	if e.AI != "" {
		fmt.Fprintf(&b, "AI (%s): ", e.AI)
	}
	b.WriteString(e.Reason)
	if e.Pos > 0 {
		fmt.Fprintf(&b, " (position %d)", e.Pos)
	}
	return b.String()
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *ParseError) Unwrap() error { return e.Err }

// errorf builds a *ParseError.
func errorf(sentinel error, pos int, ai, format string, args ...any) *ParseError {
	return &ParseError{Pos: pos, AI: ai, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}

// Warning reports something questionable that does not stop a scan from
// being used, chiefly a broken pairing rule: GS1's req= and ex= rules apply
// to all the barcodes on one item together, so one scan that lacks a
// required partner AI may still be fine.
type Warning struct {
	// AI is the Application Identifier the warning is about.
	AI string
	// Reason says what is questionable.
	Reason string
}

// String formats the warning like an error message.
func (w Warning) String() string {
	return fmt.Sprintf("AI (%s): %s", w.AI, w.Reason)
}
