package gs1

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Element is one Application Identifier and its value.
type Element struct {
	// AI is the Application Identifier, e.g. "01", "10", "3103".
	AI string
	// Title is GS1's short data title from the syntax dictionary, e.g.
	// "BATCH/LOT"; empty for the few AIs the dictionary gives none.
	Title string
	// Raw is the value as carried by the barcode, without the AI: for a
	// Digital Link URI after percent-decoding, and for AI 01 always the
	// 14-digit GTIN.
	Raw string
	// Value is Raw converted to its type:
	//
	//   - time.Time (UTC, midnight unless the AI carries a time) for the
	//     date AIs 11-17, 7006, 4326... and date-time AIs such as 7003 and
	//     8008; a day 00 means the last day of the month;
	//   - []time.Time for AI 7007 when it holds a range of two dates;
	//   - Decimal for AIs 310n-369n, 390n, 392n, 394n and 395n, whose last
	//     digit n is the number of decimal places;
	//   - Amount for AIs 391n and 393n (ISO 4217 currency and amount);
	//   - int for the counts in AIs 30 and 37;
	//   - the percent-decoded text for AIs whose value is percent-encoded
	//     (4300-4320, 7253-7259...);
	//   - otherwise Raw itself, as a string.
	Value any
	// Pos is the 1-based byte position of the value in the input.
	Pos int
}

// Decimal is a non-negative number with a fixed count of decimal places, as
// GS1 encodes measures and amounts: Units / 10^Places. AI 3103 with value
// 001250 is Decimal{Units: 1250, Places: 3}, 1.250 kg.
type Decimal struct {
	Units  int64 // the digits as an integer
	Places int   // how many of them are decimals
}

// String formats d with its decimal places, e.g. "1.250".
func (d Decimal) String() string {
	s := strconv.FormatInt(d.Units, 10)
	if d.Places <= 0 {
		return s
	}
	if len(s) <= d.Places {
		s = strings.Repeat("0", d.Places-len(s)+1) + s
	}
	return s[:len(s)-d.Places] + "." + s[len(s)-d.Places:]
}

// Float64 returns d as a float64, which may round.
func (d Decimal) Float64() float64 {
	return float64(d.Units) / math.Pow10(d.Places)
}

// Amount is a sum of money with its ISO 4217 numeric currency code, as in
// AIs 391n and 393n.
type Amount struct {
	Currency string  // ISO 4217 numeric code, e.g. "978" for the euro
	Value    Decimal // the amount in that currency
}

// String formats a as its currency code and value, e.g. "978 12.50".
func (a Amount) String() string { return a.Currency + " " + a.Value.String() }

// validate checks value v of AI def, which starts at 1-based position pos of
// the input, against the dictionary's components and linters, and returns
// its typed value.
func validate(def *aiDef, v string, pos, refYear int) (any, *ParseError) {
	if v == "" {
		return nil, errorf(ErrEmpty, pos, def.ai, "empty value")
	}
	if len(v) > def.maxLen {
		return nil, errorf(ErrLength, pos+def.maxLen, def.ai, "value too long: %d characters, at most %d", len(v), def.maxLen)
	}
	if len(v) < def.minLen {
		want := fmt.Sprintf("at least %d", def.minLen)
		if def.minLen == def.maxLen {
			want = fmt.Sprintf("want %d", def.minLen)
		}
		return nil, errorf(ErrLength, pos, def.ai, "value too short: %d characters, %s", len(v), want)
	}
	parts := make([]string, 0, len(def.comps))
	off := 0
	for i, c := range def.comps {
		if off == len(v) && c.optional {
			break
		}
		n := c.max
		if !c.fixed() {
			n = len(v) - off // the last component takes the rest; maxLen bounds it
		}
		if off+n > len(v) {
			return nil, errorf(ErrLength, pos+off, def.ai,
				"value too short: %d characters do not fill %s (component %d needs %d)", len(v), def.format, i+1, n)
		}
		part := v[off : off+n]
		if n < c.min {
			return nil, errorf(ErrLength, pos+off, def.ai, "component %d too short: %d characters, at least %d", i+1, n, c.min)
		}
		if e := checkCharset(c.cset, part); e != nil {
			return nil, errorf(e.err, pos+off+e.off, def.ai, "%s", e.reason)
		}
		for _, name := range c.linters {
			if lint := linters[name]; lint != nil {
				if e := lint(part, refYear); e != nil {
					return nil, errorf(e.err, pos+off+e.off, def.ai, "%s", e.reason)
				}
			}
		}
		parts = append(parts, part)
		off += n
	}
	if off != len(v) { // unreachable while maxLen is the sum of the components
		return nil, errorf(ErrLength, pos+off, def.ai, "value too long for %s", def.format)
	}
	return typedValue(def, v, parts, refYear), nil
}

