package gs1

import (
	"fmt"
	"strconv"
	"strings"
)

// Lengths of the parts of an SSCC-18: the extension digit, the GS1 Company
// Prefix and the serial reference share 17 digits, the check digit is the
// 18th.
const (
	MinCompanyPrefix = 4
	MaxCompanyPrefix = 12
	ssccBody         = 17
)

// BuildSSCC returns the SSCC-18 made of the extension digit (0-9, the
// number, not the character), the GS1 Company Prefix (4 to 12 digits) and
// the serial reference, which is left-padded with zeros to fill the 16
// digits the prefix leaves, followed by the mod-10 check digit.
//
// It returns a *GTINError with Number "SSCC" wrapping ErrValue for an
// extension above 9, ErrNotDigit or ErrLength for a malformed prefix, and
// ErrLength when the serial reference does not fit: with a 9-digit prefix
// the serial reference has 7 digits, so 10,000,000 is refused. A
// durable counter that reaches that point has used every number of the
// prefix, and a new prefix (or extension digit) is needed.
func BuildSSCC(extension byte, companyPrefix string, serial uint64) (string, error) {
	if extension > 9 {
		return "", &GTINError{
			Number: "SSCC", Input: strconv.Itoa(int(extension)),
			Reason: fmt.Sprintf("extension digit %d is not 0-9", extension), Err: ErrValue,
		}
	}
	if companyPrefix == "" {
		return "", &GTINError{Number: "SSCC company prefix", Input: companyPrefix, Reason: "empty", Err: ErrEmpty}
	}
	if i := firstNonDigit(companyPrefix); i >= 0 {
		return "", nonDigitError("SSCC company prefix", companyPrefix, i)
	}
	if n := len(companyPrefix); n < MinCompanyPrefix || n > MaxCompanyPrefix {
		return "", &GTINError{
			Number: "SSCC company prefix", Input: companyPrefix,
			Reason: fmt.Sprintf("wrong length %d (want %d to %d)", n, MinCompanyPrefix, MaxCompanyPrefix),
			Err:    ErrLength,
		}
	}
	width := ssccBody - 1 - len(companyPrefix)
	ref := strconv.FormatUint(serial, 10)
	if len(ref) > width {
		return "", &GTINError{
			Number: "SSCC serial reference", Input: ref,
			Reason: fmt.Sprintf("does not fit the %d digits company prefix %s leaves", width, companyPrefix),
			Err:    ErrLength,
		}
	}
	body := string('0'+extension) + companyPrefix + strings.Repeat("0", width-len(ref)) + ref
	return body + string(checkDigit(body)), nil
}

// SSCCSerialCapacity is how many serial references a company prefix of
// the given length allows under one extension digit (10^(16-length)), or
// 0 for a length outside 4 to 12.
func SSCCSerialCapacity(prefixLen int) uint64 {
	if prefixLen < MinCompanyPrefix || prefixLen > MaxCompanyPrefix {
		return 0
	}
	n := uint64(1)
	for range ssccBody - 1 - prefixLen {
		n *= 10
	}
	return n
}
