package web_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/browsertest"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/web"
)

// TestPages_stationFailoverToPeer: the pack-station page is loaded from A
// (behind a proxy the test cuts, as a machine that dies), whose /me names
// B as a peer. When A is gone and B still a standby, the page shows it is
// reconnecting; once B leads, the page's socket opens on B (the page stays
// on A's origin) and the live state flows again.
func TestPages_stationFailoverToPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	f := newFloor(t, []string{"packer"}, true)
	ctx := context.Background()
	discard := slog.New(slog.DiscardHandler)

	var bLeads atomic.Bool
	b := testenv.Server(f.db, discard)
	b.Stations, b.PrintQueue, b.StationRuntime, b.Pack, b.Shipments = f.db, f.db, f.stations, f.stations, f.db
	var aURL string
	hb := httptest.NewUnstartedServer(testenv.Checked(t, standbyUntil(&bLeads, b.Handler(), func() string { return aURL })))
	bURL := "http://" + hb.Listener.Addr().String()

	a := testenv.Server(f.db, discard)
	a.Stations, a.PrintQueue, a.StationRuntime, a.Pack, a.Shipments = f.db, f.db, f.stations, f.stations, f.db
	a.Web, a.Peers = web.Handler(bURL), []string{bURL}
	ha := httptest.NewServer(testenv.Checked(t, a.Handler()))
	proxy := browsertest.NewCutProxy(t, strings.TrimPrefix(ha.URL, "http://"))
	aURL = proxy.URL()
	b.Web, b.Peers = web.Handler(aURL), []string{aURL}
	hb.Start()
	t.Cleanup(func() {
		a.Close(ctx)
		ha.Close()
		b.Close(ctx)
		hb.Close()
	})

	br := browsertest.New(t, execPath)
	br.Do("open the station page on A",
		chromedp.Navigate(aURL+"/station.html"),
		chromedp.WaitVisible(chromedp.CSS("#login-username")),
		chromedp.SendKeys(chromedp.CSS("#login-username"), "packer"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), demo.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`#pick-list[data-state="ready"] a[data-id="`+floorStation+`"]`)),
		chromedp.Click(chromedp.CSS(`#pick-list a[data-id="`+floorStation+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#st-live[data-state="live"]`)),
	)
	f.sims.scale.SetWeight(1111)
	br.WaitFor("1111 g shown through A", `document.getElementById('st-scale').dataset.weight === '1111'`)

	// A dies; B is not leading yet.
	proxy.Set("cut")
	br.WaitFor("the page reconnecting", `document.getElementById('st-live').dataset.state === 'reconnecting'`)

	// B takes over: the page opens its socket there.
	bLeads.Store(true)
	br.WaitFor("the page live again", `document.getElementById('st-live').dataset.state === 'live'`)
	f.sims.scale.SetWeight(2222)
	br.WaitFor("2222 g shown through B", `document.getElementById('st-scale').dataset.weight === '2222'`)
	if origin := browsertest.Eval[string](br, `location.origin`); origin != aURL {
		t.Errorf("the page moved to %s; it must stay on %s", origin, aURL)
	}
}
