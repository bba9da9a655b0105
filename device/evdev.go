package device

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// InputEventSize is the size of a Linux struct input_event on this
// platform: a struct timeval (two longs), type u16, code u16, value s32.
// It is 24 bytes on 64-bit systems and 16 on 32-bit ones.
const InputEventSize = 2*strconv.IntSize/8 + 8

// Event types and key codes from linux/input-event-codes.h that the
// keyboard-wedge decoder uses.
const (
	evSyn = 0
	evKey = 1

	keyEnter      = 28
	keyKPEnter    = 96
	keyLeftShift  = 42
	keyRightShift = 54
	keyLeftCtrl   = 29
	keyRightCtrl  = 97
	keyLeftAlt    = 56
	keyRightAlt   = 100
	keyCapsLock   = 58
)

// eviocgrab is EVIOCGRAB, _IOW('E', 0x90, int); x/sys/unix lacks it.
const eviocgrab = 0x40044590

// InputEvent is one Linux input event as read from /dev/input/event*.
type InputEvent struct {
	Time  time.Time
	Type  uint16
	Code  uint16
	Value int32
}

// ParseInputEvent decodes one struct input_event in the kernel's byte
// format (native byte order, InputEventSize bytes).
func ParseInputEvent(b []byte) (InputEvent, error) {
	if len(b) != InputEventSize {
		return InputEvent{}, fmt.Errorf("input event: %d bytes, want %d", len(b), InputEventSize)
	}
	var sec, usec int64
	w := InputEventSize/2 - 4 // width of a long
	if w == 8 {
		sec, usec = int64(binary.NativeEndian.Uint64(b[0:])), int64(binary.NativeEndian.Uint64(b[8:]))
	} else {
		sec, usec = int64(int32(binary.NativeEndian.Uint32(b[0:]))), int64(int32(binary.NativeEndian.Uint32(b[4:])))
	}
	o := 2 * w
	return InputEvent{
		Time:  time.Unix(sec, usec*1000),
		Type:  binary.NativeEndian.Uint16(b[o:]),
		Code:  binary.NativeEndian.Uint16(b[o+2:]),
		Value: int32(binary.NativeEndian.Uint32(b[o+4:])),
	}, nil
}

// AppendInputEvent appends ev in the kernel's byte format. Simulators and
// tests use it to play a keyboard.
func AppendInputEvent(b []byte, ev InputEvent) []byte {
	w := InputEventSize/2 - 4
	usec := ev.Time.Nanosecond() / 1000
	if w == 8 {
		b = binary.NativeEndian.AppendUint64(b, uint64(ev.Time.Unix()))
		b = binary.NativeEndian.AppendUint64(b, uint64(usec))
	} else {
		b = binary.NativeEndian.AppendUint32(b, uint32(ev.Time.Unix()))
		b = binary.NativeEndian.AppendUint32(b, uint32(usec))
	}
	b = binary.NativeEndian.AppendUint16(b, ev.Type)
	b = binary.NativeEndian.AppendUint16(b, ev.Code)
	return binary.NativeEndian.AppendUint32(b, uint32(ev.Value))
}

// GrabInput takes an exclusive grab (EVIOCGRAB) on an open evdev device so
// its key presses reach only us, not the desktop or a console. The grab
// ends when the file is closed. On a file that is not an evdev device it
// returns an error wrapping ErrNotEvdev.
func GrabInput(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("grab %s: %w", f.Name(), err)
	}
	var ioErr error
	// Control, not Fd: Fd would switch the file to blocking mode and Close
	// could then no longer interrupt a pending Read.
	if err := rc.Control(func(fd uintptr) { ioErr = unix.IoctlSetInt(int(fd), eviocgrab, 1) }); err != nil {
		return fmt.Errorf("grab %s: %w", f.Name(), err)
	}
	switch {
	case ioErr == nil:
		return nil
	case errors.Is(ioErr, unix.ENOTTY), errors.Is(ioErr, unix.EINVAL):
		return fmt.Errorf("grab %s: %w: %w", f.Name(), ErrNotEvdev, ioErr)
	case errors.Is(ioErr, unix.EBUSY):
		return fmt.Errorf("grab %s: another program holds the grab: %w", f.Name(), ioErr)
	}
	return fmt.Errorf("grab %s: %w", f.Name(), ioErr)
}

