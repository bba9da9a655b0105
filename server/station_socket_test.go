package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
)

// The station socket's messages, and the runtime's hub behind it, are
// tested in package station; these tests are about the route: sessions,
// roles, origins and shutdown.

func TestStationSocket_Refusals(t *testing.T) {
	e := newStationEnv(t, t.TempDir())
	e.createStation(map[string]any{"id": "PACK-1", "name": "Pack 1"})
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws/station/"
	for _, tc := range []struct {
		name   string
		path   string
		header http.Header
		status int
	}{
		{"no session", "PACK-1", nil, 401},
		{"a picker", "PACK-1", http.Header{"Authorization": {"Bearer " + e.pick}}, 403},
		{"unknown station", "NOPE", http.Header{"Authorization": {"Bearer " + e.packer}}, 404},
		{"another site's page", "PACK-1", http.Header{"Authorization": {"Bearer " + e.packer}, "Origin": {"https://evil.example"}}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, res, err := websocket.DefaultDialer.Dial(url+tc.path, tc.header)
			if err == nil {
				conn.Close()
				t.Fatal("dial succeeded")
			}
			if res == nil || res.StatusCode != tc.status {
				t.Fatalf("response %v, want %d", res, tc.status)
			}
		})
	}
	// The session cookie works as the bearer token does, from this site.
	h := http.Header{"Cookie": {server.SessionCookie + "=" + e.packer}, "Origin": {e.srv.URL}}
	conn, _, err := websocket.DefaultDialer.Dial(url+"PACK-1", h)
	if err != nil {
		t.Fatalf("cookie session: %v", err)
	}
	conn.Close()
}

// TestStationSocket_ClosedOnShutdown checks that stopping the runtime
// closes a connected client with a close frame.
func TestStationSocket_ClosedOnShutdown(t *testing.T) {
	e := newStationEnv(t, t.TempDir())
	e.createStation(map[string]any{"id": "PACK-1", "name": "Pack 1"})
	ws := dialStation(t, e, "PACK-1", e.packer)
	ws.Await("the state", func(testenv.StationMessage) bool { return true })
	e.runtime.Close()
	select {
	case <-ws.Done():
	case <-time.After(waitLimit):
		t.Fatal("client still open after the runtime stopped")
	}
}
