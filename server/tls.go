package server

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// sniffTimeout bounds how long a new connection may take to send its
// first byte before it is closed; it is the slow-header bound of a plain
// listener, applied before the server's own.
const sniffTimeout = 10 * time.Second

// tlsHandshakeRecord is the first byte of every TLS connection: a
// handshake record (RFC 8446, 5.1). No HTTP request starts with it.
const tlsHandshakeRecord = 0x16

// mixedListener serves TLS and plain HTTP on one port. It reads each new
// connection's first byte: a TLS handshake is handed to the server as a
// *tls.Conn (which net/http recognises and completes), anything else as
// it is, for the handler to redirect to https. So a person who types
// http://floor-pc:8443 lands on the right page instead of a "client sent
// an HTTP request to an HTTPS server" error.
//
// Sniffing waits for the client, so it runs on a goroutine per new
// connection, never in Accept: one silent client cannot hold up the
// others. The listener owns those goroutines and its accept loop; Close
// stops them and waits for them.
type mixedListener struct {
	inner  net.Listener
	config *tls.Config

	conns chan net.Conn
	errs  chan error
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup

	mu       sync.Mutex
	sniffing map[net.Conn]struct{} // closed by Close, so it need not wait
}

func newMixedListener(inner net.Listener, config *tls.Config) *mixedListener {
	l := &mixedListener{inner: inner, config: config,
		conns: make(chan net.Conn), errs: make(chan error), done: make(chan struct{}),
		sniffing: map[net.Conn]struct{}{}}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

func (l *mixedListener) acceptLoop() {
	defer l.wg.Done()
	for {
		c, err := l.inner.Accept()
		if err != nil {
			select {
			case l.errs <- err: // http.Server backs off on a temporary error and asks again
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		l.mu.Lock()
		l.sniffing[c] = struct{}{}
		l.mu.Unlock()
		l.wg.Add(1)
		go l.sniff(c)
	}
}

// sniff reads c's first byte and hands c to Accept as TLS or plain.
func (l *mixedListener) sniff(c net.Conn) {
	defer l.wg.Done()
	c.SetReadDeadline(time.Now().Add(sniffTimeout))
	br := bufio.NewReaderSize(c, 512)
	first, err := br.Peek(1)
	c.SetReadDeadline(time.Time{})
	l.mu.Lock()
	delete(l.sniffing, c)
	l.mu.Unlock()
	if err != nil {
		c.Close()
		return
	}
	var out net.Conn = &peekedConn{Conn: c, r: br}
	if first[0] == tlsHandshakeRecord {
		out = tls.Server(out, l.config)
	}
	select {
	case l.conns <- out:
	case <-l.done:
		c.Close()
	}
}

func (l *mixedListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting, closes the connections not yet handed out, and
// waits for the listener's goroutines.
func (l *mixedListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.inner.Close()
		l.mu.Lock()
		for c := range l.sniffing {
			c.Close()
		}
		l.mu.Unlock()
		l.wg.Wait()
	})
	return err
}

func (l *mixedListener) Addr() net.Addr { return l.inner.Addr() }

// peekedConn reads first what sniffing buffered.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// redirectPlain sends a request that came without TLS to the same URL
// over https (308 keeps the method and body). Whatever it carried has
// crossed the network in clear already: clients should be configured with
// https:// URLs, and the redirect is for people typing an address.
func redirectPlain(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			h.ServeHTTP(w, r)
			return
		}
		http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}
