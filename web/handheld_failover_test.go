package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/browsertest"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/web"
)

// TestPages_handheldFailoverToPeer runs an HA pair on one store: A serves
// the handheld page and leads; B is a standby naming A, both list each
// other as --peers. The picker works on A, then A dies; while B is still
// a standby the page cannot connect anywhere and keeps the next scan.
// When B leads, the page (still on A's origin, so its outbox and cached
// app stay) opens its socket on B, sends the kept scan with its id, and
// it is judged once.
func TestPages_handheldFailoverToPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	f := newFloor(t, []string{"picker1"}, false)
	ctx := context.Background()
	discard := slog.New(slog.DiscardHandler)

	a, b := testenv.Server(f.db, discard), testenv.Server(f.db, discard)
	var bLeads atomic.Bool
	ha := httptest.NewUnstartedServer(testenv.Checked(t, a.Handler()))
	hb := httptest.NewUnstartedServer(testenv.Checked(t, standbyUntil(&bLeads, b.Handler(), func() string { return ha.URL })))
	aURL, bURL := "http://"+ha.Listener.Addr().String(), "http://"+hb.Listener.Addr().String()
	a.Peers, b.Peers = []string{bURL}, []string{aURL}
	// Each allows the other's sockets in its pages' CSP.
	a.Web, b.Web = web.Handler(bURL), web.Handler(aURL)
	ha.Start()
	hb.Start()
	aDead := false
	t.Cleanup(func() {
		if !aDead {
			a.Close(ctx)
			ha.Close()
		}
		b.Close(ctx)
		hb.Close()
	})

	br := browsertest.New(t, execPath)
	br.Do("open the handheld page on A",
		chromedp.Navigate(aURL+"/handheld.html?device=TC52-HA"),
		chromedp.WaitVisible(chromedp.CSS(`#hh-conn[data-state="online"]`)),
	)
	br.Wedge(demo.Badge([]byte("test badges"), "picker1"))
	br.Do("take a cart", chromedp.WaitVisible(chromedp.CSS("#hh-take")), chromedp.Click(chromedp.CSS("#hh-take")),
		chromedp.WaitVisible(chromedp.CSS(`#hh-pick[data-step="bind_tote"]`)))
	if got := browsertest.Eval[string](br, `localStorage.getItem('pickwave.handheld.peers')`); got != fmt.Sprintf("[%q]", bURL) {
		t.Fatalf("the page keeps the peers %s, want [%q]", got, bURL)
	}
	s := br.Handheld()
	for s.Step != "item" {
		s = br.WedgeScan(f.rightScan(s))
	}
	task, err := f.db.Task(ctx, s.Task)
	if err != nil {
		t.Fatal(err)
	}

	// A dies; B is not leading yet: nowhere to connect.
	a.Close(ctx)
	ha.Close()
	aDead = true
	br.WaitFor("the page offline", `document.getElementById('hh-conn').dataset.state === 'reconnecting'`)
	item := f.rightScan(s)
	br.Wedge(item)
	br.WaitFor("the scan kept", `document.body.dataset.pending === '1'`)
	kept := br.Saved().Outbox
	if len(kept) != 1 || kept[0].Msg.Data != item {
		t.Fatalf("IndexedDB keeps %+v, want the item scan %s", kept, item)
	}
	id := kept[0].ID

	// B takes over; the page finds it and sends the kept scan.
	bLeads.Store(true)
	br.WaitFor("the kept scan answered on B", `document.body.dataset.pending === '0' && document.getElementById('hh-conn').dataset.state === 'online'`)
	if code, msg := br.Verdict(); code != pickwave.VerdictOK {
		t.Errorf("the kept scan got %s %q", code, msg)
	}
	if origin := browsertest.Eval[string](br, `location.origin`); origin != aURL {
		t.Errorf("the page moved to %s; it must stay on %s", origin, aURL)
	}
	after, err := f.db.Task(ctx, task.ID)
	if err != nil || after.Picked != task.Picked+1 {
		t.Fatalf("after the kept scan the task is %+v, %v; want %d picked", after, err, task.Picked+1)
	}
	events, err := f.db.Events(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	judged := 0
	for _, e := range events {
		if strings.Contains(string(e.Payload), id) {
			judged++
		}
	}
	if judged != 1 {
		t.Errorf("%d events name the kept scan %s, want 1", judged, id)
	}
	// It goes on picking on B.
	s = br.Handheld()
	if s.Task == task.ID && s.Step == "item" {
		s = br.WedgeScan(f.rightScan(s))
		if s.Conn != "online" {
			t.Errorf("after failover the page shows %+v", s)
		}
	}
}

// standbyUntil is a node of an HA pair: a standby naming leader() until
// leads is set, then the server h, as a standby that took over.
func standbyUntil(leads *atomic.Bool, h http.Handler, leader func() string) http.Handler {
	standby := &server.Standby{Leader: leader}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if leads.Load() {
			h.ServeHTTP(w, r)
			return
		}
		standby.ServeHTTP(w, r)
	})
}
