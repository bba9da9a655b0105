package device

import (
	"bytes"
	"fmt"
)

// sicsReply is one MT-SICS response line split into its parts:
// "<ID> <Status> [<Value> <Unit>]".
type sicsReply struct {
	id, status string
	fields     []string // all whitespace-separated fields
}

func splitSICS(line []byte) (sicsReply, error) {
	line = bytes.TrimRight(line, "\r\n")
	fs := bytes.Fields(line)
	if len(fs) == 0 {
		return sicsReply{}, fmt.Errorf("mt-sics: empty line")
	}
	if !sicsID(fs[0]) {
		return sicsReply{}, fmt.Errorf("mt-sics %q: not a reply", line)
	}
	r := sicsReply{id: string(fs[0])}
	for _, f := range fs {
		r.fields = append(r.fields, string(f))
	}
	if len(fs) > 1 {
		r.status = r.fields[1]
	}
	return r, nil
}

// sicsID reports whether b can be a reply ID: a command name such as
// S, SI, TAC, I4 or @.
func sicsID(b []byte) bool {
	if len(b) > 8 {
		return false
	}
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || isDigit(c) || c == '@') {
			return false
		}
	}
	return true
}

// sicsGeneral are the errors MT-SICS sends in reply to any command.
var sicsGeneral = map[string]string{
	"ES": "syntax error: command not recognised",
	"ET": "transmission error: parity or framing",
	"EL": "logical error: parameter not allowed",
}

// sicsStatus are the command-specific status tokens that refuse a command.
var sicsStatus = map[string]string{
	"I": "command not executable (scale busy or not stable)",
	"L": "logical error (parameter not allowed)",
	"+": "overload: weighing range exceeded",
	"-": "underload: weighing pan not in place",
}

// ParseMTSICS parses one MT-SICS response line (with or without CR LF) to
// a weight request (S, SI, SIR, SR):
//
//	S S     100.00 g   stable
//	S D     100.02 g   dynamic: in motion
//	S I                not executable (busy, or no stable weight in time): FlagError
//	S +                overload: FlagOverCapacity
//	S -                underload: FlagUnderZero
//	ES, ET, EL         general errors: FlagError with the reason
//
// Widths vary by model, so fields are split on runs of spaces. A reply to
// another command (Z A, T S …) returns ErrNotWeight; anything malformed
// returns an error.
func ParseMTSICS(line []byte) (Reading, error) {
	r, err := splitSICS(line)
	if err != nil {
		return Reading{}, err
	}
	return r.reading()
}

func (r sicsReply) reading() (Reading, error) {
	if why, ok := sicsGeneral[r.id]; ok && len(r.fields) == 1 {
		return Reading{Flags: FlagError, Message: r.id + " " + why}, nil
	}
	if r.id != "S" {
		return Reading{}, fmt.Errorf("mt-sics %q: %w", r.join(), ErrNotWeight)
	}
	switch len(r.fields) {
	case 2:
		switch r.status {
		case "I":
			return Reading{Flags: FlagError, Message: "S I " + sicsStatus["I"]}, nil
		case "+":
			return Reading{Flags: FlagOverCapacity, Message: sicsStatus["+"]}, nil
		case "-":
			return Reading{Flags: FlagUnderZero, Message: sicsStatus["-"]}, nil
		}
	case 4:
		var flags Flags
		switch r.status {
		case "S":
			flags = FlagStable
		case "D":
			flags = FlagMotion
		default:
			return Reading{}, fmt.Errorf("mt-sics %q: unknown status %q", r.join(), r.status)
		}
		v, err := parseDecimal(r.fields[2])
		if err != nil {
			return Reading{}, fmt.Errorf("mt-sics %q: weight: %w", r.join(), err)
		}
		g, err := toGrams(v, r.fields[3])
		if err != nil {
			return Reading{}, fmt.Errorf("mt-sics %q: %w", r.join(), err)
		}
		return Reading{Grams: g, Value: v, Unit: r.fields[3], Flags: flags}, nil
	}
	return Reading{}, fmt.Errorf("mt-sics %q: malformed weight reply", r.join())
}

func (r sicsReply) join() string {
	b := []byte{}
	for i, f := range r.fields {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, f...)
	}
	return string(b)
}

// mtsics is the MT-SICS protocol for a Scale: CR LF lines, polled with SI
// (or streamed with SIR), zero Z, tare T, clear tare TAC.
type mtsics struct{ stream bool }

func (mtsics) splitter() splitter {
	sp, _ := newLineSplitter(SuffixLF, 256)
	return sp
}

func (p mtsics) start() []byte {
	if p.stream {
		return []byte("SIR\r\n")
	}
	return nil
}

func (p mtsics) poll() ([]byte, string) {
	if p.stream {
		return nil, ""
	}
	return []byte("SI\r\n"), "S"
}

func (mtsics) command(c scaleCmd) ([]byte, string, error) {
	switch c {
	case cmdZero:
		return []byte("Z\r\n"), "Z", nil
	case cmdTare:
		return []byte("T\r\n"), "T", nil
	case cmdClearTare:
		return []byte("TAC\r\n"), "TAC", nil
	}
	return nil, "", ErrUnsupported
}

func (mtsics) parse(frame []byte) scaleMsg {
	r, err := splitSICS(frame)
	if err != nil {
		return scaleMsg{bad: err}
	}
	if why, ok := sicsGeneral[r.id]; ok && len(r.fields) == 1 {
		rd, _ := r.reading()
		return scaleMsg{general: true, err: &ReplyError{Reply: r.id, Reason: why}, reading: rd}
	}
	if r.id == "S" {
		rd, err := r.reading()
		if err != nil {
			return scaleMsg{bad: err}
		}
		return scaleMsg{reply: "S", reading: rd, hasReading: true}
	}
	// Replies to Z, T, TAC…: "Z A", "T S 10.00 g", "TAC A" acknowledge;
	// a status from sicsStatus refuses.
	m := scaleMsg{reply: r.id}
	if why, ok := sicsStatus[r.status]; ok {
		m.err = &ReplyError{Reply: r.join(), Reason: why}
	}
	return m
}
