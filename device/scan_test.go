package device

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// splitAll feeds input in chunks of the given sizes (cycled) and collects
// frames and errors.
func splitAll(sp splitter, input []byte, chunks ...int) (frames []string, errs []error) {
	emit := func(f []byte, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		frames = append(frames, string(f))
	}
	if len(chunks) == 0 {
		chunks = []int{len(input) + 1}
	}
	for i := 0; len(input) > 0; i++ {
		n := min(chunks[i%len(chunks)], len(input))
		sp.feed(input[:n], emit)
		input = input[n:]
	}
	return frames, errs
}

func TestLineSplitter(t *testing.T) {
	tests := []struct {
		name   string
		suffix Suffix
		in     string
		want   []string
	}{
		{"cr", SuffixCR, "ABC\rDEF\r", []string{"ABC", "DEF"}},
		{"cr tolerates crlf", SuffixCR, "ABC\r\nDEF\r\n", []string{"ABC", "DEF"}},
		{"cr keeps lf inside", SuffixCR, "A\nB\r", []string{"A\nB"}},
		{"lf", SuffixLF, "ABC\nDEF\n", []string{"ABC", "DEF"}},
		{"lf strips cr", SuffixLF, "ABC\r\nDEF\n", []string{"ABC", "DEF"}},
		{"crlf", SuffixCRLF, "ABC\r\nDEF\r\n", []string{"ABC", "DEF"}},
		{"crlf lone cr is data", SuffixCRLF, "A\rB\r\n", []string{"A\rB"}},
		{"custom tab", SuffixByte('\t'), "ABC\tDEF\t", []string{"ABC", "DEF"}},
		{"empty lines skipped", SuffixCR, "\r\r\rABC\r\r", []string{"ABC"}},
		{"gs kept", SuffixCR, "]C1010123\x1d10AB\r", []string{"]C1010123\x1d10AB"}},
		{"no terminator yet", SuffixCR, "ABC", nil},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 2, 3, 100} {
			sp, err := newLineSplitter(tt.suffix, 64)
			if err != nil {
				t.Fatal(err)
			}
			got, errs := splitAll(sp, []byte(tt.in), chunk)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(errs) > 0 {
				t.Errorf("%s (chunks of %d): got %q %v, want %q", tt.name, chunk, got, errs, tt.want)
			}
		}
	}
}

func TestLineSplitter_TooLong(t *testing.T) {
	sp, _ := newLineSplitter(SuffixCR, 8)
	got, errs := splitAll(sp, []byte("OK\r0123456789ABCDEF\rNEXT\r"), 3)
	if strings.Join(got, "|") != "OK|NEXT" {
		t.Errorf("frames %q, want OK and NEXT", got)
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrFrameTooLong) {
		t.Errorf("errors %v, want one ErrFrameTooLong", errs)
	}
	if cap(sp.buf) != 8 {
		t.Errorf("buffer grew to %d bytes, max 8", cap(sp.buf))
	}
}

func TestSuffix_Invalid(t *testing.T) {
	for _, s := range []Suffix{"tab", "0x1", "0xzz", "0x123"} {
		if _, err := newLineSplitter(s, 8); err == nil {
			t.Errorf("suffix %q accepted", s)
		}
	}
}

