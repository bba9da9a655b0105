package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/carrier"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/device"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/browsertest"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/station"
	"github.com/pickwave/pickwave/store"
	"github.com/pickwave/pickwave/web"
)

// floorSeed passes demo.Seed through to the store, but for users not
// named: each bcrypt hash takes a second or so under the race detector.
type floorSeed struct {
	*store.DB
	users []string
}

func (s floorSeed) CreateUser(ctx context.Context, u *pickwave.User, password string) error {
	if !slices.Contains(s.users, u.Name) {
		return nil
	}
	return s.DB.CreateUser(ctx, u, password)
}

// floorSims are a pack station's simulated devices: a serial scanner and
// an MT-SICS scale on pseudo-terminals, a ZPL printer on a loopback port.
type floorSims struct {
	scanner *device.ScannerSim
	scale   *device.ScaleSim
	printer *device.PrinterSim
}

// floor is a seeded demo warehouse with a released wave, served for real
// with the web UI, the handheld socket and a running station runtime.
type floor struct {
	t        *testing.T
	db       *store.DB
	url      string
	wave     *pickwave.Wave
	barcodes map[string][]pickwave.Barcode // by SKU, the each barcode first
	skus     []*pickwave.SKU
	sims     *floorSims // nil without a station
	stations *station.Runtime
}

const floorStation = "PACK-1"

func newFloor(t *testing.T, users []string, withStation bool) *floor {
	t.Helper()
	return newFloorWith(t, users, withStation, nil)
}

// newFloorWith is newFloor with more made in the store before the wave
// is planned (orders, stock).
func newFloorWith(t *testing.T, users []string, withStation bool, before func(ctx context.Context, db *store.DB) error) *floor {
	t.Helper()
	ctx := context.Background()
	discard := slog.New(slog.DiscardHandler)
	f := &floor{t: t, barcodes: map[string][]pickwave.Barcode{}}

	if withStation {
		dir := t.TempDir()
		sims := &floorSims{}
		var err error
		if sims.scanner, err = device.NewScannerSim(filepath.Join(dir, "scanner"), device.ScannerSimConfig{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sims.scanner.Close() })
		if sims.scale, err = device.NewScaleSim(filepath.Join(dir, "scale"), device.ScaleSimConfig{Protocol: device.ProtocolMTSICS}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sims.scale.Close() })
		if sims.printer, err = device.NewPrinterSim("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sims.printer.Close() })
		f.sims = sims
	}

	db := testenv.OpenStore(t, t.TempDir(), store.Options{NoSync: true})
	f.db = db
	err := demo.Seed(ctx, floorSeed{db, users}, demo.Site{Aisles: 2, Bays: 3, Levels: 2, SKUs: 10, Orders: 4, Seed: 1, Now: time.Now(), BadgeKey: []byte("test badges")})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	if before != nil {
		if err := before(ctx, db); err != nil {
			db.Close()
			t.Fatal(err)
		}
	}
	planned, err := db.PlanWave(ctx, pickwave.WaveTemplate{TotesPerCart: 8}, 1)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	if f.wave, err = db.ReleaseWave(ctx, planned.ID); err != nil {
		db.Close()
		t.Fatal(err)
	}
	if f.skus, err = db.SKUs(ctx, "", 100); err != nil {
		db.Close()
		t.Fatal(err)
	}
	for _, s := range f.skus {
		f.barcodes[s.Code] = s.Barcodes
	}
	if f.sims != nil {
		st := &pickwave.Station{ID: floorStation, Name: "Pack station 1",
			Scanner: &pickwave.ScannerConfig{Port: f.sims.scanner.Path(), Baud: 9600, Suffix: "cr"},
			Scale:   &pickwave.ScaleConfig{Port: f.sims.scale.Path(), Protocol: pickwave.ScaleMTSICS, Baud: 9600, DataBits: 8, Parity: "none"},
			Printer: &pickwave.PrinterConfig{URI: f.sims.printer.URI(), DPI: 203}}
		if err := db.CreateStation(pickwave.WithActor(ctx, "test"), st); err != nil {
			db.Close()
			t.Fatal(err)
		}
	}

	stations := &station.Runtime{Store: db, Logger: discard,
		Packing: station.Packing{GS1Prefix: "0614141",
			ShipFrom: pickwave.Address{Name: "Demo Warehouse", Address1: "1 Dock Road", City: "Columbus", PostalCode: "43215", Country: "US"},
			Rules:    pickwave.PackRules{Cartons: []pickwave.Carton{{Code: "BOX-L", Name: "Large box", LengthMM: 800, WidthMM: 500, HeightMM: 500, TareG: 500}}},
			Carrier: &carrier.Local{Service: "LP", Country: "US", Serials: carrier.SerialsFunc(func(ctx context.Context) (uint64, error) {
				return db.NextTrackingSerial(ctx, "local")
			})}},
		StatusInterval: 100 * time.Millisecond,
		PrintBackoff:   device.Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond},
		DeviceBackoff:  device.Backoff{Min: 10 * time.Millisecond, Max: 100 * time.Millisecond}}
	srv := testenv.Server(db, discard)
	srv.Stations, srv.PrintQueue, srv.StationRuntime, srv.Web = db, db, stations, web.Handler()
	srv.Pack, srv.Shipments = stations, db
	f.stations = stations
	hs := httptest.NewServer(testenv.Checked(t, srv.Handler()))
	ran := make(chan error, 1)
	go func() { ran <- stations.Run(context.Background()) }()
	t.Cleanup(func() {
		stations.Close()
		if err := <-ran; err != nil {
			t.Errorf("station runtime: %v", err)
		}
		srv.Close(context.Background())
		hs.Close()
		db.Close()
	})
	f.url = hs.URL
	return f
}

