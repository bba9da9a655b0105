package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
)

// deadAddr returns an http URL on which nothing listens: a port that was
// just free.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// countingStandby serves a standby that names leader and counts the
// requests it got.
func countingStandby(t *testing.T, leader string) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	sb := testenv.Checked(t, &server.Standby{Leader: func() string { return leader }})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs.URL, &n
}

// A client whose first server is dead and whose second is a standby
// finds the leader: the call is done there once, and the client stays
// with it.
func TestClient_WithServers_findsTheLeader(t *testing.T) {
	s := newSite(t)
	standby, hits := countingStandby(t, s.url)
	dead := deadAddr(t)
	token, _ := s.db.MintToken(context.Background(), "sue", pickwave.RoleSupervisor, time.Hour)
	ctx := context.Background()

	c := client.New(dead, client.WithToken(token), client.WithServers(standby, s.url))
	sku := mug
	sku.Code = "HA-1"
	if err := c.Inventory.CreateSKU(ctx, &sku); err != nil {
		t.Fatalf("create through the server list: %v", err)
	}
	if c.Server() != s.url {
		t.Errorf("the client stays with %s, want the leader %s", c.Server(), s.url)
	}
	if hits.Load() != 1 {
		t.Errorf("the standby got %d requests, want 1", hits.Load())
	}
	if _, err := s.db.SKU(ctx, "HA-1"); err != nil {
		t.Fatalf("the SKU is not in the leader's store: %v", err)
	}
	// The next call goes straight to the leader.
	if _, err := c.Inventory.SKU(ctx, "HA-1"); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 {
		t.Errorf("the standby got %d requests after the client found the leader, want 1", hits.Load())
	}

	// A standby first in the list sends the client to a leader it was not
	// given.
	standby2, _ := countingStandby(t, s.url)
	c2 := client.New(standby2, client.WithToken(token))
	if _, err := c2.Inventory.SKU(ctx, "HA-1"); err != nil || c2.Server() != s.url {
		t.Errorf("a standby's leader is followed: %v, at %s", err, c2.Server())
	}
}

// With no server reachable the call fails after trying each a bounded
// number of times, and a cancelled context stops it.
func TestClient_WithServers_noneReachable(t *testing.T) {
	ctx := context.Background()
	c := client.New(deadAddr(t), client.WithServers(deadAddr(t), deadAddr(t)))
	start := time.Now()
	_, err := c.Me(ctx)
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Fatalf("all dead: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("all dead took %s", d)
	}

	// A standby that names a dead leader: the client goes there, finds
	// it dead, comes back, and gives up after its bounded hops, or at once
	// when the context ends.
	standby, hits := countingStandby(t, deadAddr(t))
	c = client.New(standby, client.WithRetries(0))
	if _, err := c.Me(ctx); err == nil {
		t.Fatal("a standby and its dead leader answered")
	}
	if n := hits.Load(); n < 1 || n > 4 {
		t.Errorf("the standby was asked %d times", n)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Me(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if err := client.New("ftp://x", client.WithServers("http://ok")).Health(ctx); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Errorf("a bad base URL: %v", err)
	}
	if err := client.New("http://ok", client.WithServers("nope")).Health(ctx); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Errorf("a bad server URL: %v", err)
	}
}
