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
	"github.com/pickwave/pickwave/internal/browsertest"
)

// pickCart picks the floor's released cart to the end with right scans;
// its totes are TOTE-<slot>. It returns the orders picked by tote.
func (f *floor) pickCart() map[string]*pickwave.Order {
	f.t.Helper()
	ctx := pickwave.WithActor(context.Background(), "picker1")
	p, err := f.db.TakeCart(ctx, "picker1")
	if err != nil {
		f.t.Fatal(err)
	}
	cart := p.CartID
	for n := 0; !p.Done; n++ {
		if n > 500 {
			f.t.Fatal("the cart never finishes")
		}
		var data string
		switch p.Step {
		case pickwave.StepBindTote:
			data = fmt.Sprintf("TOTE-%d", p.Slot)
		case pickwave.StepTote:
			data = fmt.Sprintf("TOTE-%d", p.Task.ToteSlot)
		case pickwave.StepLocation:
			data = p.Task.Location
		case pickwave.StepItem:
			data = f.barcodes[p.Task.SKU][0].Code
		}
		res, err := f.db.Scan(ctx, "picker1", pickwave.ScanRequest{ID: fmt.Sprintf("pick-%d", n), Device: "test", Data: data})
		if err != nil || res.Verdict.Code != "ok" {
			f.t.Fatalf("pick scan %q: %+v %v", data, res, err)
		}
		p = &res.Prompt
	}
	c, err := f.db.Cart(ctx, cart)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]*pickwave.Order{}
	for _, tt := range c.Totes {
		o, err := f.db.Order(ctx, tt.OrderID)
		if err != nil {
			f.t.Fatal(err)
		}
		if o.Status == pickwave.OrderPicked {
			out[tt.Tote] = o
		}
	}
	return out
}