// gtin14 pads a GTIN to the 14 digits of an AI (01) element.
func gtin14(g string) string { return strings.Repeat("0", max(14-len(g), 0)) + g }

// rightScan is the scan the shown prompt asks for. Totes are labelled
// TOTE-<slot>.
func (f *floor) rightScan(s browsertest.HandheldView) string {
	f.t.Helper()
	switch s.Step {
	case "bind_tote":
		return "TOTE-" + s.BindSlot
	case "location":
		return s.Location
	case "item":
		bcs := f.barcodes[s.SKU]
		if len(bcs) == 0 {
			f.t.Fatalf("the page shows SKU %q, which has no barcode", s.SKU)
		}
		return bcs[0].Code
	case "tote":
		return "TOTE-" + s.ToteSlot
	}
	f.t.Fatalf("no right scan for %+v", s)
	return ""
}

// otherSKU is a SKU other than code, for a wrong scan.
func (f *floor) otherSKU(code string) *pickwave.SKU {
	for _, s := range f.skus {
		if s.Code != code && len(s.Barcodes) > 0 {
			return s
		}
	}
	f.t.Fatal("no second SKU")
	return nil
}

func TestPages_handheldPicksACart(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	f := newFloor(t, []string{"picker1"}, false)
	ctx := context.Background()
	b := browsertest.New(t, execPath)
	start := time.Now()
	defer func() { t.Logf("browser steps took %v", time.Since(start).Round(time.Millisecond)) }()

	// A Zebra TC5x: 360×640 CSS pixels, portrait.
	b.Do("phone screen", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	b.Do("open the handheld page",
		chromedp.Navigate(f.url+"/handheld.html"),
		chromedp.WaitVisible(chromedp.CSS("#hh-login")),
		chromedp.WaitVisible(chromedp.CSS(`#hh-conn[data-state="online"]`)),
	)
	if id := browsertest.Eval[string](b, `document.activeElement.id`); id != "hh-scan" {
		t.Errorf("the focus is on %q, not the scan box", id)
	}

	// An unknown badge shows the server's message; the picker's badge logs in.
	_, _, err := f.db.LoginBadge(ctx, "NOPE")
	if err == nil {
		t.Fatal("badge NOPE logs in")
	}
	b.Do("scan an unknown badge",
		chromedp.SendKeys(chromedp.CSS("#hh-scan"), "NOPE\n"),
		chromedp.WaitVisible(chromedp.CSS("#hh-login-error")),
	)
	if got, want := b.Text("#hh-login-error"), pickwave.ErrorMessage(err); got != want {
		t.Errorf("unknown badge shows %q, want the server's %q", got, want)
	}
	b.Screenshot("pickwave-handheld-login.png")
	b.Do("scan the badge",
		chromedp.SendKeys(chromedp.CSS("#hh-scan"), demo.Badge([]byte("test badges"), "picker1")+"\n"),
		chromedp.WaitVisible(chromedp.CSS("#hh-idle")),
	)
	if got := b.Text("#hh-user"); got != "picker1" {
		t.Errorf("logged in as %q", got)
	}

	// Tapping a button leaves the focus in the scan box.
	b.Do("take a cart",
		chromedp.Click(chromedp.CSS("#hh-take")),
		chromedp.WaitVisible(chromedp.CSS(`#hh-pick[data-step="bind_tote"]`)),
	)
	b.WaitFor("the focus back in the scan box", `document.activeElement && document.activeElement.id === 'hh-scan'`)
	s := b.Handheld()
	if got := b.Text("#hh-p-bind .hh-instr"); got != "Put an empty tote in slot "+s.BindSlot+" and scan it" {
		t.Errorf("bind prompt says %q", got)
	}
	cart, err := f.db.Cart(ctx, s.Cart)
	if err != nil {
		t.Fatalf("the page shows cart %q: %v", s.Cart, err)
	}
	if cart.Picker != "picker1" || cart.Status != pickwave.CartPicking {
		t.Fatalf("cart %s is %s for %q", cart.ID, cart.Status, cart.Picker)
	}

	var (
		wrongItem, gsScan, reloaded, offline bool
		tasksDone, scans                     int
		shorted                              *pickwave.Task
	)
	for s.Screen == "pick" {
		if scans++; scans > 400 {
			t.Fatal("the cart never ends")
		}
		switch {
		case s.Step == "item" && !wrongItem:
			// A wrong item: red, with the server's message, and the prompt stays.
			wrongItem = true
			other := f.otherSKU(s.SKU)
			after := b.Scan(other.Barcodes[0].Code)
			code, msg := b.Verdict()
			want := fmt.Sprintf("Wrong item: this is %s (%s). Pick %s.", other.Code, other.Name, s.SKU)
			if code != pickwave.VerdictWrongItem || msg != want {
				t.Errorf("wrong item shows %s %q, want %q", code, msg, want)
			}
			if !browsertest.Eval[bool](b, `document.getElementById('hh-verdict').classList.contains('hh-bad')`) {
				t.Error("a wrong scan is not shown red")
			}
			if after.Step != s.Step || after.Task != s.Task || after.Left != s.Left {
				t.Errorf("after a wrong scan the page shows %+v, before %+v", after, s)
			}
			b.Screenshot("pickwave-handheld.png")
			continue
		case s.Step == "item" && !gsScan:
			// A GS1 barcode whose serial (AI 21, variable length) ends with
			// GS, typed by the wedge as Ctrl+]: the expiry after it is read,
			// so the unit is refused. Without the GS the date would be part
			// of the serial and the unit accepted.
			gsScan = true
			gtin := gtin14(f.barcodes[s.SKU][0].Code)
			expired := time.Now().UTC().AddDate(0, 0, -3)
			before := s.Seq
			b.Do("scan a GS1 barcode with GS",
				chromedp.SendKeys(chromedp.CSS("#hh-scan"), "01"+gtin+"21S1"),
				chromedp.KeyEvent("]", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
				chromedp.SendKeys(chromedp.CSS("#hh-scan"), "17"+expired.Format("060102")+"\n"),
			)
			b.WaitFor("the answer to the GS1 scan", fmt.Sprintf(`Number(document.body.dataset.seq) > %d && document.body.dataset.pending === '0'`, before))
			code, msg := b.Verdict()
			if want := "Expired on " + expired.Format("2006-01-02") + ". Do not pick it; report it."; code != pickwave.VerdictExpired || msg != want {
				t.Errorf("GS1 scan with GS shows %s %q, want expired %q", code, msg, want)
			}
			s = b.Handheld()
			continue
		case s.Step == "location" && tasksDone >= 1 && !reloaded:
			// Reload mid-cart: the page resumes its session and goes on.
			reloaded = true
			session := b.Saved().Session
			b.Do("reload the page", chromedp.Reload())
			b.WaitFor("the page back online", fmt.Sprintf(`document.body.dataset.screen === 'pick' && document.getElementById('hh-conn').dataset.state === 'online' && Number(document.body.dataset.seq) > %d`, s.Seq))
			after := b.Handheld()
			if after.Step != s.Step || after.Task != s.Task || after.Location != s.Location {
				t.Fatalf("after a reload the page shows %+v, before %+v", after, s)
			}
			if got := b.Saved().Session; got != session {
				t.Errorf("after a reload the session is %s, was %s: not resumed", got, session)
			}
			s = after
			continue
		case s.Step == "location" && tasksDone >= 2 && !offline:
			// Out of range: the socket drops and cannot come back. A scan
			// made meanwhile waits in the page, then goes out with its id
			// and is applied once.
			offline = true
			b.BlockSocket(f.url, true)
			other := dialHandheld(t, f.url) // the same picker on another device takes over
			b.WaitFor("the page to see the socket gone", `document.getElementById('hh-conn').dataset.state === 'reconnecting'`)
			other.Close()
			right := f.rightScan(s)
			b.Do("scan while offline", chromedp.SendKeys(chromedp.CSS("#hh-scan"), right+"\n"))
			b.WaitFor("the scan kept", `document.body.dataset.pending === '1' && !document.getElementById('hh-pending').hidden`)
			b.Screenshot("pickwave-handheld-offline.png")
			b.BlockSocket(f.url, false)
			b.WaitFor("the kept scan answered", `document.body.dataset.pending === '0' && document.getElementById('hh-conn').dataset.state === 'online' && document.getElementById('hh-pick').dataset.step === 'item'`)
			if code, msg := b.Verdict(); code != pickwave.VerdictOK {
				t.Errorf("the kept scan got %s %q", code, msg)
			}
			after := b.Handheld()
			if after.Task != s.Task {
				t.Fatalf("after the kept location scan the page shows task %s, want %s", after.Task, s.Task)
			}
			task, err := f.db.Task(ctx, s.Task)
			if err != nil || task.Picked != 0 {
				t.Fatalf("task %+v, %v", task, err)
			}
			s = after
			continue
		case s.Step == "location" && tasksDone >= 3 && shorted == nil:
			// The shelf is empty: report a short with a reason and a count.
			b.Do("open the short form",
				chromedp.Click(chromedp.CSS("#hh-short-open")),
				chromedp.WaitVisible(chromedp.CSS("#hh-short")),
			)
			if !browsertest.Eval[bool](b, `document.getElementById('hh-short-send').disabled`) {
				t.Error("a short can be sent without a reason")
			}
			// A reason alone is not enough: the count starts empty and the
			// picker types it, or says it was not counted.
			b.Do("choose a reason", chromedp.Click(chromedp.CSS(`.hh-reason[data-reason="empty"]`)))
			if got := browsertest.Eval[string](b, `document.getElementById('hh-found').value`); got != "" {
				t.Errorf("found count starts at %q, want empty", got)
			}
			if !browsertest.Eval[bool](b, `document.getElementById('hh-short-send').disabled`) {
				t.Error("a short can be sent with no count typed")
			}
			b.Do("say it was not counted", chromedp.Click(chromedp.CSS("#hh-found-skip")), chromedp.WaitEnabled(chromedp.CSS("#hh-short-send")))
			b.Do("count after all", chromedp.Click(chromedp.CSS("#hh-found-skip")))
			if !browsertest.Eval[bool](b, `document.getElementById('hh-short-send').disabled`) {
				t.Error("the short can be sent with neither a count nor not counted")
			}
			b.Do("type a count out of range", chromedp.SendKeys(chromedp.CSS("#hh-found"), "100001"))
			if !browsertest.Eval[bool](b, `document.getElementById('hh-short-send').disabled`) {
				t.Error("the short can be sent with a count over 100,000")
			}
			browsertest.Eval[bool](b, `(() => { const f = document.getElementById('hh-found'); f.value = ''; f.dispatchEvent(new Event('input')); return true; })()`)
			b.Do("count with + and −",
				chromedp.Click(chromedp.CSS("#hh-found-plus")),
				chromedp.Click(chromedp.CSS("#hh-found-plus")),
				chromedp.Click(chromedp.CSS("#hh-found-minus")),
				chromedp.WaitEnabled(chromedp.CSS("#hh-short-send")),
			)
			if got := browsertest.Eval[string](b, `document.getElementById('hh-found').value`); got != "1" {
				t.Errorf("found count shows %q after +, +, −", got)
			}
			b.Do("found none after all", chromedp.Click(chromedp.CSS("#hh-found-minus")))
			if got := browsertest.Eval[string](b, `document.getElementById('hh-found').value`); got != "0" {
				t.Errorf("found count shows %q after −", got)
			}
			before := s.Seq
			b.Do("report the short", chromedp.Click(chromedp.CSS("#hh-short-send")))
			b.WaitFor("the answer to the short", fmt.Sprintf(`Number(document.body.dataset.seq) > %d && document.body.dataset.pending === '0'`, before))
			code, msg := b.Verdict()
			if want := fmt.Sprintf("%s × %s short at %s; a count is requested.", s.Left, s.SKU, s.Location); code != pickwave.VerdictOK || !strings.HasPrefix(msg, want) {
				t.Errorf("short shows %s %q, want ok %q", code, msg, want)
			}
			// Shown as a short: amber with a warning, never a green tick.
			if kind, green, mark := browsertest.Eval[string](b, `document.getElementById('hh-verdict').dataset.kind`),
				browsertest.Eval[bool](b, `document.getElementById('hh-verdict').classList.contains('hh-ok')`),
				browsertest.Eval[string](b, `getComputedStyle(document.getElementById('hh-verdict-msg'), '::before').content`); kind != "short" || green || !strings.Contains(mark, "Short") {
				t.Errorf("a short is shown as kind %q, green %v, marked %s", kind, green, mark)
			}
			b.Screenshot("pickwave-handheld-short.png")
			task, err := f.db.Task(ctx, s.Task)
			if err != nil || task.Status != pickwave.TaskShort || task.Picked != 0 || strconv.Itoa(task.Short) != s.Left {
				t.Fatalf("after the short the task is %+v, %v", task, err)
			}
			shorted = task
			s = b.Handheld()
			continue
		}
		if s.Step == "tote" {
			tasksDone++
		}
		s = b.Scan(f.rightScan(s))
		if code, msg := b.Verdict(); code != pickwave.VerdictOK {
			t.Fatalf("right scan at %+v: %s %q", s, code, msg)
		}
	}
	if !wrongItem || !gsScan || !reloaded || !offline || shorted == nil {
		t.Fatalf("the cart ended before every check ran: wrong item %v, GS %v, reload %v, offline %v, short %v (%d tasks)", wrongItem, gsScan, reloaded, offline, shorted != nil, tasksDone)
	}

	// The cart is done: to packing, and the wave's units are all picked,
	// but for the short ones (fewer when the short was found elsewhere).
	b.Do("see the cart done", chromedp.WaitVisible(chromedp.CSS("#hh-done")))
	if got := b.Text("#hh-done .hh-huge-text"); got != "Take the cart to packing" {
		t.Errorf("done screen says %q", got)
	}
	b.Screenshot("pickwave-handheld-done.png")
	w, err := f.db.Wave(ctx, f.wave.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := w.Progress
	if w.Status != pickwave.WaveCompleted || p.Units == 0 || p.UnitsPicked+p.UnitsShort != p.Units || p.UnitsShort > shorted.Short {
		t.Fatalf("wave %s after the cart: %+v", w.Status, p)
	}
	tasks, err := f.db.CartTasks(ctx, s.Cart)
	if err != nil {
		t.Fatal(err)
	}
	picked := 0
	for _, task := range tasks {
		if task.ID == shorted.ID {
			continue
		}
		picked += task.Picked
		if task.Status != pickwave.TaskPicked || task.Picked != task.Qty {
			t.Errorf("task %s: %s, %d of %d picked", task.ID, task.Status, task.Picked, task.Qty)
		}
	}
	if picked != p.UnitsPicked {
		t.Errorf("tasks hold %d picked units, the wave %d", picked, p.UnitsPicked)
	}
	t.Logf("picked %d units (%d short) in %d tasks with %d scans", p.UnitsPicked, p.UnitsShort, len(tasks), scans)

	// No next cart: the server says so.
	b.Do("take the next cart", chromedp.Click(chromedp.CSS("#hh-next")))
	b.WaitFor("no cart waiting", `document.getElementById('hh-verdict').dataset.code === 'notice'`)
	if got, want := b.Text("#hh-verdict-msg"), "No cart is waiting to be picked."; got != want {
		t.Errorf("next cart shows %q, want %q", got, want)
	}

	// Logging out ends the token; then in again with a user name and password.
	token := b.Saved().Token
	b.Do("log out",
		chromedp.Click(chromedp.CSS("#hh-logout")),
		chromedp.WaitVisible(chromedp.CSS("#hh-login")),
	)
	b.WaitFor("the token revoked", `document.getElementById('hh-conn').dataset.state === 'online'`)
	eventually(t, "the token revoked", func() bool {
		_, err := f.db.Authenticate(ctx, token)
		return err != nil
	})
	b.Do("log in with a password",
		chromedp.Click(chromedp.CSS("#hh-pw summary")),
		chromedp.WaitVisible(chromedp.CSS("#hh-username")),
		chromedp.SendKeys(chromedp.CSS("#hh-username"), "picker1"),
		chromedp.SendKeys(chromedp.CSS("#hh-password"), demo.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS("#hh-idle")),
	)
	if got := b.Text("#hh-user"); got != "picker1" {
		t.Errorf("logged in again as %q", got)
	}
	if got := browsertest.Eval[string](b, `document.getElementById('hh-password').value`); got != "" {
		t.Error("the password stays in the form")
	}
	b.CheckConsole()
}

// dialHandheld logs picker1 in with a handheld.Client of its own, which
// takes the picker's session over from any other device.
func dialHandheld(t *testing.T, base string) *handheld.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := handheld.Dial(ctx, base, handheld.Options{Badge: demo.Badge([]byte("test badges"), "picker1"), Device: "second-device"})
	if err != nil {
		t.Fatalf("second device: %v", err)
	}
	return c
}

func TestPages_packStationLive(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	f := newFloor(t, []string{"packer"}, true)
	b := browsertest.New(t, execPath)
	start := time.Now()
	defer func() { t.Logf("browser steps took %v", time.Since(start).Round(time.Millisecond)) }()

	// Log in as the packer and choose the station.
	b.Do("open the station page",
		chromedp.Navigate(f.url+"/station.html"),
		chromedp.WaitVisible(chromedp.CSS("#login-username")),
		chromedp.SendKeys(chromedp.CSS("#login-username"), "packer"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), demo.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`#pick-list[data-state="ready"] a[data-id="`+floorStation+`"]`)),
	)
	if got := b.Text("#who-role"); got != "packer" {
		t.Errorf("role shows %q", got)
	}
	b.Do("open "+floorStation,
		chromedp.Click(chromedp.CSS(`#pick-list a[data-id="`+floorStation+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#view-station[data-station="`+floorStation+`"][data-state="ready"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#st-live[data-state="live"]`)),
	)
	if got := b.Text("#st-name"); got != "Pack station 1" {
		t.Errorf("station name shows %q", got)
	}
	b.WaitFor("every device online", `['scanner', 'scale', 'printer'].every((d) => document.getElementById('st-' + d).dataset.online === 'online')`)

	// The scale: a weight, in motion, then settled.
	f.sims.scale.SetMotion(true)
	f.sims.scale.SetWeight(1234)
	b.WaitFor("1234 g in motion", `(s => s.dataset.weight === '1234' && s.dataset.stable === 'false')(document.getElementById('st-scale'))`)
	if got := b.Text("#st-stable"); got != "In motion" {
		t.Errorf("a moving scale shows %q", got)
	}
	f.sims.scale.SetMotion(false)
	b.WaitFor("1234 g stable", `(s => s.dataset.weight === '1234' && s.dataset.stable === 'true')(document.getElementById('st-scale'))`)
	if got := b.Text("#st-weight-kg"); got != "1.234 kg" {
		t.Errorf("weight in kg shows %q", got)
	}
	if got := b.Text("#st-stable"); got != "Stable" {
		t.Errorf("a settled scale shows %q", got)
	}
	// Grams in the browser's number format: 1,234 g or 1.234 g or 1 234 g.
	w := b.Text("#st-weight")
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, w)
	if !strings.HasSuffix(w, " g") || digits != "1234" {
		t.Errorf("weight shows %q", w)
	}

	// The scanner: a GS1-128 barcode with its AIM identifier and a GS.
	const data = "0109506000134352" + "10LOT42" + "\x1d" + "21SN7"
	if err := f.sims.scanner.Scan("]C1" + data); err != nil {
		t.Fatal(err)
	}
	b.WaitFor("the scan shown", fmt.Sprintf(`document.getElementById('st-scan-data').dataset.raw === %q`, data))
	if got, want := b.Text("#st-scan-data"), strings.ReplaceAll(data, "\x1d", "␝"); got != want {
		t.Errorf("scan shows %q, want %q", got, want)
	}
	if got := b.Text("#st-scan-sym"); got != "GS1-128 (]C1)" {
		t.Errorf("symbology shows %q", got)
	}

	// A test label: printed at the printer and listed; then a reprint.
	b.Do("print a test label", chromedp.Click(chromedp.CSS("#st-test")))
	b.WaitFor("the test label printed", `(r => r && r.dataset.status === 'printed')(document.querySelector('#st-jobs-body tr'))`)
	labels := f.sims.printer.Labels()
	if len(labels) != 1 || !strings.Contains(string(labels[0]), "Pack station 1") {
		t.Fatalf("printer has %d labels: %q", len(labels), labels)
	}
	jobs, err := f.db.PrintJobs(context.Background(), pickwave.PrintJobFilter{StationID: floorStation})
	if err != nil || len(jobs) != 1 || jobs[0].Kind != pickwave.PrintKindTest || jobs[0].RequestID == "" {
		t.Fatalf("jobs %+v, %v: want one test job with a request id", jobs, err)
	}
	if got := browsertest.Eval[string](b, `document.querySelector('#st-jobs-body tr').dataset.id`); got != jobs[0].ID {
		t.Errorf("listed job %s, want %s", got, jobs[0].ID)
	}
	b.WaitFor("the printer idle", `document.getElementById('st-printer').dataset.queued === '0' && document.getElementById('st-printer').dataset.ready === 'true'`)
	if got := b.Text("#st-printer-state"); got != "ready" {
		t.Errorf("printer state shows %q", got)
	}
	b.Screenshot("pickwave-station.png")

	b.Do("reprint", chromedp.Click(chromedp.CSS(`#st-jobs-body tr[data-id="`+jobs[0].ID+`"] button[data-action="reprint"]`)))
	b.WaitFor("the reprint printed", `(rows => rows.length === 2 && rows.every((r) => r.dataset.status === 'printed'))([...document.querySelectorAll('#st-jobs-body tr')])`)
	if n := len(f.sims.printer.Labels()); n != 2 {
		t.Errorf("printer has %d labels after a reprint, want 2", n)
	}
	if got := b.Text("#st-jobs-body tr:first-child td.st-note"); got != "reprint of "+jobs[0].ID {
		t.Errorf("reprint row note %q", got)
	}

	// Paper out shows as the printer's state and problem.
	f.sims.printer.SetPaperOut(true)
	b.WaitFor("paper out", `document.getElementById('st-printer-state').textContent === 'paper out' && document.getElementById('st-printer').dataset.ready === 'false'`)
	if got := b.Texts("#st-problems li"); !slices.Equal(got, []string{"paper out"}) {
		t.Errorf("problems show %v", got)
	}
	f.sims.printer.SetPaperOut(false)

	// The scale unplugged: offline with the reason.
	if err := f.sims.scale.Unplug(); err != nil {
		t.Fatal(err)
	}
	b.WaitFor("the scale offline", `document.getElementById('st-scale').dataset.online === 'offline' && !document.getElementById('st-scale-error').hidden`)
	t.Logf("unplugged scale shows %q", b.Text("#st-scale-error"))
	b.CheckConsole()
}

// eventually polls cond until it holds, failing after 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
