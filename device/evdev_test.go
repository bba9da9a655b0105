package device

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// keyboard builds the kernel byte stream a keyboard-wedge scanner makes.
type keyboard struct {
	b []byte
	t time.Time
}

func (k *keyboard) ev(typ, code uint16, value int32) {
	k.t = k.t.Add(time.Millisecond)
	k.b = AppendInputEvent(k.b, InputEvent{Time: k.t, Type: typ, Code: code, Value: value})
}

// press sends a key down and up with a SYN and a MSC_SCAN, as the kernel does.
func (k *keyboard) press(code uint16) {
	k.ev(4, 4, 0x70000+int32(code)) // EV_MSC MSC_SCAN: ignored
	k.ev(evKey, code, 1)
	k.ev(evSyn, 0, 0)
	k.ev(evKey, code, 0)
	k.ev(evSyn, 0, 0)
}

func (k *keyboard) hold(code uint16, f func()) {
	k.ev(evKey, code, 1)
	f()
	k.ev(evKey, code, 0)
}

var usCodes = func() map[byte]uint16 {
	m := map[byte]uint16{}
	for code, pair := range usKeys {
		if code >= 71 && code <= 83 || code == 55 || code == 98 {
			continue // prefer the main block
		}
		m[pair[0]] = code
	}
	return m
}()

var usShifted = func() map[byte]uint16 {
	m := map[byte]uint16{}
	for code, pair := range usKeys {
		if pair[1] != pair[0] && !(code >= 71 && code <= 83) {
			m[pair[1]] = code
		}
	}
	return m
}()

// typeText types s on a US layout.
func (k *keyboard) typeText(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if code, ok := usCodes[c]; ok {
			k.press(code)
		} else if code, ok := usShifted[c]; ok {
			k.hold(keyLeftShift, func() { k.press(code) })
		} else {
			panic("no key for " + string(c))
		}
	}
}

func (k *keyboard) enter() { k.press(keyEnter) }

// decodeKeys runs raw event bytes through the keyboard-wedge pipeline.
func decodeKeys(b []byte, max int) (frames []string, errs []error) {
	ks := newKeySplitter(max)
	newFixedSplitter(InputEventSize).feed(b, func(rec []byte, _ error) {
		ev, err := ParseInputEvent(rec)
		if err != nil {
			panic(err)
		}
		ks.event(ev, func(f []byte, err error) {
			if err != nil {
				errs = append(errs, err)
				return
			}
			frames = append(frames, string(f))
		})
	})
	return frames, errs
}

