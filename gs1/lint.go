package gs1

import (
	"fmt"
	"strings"
	"time"
)

// This file implements the dictionary's component checks ("linters"), named
// as in GS1's reference implementation of the Barcode Syntax Tests. Each
// takes one component's text, which already has the right length and
// character set, and the reference year for two-digit years.

// lintError is a failed check: the 0-based offset in the component of the
// first offending character, the sentinel and a reason.
type lintError struct {
	off    int
	err    error
	reason string
}

func lintErr(off int, err error, format string, args ...any) *lintError {
	return &lintError{off: off, err: err, reason: fmt.Sprintf(format, args...)}
}

type linter func(v string, refYear int) *lintError

// linters maps each linter named in the dictionary to its check. A nil
// entry is a linter this package knows of but does not check, because it
// needs a code list that GS1 maintains outside the dictionary; see the
// package documentation.
var linters = map[string]linter{
	"csum":          lintCsum,
	"csumalpha":     lintCsumAlpha,
	"gcppos1":       func(v string, _ int) *lintError { return lintGCP(v, 0) },
	"gcppos2":       func(v string, _ int) *lintError { return lintGCP(v, 1) },
	"yymmdd":        func(v string, y int) *lintError { _, e := parseDate(v, y, false); return e },
	"yymmd0":        func(v string, y int) *lintError { _, e := parseDate(v, y, true); return e },
	"yyyymmdd":      func(v string, y int) *lintError { _, e := parseDate(v, y, false); return e },
	"yyyymmd0":      func(v string, y int) *lintError { _, e := parseDate(v, y, true); return e },
	"hhmi":          func(v string, _ int) *lintError { return lintClock(v, []int{24, 60}, "hour", "minute") },
	"hh":            func(v string, _ int) *lintError { return lintClock(v, []int{24}, "hour") },
	"mi":            func(v string, _ int) *lintError { return lintClock(v, []int{60}, "minute") },
	"ss":            func(v string, _ int) *lintError { return lintClock(v, []int{60}, "second") },
	"iso3166":       lintNumeric3,
	"iso3166999":    lintNumeric3,
	"iso4217":       lintNumeric3,
	"iso3166alpha2": lintAlpha2,
	"pcenc":         lintPercentEncoding,
	"yesno":         oneOf("0", "1"),
	"zero":          oneOf("0"),
	"winding":       oneOf("0", "1", "9"),
	"iso5218":       oneOf("0", "1", "2", "9"),
	"hyphen":        oneOf("-"),
	"nonzero":       lintNonZero,
	"nozeroprefix":  lintNoZeroPrefix,
	"hasnondigit":   lintHasNonDigit,
	"latitude":      maxNumber(1800000000, "latitude"),
	"longitude":     maxNumber(3600000000, "longitude"),
	"mediatype":     lintMediaType,
	"pieceoftotal":  lintPieceOfTotal,
	"posinseqslash": lintPosInSeqSlash,
	"importeridx":   lintImporterIndex,
	"iban":          lintIBAN,
	// Known but not checked: they need external code lists or a coupon
	// parser (see the package documentation's caveats).
	"packagetype":    nil,
	"couponcode":     nil,
	"couponposoffer": nil,
}

func lintCsum(v string, _ int) *lintError {
	if firstNonDigit(v) >= 0 || len(v) < 2 {
		return lintErr(0, ErrNotDigit, "not a number with a check digit")
	}
	got, want := v[len(v)-1], checkDigit(v[:len(v)-1])
	if got != want {
		return lintErr(len(v)-1, ErrCheckDigit, "bad check digit: got %c want %c", got, want)
	}
	return nil
}

// cset82 lists GS1's CSET 82 in the order that gives each character its
// value for the alphanumeric check character pair.
const cset82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"

// cset32 is the alphabet of the check character pair.
const cset32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// lintCsumAlpha checks the GS1 check character pair that ends a GMN (AI
// 8013) or MUDI (8014): each data character's CSET 82 value is weighted by
// the primes 2, 3, 5... from the right, the sum is taken mod 1021, and its
// two 5-bit halves index CSET 32.
func lintCsumAlpha(v string, _ int) *lintError {
	if len(v) < 2 {
		return lintErr(0, ErrLength, "too short for a check character pair")
	}
	data := v[:len(v)-2]
	if len(data) > 97 {
		return lintErr(0, ErrLength, "too long for a check character pair")
	}
	sum := 0
	p := primes(len(data))
	for i := 0; i < len(data); i++ {
		w := strings.IndexByte(cset82, data[i])
		if w < 0 {
			return lintErr(i, ErrCharset, "character %q is not allowed", data[i])
		}
		sum += w * p[len(data)-1-i]
	}
	sum %= 1021
	want := string([]byte{cset32[sum>>5], cset32[sum&31]})
	if got := v[len(v)-2:]; got != want {
		return lintErr(len(v)-2, ErrCheckDigit, "bad check character pair: got %s want %s", got, want)
	}
	return nil
}

