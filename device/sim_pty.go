package device

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// ErrUnplugged is returned by a simulator's writes while it is unplugged.
var ErrUnplugged = errors.New("simulated device unplugged")

// PtyDevice is a simulated serial device: a pseudo-terminal pair whose
// slave side is reachable at a stable symlink, the way udev's
// /dev/serial/by-id links are. The station opens Path with go.bug.st/serial
// exactly as it opens a real port; the simulator plays the device on the
// master side. Unplug closes the pair and removes the link; Replug makes a
// new pair (a new /dev/pts/N) and points the link at it.
type PtyDevice struct {
	path    string
	onInput func(p []byte) // bytes the station wrote; called from the read goroutine

	mu     sync.Mutex
	master *os.File
	slave  *os.File // held open so the pty lives while no station has it
	closed bool
	wg     sync.WaitGroup // the master read goroutine
}

// NewPtyDevice creates a plugged-in pty device reachable at path (a
// symlink it creates; its directory must exist). onInput, if not nil,
// receives what the station writes.
func NewPtyDevice(path string, onInput func(p []byte)) (*PtyDevice, error) {
	d := &PtyDevice{path: path, onInput: onInput}
	if err := d.Replug(); err != nil {
		return nil, err
	}
	return d, nil
}

// Path is the stable path the station opens.
func (d *PtyDevice) Path() string { return d.path }

// Plugged reports whether the device is plugged in.
func (d *PtyDevice) Plugged() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.master != nil
}

// Replug plugs the device in (again): a new pty pair, raw mode, the link
// pointed at its slave. It does nothing when already plugged.
func (d *PtyDevice) Replug() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errors.New("pty device closed")
	}
	if d.master != nil {
		return nil
	}
	m, s, err := pty.Open()
	if err != nil {
		return fmt.Errorf("pty: %w", err)
	}
	// creack/pty uses Fd on the master, which leaves it in blocking mode,
	// where Close cannot interrupt a Read. Use a non-blocking copy.
	master, err := pollable(m)
	m.Close()
	if err != nil {
		s.Close()
		return err
	}
	// Raw mode now, not when the station opens it: until then the line
	// discipline would echo and cook what the device sends.
	if err := makeRaw(s); err != nil {
		master.Close()
		s.Close()
		return err
	}
	// The link is made aside and renamed over the path, so a reader never
	// sees the path missing.
	tmp := d.path + ".new"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		master.Close()
		s.Close()
		return fmt.Errorf("pty link %s: %w", d.path, err)
	}
	err = os.Symlink(s.Name(), tmp)
	if err == nil {
		err = os.Rename(tmp, d.path)
	}
	if err != nil {
		master.Close()
		s.Close()
		return fmt.Errorf("pty link %s: %w", d.path, err)
	}
	d.master, d.slave = master, s
	d.wg.Add(1)
	go d.readMaster(master)
	return nil
}

func (d *PtyDevice) readMaster(m *os.File) {
	defer d.wg.Done()
	buf := make([]byte, 1024)
	for {
		n, err := m.Read(buf)
		if n > 0 && d.onInput != nil {
			d.onInput(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// Unplug pulls the device: the link disappears and the pty pair closes,
// so the station's reads fail (go.bug.st/serial: PortClosed).
func (d *PtyDevice) Unplug() error {
	d.mu.Lock()
	m, s := d.master, d.slave
	d.master, d.slave = nil, nil
	if m != nil {
		os.Remove(d.path)
	}
	d.mu.Unlock()
	if m == nil {
		return nil
	}
	err := m.Close()
	d.wg.Wait()
	if serr := s.Close(); err == nil {
		err = serr
	}
	return err
}

// Write sends bytes from the device to the station.
func (d *PtyDevice) Write(p []byte) (int, error) {
	d.mu.Lock()
	m := d.master
	d.mu.Unlock()
	if m == nil {
		return 0, ErrUnplugged
	}
	n, err := m.Write(p)
	if err != nil && errors.Is(err, os.ErrClosed) {
		err = ErrUnplugged
	}
	return n, err
}

// pending returns how many bytes wait unread on the station side, so a
// streaming simulator can drop output nobody reads, as a UART would.
func (d *PtyDevice) pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.slave == nil {
		return 0
	}
	n := 0
	if rc, err := d.slave.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ) })
	}
	return n
}

// Close unplugs the device for good.
func (d *PtyDevice) Close() error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	return d.Unplug()
}

// pollable returns a non-blocking, close-on-exec duplicate of f that the
// Go runtime poller manages.
func pollable(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd := -1
	var derr error
	rc.Control(func(fd uintptr) { nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) })
	if derr != nil {
		return nil, fmt.Errorf("dup pty: %w", derr)
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return nil, err
	}
	return os.NewFile(uintptr(nfd), filepath.Base(f.Name())), nil
}

// makeRaw sets f to raw mode, like cfmakeraw(3).
func makeRaw(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var terr error
	rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			terr = err
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
		terr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
	})
	if terr != nil {
		return fmt.Errorf("pty raw mode: %w", terr)
	}
	return nil
}
