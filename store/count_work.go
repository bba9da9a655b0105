package store

import (
	"context"
	"fmt"

	"github.com/pickwave/pickwave"
)

// Counting on a handheld. A counter takes the oldest open count that
// nobody else is counting and that they have not counted before (a
// recount goes to someone else), scans the location, then scans every
// unit or pack (or keys the total) and says done. The counter never sees
// the book quantity. A count within the tolerance of the books is
// accepted at once; beyond it, the attempt is recorded and the count goes
// back to the queue for a recount by another person, whose count is
// accepted. An accepted count adjusts stock (a stock.adjusted event,
// reason count) and releases the location's hold, as ConfirmCount does.

// nextCount is the oldest open count user may take, or nil.
func (t *txn) nextCount(user string) (*pickwave.CycleCount, int, error) {
	var next *pickwave.CycleCount
	waiting := 0
	err := t.Scan(spaceCounts, nil, nil, func(k, v []byte) error {
		cc := new(pickwave.CycleCount)
		if err := decode(spaceCounts, k, v, cc); err != nil {
			return err
		}
		if cc.Status == pickwave.CountConfirmed || (cc.AssignedTo != "" && cc.AssignedTo != user) {
			return nil
		}
		for _, a := range cc.Attempts {
			if a.By == user {
				return nil
			}
		}
		waiting++
		if next == nil {
			next = cc
		}
		return nil
	})
	return next, waiting, err
}

func (t *txn) countPrompt(user string, st *workState, p *pickwave.WorkPrompt) (*pickwave.WorkPrompt, error) {
	if st.Count != "" {
		cc, err := t.count(st.Count)
		if err != nil {
			return nil, err
		}
		if cc.Status == pickwave.CountConfirmed || cc.AssignedTo != user {
			*st = workState{} // settled by a supervisor meanwhile
		}
	}
	next, waiting, err := t.nextCount(user)
	if err != nil {
		return nil, err
	}
	p.Waiting = waiting
	if st.Count == "" {
		if next == nil {
			st.Step, p.Step = pickwave.StepIdle, pickwave.StepIdle
			p.Say = "No count waits for you."
			return p, nil
		}
		next.AssignedTo = user
		if err := t.putJSON(spaceCounts, []byte(next.ID), next); err != nil {
			return nil, err
		}
		*st = workState{Count: next.ID, Step: pickwave.StepCountLocation}
	}
	cc, err := t.count(st.Count)
	if err != nil {
		return nil, err
	}
	p.Count, p.From, p.SKU, p.Lot, p.Counted = cc.ID, cc.Location, cc.SKU, cc.Lot, st.Counted
	if sku, err := t.sku(cc.SKU); err == nil {
		p.SKUName = sku.Name
	}
	p.Step = st.Step
	if st.Step == pickwave.StepCountLocation {
		p.Say = fmt.Sprintf("Count %s at %s: scan the location.", cc.SKU, cc.Location)
	} else {
		p.Say = fmt.Sprintf("Scan every %s at %s (or key the total), then done. %d so far.", cc.SKU, cc.Location, st.Counted)
	}
	return p, nil
}

func (w *workTurn) count() (pickwave.Verdict, error) {
	t, st := w.t, w.st
	if st.Count == "" {
		return refuse(pickwave.VerdictNoTask, "No count waits for you."), nil
	}
	cc, err := t.count(st.Count)
	if err != nil {
		return pickwave.Verdict{}, err
	}
	if w.req.Action == pickwave.ActionDone {
		if st.Step != pickwave.StepCountItem {
			return refuse(pickwave.VerdictWrongLocation, "Scan location %s first.", cc.Location), nil
		}
		counted := st.Counted
		if w.req.Count > 0 {
			counted = w.req.Count // a keyed total
		}
		return w.finishCount(cc, counted)
	}
	if w.req.Action == pickwave.ActionAll {
		return refuse(pickwave.VerdictNotAllowed, "Counting takes scans, then done."), nil
	}
	s, err := w.read()
	if err != nil || s.verdict != nil {
		return verdictOf(s), err
	}
	if st.Step == pickwave.StepCountLocation {
		if s.location == nil || s.location.Code != cc.Location {
			return refuse(pickwave.VerdictWrongLocation, "Scan location %s.", cc.Location), nil
		}
		st.Step = pickwave.StepCountItem
		return accept("At %s: scan every %s.", cc.Location, cc.SKU), nil
	}
	if s.location != nil {
		return refuse(pickwave.VerdictWrongItem, "Scan the items, not the location; done when all are counted."), nil
	}
	if s.facts.SKU.Code != cc.SKU {
		return refuse(pickwave.VerdictWrongItem, "This count is for %s, not %s: leave it out.", cc.SKU, s.facts.SKU.Code), nil
	}
	if lot := s.facts.Data.Lot(); lot != "" && cc.Lot != "" && lot != cc.Lot {
		return refuse(pickwave.VerdictWrongItem, "This count is for lot %s, not %s: leave it out.", cc.Lot, lot), nil
	}
	n := w.units(s.facts)
	if st.Counted+n > pickwave.MaxLineQty {
		return refuse(pickwave.VerdictOverPick, "More than %d counted: key the total instead.", pickwave.MaxLineQty), nil
	}
	st.Counted += n
	v := accept("%d counted.", st.Counted)
	v.Qty = n
	return v, nil
}

