package store_test

import (
	"slices"
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

// workTask takes the prompt's task from its location scan to its tote scan.
func (p *picker) workTask(prompt *pickwave.Prompt) *pickwave.Prompt {
	p.t.Helper()
	for prompt.Step == pickwave.StepBindTote {
		prompt = &p.mustScan(p.tote(prompt.Slot), "ok").Prompt
	}
	task := prompt.Task
	prompt = &p.mustScan(task.Location, "ok").Prompt
	for prompt.Step == pickwave.StepItem {
		prompt = &p.mustScan(barcodeOf(task.SKU), "ok").Prompt
	}
	return &p.mustScan(p.tote(task.ToteSlot), "ok").Prompt
}

func mustCheckDB(t testing.TB, db *store.DB) {
	t.Helper()
	if err := db.Check(); err != nil {
		t.Fatalf("store after the change: %v", err)
	}
}

func TestCancelRest_returnsOrdersNotStarted(t *testing.T) {
	db := mustOpen(t)
	w := releasedCart(t, db, 12)
	if w.Progress.Carts < 2 {
		t.Fatalf("want at least 2 carts, got %+v", w.Progress)
	}
	p := &picker{t: t, db: db, name: "pete"}
	prompt, err := db.TakeCart(ctxAs("pete"), "pete")
	if err != nil {
		t.Fatal(err)
	}
	prompt = p.workTask(prompt) // one task done: its order has started
	first, err := db.CartTasks(ctxAs("t"), prompt.CartID)
	if err != nil {
		t.Fatal(err)
	}
	startedOrder := first[0].OrderID

	before, _ := db.LastSeq(ctxAs("t"))
	res, err := db.CancelRest(ctxAs("sue"), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustCheckDB(t, db)
	if len(res.OrdersReturned) != len(w.Orders)-1 || slices.Contains(res.OrdersReturned, startedOrder) {
		t.Fatalf("returned %v of %d orders; %s has started", res.OrdersReturned, len(w.Orders), startedOrder)
	}
	if len(res.CartsCancelled) != w.Progress.Carts-1 || !slices.Equal(res.Pickers, []string{"pete"}) {
		t.Fatalf("carts cancelled %v, pickers %v", res.CartsCancelled, res.Pickers)
	}
	for _, id := range res.OrdersReturned {
		o, _ := db.Order(ctxAs("t"), id)
		if o.Status != pickwave.OrderAllocated || o.WaveID != "" {
			t.Fatalf("order %s after cancel: %s in %q", id, o.Status, o.WaveID)
		}
	}
	got := res.Wave.Progress
	if got.Units-got.UnitsCancelled-got.UnitsPicked-got.UnitsShort != remainingOf(t, db, prompt.CartID) || res.Wave.Status != pickwave.WaveReleased {
		t.Fatalf("wave after cancel: %s %+v", res.Wave.Status, got)
	}

	// A retry cancels nothing more and logs nothing.
	after, _ := db.LastSeq(ctxAs("t"))
	again, err := db.CancelRest(ctxAs("sue"), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.OrdersReturned)+len(again.CartsCancelled)+again.TasksCancelled != 0 {
		t.Fatalf("retry cancelled more: %+v", again)
	}
	if last, _ := db.LastSeq(ctxAs("t")); last != after || after <= before {
		t.Fatalf("events: %d before, %d after, %d after the retry", before, after, last)
	}

	// The picker finishes the started order; the wave completes.
	cur, err := db.Prompt(ctxAs("pete"), "pete")
	if err != nil {
		t.Fatal(err)
	}
	p.pickAll(cur)
	mustCheckDB(t, db)
	w, _ = db.Wave(ctxAs("t"), w.ID)
	if w.Status != pickwave.WaveCompleted {
		t.Fatalf("wave at the end: %s %+v", w.Status, w.Progress)
	}
	// The returned orders plan again.
	if _, err := db.PlanWave(ctxAs("sue"), pickwave.WaveTemplate{}, 1); err != nil {
		t.Fatalf("plan the returned orders: %v", err)
	}
}

// remainingOf counts the units still to pick on a cart.
func remainingOf(t *testing.T, db *store.DB, cartID string) int {
	t.Helper()
	tasks, err := db.CartTasks(ctxAs("t"), cartID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, task := range tasks {
		if task.Status == pickwave.TaskOpen {
			n += task.Remaining()
		}
	}
	return n
}

func TestCancelRest_nothingStartedCancelsTheWave(t *testing.T) {
	db := mustOpen(t)
	w := releasedCart(t, db, 5)
	mustTake(t, db, "pete") // a picker has it, but nothing is picked
	res, err := db.CancelRest(ctxAs("sue"), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustCheckDB(t, db)
	if res.Wave.Status != pickwave.WaveCancelled || len(res.OrdersReturned) != 5 {
		t.Fatalf("wave %s, returned %v", res.Wave.Status, res.OrdersReturned)
	}
	p, err := db.Prompt(ctxAs("pete"), "pete")
	if pickwave.ErrorCode(err) != pickwave.ENOTFOUND {
		t.Fatalf("pete's prompt after the cancel: %+v, %v", p, err)
	}
	// A scan the handheld still sends gets no_task, not an error.
	(&picker{t: t, db: db, name: "pete", n: 100}).mustScan("A01-01-1", pickwave.VerdictNoTask)
	mustCheckDB(t, db)
}

func TestCart_unassignKeepsPicksAndAssignGivesIt(t *testing.T) {
	db := mustOpen(t)
	w := releasedCart(t, db, 5)
	for _, name := range []string{"pete", "paula"} {
		if err := db.CreateUser(ctxAs("t"), &pickwave.User{Name: name, Role: pickwave.RolePicker}, "secret1"); err != nil {
			t.Fatal(err)
		}
	}
	pete := &picker{t: t, db: db, name: "pete"}
	prompt, err := db.TakeCart(ctxAs("pete"), "pete")
	if err != nil {
		t.Fatal(err)
	}
	cartID := prompt.CartID
	prompt = pete.workTask(prompt)
	// One unit of the next task in hand, not yet in the tote.
	task := prompt.Task
	pete.mustScan(task.Location, "ok")
	pete.mustScan(barcodeOf(task.SKU), "ok")

	ch, err := db.UnassignCart(ctxAs("sue"), cartID)
	if err != nil {
		t.Fatal(err)
	}
	mustCheckDB(t, db)
	if ch.From != "pete" || ch.Cart.Status != pickwave.CartOpen || ch.Cart.Picker != "" || !ch.Changed {
		t.Fatalf("unassign: %+v", ch)
	}
	if again, err := db.UnassignCart(ctxAs("sue"), cartID); err != nil || again.Changed {
		t.Fatalf("unassign again: %+v, %v", again, err)
	}
	// Pete's scans now find no cart.
	pete.mustScan(barcodeOf(task.SKU), pickwave.VerdictNoTask)
	tasks, _ := db.CartTasks(ctxAs("t"), cartID)
	if tasks[0].Status != pickwave.TaskPicked || tasks[1].Picked != 1 {
		t.Fatalf("tasks after unassign: %+v %+v", tasks[0], tasks[1])
	}

	_, err = db.AssignCart(ctxAs("sue"), cartID, "nobody")
	mustCode(t, err, pickwave.EINVALID)
	ch, err = db.AssignCart(ctxAs("sue"), cartID, "paula")
	if err != nil || ch.To != "paula" || ch.Cart.Status != pickwave.CartPicking || !ch.Changed {
		t.Fatalf("assign: %+v, %v", ch, err)
	}
	mustCheckDB(t, db)
	if again, err := db.AssignCart(ctxAs("sue"), cartID, "paula"); err != nil || again.Changed {
		t.Fatalf("assign again: %+v, %v", again, err)
	}
	// Straight from paula to pete, who has no cart now.
	if ch, err = db.AssignCart(ctxAs("sue"), cartID, "pete"); err != nil || ch.From != "paula" {
		t.Fatalf("reassign: %+v, %v", ch, err)
	}
	if ch, err = db.AssignCart(ctxAs("sue"), cartID, "paula"); err != nil || ch.From != "pete" {
		t.Fatalf("reassign back: %+v, %v", ch, err)
	}
	mustCheckDB(t, db)

	paula := &picker{t: t, db: db, name: "paula", totes: "pete"}
	cur, err := db.Prompt(ctxAs("paula"), "paula")
	if err != nil || cur.CartID != cartID || cur.Task.ID != task.ID || cur.Task.Picked != 1 || cur.Step != pickwave.StepLocation {
		t.Fatalf("paula's prompt: %+v, %v", cur, err)
	}
	paula.pickAll(cur)
	mustCheckDB(t, db)
	w, _ = db.Wave(ctxAs("t"), w.ID)
	if w.Status != pickwave.WaveCompleted || w.Progress.UnitsPicked != w.Progress.Units {
		t.Fatalf("wave at the end: %s %+v", w.Status, w.Progress)
	}
	_, err = db.UnassignCart(ctxAs("sue"), cartID)
	mustCode(t, err, pickwave.ECONFLICT)
}

func TestWaveCarts_stopsAndUnits(t *testing.T) {
	db := mustOpen(t)
	w := releasedCart(t, db, 5)
	p := &picker{t: t, db: db, name: "pete"}
	prompt, err := db.TakeCart(ctxAs("pete"), "pete")
	if err != nil {
		t.Fatal(err)
	}
	p.workTask(prompt)
	carts, err := db.WaveCarts(ctxAs("t"), w.ID)
	if err != nil || len(carts) != w.Progress.Carts {
		t.Fatalf("carts %+v, %v", carts, err)
	}
	c := carts[0]
	if c.Picker != "pete" || c.Stops < 2 || c.StopsDone < 1 || c.TasksDone != 1 || c.UnitsPicked == 0 || c.Units != w.Progress.Units || c.Current == "" {
		t.Fatalf("cart progress %+v", c)
	}
	active, err := db.ActiveCarts(ctxAs("t"))
	if err != nil || len(active) != 1 || active[0].ID != c.ID {
		t.Fatalf("active carts %+v, %v", active, err)
	}
}
