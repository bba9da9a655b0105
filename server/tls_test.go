package server_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
)

// tlsServer opens a server with TLS on a loopback port, with the
// certificate httptest uses, and returns it with a client that trusts it.
func tlsServer(t *testing.T) (*server.Server, *store.DB, *http.Client) {
	t.Helper()
	db := testenv.OpenStore(t, "", store.Options{NoSync: true})
	certSrv := httptest.NewUnstartedServer(nil) // only for its certificate and a client trusting it
	certSrv.StartTLS()
	client := certSrv.Client()
	cert := certSrv.TLS.Certificates
	certSrv.Close()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	s := testenv.Server(db, nil)
	s.TLS = &tls.Config{Certificates: cert, MinVersion: tls.VersionTLS12}
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s, db, client
}

func TestTLS_servesHTTPSAndRedirectsPlainHTTP(t *testing.T) {
	s, db, client := tlsServer(t)
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatalf("URL %q", s.URL())
	}
	res, err := client.Get(s.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil {
		t.Fatalf("https healthz: %d, TLS %v", res.StatusCode, res.TLS != nil)
	}

	// Plain HTTP on the same port is sent to https, path and query kept.
	plain := &http.Client{CheckRedirect: client.CheckRedirect}
	res, err = plain.Get("http://" + s.Addr() + "/api/v1/orders?status=allocated")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if want := s.URL() + "/api/v1/orders?status=allocated"; res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != want {
		t.Fatalf("plain http: %d to %q, want 308 to %q", res.StatusCode, res.Header.Get("Location"), want)
	}

	// The session cookie a login sets over TLS is Secure.
	ctx := pickwave.WithActor(context.Background(), "test")
	if err := db.CreateUser(ctx, &pickwave.User{Name: "sue", Role: pickwave.RoleSupervisor}, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	res, err = client.Post(s.URL()+"/api/v1/login", "application/json", strings.NewReader(`{"username":"sue","password":"correct horse battery"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == server.SessionCookie {
			session = c
		}
	}
	if res.StatusCode != 200 || session == nil || !session.Secure || !session.HttpOnly {
		t.Fatalf("login over TLS: %d, cookie %+v", res.StatusCode, session)
	}

	// Websockets go over TLS too.
	dialer := websocket.Dialer{TLSClientConfig: client.Transport.(*http.Transport).TLSClientConfig, HandshakeTimeout: 5 * time.Second}
	ws, _, err := dialer.Dial("wss://"+s.Addr()+"/ws/handheld", nil)
	if err != nil {
		t.Fatalf("wss: %v", err)
	}
	ws.Close()
}

// A client that connects and sends nothing holds neither the other
// clients nor the shutdown.
func TestTLS_silentConnectionsBlockNothing(t *testing.T) {
	s, _, client := tlsServer(t)
	var silent []net.Conn
	for range 20 {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		silent = append(silent, c)
	}
	defer func() {
		for _, c := range silent {
			c.Close()
		}
	}()
	res, err := client.Get(s.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("healthz beside silent connections: %d", res.StatusCode)
	}

	// Close ends the sniffing of the silent ones rather than waiting for
	// their timeout (10 s; the deadline here is below it).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("close with silent connections: %v", err)
	}
	silent[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := silent[0].Read(make([]byte, 1)); err == nil {
		t.Fatal("a silent connection is still open after Close")
	}
}
