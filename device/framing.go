package device

import (
	"fmt"
	"io"
)

// A splitter cuts a byte stream into frames. It is pure and incremental:
// feed may be called with any chunking of the stream and emits the same
// frames. A frame passed to emit aliases the splitter's buffer and is valid
// only until emit returns. A splitter holds at most its maximum frame size,
// whatever the stream: on overflow it emits one ErrFrameTooLong, drops
// bytes up to the next terminator and starts afresh after it.
type splitter interface {
	feed(p []byte, emit func(frame []byte, err error))
}

// Suffix is how a serial scanner ends each barcode.
type Suffix string

// Scanner suffixes. A custom single byte is written as SuffixByte(b).
const (
	SuffixCR   Suffix = "cr"   // 0D; a following LF is ignored, so CRLF scanners work too
	SuffixLF   Suffix = "lf"   // 0A; a CR just before it is dropped
	SuffixCRLF Suffix = "crlf" // 0D 0A; a lone CR is data
)

// SuffixByte returns the Suffix for a single custom terminator byte, such
// as a tab (0x09) or ETX (0x03).
func SuffixByte(b byte) Suffix { return Suffix(fmt.Sprintf("0x%02x", b)) }

// terminator returns the end byte and the mode of a suffix.
func (s Suffix) terminator() (end byte, mode Suffix, err error) {
	switch s {
	case "", SuffixCR:
		return '\r', SuffixCR, nil
	case SuffixLF:
		return '\n', SuffixLF, nil
	case SuffixCRLF:
		return '\n', SuffixCRLF, nil
	}
	var b byte
	if n, err := fmt.Sscanf(string(s), "0x%02x", &b); n != 1 || err != nil || len(s) != 4 {
		return 0, "", fmt.Errorf("suffix %q: want cr, lf, crlf or 0xNN", string(s))
	}
	return b, "byte", nil
}

// bounded is a frame buffer that never grows past max bytes.
type bounded struct {
	max        int
	buf        []byte
	discarding bool
}

func newBounded(max int) bounded { return bounded{max: max, buf: make([]byte, 0, max)} }

// add appends b, or reports the overflow once and starts discarding.
func (f *bounded) add(b byte, emit func([]byte, error)) {
	if f.discarding {
		return
	}
	if len(f.buf) >= f.max {
		f.buf = f.buf[:0]
		f.discarding = true
		emit(nil, fmt.Errorf("%w: more than %d bytes without a terminator; skipping to the next one", ErrFrameTooLong, f.max))
		return
	}
	f.buf = append(f.buf, b)
}

// end finishes the current frame; a frame cut by an overflow is dropped.
func (f *bounded) end(emit func([]byte, error)) {
	if !f.discarding && len(f.buf) > 0 {
		emit(f.buf, nil)
	}
	f.buf = f.buf[:0]
	f.discarding = false
}

// reset drops a partial frame without reporting it.
func (f *bounded) reset() {
	f.buf = f.buf[:0]
	f.discarding = false
}

// lineSplitter frames scanner output and text protocols by a suffix.
// Empty lines are skipped.
type lineSplitter struct {
	bounded
	end    byte
	mode   Suffix
	skipLF bool // SuffixCR: the previous byte ended a frame
	prevCR bool // SuffixCRLF: the previous byte was CR
}

func newLineSplitter(s Suffix, max int) (*lineSplitter, error) {
	end, mode, err := s.terminator()
	if err != nil {
		return nil, err
	}
	return &lineSplitter{bounded: newBounded(max), end: end, mode: mode}, nil
}

func (s *lineSplitter) feed(p []byte, emit func([]byte, error)) {
	for _, b := range p {
		switch s.mode {
		case SuffixCR:
			if b == '\r' {
				s.bounded.end(emit)
				s.skipLF = true
				continue
			}
			if b == '\n' && s.skipLF {
				s.skipLF = false
				continue
			}
			s.skipLF = false
		case SuffixLF:
			if b == '\n' {
				if n := len(s.buf); n > 0 && s.buf[n-1] == '\r' {
					s.buf = s.buf[:n-1]
				}
				s.bounded.end(emit)
				continue
			}
		case SuffixCRLF:
			if b == '\n' && s.prevCR {
				s.prevCR = false
				if n := len(s.buf); n > 0 && s.buf[n-1] == '\r' {
					s.buf = s.buf[:n-1]
				}
				s.bounded.end(emit)
				continue
			}
			s.prevCR = b == '\r'
		default:
			if b == s.end {
				s.bounded.end(emit)
				continue
			}
		}
		s.add(b, emit)
	}
}

// markerSplitter frames protocols with a start byte and an end byte, plus
// a fixed number of trailing bytes (a checksum): Toledo STX…CR[CHK], NCI
// LF…ETX. Bytes outside a frame are skipped. With restart set, a start
// byte inside a frame begins a new frame (the partial one was garbage).
// Parity bits are stripped first: 7E1 devices behind a pty or some USB
// bridges deliver them.
type markerSplitter struct {
	bounded
	start, stop byte
	trailer     int
	restart     bool
	// opaque says the next byte is data whatever its value, given the
	// frame so far (Toledo status words may equal STX or CR).
	opaque func(frame []byte) bool
	in     bool
	need   int // trailing bytes still to read
}

func (s *markerSplitter) feed(p []byte, emit func([]byte, error)) {
	for _, b := range p {
		b &= 0x7f
		switch {
		case s.need > 0:
			s.add(b, emit)
			s.need--
			if s.need == 0 {
				s.in = false
				s.bounded.end(emit)
			}
		case !s.in:
			if b == s.start {
				s.in = true
				s.bounded.reset()
				s.add(b, emit)
			}
		case s.opaque != nil && s.opaque(s.buf):
			s.add(b, emit)
		case b == s.start && s.restart:
			s.bounded.reset()
			s.add(b, emit)
		case b == s.stop:
			s.add(b, emit)
			if s.trailer > 0 {
				s.need = s.trailer
				continue
			}
			s.in = false
			s.bounded.end(emit)
		default:
			s.add(b, emit)
		}
	}
}

// fixedSplitter frames fixed-size records: HID reports, input events.
type fixedSplitter struct {
	size int
	buf  []byte
}

func newFixedSplitter(size int) *fixedSplitter {
	return &fixedSplitter{size: size, buf: make([]byte, 0, size)}
}

func (s *fixedSplitter) feed(p []byte, emit func([]byte, error)) {
	for len(p) > 0 {
		n := min(s.size-len(s.buf), len(p))
		s.buf = append(s.buf, p[:n]...)
		p = p[n:]
		if len(s.buf) == s.size {
			emit(s.buf, nil)
			s.buf = s.buf[:0]
		}
	}
}

// readFrames reads r until it fails, feeding every chunk to sp. A reader
// that keeps returning nothing (go.bug.st/serial's read timeout returns
// 0, nil) is reported as io.ErrNoProgress rather than spun on.
func readFrames(r io.Reader, sp splitter, emit func([]byte, error)) error {
	buf := make([]byte, 4096)
	empty := 0
	for {
		n, err := r.Read(buf)
		if n > 0 {
			empty = 0
			sp.feed(buf[:n], emit)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			if empty++; empty > 100 {
				return io.ErrNoProgress
			}
		}
	}
}
