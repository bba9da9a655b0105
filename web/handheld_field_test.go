package web_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/browsertest"
	"github.com/pickwave/pickwave/store"
)

// bulkOrder makes an order of qty units of one plain SKU (no lot, no
// expiry), with the stock for it at the SKU's pick bin; it returns the SKU.
func bulkOrder(ctx context.Context, db *store.DB, qty int) (*pickwave.SKU, error) {
	skus, err := db.SKUs(ctx, "", 100)
	if err != nil {
		return nil, err
	}
	for _, s := range skus {
		if s.LotTracked || s.ExpiryTracked || len(s.Barcodes) == 0 {
			continue
		}
		rows, err := db.StockOf(ctx, s.Code)
		if err != nil || len(rows) == 0 {
			continue
		}
		if _, err := db.AdjustStock(pickwave.WithActor(ctx, "test"), &pickwave.Adjustment{SKU: s.Code, Location: rows[0].Location, Delta: qty + 50, Reason: "receipt"}); err != nil {
			return nil, err
		}
		in := &pickwave.OrderInput{ExternalID: "BULK-1", Customer: pickwave.Customer{Name: "Bulk Buyer"},
			ShipTo:  pickwave.Address{Name: "Bulk Buyer", Address1: "1 Main St", City: "Columbus", PostalCode: "43215", Country: "US"},
			Carrier: "UPS", ShipBy: time.Now().Add(24 * time.Hour).UTC(), Priority: 9,
			Lines: []pickwave.LineInput{{SKU: s.Code, Qty: qty}}}
		if _, _, err := db.CreateOrder(ctx, in); err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, errors.New("no plain SKU with stock")
}

// TestPages_handheldFieldReady picks a cart in Chromium at 360 px with
// wedge bursts and checks the field-ready parts of the page: a person's
// typing is no scan until Enter, a shortcut key never eats a barcode that
// starts with it, a keyed quantity picks 24 units with one scan (even when
// the trigger is pulled in the quantity field), the next stop is
// previewed, the short form's buttons are never under the scan bar (360
// and 1,280 px), and the end of the cart says where to leave it.
func TestPages_handheldFieldReady(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	var bulk *pickwave.SKU
	f := newFloorWith(t, []string{"picker1"}, false, func(ctx context.Context, db *store.DB) (err error) {
		bulk, err = bulkOrder(ctx, db, 24)
		return err
	})
	ctx := context.Background()
	b := browsertest.New(t, execPath)
	start := time.Now()
	defer func() { t.Logf("browser steps took %v", time.Since(start).Round(time.Millisecond)) }()

	b.Do("phone screen", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	b.Do("open the handheld page",
		chromedp.Navigate(f.url+"/handheld.html"),
		chromedp.WaitVisible(chromedp.CSS(`#hh-conn[data-state="online"]`)),
	)
	// Headless Chromium on Linux has no BarcodeDetector: no camera button.
	if has, shown := browsertest.Eval[bool](b, `'BarcodeDetector' in window`), browsertest.Eval[bool](b, `!document.getElementById('hh-camera-open').hidden`); shown != has {
		t.Errorf("camera button shown %v, BarcodeDetector %v", shown, has)
	}
	b.Wedge(demo.Badge([]byte("test badges"), "picker1"))
	b.Do("take a cart", chromedp.WaitVisible(chromedp.CSS("#hh-take")), chromedp.Click(chromedp.CSS("#hh-take")),
		chromedp.WaitVisible(chromedp.CSS(`#hh-pick[data-step="bind_tote"]`)))
	if got := b.Text("#hh-nextstop-label"); got != "First stop" {
		t.Errorf("binding totes, the preview says %q", got)
	}

	var typed, shortcut, keyed, shortForm bool
	var previewed string
	s := b.Handheld()
	for n := 0; s.Screen == "pick"; n++ {
		if n > 300 {
			t.Fatal("the cart never ends")
		}
		if s.Step == "location" && previewed != "" && s.Location != previewed {
			t.Errorf("the preview said %s, the cart went to %s", previewed, s.Location)
		}
		switch {
		case s.Step == "location" && !typed:
			// A person types the location: nothing is sent until Enter.
			typed = true
			b.TypeSlowly(s.Location)
			if got := b.Handheld(); got.Seq != s.Seq || got.Pending != 0 || browsertest.Eval[string](b, `document.getElementById('hh-scan').value`) != s.Location {
				t.Fatalf("typing %q sent something or lost keys: %+v", s.Location, got)
			}
			before := s.Seq
			b.Do("press Enter", chromedp.KeyEvent("\r"))
			b.WaitFor("the typed scan answered", fmt.Sprintf(`Number(document.body.dataset.seq) > %d && document.body.dataset.pending === '0'`, before))
			if code, msg := b.Verdict(); code != pickwave.VerdictOK {
				t.Fatalf("typed location: %s %q", code, msg)
			}
			s = b.Handheld()
			continue
		case s.Step == "location" && !shortcut:
			// "*" is the quantity key, and Code 39 labels start with it:
			// a burst that begins with "*" reaches the server whole.
			shortcut = true
			s = b.WedgeScan("*LBL-77*")
			if code, msg := b.Verdict(); code != pickwave.VerdictWrongLocation || !strings.Contains(msg, `"*LBL-77*"`) {
				t.Fatalf("a burst starting with the shortcut key: %s %q", code, msg)
			}
			continue
		case s.Step == "location" && !shortForm:
			// The short form at 360 and at 1,280 px: its buttons are on
			// top, never under the scan bar.
			shortForm = true
			b.Do("open the short form", chromedp.KeyEvent("#"), chromedp.WaitVisible(chromedp.CSS("#hh-short")))
			b.Do("choose a reason", chromedp.Click(chromedp.CSS(`.hh-reason[data-reason="damaged"]`)), chromedp.Click(chromedp.CSS("#hh-found-skip")))
			for _, size := range [][2]int64{{360, 640}, {1280, 800}, {360, 480}} {
				b.Do("resize", chromedp.EmulateViewport(size[0], size[1], chromedp.EmulateScale(1)))
				for _, sel := range []string{"#hh-short-send", "#hh-short-cancel", ".hh-reason[data-reason=empty]"} {
					if !b.Unobscured(sel) {
						t.Errorf("at %dx%d %s is hidden or under the scan bar", size[0], size[1], sel)
					}
				}
				if size[0] == 360 && size[1] == 640 {
					b.SaveShot("handheld-short-form-360.png")
				}
				if size[0] == 1280 {
					b.SaveShot("handheld-short-form-1280.png")
				}
			}
			b.Do("phone screen again", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
			b.Do("back", chromedp.Click(chromedp.CSS("#hh-short-cancel")), chromedp.WaitVisible(chromedp.CSS("#hh-p-task")))
			continue
		case s.Step == "item" && s.SKU == bulk.Code && s.Left == "24" && !keyed:
			// 24 units: "*" opens the quantity with what is left, and the
			// trigger pulled in that field sends one scan counting 24.
			keyed = true
			b.Do("the quantity key", chromedp.KeyEvent("*"), chromedp.WaitVisible(chromedp.CSS("#hh-count-box")))
			if got := browsertest.Eval[string](b, `document.getElementById('hh-count').value`); got != "24" || b.Text("#hh-count-chip") != "× 24" {
				t.Fatalf("quantity shows %q, chip %q", got, b.Text("#hh-count-chip"))
			}
			b.SaveShot("handheld-quantity.png")
			if id := browsertest.Eval[string](b, `document.activeElement.id`); id != "hh-count" {
				t.Fatalf("the focus is on %q", id)
			}
			s = b.WedgeScan(f.barcodes[s.SKU][0].Code)
			if code, msg := b.Verdict(); code != pickwave.VerdictOK || msg != fmt.Sprintf("%s: 24 of 24. Put it in slot %s and scan the tote.", bulk.Code, s.ToteSlot) {
				t.Fatalf("keyed 24: %s %q", code, msg)
			}
			if s.Step != "tote" || browsertest.Eval[string](b, `document.getElementById('hh-count').value`) != "24" || !browsertest.Eval[bool](b, `document.getElementById('hh-count-chip').hidden`) {
				t.Fatalf("after the keyed scan: %+v, chip %v", s, browsertest.Eval[bool](b, `document.getElementById('hh-count-chip').hidden`))
			}
			task, err := f.db.Task(ctx, b.Handheld().Task)
			if err != nil || task.Picked != 24 {
				t.Fatalf("the bulk task after one scan: %+v, %v", task, err)
			}
			continue
		}
		if s.Step != "bind_tote" {
			previewed = ""
			if s.Step == "tote" && !browsertest.Eval[bool](b, `document.getElementById('hh-nextstop').hidden`) {
				previewed = b.Text("#hh-nextstop-loc")
			}
		}
		s = b.WedgeScan(f.rightScan(s))
		if code, msg := b.Verdict(); code != pickwave.VerdictOK {
			t.Fatalf("right scan at %+v: %s %q", s, code, msg)
		}
		if s.Step == "item" && s.SKU != bulk.Code && n%7 == 0 {
			b.SaveShot("handheld-pick.png")
		}
	}
	if !typed || !shortcut || !keyed || !shortForm {
		t.Fatalf("the cart ended before every check ran: typed %v, shortcut %v, keyed %v, short form %v", typed, shortcut, keyed, shortForm)
	}
	b.Do("see the cart done", chromedp.WaitVisible(chromedp.CSS("#hh-done")))
	if got := b.Text("#hh-dropoff"); got != demo.DropOff {
		t.Errorf("the done screen says to leave the cart at %q, want %q", got, demo.DropOff)
	}
	b.SaveShot("handheld-done.png")
	b.CheckConsole()
}

// TestPages_handheldOfflineAcrossTabs cuts the handheld off the server
// (a proxy in between) while it picks. An item scan arrives and is
// committed but its verdict is lost; the tote scan after it is made with
// no connection at all. Both wait in IndexedDB. The tab is closed and a
// new one opened while the server is still unreachable: the service
// worker serves the page, which shows the task and the two kept scans.
// When the server is back they go out in order with their ids: the item
// is answered from record (picked once), the tote scan is judged.
func TestPages_handheldOfflineAcrossTabs(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	f := newFloor(t, []string{"picker1"}, false)
	ctx := context.Background()
	proxy := browsertest.NewCutProxy(t, strings.TrimPrefix(f.url, "http://"))
	root := browsertest.New(t, execPath)
	start := time.Now()
	defer func() { t.Logf("browser steps took %v", time.Since(start).Round(time.Millisecond)) }()

	b, closeTab := root.Tab()
	b.Do("phone screen", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	b.Do("open the handheld page",
		chromedp.Navigate(proxy.URL()+"/handheld.html?device=TC52-9"),
		chromedp.WaitVisible(chromedp.CSS(`#hh-conn[data-state="online"]`)),
	)
	// Installable: a manifest with icons, a service worker in control.
	b.WaitFor("the service worker in control", `!!navigator.serviceWorker.controller`)
	b.Do("check installability", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, page.GetInstallabilityErrors, cdp.Empty{})
		if err != nil {
			return err
		}
		for _, e := range res.InstallabilityErrors {
			t.Errorf("not installable: %s", e.ErrorID)
		}
		return nil
	}))
	b.Wedge(demo.Badge([]byte("test badges"), "picker1"))
	b.Do("take a cart", chromedp.WaitVisible(chromedp.CSS("#hh-take")), chromedp.Click(chromedp.CSS("#hh-take")),
		chromedp.WaitVisible(chromedp.CSS(`#hh-pick[data-step="bind_tote"]`)))
	s := b.Handheld()
	for s.Step != "item" {
		s = b.WedgeScan(f.rightScan(s))
	}
	task, err := f.db.Task(ctx, s.Task)
	if err != nil {
		t.Fatal(err)
	}
	// Pick all but one unit first: the muted scan picks the last.
	for range task.Remaining() - 1 {
		s = b.WedgeScan(f.rightScan(s))
	}
	if task, err = f.db.Task(ctx, s.Task); err != nil {
		t.Fatal(err)
	}
	item, tote := f.rightScan(s), fmt.Sprintf("TOTE-%d", task.ToteSlot)

	// The item scan reaches the server; its verdict does not come back.
	proxy.Set("mute")
	b.Wedge(item)
	eventually(t, "the muted item scan committed", func() bool {
		tk, err := f.db.Task(ctx, task.ID)
		return err == nil && tk.Picked == task.Qty
	})
	// Out of range: the tote scan is made with no connection.
	proxy.Set("cut")
	b.WaitFor("the page offline", `document.getElementById('hh-conn').dataset.state === 'reconnecting'`)
	b.Wedge(tote)
	b.WaitFor("two scans kept", `document.body.dataset.pending === '2'`)
	kept := b.Saved().Outbox
	if len(kept) != 2 || kept[0].Msg.Data != item || kept[1].Msg.Data != tote {
		t.Fatalf("IndexedDB keeps %+v, want the item %s then the tote %s", kept, item, tote)
	}
	ids := []string{kept[0].ID, kept[1].ID}

	// The tab is closed; a new one opens in the dead spot.
	closeTab()
	b, closeTab = root.Tab()
	defer closeTab()
	b.Do("phone screen", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	b.Do("reopen the page offline", chromedp.Navigate(proxy.URL()+"/handheld.html?device=TC52-9"))
	b.WaitFor("the page from the service worker, on the task", `document.body.dataset.ready === '1' && document.body.dataset.screen === 'pick'`)
	if got := b.Handheld(); got.Task != task.ID || got.Step != "item" || got.Pending != 2 || got.Conn != "reconnecting" {
		t.Fatalf("reopened offline, the page shows %+v; want task %s, item step, 2 kept, offline", got, task.ID)
	}
	b.SaveShot("handheld-offline-reopened.png")

	// Back in range: the kept scans go out in order, with their ids.
	proxy.Set("")
	b.WaitFor("the kept scans answered", `document.body.dataset.pending === '0' && document.getElementById('hh-conn').dataset.state === 'online'`)
	if code, msg := b.Verdict(); code != pickwave.VerdictOK {
		t.Errorf("the last kept scan got %s %q", code, msg)
	}
	after, err := f.db.Task(ctx, task.ID)
	if err != nil || after.Picked != task.Qty || after.Status != pickwave.TaskPicked {
		t.Fatalf("after the kept scans the task is %+v, %v; want %d picked once and in the tote", after, err, task.Qty)
	}
	if got := b.Saved().Outbox; len(got) != 0 {
		t.Errorf("IndexedDB still keeps %+v", got)
	}
	// The server saw the item id twice and judged it once.
	events, err := f.db.Events(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	judged := map[string]int{}
	for _, e := range events {
		for _, id := range ids {
			if strings.Contains(string(e.Payload), id) {
				judged[id]++
			}
		}
	}
	if judged[ids[0]] != 1 || judged[ids[1]] != 1 {
		t.Errorf("events naming the kept scans: %v, want each once", judged)
	}
}
