package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/kpi"
)

// accessible checks a screen's accessibility basics: every input, select
// and textarea on the page (shown or not) has a label with text (label
// for= or around it), an aria-label or an aria-labelledby naming an
// element; and the page needs no sideways scrolling at 360 or 1,280 px.
// It leaves the viewport at w.
func (b *browser) accessible(what string, w int64) {
	b.t.Helper()
	unlabelled := eval[[]string](b, `[...document.querySelectorAll('input, select, textarea')]
		.filter((e) => e.type !== 'hidden')
		.filter((e) => !([...(e.labels || [])].some((l) => l.textContent.trim()))
			&& !(e.getAttribute('aria-label') || '').trim()
			&& !(e.getAttribute('aria-labelledby') || '').split(/\s+/).some((id) => id && document.getElementById(id)))
		.map((e) => e.tagName.toLowerCase() + '#' + e.id)`)
	if len(unlabelled) > 0 {
		b.t.Errorf("%s: no label on %v", what, unlabelled)
	}
	for _, vw := range []int64{360, 1280} {
		b.width(vw)
		b.noOverflow(fmt.Sprintf("%s at %d px", what, vw))
	}
	b.width(w)
}

// handCount is the test's own count of the run, the figures docs/kpis.md
// defines, kept as the scans are answered.
type handCount struct {
	scans, wrong, picks, shorts, units int
	picker                             map[string]*[2]int // picks, units
	inTote                             map[string]int     // units picked of tasks not finished
}

// finish counts a task finished by name, in full or short: a pick, and
// the units picked into its tote, whoever scanned them (the formulas
// count a task's units when it is finished, for the picker finishing it).
func (c *handCount) finish(name, task string, short bool) {
	c.picks++
	c.units += c.inTote[task]
	c.of(name)[0]++
	c.of(name)[1] += c.inTote[task]
	delete(c.inTote, task)
	if short {
		c.shorts++
	}
}

func (c *handCount) of(name string) *[2]int {
	if c.picker[name] == nil {
		c.picker[name] = &[2]int{}
	}
	return c.picker[name]
}

// kpiNum formats v as kpis.js does in en-US: at most one decimal,
// thousands grouped.
func kpiNum(v float64) string {
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	if frac != "" {
		return whole + "." + frac
	}
	return whole
}

// kpiDuration formats a working time of h hours as kpis.js does, from
// the API's hours (rounded to four decimals).
func kpiDuration(h float64) string {
	s := math.Round(h*10000) / 10000 * 3600
	switch {
	case s < 90:
		return fmt.Sprintf("%d s", int(math.Round(s)))
	case s < 90*60:
		return fmt.Sprintf("%d min", int(math.Round(s/60)))
	case s < 48*3600:
		return kpiNum(s/3600) + " h"
	}
	return kpiNum(s/86400) + " d"
}

