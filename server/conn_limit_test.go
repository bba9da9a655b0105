package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
)

// openServer opens s on a loopback port and closes it when the test ends.
func openServer(t *testing.T, s *server.Server) string {
	t.Helper()
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	return s.Addr()
}

// TestServer_slowBodyCutOff checks issue 13 finding 5: a request that
// declares a huge body and sends a byte of it is cut off within the read
// timeout, not held open.
func TestServer_slowBodyCutOff(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{})
	token, _ := db.MintToken(context.Background(), "sue", pickwave.RoleSupervisor, time.Hour)
	s := testenv.Server(db, nil)
	s.ReadTimeout = 300 * time.Millisecond
	addr := openServer(t, s)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /api/v1/skus HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{", addr, token)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.Copy(io.Discard, conn) // until the server closes the connection
	if err != nil {
		t.Fatalf("the connection was held open: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("cut off after %s, want about the read timeout", d)
	}
}

// TestServer_connectionCaps checks that connections over the total cap and
// over the per-address cap are closed at once and counted, that closing
// connections frees their places, and that nothing is left running.
func TestServer_connectionCaps(t *testing.T) {
	for _, tt := range []struct {
		name             string
		maxConns, perAdd int
		limit            string
	}{
		{name: "total", maxConns: 4, perAdd: -1, limit: "total"},
		{name: "per address", maxConns: 100, perAdd: 4, limit: "address"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := testenv.OpenStore(t, "", store.Options{})
			token, _ := db.MintToken(context.Background(), "sue", pickwave.RoleSupervisor, time.Hour)
			s := testenv.Server(db, nil)
			s.MaxConns, s.MaxConnsPerAddr = tt.maxConns, tt.perAdd
			addr := openServer(t, s)
			baseline := runtime.NumGoroutine()

			var held []net.Conn
			for range 4 {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				held = append(held, c)
			}
			// The held connections are served: a request on the last one is answered.
			fmt.Fprintf(held[3], "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
			if res, err := http.ReadResponse(bufio.NewReader(held[3]), nil); err != nil || res.StatusCode != 200 {
				t.Fatalf("a connection within the cap: %v", err)
			}
			for range 3 {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
				fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
				n, err := c.Read(make([]byte, 1))
				var ne net.Error
				if n > 0 || errors.As(err, &ne) && ne.Timeout() {
					t.Fatalf("a connection over the cap was served or held: %d bytes, %v", n, err)
				}
				c.Close()
			}
			for _, c := range held {
				c.Close()
			}
			testenv.Eventually(t, 5*time.Second, "goroutines back to their baseline", func() bool { return runtime.NumGoroutine() <= baseline })

			req, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			res, err := client.Do(req)
			if err != nil {
				t.Fatalf("a connection after the others closed: %v", err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			want := fmt.Sprintf("pickwave_connections_refused_total{limit=%q} 3", tt.limit)
			if !strings.Contains(string(body), want) {
				t.Fatalf("metrics lack %s", want)
			}
		})
	}
}

// TestHandheld_loginDeadline checks that a handheld socket that never
// logs in is closed after the login wait, with a close frame saying why,
// although it answers the server's pings.
func TestHandheld_loginDeadline(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{})
	s := testenv.Server(db, nil)
	s.HandheldLoginWait = 300 * time.Millisecond
	hs := httptest.NewServer(testenv.Checked(t, s.Handler()))
	t.Cleanup(hs.Close)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(hs.URL, "http")+"/ws/handheld", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	start := time.Now()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err = ws.ReadMessage()
		if err != nil {
			break
		}
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "not logged in") {
		t.Fatalf("socket without a login ended with %v, want close 1008 saying why", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("closed after %s", d)
	}
}

// TestHandheld_socketOutlivesReadTimeout checks that the server-wide read
// timeout, meant for request bodies, does not end a logged-in handheld's
// websocket, nor the login wait one that logged in in time.
func TestHandheld_socketOutlivesReadTimeout(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{})
	token, _ := db.MintToken(context.Background(), "pete", pickwave.RolePicker, time.Hour)
	s := testenv.Server(db, nil)
	s.ReadTimeout, s.HandheldLoginWait = 200*time.Millisecond, 200*time.Millisecond
	addr := openServer(t, s)
	url := "ws://" + addr + "/ws/handheld"
	for _, tt := range []struct {
		name  string
		hdr   http.Header
		hello handheld.ClientMessage
	}{
		{"bearer on the upgrade", http.Header{"Authorization": {"Bearer " + token}}, handheld.ClientMessage{Type: handheld.TypeHello}},
		{"token in the hello", nil, handheld.ClientMessage{Type: handheld.TypeHello, Token: token}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ws, _, err := websocket.DefaultDialer.Dial(url, tt.hdr)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			if err := ws.WriteJSON(tt.hello); err != nil {
				t.Fatal(err)
			}
			_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
			var m handheld.ServerMessage
			if err := ws.ReadJSON(&m); err != nil || m.Type != handheld.TypeWelcome {
				t.Fatalf("hello: %v %+v", err, m)
			}
			time.Sleep(600 * time.Millisecond) // let both timeouts pass: the test is that nothing happens
			if err := ws.WriteJSON(handheld.ClientMessage{Type: handheld.TypeHello}); err != nil {
				t.Fatal(err)
			}
			if err := ws.ReadJSON(&m); err != nil || m.Type != handheld.TypeWelcome {
				t.Fatalf("after the read timeout: %v %+v", err, m)
			}
		})
	}
}
