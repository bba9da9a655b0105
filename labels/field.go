package labels

import "unicode/utf8"

// MaxFieldBytes is the most data one ZPL field holds.
const MaxFieldBytes = 3072

const hexDigits = "0123456789ABCDEF"

// Field returns s as one complete, safe ZPL text field: "^FH_^FD", the
// data with every byte outside printable ASCII, and every "^", "~", "_"
// and "\", written as "_XX" (two upper-case hex digits), then "^FS". The
// printer turns each _XX back into its byte, so the label shows s exactly
// (UTF-8 under ^CI28), while no byte of s can act as a command. s longer
// than MaxFieldBytes is cut at the last whole character that fits.
func Field(s string) string {
	return string(appendField(make([]byte, 0, len(s)+16), s))
}

// appendField appends Field(s) to b.
func appendField(b []byte, s string) []byte {
	b = append(b, "^FH_^FD"...)
	b = appendEscaped(b, s)
	return append(b, "^FS"...)
}

// appendEscaped appends s, cut to MaxFieldBytes and escaped for ^FH_.
func appendEscaped(b []byte, s string) []byte {
	if len(s) > MaxFieldBytes {
		// Cut after the last whole character that fits, so no half of a
		// UTF-8 sequence is printed (an invalid byte is a character).
		cut := 0
		for cut < len(s) {
			_, size := utf8.DecodeRuneInString(s[cut:])
			if cut+size > MaxFieldBytes {
				break
			}
			cut += size
		}
		s = s[:cut]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if safe(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '_', hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return b
}

// safe reports whether c may stand in ^FH_ field data as itself.
func safe(c byte) bool {
	return c >= 0x20 && c <= 0x7e && c != '^' && c != '~' && c != '_' && c != '\\'
}