// checkCharset checks s against the character set of a component type.
func checkCharset(cset byte, s string) *lintError {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch cset {
		case 'N':
			if c < '0' || c > '9' {
				return lintErr(i, ErrNotDigit, "non-digit %s", quoteByte(s, i))
			}
		case 'X':
			if strings.IndexByte(cset82, c) < 0 {
				return lintErr(i, ErrCharset, "character %s is not allowed (GS1 CSET 82: letters, digits and !\"%%&'()*+,-./:;<=>?_)", quoteByte(s, i))
			}
		case 'Y':
			if !(c == '#' || c == '-' || c == '/' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
				return lintErr(i, ErrCharset, "character %s is not allowed (GS1 CSET 39: capitals, digits and #-/)", quoteByte(s, i))
			}
		case 'Z':
			if c == '=' && strings.Trim(s[i:], "=") == "" && len(s)-i <= 2 {
				return nil // base64 padding
			}
			if !(c == '-' || c == '_' || isAlnum(c)) {
				return lintErr(i, ErrCharset, "character %s is not allowed (GS1 CSET 64: base64url)", quoteByte(s, i))
			}
		}
	}
	return nil
}

// isDecimalAI reports whether the last digit of ai is a count of decimal
// places: 310n-369n and 390n-395n in the GS1 General Specifications.
func isDecimalAI(ai string) bool {
	return len(ai) == 4 && ai[0] == '3' && ('1' <= ai[1] && ai[1] <= '6' || ai[1] == '9' && ai[2] <= '5')
}

// dateLinters maps the date and time linters to what their component holds.
var dateLinters = map[string]string{
	"yymmdd": "date", "yymmd0": "date", "yyyymmdd": "date", "yyyymmd0": "date",
	"hhmi": "hhmi", "hh": "hh", "mi": "mi", "ss": "ss",
}

// typedValue converts a validated value; see Element.Value.
func typedValue(def *aiDef, raw string, parts []string, refYear int) any {
	switch {
	case isDecimalAI(def.ai):
		places := int(def.ai[3] - '0')
		last := parts[len(parts)-1]
		units, err := strconv.ParseInt(last, 10, 64)
		if err != nil {
			return raw
		}
		d := Decimal{Units: units, Places: places}
		if len(parts) == 2 && hasLinter(def.comps[0], "iso4217") {
			return Amount{Currency: parts[0], Value: d}
		}
		return d
	case def.ai == "30" || def.ai == "37":
		if n, err := strconv.Atoi(raw); err == nil {
			return n
		}
		return raw
	}
	if t, ok := timesOf(def, parts, refYear); ok {
		if len(t) == 1 {
			return t[0]
		}
		return t
	}
	if len(parts) == 1 && hasLinter(def.comps[0], "pcenc") {
		if s, err := url.PathUnescape(raw); err == nil {
			return s
		}
	}
	return raw
}

func hasLinter(c component, name string) bool {
	for _, l := range c.linters {
		if l == name {
			return true
		}
	}
	return false
}

// timesOf reads an AI whose every component is a date or a time of day:
// each date starts a new time.Time, each time component sets the clock of
// the date before it.
func timesOf(def *aiDef, parts []string, refYear int) ([]time.Time, bool) {
	var ts []time.Time
	for i, p := range parts {
		kind := ""
		for _, l := range def.comps[i].linters {
			if k, ok := dateLinters[l]; ok {
				kind = k
			}
		}
		switch {
		case kind == "date":
			t, err := parseDate(p, refYear, true)
			if err != nil {
				return nil, false
			}
			ts = append(ts, t)
		case kind == "" || len(ts) == 0:
			return nil, false
		default:
			t := ts[len(ts)-1]
			switch kind {
			case "hhmi":
				t = t.Add(time.Duration(atoi(p[:2]))*time.Hour + time.Duration(atoi(p[2:]))*time.Minute)
			case "hh":
				t = t.Add(time.Duration(atoi(p)) * time.Hour)
			case "mi":
				t = t.Add(time.Duration(atoi(p)) * time.Minute)
			case "ss":
				t = t.Add(time.Duration(atoi(p)) * time.Second)
			}
			ts[len(ts)-1] = t
		}
	}
	return ts, len(ts) > 0
}