// TestPages_packScreen packs an order in the browser: the packer signs in
// at the station, the scanner reads the tote and the checklist fills as
// the items are scanned; a wrong item typed in is refused in the error
// panel; the weight shows against the expected band, and once the
// simulated scale settles inside it the label prints and its preview,
// tracking number, reprint and void show. Changing station leaves
// nothing of the first station on screen.
func TestPages_packScreen(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	f := newFloor(t, []string{"packer"}, true)
	totes := f.pickCart()
	var tote string
	var o *pickwave.Order
	for k, v := range totes {
		tote, o = k, v
		break
	}
	if o == nil {
		t.Fatal("no order was picked")
	}
	if err := f.db.CreateStation(pickwave.WithActor(context.Background(), "test"), &pickwave.Station{ID: "PACK-2", Name: "Pack station 2"}); err != nil {
		t.Fatal(err)
	}
	if err := f.stations.Reload(context.Background(), "PACK-2"); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, execPath)

	b.Do("open the station page",
		chromedp.Navigate(f.url+"/station.html#"+floorStation),
		chromedp.WaitVisible(chromedp.CSS("#login-username")),
		chromedp.SendKeys(chromedp.CSS("#login-username"), "packer"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), demo.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`#view-station[data-station="`+floorStation+`"][data-state="ready"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#st-live[data-state="live"]`)),
	)
	b.WaitFor("every device online", `['scanner', 'scale', 'printer'].every((d) => document.getElementById('st-' + d).dataset.online === 'online')`)
	b.Do("sign in", chromedp.Click(chromedp.CSS("#pk-signin")))
	b.WaitFor("signed in", `document.getElementById('pk').dataset.packer === 'packer'`)

	if err := f.sims.scanner.Scan(tote); err != nil {
		t.Fatal(err)
	}
	onBench := fmt.Sprintf(`document.getElementById('pk').dataset.order === %q && document.getElementById('pk').dataset.step === 'scan'`, o.ID)
	for start := time.Now(); !browsertest.Eval[bool](b, onBench); time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			// What the page shows says where the scan went.
			t.Fatalf("the order %s is not on the bench after the scanner read tote %s: step %q, verdict %q, error %q, station's last scan %q%s", o.ID, tote,
				browsertest.Eval[string](b, `document.getElementById('pk').dataset.step`), browsertest.Eval[string](b, `document.getElementById('pk-verdict').textContent`),
				browsertest.Eval[string](b, `document.getElementById('pk-error').textContent`), browsertest.Eval[string](b, `(document.getElementById('st-scanner') || {}).textContent || ''`),
				b.ConsoleText())
		}
	}
	if n := browsertest.Eval[int](b, `document.querySelectorAll('#pk-lines tr').length`); n == 0 {
		t.Fatal("no checklist")
	}

	// A wrong item, typed: refused in the error panel.
	wrong := ""
	for _, s := range f.skus {
		in := false
		for _, l := range o.Lines {
			in = in || l.SKU == s.Code
		}
		if !in && len(s.Barcodes) > 0 {
			wrong = s.Barcodes[0].Code
			break
		}
	}
	b.Do("type a wrong item", chromedp.SendKeys(chromedp.CSS("#pk-scan"), wrong+"\n"))
	b.WaitFor("the refusal", `!document.getElementById('pk-error').hidden && document.getElementById('pk-verdict').dataset.code === 'wrong'`)
	if got := b.Text("#pk-error"); !strings.Contains(got, "Wrong item") {
		t.Errorf("error panel shows %q", got)
	}

	// Every item with the scanner: the checklist fills.
	for _, l := range o.Lines {
		for range l.Picked {
			if err := f.sims.scanner.Scan(f.barcodes[l.SKU][0].Code); err != nil {
				t.Fatal(err)
			}
		}
	}
	b.WaitFor("the package to weigh", `document.getElementById('pk').dataset.step === 'weigh' && [...document.querySelectorAll('#pk-lines tr')].every((r) => r.dataset.done === 'true')`)
	if got := b.Text("#pk-carton"); !strings.Contains(got, "BOX-L") {
		t.Errorf("carton shows %q", got)
	}
	s, err := f.db.PackSession(context.Background(), floorStation)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Text("#pk-weight-expected"); !strings.Contains(got, fmt.Sprint(s.ExpectedG)) {
		t.Errorf("expected weight shows %q, want %d g", got, s.ExpectedG)
	}
	// Outside the band first: shown as out, blocked.
	f.sims.scale.SetWeight(s.MaxG + 500)
	b.WaitFor("blocked", `document.getElementById('pk').dataset.step === 'blocked' && document.getElementById('pk-weight').dataset.band === 'out'`)
	// Then inside: the label prints by itself.
	f.sims.scale.SetWeight(float64(s.ExpectedG))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.sims.printer.WaitLabels(ctx, 1); err != nil {
		t.Fatal(err)
	}
	b.WaitFor("the last shipment with its label", `!document.getElementById('pk-last').hidden && document.getElementById('pk-label').complete && document.getElementById('pk-label').naturalWidth > 0 && document.querySelectorAll('#pk-packages li').length === 1`)
	sh, err := f.db.ShipmentOfOrder(context.Background(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Text("#pk-packages li"); !strings.Contains(got, sh.Packages[0].TrackingNumber) {
		t.Errorf("package shows %q, want %s", got, sh.Packages[0].TrackingNumber)
	}
	if !strings.Contains(string(f.sims.printer.Labels()[0]), sh.Packages[0].TrackingNumber) {
		t.Error("the printed label lacks the tracking number")
	}
	b.Screenshot("pickwave-pack.png")

	// Void needs a reason: refused without, done with.
	b.Do("void without a reason", chromedp.Click(chromedp.CSS(`#pk-packages button[data-pkg="void"]`)))
	b.WaitFor("the reason asked for", `!document.getElementById('pk-error').hidden && document.getElementById('pk-error').textContent.includes('reason')`)
	b.Do("void with a reason",
		chromedp.SendKeys(chromedp.CSS("#pk-reason"), "carton torn"),
		chromedp.Click(chromedp.CSS(`#pk-packages button[data-pkg="void"]`)))
	b.WaitFor("voided", `document.querySelector('#pk-packages li').dataset.status === 'voided'`)

	// The public tracking page: status and dates, nothing personal.
	b.Do("track the parcel", chromedp.Navigate(f.url+"/track.html?n="+sh.Packages[0].TrackingNumber))
	b.WaitFor("the tracking", `document.body.dataset.state === 'ready'`)
	if got := browsertest.Eval[string](b, `document.getElementById('tr-result').dataset.status`); got != "voided" {
		t.Errorf("tracking status %q, want voided", got)
	}
	page := browsertest.Eval[string](b, `document.body.innerText`)
	for _, private := range []string{o.ShipTo.Name, o.ShipTo.Address1, o.ID} {
		if strings.Contains(page, private) {
			t.Errorf("the tracking page shows %q", private)
		}
	}
	b.Do("back to the station", chromedp.Navigate(f.url+"/station.html#"+floorStation),
		chromedp.WaitVisible(chromedp.CSS(`#view-station[data-station="`+floorStation+`"][data-state="ready"]`)))

	// Change station: nothing of PACK-1 stays on screen.
	b.Do("change station", chromedp.Click(chromedp.CSS("#st-change")),
		chromedp.WaitVisible(chromedp.CSS(`#pick-list[data-state="ready"] a[data-id="PACK-2"]`)),
		chromedp.Click(chromedp.CSS(`#pick-list a[data-id="PACK-2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#view-station[data-station="PACK-2"][data-state="ready"]`)))
	b.WaitFor("PACK-2 live", `document.getElementById('st-live').dataset.state === 'live'`)
	if got := b.Text("#st-scan-data"); got != "—" {
		t.Errorf("PACK-2 shows PACK-1's last scan %q", got)
	}
	if got := browsertest.Eval[bool](b, `document.getElementById('pk-last').hidden && document.getElementById('pk').dataset.order === ''`); !got {
		t.Error("PACK-2 shows PACK-1's packing")
	}
	b.CheckConsole()
}
