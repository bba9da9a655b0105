package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/pickwave/pickwave"
)

// TestHandheldWork_shortRepointedToStockJustReplenished is issue 14's
// last websocket case. A picker finds the MUG face empty (the books say
// 8): the short holds the face for a count and, with no other pick
// location holding MUG, the missing units wait for the face's
// replenishment from reserve. A supervisor confirms the count (0 on the
// shelf), which lifts the hold; a replenisher moves stock from reserve
// to the face over its own socket; and the units the picker went short
// of come back to the same cart as a new task at the face, which the
// picker then picks: the order goes out whole.
func TestHandheldWork_shortRepointedToStockJustReplenished(t *testing.T) {
	s := newDockSite(t)
	ctx := context.Background()
	// Tea on both sides of the face: whichever way the cart walks, the
	// face is not its last stop.
	for _, loc := range []*pickwave.Location{
		{Code: "A01-01-1", Zone: "A", Aisle: 1, Bay: 1, Level: 1, Kind: pickwave.LocationPick},
		{Code: "A01-06-1", Zone: "A", Aisle: 1, Bay: 6, Level: 1, Kind: pickwave.LocationPick},
	} {
		if err := s.db.CreateLocation(ctx, loc); err != nil {
			t.Fatal(err)
		}
	}
	for _, adj := range []pickwave.Adjustment{
		{SKU: "MUG", Location: "A01-02-1", Delta: 8, Reason: "correction"},
		{SKU: "MUG", Location: "R03-09-2", Delta: 100, Reason: "correction"},
		{SKU: "TEA", Location: "A01-01-1", Delta: 1, Reason: "correction"},
		{SKU: "TEA", Location: "A01-06-1", Delta: 1, Reason: "correction"},
	} {
		if _, err := s.db.AdjustStock(ctx, &adj); err != nil {
			t.Fatal(err)
		}
	}
	mugs, _, err := s.db.CreateOrder(ctx, orderFor("WEB-1", "MUG", 6))
	if err != nil || mugs.Status != pickwave.OrderAllocated {
		t.Fatalf("order %+v, %v", mugs, err)
	}
	for _, ext := range []string{"WEB-2", "WEB-3"} {
		if _, _, err := s.db.CreateOrder(ctx, orderFor(ext, "TEA", 1)); err != nil {
			t.Fatal(err)
		}
	}
	w, err := s.db.PlanWave(ctx, pickwave.WaveTemplate{TotesPerCart: 3}, 1)
	if err != nil || len(w.Orders) != 3 {
		t.Fatalf("wave %+v, %v", w, err)
	}
	if _, err := s.db.ReleaseWave(ctx, w.ID); err != nil {
		t.Fatal(err)
	}

	picker := s.dial("pia", pickwave.RolePicker)
	right := func(p *pickwave.Prompt) string {
		switch p.Step {
		case pickwave.StepBindTote:
			return fmt.Sprintf("TOTE-%d", p.Slot)
		case pickwave.StepLocation:
			return p.Task.Location
		case pickwave.StepItem:
			return map[string]string{"MUG": s.each, "TEA": s.tea}[p.Task.SKU]
		case pickwave.StepTote:
			return fmt.Sprintf("TOTE-%d", p.Task.ToteSlot)
		}
		t.Fatalf("no right scan for %+v", p)
		return ""
	}
	p := takeCart(t, picker)
	for p.Step != pickwave.StepLocation || p.Task.SKU != "MUG" {
		if p.Done {
			t.Fatal("the cart ended without the mugs")
		}
		mustScan(t, picker, right(p), pickwave.VerdictOK)
		p = picker.Prompt()
	}
	if p.Task.Location != "A01-02-1" {
		t.Fatalf("the mugs' stop %+v", p.Task)
	}
	mustScan(t, picker, "A01-02-1", pickwave.VerdictOK)
	zero := 0
	res, err := picker.Short(testCtx(t), pickwave.ShortRequest{Reason: pickwave.ShortEmpty, Found: &zero})
	if err != nil || res.Verdict.Code != pickwave.VerdictOK || res.Verdict.Short != 6 {
		t.Fatalf("short %+v, %v", res, err)
	}
	if res.Prompt.Done || res.Prompt.Task == nil || res.Prompt.Task.SKU != "TEA" {
		t.Fatalf("after the short the cart goes on to the tea: %+v", res.Prompt)
	}
	face := s.stock("MUG", "A01-02-1")
	if face.CountID == "" {
		t.Fatalf("the face is not held for a count: %+v", face)
	}

	// The supervisor confirms the count over the API: nothing on the
	// shelf. The hold lifts; the face is now empty.
	sup := s.api("sue", pickwave.RoleSupervisor)
	if _, err := sup.Inventory.ConfirmCount(testCtx(t), face.CountID, pickwave.CountConfirmation{Counted: &zero}); err != nil {
		t.Fatal(err)
	}

	// The replenisher's task fills the face from reserve, FEFO; the short
	// waited for it.
	rep := s.dial("rob", pickwave.RolePicker)
	wp, err := rep.Work(testCtx(t), pickwave.WorkReplenish)
	if err != nil || wp.From != "R03-09-2" || wp.To != "A01-02-1" || wp.Qty != 20 {
		t.Fatalf("replenishment prompt %+v, %v", wp, err)
	}
	s.work(rep, pickwave.WorkRequest{ID: "f1", Kind: pickwave.WorkReplenish, Data: "R03-09-2"}, pickwave.VerdictOK)
	done := s.work(rep, pickwave.WorkRequest{ID: "f2", Kind: pickwave.WorkReplenish, Data: "A01-02-1"}, pickwave.VerdictOK)
	if done.Verdict.Qty != 20 {
		t.Fatalf("replenished %+v", done.Verdict)
	}
	if st := s.stock("MUG", "A01-02-1"); st.OnHand != 20 || st.Reserved != 6 {
		t.Fatalf("face after the replenishment %+v: the re-pointed pick should reserve 6", st)
	}

	// The cart, still on its way, brings the picker back to the face for
	// the six mugs.
	p, err = picker.RequestPrompt(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	var mugStop bool
	for steps := 0; !p.Done; steps++ {
		if steps > 30 {
			t.Fatalf("cart never ends: %+v", p)
		}
		if p.Task != nil && p.Task.SKU == "MUG" && p.Task.Location == "A01-02-1" && p.Task.Qty == 6 {
			mugStop = true
		}
		mustScan(t, picker, right(p), pickwave.VerdictOK)
		p = picker.Prompt()
	}
	if !mugStop {
		t.Fatal("the short was never re-pointed to the replenished face")
	}
	got, err := s.db.Order(ctx, mugs.ID)
	if err != nil || got.Status != pickwave.OrderPicked || got.Lines[0].Picked != 6 {
		t.Fatalf("order after the cart %+v, %v", got, err)
	}
	if st := s.stock("MUG", "A01-02-1"); st.OnHand != 14 || st.Reserved != 0 {
		t.Fatalf("face after the pick %+v", st)
	}
	clean(t, picker)
	allEventsOverHTTP(t, s)
}

// allEventsOverHTTP reads the whole event log through the API, so that
// the contract check sees every payload the floor's work logged.
func allEventsOverHTTP(t *testing.T, s *dockSite) int {
	t.Helper()
	api := s.api("sue", pickwave.RoleSupervisor)
	var after uint64
	n := 0
	for {
		evs, err := api.Events.Events(testCtx(t), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return n
		}
		n += len(evs)
		after = evs[len(evs)-1].Seq
	}
}
