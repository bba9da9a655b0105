package web_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/browsertest"
)

// handheldAs logs a picker in on a handheld over the socket.
func (s *site) handheldAs(name string) *handheld.Client {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(s.url, "http") + "/ws/handheld"
	c, err := handheld.Dial(ctx, ws, handheld.Options{Username: name, Password: "secret-pw", Device: "TC52-" + name})
	if err != nil {
		s.t.Fatalf("handheld of %s: %v", name, err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

// rightScan is the scan the prompt asks for; totes are T-<slot>.
func (s *site) rightScan(p *pickwave.Prompt) string {
	s.t.Helper()
	switch p.Step {
	case pickwave.StepBindTote:
		return fmt.Sprintf("T-%d", p.Slot)
	case pickwave.StepLocation:
		return p.Task.Location
	case pickwave.StepItem:
		sku, err := s.db.SKU(context.Background(), p.Task.SKU)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, bc := range sku.Barcodes {
			if bc.Qty == 1 {
				return bc.Code
			}
		}
	case pickwave.StepTote:
		return fmt.Sprintf("T-%d", p.Task.ToteSlot)
	}
	s.t.Fatalf("no right scan for %+v", p)
	return ""
}

func (s *site) scan(c *handheld.Client, data string) *pickwave.Prompt {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Scan(ctx, pickwave.ScanRequest{Data: data})
	if err != nil || res.Verdict.Code != pickwave.VerdictOK {
		s.t.Fatalf("scan %q: %+v, %v", data, res, err)
	}
	return &res.Prompt
}

// TestPages_wavesAndCarts: a supervisor plans a wave on the screen and
// sees its preview against the baseline, releases it, takes a cart off a
// picker and gives it to another, forces a handheld's logout, and cancels
// what has not started of the wave; the handhelds are told each time.
func TestPages_wavesAndCarts(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	s := newSite(t)
	ctx := context.Background()
	for _, name := range []string{"pia", "pat"} {
		if err := s.db.CreateUser(ctx, &pickwave.User{Name: name, Role: pickwave.RolePicker}, "secret-pw"); err != nil {
			t.Fatal(err)
		}
	}
	b := browsertest.New(t, execPath)
	start := time.Now()
	defer func() { t.Logf("browser steps took %v", time.Since(start).Round(time.Millisecond)) }()

	b.Do("log in",
		chromedp.Navigate(s.url+"/#waves"),
		chromedp.WaitVisible(chromedp.CSS("#login-username")),
		chromedp.SendKeys(chromedp.CSS("#login-username"), "supervisor"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), demo.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`#waves-table[data-state="ready"]`)),
	)

	// Plan: two totes a cart, a preview with the baseline.
	b.Fill("#plan-name", "Morning")
	b.Fill("#plan-totes", "2")
	b.Do("plan", chromedp.Click(chromedp.CSS("#plan-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#wave-page[data-state="ready"][data-status="planned"]`)))
	waves, err := s.db.Waves(ctx, 1)
	if err != nil || len(waves) != 1 {
		t.Fatalf("waves after planning: %v %v", waves, err)
	}
	w, _ := s.db.Wave(ctx, waves[0].ID)
	if w.Request.Template.Name != "Morning" || w.Request.Template.TotesPerCart != 2 {
		t.Fatalf("planned with %+v", w.Request.Template)
	}
	stops := 0
	for _, c := range w.Plan.Carts {
		stops += len(c.Stops)
	}
	for sel, want := range map[string]string{
		"#wf-carts": fmt.Sprint(len(w.Plan.Carts)), "#wf-stops": fmt.Sprint(stops), "#wf-orders": fmt.Sprint(len(w.Orders)),
	} {
		if got := b.Text(sel); got != want {
			t.Errorf("preview %s shows %q, want %q", sel, got, want)
		}
	}
	saved := w.Plan.Baseline.FCFSSShapeM - w.Plan.DistanceM
	if got := b.Text("#wf-saved"); !strings.Contains(got, fmt.Sprintf("(%d %%)", int(0.5+100*saved/w.Plan.Baseline.FCFSSShapeM))) {
		t.Errorf("walking saved shows %q; plan %.1f m, baseline %.1f m", got, w.Plan.DistanceM, w.Plan.Baseline.FCFSSShapeM)
	}
	if n := browsertest.Eval[int](b, `document.querySelectorAll('#wave-map .map-route').length`); n != len(w.Plan.Carts) {
		t.Errorf("the map draws %d routes for %d carts", n, len(w.Plan.Carts))
	}
	if got := browsertest.Eval[string](b, `document.querySelector('#wave-map .map-route polyline').getAttribute('points').split(' ').length + ''`); got == "" {
		t.Error("no route drawn")
	}
	if len(w.Plan.Carts) < 3 {
		t.Fatalf("want three carts, planned %d", len(w.Plan.Carts))
	}
	b.SaveShot("waves-preview.png")
	b.FitsWidth("the wave preview", 360)

	// Release.
	b.Do("release", chromedp.Click(chromedp.CSS("#wave-release")),
		chromedp.WaitVisible(chromedp.CSS(`#wave-page[data-state="ready"][data-status="released"]`)))
	if n := len(b.Texts(`#wave-carts tbody tr[data-status="open"]`)); n != len(w.Plan.Carts) {
		t.Fatalf("%d open carts shown after release", n)
	}

	// Pia picks the first task of her cart; Pat is logged in, without one.
	pia, pat := s.handheldAs("pia"), s.handheldAs("pat")
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	p, err := pia.TakeCart(tctx)
	if err != nil {
		t.Fatal(err)
	}
	cartID := p.CartID
	for p.Task == nil {
		p = s.scan(pia, s.rightScan(p))
	}
	first := p.Task
	for !p.Done && p.Task.ID == first.ID {
		p = s.scan(pia, s.rightScan(p))
	}
	if p.Done {
		t.Fatal("pia's cart ended with its first task: plan a bigger one")
	}
	s.scan(pia, p.Task.Location) // at the next stop

	// Carts & pickers: take the cart off Pia, give it to Pat.
	b.Do("open carts", chromedp.Navigate(s.url+"/#carts"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#carts-body tr[data-cart=%q][data-picker="pia"]`, cartID))))
	if got := b.Text(fmt.Sprintf(`#carts-body tr[data-cart=%q] .stop`, cartID)); !strings.HasPrefix(got, "2 of ") {
		t.Errorf("pia's cart shows stop %q, want 2 of …", got)
	}
	if users := b.Texts(`#devices-body tr[data-kind="handheld"] td:first-child`); len(users) != 2 {
		t.Errorf("devices show %v, want pia's and pat's handhelds", users)
	}
	seq := pia.LastSeq()
	b.Do("take the cart off pia", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#carts-body tr[data-cart=%q] button[data-action="unassign"]`, cartID))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#carts-body tr[data-cart=%q][data-status="open"]`, cartID))))
	eventually(t, "pia's handheld to hear of it", func() bool { return pia.LastSeq() > seq })
	if got := pia.Prompt(); got.CartID != "" || !strings.Contains(got.Notice, cartID) {
		t.Fatalf("pia's prompt after the unassign: %+v", got)
	}
	b.Fill(fmt.Sprintf(`#carts-body tr[data-cart=%q] input`, cartID), "pat\n")
	b.WaitFor("the cart with pat", fmt.Sprintf(`!!document.querySelector('#carts-body tr[data-cart=%q][data-picker="pat"]')`, cartID))
	if got := b.Text("#carts-note"); !strings.Contains(got, "given to pat") {
		t.Errorf("note %q", got)
	}
	eventually(t, "pat's handheld to get the cart", func() bool { q := pat.Prompt(); return q != nil && q.CartID == cartID })
	if q := pat.Prompt(); q.Task == nil || q.Step != pickwave.StepLocation || !strings.Contains(q.Notice, "gave you") {
		t.Fatalf("pat's prompt: %+v", q)
	}
	b.SaveShot("carts-and-pickers.png")
	b.FitsWidth("carts and pickers", 360)

	// Force Pia's handheld out: two clicks, the device goes from the list.
	piaRow := `#devices-body tr[data-user="pia"] button[data-action="logout"]`
	b.Do("log pia out", chromedp.Click(chromedp.CSS(piaRow)), chromedp.Click(chromedp.CSS(piaRow)))
	b.WaitFor("pia's device to go", `!document.querySelector('#devices-body tr[data-user="pia"]')`)
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	if err := pia.WaitDisconnect(dctx); err == nil || !strings.Contains(err.Error(), "4003") {
		t.Errorf("pia's handheld ended with %v, want close 4003", err)
	}

	// Cancel what has not started: Pat is told, the orders go back.
	seq = pat.LastSeq()
	b.Do("open the wave", chromedp.Navigate(s.url+"/#waves/"+w.ID),
		chromedp.WaitVisible(chromedp.CSS(`#wave-page[data-state="ready"][data-status="released"]`)),
		chromedp.Click(chromedp.CSS("#wave-cancel-rest")),
		chromedp.Click(chromedp.CSS("#wave-cancel-rest-confirm")))
	b.WaitFor("the cancel's note", `document.querySelector('#wave-note').textContent.includes('back to the pool')`)
	b.WaitFor("the cancelled carts", `!!document.querySelector('#wave-carts tbody tr[data-status="cancelled"]')`)
	allocated, _ := s.db.Orders(ctx, pickwave.OrderFilter{Status: pickwave.OrderAllocated})
	if got, want := b.Text("#wave-note"), fmt.Sprintf("%d order", len(allocated)); !strings.HasPrefix(got, want) || len(allocated) == 0 {
		t.Errorf("note %q; %d orders are back in the pool", got, len(allocated))
	}
	eventually(t, "pat's handheld to hear of it", func() bool { return pat.LastSeq() > seq })
	cancelled := b.Texts(`#wave-carts tbody tr[data-status="cancelled"] td:first-child`)
	if len(cancelled) != len(w.Plan.Carts)-1 || slices.Contains(cancelled, cartID) {
		t.Errorf("cancelled carts shown %v; pat's is %s", cancelled, cartID)
	}
	b.SaveShot("wave-page.png")
	b.FitsWidth("the wave page", 360)
	b.CheckConsole()
}
