package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pickwave/pickwave"
)

// TestHandheldWork_returnsToteToLocation: a packer scans a returns tote
// where the location to take from is asked, counts the items out of it
// and puts them on a shelf: the units come back on the books there (a
// stock.adjusted event, reason return). A dock is refused as the
// destination, "all" is refused (a returns tote has no books to take
// all of), and a tote still on a cart is not a returns tote.
func TestHandheldWork_returnsToteToLocation(t *testing.T) {
	s := newDockSite(t)
	ctx := context.Background()
	pat := s.dial("pat", pickwave.RolePacker)
	res := s.work(pat, pickwave.WorkRequest{ID: "m1", Kind: pickwave.WorkMove, Data: "RET-7"}, pickwave.VerdictOK)
	if res.Prompt.From != "RET-7" || res.Prompt.Step != pickwave.StepMoveItem || !strings.Contains(res.Prompt.Say, "tote RET-7") {
		t.Fatalf("returns tote prompt %+v", res.Prompt)
	}
	s.work(pat, pickwave.WorkRequest{ID: "m2", Kind: pickwave.WorkMove, Action: pickwave.ActionAll}, pickwave.VerdictNotAllowed)
	s.work(pat, pickwave.WorkRequest{ID: "m3", Kind: pickwave.WorkMove, Data: s.case12}, pickwave.VerdictOK)
	res = s.work(pat, pickwave.WorkRequest{ID: "m4", Kind: pickwave.WorkMove, Data: s.each, Count: 3}, pickwave.VerdictOK)
	if res.Prompt.Qty != 15 {
		t.Fatalf("counted out of the tote %+v", res.Prompt)
	}
	s.work(pat, pickwave.WorkRequest{ID: "m5", Kind: pickwave.WorkMove, Data: s.tea}, pickwave.VerdictWrongItem)
	s.work(pat, pickwave.WorkRequest{ID: "m6", Kind: pickwave.WorkMove, Data: "DOCK-1"}, pickwave.VerdictNotAllowed)
	res = s.work(pat, pickwave.WorkRequest{ID: "m7", Kind: pickwave.WorkMove, Data: "A01-02-1"}, pickwave.VerdictOK)
	if res.Verdict.Qty != 15 || res.Prompt.Step != pickwave.StepMoveFrom {
		t.Fatalf("put back %+v", res)
	}
	if st := s.stock("MUG", "A01-02-1"); st.OnHand != 15 || st.Available() != 15 {
		t.Fatalf("face after the return %+v", st)
	}
	events, err := s.db.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var returned bool
	for _, ev := range events {
		returned = returned || (ev.Type == pickwave.EventStockAdjusted && strings.Contains(string(ev.Payload), `"reason":"return"`) &&
			strings.Contains(string(ev.Payload), `"delta":15`) && ev.Actor == "pat")
	}
	if !returned {
		t.Fatal("no stock.adjusted event with reason return")
	}
	// A resend is answered from record: nothing is returned twice.
	if again := s.work(pat, pickwave.WorkRequest{ID: "m7", Kind: pickwave.WorkMove, Data: "A01-02-1"}, pickwave.VerdictOK); !again.Replayed {
		t.Fatalf("resend %+v", again)
	}
	if st := s.stock("MUG", "A01-02-1"); st.OnHand != 15 {
		t.Fatalf("face after the resend %+v", st)
	}

	// A tote on a cart holds an order's units.
	if _, _, err := s.db.CreateOrder(ctx, orderFor("WEB-1", "MUG", 2)); err != nil {
		t.Fatal(err)
	}
	w, err := s.db.PlanWave(ctx, pickwave.WaveTemplate{TotesPerCart: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ReleaseWave(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	picker := s.dial("pia", pickwave.RolePicker)
	takeCart(t, picker)
	mustScan(t, picker, "TOTE-9", pickwave.VerdictOK)
	res = s.work(pat, pickwave.WorkRequest{ID: "m8", Kind: pickwave.WorkMove, Data: "TOTE-9"}, pickwave.VerdictNotAllowed)
	if !strings.Contains(res.Verdict.Message, "on cart") {
		t.Fatalf("a tote on a cart: %+v", res.Verdict)
	}
	allEventsOverHTTP(t, s)
}

// TestWavePlan_replenishesFacesItLeavesBelowMin: orders reserve most of
// a face without a replenishment (allocation found the units); the wave
// that takes them leaves the face below its min, so planning it raises
// the face's replenishment (reason demand) at once, before any picker
// finds the face short.
func TestWavePlan_replenishesFacesItLeavesBelowMin(t *testing.T) {
	s := newDockSite(t)
	ctx := context.Background()
	for _, adj := range []pickwave.Adjustment{
		{SKU: "MUG", Location: "A01-02-1", Delta: 12, Reason: "receipt"},
		{SKU: "MUG", Location: "R03-09-2", Delta: 100, Reason: "receipt"},
	} {
		if _, err := s.db.AdjustStock(ctx, &adj); err != nil {
			t.Fatal(err)
		}
	}
	if o, _, err := s.db.CreateOrder(ctx, orderFor("WEB-1", "MUG", 10)); err != nil || o.Status != pickwave.OrderAllocated {
		t.Fatalf("order %+v, %v", o, err)
	}
	rob := s.dial("rob", pickwave.RolePicker)
	if p, err := rob.Work(testCtx(t), pickwave.WorkReplenish); err != nil || p.Step != pickwave.StepIdle {
		t.Fatalf("before the wave %+v, %v", p, err)
	}
	if _, err := s.db.PlanWave(ctx, pickwave.WaveTemplate{}, 1); err != nil {
		t.Fatal(err)
	}
	p, err := rob.Work(testCtx(t), pickwave.WorkReplenish)
	if err != nil || p.From != "R03-09-2" || p.To != "A01-02-1" || p.Qty != 8 {
		t.Fatalf("after the wave %+v, %v", p, err)
	}
	events, _ := s.db.Events(ctx, 0, 1000)
	var due bool
	for _, ev := range events {
		due = due || (ev.Type == pickwave.EventReplenishDue && strings.Contains(string(ev.Payload), `"reason":"demand"`))
	}
	if !due {
		t.Fatal("no replenishment.due with reason demand")
	}
}