// TestPages_floorEndToEnd is the supervisor's floor from end to end, in
// real headless Chromium: three browsers (the supervisor's at 1,280 px,
// two pickers' handhelds at 360 px), the server with the demo seed.
//
//  1. The supervisor plans a wave on the Waves screen (the preview shows
//     its carts, stops and the walking saved) and releases it.
//  2. picker1 and picker2 log in on /handheld.html with a badge burst and
//     take a cart each; the Floor screen shows both on their carts.
//  3. picker1 picks with wedge bursts, one of them a wrong location, and
//     reports one task short; the Floor shows progress and both
//     exceptions as they happen. picker1's cart ends.
//  4. picker2 (through a proxy the test can cut) picks a task, walks out
//     of range and scans twice; its tab is closed and reopened in the
//     dead spot, showing the task and the two kept scans; back in range
//     they are delivered once. Then picker2 leaves the cart.
//  5. On Carts & pickers the supervisor takes the stuck cart off picker2
//     and gives it to picker1, whose handheld picks it to the end.
//  6. The Floor shows the wave done; the KPI page shows what the formulas
//     of docs/kpis.md give on this run, against the test's hand count.
//
// Every scan id is in exactly one scan.judged event, and there are as
// many of those as scans counted. Each screen is checked for labels and
// sideways scrolling at 360 and 1,280 px and saved to docs/screenshots.
func TestPages_floorEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives real browsers")
	}
	execPath := browserPath(t)
	seeding := time.Now()
	f := openFloor(t, []string{"supervisor", "picker1", "picker2"}, false, nil, false)
	t.Logf("the seeded server took %v", time.Since(seeding).Round(time.Millisecond))
	ctx := context.Background()
	start := time.Now()
	defer func() { t.Logf("the browsers' part took %v", time.Since(start).Round(time.Millisecond)) }()
	count := &handCount{picker: map[string]*[2]int{}, inTote: map[string]int{}}

	// 1. Plan and release on the Waves screen: two carts.
	pool, err := f.db.Orders(ctx, pickwave.OrderFilter{Status: pickwave.OrderAllocated})
	if err != nil || len(pool) < 4 {
		t.Fatalf("orders waiting: %d, %v", len(pool), err)
	}
	sup := newBrowser(t, execPath)
	sup.do("log in",
		chromedp.Navigate(f.url+"/#waves"),
		chromedp.WaitVisible(chromedp.CSS("#login-username")),
		chromedp.SendKeys(chromedp.CSS("#login-username"), "supervisor"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), demo.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`#waves-table[data-state="ready"]`)),
	)
	sup.fill("#plan-name", "E2E")
	sup.fill("#plan-totes", fmt.Sprint((len(pool)+1)/2))
	sup.do("plan", chromedp.Click(chromedp.CSS("#plan-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#wave-page[data-state="ready"][data-status="planned"]`)))
	waves, err := f.db.Waves(ctx, 1)
	if err != nil || len(waves) != 1 {
		t.Fatalf("waves after planning: %v, %v", waves, err)
	}
	w, err := f.db.Wave(ctx, waves[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Plan.Carts) != 2 {
		t.Fatalf("planned %d carts, want 2", len(w.Plan.Carts))
	}
	stops := 0
	for _, c := range w.Plan.Carts {
		stops += len(c.Stops)
	}
	for sel, want := range map[string]string{"#wf-carts": "2", "#wf-stops": fmt.Sprint(stops), "#wf-orders": fmt.Sprint(len(w.Orders))} {
		if got := sup.text(sel); got != want {
			t.Errorf("the preview's %s shows %q, want %q", sel, got, want)
		}
	}
	saved := w.Plan.Baseline.FCFSSShapeM - w.Plan.DistanceM
	if got := sup.text("#wf-saved"); !strings.Contains(got, fmt.Sprintf("(%d %%)", int(0.5+100*saved/w.Plan.Baseline.FCFSSShapeM))) {
		t.Errorf("walking saved shows %q; plan %.1f m, baseline %.1f m", got, w.Plan.DistanceM, w.Plan.Baseline.FCFSSShapeM)
	}
	sup.accessible("the wave preview", 1280)
	sup.saveShot("waves-preview.png")
	sup.do("release", chromedp.Click(chromedp.CSS("#wave-release")),
		chromedp.WaitVisible(chromedp.CSS(`#wave-page[data-state="ready"][data-status="released"]`)))
	sup.accessible("the wave page", 1280)
	sup.saveShot("wave-page.png")
	sup.do("open the floor", chromedp.Click(chromedp.CSS(`a[data-view="floor"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#view-floor[data-connection="live"]`)))
	card := fmt.Sprintf(`document.querySelector('[data-wave=%q]')`, w.ID)
	sup.waitFor("the released wave on the floor", card+`?.dataset.done === '0'`)

	// 2. Two handhelds: picker1 straight to the server, picker2 through a
	// proxy that can be cut. Each is its own browser, as two devices are.
	badge := func(name string) string { return demo.Badge([]byte("test badges"), name) }
	proxy := newCutProxy(t, strings.TrimPrefix(f.url, "http://"))
	login := func(b *browser, url, name string) hhShown {
		b.t.Helper()
		b.do(name+"'s phone", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
		b.do(name+" opens the handheld page", chromedp.Navigate(url),
			chromedp.WaitVisible(chromedp.CSS(`#hh-conn[data-state="online"]`)))
		b.wedge(badge(name))
		b.do(name+" takes a cart", chromedp.WaitVisible(chromedp.CSS("#hh-take")), chromedp.Click(chromedp.CSS("#hh-take")),
			chromedp.WaitVisible(chromedp.CSS(`#hh-pick[data-step="bind_tote"]`)))
		return b.handheld()
	}
	p1 := newBrowser(t, execPath)
	s1 := login(p1, f.url+"/handheld.html?device=TC52-1", "picker1")
	p1.accessible("the handheld", 360)
	root2 := newBrowser(t, execPath)
	p2, closeP2 := root2.tab()
	s2 := login(p2, proxy.url()+"/handheld.html?device=TC52-2", "picker2")
	p2.waitFor("the service worker in control", `!!navigator.serviceWorker.controller`)
	if s1.Cart == s2.Cart || s1.Cart == "" || s2.Cart == "" {
		t.Fatalf("carts taken: %q and %q", s1.Cart, s2.Cart)
	}
	for name, cart := range map[string]string{"picker1": s1.Cart, "picker2": s2.Cart} {
		sup.waitFor(name+" on the floor with cart "+cart,
			fmt.Sprintf(`(r => !!r && r.textContent.includes(%q) && !!r.querySelector('.dot-on'))(document.querySelector('#floor-pickers [data-picker=%q]'))`, cart, name))
	}

	// pick makes the scan the page asks for and counts it; a tote scan
	// finishes a task, an item scan picks one unit (the each barcode).
	pick := func(b *browser, name string) hhShown {
		t.Helper()
		s := b.handheld()
		next := b.wedgeScan(f.rightScan(s))
		if code, msg := b.verdict(); code != pickwave.VerdictOK {
			t.Fatalf("%s's right scan at %+v: %s %q", name, s, code, msg)
		}
		count.scans++
		switch s.Step {
		case "item":
			count.inTote[s.Task]++
		case "tote":
			count.finish(name, s.Task, false)
		}
		return next
	}

	// 3. picker1: a wrong location, a short on the second task.
	task1 := 0
	for s := p1.handheld(); s.Screen == "pick"; s = p1.handheld() {
		switch {
		case s.Step == "location" && count.wrong == 0:
			p1.wedgeScan("NOT-A-LOCATION")
			if code, _ := p1.verdict(); code != pickwave.VerdictWrongLocation {
				t.Fatalf("a wrong location answered %s", code)
			}
			count.scans++
			count.wrong++
			sup.waitFor("the wrong scan on the floor", `!!document.querySelector('#floor-exceptions [data-kind="wrong_scan"]')`)
		case s.Step == "item" && task1 == 2 && count.shorts == 0:
			before := s.Seq
			p1.do("open the short form", chromedp.Click(chromedp.CSS("#hh-short-open")), chromedp.WaitVisible(chromedp.CSS("#hh-short")),
				chromedp.Click(chromedp.CSS(`.hh-reason[data-reason="empty"]`)), chromedp.Click(chromedp.CSS("#hh-found-skip")),
				chromedp.WaitEnabled(chromedp.CSS("#hh-short-send")))
			p1.accessible("the handheld's short form", 360)
			p1.do("report the short", chromedp.Click(chromedp.CSS("#hh-short-send")))
			p1.waitFor("the short answered", fmt.Sprintf(`Number(document.body.dataset.seq) > %d && document.body.dataset.pending === '0'`, before))
			if code, msg := p1.verdict(); code != pickwave.VerdictOK {
				t.Fatalf("the short: %s %q", code, msg)
			}
			count.scans++
			count.finish("picker1", s.Task, true)
			sup.waitFor("the short on the floor", `!!document.querySelector('#floor-exceptions [data-kind="short"]')`)
		default:
			if s.Step == "location" {
				task1++
			}
			pick(p1, "picker1")
			if s.Step == "tote" && count.picks == 1 {
				sup.waitFor("live progress: one pick done", card+`.dataset.done === '1'`)
				sup.saveShot("floor-live.png")
			}
			if s.Step == "item" && task1 == 1 {
				p1.saveShot("handheld-pick.png")
			}
		}
	}
	if count.wrong != 1 || count.shorts != 1 {
		t.Fatalf("picker1's cart ended with %d wrong scans, %d shorts: plan bigger carts", count.wrong, count.shorts)
	}
	p1.do("picker1's cart done", chromedp.WaitVisible(chromedp.CSS("#hh-done")))
	sup.waitFor("the floor's progress after picker1's cart", fmt.Sprintf(`%s.dataset.done === '%d'`, card, count.picks))
	sup.accessible("the floor", 1280)

	// 4. picker2 picks a task, then scans twice in a dead spot.
	s2 = p2.handheld()
	for s2.Step != "location" || count.of("picker2")[0] == 0 {
		s2 = pick(p2, "picker2")
	}
	task, err := f.db.Task(ctx, s2.Task)
	if err != nil {
		t.Fatal(err)
	}
	proxy.set("cut")
	p2.waitFor("picker2 offline", `document.getElementById('hh-conn').dataset.state === 'reconnecting'`)
	p2.wedge(task.Location)
	p2.waitFor("one scan kept", `document.body.dataset.pending === '1'`)
	p2.wedge(f.barcodes[task.SKU][0].Code)
	p2.waitFor("two scans kept", `document.body.dataset.pending === '2'`)
	kept := p2.hhSaved().Outbox
	if len(kept) != 2 || kept[0].Msg.Data != task.Location || kept[1].Msg.Data != f.barcodes[task.SKU][0].Code {
		t.Fatalf("IndexedDB keeps %+v", kept)
	}
	closeP2()
	p2, closeP2 = root2.tab()
	defer closeP2()
	p2.do("picker2's phone again", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	p2.do("reopen the page offline", chromedp.Navigate(proxy.url()+"/handheld.html?device=TC52-2"))
	p2.waitFor("the page from the service worker, on the task", `document.body.dataset.ready === '1' && document.body.dataset.screen === 'pick'`)
	if got := p2.handheld(); got.Task != task.ID || got.Step != "location" || got.Pending != 2 || got.Conn != "reconnecting" {
		t.Fatalf("reopened offline, the page shows %+v; want task %s at its location, 2 kept, offline", got, task.ID)
	}
	p2.saveShot("handheld-offline-reopened.png")
	proxy.set("")
	p2.waitFor("the kept scans answered", `document.body.dataset.pending === '0' && document.getElementById('hh-conn').dataset.state === 'online'`)
	if code, msg := p2.verdict(); code != pickwave.VerdictOK {
		t.Fatalf("the last kept scan got %s %q", code, msg)
	}
	count.scans += 2
	count.inTote[task.ID]++
	if tk, err := f.db.Task(ctx, task.ID); err != nil || tk.Picked != 1 {
		t.Fatalf("after the kept scans the task is %+v, %v; want one unit picked", tk, err)
	}
	// picker2 goes home: the tab is closed with the cart half picked.
	closeP2()

	// 5. Carts & pickers: the stuck cart goes to picker1.
	sup.do("open carts and pickers", chromedp.Click(chromedp.CSS(`a[data-view="carts"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#carts-body tr[data-cart=%q][data-picker="picker2"]`, s2.Cart))))
	if got := sup.text(fmt.Sprintf(`#carts-body tr[data-cart=%q] .stop`, s2.Cart)); !strings.HasPrefix(got, "2 of ") {
		t.Errorf("picker2's cart shows stop %q, want 2 of …", got)
	}
	sup.do("take the cart off picker2", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#carts-body tr[data-cart=%q] button[data-action="unassign"]`, s2.Cart))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#carts-body tr[data-cart=%q][data-status="open"]`, s2.Cart))))
	sup.fill(fmt.Sprintf(`#carts-body tr[data-cart=%q] input`, s2.Cart), "picker1\n")
	sup.waitFor("the cart with picker1", fmt.Sprintf(`!!document.querySelector('#carts-body tr[data-cart=%q][data-picker="picker1"]')`, s2.Cart))
	sup.accessible("carts and pickers", 1280)
	sup.saveShot("carts-and-pickers.png")

	// picker1's handheld gets the cart where picker2 left it: the same
	// task, its unit kept, and the location to scan (picker1 is elsewhere).
	p1.waitFor("picker1 given the cart", fmt.Sprintf(`document.body.dataset.screen === 'pick' && document.getElementById('hh-pick').dataset.cart === %q`, s2.Cart))
	if got := p1.handheld(); got.Task != task.ID || got.Step != "location" || got.Left != strconv.Itoa(task.Qty-1) {
		t.Errorf("picker1 gets the cart at %+v; want task %s at its location, %d left", got, task.ID, task.Qty-1)
	}
	sup.do("back to the floor", chromedp.Click(chromedp.CSS(`a[data-view="floor"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#view-floor[data-connection="live"]`)))
	sup.waitFor("the floor: the cart with picker1, none with picker2", fmt.Sprintf(`[...document.querySelectorAll('#floor-pickers [data-picker] td:nth-child(2)')].map((td) => td.textContent).join(' ') === %q`, s2.Cart+" —"))
	for s := p1.handheld(); s.Screen == "pick"; s = p1.handheld() {
		pick(p1, "picker1")
	}
	p1.do("picker2's cart done", chromedp.WaitVisible(chromedp.CSS("#hh-done")))
	p1.saveShot("handheld-done.png")

	// 6. The floor: the wave done; the KPIs of the run.
	sup.waitFor("the wave done on the floor", fmt.Sprintf(`(c => c.dataset.done === c.dataset.tasks && c.dataset.done === '%d')(%s)`, count.picks, card))
	if got := sup.texts(`#floor-pickers [data-picker] td:nth-child(2)`); len(got) != 2 || got[0] != "—" || got[1] != "—" {
		t.Errorf("with the wave done the floor shows the pickers' carts %q", got)
	}
	if got := sup.text(fmt.Sprintf(`[data-wave=%q] .wave-facts .muted`, w.ID)); got != "" {
		t.Errorf("the finished wave's card still names pickers: %q", got)
	}
	sup.saveShot("floor-done.png")

	events, err := f.db.Events(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	// The working time as docs/kpis.md defines it: the pauses of at most
	// kpi.MaxGap between a picker's consecutive scans.
	judged, ids := 0, map[string]int{}
	lastScan, working := map[string]time.Time{}, map[string]time.Duration{}
	for _, e := range events {
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
	sup.do("open the KPIs", chromedp.Click(chromedp.CSS(`a[data-view="kpis"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#view-kpis[data-state="ready"]`)))
	pct := func(v float64) string { return kpiNum(100*v) + "%" }
	for sel, want := range map[string]string{
		"#kpi-accuracy .kpi-value": pct(1 - float64(count.wrong)/float64(count.scans)),
		"#kpi-accuracy .kpi-how":   fmt.Sprintf("%d wrong of %d scans", count.wrong, count.scans),
		"#kpi-short .kpi-value":    pct(float64(count.shorts) / float64(count.picks)),
		"#kpi-short .kpi-how":      fmt.Sprintf("%d of %d picks", count.shorts, count.picks),
		"#kpi-uph .kpi-how":        fmt.Sprintf("%d units", count.units),
		"#kpi-walk .kpi-how":       fmt.Sprintf("%s m for %d units", kpiNum(walk), count.units),
		"#kpi-walk .kpi-value":     kpiNum(walk/float64(count.units)) + " m",
	} {
		if got := sup.text(sel); got != want {
			t.Errorf("%s shows %q, the hand count gives %q", sel, got, want)
		}
	}
	perHour := func(n int, d time.Duration) string { return kpiNum(float64(n) / d.Hours()) }
	for sel, want := range map[string]string{
		"#kpi-pph .kpi-how":   fmt.Sprintf("%d picks in %s of work", count.picks, kpiDuration(workingAll.Hours())),
		"#kpi-pph .kpi-value": perHour(count.picks, workingAll),
		"#kpi-uph .kpi-value": perHour(count.units, workingAll),
	} {
		if got := sup.text(sel); got != want {
			t.Errorf("%s shows %q, the formula on the run gives %q", sel, got, want)
		}
	}
	rows := eval[[][]string](sup, `[...document.querySelectorAll('#kpis-pickers tr')].map((r) => [...r.cells].map((c) => c.textContent))`)
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
	wrow := eval[[]string](sup, `[...(document.querySelector('#kpis-waves tr')?.cells || [])].map((c) => c.textContent)`)
	if want := []string{w.ID, fmt.Sprint(count.picks), fmt.Sprint(count.units)}; len(wrow) < 3 || wrow[0] != want[0] || wrow[1] != want[1] || wrow[2] != want[2] {
		t.Errorf("the KPI page's wave row %q, want %q", wrow, want)
	}
	sup.accessible("the KPIs", 1280)
	sup.saveShot("kpis.png")
	t.Logf("hand count: %d scans (%d wrong), %d picks (%d short), %d units, %.1f m planned; by picker %v %v",
		count.scans, count.wrong, count.picks, count.shorts, count.units, walk, *count.of("picker1"), *count.of("picker2"))
	sup.checkConsole()
	p1.checkConsole()
}