// primes returns the first n primes.
func primes(n int) []int {
	ps := make([]int, 0, n)
	for c := 2; len(ps) < n; c++ {
		isPrime := true
		for _, p := range ps {
			if p*p > c {
				break
			}
			if c%p == 0 {
				isPrime = false
				break
			}
		}
		if isPrime {
			ps = append(ps, c)
		}
	}
	return ps
}

// lintGCP checks that a GS1 Company Prefix can start at offset off: at least
// its shortest length, four digits. Whether the prefix is allocated needs
// GS1's registry and is not checked.
func lintGCP(v string, off int) *lintError {
	const minGCP = 4
	if len(v) < off+minGCP {
		return lintErr(off, ErrValue, "too short to hold a GS1 Company Prefix")
	}
	if i := firstNonDigit(v[off : off+minGCP]); i >= 0 {
		return lintErr(off+i, ErrValue, "a GS1 Company Prefix must start with %d digits, found %q", minGCP, v[off+i])
	}
	return nil
}

// parseDate reads YYMMDD or YYYYMMDD (the length tells which). With
// dayZero, DD = 00 means the last day of the month.
func parseDate(v string, refYear int, dayZero bool) (time.Time, *lintError) {
	if (len(v) != 6 && len(v) != 8) || firstNonDigit(v) >= 0 {
		return time.Time{}, lintErr(0, ErrDate, "not a date")
	}
	var year, off int
	if len(v) == 6 {
		year = fullYear(atoi(v[:2]), refYear)
	} else {
		year, off = atoi(v[:4]), 2
	}
	month, day := atoi(v[2+off:4+off]), atoi(v[4+off:6+off])
	if month < 1 || month > 12 {
		return time.Time{}, lintErr(2+off, ErrDate, "invalid month %02d", month)
	}
	last := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if day == 0 && dayZero {
		day = last
	} else if day < 1 || day > last {
		return time.Time{}, lintErr(4+off, ErrDate, "invalid day %02d for %04d-%02d", day, year, month)
	}
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), nil
}

// fullYear applies GS1's sliding window to a two-digit year: relative to
// the reference year's last two digits, a difference of 51 or more means the
// previous century, -50 or less the next one, anything else this century.
// So in 2026 the window runs from 1977 to 2076. A zero refYear means 20YY.
func fullYear(yy, refYear int) int {
	if refYear <= 0 {
		return 2000 + yy
	}
	century := refYear - refYear%100
	switch diff := yy - refYear%100; {
	case diff >= 51:
		return century - 100 + yy
	case diff <= -50:
		return century + 100 + yy
	default:
		return century + yy
	}
}

// atoi converts a short all-digit string.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// lintClock checks two-digit fields against their limits (24 for hours, 60
// for minutes and seconds).
func lintClock(v string, limits []int, names ...string) *lintError {
	if len(v) != 2*len(limits) || firstNonDigit(v) >= 0 {
		return lintErr(0, ErrDate, "not a %s", strings.Join(names, " and "))
	}
	for i, lim := range limits {
		if n := atoi(v[2*i : 2*i+2]); n >= lim {
			return lintErr(2*i, ErrDate, "invalid %s %02d", names[i], n)
		}
	}
	return nil
}

func lintNumeric3(v string, _ int) *lintError {
	if len(v) != 3 || firstNonDigit(v) >= 0 {
		return lintErr(0, ErrValue, "not a three-digit ISO code")
	}
	return nil
}

func lintAlpha2(v string, _ int) *lintError {
	for i := 0; i < len(v); i++ {
		if v[i] < 'A' || v[i] > 'Z' {
			return lintErr(i, ErrValue, "ISO 3166 alpha-2 country code must be two capital letters")
		}
	}
	if len(v) != 2 {
		return lintErr(0, ErrValue, "ISO 3166 alpha-2 country code must be two capital letters")
	}
	return nil
}

