package carrier

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/pickwave/pickwave"
)

// S10MaxSerial is the largest serial an S10 number holds (eight digits).
const S10MaxSerial = 99_999_999

// s10Weights weight the eight serial digits, left to right.
var s10Weights = [8]int{8, 6, 4, 2, 3, 5, 9, 7}

// S10CheckDigit returns the UPU S10 check digit of an 8-digit serial:
// 11 minus the weighted sum (weights 8 6 4 2 3 5 9 7) modulo 11, where 10
// becomes 0 and 11 becomes 5. For 12345678 the sum is 204, 204 mod 11 is
// 6, and the check digit is 5.
func S10CheckDigit(serial uint64) (byte, error) {
	if serial > S10MaxSerial {
		return 0, pickwave.Errorf(pickwave.EINVALID, "S10 serial %d has more than 8 digits.", serial)
	}
	return s10Check(fmt.Sprintf("%08d", serial)), nil
}

// s10Check computes the check digit of eight ASCII digits.
func s10Check(digits string) byte {
	sum := 0
	for i, w := range s10Weights {
		sum += int(digits[i]-'0') * w
	}
	switch c := 11 - sum%11; c {
	case 10:
		return '0'
	case 11:
		return '5'
	default:
		return byte('0' + c)
	}
}

// S10 builds a UPU S10 identifier: the two-letter service indicator, the
// serial in eight digits, its check digit and the two-letter country
// code, for example S10("RR", 12345678, "GB") is "RR123456785GB". It
// returns EINVALID for a serial above S10MaxSerial or a service or
// country that is not two capital letters A-Z.
func S10(service string, serial uint64, country string) (string, error) {
	if !twoLetters(service) {
		return "", pickwave.Errorf(pickwave.EINVALID, "S10 service indicator %q is not two capital letters.", service)
	}
	if !twoLetters(country) {
		return "", pickwave.Errorf(pickwave.EINVALID, "S10 country %q is not two capital letters.", country)
	}
	if serial > S10MaxSerial {
		return "", pickwave.Errorf(pickwave.EINVALID, "S10 serial %d has more than 8 digits: the series is used up.", serial)
	}
	digits := fmt.Sprintf("%08d", serial)
	return service + digits + string(s10Check(digits)) + country, nil
}

// ValidS10 checks a UPU S10 identifier: 13 characters, two capital
// letters, eight digits, the check digit, two capital letters. It returns
// nil or an EINVALID *pickwave.Error saying what is wrong. The letters
// are not checked against the UPU's lists of service indicators and
// member countries.
func ValidS10(s string) error {
	if len(s) != 13 {
		return pickwave.Errorf(pickwave.EINVALID, "S10 number %s has %d characters, not 13.", quote(s), len(s))
	}
	if !twoLetters(s[:2]) {
		return pickwave.Errorf(pickwave.EINVALID, "S10 number %s does not start with two capital letters.", quote(s))
	}
	for i := 2; i < 11; i++ {
		if s[i] < '0' || s[i] > '9' {
			return pickwave.Errorf(pickwave.EINVALID, "S10 number %s has a non-digit at position %d.", quote(s), i+1)
		}
	}
	if !twoLetters(s[11:]) {
		return pickwave.Errorf(pickwave.EINVALID, "S10 number %s does not end with a two-letter country code.", quote(s))
	}
	if want := s10Check(s[2:10]); s[10] != want {
		return pickwave.Errorf(pickwave.EINVALID, "S10 number %s has check digit %c, want %c.", quote(s), s[10], want)
	}
	return nil
}

// S10Serial returns the serial of a valid S10 number.
func S10Serial(s string) (uint64, error) {
	if err := ValidS10(s); err != nil {
		return 0, err
	}
	return strconv.ParseUint(s[2:10], 10, 64)
}

func twoLetters(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// quote quotes s for a message, cut short so that hostile input cannot
// make messages of unbounded size.
func quote(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return strconv.Quote(s)
}

// TrackingURL fills the {tracking} placeholder of template with the
// tracking number, escaped for a URL path.
func TrackingURL(template, trackingNumber string) string {
	return strings.ReplaceAll(template, "{tracking}", url.PathEscape(trackingNumber))
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
