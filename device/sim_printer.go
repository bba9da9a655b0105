package device

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
)

// PrinterSim is a Zebra-style ZPL printer on a loopback TCP port. It keeps
// every label it receives (one ^XA…^XZ format each), answers ~HS with the
// three-line host status and ~HQES with the error bits, and has switches
// for the faults a pack station meets: offline (connection refused),
// unplugged (connections cut), paper out, ribbon out, head open, paused.
// Labels received while a fault is on are held, as a real printer holds
// them in its buffer, and come out when the fault clears.
type PrinterSim struct {
	addr string

	mu             sync.Mutex
	ln             net.Listener // nil while offline
	conns          map[net.Conn]struct{}
	printed, held  [][]byte
	paperOut, head bool
	ribbon, paused bool
	silentOnError  bool
	accepted       int
	changed        chan struct{} // closed and replaced on every change
	closed         bool
	wg             sync.WaitGroup
}

// maxFormat bounds one format the simulator buffers.
const maxFormat = 1 << 20

// NewPrinterSim starts a printer listening on addr ("127.0.0.1:0" picks a
// free port).
func NewPrinterSim(addr string) (*PrinterSim, error) {
	p := &PrinterSim{conns: map[net.Conn]struct{}{}, changed: make(chan struct{})}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("printer sim: %w", err)
	}
	p.addr = ln.Addr().String()
	p.mu.Lock()
	p.serve(ln)
	p.mu.Unlock()
	return p, nil
}

// Addr is the host:port the printer listens on, also while offline.
func (p *PrinterSim) Addr() string { return p.addr }

// URI is the printer's tcp:// URI for OpenPrinter.
func (p *PrinterSim) URI() string { return "tcp://" + p.addr }

// serve starts the accept loop on ln; p.mu is held.
func (p *PrinterSim) serve(ln net.Listener) {
	p.ln = ln
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.ln != ln {
				p.mu.Unlock()
				c.Close()
				return
			}
			p.conns[c] = struct{}{}
			p.accepted++
			p.mu.Unlock()
			p.wg.Go(func() { p.handle(c) })
		}
	})
}

// SetOnline switches the printer on or off. Off closes the listening
// socket, so connections are refused; on listens again on the same port.
func (p *PrinterSim) SetOnline(on bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("printer sim closed")
	}
	switch {
	case on && p.ln == nil:
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			return fmt.Errorf("printer sim: listen again: %w", err)
		}
		p.serve(ln)
	case !on && p.ln != nil:
		p.ln.Close()
		p.ln = nil
	}
	p.signal()
	return nil
}

// Unplug takes the printer off the network at once: it stops listening
// and cuts every open connection. SetOnline(true) brings it back.
func (p *PrinterSim) Unplug() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.signal()
}

// SetPaperOut sets the media-out condition.
func (p *PrinterSim) SetPaperOut(v bool) { p.set(func() { p.paperOut = v }) }

// SetHeadOpen sets the head-open condition.
func (p *PrinterSim) SetHeadOpen(v bool) { p.set(func() { p.head = v }) }

// SetRibbonOut sets the ribbon-out condition.
func (p *PrinterSim) SetRibbonOut(v bool) { p.set(func() { p.ribbon = v }) }

// SetPaused pauses or resumes printing (~PS also resumes).
func (p *PrinterSim) SetPaused(v bool) { p.set(func() { p.paused = v }) }

// SetSilentOnError makes the printer stay silent on ~HS while paper or
// ribbon is out or the head is open, as Zebra documents; ~HQES still
// answers.
func (p *PrinterSim) SetSilentOnError(v bool) { p.set(func() { p.silentOnError = v }) }

func (p *PrinterSim) set(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
	p.release()
	p.signal()
}

// release prints held labels once nothing stops printing; p.mu is held.
func (p *PrinterSim) release() {
	if p.ready() && len(p.held) > 0 {
		p.printed = append(p.printed, p.held...)
		p.held = nil
	}
}

func (p *PrinterSim) ready() bool { return !p.paperOut && !p.head && !p.ribbon && !p.paused }

