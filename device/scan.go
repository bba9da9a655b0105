package device

import (
	"bytes"
	"time"
)

// GS is ASCII group separator, the byte scanners send for a GS1 FNC1
// separator. It is kept in Scan.Data.
const GS = 0x1D

// Scan is one barcode read.
type Scan struct {
	// Data is the barcode content with the configured prefix and the AIM
	// symbology identifier removed. GS (0x1D) separators are kept.
	Data string `json:"data"`
	// Symbology is the AIM identifier the scanner sent, such as "]C1"
	// (GS1-128) or "]d2" (GS1 DataMatrix); "" when it sent none.
	Symbology string `json:"symbology,omitempty"`
	// Time is when the reader received the terminator.
	Time time.Time `json:"time"`
}

// GS1 reports whether the symbology identifier says the data is a GS1
// element string (GS1-128, GS1 DataBar, GS1 DataMatrix, GS1 QR).
func (s Scan) GS1() bool {
	switch s.Symbology {
	case "]C1", "]e0", "]d2", "]Q3", "]J1":
		return true
	}
	return false
}

// ParseScan turns one frame from a scanner (without its suffix) into a
// Scan: it strips prefix when the frame starts with it, then an AIM
// symbology identifier ("]" + letter + modifier character) when present.
// It never fails: a barcode is whatever bytes the scanner sent.
func ParseScan(frame []byte, prefix string) Scan {
	frame = bytes.TrimPrefix(frame, []byte(prefix))
	var s Scan
	if len(frame) >= 3 && frame[0] == ']' && isLetter(frame[1]) && (isLetter(frame[2]) || isDigit(frame[2])) {
		s.Symbology = string(frame[:3])
		frame = frame[3:]
	}
	s.Data = string(frame)
	return s
}

func isLetter(b byte) bool { return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' }
func isDigit(b byte) bool  { return b >= '0' && b <= '9' }

// Dedup suppresses repeated reads of one barcode: a scan equal to the
// previous one (same data and symbology) within Window of it is dropped.
// The window slides, so a code held under a scanner in continuous mode
// stays suppressed until it has been away for Window. It is pure: the
// time comes from the scan. A zero Window lets everything through.
type Dedup struct {
	Window time.Duration

	last Scan
	seen bool
}

// Allow reports whether s should be delivered, and remembers it.
func (d *Dedup) Allow(s Scan) bool {
	dup := d.seen && d.Window > 0 && s.Data == d.last.Data && s.Symbology == d.last.Symbology &&
		s.Time.Sub(d.last.Time) < d.Window && !s.Time.Before(d.last.Time)
	d.last, d.seen = s, true
	return !dup
}
