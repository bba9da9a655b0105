package store_test

import (
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

// shortSite is one order of 2 × S0101 released on a cart, the picker at
// its item step, and S0101 also stocked at a second pick bin.
func shortSite(t *testing.T, db *store.DB) (*picker, *pickwave.Prompt) {
	t.Helper()
	skus := waveSite(t, db)
	if _, _, err := db.CreateOrder(ctxAs("t"), orderInput("ONE", line(skus[0], 2))); err != nil {
		t.Fatal(err)
	}
	w, err := db.PlanWave(ctxAs("sue"), pickwave.WaveTemplate{TotesPerCart: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReleaseWave(ctxAs("sue"), w.ID); err != nil {
		t.Fatal(err)
	}
	p := &picker{t: t, db: db, name: "pete"}
	prompt, err := db.TakeCart(ctxAs("pete"), "pete")
	if err != nil {
		t.Fatal(err)
	}
	for prompt.Step == pickwave.StepBindTote {
		prompt = &p.mustScan("TOTE-pete-1", "ok").Prompt
	}
	prompt = &p.mustScan(prompt.Task.Location, "ok").Prompt
	if prompt.Task.SKU != "S0101" || prompt.Task.Qty != 2 || prompt.Step != pickwave.StepItem {
		t.Fatalf("prompt %+v", prompt)
	}
	return p, prompt
}

func stockAt(t *testing.T, db *store.DB, sku, loc string) pickwave.Stock {
	t.Helper()
	rows, err := db.StockOf(ctxAs("t"), sku)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Location == loc {
			return *r
		}
	}
	return pickwave.Stock{SKU: sku, Location: loc}
}

// TestShort_unitsInHandLeaveStockOnce is issue 10's second defect: a
// short with a unit already in hand took it off stock twice (once by the
// found count, once at the tote scan). Now the short changes no stock,
// the tote scan takes the unit in hand, and the picker's count is only
// recorded.
func TestShort_unitsInHandLeaveStockOnce(t *testing.T) {
	db := mustOpen(t)
	p, _ := shortSite(t, db)
	p.mustScan(barcodeOf("S0101"), "ok") // 1 of 2 in hand
	res, err := db.Short(ctxAs("pete"), "pete", pickwave.ShortRequest{ID: "s1", Device: "TC52", Reason: pickwave.ShortEmpty, Found: new(0)})
	if err != nil || res.Verdict.Code != pickwave.VerdictOK || res.Verdict.Next != pickwave.StepTote || res.Prompt.Step != pickwave.StepTote {
		t.Fatalf("short with a unit in hand: %+v, %v", res, err)
	}
	if s := stockAt(t, db, "S0101", "A01-01-1"); s.OnHand != 50 || s.Reserved != 1 || s.CountID == "" {
		t.Fatalf("stock after the short %+v: want 50 on hand, the unit in hand reserved, held", s)
	}
	p.mustScan("TOTE-pete-1", "ok")
	s := stockAt(t, db, "S0101", "A01-01-1")
	if s.OnHand != 49 || s.Reserved != 0 {
		t.Fatalf("stock after the tote scan %+v: want 49 on hand (one unit picked), none reserved", s)
	}
	counts, err := db.Counts(ctxAs("t"), pickwave.CountFilter{Status: pickwave.CountOpen}, "", 0)
	if err != nil || len(counts) != 1 {
		t.Fatalf("open counts %+v, %v", counts, err)
	}
	cc := counts[0]
	if cc.Found == nil || *cc.Found != 0 || cc.Expected != 50 || cc.SKU != "S0101" || cc.Location != "A01-01-1" || cc.ID != s.CountID {
		t.Fatalf("count %+v", cc)
	}
	// The supervisor counts 7 on the shelf: that is what stock becomes.
	got, err := db.ConfirmCount(ctxAs("sue"), cc.ID, pickwave.CountConfirmation{Counted: new(7)})
	if err != nil || got.Status != pickwave.CountConfirmed || got.Delta != -42 || got.ConfirmedBy != "sue" {
		t.Fatalf("confirm %+v, %v", got, err)
	}
	if s := stockAt(t, db, "S0101", "A01-01-1"); s.OnHand != 7 || s.CountID != "" || s.Available() != 7 {
		t.Fatalf("stock after the count %+v", s)
	}
	_, err = db.ConfirmCount(ctxAs("sue"), cc.ID, pickwave.CountConfirmation{Counted: new(7)})
	mustCode(t, err, pickwave.ECONFLICT)
	_, err = db.ConfirmCount(ctxAs("sue"), cc.ID, pickwave.CountConfirmation{})
	mustCode(t, err, pickwave.EINVALID)
	_, err = db.ConfirmCount(ctxAs("sue"), "CC-999999", pickwave.CountConfirmation{Counted: new(1)})
	mustCode(t, err, pickwave.ENOTFOUND)
}

// TestShort_oneTapWritesNothingOff is issue 10's third defect: one tap on
// "Empty" wrote the whole bin off. A short holds the row, moves the
// reservations of orders not yet released, and waits for the count.
func TestShort_oneTapWritesNothingOff(t *testing.T) {
	db := mustOpen(t)
	p, _ := shortSite(t, db)
	// Another order reserves S0101 at A01-01-1 but is not released yet.
	other, _, err := db.CreateOrder(ctxAs("t"), orderInput("TWO", line("S0101", 3)))
	if err != nil || other.Lines[0].Allocations[0].Location != "A01-01-1" {
		t.Fatalf("second order %+v, %v", other, err)
	}
	mustAdjust(t, db, pickwave.Adjustment{SKU: "S0101", Location: "A04-10-1", Delta: 2})
	res, err := db.Short(ctxAs("pete"), "pete", pickwave.ShortRequest{ID: "s1", Device: "TC52", Reason: pickwave.ShortEmpty})
	if err != nil || res.Verdict.Code != pickwave.VerdictOK {
		t.Fatalf("short %+v, %v", res, err)
	}
	held := stockAt(t, db, "S0101", "A01-01-1")
	if held.OnHand != 50 || held.Reserved != 0 || held.CountID == "" {
		t.Fatalf("held row %+v: want 50 on hand, nothing reserved, held", held)
	}
	// The short's 2 units went to A04-10-1 (2 there) as a new task; the
	// unreleased order's 3 could not follow: it waits for stock.
	o, _ := db.Order(ctxAs("t"), other.ID)
	if o.Status != pickwave.OrderBackordered || o.Lines[0].Allocated != 0 {
		t.Fatalf("unreleased order after the short: %s %+v", o.Status, o.Lines)
	}
	if res.Prompt.Task == nil || res.Prompt.Task.Location != "A04-10-1" || res.Prompt.Task.Qty != 2 {
		t.Fatalf("next task %+v", res.Prompt.Task)
	}
	// Nothing new is allocated from the held row.
	third, _, err := db.CreateOrder(ctxAs("t"), orderInput("THREE", line("S0101", 1)))
	if err != nil || third.Status != pickwave.OrderBackordered {
		t.Fatalf("order while the row is held %+v, %v", third, err)
	}
	counts, _ := db.Counts(ctxAs("t"), pickwave.CountFilter{}, "", 0)
	if len(counts) != 1 || counts[0].Found != nil {
		t.Fatalf("counts %+v: want one, no count from the picker", counts)
	}
	// The count finds 40: stock is set, the hold lifts, backorders allocate.
	if _, err := db.ConfirmCount(ctxAs("sue"), counts[0].ID, pickwave.CountConfirmation{Counted: new(40), Note: "behind a box"}); err != nil {
		t.Fatal(err)
	}
	if s := stockAt(t, db, "S0101", "A01-01-1"); s.OnHand != 40 || s.CountID != "" || s.Reserved != 4 {
		t.Fatalf("stock after the count %+v: want 40 on hand, the two backorders (3 + 1) reserved", s)
	}
	for _, id := range []string{other.ID, third.ID} {
		if o, _ := db.Order(ctxAs("t"), id); o.Status != pickwave.OrderAllocated {
			t.Fatalf("order %s after the count: %s", id, o.Status)
		}
	}
	p.pickAll(&res.Prompt)
}

// TestCount_inHandUnitsStayOnTheBooks confirms a count while a picker
// carries units from the row: they are off the shelf but not yet off the
// books, so on-hand is the count plus them, and the tote scan brings it
// to the count.
func TestCount_inHandUnitsStayOnTheBooks(t *testing.T) {
	db := mustOpen(t)
	p, _ := shortSite(t, db)
	// The picker takes one unit, reports the rest short, and the count is
	// confirmed while the unit is still in hand.
	p.mustScan(barcodeOf("S0101"), "ok")
	res, err := db.Short(ctxAs("pete"), "pete", pickwave.ShortRequest{ID: "s1", Reason: pickwave.ShortCantFind})
	if err != nil || res.Prompt.Step != pickwave.StepTote {
		t.Fatalf("short %+v, %v", res, err)
	}
	counts, _ := db.Counts(ctxAs("t"), pickwave.CountFilter{Status: pickwave.CountOpen}, "", 0)
	if _, err := db.ConfirmCount(ctxAs("sue"), counts[0].ID, pickwave.CountConfirmation{Counted: new(5)}); err != nil {
		t.Fatal(err)
	}
	if s := stockAt(t, db, "S0101", "A01-01-1"); s.OnHand != 6 || s.Reserved != 1 {
		t.Fatalf("stock with one unit in hand after a count of 5: %+v", s)
	}
	p.mustScan("TOTE-pete-1", "ok")
	if s := stockAt(t, db, "S0101", "A01-01-1"); s.OnHand != 5 || s.Reserved != 0 {
		t.Fatalf("stock after the tote scan: %+v", s)
	}
}
