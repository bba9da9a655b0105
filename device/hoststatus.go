package device

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// PrinterStatus is what a Zebra printer says about itself (~HS or ~HQES),
// or Known false when the transport cannot ask.
type PrinterStatus struct {
	Known bool `json:"known"` // false: the transport cannot report status ("unknown")

	PaperOut   bool `json:"paper_out"`
	Paused     bool `json:"paused"`
	HeadOpen   bool `json:"head_open"`
	RibbonOut  bool `json:"ribbon_out"`
	BufferFull bool `json:"buffer_full"` // receive buffer full
	UnderTemp  bool `json:"under_temperature"`
	OverTemp   bool `json:"over_temperature"`
	CorruptRAM bool `json:"corrupt_ram"` // configuration lost
	Offline    bool `json:"offline"`     // USB printer class: not selected

	FormatsInBuffer int `json:"formats_in_buffer"`
	LabelsRemaining int `json:"labels_remaining"`
	LabelLength     int `json:"label_length_dots,omitempty"`
	// ThermalTransfer is the print method (~HS string 2, field q).
	ThermalTransfer bool `json:"thermal_transfer,omitempty"`

	// Faults are further errors (~HQES), e.g. "cutter fault".
	Faults []string `json:"faults,omitempty"`
	// Warnings need attention but do not stop printing.
	Warnings []string `json:"warnings,omitempty"`
}

// Ready reports whether the printer can take a job now: status known and
// nothing that stops printing (paper or ribbon out, head open, paused,
// buffer full, over temperature, faults).
func (s PrinterStatus) Ready() bool { return s.Known && len(s.Problems()) == 0 }

// Problems lists, readably, the conditions that stop printing.
func (s PrinterStatus) Problems() []string {
	var p []string
	add := func(cond bool, what string) {
		if cond {
			p = append(p, what)
		}
	}
	add(s.Offline, "offline")
	add(s.PaperOut, "paper out")
	add(s.RibbonOut, "ribbon out")
	add(s.HeadOpen, "head open")
	add(s.Paused, "paused")
	add(s.BufferFull, "receive buffer full")
	add(s.OverTemp, "over temperature")
	return append(p, s.Faults...)
}

// State sums the status up in words: "unknown", "ready", "printing"
// (formats or labels still to print), or the problems, e.g.
// "paper out, head open".
func (s PrinterStatus) State() string {
	switch p := s.Problems(); {
	case !s.Known:
		return "unknown"
	case len(p) > 0:
		return strings.Join(p, ", ")
	case s.FormatsInBuffer > 0 || s.LabelsRemaining > 0:
		return "printing"
	}
	return "ready"
}

// String is State, with warnings.
func (s PrinterStatus) String() string {
	w := s.Warnings
	if s.UnderTemp {
		w = append([]string{"under temperature"}, w...)
	}
	if s.CorruptRAM {
		w = append([]string{"configuration lost"}, w...)
	}
	if len(w) == 0 {
		return s.State()
	}
	return s.State() + " (" + strings.Join(w, ", ") + ")"
}

// hsComplete reports whether b holds a whole ~HS reply: three ETX bytes.
func hsComplete(b []byte) bool { return bytes.Count(b, []byte{etx}) >= 3 }

// ParseHostStatus parses a Zebra ~HS reply: three strings, each
// <STX>…<ETX><CR><LF>.
//
//	1: aaa,b,c,dddd,eee,f,g,h,iii,j,k,l   b paper out, c pause, dddd label
//	   length, eee formats in buffer, f buffer full, j corrupt RAM, k under
//	   temperature, l over temperature
//	2: mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www  o head open, p ribbon out,
//	   q thermal transfer, uuuuuuuu labels remaining
//	3: xxxx,y                            password, static RAM
//
// Bytes before the first STX (a previous reply's tail) are skipped; fields
// beyond those named are ignored, so longer replies from newer firmware
// parse.
func ParseHostStatus(b []byte) (PrinterStatus, error) {
	var strs [][]string
	for len(strs) < 3 {
		i := bytes.IndexByte(b, stx)
		if i < 0 {
			break
		}
		j := bytes.IndexByte(b[i:], etx)
		if j < 0 {
			break
		}
		strs = append(strs, strings.Split(string(b[i+1:i+j]), ","))
		b = b[i+j+1:]
	}
	if len(strs) < 2 {
		return PrinterStatus{}, fmt.Errorf("~HS reply: %d of 3 <STX>…<ETX> strings", len(strs))
	}
	s1, s2 := strs[0], strs[1]
	if len(s1) < 6 || len(s2) < 4 {
		return PrinterStatus{}, fmt.Errorf("~HS reply: %d and %d fields, want at least 6 and 4", len(s1), len(s2))
	}
	var perr error
	flag := func(f []string, i int) bool {
		if i >= len(f) {
			return false
		}
		switch strings.TrimSpace(f[i]) {
		case "0":
			return false
		case "1":
			return true
		}
		if perr == nil {
			perr = fmt.Errorf("~HS reply: field %q is not 0 or 1", f[i])
		}
		return false
	}
	num := func(f []string, i int) int {
		if i >= len(f) {
			return 0
		}
		n, err := strconv.Atoi(strings.TrimSpace(f[i]))
		if (err != nil || n < 0) && perr == nil {
			perr = fmt.Errorf("~HS reply: field %q is not a count", f[i])
		}
		return n
	}
	st := PrinterStatus{
		Known:           true,
		PaperOut:        flag(s1, 1),
		Paused:          flag(s1, 2),
		LabelLength:     num(s1, 3),
		FormatsInBuffer: num(s1, 4),
		BufferFull:      flag(s1, 5),
		CorruptRAM:      flag(s1, 9),
		UnderTemp:       flag(s1, 10),
		OverTemp:        flag(s1, 11),
		HeadOpen:        flag(s2, 2),
		RibbonOut:       flag(s2, 3),
		ThermalTransfer: len(s2) > 4 && flag(s2, 4),
		LabelsRemaining: num(s2, 8),
	}
	if perr != nil {
		return PrinterStatus{}, perr
	}
	return st, nil
}

