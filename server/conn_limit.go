package server

import (
	"net"
	"sync"
)

// limitListener caps the connections open at once, in all and per remote
// address, so that a host on the floor network cannot hold every file
// descriptor and goroutine of the server. A connection over a cap is
// closed as soon as it is accepted, before a byte is read, and counted.
// A connection counts until it is closed, also after a websocket hijacked
// it: the hijacker closes the same net.Conn.
type limitListener struct {
	net.Listener
	max, perAddr int          // <= 0: no cap
	refused      func(string) // called with "total" or "address" for each refusal

	mu     sync.Mutex
	open   int
	byAddr map[string]int
}

func newLimitListener(ln net.Listener, max, perAddr int, refused func(string)) *limitListener {
	return &limitListener{Listener: ln, max: max, perAddr: perAddr, refused: refused, byAddr: map[string]int{}}
}

// Accept returns the next connection within the caps, closing those over.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := connHost(c)
		if over := l.take(addr); over != "" {
			c.Close() // nothing was written: the client sees the connection end
			l.refused(over)
			continue
		}
		return &limitedConn{Conn: c, l: l, addr: addr}, nil
	}
}

// take counts a new connection from addr, or names the cap it is over.
func (l *limitListener) take(addr string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.open >= l.max {
		return "total"
	}
	if l.perAddr > 0 && l.byAddr[addr] >= l.perAddr {
		return "address"
	}
	l.open++
	l.byAddr[addr]++
	return ""
}

func (l *limitListener) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
}

// connHost is the connection's remote IP address, without the port.
func connHost(c net.Conn) string { return remoteHost(c.RemoteAddr().String()) }

// limitedConn gives its place back when it is closed, once.
type limitedConn struct {
	net.Conn
	l    *limitListener
	addr string
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.addr) })
	return err
}
