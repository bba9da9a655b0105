package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
)

// TestCarts_model runs random sequences of picking, taking carts off
// pickers, giving them to others and cancelling the rest of the wave
// against the store. After every step the store's own check holds (wave
// progress, indexes, picker states, totes), and at every point no unit
// is lost or counted twice: each order line's units are allocated,
// picked or short, and the wave's units are picked, short, cancelled or
// still on an open task.
func TestCarts_model(t *testing.T) {
	// One site with its users (bcrypt is slow), copied for every run.
	base := mustOpen(t)
	w := releasedCart(t, base, 10)
	names := []string{"pia", "pat"}
	for _, n := range names {
		if err := base.CreateUser(ctxAs("t"), &pickwave.User{Name: n, Role: pickwave.RolePicker}, "secret-pw"); err != nil {
			t.Fatal(err)
		}
	}
	var site bytes.Buffer
	if _, err := base.Backup(context.Background(), &site); err != nil {
		t.Fatal(err)
	}
	testenv.RapidChecks(t, modelChecks)
	rapid.Check(t, func(rt *rapid.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, store.FileName), site.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		db := mustOpenWith(t, dir, store.Options{Now: func() time.Time { return t0 }, NoSync: true})
		defer db.Close() // the cleanup checks the file when the test ends
		pickers := map[string]*picker{}
		for _, n := range names {
			pickers[n] = &picker{t: t, db: db, name: n}
		}
		cartsOf := func() []*pickwave.CartProgress {
			cs, err := db.WaveCarts(ctxAs("t"), w.ID)
			if err != nil {
				t.Fatal(err)
			}
			return cs
		}
		rt.Repeat(map[string]func(*rapid.T){
			"take": func(rt *rapid.T) {
				n := rapid.SampledFrom(names).Draw(rt, "picker")
				if _, err := db.TakeCart(ctxAs(n), n); err != nil && pickwave.ErrorCode(err) != pickwave.ENOTFOUND {
					t.Fatalf("take: %v", err)
				}
			},
			"scan": func(rt *rapid.T) {
				n := rapid.SampledFrom(names).Draw(rt, "picker")
				p, err := db.Prompt(ctxAs(n), n)
				if pickwave.ErrorCode(err) == pickwave.ENOTFOUND || (err == nil && (p.Done || p.CartID == "")) {
					return
				}
				if err != nil {
					t.Fatalf("prompt: %v", err)
				}
				pk := pickers[n]
				pk.totes = p.CartID // the cart's own tote labels, whoever works it
				switch p.Step {
				case pickwave.StepBindTote:
					pk.mustScan(pk.tote(p.Slot), "ok")
				case pickwave.StepLocation:
					pk.mustScan(p.Task.Location, "ok")
				case pickwave.StepItem:
					pk.mustScan(barcodeOf(p.Task.SKU), "ok")
				case pickwave.StepTote:
					pk.mustScan(pk.tote(p.Task.ToteSlot), "ok")
				}
			},
			"unassign": func(rt *rapid.T) {
				cs := cartsOf()
				c := cs[rapid.IntRange(0, len(cs)-1).Draw(rt, "cart")]
				_, err := db.UnassignCart(ctxAs("sue"), c.ID)
				if (err != nil) != (c.Status == pickwave.CartDone || c.Status == pickwave.CartCancelled) {
					t.Fatalf("unassign %s (%s): %v", c.ID, c.Status, err)
				}
			},
			"assign": func(rt *rapid.T) {
				cs := cartsOf()
				c := cs[rapid.IntRange(0, len(cs)-1).Draw(rt, "cart")]
				n := rapid.SampledFrom(names).Draw(rt, "picker")
				_, err := db.AssignCart(ctxAs("sue"), c.ID, n)
				if err != nil && pickwave.ErrorCode(err) != pickwave.ECONFLICT {
					t.Fatalf("assign %s to %s: %v", c.ID, n, err)
				}
			},
			"cancelRest": func(rt *rapid.T) {
				if _, err := db.CancelRest(ctxAs("sue"), w.ID); err != nil {
					t.Fatalf("cancel rest: %v", err)
				}
			},
			"": func(rt *rapid.T) {
				mustCheckDB(t, db)
				cur, err := db.Wave(ctxAs("t"), w.ID)
				if err != nil {
					t.Fatal(err)
				}
				// A wave's progress takes a task's units when the task
				// ends (the tote scan, a short, a cancel): units already
				// in a picker's hand, or written to a task taken off its
				// picker, are on the open task still.
				p := cur.Progress
				open := 0
				for _, c := range cartsOf() {
					tasks, err := db.CartTasks(ctxAs("t"), c.ID)
					if err != nil {
						t.Fatal(err)
					}
					for _, task := range tasks {
						if task.Status == pickwave.TaskOpen {
							open += task.Qty
						}
					}
				}
				if p.Units != p.UnitsPicked+p.UnitsShort+p.UnitsCancelled+open {
					rt.Fatalf("wave %s %s: %+v, %d units open on tasks", cur.ID, cur.Status, p, open)
				}
				over := p.CartsDone+p.CartsCancelled == p.Carts
				if over != (cur.Status == pickwave.WaveCompleted || cur.Status == pickwave.WaveCancelled) {
					t.Fatalf("wave %s with %+v", cur.Status, p)
				}
			},
		})
	})
}
