package browsertest

import (
	"net"
	"sync"
	"testing"
)

// CutProxy is a TCP proxy in front of the server that a test can cut, as
// a Wi-Fi dead spot does: "cut" drops every connection and refuses new
// ones; "mute" lets the handheld's bytes through but drops the server's,
// so a scan arrives and is committed while its verdict is lost.
type CutProxy struct {
	ln       net.Listener
	upstream string

	mu    sync.Mutex
	mode  string // "", "cut", "mute"
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewCutProxy proxies a loopback port to upstream (host:port) until the
// test ends.
func NewCutProxy(t *testing.T, upstream string) *CutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &CutProxy{ln: ln, upstream: upstream, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Set("cut")
		p.wg.Wait()
	})
	return p
}

// URL is the proxy's base URL.
func (p *CutProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *CutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.mode == "cut" {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pipe(up, c, false)
		go p.pipe(c, up, true)
	}
}

// pipe copies src to dst; the server's bytes (down) are dropped while muted.
func (p *CutProxy) pipe(dst, src net.Conn, down bool) {
	defer p.wg.Done()
	defer p.drop(dst, src)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			muted := down && p.mode == "mute"
			p.mu.Unlock()
			if !muted {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *CutProxy) drop(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(p.conns, c)
	}
}

// Set changes the proxy's mode: "" passes everything, "cut" and "mute"
// as CutProxy says.
func (p *CutProxy) Set(mode string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = mode
	if mode == "cut" {
		for c := range p.conns {
			c.Close()
			delete(p.conns, c)
		}
	}
}