func lintPercentEncoding(v string, _ int) *lintError {
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && (i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2])) {
			return lintErr(i, ErrValue, "'%%' must be followed by two hex digits")
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func oneOf(allowed ...string) linter {
	return func(v string, _ int) *lintError {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return lintErr(0, ErrValue, "%q is not allowed here (want %s)", v, strings.Join(allowed, ", "))
	}
}

func lintNonZero(v string, _ int) *lintError {
	if strings.Trim(v, "0") == "" {
		return lintErr(0, ErrValue, "must not be zero")
	}
	return nil
}

func lintNoZeroPrefix(v string, _ int) *lintError {
	if strings.HasPrefix(v, "0") {
		return lintErr(0, ErrValue, "must not start with 0")
	}
	return nil
}

func lintHasNonDigit(v string, _ int) *lintError {
	if firstNonDigit(v) < 0 {
		return lintErr(0, ErrValue, "must contain a character other than a digit")
	}
	return nil
}

func maxNumber(limit int64, name string) linter {
	return func(v string, _ int) *lintError {
		var n int64
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return lintErr(i, ErrNotDigit, "non-digit %q", v[i])
			}
			n = n*10 + int64(v[i]-'0')
		}
		if n > limit {
			return lintErr(0, ErrValue, "%s %s out of range (at most %d)", name, v, limit)
		}
		return nil
	}
}

// lintMediaType accepts the AIDC media types of the GS1 General
// Specifications: 01-10 (assigned by ICCBBA) and 80-99 (local use).
func lintMediaType(v string, _ int) *lintError {
	if n := atoi(v); len(v) == 2 && firstNonDigit(v) < 0 && (1 <= n && n <= 10 || 80 <= n && n <= 99) {
		return nil
	}
	return lintErr(0, ErrValue, "%q is not an AIDC media type (01-10 or 80-99)", v)
}

// lintPieceOfTotal checks "PPTT": piece number and total of equal width,
// neither zero, piece not above total.
func lintPieceOfTotal(v string, _ int) *lintError {
	if len(v) == 0 || len(v)%2 != 0 || firstNonDigit(v) >= 0 {
		return lintErr(0, ErrValue, "not a piece number and total of equal width")
	}
	piece, total := v[:len(v)/2], v[len(v)/2:]
	switch {
	case strings.Trim(piece, "0") == "":
		return lintErr(0, ErrValue, "piece number is zero")
	case strings.Trim(total, "0") == "":
		return lintErr(len(piece), ErrValue, "total number of pieces is zero")
	case piece > total: // equal width, so string order is numeric order
		return lintErr(0, ErrValue, "piece %s is above the total %s", piece, total)
	}
	return nil
}

// lintPosInSeqSlash checks "pos/end" with neither number zero or
// zero-prefixed and pos not above end.
func lintPosInSeqSlash(v string, _ int) *lintError {
	pos, end, ok := strings.Cut(v, "/")
	if !ok || pos == "" || end == "" || firstNonDigit(pos) >= 0 || firstNonDigit(end) >= 0 {
		return lintErr(0, ErrValue, "not a position in sequence like 2/3")
	}
	if pos[0] == '0' {
		return lintErr(0, ErrValue, "position must not be zero or start with 0")
	}
	if end[0] == '0' {
		return lintErr(len(pos)+1, ErrValue, "end must not be zero or start with 0")
	}
	if len(pos) > len(end) || len(pos) == len(end) && pos > end {
		return lintErr(0, ErrValue, "position %s is after the end %s", pos, end)
	}
	return nil
}

func lintImporterIndex(v string, _ int) *lintError {
	if len(v) == 1 && (v[0] == '-' || v[0] == '_' || isAlnum(v[0])) {
		return nil
	}
	return lintErr(0, ErrValue, "importer index must be one of - _ 0-9 A-Z a-z")
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// lintIBAN checks an IBAN's shape (country letters, check digits, letters
// and digits) and its ISO 7064 mod 97-10 check.
func lintIBAN(v string, _ int) *lintError {
	if len(v) < 5 {
		return lintErr(0, ErrLength, "IBAN too short")
	}
	for i := 0; i < 2; i++ {
		if v[i] < 'A' || v[i] > 'Z' {
			return lintErr(i, ErrValue, "IBAN must start with a two-letter country code")
		}
	}
	for i := 2; i < 4; i++ {
		if v[i] < '0' || v[i] > '9' {
			return lintErr(i, ErrValue, "IBAN check digits must be digits")
		}
	}
	rem := 0
	rearranged := v[4:] + v[:4]
	for i := 0; i < len(rearranged); i++ {
		c := rearranged[i]
		switch {
		case '0' <= c && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case 'A' <= c && c <= 'Z':
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return lintErr((i+4)%len(v), ErrValue, "IBAN may hold only capital letters and digits")
		}
	}
	if rem != 1 {
		return lintErr(2, ErrCheckDigit, "bad IBAN check digits %s", v[2:4])
	}
	return nil
}