func TestInputEvent_RoundTrip(t *testing.T) {
	if InputEventSize != 24 {
		t.Logf("InputEventSize %d (32-bit platform)", InputEventSize)
	}
	ev := InputEvent{Time: time.Unix(1700000000, 123456000), Type: evKey, Code: 30, Value: 1}
	b := AppendInputEvent(nil, ev)
	if len(b) != InputEventSize {
		t.Fatalf("%d bytes", len(b))
	}
	got, err := ParseInputEvent(b)
	if err != nil || !got.Time.Equal(ev.Time) || got.Type != ev.Type || got.Code != ev.Code || got.Value != ev.Value {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := ParseInputEvent(b[:10]); err == nil {
		t.Error("short event accepted")
	}
}

func TestKeyDecoder(t *testing.T) {
	tests := []struct {
		name string
		play func(k *keyboard)
		want []string
	}{
		{"digits and letters", func(k *keyboard) { k.typeText("Ab1-xY"); k.enter() }, []string{"Ab1-xY"}},
		{"symbols", func(k *keyboard) { k.typeText("(01)09/x?:\"~"); k.enter() }, []string{"(01)09/x?:\"~"}},
		{"caps lock", func(k *keyboard) {
			k.press(keyCapsLock)
			k.typeText("ab1")
			k.hold(keyLeftShift, func() { k.press(usCodes['c']) })
			k.press(keyCapsLock)
			k.typeText("d")
			k.enter()
		}, []string{"AB1cd"}},
		{"ctrl+] is GS", func(k *keyboard) {
			k.typeText("0101234")
			k.hold(keyLeftCtrl, func() { k.press(usCodes[']']) })
			k.typeText("10AB")
			k.enter()
		}, []string{"0101234\x1d10AB"}},
		{"alt+029 on keypad is GS", func(k *keyboard) {
			k.typeText("10X")
			k.hold(keyLeftAlt, func() { k.press(82); k.press(80); k.press(73) })
			k.typeText("21Y")
			k.enter()
		}, []string{"10X\x1d21Y"}},
		{"alt+0029", func(k *keyboard) {
			k.hold(keyRightAlt, func() { k.press(82); k.press(82); k.press(80); k.press(73) })
			k.enter()
		}, []string{"\x1d"}},
		{"keypad enter and keypad digits", func(k *keyboard) { k.press(79); k.press(80); k.press(keyKPEnter) }, []string{"12"}},
		{"repeat ignored", func(k *keyboard) {
			k.ev(evKey, usCodes['a'], 1)
			k.ev(evKey, usCodes['a'], 2)
			k.ev(evKey, usCodes['a'], 0)
			k.enter()
		}, []string{"a"}},
		{"two barcodes", func(k *keyboard) { k.typeText("A"); k.enter(); k.typeText("B"); k.enter() }, []string{"A", "B"}},
		{"unknown keys skipped", func(k *keyboard) { k.press(59); k.typeText("Z"); k.enter() }, []string{"Z"}},
	}
	for _, tt := range tests {
		k := &keyboard{t: time.Unix(1700000000, 0)}
		tt.play(k)
		got, errs := decodeKeys(k.b, 64)
		if len(errs) > 0 || len(got) != len(tt.want) {
			t.Errorf("%s: got %q %v, want %q", tt.name, got, errs, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: got %q, want %q", tt.name, got[i], tt.want[i])
			}
		}
	}
}

func TestKeyDecoder_TooLong(t *testing.T) {
	k := &keyboard{t: time.Unix(1700000000, 0)}
	for range 20 {
		k.typeText("x")
	}
	k.enter()
	k.typeText("ok")
	k.enter()
	got, errs := decodeKeys(k.b, 8)
	if len(errs) != 1 || !errors.Is(errs[0], ErrFrameTooLong) || len(got) != 1 || got[0] != "ok" {
		t.Fatalf("got %q %v", got, errs)
	}
}

// pipeRWC is the read end of an os.Pipe as a device connection.
type pipeRWC struct {
	*os.File
	w io.Writer // where the reader's writes (commands) go; nil refuses them
}

func (p pipeRWC) Write(b []byte) (int, error) {
	if p.w == nil {
		return 0, errors.New("read-only device")
	}
	return p.w.Write(b)
}

// TestScanner_Evdev feeds a Scanner the kernel byte format through an
// os.Pipe, split at awkward places, then closes the pipe (unplug) and
// hands it a new one (replug).
func TestScanner_Evdev(t *testing.T) {
	pipes := make(chan *os.File, 2)
	open := func(ctx context.Context) (io.ReadWriteCloser, error) {
		select {
		case r := <-pipes:
			return pipeRWC{File: r}, nil
		default:
			return nil, os.ErrNotExist
		}
	}
	newPipe := func() *os.File {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		pipes <- r
		return w
	}
	scans := make(chan Scan, 10)
	stateCh, onState := states()
	sc, err := NewScanner(ScannerConfig{Transport: TransportEvdev, Device: "usb:05e0:1200", Open: open,
		OnScan: func(s Scan) { scans <- s }, OnState: onState, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	w := newPipe()
	run(t, sc)
	awaitState(t, stateCh, true, 2*time.Second)

	k := &keyboard{t: time.Unix(1700000000, 0)}
	k.typeText("]C1")
	k.typeText("0104006381333931")
	k.hold(keyLeftCtrl, func() { k.press(usCodes[']']) })
	k.typeText("10LOT7")
	k.enter()
	// Split mid-event.
	for _, piece := range [][]byte{k.b[:7], k.b[7:100], k.b[100:]} {
		if _, err := w.Write(piece); err != nil {
			t.Fatal(err)
		}
	}
	s := recv(t, scans, 2*time.Second, "evdev scan")
	if s.Symbology != "]C1" || s.Data != "0104006381333931\x1d10LOT7" {
		t.Fatalf("got %+v", s)
	}

	w.Close() // unplug: EOF
	awaitState(t, stateCh, false, 2*time.Second)
	w = newPipe()
	defer w.Close()
	awaitState(t, stateCh, true, 2*time.Second)
	k = &keyboard{t: time.Unix(1700000001, 0)}
	k.typeText("AGAIN")
	k.enter()
	w.Write(k.b)
	if s := recv(t, scans, 2*time.Second, "scan after replug"); s.Data != "AGAIN" {
		t.Fatalf("got %+v", s)
	}
}

func TestGrabInput_NotEvdev(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "not-evdev")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = GrabInput(f)
	if !errors.Is(err, ErrNotEvdev) {
		t.Fatalf("GrabInput on a regular file: %v, want ErrNotEvdev", err)
	}
	t.Logf("regular file: %v", err)
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	if err := GrabInput(r); !errors.Is(err, ErrNotEvdev) {
		t.Fatalf("GrabInput on a pipe: %v, want ErrNotEvdev", err)
	}
	// The evdev opener refuses such a file with the same error.
	open := fileOpener(f.Name(), ClassInput, 0, GrabInput)
	if _, err := open(context.Background()); !errors.Is(err, ErrNotEvdev) {
		t.Fatalf("opener: %v", err)
	}
}

// FuzzEvdev feeds arbitrary bytes as input events: the decoder must not
// panic, and every barcode stays within the limit.
func FuzzEvdev(f *testing.F) {
	k := &keyboard{t: time.Unix(1700000000, 0)}
	k.typeText("Ab1")
	k.hold(keyLeftAlt, func() { k.press(82); k.press(80); k.press(73) })
	k.hold(keyLeftCtrl, func() { k.press(usCodes[']']) })
	k.enter()
	f.Add(k.b)
	f.Add(make([]byte, InputEventSize*3))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		frames, _ := decodeKeys(b, 16)
		for _, fr := range frames {
			if len(fr) == 0 || len(fr) > 16 {
				t.Fatalf("frame of %d bytes", len(fr))
			}
		}
	})
}
