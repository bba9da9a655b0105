package contract

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Handler returns h with every exchange checked against the spec; what
// breaks it fails tb. A spec that cannot be loaded fails tb at once.
func Handler(tb testing.TB, h http.Handler) http.Handler {
	tb.Helper()
	spec, err := Default()
	if err != nil {
		tb.Fatal(err)
	}
	return spec.Handler(tb, h)
}

// Handler returns h with every exchange checked against s.
func (s *Spec) Handler(tb testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in := &bodyTap{ReadCloser: r.Body, max: maxRequestCapture}
		if r.Body == nil || r.Body == http.NoBody {
			in.eof = true
		} else {
			r.Body = in
		}
		out := &recorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(out, r)

		x := out.exchange()
		x.Request = r
		x.RequestBody, x.RequestRead = in.buf.Bytes(), in.eof && !in.over
		if problems := s.Check(x); len(problems) > 0 {
			tb.Errorf("contract: %s %s → %d breaks docs/openapi.yaml:\n\t%s",
				r.Method, r.URL.RequestURI(), x.Status, strings.Join(problems, "\n\t"))
		}
	})
}

// bodyTap keeps what the handler reads of a request body.
type bodyTap struct {
	io.ReadCloser
	max  int
	buf  bytes.Buffer
	eof  bool
	over bool
}

func (b *bodyTap) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.buf.Len()+n > b.max {
		b.over = true
	} else {
		b.buf.Write(p[:n])
	}
	if errors.Is(err, io.EOF) {
		b.eof = true
	}
	return n, err
}

// recorder passes an answer through and keeps a copy of it. It hijacks
// and flushes for the handler, as the server's own writer does.
type recorder struct {
	http.ResponseWriter
	mu       sync.Mutex
	status   int
	header   http.Header
	body     bytes.Buffer
	over     bool
	upgraded bool
}

func (r *recorder) WriteHeader(code int) {
	r.mu.Lock()
	if r.header == nil {
		r.status, r.header = code, r.ResponseWriter.Header().Clone()
	}
	r.mu.Unlock()
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	if r.header == nil {
		r.header = r.ResponseWriter.Header().Clone()
	}
	if r.body.Len()+len(p) > maxCapture {
		r.over = true
	} else {
		r.body.Write(p)
	}
	r.mu.Unlock()
	return r.ResponseWriter.Write(p)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("contract: %T cannot hijack", r.ResponseWriter)
	}
	conn, rw, err := hj.Hijack()
	if err == nil {
		r.mu.Lock()
		r.upgraded = true
		r.mu.Unlock()
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the server's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) exchange() *Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	header := r.header
	if header == nil { // nothing written: net/http answers 200 with no body
		header = r.ResponseWriter.Header().Clone()
	}
	return &Exchange{
		Status:   r.status,
		Header:   header,
		Body:     bytes.Clone(r.body.Bytes()),
		Complete: !r.over,
		Upgraded: r.upgraded,
	}
}
