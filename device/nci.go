package device

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// ParseNCI parses one NCI / Weigh-Tronix standard scale protocol (SCP-01)
// reply, from <LF> to <ETX>:
//
//	<LF>0001.25lb<CR><LF>00<CR><ETX>    weight, units, status bytes
//	<LF>00<CR><ETX>                      status only (reply to S or Z)
//	<LF>?<CR><ETX>                       command not recognised
//
// It is lenient, as devices differ: parity bits are stripped, the LF
// before the status may be missing (Brecknell PS-USB), SCP-02's "S"
// before the status is accepted, and when garbage precedes the frame only
// the last two parts count. Status byte 1: bit 0 motion, 1 at zero, 2 RAM
// error, 3 EEPROM error; byte 2: bit 0 under capacity, 1 over capacity, 2
// ROM error, 3 faulty calibration, 6 another byte follows; byte 3: bit 2
// net, bit 3 initial zero error. A status-only frame returns ErrNotWeight
// with the flags it carries.
func ParseNCI(frame []byte) (Reading, error) {
	r, hasWeight, err := parseNCI(frame)
	if err != nil {
		return r, err
	}
	if !hasWeight {
		return r, fmt.Errorf("nci: status only: %w", ErrNotWeight)
	}
	return r, nil
}

func parseNCI(frame []byte) (r Reading, hasWeight bool, err error) {
	b := make([]byte, len(frame))
	for i, c := range frame {
		b[i] = c & 0x7f
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	b = bytes.TrimSuffix(b, []byte{0x03})
	parts := bytes.FieldsFunc(b, func(c rune) bool { return c == '\r' || c == '\n' })
	if len(parts) == 1 && string(parts[0]) == "?" {
		return Reading{}, false, &ReplyError{Reply: "?", Reason: "command not recognised"}
	}
	if len(parts) == 0 {
		return Reading{}, false, fmt.Errorf("nci %q: empty frame", frame)
	}
	flags, msg, err := nciStatus(parts[len(parts)-1])
	if err != nil {
		return Reading{}, false, fmt.Errorf("nci %q: %w", frame, err)
	}
	r = Reading{Flags: flags, Message: msg}
	if len(parts) == 1 {
		return r, false, nil
	}
	wt := strings.TrimSpace(string(parts[len(parts)-2]))
	v, unit, err := nciWeight(wt)
	if err != nil {
		if r.HasWeight() {
			// A display the scale shows instead of a weight ("-------",
			// "ERR 1") without a range flag to explain it.
			r.Flags |= FlagError
			r.Message = fmt.Sprintf("scale shows %q", wt)
		}
		return r, true, nil
	}
	if r.HasWeight() {
		g, err := toGrams(v, unit)
		if err != nil {
			return Reading{}, false, fmt.Errorf("nci %q: %w", frame, err)
		}
		r.Grams, r.Value, r.Unit = g, v, strings.ToLower(unit)
	}
	return r, true, nil
}

// nciWeight parses "0001.25lb", "-12.5 KG" or lb-oz "2lb 3.5oz".
func nciWeight(s string) (float64, string, error) {
	low := strings.ToLower(s)
	if lb, oz, ok := strings.Cut(low, "lb"); ok && strings.HasSuffix(oz, "oz") {
		l, err1 := parseDecimal(strings.TrimSpace(lb))
		o, err2 := parseDecimal(strings.TrimSpace(strings.TrimSuffix(oz, "oz")))
		if err1 != nil || err2 != nil {
			return 0, "", fmt.Errorf("weight %q", s)
		}
		return l*16 + o, "oz", nil
	}
	i := len(low)
	for i > 0 && low[i-1] >= 'a' && low[i-1] <= 'z' {
		i--
	}
	num, unit := strings.ReplaceAll(strings.TrimSpace(low[:i]), " ", ""), low[i:]
	if unit == "" {
		return 0, "", fmt.Errorf("weight %q: no unit", s)
	}
	v, err := parseDecimal(num)
	if err != nil {
		return 0, "", fmt.Errorf("weight %q", s)
	}
	return v, unit, nil
}

// nciStatus decodes two or three status bytes (0x30–0x3F each, bits 4
// and 5 always set).
func nciStatus(s []byte) (Flags, string, error) {
	s = bytes.TrimPrefix(s, []byte("S"))
	if len(s) < 2 || len(s) > 3 {
		return 0, "", fmt.Errorf("status %q: want 2 or 3 bytes", s)
	}
	for i, c := range s {
		// Bits 4 and 5 are always set; bit 6 says "another byte follows"
		// on bytes 2 and 3 and is always clear on byte 1.
		if c&0x30 != 0x30 || c&0x80 != 0 || (i == 0 && c&0x40 != 0) {
			return 0, "", fmt.Errorf("status %q: byte %#02x is not a status byte", s, c)
		}
	}
	var f Flags
	var errs []string
	b1, b2 := s[0], s[1]
	if b1&1 != 0 {
		f |= FlagMotion
	} else {
		f |= FlagStable
	}
	if b1&2 != 0 {
		f |= FlagAtZero
	}
	if b1&4 != 0 {
		errs = append(errs, "RAM error")
	}
	if b1&8 != 0 {
		errs = append(errs, "EEPROM error")
	}
	if b2&1 != 0 {
		f |= FlagUnderZero
	}
	if b2&2 != 0 {
		f |= FlagOverCapacity
	}
	if b2&4 != 0 {
		errs = append(errs, "ROM error")
	}
	if b2&8 != 0 {
		errs = append(errs, "faulty calibration")
	}
	if len(s) == 3 {
		if s[2]&4 != 0 {
			f |= FlagNet
		}
		if s[2]&8 != 0 {
			errs = append(errs, "initial zero error")
		}
	}
	if len(errs) > 0 {
		f |= FlagError
	}
	return f, strings.Join(errs, ", "), nil
}

// nci is the NCI protocol for a Scale: <LF>…<ETX> frames, polled with W,
// zero Z (answered with a status frame). SCP-01 has no tare.
type nci struct{}

func (nci) splitter() splitter {
	return &markerSplitter{bounded: newBounded(64), start: '\n', stop: 0x03}
}

func (nci) start() []byte { return nil }

func (nci) poll() ([]byte, string) { return []byte("W\r"), "W" }

func (nci) command(c scaleCmd) ([]byte, string, error) {
	if c == cmdZero {
		return []byte("Z\r"), "S", nil
	}
	return nil, "", ErrUnsupported
}

func (nci) parse(frame []byte) scaleMsg {
	r, hasWeight, err := parseNCI(frame)
	var re *ReplyError
	switch {
	case err != nil && errors.As(err, &re):
		return scaleMsg{general: true, err: err, reading: Reading{Flags: FlagError, Message: re.Reason}}
	case err != nil:
		return scaleMsg{bad: err}
	case !hasWeight:
		return scaleMsg{reply: "S"}
	}
	return scaleMsg{reply: "W", reading: r, hasReading: true}
}
