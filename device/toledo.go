package device

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

const (
	stx = 0x02
	etx = 0x03
)

// ParseToledo parses one Toledo 8217 reply to W. The scale sends no unit;
// unit is the one it is set to.
//
//	<STX>  1.234<CR>     stable weight ("N" before CR: net)
//	<STX>?<status><CR>   no weight: bit 0 motion, 1 over capacity, 2 under
//	                     zero, 3 outside zero capture range, 4 centre of
//	                     zero, 5 net (bit 6 is not trusted)
//
// Parity bits are stripped.
func ParseToledo(frame []byte, unit string) (Reading, error) {
	b := strip7(frame)
	if len(b) < 3 || b[0] != stx || b[len(b)-1] != '\r' {
		return Reading{}, fmt.Errorf("toledo %q: want STX … CR", frame)
	}
	body := b[1 : len(b)-1]
	if len(body) == 2 && body[0] == '?' {
		st := body[1]
		var f Flags
		var msg []string
		if st&1 != 0 {
			f |= FlagMotion
			msg = append(msg, "in motion")
		}
		if st&2 != 0 {
			f |= FlagOverCapacity
			msg = append(msg, "over capacity")
		}
		if st&4 != 0 {
			f |= FlagUnderZero
			msg = append(msg, "under zero")
		}
		if st&8 != 0 {
			f |= FlagError
			msg = append(msg, "outside zero capture range")
		}
		if st&16 != 0 {
			f |= FlagAtZero
		}
		if st&32 != 0 {
			f |= FlagNet
		}
		if f&(FlagMotion|FlagOverCapacity|FlagUnderZero|FlagError) == 0 {
			f |= FlagError
			msg = append(msg, fmt.Sprintf("status %q without a condition", st))
		}
		return Reading{Flags: f | FlagNoWeight, Message: strings.Join(msg, ", ")}, nil
	}
	s := strings.TrimSpace(string(body))
	f := FlagStable
	if t, ok := strings.CutSuffix(s, "N"); ok {
		s, f = strings.TrimSpace(t), f|FlagNet
	}
	v, err := parseDecimal(s)
	if err != nil {
		return Reading{}, fmt.Errorf("toledo %q: weight: %w", frame, err)
	}
	g, err := toGrams(v, unit)
	if err != nil {
		return Reading{}, fmt.Errorf("toledo: %w", err)
	}
	return Reading{Grams: g, Value: v, Unit: unit, Flags: f}, nil
}

func strip7(frame []byte) []byte {
	b := make([]byte, len(frame))
	for i, c := range frame {
		b[i] = c & 0x7f
	}
	return b
}

// ParseToledoContinuous parses one frame of Toledo continuous output:
//
//	STX SWA SWB SWC wwwwww [[ ]tttttt] CR [CHK]
//
// with 6 weight digits, optional 6 tare digits (Cardinal's format 0 puts
// a space before them), and an optional checksum byte: the two's
// complement of the 7-bit sum of every byte from STX to CR. So 11, 12,
// 17, 18 and 19-byte frames are accepted. SWA bits 0–2 place the decimal
// point; SWB bit 0 net, 1 negative, 2 out of range, 3 motion, 4 kg (else
// lb), 6 power-up (not yet zeroed). Parity bits are stripped.
func ParseToledoContinuous(frame []byte) (Reading, error) {
	b := strip7(frame)
	if len(b) < 11 || b[0] != stx {
		return Reading{}, fmt.Errorf("toledo continuous %q: want STX and at least 10 bytes", frame)
	}
	cr := -1
	for _, i := range []int{10, 16, 17} {
		if i < len(b) && b[i] == '\r' && (i != 17 || b[10] == ' ') {
			cr = i
			break
		}
	}
	if cr < 0 || len(b) > cr+2 {
		return Reading{}, fmt.Errorf("toledo continuous %q: CR not where a frame ends", frame)
	}
	if len(b) == cr+2 {
		var sum int
		for _, c := range b[:cr+2] {
			sum += int(c)
		}
		if sum&0x7f != 0 {
			return Reading{}, fmt.Errorf("toledo continuous %q: bad checksum", frame)
		}
	}
	swa, swb := b[1], b[2]
	w, err := digits6(b[4:10])
	if err != nil {
		return Reading{}, fmt.Errorf("toledo continuous %q: weight: %w", frame, err)
	}
	v := float64(w) * math.Pow10(2-int(swa&7))
	if swb&2 != 0 {
		v = -v
	}
	unit := "lb"
	if swb&16 != 0 {
		unit = "kg"
	}
	v = math.Round(v*1e6) / 1e6
	r := Reading{Value: v, Unit: unit}
	if swb&1 != 0 {
		r.Flags |= FlagNet
	}
	switch {
	case swb&4 != 0 && swb&2 != 0:
		r.Flags |= FlagUnderZero
		r.Message = "under zero"
	case swb&4 != 0:
		r.Flags |= FlagOverCapacity
		r.Message = "over capacity"
	case swb&64 != 0:
		r.Flags |= FlagError
		r.Message = "power-up: scale not zeroed yet"
	}
	if swb&8 != 0 {
		r.Flags |= FlagMotion
	} else {
		r.Flags |= FlagStable
	}
	if r.HasWeight() {
		r.Grams, _ = toGrams(v, unit)
	}
	return r, nil
}

func digits6(b []byte) (int, error) {
	s := string(bytes.TrimLeft(b, " "))
	if s == "" {
		return 0, nil
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, fmt.Errorf("%q is not 6 digits", b)
		}
	}
	return strconv.Atoi(s)
}

// toledo is the Toledo 8217 protocol for a Scale: W polls, Z/T/C commands
// without replies.
type toledo struct{ unit string }

func (toledo) splitter() splitter {
	return &markerSplitter{bounded: newBounded(32), start: stx, stop: '\r', restart: true,
		// The status byte after "?" may be any value, CR and STX included.
		opaque: func(f []byte) bool { return len(f) == 2 && f[1] == '?' }}
}

func (toledo) start() []byte { return nil }

func (toledo) poll() ([]byte, string) { return []byte("W"), "W" }

func (toledo) command(c scaleCmd) ([]byte, string, error) {
	return []byte{"ZTC"[c]}, "", nil
}

func (p toledo) parse(frame []byte) scaleMsg {
	r, err := ParseToledo(frame, p.unit)
	if err != nil {
		return scaleMsg{bad: err}
	}
	return scaleMsg{reply: "W", reading: r, hasReading: true}
}

// toledoContinuous is Toledo continuous output for a Scale: frames stream
// unasked; Z, T and C have no replies.
type toledoContinuous struct{ checksum bool }

func (p toledoContinuous) splitter() splitter {
	sp := &markerSplitter{bounded: newBounded(32), start: stx, stop: '\r', restart: true,
		// Status words may take any value, STX and CR included.
		opaque: func(f []byte) bool { return len(f) >= 1 && len(f) <= 3 }}
	if p.checksum {
		sp.trailer = 1
	}
	return sp
}

func (toledoContinuous) start() []byte { return nil }

func (toledoContinuous) poll() ([]byte, string) { return nil, "" }

func (toledoContinuous) command(c scaleCmd) ([]byte, string, error) {
	return []byte{"ZTC"[c]}, "", nil
}

func (toledoContinuous) parse(frame []byte) scaleMsg {
	r, err := ParseToledoContinuous(frame)
	if err != nil {
		return scaleMsg{bad: err}
	}
	return scaleMsg{reading: r, hasReading: true}
}
