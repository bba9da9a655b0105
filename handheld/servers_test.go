package handheld_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
)

// TestClient_Servers_failoverMidCart runs two servers on one store, as an
// HA pair: B a standby naming A until A dies, then the leader. The picker
// dials B, is sent to A, picks half a cart, and A dies with a scan in
// flight; Reconnect passes the dead A over to B, resends the scan with
// its id, and the cart is finished there. Every id sent again is a
// replay, and every task counts each unit once.
func TestClient_Servers_failoverMidCart(t *testing.T) {
	s := newSite(t, 3)
	a := "ws://" + s.addr + "/ws/handheld"
	var leading atomic.Bool
	standby := &server.Standby{Leader: func() string { return "http://" + s.addr }}
	b := testenv.Server(s.db, nil)
	bh := b.Handler()
	hb := httptest.NewServer(testenv.Checked(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if leading.Load() {
			bh.ServeHTTP(w, r)
			return
		}
		standby.ServeHTTP(w, r)
	})))
	t.Cleanup(func() {
		b.Close(context.Background())
		hb.Close()
	})
	bURL := "ws" + hb.URL[len("http"):] + "/ws/handheld"

	c, err := handheld.Dial(ctx(t), bURL, handheld.Options{Badge: demo.Badge([]byte("test badges"), "picker1"), Servers: []string{a}})
	if err != nil {
		t.Fatalf("dial the standby first: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if c.Server() != a {
		t.Fatalf("connected to %s, want the leader %s", c.Server(), a)
	}
	p, err := c.TakeCart(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		p = &mustScan(t, c, s.right(p), pickwave.VerdictOK).Prompt
	}
	inFlight, err := c.Submit(ctx(t), handheld.ClientMessage{Type: handheld.TypeScan, Data: s.right(p)})
	if err != nil {
		t.Fatal(err)
	}

	// A dies; B takes over.
	s.srv.Close(context.Background())
	s.http.Close()
	s.http = nil // the store stays open: B serves it
	leading.Store(true)
	if err := c.WaitDisconnect(ctx(t)); !errors.Is(err, handheld.ErrDisconnected) {
		t.Fatalf("disconnect: %v", err)
	}
	if err := c.Reconnect(ctx(t)); err != nil {
		t.Fatalf("reconnect with A dead: %v", err)
	}
	if c.Server() != bURL {
		t.Fatalf("reconnected to %s, want %s", c.Server(), bURL)
	}
	res, err := c.Await(ctx(t), inFlight)
	if err != nil {
		t.Fatalf("the scan in flight: %v", err)
	}
	if res.Verdict.Code != pickwave.VerdictOK {
		t.Fatalf("the scan in flight: %+v", res.Verdict)
	}
	p, err = c.RequestPrompt(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; !p.Done; n++ {
		if n > 500 {
			t.Fatal("cart never ends")
		}
		p = &mustScan(t, c, s.right(p), pickwave.VerdictOK).Prompt
	}
	chk, err := c.ResendAnswered(ctx(t), 8)
	if err != nil || chk.Resent != len(c.Ledger()) || chk.JudgedAgain+chk.Changed != 0 {
		t.Fatalf("resend every id on B: %+v %v", chk, err)
	}
	checkClean(t, c)
	tasks, err := s.db.CartTasks(context.Background(), p.CartID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) == 0 {
		t.Fatalf("cart %q has no tasks", p.CartID)
	}
	for _, k := range tasks {
		if k.Picked != k.Qty {
			t.Errorf("task %s picked %d of %d", k.ID, k.Picked, k.Qty)
		}
	}
}

// With every server dead, Dial fails after a bounded round, with the
// connection error.
func TestClient_Servers_noneReachable(t *testing.T) {
	dead := func() string {
		hs := httptest.NewServer(http.NotFoundHandler())
		hs.Close()
		return hs.URL
	}
	_, err := handheld.Dial(ctx(t), dead(), handheld.Options{Token: "t", Servers: []string{dead(), dead()}})
	if !errors.Is(err, handheld.ErrDisconnected) {
		t.Fatalf("all dead: %v", err)
	}
	if _, err := handheld.Dial(ctx(t), dead(), handheld.Options{Token: "t", Servers: []string{"ftp://x"}}); err == nil {
		t.Fatal("a bad server URL was taken")
	}
}
