package device

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/pickwave/pickwave"
	"golang.org/x/sys/unix"
)

// Printer sends ZPL to one label printer. Implementations serialise calls,
// so one Printer may be shared.
type Printer interface {
	// Print sends one job. nil means the printer has the whole job: on
	// transports that can ask (TCP, serial with status=on) it confirmed
	// receipt with a status reply; on the others every byte was written.
	// Any failure is a *PrintError whose Sent field says whether any byte
	// of the job was handed over; Retryable(err) tells a queue it may send
	// the job again. Print does not wait for the label to come out.
	Print(ctx context.Context, zpl []byte) error
	// Status asks the printer for its state. Known is false (and the
	// error nil) where the transport cannot report.
	Status(ctx context.Context) (PrinterStatus, error)
	// Close releases the printer; no connection is held between calls.
	Close() error
}

// Printer defaults.
const (
	defaultDialTimeout  = 3 * time.Second  // connect to a TCP printer
	defaultWriteTimeout = 30 * time.Second // hand over a job
	maxReply            = 4096
)

// OpenPrinter returns a Printer for uri. It does not connect: a printer
// that is off now can still be given jobs later. URIs:
//
//	tcp://host[:9100][?timeout=2s&status=on]     raw TCP, status by ~HS
//	serial:///dev/ttyUSB0?baud=9600[&databits=8&parity=none&stopbits=1&status=off]
//	serial:usb:0A5F:0001?baud=9600               a USB binding instead of a path
//	file:///dev/usb/lp0                          USB printer class device
//	file:usb:0A5F:0001                           the same, found by USB ID
//
// status=on makes Print check the printer before sending (refusing with
// ErrPrinterNotReady) and confirm receipt after; it is on for TCP and off
// for serial (many serial cables carry no reply). timeout bounds each
// status reply. The URI is read by pickwave.ParsePrinterURI, the parser
// station validation uses too; an invalid URI is its EINVALID error.
func OpenPrinter(ctx context.Context, uri string) (Printer, error) {
	u, err := pickwave.ParsePrinterURI(uri)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "tcp":
		return &tcpPrinter{uri: uri, addr: u.Addr, timeout: u.Timeout, check: u.Status}, nil
	case "serial":
		mode := SerialMode{Baud: u.Baud, DataBits: u.DataBits, Parity: u.Parity, StopBits: u.StopBits}
		open, err := SerialOpener(u.Device, mode)
		if err != nil {
			return nil, pickwave.Errorf(pickwave.EINVALID, "printer %q: %v", uri, err)
		}
		return &serialPrinter{uri: uri, open: open, timeout: u.Timeout, check: u.Status}, nil
	case "file":
		return &filePrinter{uri: uri, device: u.Device}, nil
	}
	return nil, pickwave.Errorf(pickwave.EINVALID, "printer %q: scheme %q: want tcp, serial or file", uri, u.Scheme)
}

// conversation is a connection that can be asked for a status: a TCP
// connection or a serial port, with a way to bound a read.
type conversation struct {
	rw          io.ReadWriter
	setDeadline func(time.Time) error
	timeout     time.Duration
}

