package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/browsertest"
	"github.com/pickwave/pickwave/kpi"
)

// TestPages_floorLiveAndKPIs: a supervisor watches the Floor tab while
// picker1 picks a cart on its handheld with a wrong scan and a short:
// the wave's progress, the picker on its cart and both exceptions appear
// live, and the pack station's devices show. The KPI tab then shows the
// figures the formulas give on that run, checked against the test's own
// count. Screenshots at 1,280 and 360 px go to docs/screenshots.
func TestPages_floorLiveAndKPIs(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	f := newFloor(t, []string{"supervisor", "picker1"}, true)
	b := browsertest.New(t, execPath)
	start := time.Now()
	defer func() { t.Logf("browser steps took %v", time.Since(start).Round(time.Millisecond)) }()

	b.Do("log in and open the floor",
		chromedp.Navigate(f.url+"/#floor"),
		chromedp.WaitVisible(chromedp.CSS("#login-username")),
		chromedp.SendKeys(chromedp.CSS("#login-username"), "supervisor"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), demo.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`#view-floor[data-connection="live"]`)),
	)
	wave := f.wave.ID
	b.WaitFor("the released wave, nothing picked", fmt.Sprintf(`(c => c && c.dataset.done === '0')(document.querySelector('[data-wave=%q]'))`, wave))
	b.WaitFor("the pack station with its devices", fmt.Sprintf(`document.querySelectorAll('[data-station=%q] .devices li').length === 3`, floorStation))

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	h, err := handheld.Dial(ctx, f.url, handheld.Options{Badge: demo.Badge([]byte("test badges"), "picker1"), Device: "TC52-9"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	p, err := h.TakeCart(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var scans, wrong int
	send := func(data string) *pickwave.ScanResult {
		t.Helper()
		res, err := h.Scan(ctx, pickwave.ScanRequest{Data: data})
		if err != nil {
			t.Fatal(err)
		}
		scans++
		if kpi.WrongScan(res.Verdict.Code) {
			wrong++
		}
		return res
	}
	b.WaitFor("picker1 on its cart, its handheld online", fmt.Sprintf(`(r => r && r.textContent.includes(%q) && !!r.querySelector('.dot-on'))(document.querySelector('[data-picker="picker1"]'))`, p.CartID))
	shorted := false
	for !p.Done {
		switch {
		case p.Step == pickwave.StepLocation && wrong == 0:
			if res := send("NOT-A-LOCATION"); res.Verdict.Code != "wrong_location" {
				t.Fatalf("wrong location: %s", res.Verdict.Code)
			}
			b.WaitFor("the wrong scan in the exceptions", `!!document.querySelector('#floor-exceptions [data-kind="wrong_scan"]')`)
		case p.Step == pickwave.StepItem && !shorted && p.Task.Seq > 1:
			shorted = true
			if _, err := h.Short(ctx, pickwave.ShortRequest{Reason: pickwave.ShortEmpty}); err != nil {
				t.Fatal(err)
			}
			scans++
			b.WaitFor("the short in the exceptions", `!!document.querySelector('#floor-exceptions [data-kind="short"]')`)
		default:
			var code string
			switch p.Step {
			case pickwave.StepBindTote:
				code = fmt.Sprintf("TOTE-%d", p.Slot)
			case pickwave.StepLocation:
				code = p.Task.Location
			case pickwave.StepItem:
				code = f.barcodes[p.Task.SKU][0].Code
			case pickwave.StepTote:
				code = fmt.Sprintf("TOTE-%d", p.Task.ToteSlot)
			}
			if res := send(code); res.Verdict.Code != "ok" {
				t.Fatalf("%s at %s: %s", code, p.Step, res.Verdict.Code)
			}
			if p.Step == pickwave.StepTote && p.Task.Seq == 1 {
				b.WaitFor("live progress: one pick done", fmt.Sprintf(`document.querySelector('[data-wave=%q]').dataset.done === '1'`, wave))
				b.SaveShot("floor-live.png")
			}
		}
		p = h.Prompt()
	}
	if !shorted {
		t.Fatal("the cart had one task: no short was made")
	}
	if err := h.Err(); err != nil {
		t.Fatal(err)
	}
	b.WaitFor("the wave finished on the floor", fmt.Sprintf(`(c => c.dataset.done === c.dataset.tasks)(document.querySelector('[data-wave=%q]'))`, wave))
	b.WaitFor("picker1 still online, without a cart", `(r => r && !!r.querySelector('.dot-on') && r.children[1].textContent === '—')(document.querySelector('[data-picker="picker1"]'))`)
	b.SaveShot("floor-done.png")
	b.Width(360)
	b.NoOverflow("floor at 360 px")
	b.SaveShot("floor-360.png")
	b.Width(1280)

	// The hand count of the run: every task of the cart was finished.
	cart, err := f.db.Cart(ctx, p.CartID)
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := f.db.CartTasks(ctx, cart.ID)
	if err != nil {
		t.Fatal(err)
	}
	picks, shorts := len(tasks), 0
	for _, task := range tasks {
		if task.Short > 0 {
			shorts++
		}
	}
	b.Do("open the KPIs",
		chromedp.Click(chromedp.CSS(`a[data-view="kpis"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#view-kpis[data-state="ready"]`)),
	)
	checks := map[string]string{
		"#kpi-accuracy .kpi-how": fmt.Sprintf("%d wrong of %d scans", wrong, scans),
		"#kpi-short .kpi-how":    fmt.Sprintf("%d of %d picks", shorts, picks),
	}
	for sel, want := range checks {
		if got := b.Text(sel); got != want {
			t.Errorf("%s shows %q, want %q (the hand count)", sel, got, want)
		}
	}
	wantAcc := fmt.Sprintf("%.1f", 100*(1-float64(wrong)/float64(scans)))
	if got := b.Text("#kpi-accuracy .kpi-value"); !strings.HasPrefix(strings.ReplaceAll(got, " ", ""), strings.TrimSuffix(strings.TrimSuffix(wantAcc, "0"), ".")) {
		t.Errorf("accuracy shows %q, want %s %%", got, wantAcc)
	}
	row := b.Texts(`#kpis-pickers tr td`)
	if len(row) < 2 || row[0] != "picker1" || row[1] != fmt.Sprint(picks) {
		t.Errorf("pickers table %q, want picker1 with %d picks", row, picks)
	}
	if n := browsertest.Eval[int](b, `document.querySelectorAll('#kpis-charts svg.chart').length`); n != 4 {
		t.Errorf("%d charts", n)
	}
	b.SaveShot("kpis.png")
	b.Width(360)
	b.NoOverflow("KPIs at 360 px")
	b.SaveShot("kpis-360.png")
	b.CheckConsole()
}
