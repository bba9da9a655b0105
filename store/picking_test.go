package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

// picker drives one picker's handheld against the store.
type picker struct {
	t    testing.TB
	db   *store.DB
	name string
	n    int
	// totes names the picker whose tote labels are on the cart (one who
	// took the cart over works the totes already on it); "" is name.
	totes string
}

func (p *picker) tote(slot int) string {
	owner := p.totes
	if owner == "" {
		owner = p.name
	}
	return fmt.Sprintf("TOTE-%s-%d", owner, slot)
}

func (p *picker) scan(data string) *pickwave.ScanResult {
	p.t.Helper()
	p.n++
	res, err := p.db.Scan(ctxAs(p.name), p.name, pickwave.ScanRequest{ID: fmt.Sprintf("%s-%d", p.name, p.n), Device: "TC52", Data: data})
	if err != nil {
		p.t.Fatalf("scan %q: %v", data, err)
	}
	return res
}

func (p *picker) mustScan(data, code string) *pickwave.ScanResult {
	p.t.Helper()
	res := p.scan(data)
	if res.Verdict.Code != code {
		p.t.Fatalf("scan %q at step %s: verdict %+v, want %s", data, res.Prompt.Step, res.Verdict, code)
	}
	return res
}

// mustTake takes the picker's cart and checks it is at its first slot.
func mustTake(t testing.TB, db *store.DB, name string) {
	t.Helper()
	p, err := db.TakeCart(ctxAs(name), name)
	if err != nil || p.Step != pickwave.StepBindTote || p.Slot != 1 {
		t.Fatalf("take cart: %+v, %v", p, err)
	}
}

