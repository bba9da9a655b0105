package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/station"
	"github.com/pickwave/pickwave/store"
)

// A server with peers accepts handheld and station socket upgrades from
// pages of its own origin and of its peers', and still refuses any other
// origin; /api/v1/me and the handheld welcome name the peers.
func TestPeers_originsAndWelcome(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{NoSync: true})
	rt := &station.Runtime{Store: db, Logger: slog.New(slog.DiscardHandler), StatusInterval: time.Second}
	s := testenv.Server(db, nil)
	s.Stations, s.PrintQueue, s.StationRuntime = db, db, rt
	s.Peers = []string{"http://peer-a.example:8080", "https://peer-b.example"}
	hs := httptest.NewServer(testenv.Checked(t, s.Handler()))
	ran := make(chan error, 1)
	go func() { ran <- rt.Run(context.Background()) }()
	t.Cleanup(func() {
		rt.Close()
		if err := <-ran; err != nil {
			t.Errorf("station runtime: %v", err)
		}
		hs.Close()
	})
	ctx := context.Background()
	admin, _ := db.MintToken(ctx, "ann", pickwave.RoleAdmin, time.Hour)
	packer, _ := db.MintToken(ctx, "pat", pickwave.RolePacker, time.Hour)
	picker, _ := db.MintToken(ctx, "pete", pickwave.RolePicker, time.Hour)
	req, _ := http.NewRequest("POST", hs.URL+"/api/v1/stations", strings.NewReader(`{"id":"PACK-1","name":"Pack 1"}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 201 {
		t.Fatalf("create station: %v %v", res, err)
	}

	ws := "ws" + strings.TrimPrefix(hs.URL, "http")
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{hs.URL, true},
		{"http://peer-a.example:8080", true},
		{"https://peer-b.example", true},
		{"http://peer-b.example", false},      // another scheme is another origin
		{"http://peer-a.example:9090", false}, // and another port
		{"https://evil.example", false},
	} {
		for _, path := range []string{"/ws/handheld", "/ws/station/PACK-1"} {
			conn, res, err := websocket.DefaultDialer.Dial(ws+path, http.Header{"Origin": {tc.origin}, "Authorization": {"Bearer " + packer}})
			if err == nil {
				conn.Close()
			}
			if tc.ok && err != nil {
				t.Errorf("%s from %s refused: %v %v", path, tc.origin, err, res)
			}
			if !tc.ok && (res == nil || res.StatusCode != http.StatusForbidden) {
				t.Errorf("%s from %s: %v %v, want 403", path, tc.origin, err, res)
			}
		}
	}

	// /api/v1/me names the peers.
	req, _ = http.NewRequest("GET", hs.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+packer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var me struct{ Peers []string }
	if err := json.Unmarshal(data, &me); err != nil || len(me.Peers) != 2 || me.Peers[0] != "http://peer-a.example:8080" {
		t.Errorf("me: %s %v", data, err)
	}

	// So does the handheld welcome.
	conn, _, err := websocket.DefaultDialer.Dial(ws+"/ws/handheld", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteJSON(map[string]any{"type": "hello", "id": "h1", "token": picker}); err != nil {
		t.Fatal(err)
	}
	var welcome struct {
		Type  string
		Peers []string
	}
	if err := conn.ReadJSON(&welcome); err != nil || welcome.Type != "welcome" || len(welcome.Peers) != 2 {
		t.Errorf("welcome %+v %v", welcome, err)
	}
}