// signal wakes WaitLabels; p.mu is held.
func (p *PrinterSim) signal() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Labels returns copies of the labels printed so far, in order.
func (p *PrinterSim) Labels() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([][]byte, len(p.printed))
	for i, l := range p.printed {
		out[i] = append([]byte(nil), l...)
	}
	return out
}

// Held returns how many labels wait in the printer for a fault to clear.
func (p *PrinterSim) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.held)
}

// Connections returns how many connections the printer has accepted.
func (p *PrinterSim) Connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// WaitLabels waits until at least n labels are printed or ctx ends.
func (p *PrinterSim) WaitLabels(ctx context.Context, n int) error {
	for {
		p.mu.Lock()
		got, ch := len(p.printed), p.changed
		p.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("printer sim: %d of %d labels: %w", got, n, ctx.Err())
		}
	}
}

// Close stops the printer and waits for its goroutines.
func (p *PrinterSim) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.Unplug()
	p.wg.Wait()
	return nil
}

// handle reads one connection: formats, ~HS, ~HQES, ~JA, ~PS.
func (p *PrinterSim) handle(c net.Conn) {
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
	}()
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		var replies [][]byte
		buf, replies = p.consume(buf)
		for _, r := range replies {
			if _, werr := c.Write(r); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// consume takes whole commands off buf and returns the rest and replies.
func (p *PrinterSim) consume(buf []byte) ([]byte, [][]byte) {
	var replies [][]byte
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		i := indexAnyByte(buf, '^', '~')
		if i < 0 {
			return buf[:0], replies
		}
		buf = buf[i:]
		if len(buf) < 3 {
			return buf, replies
		}
		cmd := upper2(buf[1], buf[2])
		if buf[0] == '~' {
			switch cmd {
			case "HS":
				buf = buf[3:]
				if !(p.silentOnError && (p.paperOut || p.ribbon || p.head)) {
					replies = append(replies, p.hostStatus())
				}
			case "HQ":
				if len(buf) < 5 {
					return buf, replies
				}
				buf = buf[5:]
				replies = append(replies, p.extendedStatus())
			case "JA":
				buf = buf[3:]
				p.held = nil
				p.signal()
			case "PS":
				buf = buf[3:]
				p.paused = false
				p.release()
				p.signal()
			default:
				buf = buf[1:]
			}
			continue
		}
		if cmd != "XA" {
			buf = buf[1:]
			continue
		}
		end := indexXZ(buf[3:])
		if end < 0 {
			if len(buf) > maxFormat {
				return buf[:0], replies // garbage: drop it
			}
			return buf, replies
		}
		label := append([]byte(nil), buf[:3+end+3]...)
		buf = buf[3+end+3:]
		if p.ready() {
			p.printed = append(p.printed, label)
		} else {
			p.held = append(p.held, label)
		}
		p.signal()
	}
}

func (p *PrinterSim) hostStatus() []byte {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return fmt.Appendf(nil,
		"\x02030,%d,%d,1218,%03d,0,0,0,000,0,0,0\x03\r\n\x02001,0,%d,%d,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
		b(p.paperOut), b(p.paused), len(p.held), b(p.head), b(p.ribbon))
}

func (p *PrinterSim) extendedStatus() []byte {
	bits := 0
	if p.paperOut {
		bits |= 1
	}
	if p.ribbon {
		bits |= 2
	}
	if p.head {
		bits |= 4
	}
	flag := 0
	if bits != 0 {
		flag = 1
	}
	return fmt.Appendf(nil, "\x02\r\n  PRINTER STATUS\r\n     ERRORS:         %d 00000000 %08X\r\n     WARNINGS:       0 00000000 00000000\r\n\x03\r\n", flag, bits)
}

func indexAnyByte(b []byte, x, y byte) int {
	for i, c := range b {
		if c == x || c == y {
			return i
		}
	}
	return -1
}

func upper2(a, b byte) string {
	up := func(c byte) byte {
		if c >= 'a' && c <= 'z' {
			return c - 32
		}
		return c
	}
	return string([]byte{up(a), up(b)})
}

// indexXZ finds "^XZ" in any case.
func indexXZ(b []byte) int {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '^' && upper2(b[i+1], b[i+2]) == "XZ" {
			return i
		}
	}
	return -1
}