// finishCount records a blind count and accepts it, or sends it for a
// recount.
func (w *workTurn) finishCount(cc *pickwave.CycleCount, counted int) (pickwave.Verdict, error) {
	t := w.t
	inHand, err := t.unitsInHand(cc.SKU, cc.Location, cc.Lot)
	if err != nil {
		return pickwave.Verdict{}, err
	}
	row := new(pickwave.Stock)
	if _, err := t.getJSON(spaceStock, stockKey(cc.SKU, cc.Location, cc.Lot), row); err != nil {
		return pickwave.Verdict{}, err
	}
	books := row.OnHand - inHand // what the shelf should hold
	first := len(cc.Attempts) == 0
	cc.Attempts = append(cc.Attempts, pickwave.CountAttempt{By: w.user, Counted: counted, At: t.now})
	within := abs(counted-books) <= t.countTolerance
	*w.st = workState{}
	if first && !within {
		cc.AssignedTo = ""
		if err := t.putJSON(spaceCounts, []byte(cc.ID), cc); err != nil {
			return pickwave.Verdict{}, err
		}
		if _, err := t.appendEvent(pickwave.EventCountRecount, "location/"+cc.Location, map[string]any{
			"count": cc.ID, "location": cc.Location, "sku": cc.SKU, "lot": cc.Lot, "by": w.user}); err != nil {
			return pickwave.Verdict{}, err
		}
		return accept("Count of %s at %s recorded; someone else counts it again.", cc.SKU, cc.Location), nil
	}
	right := first && within
	cc.RightFirst = &right
	if err := t.confirmCount(cc, counted, ""); err != nil {
		return pickwave.Verdict{}, err
	}
	v := accept("Count of %s at %s accepted.", cc.SKU, cc.Location)
	v.Qty = counted
	return v, nil
}

// RequestCount raises a count on demand.
func (db *DB) RequestCount(ctx context.Context, r pickwave.CountRequest) (*pickwave.CycleCount, bool, error) {
	var fe pickwave.FieldErrors
	if p := pickwave.CodeProblem(r.Location); p != "" {
		fe.Add("location", "%s", p)
	}
	if p := pickwave.CodeProblem(r.SKU); p != "" {
		fe.Add("sku", "%s", p)
	}
	if r.Lot != "" {
		if p := pickwave.CodeProblem(r.Lot); p != "" {
			fe.Add("lot", "%s", p)
		}
	}
	if err := fe.Err("The count request is not valid."); err != nil {
		return nil, false, err
	}
	var (
		out     *pickwave.CycleCount
		created bool
	)
	err := db.update(ctx, func(t *txn) error {
		if _, err := t.location(r.Location); err != nil {
			return err
		}
		if _, err := t.sku(r.SKU); err != nil {
			return err
		}
		if t.Get(spaceStock, stockKey(r.SKU, r.Location, r.Lot)) == nil {
			return notFound("There is no %s (lot %q) at %s to count.", r.SKU, r.Lot, r.Location)
		}
		want := &pickwave.CycleCount{Location: r.Location, SKU: r.SKU, Lot: r.Lot,
			Reason: pickwave.ShortCantFind, Picker: t.actor, Source: pickwave.CountFromDemand}
		cc, err := t.holdForCount(want)
		out, created = cc, cc == want
		return err
	})
	return out, created, err
}

// Accuracy is the inventory accuracy KPI.
func (db *DB) Accuracy(ctx context.Context) (*pickwave.InventoryAccuracy, error) {
	a := &pickwave.InventoryAccuracy{}
	err := db.view(ctx, func(t *txn) error {
		return t.Scan(spaceCounts, nil, nil, func(k, v []byte) error {
			cc := new(pickwave.CycleCount)
			if err := decode(spaceCounts, k, v, cc); err != nil {
				return err
			}
			if cc.RightFirst == nil {
				return nil
			}
			a.Counted++
			if *cc.RightFirst {
				a.RightFirst++
			}
			return nil
		})
	})
	a.Accuracy = 1
	if a.Counted > 0 {
		a.Accuracy = float64(a.RightFirst) / float64(a.Counted)
	}
	return a, err
}
