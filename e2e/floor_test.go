package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/browsertest"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/kpi"
)

// site is the demo warehouse served by the binary, seen through its API.
type site struct {
	t    *testing.T
	url  string
	api  *client.Client // the admin's
	skus map[string]*pickwave.SKU
}

// serveDemo builds the binary and serves the demo warehouse, quiet (no
// demo floor picking beside the test), on a free loopback port.
func serveDemo(t *testing.T) *site {
	t.Helper()
	bin := testenv.BuildBinary(t)
	start := time.Now()
	srv := testenv.ServeBinary(t, bin, "serve", "--demo", "--addr", testenv.FreeAddr(t),
		"--data", filepath.Join(t.TempDir(), "data"))
	t.Logf("pickwave serve --demo seeded and served in %v", time.Since(start).Round(time.Millisecond))
	s := &site{t: t, url: srv.Base, api: client.New(srv.Base), skus: map[string]*pickwave.SKU{}}
	if err := s.api.Login(context.Background(), "admin", demo.Password); err != nil {
		t.Fatalf("log in as the demo's admin: %v", err)
	}
	return s
}

// badge is the demo picker's badge, as an admin finds it in the users.
func (s *site) badge(name string) string {
	s.t.Helper()
	users, err := s.api.Users.Users(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	for _, u := range users {
		if u.Name == name && u.Badge != "" {
			return u.Badge
		}
	}
	s.t.Fatalf("the demo has no badge for %s", name)
	return ""
}

// barcode is the SKU's each barcode (the first), from the API.
func (s *site) barcode(sku string) string {
	s.t.Helper()
	k := s.skus[sku]
	if k == nil {
		var err error
		if k, err = s.api.Inventory.SKU(context.Background(), sku); err != nil {
			s.t.Fatalf("SKU %q: %v", sku, err)
		}
		s.skus[sku] = k
	}
	if len(k.Barcodes) == 0 {
		s.t.Fatalf("SKU %q has no barcode", sku)
	}
	return k.Barcodes[0].Code
}

// rightScan is the scan the shown prompt asks for. The demo's totes are
// labelled TOTE-<slot>.
func (s *site) rightScan(v browsertest.HandheldView) string {
	s.t.Helper()
	switch v.Step {
	case "bind_tote":
		return "TOTE-" + v.BindSlot
	case "location":
		return v.Location
	case "item":
		return s.barcode(v.SKU)
	case "tote":
		return "TOTE-" + v.ToteSlot
	}
	s.t.Fatalf("no right scan for %+v", v)
	return ""
}

// task is the task id of cart, from the API.
func (s *site) task(cart, id string) *pickwave.Task {
	s.t.Helper()
	tasks, err := s.api.Waves.CartTasks(context.Background(), cart)
	if err != nil {
		s.t.Fatalf("the tasks of cart %s: %v", cart, err)
	}
	for _, tk := range tasks {
		if tk.ID == id {
			return tk
		}
	}
	s.t.Fatalf("cart %s has no task %s", cart, id)
	return nil
}

// events returns every event after seq, page by page.
func (s *site) events(after uint64) []*pickwave.Event {
	s.t.Helper()
	var all []*pickwave.Event
	for {
		page, err := s.api.Events.Events(context.Background(), after, 1000)
		if err != nil {
			s.t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 1000 {
			return all
		}
		after = page[len(page)-1].Seq
	}
}

// phone makes a tab a Zebra TC5x: 360×640 CSS pixels, portrait.
func phone(b *browsertest.Browser, name string) {
	b.Do(name+"'s phone", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
}

// TestFloor_endToEnd is the supervisor's floor from end to end: the
// built binary serving `pickwave serve --demo` on a loopback port, three
// headless Chromium browsers (the supervisor's at 1,280 px, two pickers'
// handhelds at 360 px), every check through the pages, the HTTP API and
// the event log it serves.
//
//  1. The supervisor logs in and plans a wave on the Waves screen (the
//     preview's carts, stops and walking saved checked against the plan
//     the API stored) and releases it.
//  2. picker1 and picker2 log in on /handheld.html with a badge burst and
//     take a cart each; the Floor screen shows both on their carts.
//  3. picker1 picks with wedge bursts, one of them a wrong location, and
//     reports one task short; the Floor shows progress and both
//     exceptions as they happen. picker1's cart ends.
//  4. picker2 (through a proxy the test cuts) picks a task and walks out
//     of range: a scan is kept, the tab is closed and reopened in the
//     dead spot; a second scan is kept, then the whole browser is quit
//     and started again on its profile, still in the dead spot. The page
//     comes from the service worker with the task and both scans from
//     IndexedDB; back in range they are delivered once. picker2 leaves.
//  5. On Carts & pickers the supervisor takes the stuck cart off picker2
//     and gives it to picker1, whose handheld picks it to the end.
//  6. The Floor shows the wave done; the KPI page shows what the formulas
//     of docs/kpis.md give on this run, against the test's hand count.
//
// Every scan id is in exactly one scan.judged event of GET
// /api/v1/events, and there are as many of those as scans counted. Each
// screen is checked for labels and sideways scrolling at 360 and 1,280
// px and saved to docs/screenshots.
func TestFloor_endToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and drives real browsers")
	}
	execPath := browsertest.Path(t)
	began := time.Now()
	s := serveDemo(t)
	ctx := context.Background()
	var seq0 uint64 // the log's end before the story: the demo's seed
	if seeded := s.events(0); len(seeded) > 0 {
		seq0 = seeded[len(seeded)-1].Seq
	}
	start := time.Now()
	defer func() {
		t.Logf("the browsers' part took %v, the whole test %v", time.Since(start).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	}()
	count := &handCount{picker: map[string]*[2]int{}, inTote: map[string]int{}}

	// 1. Plan and release on the Waves screen: six orders, three totes a
	// cart, so two carts.
	sup := browsertest.New(t, execPath)
	sup.Do("log in",
		chromedp.Navigate(s.url+"/#waves"),
		chromedp.WaitVisible(chromedp.CSS("#login-username")),
		chromedp.SendKeys(chromedp.CSS("#login-username"), "supervisor"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), demo.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`#waves-table[data-state="ready"]`)),
	)
	sup.Fill("#plan-name", "E2E")
	sup.Fill("#plan-max-orders", "6")
	sup.Fill("#plan-totes", "3")
	sup.Do("plan", chromedp.Click(chromedp.CSS("#plan-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#wave-page[data-state="ready"][data-status="planned"]`)))
	waves, err := s.api.Waves.Waves(ctx, 1)
	if err != nil || len(waves) != 1 || waves[0].Status != pickwave.WavePlanned {
		t.Fatalf("the newest wave after planning: %v, %v", waves, err)
	}
	w, err := s.api.Waves.Wave(ctx, waves[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Orders) != 6 || len(w.Plan.Carts) != 2 {
		t.Fatalf("planned %d orders on %d carts, want 6 on 2", len(w.Orders), len(w.Plan.Carts))
	}
	stops := 0
	for _, c := range w.Plan.Carts {
		stops += len(c.Stops)
	}
	for sel, want := range map[string]string{"#wf-carts": "2", "#wf-stops": fmt.Sprint(stops), "#wf-orders": fmt.Sprint(len(w.Orders))} {
		if got := sup.Text(sel); got != want {
			t.Errorf("the preview's %s shows %q, the stored plan %q", sel, got, want)
		}
	}
	saved := w.Plan.Baseline.FCFSSShapeM - w.Plan.DistanceM
	if got := sup.Text("#wf-saved"); !strings.Contains(got, fmt.Sprintf("(%d %%)", int(0.5+100*saved/w.Plan.Baseline.FCFSSShapeM))) {
		t.Errorf("walking saved shows %q; plan %.1f m, baseline %.1f m", got, w.Plan.DistanceM, w.Plan.Baseline.FCFSSShapeM)
	}
	sup.Accessible("the wave preview", 1280)
	sup.SaveShot("waves-preview.png")
	sup.Do("release", chromedp.Click(chromedp.CSS("#wave-release")),
		chromedp.WaitVisible(chromedp.CSS(`#wave-page[data-state="ready"][data-status="released"]`)))
	if got, err := s.api.Waves.Wave(ctx, w.ID); err != nil || got.Status != pickwave.WaveReleased {
		t.Fatalf("after Release the API has the wave %v, %v", got, err)
	}
	sup.Accessible("the wave page", 1280)
	sup.SaveShot("wave-page.png")
	sup.Do("open the floor", chromedp.Click(chromedp.CSS(`a[data-view="floor"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#view-floor[data-connection="live"]`)))
	card := fmt.Sprintf(`document.querySelector('[data-wave=%q]')`, w.ID)
	sup.WaitFor("the released wave on the floor", card+`?.dataset.done === '0'`)

	// 2. Two handhelds: picker1 straight to the server, picker2 through a
	// proxy that can be cut. Each is its own browser, as two devices are;
	// picker2's keeps its profile, to be quit and started again.
	proxy := browsertest.NewCutProxy(t, strings.TrimPrefix(s.url, "http://"))
	login := func(b *browsertest.Browser, url, name string) browsertest.HandheldView {
		t.Helper()
		phone(b, name)
		b.Do(name+" opens the handheld page", chromedp.Navigate(url),
			chromedp.WaitVisible(chromedp.CSS(`#hh-conn[data-state="online"]`)))
		b.Wedge(s.badge(name))
		b.Do(name+" takes a cart", chromedp.WaitVisible(chromedp.CSS("#hh-take")), chromedp.Click(chromedp.CSS("#hh-take")),
			chromedp.WaitVisible(chromedp.CSS(`#hh-pick[data-step="bind_tote"]`)))
		return b.Handheld()
	}
	p1 := browsertest.New(t, execPath)
	s1 := login(p1, s.url+"/handheld.html?device=TC52-1", "picker1")
	p1.Accessible("the handheld", 360)
	root2 := browsertest.NewWithProfile(t, execPath, t.TempDir())
	p2, closeP2 := root2.Tab()
	hh2 := proxy.URL() + "/handheld.html?device=TC52-2"
	s2 := login(p2, hh2, "picker2")
	p2.WaitFor("the service worker in control", `!!navigator.serviceWorker.controller`)
	if s1.Cart == s2.Cart || s1.Cart == "" || s2.Cart == "" {
		t.Fatalf("carts taken: %q and %q", s1.Cart, s2.Cart)
	}
	for name, cart := range map[string]string{"picker1": s1.Cart, "picker2": s2.Cart} {
		sup.WaitFor(name+" on the floor with cart "+cart,
			fmt.Sprintf(`(r => !!r && r.textContent.includes(%q) && !!r.querySelector('.dot-on'))(document.querySelector('#floor-pickers [data-picker=%q]'))`, cart, name))
	}

	// pick makes the scan the page asks for and counts it; a tote scan
	// finishes a task, an item scan picks one unit (the each barcode).
	pick := func(b *browsertest.Browser, name string) browsertest.HandheldView {
		t.Helper()
		v := b.Handheld()
		next := b.WedgeScan(s.rightScan(v))
		if code, msg := b.Verdict(); code != pickwave.VerdictOK {
			t.Fatalf("%s's right scan at %+v: %s %q", name, v, code, msg)
		}
		count.scans++
		switch v.Step {
		case "item":
			count.inTote[v.Task]++
		case "tote":
			count.finish(name, v.Task, false)
		}
		return next
	}

	// 3. picker1: a wrong location, a short on the second task.
	task1 := 0
	for v := p1.Handheld(); v.Screen == "pick"; v = p1.Handheld() {
		switch {
		case v.Step == "location" && count.wrong == 0:
			p1.WedgeScan("NOT-A-LOCATION")
			if code, _ := p1.Verdict(); code != pickwave.VerdictWrongLocation {
				t.Fatalf("a wrong location answered %s", code)
			}
			count.scans++
			count.wrong++
			sup.WaitFor("the wrong scan on the floor", `!!document.querySelector('#floor-exceptions [data-kind="wrong_scan"]')`)
		case v.Step == "item" && task1 == 2 && count.shorts == 0:
			before := v.Seq
			p1.Do("open the short form", chromedp.Click(chromedp.CSS("#hh-short-open")), chromedp.WaitVisible(chromedp.CSS("#hh-short")),
				chromedp.Click(chromedp.CSS(`.hh-reason[data-reason="empty"]`)), chromedp.Click(chromedp.CSS("#hh-found-skip")),
				chromedp.WaitEnabled(chromedp.CSS("#hh-short-send")))
			p1.Accessible("the handheld's short form", 360)
			p1.Do("report the short", chromedp.Click(chromedp.CSS("#hh-short-send")))
			p1.WaitFor("the short answered", fmt.Sprintf(`Number(document.body.dataset.seq) > %d && document.body.dataset.pending === '0'`, before))
			if code, msg := p1.Verdict(); code != pickwave.VerdictOK {
				t.Fatalf("the short: %s %q", code, msg)
			}
			count.scans++
			count.finish("picker1", v.Task, true)
			sup.WaitFor("the short on the floor", `!!document.querySelector('#floor-exceptions [data-kind="short"]')`)
		default:
			if v.Step == "location" {
				task1++
			}
			pick(p1, "picker1")
			if v.Step == "tote" && count.picks == 1 {
				sup.WaitFor("live progress: one pick done", card+`.dataset.done === '1'`)
				sup.SaveShot("floor-live.png")
			}
			if v.Step == "item" && task1 == 1 {
				p1.SaveShot("handheld-pick.png")
			}
		}
	}
	if count.wrong != 1 || count.shorts != 1 {
		t.Fatalf("picker1's cart ended with %d wrong scans, %d shorts: plan bigger carts", count.wrong, count.shorts)
	}
	p1.Do("picker1's cart done", chromedp.WaitVisible(chromedp.CSS("#hh-done")))
	sup.WaitFor("the floor's progress after picker1's cart", fmt.Sprintf(`%s.dataset.done === '%d'`, card, count.picks))
	sup.Accessible("the floor", 1280)

	// 4. picker2 picks a task, then walks into a dead spot.
	v2 := p2.Handheld()
	for v2.Step != "location" || count.of("picker2")[0] == 0 {
		v2 = pick(p2, "picker2")
	}
	task := s.task(s2.Cart, v2.Task)
	item := s.barcode(task.SKU)
	proxy.Set("cut")
	p2.WaitFor("picker2 offline", `document.getElementById('hh-conn').dataset.state === 'reconnecting'`)
	p2.Wedge(task.Location)
	p2.WaitFor("one scan kept", `document.body.dataset.pending === '1'`)
	// The tab is closed and opened again, still out of range.
	closeP2()
	p2, closeP2 = root2.Tab()
	phone(p2, "picker2")
	p2.Do("reopen the page offline", chromedp.Navigate(hh2))
	p2.WaitFor("the page from the service worker, on the task, one scan kept",
		`document.body.dataset.ready === '1' && document.body.dataset.screen === 'pick' && document.body.dataset.pending === '1'`)
	p2.Wedge(item)
	p2.WaitFor("two scans kept", `document.body.dataset.pending === '2'`)
	kept := p2.Saved().Outbox
	if len(kept) != 2 || kept[0].Msg.Data != task.Location || kept[1].Msg.Data != item {
		t.Fatalf("IndexedDB keeps %+v", kept)
	}
	// The whole browser is quit and started again on its profile, still
	// out of range: the service worker serves the page, IndexedDB the scans.
	closeP2()
	root2.Restart()
	p2 = root2
	phone(p2, "picker2")
	p2.Do("open the page offline after the browser's restart", chromedp.Navigate(hh2))
	p2.WaitFor("the page from the service worker, on the task", `document.body.dataset.ready === '1' && document.body.dataset.screen === 'pick'`)
	if got := p2.Handheld(); got.Task != task.ID || got.Step != "location" || got.Pending != 2 || got.Conn != "reconnecting" {
		t.Fatalf("after the browser's restart, offline, the page shows %+v; want task %s at its location, 2 kept, offline", got, task.ID)
	}
	if again := p2.Saved().Outbox; len(again) != 2 || again[0].ID != kept[0].ID || again[1].ID != kept[1].ID {
		t.Fatalf("after the browser's restart IndexedDB keeps %+v, want the scans %s and %s", again, kept[0].ID, kept[1].ID)
	}
	p2.SaveShot("handheld-offline-reopened.png")
	if tk := s.task(s2.Cart, task.ID); tk.Picked != 0 {
		t.Fatalf("before the kept scans are delivered the task has %d picked", tk.Picked)
	}
	proxy.Set("")
	p2.WaitFor("the kept scans answered", `document.body.dataset.pending === '0' && document.getElementById('hh-conn').dataset.state === 'online'`)
	if code, msg := p2.Verdict(); code != pickwave.VerdictOK {
		t.Fatalf("the last kept scan got %s %q", code, msg)
	}
	count.scans += 2
	count.inTote[task.ID]++
	if tk := s.task(s2.Cart, task.ID); tk.Picked != 1 {
		t.Fatalf("after the kept scans the task has %d picked, want 1", tk.Picked)
	}
	// picker2 goes home: the page is left with the cart half picked.
	p2.Do("picker2 leaves", chromedp.Navigate("about:blank"))

	// 5. Carts & pickers: the stuck cart goes to picker1.
	sup.Do("open carts and pickers", chromedp.Click(chromedp.CSS(`a[data-view="carts"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#carts-body tr[data-cart=%q][data-picker="picker2"]`, s2.Cart))))
	if got := sup.Text(fmt.Sprintf(`#carts-body tr[data-cart=%q] .stop`, s2.Cart)); !strings.HasPrefix(got, "2 of ") {
		t.Errorf("picker2's cart shows stop %q, want 2 of …", got)
	}
	sup.Do("take the cart off picker2", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#carts-body tr[data-cart=%q] button[data-action="unassign"]`, s2.Cart))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#carts-body tr[data-cart=%q][data-status="open"]`, s2.Cart))))
	sup.Fill(fmt.Sprintf(`#carts-body tr[data-cart=%q] input`, s2.Cart), "picker1\n")
	sup.WaitFor("the cart with picker1", fmt.Sprintf(`!!document.querySelector('#carts-body tr[data-cart=%q][data-picker="picker1"]')`, s2.Cart))
	if c, err := s.api.Waves.Cart(ctx, s2.Cart); err != nil || c.Picker != "picker1" {
		t.Fatalf("the API has the moved cart as %+v, %v", c, err)
	}
	sup.Accessible("carts and pickers", 1280)
	sup.SaveShot("carts-and-pickers.png")

	// picker1's handheld gets the cart where picker2 left it: the same
	// task, its unit kept, and the location to scan (picker1 is elsewhere).
	p1.WaitFor("picker1 given the cart", fmt.Sprintf(`document.body.dataset.screen === 'pick' && document.getElementById('hh-pick').dataset.cart === %q`, s2.Cart))
	if got := p1.Handheld(); got.Task != task.ID || got.Step != "location" || got.Left != strconv.Itoa(task.Qty-1) {
		t.Errorf("picker1 gets the cart at %+v; want task %s at its location, %d left", got, task.ID, task.Qty-1)
	}
	sup.Do("back to the floor", chromedp.Click(chromedp.CSS(`a[data-view="floor"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#view-floor[data-connection="live"]`)))
	sup.WaitFor("the floor: the cart with picker1, none with picker2", fmt.Sprintf(`[...document.querySelectorAll('#floor-pickers [data-picker] td:nth-child(2)')].map((td) => td.textContent).join(' ') === %q`, s2.Cart+" —"))
	for v := p1.Handheld(); v.Screen == "pick"; v = p1.Handheld() {
		pick(p1, "picker1")
	}
	p1.Do("picker2's cart done", chromedp.WaitVisible(chromedp.CSS("#hh-done")))
	p1.SaveShot("handheld-done.png")

	// 6. The floor: the wave done; the KPIs of the run.
	sup.WaitFor("the wave done on the floor", fmt.Sprintf(`(c => c.dataset.done === c.dataset.tasks && c.dataset.done === '%d')(%s)`, count.picks, card))
	if got := sup.Texts(`#floor-pickers [data-picker] td:nth-child(2)`); len(got) != 2 || got[0] != "—" || got[1] != "—" {
		t.Errorf("with the wave done the floor shows the pickers' carts %q", got)
	}
	if got := sup.Text(fmt.Sprintf(`[data-wave=%q] .wave-facts .muted`, w.ID)); got != "" {
		t.Errorf("the finished wave's card still names pickers: %q", got)
	}
	sup.SaveShot("floor-done.png")

	// The working time as docs/kpis.md defines it: the pauses of at most
	// kpi.MaxGap between a picker's consecutive scans.
	judged, ids := 0, map[string]int{}
	lastScan, working := map[string]time.Time{}, map[string]time.Duration{}
	for _, e := range s.events(seq0) {
		if e.Type != pickwave.EventScanJudged {
			continue
		}
		judged++
		var p struct {
			ScanID string `json:"scan_id"`
			Picker string `json:"picker"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil || p.ScanID == "" {
			t.Fatalf("scan.judged %d without an id: %s, %v", e.Seq, e.Payload, err)
		}
		ids[p.ScanID]++
		if prev, ok := lastScan[p.Picker]; ok {
			if gap := e.Time.Sub(prev); gap > 0 && gap <= kpi.MaxGap {
				working[p.Picker] += gap
			}
		}
		lastScan[p.Picker] = e.Time
	}
	workingAll := working["picker1"] + working["picker2"]
	if len(working) != 2 {
		t.Errorf("scans by %d pickers: %v", len(working), working)
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("scan %s judged in %d events", id, n)
		}
	}
	for _, k := range kept {
		if ids[k.ID] != 1 {
			t.Errorf("the kept scan %s (%s) is in %d events, want 1", k.ID, k.Msg.Data, ids[k.ID])
		}
	}
	if judged != count.scans {
		t.Errorf("%d scan.judged events, the test made %d scans", judged, count.scans)
	}

	var walk float64
	for _, c := range w.Plan.Carts {
		walk += c.DistanceM
	}
	sup.Do("open the KPIs", chromedp.Click(chromedp.CSS(`a[data-view="kpis"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#view-kpis[data-state="ready"]`)))
	pct := func(v float64) string { return kpiNum(100*apiRatio(v)) + "%" }
	for sel, want := range map[string]string{
		"#kpi-accuracy .kpi-value": pct(1 - float64(count.wrong)/float64(count.scans)),
		"#kpi-accuracy .kpi-how":   fmt.Sprintf("%d wrong of %d scans", count.wrong, count.scans),
		"#kpi-short .kpi-value":    pct(float64(count.shorts) / float64(count.picks)),
		"#kpi-short .kpi-how":      fmt.Sprintf("%d of %d picks", count.shorts, count.picks),
		"#kpi-uph .kpi-how":        fmt.Sprintf("%d units", count.units),
		"#kpi-walk .kpi-how":       fmt.Sprintf("%s m for %d units", kpiNum(walk), count.units),
		"#kpi-walk .kpi-value":     kpiNum(apiRatio(walk/float64(count.units))) + " m",
	} {
		if got := sup.Text(sel); got != want {
			t.Errorf("%s shows %q, the hand count gives %q", sel, got, want)
		}
	}
	perHour := func(n int, d time.Duration) string { return kpiNum(apiRatio(float64(n) / d.Hours())) }
	for sel, want := range map[string]string{
		"#kpi-pph .kpi-how":   fmt.Sprintf("%d picks in %s of work", count.picks, kpiDuration(workingAll.Hours())),
		"#kpi-pph .kpi-value": perHour(count.picks, workingAll),
		"#kpi-uph .kpi-value": perHour(count.units, workingAll),
	} {
		if got := sup.Text(sel); got != want {
			t.Errorf("%s shows %q, the formula on the run gives %q", sel, got, want)
		}
	}
	rows := browsertest.Eval[[][]string](sup, `[...document.querySelectorAll('#kpis-pickers tr')].map((r) => [...r.cells].map((c) => c.textContent))`)
	shown := map[string]string{}
	for _, r := range rows {
		if len(r) == 6 {
			shown[r[0]] = strings.Join(r[1:], " | ")
		}
	}
	for _, name := range []string{"picker1", "picker2"} {
		n := count.of(name)
		want := strings.Join([]string{fmt.Sprint(n[0]), fmt.Sprint(n[1]), kpiDuration(working[name].Hours()),
			perHour(n[0], working[name]), perHour(n[1], working[name])}, " | ")
		if shown[name] != want {
			t.Errorf("the KPI page shows %s with %q, the hand count and the formulas %q", name, shown[name], want)
		}
	}
	wrow := browsertest.Eval[[]string](sup, `[...(document.querySelector('#kpis-waves tr')?.cells || [])].map((c) => c.textContent)`)
	if want := []string{w.ID, fmt.Sprint(count.picks), fmt.Sprint(count.units)}; len(wrow) < 3 || wrow[0] != want[0] || wrow[1] != want[1] || wrow[2] != want[2] {
		t.Errorf("the KPI page's wave row %q, want %q", wrow, want)
	}
	sup.Accessible("the KPIs", 1280)
	sup.SaveShot("kpis.png")
	t.Logf("hand count: %d scans (%d wrong), %d picks (%d short), %d units, %.1f m planned; by picker %v %v",
		count.scans, count.wrong, count.picks, count.shorts, count.units, walk, *count.of("picker1"), *count.of("picker2"))
	sup.CheckConsole()
	p1.CheckConsole()
	p2.CheckConsole() // since the browser's restart: the page offline, then back in range
}