// hqesErrors names the ~HQES error bits: nibble (1 = rightmost), then bit.
var hqesErrors = [][4]string{
	{"media out", "ribbon out", "head open", "cutter fault"},
	{"printhead over temperature", "motor over temperature", "bad printhead element", "printhead detection error"},
	{"invalid firmware configuration", "printhead thermistor open", "", ""},
	{"paper jam during retract", "presenter not running", "paper feed error", "clear paper path failed"},
	{"", "", "black mark calibrate error", "black mark not found"},
}

var hqesWarnings = [][4]string{
	{"need to calibrate media", "clean printhead", "replace printhead", ""},
}

// hqesComplete reports whether b holds the WARNINGS line of a ~HQES reply.
func hqesComplete(b []byte) bool {
	i := bytes.Index(b, []byte("WARNINGS:"))
	return i >= 0 && bytes.IndexByte(b[i:], '\n') >= 0
}

// ParseExtendedStatus parses a Zebra ~HQES reply:
//
//	PRINTER STATUS
//	   ERRORS:         1 00000000 00000005
//	   WARNINGS:       0 00000000 00000000
//
// After each label: a flag, then two groups of eight hex nibbles, the
// second holding nibbles 8…1 left to right. Nibbles are bit masks, so "5"
// in nibble 1 is media out and head open.
func ParseExtendedStatus(b []byte) (PrinterStatus, error) {
	st := PrinterStatus{Known: true}
	seen := 0
	for _, line := range strings.Split(string(b), "\n") {
		label, rest, ok := strings.Cut(line, ":")
		label = strings.TrimSpace(strings.Trim(label, "\x02\x03\r "))
		if !ok || (label != "ERRORS" && label != "WARNINGS") {
			continue
		}
		f := strings.Fields(strings.Trim(rest, "\x02\x03\r "))
		if len(f) != 3 || len(f[1]) != 8 || len(f[2]) != 8 {
			return PrinterStatus{}, fmt.Errorf("~HQES %s: %q: want a flag and two 8-digit groups", label, rest)
		}
		bits, err := strconv.ParseUint(f[1]+f[2], 16, 64)
		if err != nil {
			return PrinterStatus{}, fmt.Errorf("~HQES %s: %q: %w", label, rest, err)
		}
		seen++
		names := hqesErrors
		if label == "WARNINGS" {
			names = hqesWarnings
		}
		var list []string
		for n := range 16 {
			for bit := range 4 {
				if bits&(1<<(4*n+bit)) == 0 {
					continue
				}
				name := fmt.Sprintf("%s bit %d of nibble %d", strings.ToLower(label), bit, n+1)
				if n < len(names) && names[n][bit] != "" {
					name = names[n][bit]
				}
				list = append(list, name)
			}
		}
		if label == "WARNINGS" {
			st.Warnings = list
			continue
		}
		for _, e := range list {
			switch e {
			case "media out":
				st.PaperOut = true
			case "ribbon out":
				st.RibbonOut = true
			case "head open":
				st.HeadOpen = true
			case "printhead over temperature":
				st.OverTemp = true
			default:
				st.Faults = append(st.Faults, e)
			}
		}
	}
	if seen == 0 {
		return PrinterStatus{}, fmt.Errorf("~HQES reply: no ERRORS or WARNINGS line")
	}
	return st, nil
}
