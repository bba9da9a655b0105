package device

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.bug.st/serial"
)

// Opener opens a device and returns a fresh connection to it. Readers need
// nothing more, so tests hand them a pseudo-terminal or a pipe and the
// product a serial port or a device file: the same code path.
type Opener func(ctx context.Context) (io.ReadWriteCloser, error)

// SerialMode is the line setting of a serial port. The zero value is
// 9600 8N1. USB CDC-ACM devices ignore it.
type SerialMode struct {
	Baud     int    `json:"baud,omitempty"`      // 0 means 9600
	DataBits int    `json:"data_bits,omitempty"` // 5–8; 0 means 8
	Parity   string `json:"parity,omitempty"`    // "none" (or ""), "odd", "even", "mark", "space"
	StopBits int    `json:"stop_bits,omitempty"` // 1 (or 0) or 2
}

func (m SerialMode) mode() (*serial.Mode, error) {
	sm := &serial.Mode{BaudRate: m.Baud, DataBits: m.DataBits}
	if sm.BaudRate == 0 {
		sm.BaudRate = 9600
	}
	if sm.DataBits == 0 {
		sm.DataBits = 8
	}
	if sm.DataBits < 5 || sm.DataBits > 8 {
		return nil, fmt.Errorf("data bits %d: want 5 to 8", m.DataBits)
	}
	switch strings.ToLower(m.Parity) {
	case "", "none", "n":
		sm.Parity = serial.NoParity
	case "odd", "o":
		sm.Parity = serial.OddParity
	case "even", "e":
		sm.Parity = serial.EvenParity
	case "mark", "m":
		sm.Parity = serial.MarkParity
	case "space", "s":
		sm.Parity = serial.SpaceParity
	default:
		return nil, fmt.Errorf("parity %q: want none, odd, even, mark or space", m.Parity)
	}
	switch m.StopBits {
	case 0, 1:
		sm.StopBits = serial.OneStopBit
	case 2:
		sm.StopBits = serial.TwoStopBits
	default:
		return nil, fmt.Errorf("stop bits %d: want 1 or 2", m.StopBits)
	}
	// InitialStatusBits stays nil: setting it makes Open fail on ptys and
	// on adapters without modem lines.
	return sm, nil
}

// String formats the mode as "9600 8N1".
func (m SerialMode) String() string {
	sm, err := m.mode()
	if err != nil {
		return "invalid: " + err.Error()
	}
	stop := 1
	if sm.StopBits == serial.TwoStopBits {
		stop = 2
	}
	return fmt.Sprintf("%d %d%c%d", sm.BaudRate, sm.DataBits, "NOEMS"[sm.Parity], stop)
}

// SerialOpener returns an Opener for a serial port. device is a path
// (/dev/ttyACM0, /dev/serial/by-id/…, a symlink to a pty) or a USB binding
// "usb:VID:PID[:SERIAL]" resolved again on every open, so the device is
// found after it re-enumerates under another name.
func SerialOpener(device string, mode SerialMode) (Opener, error) {
	sm, err := mode.mode()
	if err != nil {
		return nil, fmt.Errorf("serial %s: %w", device, err)
	}
	return func(ctx context.Context) (io.ReadWriteCloser, error) {
		path, err := ResolveClass(ClassTTY, device)
		if err != nil {
			return nil, err
		}
		p, err := serial.Open(path, sm)
		if err != nil {
			return nil, fmt.Errorf("open serial %s: %w", path, serialErr(err))
		}
		return p, nil
	}, nil
}

// serialErr makes go.bug.st/serial's errors work with errors.Is: its
// PortNotFound becomes fs.ErrNotExist (on Linux a missing path already
// comes back as ENOENT).
func serialErr(err error) error {
	var pe *serial.PortError
	if errors.As(err, &pe) && pe.Code() == serial.PortNotFound {
		return fmt.Errorf("%w: %w", err, os.ErrNotExist)
	}
	return err
}

// fileOpener opens a device file such as /dev/hidraw0 or
// /dev/input/event3, resolving a USB binding in class first, and calls
// setup (the evdev grab) on it.
func fileOpener(device string, class Class, flag int, setup func(*os.File) error) Opener {
	return func(ctx context.Context) (io.ReadWriteCloser, error) {
		path, err := ResolveClass(class, device)
		if err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, flag|os.O_RDONLY, 0)
		if err != nil {
			return nil, err
		}
		if setup != nil {
			if err := setup(f); err != nil {
				f.Close()
				return nil, err
			}
		}
		return f, nil
	}
}