// readUntil reads until complete says the reply is whole, the deadline
// passes (ErrNoReply) or the reply grows past maxReply. XON/XOFF bytes
// from serial printers are dropped.
func (c conversation) readUntil(buf []byte, deadline time.Time, complete func([]byte) bool) ([]byte, error) {
	tmp := make([]byte, 512)
	for !complete(buf) {
		if !time.Now().Before(deadline) {
			return buf, ErrNoReply
		}
		if err := c.setDeadline(deadline); err != nil {
			return buf, err
		}
		n, err := c.rw.Read(tmp)
		for _, b := range tmp[:n] {
			if b != 0x11 && b != 0x13 {
				buf = append(buf, b)
			}
		}
		if len(buf) > maxReply {
			return buf, fmt.Errorf("printer reply longer than %d bytes", maxReply)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return buf, ErrNoReply
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// status asks ~HS and, when the printer stays silent (Zebra printers do
// not answer ~HS with media out, ribbon out or head open), ~HQES.
func (c conversation) status() (PrinterStatus, error) {
	if _, err := c.rw.Write([]byte("~HS")); err != nil {
		return PrinterStatus{}, err
	}
	buf, err := c.readUntil(nil, time.Now().Add(c.timeout), hsComplete)
	if err == nil {
		return ParseHostStatus(buf)
	}
	if !errors.Is(err, ErrNoReply) {
		return PrinterStatus{}, err
	}
	if _, err := c.rw.Write([]byte("~HQES")); err != nil {
		return PrinterStatus{}, err
	}
	either := func(b []byte) bool { return hsComplete(b) || hqesComplete(b) }
	buf, err = c.readUntil(buf, time.Now().Add(c.timeout), either)
	switch {
	case err != nil:
		return PrinterStatus{}, fmt.Errorf("no reply to ~HS or ~HQES: %w", err)
	case hsComplete(buf):
		return ParseHostStatus(buf)
	}
	return ParseExtendedStatus(buf)
}

// deliver runs the shared part of Print over a conversation: check, write,
// confirm. The caller has connected.
func deliver(c conversation, uri string, zpl []byte, check bool, write func([]byte) (int, error)) error {
	fail := func(stage string, sent int, st *PrinterStatus, err error) error {
		return &PrintError{Printer: uri, Stage: stage, Sent: sent, Total: len(zpl), Status: st, Err: err}
	}
	if check {
		st, err := c.status()
		if err != nil {
			return fail("status", 0, nil, err)
		}
		if !st.Ready() {
			return fail("status", 0, &st, ErrPrinterNotReady)
		}
	}
	n, err := write(zpl)
	if err != nil {
		return fail("write", n, nil, err)
	}
	if check {
		// The printer answers ~HS only after reading everything before
		// it, so a reply confirms it has the whole job.
		st, err := c.status()
		if err != nil {
			return fail("confirm", n, nil, fmt.Errorf("%w: %w", ErrUnconfirmed, err))
		}
		if len(st.Problems()) > 0 {
			return fail("confirm", n, &st, ErrHeldAtPrinter)
		}
	}
	return nil
}

type tcpPrinter struct {
	uri, addr string
	timeout   time.Duration
	check     bool
	mu        sync.Mutex
}

func (p *tcpPrinter) dial(ctx context.Context) (net.Conn, func() bool, error) {
	d := net.Dialer{Timeout: defaultDialTimeout}
	conn, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, nil, err
	}
	// Cancelling ctx interrupts any read or write in progress.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return conn, stop, nil
}

func (p *tcpPrinter) conversation(conn net.Conn) conversation {
	return conversation{rw: conn, setDeadline: conn.SetReadDeadline, timeout: p.timeout}
}

func (p *tcpPrinter) Print(ctx context.Context, zpl []byte) error {
	if len(zpl) == 0 {
		return pickwave.Errorf(pickwave.EINVALID, "print to %s: empty job", p.uri)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	conn, stop, err := p.dial(ctx)
	if err != nil {
		return &PrintError{Printer: p.uri, Stage: "connect", Total: len(zpl), Err: err}
	}
	defer conn.Close()
	defer stop()
	err = deliver(p.conversation(conn), p.uri, zpl, p.check, func(b []byte) (int, error) {
		conn.SetWriteDeadline(time.Now().Add(defaultWriteTimeout))
		return conn.Write(b)
	})
	if err != nil && ctx.Err() != nil {
		var pe *PrintError
		if errors.As(err, &pe) {
			pe.Err = fmt.Errorf("%w (%w)", ctx.Err(), pe.Err)
		}
	}
	return err
}

func (p *tcpPrinter) Status(ctx context.Context) (PrinterStatus, error) {
	if !p.check {
		return PrinterStatus{}, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	conn, stop, err := p.dial(ctx)
	if err != nil {
		return PrinterStatus{}, unavailable(err, "printer %s", p.uri)
	}
	defer conn.Close()
	defer stop()
	st, err := p.conversation(conn).status()
	if err != nil {
		return PrinterStatus{}, unavailable(err, "printer %s: status", p.uri)
	}
	return st, nil
}

func (p *tcpPrinter) Close() error { return nil }

// timeoutSetter is the part of a go.bug.st/serial port that bounds a read.
type timeoutSetter interface {
	SetReadTimeout(time.Duration) error
}

type drainer interface{ Drain() error }

type serialPrinter struct {
	uri     string
	open    Opener
	timeout time.Duration
	check   bool
	mu      sync.Mutex
}

func (p *serialPrinter) conversation(port io.ReadWriter) conversation {
	set := func(t time.Time) error {
		if ts, ok := port.(timeoutSetter); ok {
			return ts.SetReadTimeout(max(time.Until(t), time.Millisecond))
		}
		return nil
	}
	return conversation{rw: &zeroIsTimeout{port}, setDeadline: set, timeout: p.timeout}
}

// zeroIsTimeout turns go.bug.st/serial's (0, nil) read timeout into an
// error readUntil understands.
type zeroIsTimeout struct{ io.ReadWriter }

func (z *zeroIsTimeout) Read(b []byte) (int, error) {
	n, err := z.ReadWriter.Read(b)
	if n == 0 && err == nil {
		return 0, os.ErrDeadlineExceeded
	}
	return n, err
}

func (p *serialPrinter) Print(ctx context.Context, zpl []byte) error {
	if len(zpl) == 0 {
		return pickwave.Errorf(pickwave.EINVALID, "print to %s: empty job", p.uri)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	port, err := p.open(ctx)
	if err != nil {
		return &PrintError{Printer: p.uri, Stage: "connect", Total: len(zpl), Err: err}
	}
	defer port.Close()
	return deliver(p.conversation(port), p.uri, zpl, p.check, func(b []byte) (int, error) {
		n, err := writeChunks(ctx, port, b)
		if err == nil {
			if d, ok := port.(drainer); ok {
				err = d.Drain()
			}
		}
		return n, err
	})
}

// writeChunks writes b in pieces so a cancelled ctx stops a long job
// between them.
func writeChunks(ctx context.Context, w io.Writer, b []byte) (int, error) {
	sent := 0
	for sent < len(b) {
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		n, err := w.Write(b[sent:min(len(b), sent+1024)])
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func (p *serialPrinter) Status(ctx context.Context) (PrinterStatus, error) {
	if !p.check {
		return PrinterStatus{}, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	port, err := p.open(ctx)
	if err != nil {
		return PrinterStatus{}, unavailable(err, "printer %s", p.uri)
	}
	defer port.Close()
	st, err := p.conversation(port).status()
	if err != nil {
		return PrinterStatus{}, unavailable(err, "printer %s: status", p.uri)
	}
	return st, nil
}

func (p *serialPrinter) Close() error { return nil }

// LPGETSTATUS and its bits, from linux/lp.h.
const (
	lpGetStatus = 0x060b
	lpPOutPA    = 0x20 // paper out, active high
	lpPSelecD   = 0x10 // selected (online), active high
	lpPErrorP   = 0x08 // error, active low
)

type filePrinter struct {
	uri, device string
	mu          sync.Mutex
}

func (p *filePrinter) openFile() (*os.File, error) {
	path, err := ResolveClass(ClassLP, p.device)
	if err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY, 0)
}

func (p *filePrinter) Print(ctx context.Context, zpl []byte) error {
	if len(zpl) == 0 {
		return pickwave.Errorf(pickwave.EINVALID, "print to %s: empty job", p.uri)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := p.openFile()
	if err != nil {
		return &PrintError{Printer: p.uri, Stage: "connect", Total: len(zpl), Err: err}
	}
	n, err := writeChunks(ctx, f, zpl)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &PrintError{Printer: p.uri, Stage: "write", Sent: n, Total: len(zpl), Err: err}
	}
	return nil
}

// Status reads the USB printer class status byte (LPGETSTATUS); a file
// that is not a printer reports unknown.
func (p *filePrinter) Status(ctx context.Context) (PrinterStatus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := p.openFile()
	if err != nil {
		return PrinterStatus{}, unavailable(err, "printer %s", p.uri)
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return PrinterStatus{}, nil
	}
	var v int
	var ioErr error
	rc.Control(func(fd uintptr) { v, ioErr = unix.IoctlGetInt(int(fd), lpGetStatus) })
	if ioErr != nil {
		return PrinterStatus{}, nil // not a printer class device: unknown
	}
	st := PrinterStatus{Known: true, PaperOut: v&lpPOutPA != 0, Offline: v&lpPSelecD == 0}
	if v&lpPErrorP == 0 && !st.PaperOut {
		st.Faults = append(st.Faults, "printer error")
	}
	return st, nil
}

func (p *filePrinter) Close() error { return nil }

// String makes URIs in logs readable.
func (p *tcpPrinter) String() string    { return p.uri }
func (p *serialPrinter) String() string { return p.uri }
func (p *filePrinter) String() string   { return p.uri }