// releasedCart sets up a site, n orders and one released wave.
func releasedCart(t testing.TB, db *store.DB, n int) *pickwave.Wave {
	t.Helper()
	skus := waveSite(t, db)
	mustOrders(t, db, skus, n)
	w, err := db.PlanWave(ctxAs("sue"), pickwave.WaveTemplate{TotesPerCart: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if w, err = db.ReleaseWave(ctxAs("sue"), w.ID); err != nil {
		t.Fatal(err)
	}
	return w
}

// barcodeOf returns the each barcode of a SKU made by waveSite.
func barcodeOf(sku string) string {
	var a, b int
	fmt.Sscanf(sku, "S%02d%02d", &a, &b)
	return gtinFor(a, b, 0)
}

// pickAll works the picker's cart to the end with right scans only and
// returns the number of scans.
func (p *picker) pickAll(prompt *pickwave.Prompt) {
	p.t.Helper()
	for guard := 0; !prompt.Done; guard++ {
		if guard > 1000 {
			p.t.Fatal("cart never finishes")
		}
		switch prompt.Step {
		case pickwave.StepBindTote:
			prompt = &p.mustScan(p.tote(prompt.Slot), "ok").Prompt
		case pickwave.StepLocation:
			prompt = &p.mustScan(prompt.Task.Location, "ok").Prompt
		case pickwave.StepItem:
			prompt = &p.mustScan(barcodeOf(prompt.Task.SKU), "ok").Prompt
		case pickwave.StepTote:
			prompt = &p.mustScan(p.tote(prompt.Task.ToteSlot), "ok").Prompt
		default:
			p.t.Fatalf("prompt %+v", prompt)
		}
	}
}

func TestPick_fullCart(t *testing.T) {
	db := mustOpen(t)
	w := releasedCart(t, db, 5)
	p := &picker{t: t, db: db, name: "pete"}
	prompt, err := db.TakeCart(ctxAs("pete"), "pete")
	if err != nil {
		t.Fatal(err)
	}
	if prompt.Step != pickwave.StepBindTote || prompt.Slot != 1 {
		t.Fatalf("first prompt %+v", prompt)
	}
	// Taking again gives the same cart.
	again, _ := db.TakeCart(ctxAs("pete"), "pete")
	if again.CartID != prompt.CartID {
		t.Fatalf("second take %s, first %s", again.CartID, prompt.CartID)
	}
	p.pickAll(prompt)
	w, _ = db.Wave(ctxAs("t"), w.ID)
	if w.Status != pickwave.WaveCompleted || w.Progress.UnitsPicked != 15 || w.Progress.TasksDone != w.Progress.Tasks || w.Progress.CartsDone != 1 {
		t.Fatalf("wave after picking: %s %+v", w.Status, w.Progress)
	}
	for _, id := range w.Orders {
		o, _ := db.Order(ctxAs("t"), id)
		if o.Status != pickwave.OrderPicked || o.Lines[0].Picked != o.Lines[0].Qty || o.Lines[0].Allocated != 0 {
			t.Fatalf("order %s %s %+v", o.ID, o.Status, o.Lines)
		}
	}
	rows, _ := db.StockOf(ctxAs("t"), "S0101")
	if rows[0].Reserved != 0 || rows[0].OnHand >= 50 {
		t.Fatalf("stock after picking %+v", rows[0])
	}
	// The cart is done: the next take finds none.
	_, err = db.TakeCart(ctxAs("pete"), "pete")
	mustCode(t, err, pickwave.ENOTFOUND)
}

func TestPick_wrongScansChangeNothing(t *testing.T) {
	db := mustOpen(t)
	releasedCart(t, db, 2)
	p := &picker{t: t, db: db, name: "pete"}
	mustTake(t, db, "pete")
	p.mustScan("A01-01-1", "wrong_tote") // a location is no tote
	p.mustScan(barcodeOf("S0101"), "wrong_tote")
	// A product barcode read with a wrong digit is not taken for a tote.
	misread := []byte(barcodeOf("S0101"))
	misread[len(misread)-1] = '0' + (misread[len(misread)-1]-'0'+1)%10
	p.mustScan(string(misread), "bad_barcode")
	p.mustScan("]C1010400120010101"+"9", "bad_barcode") // broken GS1 data
	p.mustScan("TOTE-A", "ok")
	p.mustScan("TOTE-A", "wrong_tote") // already on this cart
	prompt := &p.mustScan("TOTE-B", "ok").Prompt
	task := prompt.Task
	if prompt.Step != pickwave.StepLocation {
		t.Fatalf("after binding: %+v", prompt)
	}
	other := "A04-10-1"
	if task.Location == other {
		other = "A04-09-1"
	}
	p.mustScan(other, "wrong_location")
	p.mustScan(barcodeOf(task.SKU), "wrong_location")
	p.mustScan(task.Location, "ok")
	p.mustScan("4006381333932", "bad_barcode")
	p.mustScan("96385074", "unknown_barcode")
	wrongSKU := "S0101"
	if task.SKU == wrongSKU {
		wrongSKU = "S0102"
	}
	res := p.mustScan(barcodeOf(wrongSKU), "wrong_item")
	if res.Verdict.Expected != task.SKU {
		t.Fatalf("wrong item verdict does not say what was expected: %+v", res.Verdict)
	}
	var a, b int
	fmt.Sscanf(task.SKU, "S%02d%02d", &a, &b)
	p.mustScan(gtinFor(a, b, 1), "over_pick") // a case of six for a task of one or two
	got, _ := db.Task(ctxAs("t"), task.ID)
	if got.Picked != 0 {
		t.Fatalf("wrong scans picked %d", got.Picked)
	}
	for got.Remaining() > 0 {
		res = p.mustScan(barcodeOf(task.SKU), "ok")
		got, _ = db.Task(ctxAs("t"), task.ID)
	}
	if res.Prompt.Step != pickwave.StepTote {
		t.Fatalf("after last unit: %+v", res.Prompt)
	}
	p.mustScan(barcodeOf(task.SKU), "wrong_tote")
	wrongTote := "TOTE-A"
	if task.ToteSlot == 1 {
		wrongTote = "TOTE-B"
	}
	p.mustScan(wrongTote, "wrong_tote")
}

func TestPick_retriedScanAppliedOnce(t *testing.T) {
	db := mustOpen(t)
	releasedCart(t, db, 1)
	p := &picker{t: t, db: db, name: "pete"}
	mustTake(t, db, "pete")
	prompt := &p.mustScan("TOTE-1", "ok").Prompt
	prompt = &p.mustScan(prompt.Task.Location, "ok").Prompt
	task := prompt.Task
	req := pickwave.ScanRequest{ID: "retry-me", Device: "TC52", Data: barcodeOf(task.SKU)}
	first, err := db.Scan(ctxAs("pete"), "pete", req)
	if err != nil || first.Verdict.Code != "ok" || first.Replayed {
		t.Fatal(first, err)
	}
	for range 3 {
		again, err := db.Scan(ctxAs("pete"), "pete", req)
		if err != nil || !again.Replayed || again.Verdict != first.Verdict {
			t.Fatalf("retry %+v %v", again, err)
		}
	}
	got, _ := db.Task(ctxAs("t"), task.ID)
	if got.Picked != 1 {
		t.Fatalf("picked %d after one scan and three retries", got.Picked)
	}
	_, err = db.Scan(ctxAs("pete"), "pete", pickwave.ScanRequest{Data: "x"})
	mustCode(t, err, pickwave.EINVALID)
}

func TestPick_restartMidCart(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenWith(t, dir, store.Options{})
	releasedCart(t, db, 3)
	p := &picker{t: t, db: db, name: "pete"}
	prompt, _ := db.TakeCart(ctxAs("pete"), "pete")
	for range 3 {
		prompt = &p.mustScan(fmt.Sprintf("TOTE-pete-%d", prompt.Slot), "ok").Prompt
	}
	prompt = &p.mustScan(prompt.Task.Location, "ok").Prompt
	before := *prompt
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenDir(t, dir)
	p.db = db
	after, err := db.Prompt(ctxAs("pete"), "pete")
	if err != nil {
		t.Fatal(err)
	}
	if after.CartID != before.CartID || after.Step != before.Step || after.Task.ID != before.Task.ID {
		t.Fatalf("after restart %+v, before %+v", after, before)
	}
	p.pickAll(after)
}

func TestPick_shortReallocatesOrMarksShort(t *testing.T) {
	db := mustOpen(t)
	releasedCart(t, db, 1)
	p := &picker{t: t, db: db, name: "pete"}
	mustTake(t, db, "pete")
	prompt := &p.mustScan("TOTE-1", "ok").Prompt
	task := prompt.Task
	// Stock of the same SKU at another pick bin: the short is re-allocated there.
	mustLocation(t, db, "A04-10-2", 4, 10, pickwave.LocationPick)
	mustAdjust(t, db, pickwave.Adjustment{SKU: task.SKU, Location: "A04-10-2", Delta: 5})
	res, err := db.Short(ctxAs("pete"), "pete", pickwave.ShortRequest{ID: "s1", Reason: pickwave.ShortEmpty, Found: new(0)})
	if err != nil || res.Verdict.Code != "ok" {
		t.Fatal(res, err)
	}
	got, _ := db.Task(ctxAs("t"), task.ID)
	if got.Status != pickwave.TaskShort || got.Short != task.Qty {
		t.Fatalf("short task %+v", got)
	}
	cart, _ := db.Cart(ctxAs("t"), prompt.CartID)
	added, _ := db.Task(ctxAs("t"), cart.Tasks[len(cart.Tasks)-1])
	if added.Location != "A04-10-2" || added.Qty != task.Qty || added.Status != pickwave.TaskOpen {
		t.Fatalf("re-allocated task %+v", added)
	}
	// Stock is not written off by the short: the row is held for a count.
	rows, _ := db.StockOf(ctxAs("t"), task.SKU)
	for _, r := range rows {
		if r.Location == task.Location && (r.OnHand != 50 || r.CountID == "" || r.Available() != 0) {
			t.Fatalf("short location after the short %+v", r)
		}
	}
	// The retry of the short report is answered from the record.
	again, err := db.Short(ctxAs("pete"), "pete", pickwave.ShortRequest{ID: "s1", Reason: pickwave.ShortEmpty})
	if err != nil || !again.Replayed {
		t.Fatal(again, err)
	}
	// Now short every remaining task with no stock elsewhere: lines go short.
	for prompt = &res.Prompt; !prompt.Done; {
		r, err := db.Short(ctxAs("pete"), "pete", pickwave.ShortRequest{ID: fmt.Sprintf("s-%s", prompt.Task.ID), Reason: pickwave.ShortCantFind})
		if err != nil {
			t.Fatal(err)
		}
		prompt = &r.Prompt
	}
	o, _ := db.Order(ctxAs("t"), task.OrderID)
	if o.Status != pickwave.OrderPicked || o.Lines[0].Short == 0 {
		t.Fatalf("order after shorts %s %+v", o.Status, o.Lines)
	}
	_, err = db.Short(ctxAs("pete"), "pete", pickwave.ShortRequest{ID: "x", Reason: "lazy"})
	mustCode(t, err, pickwave.EINVALID)
}

func TestPick_shortWithNothingLeftIsNoTask(t *testing.T) {
	db := mustOpen(t)
	releasedCart(t, db, 1)
	p := &picker{t: t, db: db, name: "pete"}
	mustTake(t, db, "pete")
	prompt := &p.mustScan("TOTE-1", "ok").Prompt
	prompt = &p.mustScan(prompt.Task.Location, "ok").Prompt
	for prompt.Step == pickwave.StepItem {
		prompt = &p.mustScan(barcodeOf(prompt.Task.SKU), "ok").Prompt
	}
	res, err := db.Short(ctxAs("pete"), "pete", pickwave.ShortRequest{ID: "late", Reason: pickwave.ShortEmpty})
	if err != nil || res.Verdict.Code != pickwave.VerdictNoTask || res.Prompt.Step != pickwave.StepTote {
		t.Fatalf("short at the tote step: %+v, %v", res, err)
	}
}

// TestPick_unitsInHand checks that units scanned for a task, which count
// in the picker's state until the tote scan, show in every view of the
// task, survive a restart, and land in the task record at the tote scan.
func TestPick_unitsInHand(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDir(t, dir)
	releasedCart(t, db, 5)
	p := &picker{t: t, db: db, name: "pete"}
	prompt, _ := db.TakeCart(ctxAs("pete"), "pete")
	for prompt.Step == pickwave.StepBindTote {
		prompt = &p.mustScan(fmt.Sprintf("TOTE-pete-%d", prompt.Slot), "ok").Prompt
	}
	prompt = &p.mustScan(prompt.Task.Location, "ok").Prompt
	task := prompt.Task
	if task.Qty < 2 {
		t.Fatalf("first task %+v: want one of 2 units or more", task)
	}
	prompt = &p.mustScan(barcodeOf(task.SKU), "ok").Prompt
	if prompt.Task.Picked != 1 || prompt.Step != pickwave.StepItem {
		t.Fatalf("prompt after one unit %+v", prompt)
	}
	got, err := db.Task(ctxAs("t"), task.ID)
	if err != nil || got.Picked != 1 {
		t.Fatalf("task after one unit %+v, %v", got, err)
	}
	tasks, err := db.CartTasks(ctxAs("t"), task.CartID)
	if err != nil || tasks[0].ID != task.ID || tasks[0].Picked != 1 {
		t.Fatalf("cart tasks after one unit %+v, %v", tasks, err)
	}

	// What is in hand is durable: it is in the picker's committed state.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenDir(t, dir)
	p.db = db
	now, err := db.Prompt(ctxAs("pete"), "pete")
	if err != nil || now.Task.ID != task.ID || now.Task.Picked != 1 || now.Step != pickwave.StepItem {
		t.Fatalf("prompt after restart %+v, %v", now, err)
	}
	for now.Step == pickwave.StepItem {
		now = &p.mustScan(barcodeOf(task.SKU), "ok").Prompt
	}
	if now.Step != pickwave.StepTote || now.Task.Picked != task.Qty {
		t.Fatalf("prompt after the last unit %+v", now)
	}
	p.mustScan(fmt.Sprintf("TOTE-pete-%d", task.ToteSlot), "ok")
	got, err = db.Task(ctxAs("t"), task.ID)
	if err != nil || got.Picked != task.Qty || got.Status != pickwave.TaskPicked {
		t.Fatalf("task after its tote scan %+v, %v", got, err)
	}
}

// TestPick_retryOldAndRecentScans retries, after a whole cart, scans whose
// ids went to the index long ago and scans still among the picker's
// recent ids: each gets its first verdict back and changes nothing.
func TestPick_retryOldAndRecentScans(t *testing.T) {
	db := mustOpen(t)
	w := releasedCart(t, db, 8)
	p := &picker{t: t, db: db, name: "pete"}
	prompt, _ := db.TakeCart(ctxAs("pete"), "pete")
	first := map[string]pickwave.Verdict{}
	for guard := 0; !prompt.Done; guard++ {
		if guard > 1000 {
			t.Fatal("cart never finishes")
		}
		var data string
		switch prompt.Step {
		case pickwave.StepBindTote:
			data = fmt.Sprintf("TOTE-pete-%d", prompt.Slot)
		case pickwave.StepLocation:
			data = prompt.Task.Location
		case pickwave.StepItem:
			data = barcodeOf(prompt.Task.SKU)
		case pickwave.StepTote:
			data = fmt.Sprintf("TOTE-pete-%d", prompt.Task.ToteSlot)
		}
		res := p.mustScan(data, "ok")
		first[res.ScanID] = res.Verdict
		prompt = &res.Prompt
	}
	if p.n < 40 {
		t.Fatalf("only %d scans: want more than the recent ids a picker keeps", p.n)
	}
	before, _ := db.Wave(ctxAs("t"), w.ID)
	for _, n := range []int{1, 2, p.n / 2, p.n - 1, p.n} {
		id := fmt.Sprintf("pete-%d", n)
		again, err := db.Scan(ctxAs("pete"), "pete", pickwave.ScanRequest{ID: id, Device: "TC52", Data: "anything"})
		if err != nil || !again.Replayed || again.Verdict != first[id] || !again.Prompt.Done {
			t.Fatalf("retry of scan %d of %d: %+v, %v; first verdict %+v", n, p.n, again, err, first[id])
		}
	}
	after, _ := db.Wave(ctxAs("t"), w.ID)
	if after.Progress != before.Progress {
		t.Fatalf("retries changed the wave: %+v, before %+v", after.Progress, before.Progress)
	}
}

// TestPick_numericToteLabels checks that plain numbers, which many sites
// print on their totes, bind as tote labels unless they could be a
// misread GTIN.
func TestPick_numericToteLabels(t *testing.T) {
	db := mustOpen(t)
	releasedCart(t, db, 3)
	p := &picker{t: t, db: db, name: "pete"}
	if _, err := db.TakeCart(ctxAs("pete"), "pete"); err != nil {
		t.Fatal(err)
	}
	p.mustScan("40017", "ok")
	p.mustScan("0000004711", "ok")
	p.mustScan("96385075", "bad_barcode") // eight digits with a bad check digit: a misread EAN-8
}

// TestPick_answeredScansOfAnEndedCart is the reproduction of issue 10's
// first defect: a picker ends cart A, takes cart B, then sends A's last
// tote scan again with its id. It must be answered from record, not
// judged against cart B (where it would bind A's tote into B's slot 1).
// So must every other id answered on cart A, and after a restart.
func TestPick_answeredScansOfAnEndedCart(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDir(t, dir)
	releasedCart(t, db, 20) // carts of 8 totes: at least two carts
	p := &picker{t: t, db: db, name: "pete"}
	first, err := db.TakeCart(ctxAs("pete"), "pete")
	if err != nil {
		t.Fatal(err)
	}
	p.pickAll(first)
	answers := map[string]pickwave.Verdict{}
	for i := 1; i <= p.n; i++ {
		id := fmt.Sprintf("pete-%d", i)
		res, err := db.Scan(ctxAs("pete"), "pete", pickwave.ScanRequest{ID: id})
		if err != nil || !res.Replayed {
			t.Fatalf("resend %s before the next cart: %+v, %v", id, res, err)
		}
		answers[id] = res.Verdict
	}
	second, err := db.TakeCart(ctxAs("pete"), "pete")
	if err != nil || second.CartID == first.CartID || second.Step != pickwave.StepBindTote {
		t.Fatalf("second cart %+v, %v", second, err)
	}
	check := func(when string) {
		t.Helper()
		for id, want := range answers {
			res, err := db.Scan(ctxAs("pete"), "pete", pickwave.ScanRequest{ID: id, Device: "TC52", Data: "TOTE-pete-1"})
			if err != nil || !res.Replayed || res.Verdict != want {
				t.Fatalf("%s: %s sent again answered %+v, %v; first answer %+v", when, id, res, err, want)
			}
		}
		cart, err := db.Cart(ctxAs("t"), second.CartID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range cart.Totes {
			if tt.Tote != "" {
				t.Fatalf("%s: cart %s has tote %s bound in slot %d by an old scan", when, cart.ID, tt.Tote, tt.Slot)
			}
		}
	}
	check("on the next cart")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenDir(t, dir)
	p.db = db
	check("after a restart")
}

// TestPick_forgottenScanIsRefusedNotJudged drops old scan records as a
// retention run does: a resend of such an id is refused with EGONE,
// never judged again, while newer ids still answer from record.
func TestPick_forgottenScanIsRefusedNotJudged(t *testing.T) {
	dir := t.TempDir()
	now := t0
	db := mustOpenWith(t, dir, store.Options{Now: func() time.Time { return now }})
	releasedCart(t, db, 20)
	p := &picker{t: t, db: db, name: "pete"}
	prompt, _ := db.TakeCart(ctxAs("pete"), "pete")
	old := p.mustScan(fmt.Sprintf("TOTE-pete-%d", prompt.Slot), "ok")
	now = now.Add(30 * 24 * time.Hour)
	recent := p.mustScan(fmt.Sprintf("TOTE-pete-%d", old.Prompt.Slot), "ok")

	n, more, err := db.ForgetScans(ctxAs("t"), now.Add(-24*time.Hour), 10)
	if err != nil || n < 1 || more {
		t.Fatalf("forget: %d, more %v, %v", n, more, err)
	}
	_, err = db.Scan(ctxAs("pete"), "pete", pickwave.ScanRequest{ID: old.ScanID, Data: "TOTE-pete-9"})
	mustCode(t, err, pickwave.EGONE)
	res, err := db.Scan(ctxAs("pete"), "pete", pickwave.ScanRequest{ID: recent.ScanID, Data: "TOTE-pete-9"})
	if err != nil || !res.Replayed || res.Verdict != recent.Verdict {
		t.Fatalf("recent id after forgetting: %+v, %v", res, err)
	}
	// Past the index flush (16 ids) the forgotten id is still refused.
	for prompt := &res.Prompt; p.n < 40 && !prompt.Done; {
		prompt = &p.mustScan(barcodeOf("S0101"), pickwave.VerdictWrongTote).Prompt
	}
	_, err = db.Scan(ctxAs("pete"), "pete", pickwave.ScanRequest{ID: old.ScanID, Data: "TOTE-pete-9"})
	mustCode(t, err, pickwave.EGONE)
	cart, _ := db.Cart(ctxAs("t"), prompt.CartID)
	if cart.Totes[2].Tote != "" {
		t.Fatalf("a refused resend bound a tote: %+v", cart.Totes)
	}
}

// TestPick_toteScanTrimmed binds a tote sent with a space before and a tab
// after by its label alone, so that the tote scan at the end of a task
// matches it however the scanner frames it.
func TestPick_toteScanTrimmed(t *testing.T) {
	db := mustOpen(t)
	releasedCart(t, db, 1)
	p := &picker{t: t, db: db, name: "pete"}
	if _, err := db.TakeCart(ctxAs("pete"), "pete"); err != nil {
		t.Fatal(err)
	}
	prompt := &p.mustScan(" TOTE-pete-1\t", "ok").Prompt
	cart, _ := db.Cart(ctxAs("t"), prompt.CartID)
	if cart.Totes[0].Tote != "TOTE-pete-1" {
		t.Fatalf("bound %q", cart.Totes[0].Tote)
	}
	p.pickAll(prompt)
}

// TestPick_toteLabelIsACode refuses, through the scan path, the tote
// labels the API refuses as codes: NUL, invisible characters, spaces.
func TestPick_toteLabelIsACode(t *testing.T) {
	db := mustOpen(t)
	releasedCart(t, db, 1)
	p := &picker{t: t, db: db, name: "pete"}
	mustTake(t, db, "pete")
	for _, bad := range []string{"TOTE\x001", "TOTE\u200b1", "TO TE", "A/B", "\xff\xfe"} {
		p.mustScan(bad, pickwave.VerdictWrongTote)
	}
	p.mustScan("TOTE-pete-1", "ok")
}
