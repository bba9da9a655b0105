package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
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

// TestStationSocket_forceLogout signs a pack station's socket out from
// the device list, as the Carts & pickers screen does: the socket is
// closed with code 4003, its token opens nothing (neither the API nor a
// reconnect), the station is listed no more, a retry is answered as the
// first, and the packer's fresh login opens the station again.
func TestStationSocket_forceLogout(t *testing.T) {
	e := newStationEnv(t, t.TempDir())
	e.createStation(map[string]any{"id": "PACK-1", "name": "Pack 1"})
	ctx := context.Background()
	if err := e.db.CreateUser(pickwave.WithActor(ctx, "test"), &pickwave.User{Name: "paula", Role: pickwave.RolePacker}, "pack-pw"); err != nil {
		t.Fatal(err)
	}
	login := func() string {
		t.Helper()
		r := e.json("POST", "/api/v1/login", "", map[string]string{"username": "paula", "password": "pack-pw"})
		mustStatus(t, r, 200)
		var out struct{ Token string }
		r.decode(t, &out)
		if out.Token == "" {
			t.Fatal("login gave no token")
		}
		return out.Token
	}
	token := login()
	ws := dialStation(t, e, "PACK-1", token)
	ws.Await("the state", func(testenv.StationMessage) bool { return true })

	type devices struct {
		Items []server.Device `json:"items"`
	}
	list := func() []server.Device {
		t.Helper()
		r := e.json("GET", "/api/v1/devices", e.super, nil)
		mustStatus(t, r, 200)
		var d devices
		r.decode(t, &d)
		return d.Items
	}
	var dev server.Device
	for _, d := range list() {
		if d.Kind == "station" && d.Station == "PACK-1" && d.User == "paula" {
			dev = d
		}
	}
	if dev.ID == "" {
		t.Fatalf("the station socket is not listed: %+v", list())
	}

	r := e.json("POST", "/api/v1/devices/"+dev.ID+"/logout", e.super, nil)
	mustStatus(t, r, 200)
	var out server.Device
	r.decode(t, &out)
	if !out.SignedOut || out.ID != dev.ID || out.Kind != "station" || out.Station != "PACK-1" {
		t.Fatalf("force logout answered %+v", out)
	}
	select {
	case <-ws.Done():
	case <-time.After(waitLimit):
		t.Fatal("the station socket is still open after the forced logout")
	}
	var ce *websocket.CloseError
	if err := ws.Err(); !errors.As(err, &ce) || ce.Code != handheld.CloseSignedOut {
		t.Fatalf("the station socket ended with %v, want close code %d", err, handheld.CloseSignedOut)
	}

	// The token ends: the API refuses it, and so does a reconnect.
	mustStatus(t, e.json("GET", "/api/v1/stations/PACK-1", token, nil), 401)
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws/station/PACK-1"
	conn, res, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + token}})
	if err == nil {
		conn.Close()
		t.Fatal("a reconnect with the signed-out token was let in")
	}
	if res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("reconnect with the signed-out token: %v, %v; want 401", res, err)
	}
	for _, d := range list() {
		if d.ID == dev.ID {
			t.Fatalf("the signed-out socket is still listed: %+v", d)
		}
	}
	// A retry is answered as the first; one event is logged.
	r = e.json("POST", "/api/v1/devices/"+dev.ID+"/logout", e.super, nil)
	mustStatus(t, r, 200)
	if evs, err := e.db.Events(ctx, 0, 10000); err != nil {
		t.Fatal(err)
	} else {
		n := 0
		for _, ev := range evs {
			if ev.Type == pickwave.EventDeviceSignedOut {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d device.signed_out events, want 1", n)
		}
	}

	// A fresh login opens the station again.
	fresh := login()
	if fresh == token {
		t.Fatal("the fresh login got the old token")
	}
	again := dialStation(t, e, "PACK-1", fresh)
	again.Await("the state after a fresh login", func(testenv.StationMessage) bool { return true })
	var found bool
	for _, d := range list() {
		found = found || (d.Kind == "station" && d.User == "paula" && d.ID != dev.ID)
	}
	if !found {
		t.Fatal("the fresh station socket is not listed")
	}
}
