package server_test

import (
	"context"
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/handheld"
)

// TestHandheld_fieldReady picks a whole cart over the socket and checks
// what the handheld page builds on: every prompt previews the next stop
// (the task the next prompt of a location step is for), a keyed count
// picks several units in one scan, once however often it is sent, a
// short's verdict says how many units it took off, and the end of the
// cart says where to leave it (the layout's drop-off, set by the demo).
func TestHandheld_fieldReady(t *testing.T) {
	f := newFloor(t, 16)
	ctx := testCtx(t)
	c := f.login(handheld.Options{})
	p := takeCart(t, c)
	if p.Step != pickwave.StepBindTote || p.NextStop == nil || p.NextStop.Location == "" || p.NextStop.Qty < 1 {
		t.Fatalf("binding totes: next stop %+v, want the first task", p.NextStop)
	}
	first := p.NextStop.TaskID

	var (
		keyed, shorted bool
		preview        *pickwave.NextStop // the previous task's preview
		prevTask       string
	)
	for !p.Done {
		if p.Task != nil && p.Task.ID != prevTask {
			// A new task: it is the one the last prompt previewed.
			if prevTask == "" && p.Task.ID != first {
				t.Fatalf("first task %s, previewed %s", p.Task.ID, first)
			}
			if preview != nil && preview.TaskID != p.Task.ID {
				t.Fatalf("task %s comes after %s; previewed %+v", p.Task.ID, prevTask, preview)
			}
			if preview != nil && (preview.Location != p.Task.Location || preview.SKU != p.Task.SKU || preview.Qty != p.Task.Remaining()) {
				t.Fatalf("preview %+v of task %+v", preview, p.Task)
			}
			prevTask = p.Task.ID
		}
		if p.Task != nil {
			if p.TasksLeft > 1 && p.NextStop == nil {
				t.Fatalf("%d tasks left and no next stop: %+v", p.TasksLeft, p)
			}
			if p.TasksLeft == 1 && p.NextStop != nil {
				t.Fatalf("last task previews %+v", p.NextStop)
			}
			preview = p.NextStop
		}
		switch {
		case !keyed && p.Step == pickwave.StepItem && p.Task.Remaining() >= 2 && p.Task.Lot == "":
			keyed = true
			n := p.Task.Remaining()
			task := p.Task.ID
			// One over what is left: refused whole, nothing counted.
			over := scan(t, c, pickwave.ScanRequest{ID: c.NewID(), Device: "TC52-1", Data: f.right(p), Count: n + 1})
			if over.Verdict.Code != pickwave.VerdictOverPick || over.Prompt.Task.Picked != p.Task.Picked {
				t.Fatalf("keyed %d of %d: %+v", n+1, n, over)
			}
			id := c.NewID()
			res := scan(t, c, pickwave.ScanRequest{ID: id, Device: "TC52-1", Data: f.right(p), Count: n})
			if res.Verdict.Code != pickwave.VerdictOK || res.Verdict.Qty != n || res.Verdict.Next != pickwave.StepTote || res.Prompt.Task.Picked != n {
				t.Fatalf("keyed %d: %+v", n, res)
			}
			// Sent again (a reconnect, a reload): answered from record,
			// nothing more counted.
			for range 2 {
				again, err := c.Resend(ctx, id)
				if err != nil || !again.Replayed || again.Verdict != res.Verdict {
					t.Fatalf("keyed scan sent again: %+v, %v", again, err)
				}
			}
			tk, err := f.db.Task(ctx, task)
			if err != nil || tk.Picked != n {
				t.Fatalf("after the keyed scan and two resends task %s holds %+v, %v; want %d picked", task, tk, err, n)
			}
			p = &res.Prompt
			continue
		case !shorted && keyed && p.Step == pickwave.StepLocation:
			shorted = true
			left := p.Task.Remaining()
			res, err := c.Short(ctx, pickwave.ShortRequest{ID: c.NewID(), Device: "TC52-1", Reason: pickwave.ShortDamaged})
			if err != nil || res.Verdict.Code != pickwave.VerdictOK || res.Verdict.Short != left || res.Verdict.Qty != 0 {
				t.Fatalf("short of %d: %+v, %v", left, res, err)
			}
			p = &res.Prompt
			continue
		}
		res := scan(t, c, pickwave.ScanRequest{ID: c.NewID(), Device: "TC52-1", Data: f.right(p)})
		if res.Verdict.Code != pickwave.VerdictOK || res.Verdict.Short != 0 {
			t.Fatalf("right scan at %+v: %+v", p, res.Verdict)
		}
		p = &res.Prompt
	}
	if !keyed || !shorted {
		t.Fatalf("the cart ended before every check ran: keyed %v, short %v", keyed, shorted)
	}
	if p.DropOff != demo.DropOff || p.NextStop != nil {
		t.Fatalf("cart done: drop-off %q, next stop %+v; want %q", p.DropOff, p.NextStop, demo.DropOff)
	}
	// The last tote scan sent again is answered with a done prompt that
	// still says where the cart goes.
	var last string
	for _, e := range c.Ledger() {
		last = e.ID
	}
	again, err := c.Resend(ctx, last)
	if err != nil || !again.Replayed || !again.Prompt.Done || again.Prompt.DropOff != demo.DropOff {
		t.Fatalf("last scan sent again: %+v, %v", again, err)
	}

	// A site that names no drop-off sends the picker to the depot.
	l, err := f.db.Layout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l.Depot.DropOff = ""
	if err := f.db.SetLayout(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	again, err = c.Resend(ctx, last)
	if err != nil || again.Prompt.DropOff != "Depot at the front of aisle 1" {
		t.Fatalf("without a drop-off: %+v, %v", again, err)
	}
	clean(t, c)
}