// usKeys maps key codes to the characters of a US layout: unshifted,
// shifted. Keypad keys give digits whatever the NumLock state, since the
// state is unknown to a grabbing reader and scanners use the keypad for
// digits and Alt codes.
var usKeys = map[uint16][2]byte{
	2: {'1', '!'}, 3: {'2', '@'}, 4: {'3', '#'}, 5: {'4', '$'}, 6: {'5', '%'},
	7: {'6', '^'}, 8: {'7', '&'}, 9: {'8', '*'}, 10: {'9', '('}, 11: {'0', ')'},
	12: {'-', '_'}, 13: {'=', '+'}, 15: {'\t', '\t'},
	16: {'q', 'Q'}, 17: {'w', 'W'}, 18: {'e', 'E'}, 19: {'r', 'R'}, 20: {'t', 'T'},
	21: {'y', 'Y'}, 22: {'u', 'U'}, 23: {'i', 'I'}, 24: {'o', 'O'}, 25: {'p', 'P'},
	26: {'[', '{'}, 27: {']', '}'},
	30: {'a', 'A'}, 31: {'s', 'S'}, 32: {'d', 'D'}, 33: {'f', 'F'}, 34: {'g', 'G'},
	35: {'h', 'H'}, 36: {'j', 'J'}, 37: {'k', 'K'}, 38: {'l', 'L'},
	39: {';', ':'}, 40: {'\'', '"'}, 41: {'`', '~'}, 43: {'\\', '|'},
	44: {'z', 'Z'}, 45: {'x', 'X'}, 46: {'c', 'C'}, 47: {'v', 'V'}, 48: {'b', 'B'},
	49: {'n', 'N'}, 50: {'m', 'M'}, 51: {',', '<'}, 52: {'.', '>'}, 53: {'/', '?'},
	57: {' ', ' '},
	55: {'*', '*'}, 74: {'-', '-'}, 78: {'+', '+'}, 83: {'.', '.'}, 98: {'/', '/'},
	71: {'7', '7'}, 72: {'8', '8'}, 73: {'9', '9'},
	75: {'4', '4'}, 76: {'5', '5'}, 77: {'6', '6'},
	79: {'1', '1'}, 80: {'2', '2'}, 81: {'3', '3'}, 82: {'0', '0'},
}

// keypadDigit returns the digit of a keypad key, or -1.
func keypadDigit(code uint16) int {
	switch code {
	case 82:
		return 0
	case 79, 80, 81:
		return int(code-79) + 1
	case 75, 76, 77:
		return int(code-75) + 4
	case 71, 72, 73:
		return int(code-71) + 7
	}
	return -1
}

// keyDecoder turns key events into bytes with a US layout. It tracks
// Shift, Caps Lock, Ctrl and Alt so that the two ways scanners type GS
// work: Ctrl+] (any Ctrl+key gives its control character) and Alt held
// while typing a decimal code on the keypad (Alt+029, Alt+0029), which
// gives that byte when Alt is released.
type keyDecoder struct {
	lshift, rshift, lctrl, rctrl, lalt, ralt, caps bool
	altCode, altDigits                             int
}

// key handles one EV_KEY event. It returns the byte typed, if any, and
// whether the key ended the barcode (Enter).
func (d *keyDecoder) key(code uint16, value int32) (c byte, ok, end bool) {
	down := value == 1
	if value == 2 {
		return 0, false, false // auto-repeat: a scanner never holds a key
	}
	switch code {
	case keyLeftShift:
		d.lshift = down
		return
	case keyRightShift:
		d.rshift = down
		return
	case keyLeftCtrl:
		d.lctrl = down
		return
	case keyRightCtrl:
		d.rctrl = down
		return
	case keyLeftAlt, keyRightAlt:
		if code == keyLeftAlt {
			d.lalt = down
		} else {
			d.ralt = down
		}
		if down && !(d.lalt && d.ralt) {
			d.altCode, d.altDigits = 0, 0
		}
		if !d.lalt && !d.ralt && d.altDigits > 0 {
			v := d.altCode
			d.altCode, d.altDigits = 0, 0
			if v <= 0xff {
				return byte(v), true, false
			}
		}
		return
	case keyCapsLock:
		if down {
			d.caps = !d.caps
		}
		return
	}
	if !down {
		return
	}
	if code == keyEnter || code == keyKPEnter {
		return 0, false, true
	}
	if d.lalt || d.ralt {
		digit := keypadDigit(code)
		if digit < 0 && code >= 2 && code <= 11 {
			digit = int(code-1) % 10 // top-row digits, as some scanners send
		}
		if digit >= 0 && d.altDigits < 4 {
			d.altCode = d.altCode*10 + digit
			d.altDigits++
		}
		return // other Alt chords are shortcuts, not data
	}
	pair, known := usKeys[code]
	if !known {
		return
	}
	shift := d.lshift || d.rshift
	c = pair[0]
	if isLetter(c) {
		if shift != d.caps {
			c = pair[1]
		}
	} else if shift {
		c = pair[1]
	}
	if d.lctrl || d.rctrl {
		if c < 0x40 || c >= 0x7f {
			return 0, false, false
		}
		c &= 0x1f
	}
	return c, true, false
}

// keySplitter collects typed bytes into barcodes ended by Enter, within a
// bounded buffer.
type keySplitter struct {
	bounded
	dec keyDecoder
}

func newKeySplitter(max int) *keySplitter { return &keySplitter{bounded: newBounded(max)} }

func (k *keySplitter) event(ev InputEvent, emit func([]byte, error)) {
	if ev.Type != evKey {
		return // EV_SYN, EV_MSC (raw scan codes), LEDs
	}
	c, ok, end := k.dec.key(ev.Code, ev.Value)
	switch {
	case end:
		k.end(emit)
	case ok:
		k.add(c, emit)
	}
}