func TestParseScan(t *testing.T) {
	tests := []struct {
		name, frame, prefix string
		want                Scan
	}{
		{"plain", "12345", "", Scan{Data: "12345"}},
		{"aim ean13", "]E04006381333931", "", Scan{Data: "4006381333931", Symbology: "]E0"}},
		{"gs1 datamatrix keeps gs", "]d2011231231231233310ABC123\x1d99TESTING", "", Scan{Data: "011231231231233310ABC123\x1d99TESTING", Symbology: "]d2"}},
		{"prefix then aim", "STX]C1(00)", "STX", Scan{Data: "(00)", Symbology: "]C1"}},
		{"prefix absent", "]Q3abc", "PFX", Scan{Data: "abc", Symbology: "]Q3"}},
		{"not aim", "]1abc", "", Scan{Data: "]1abc"}},
		{"short", "]C", "", Scan{Data: "]C"}},
	}
	for _, tt := range tests {
		if got := ParseScan([]byte(tt.frame), tt.prefix); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if !(Scan{Symbology: "]C1"}).GS1() || (Scan{Symbology: "]C0"}).GS1() {
		t.Error("GS1() wrong")
	}
}

func TestDedup(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	d := Dedup{Window: time.Second}
	steps := []struct {
		data string
		at   time.Duration
		want bool
	}{
		{"A", 0, true},
		{"A", 300 * time.Millisecond, false},  // double read
		{"A", 1200 * time.Millisecond, false}, // still held: the window slides
		{"A", 2300 * time.Millisecond, true},  // away for over a second
		{"B", 2400 * time.Millisecond, true},
		{"A", 2500 * time.Millisecond, true}, // another code in between
	}
	for i, s := range steps {
		if got := d.Allow(Scan{Data: s.data, Time: t0.Add(s.at)}); got != s.want {
			t.Errorf("step %d (%s at %v): Allow = %v, want %v", i, s.data, s.at, got, s.want)
		}
	}
	var off Dedup
	off.Allow(Scan{Data: "A", Time: t0})
	if !off.Allow(Scan{Data: "A", Time: t0}) {
		t.Error("zero window suppressed a read")
	}
}

// FuzzScanFraming checks the scanner framer on any stream and chunking:
// no frame is empty, longer than the limit, or holds a terminator, and
// memory stays bounded.
func FuzzScanFraming(f *testing.F) {
	f.Add([]byte("ABC\rDEF\r\n]C1010\x1d10X\r"), uint8(0), uint64(1))
	f.Add(bytes.Repeat([]byte("x"), 100), uint8(1), uint64(7))
	f.Add([]byte("\r\n\r\n\n\r"), uint8(2), uint64(3))
	f.Add([]byte("a\tb\t"), uint8(3), uint64(9))
	f.Fuzz(func(t *testing.T, in []byte, mode uint8, seed uint64) {
		suffix := []Suffix{SuffixCR, SuffixLF, SuffixCRLF, SuffixByte('\t')}[mode%4]
		const max = 32
		sp, err := newLineSplitter(suffix, max)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(seed, seed))
		var frames []string
		emit := func(fr []byte, err error) {
			if err != nil {
				if !errors.Is(err, ErrFrameTooLong) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(fr) == 0 || len(fr) > max {
				t.Fatalf("frame of %d bytes", len(fr))
			}
			switch suffix {
			case SuffixCR:
				if bytes.IndexByte(fr, '\r') >= 0 {
					t.Fatalf("frame %q holds CR", fr)
				}
			case SuffixLF:
				if bytes.IndexByte(fr, '\n') >= 0 {
					t.Fatalf("frame %q holds LF", fr)
				}
			case SuffixCRLF:
				if bytes.Contains(fr, []byte("\r\n")) {
					t.Fatalf("frame %q holds CRLF", fr)
				}
			}
			frames = append(frames, string(fr))
		}
		rest := in
		for len(rest) > 0 {
			n := 1 + r.IntN(len(rest))
			sp.feed(rest[:n], emit)
			rest = rest[n:]
		}
		if cap(sp.buf) > max {
			t.Fatalf("buffer grew to %d", cap(sp.buf))
		}
		// The same stream in one piece gives the same frames.
		sp2, _ := newLineSplitter(suffix, max)
		var whole []string
		sp2.feed(in, func(fr []byte, err error) {
			if err == nil {
				whole = append(whole, string(fr))
			}
		})
		if strings.Join(whole, "\x00") != strings.Join(frames, "\x00") {
			t.Fatalf("chunking changed frames: %q vs %q", frames, whole)
		}
	})
}
