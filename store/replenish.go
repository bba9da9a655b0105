package store

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/wave"
)

// Replenishment keeps pick faces stocked from reserve. A face (a pick
// location with a min/max for its SKU) is due when its available stock
// drops below min, when orders need more of its SKU than the pick
// locations hold (a backordered line), or when a picker finds it short.
// One open task per face: it moves stock from the reserve row with the
// earliest expiry (then the first received) up to the face's max.
// Units reaching the face are allocated to backordered orders at once, so
// the picks that waited for it are released by the same commit.
//
// Reorder signals ride on the same changes: when the available stock of
// a SKU across the site falls below its reorder point, one
// reorder.suggested event is logged (and sent to webhooks), and not
// again until stock has come back above the point.

func replenID(seq uint64) string { return fmt.Sprintf("RP-%08d", seq) }

// faceOf returns the pick face of a SKU, or nil.
func (t *txn) faceOf(sku string) (*pickwave.Location, error) {
	var face *pickwave.Location
	err := t.Scan(spaceLocations, nil, nil, func(k, v []byte) error {
		loc := new(pickwave.Location)
		if err := decode(spaceLocations, k, v, loc); err != nil {
			return err
		}
		if loc.Face != nil && loc.Face.SKU == sku && loc.Kind == pickwave.LocationPick {
			face = loc
			return errStop
		}
		return nil
	})
	return face, err
}

// stockDropped looks at a SKU's face after stock left location: a face
// below its min gets a task. It also checks the reorder point.
func (t *txn) stockDropped(sku, location string) error {
	loc, err := t.location(location)
	if err != nil {
		return err
	}
	if loc.Face != nil && loc.Face.SKU == sku {
		if _, err := t.replenishFace(loc, pickwave.ReplenishBelowMin, 0); err != nil {
			return err
		}
	}
	return t.checkReorder(sku)
}

// faceStock is the units on hand and available at a face for its SKU.
func (t *txn) faceStock(face *pickwave.Location) (onHand, available int, err error) {
	rows, err := t.stockOf(face.Face.SKU)
	if err != nil {
		return 0, 0, err
	}
	for _, r := range rows {
		if r.Location == face.Code {
			onHand += r.OnHand
			available += r.Available()
		}
	}
	return onHand, available, nil
}

// replenishFace raises (or grows) the face's task when it is due: below
// min, or need units wanted beyond what it has. Nothing is raised when
// reserve holds no free stock of the SKU. It returns the task, or nil.
func (t *txn) replenishFace(face *pickwave.Location, reason string, need int) (*pickwave.Replenishment, error) {
	onHand, available, err := t.faceStock(face)
	if err != nil {
		return nil, err
	}
	if need == 0 && available >= face.Face.Min {
		return nil, nil
	}
	qty := max(face.Face.Max-onHand, need)
	if qty <= 0 {
		return nil, nil
	}
	if id := t.Get(spaceReplenFace, []byte(face.Code)); id != nil {
		r, err := getEntity[pickwave.Replenishment](t, spaceReplen, string(id), "Replenishment")
		if err != nil {
			return nil, err
		}
		if r.AssignedTo == "" && qty > r.Qty {
			r.Qty = qty
			if err := t.putJSON(spaceReplen, []byte(r.ID), r); err != nil {
				return nil, err
			}
		}
		return r, nil
	}
	if row, err := t.reserveRow(face.Face.SKU); err != nil || row == nil {
		return nil, err
	}
	seq, err := t.NextSeq(spaceReplen)
	if err != nil {
		return nil, err
	}
	r := &pickwave.Replenishment{ID: replenID(seq), Face: face.Code, SKU: face.Face.SKU, Qty: qty, Reason: reason,
		Status: pickwave.ReplenishOpen, CreatedAt: t.now}
	if err := t.putJSON(spaceReplen, []byte(r.ID), r); err != nil {
		return nil, err
	}
	if err := t.Put(spaceReplenFace, []byte(face.Code), []byte(r.ID)); err != nil {
		return nil, err
	}
	_, err = t.appendEvent(pickwave.EventReplenishDue, "location/"+face.Code, r)
	return r, err
}

// replenishFor raises a task for the SKU's face when need units are
// wanted beyond what the pick locations hold.
func (t *txn) replenishFor(sku string, need int, reason string) error {
	face, err := t.faceOf(sku)
	if err != nil || face == nil {
		return err
	}
	_, err = t.replenishFace(face, reason, need)
	return err
}

// reserveRow is the reserve row a replenishment of the SKU takes from:
// free stock, not expired, earliest expiry first, then first received.
func (t *txn) reserveRow(sku string) (*pickwave.Stock, error) {
	rows, err := t.stockOf(sku)
	if err != nil {
		return nil, err
	}
	var cands []*pickwave.Stock
	for _, r := range rows {
		if freeAt(r) <= 0 || (r.Expiry != nil && !r.Expiry.After(t.now)) {
			continue
		}
		loc, err := t.location(r.Location)
		if err != nil {
			return nil, err
		}
		if loc.Kind == pickwave.LocationReserve {
			cands = append(cands, r)
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(cands, func(a, b *pickwave.Stock) int {
		if a.Expiry != nil && b.Expiry != nil {
			if c := a.Expiry.Compare(*b.Expiry); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ReceivedSeq, b.ReceivedSeq)
	})
	return cands[0], nil
}

// checkReorder logs reorder.suggested when a SKU's available stock
// across the site falls below its reorder point.
func (t *txn) checkReorder(code string) error {
	sku, err := t.sku(code)
	if err != nil || sku.ReorderPoint == 0 {
		return err
	}
	rows, err := t.stockOf(code)
	if err != nil {
		return err
	}
	available := 0
	for _, r := range rows {
		loc, err := t.location(r.Location)
		if err != nil {
			return err
		}
		if loc.Kind != pickwave.LocationReceiving {
			available += freeAt(r)
		}
	}
	standing := t.Get(spaceReorder, []byte(code)) != nil
	switch {
	case available < sku.ReorderPoint && !standing:
		if err := t.Put(spaceReorder, []byte(code), nil); err != nil {
			return err
		}
		_, err := t.appendEvent(pickwave.EventReorderSuggested, "sku/"+code, map[string]any{
			"sku": code, "available": available, "reorder_point": sku.ReorderPoint, "reorder_qty": sku.ReorderQty})
		return err
	case available >= sku.ReorderPoint && standing:
		return t.Delete(spaceReorder, []byte(code))
	}
	return nil
}

func (t *txn) replenishPrompt(user string, st *workState, p *pickwave.WorkPrompt) (*pickwave.WorkPrompt, error) {
	var waiting []*pickwave.Replenishment
	if err := t.Scan(spaceReplenFace, nil, nil, func(_, id []byte) error {
		r, err := getEntity[pickwave.Replenishment](t, spaceReplen, string(id), "Replenishment")
		if err != nil {
			return err
		}
		if r.AssignedTo == "" || r.AssignedTo == user {
			waiting = append(waiting, r)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(waiting, func(a, b *pickwave.Replenishment) int { return cmp.Compare(a.ID, b.ID) })
	p.Waiting = len(waiting)
	var r *pickwave.Replenishment
	for _, w := range waiting {
		if w.ID == st.Task || (st.Task == "" && r == nil) {
			r = w
		}
	}
	if st.Task != "" && (r == nil || r.ID != st.Task) {
		*st = workState{} // done or given back meanwhile
		return t.replenishPrompt(user, st, p)
	}
	if r == nil {
		st.Step, p.Step = pickwave.StepIdle, pickwave.StepIdle
		p.Say = "No replenishment waits."
		return p, nil
	}
	if st.Task == "" {
		row, err := t.reserveRow(r.SKU)
		if err != nil {
			return nil, err
		}
		if row == nil {
			p.Say = fmt.Sprintf("%s needs %d × %s but reserve holds none free.", r.Face, r.Qty, r.SKU)
			st.Step, p.Step = pickwave.StepIdle, pickwave.StepIdle
			return p, nil
		}
		r.AssignedTo, r.From, r.Lot = user, row.Location, row.Lot
		if err := t.putJSON(spaceReplen, []byte(r.ID), r); err != nil {
			return nil, err
		}
		*st = workState{Task: r.ID, Step: pickwave.StepReplenishFrom, SKU: r.SKU, Lot: row.Lot, From: row.Location,
			Qty: min(r.Qty, freeAt(row))}
	}
	p.Step, p.SKU, p.Lot, p.Qty, p.From, p.To, p.Suggested = st.Step, st.SKU, st.Lot, st.Qty, st.From, r.Face, st.From
	if sku, err := t.sku(r.SKU); err == nil {
		p.SKUName = sku.Name
	}
	if st.Step == pickwave.StepReplenishFrom {
		p.Say = fmt.Sprintf("Take %d × %s from %s: scan the location.", st.Qty, st.SKU, st.From)
	} else {
		p.Say = fmt.Sprintf("Bring %d × %s to %s: scan the pick face.", st.Qty, st.SKU, r.Face)
	}
	return p, nil
}

func (w *workTurn) replenish() (pickwave.Verdict, error) {
	t, st := w.t, w.st
	if st.Task == "" {
		return refuse(pickwave.VerdictNoTask, "No replenishment waits."), nil
	}
	if w.req.Action != pickwave.ActionScan {
		return refuse(pickwave.VerdictNotAllowed, "Replenishment takes location scans: from, then to."), nil
	}
	r, err := getEntity[pickwave.Replenishment](t, spaceReplen, st.Task, "Replenishment")
	if err != nil {
		return pickwave.Verdict{}, err
	}
	s, err := w.read()
	if err != nil || s.verdict != nil {
		return verdictOf(s), err
	}
	if st.Step == pickwave.StepReplenishFrom {
		if s.location == nil || s.location.Code != st.From {
			return refuse(pickwave.VerdictWrongLocation, "Take it from %s: scan that location.", st.From), nil
		}
		st.Step = pickwave.StepReplenishTo
		return accept("Take %d × %s to %s.", st.Qty, st.SKU, r.Face), nil
	}
	if s.location == nil || s.location.Code != r.Face {
		return refuse(pickwave.VerdictWrongLocation, "This goes to pick face %s: scan it.", r.Face), nil
	}
	// Refusals first: a verdict that refuses must leave nothing written.
	row := new(pickwave.Stock)
	if _, err := t.getJSON(spaceStock, stockKey(st.SKU, st.From, st.Lot), row); err != nil {
		return pickwave.Verdict{}, err
	}
	if freeAt(row) < st.Qty {
		return refuse(pickwave.VerdictNotAllowed, "Only %d of %s are free at %s now: cancel and take the task again.", freeAt(row), st.SKU, st.From), nil
	}
	if v, bad, err := t.heldAt(st.SKU, r.Face, st.Lot); err != nil || bad {
		return v, err
	}
	// The task is done before the units land, so that the orders they
	// are allocated to do not ask for this face again.
	now := t.now
	r.Status, r.Moved, r.DoneAt, r.DoneBy, r.AssignedTo = pickwave.ReplenishDone, st.Qty, &now, w.user, ""
	if err := t.putJSON(spaceReplen, []byte(r.ID), r); err != nil {
		return pickwave.Verdict{}, err
	}
	if err := t.Delete(spaceReplenFace, []byte(r.Face)); err != nil {
		return pickwave.Verdict{}, err
	}
	if _, err := t.appendEvent(pickwave.EventReplenishDone, "location/"+r.Face, r); err != nil {
		return pickwave.Verdict{}, err
	}
	if _, err := t.moveStock(stockMoved{SKU: st.SKU, Lot: st.Lot, From: st.From, To: r.Face, Qty: st.Qty,
		Reason: pickwave.MoveReplenish, Ref: r.ID, holdBackorders: true}); err != nil {
		return pickwave.Verdict{}, err // checked above: anything now is internal
	}
	// The picks on carts that waited for it come first, then the orders
	// that wait for stock.
	if err := t.repointShorts(r); err != nil {
		return pickwave.Verdict{}, err
	}
	if err := t.retryBackorders(r.SKU); err != nil {
		return pickwave.Verdict{}, err
	}
	v := accept("%d × %s replenished at %s.", st.Qty, st.SKU, r.Face)
	v.Qty = st.Qty
	*st = workState{}
	return v, nil
}

// waitForReplenishment raises a task for the short task's face when the
// pick locations could not cover the missing units, and has the task
// wait for it.
func (t *txn) waitForReplenishment(task *pickwave.Task, missing int) error {
	face, err := t.faceOf(task.SKU)
	if err != nil || face == nil {
		return err
	}
	r, err := t.replenishFace(face, pickwave.ReplenishShort, missing)
	if err != nil || r == nil {
		return err
	}
	if !slices.Contains(r.Waiting, task.ID) && len(r.Waiting) < maxWaiting {
		r.Waiting = append(r.Waiting, task.ID)
		if !slices.Contains(r.WaitingOrders, task.OrderID) {
			r.WaitingOrders = append(r.WaitingOrders, task.OrderID)
		}
		return t.putJSON(spaceReplen, []byte(r.ID), r)
	}
	return nil
}

// waitsForReplenishment reports whether an order has a short pick
// waiting for an open replenishment: it is not finished short while its
// cart is out, so the units come back to the cart when the face is
// filled. Only an order with a short line looks, and open
// replenishments are few (one per face at most).
func (t *txn) waitsForReplenishment(o *pickwave.Order) (bool, error) {
	short := false
	for _, l := range o.Lines {
		short = short || l.Short > 0
	}
	if !short {
		return false, nil
	}
	waits := false
	err := t.Scan(spaceReplenFace, nil, nil, func(_, id []byte) error {
		r, err := getEntity[pickwave.Replenishment](t, spaceReplen, string(id), "Replenishment")
		if err != nil {
			return err
		}
		if slices.Contains(r.WaitingOrders, o.ID) {
			waits = true
			return errStop
		}
		return nil
	})
	return waits, err
}

// maxWaiting bounds the short tasks one replenishment re-points.
const maxWaiting = 100

// repointShorts gives the short tasks that waited for a replenishment
// the units now at the face, as new tasks on their carts, while their
// carts are still being picked; a cart that finished keeps its short.
func (t *txn) repointShorts(r *pickwave.Replenishment) error {
	for _, id := range r.Waiting {
		task, err := t.task(id)
		if err != nil {
			return err
		}
		cart, err := t.cart(task.CartID)
		if err != nil {
			return err
		}
		if cart.Status != pickwave.CartPicking {
			continue
		}
		o, err := t.order(task.OrderID)
		if err != nil {
			return err
		}
		if o.Status != pickwave.OrderPicking && o.Status != pickwave.OrderReleased {
			continue
		}
		short := 0
		for _, l := range o.Lines {
			if l.ID == task.LineID {
				short = l.Short
			}
		}
		if n := min(short, task.Short); n > 0 {
			if _, err := t.reallocateAt(cart, task, n, r.Face, false); err != nil {
				return err
			}
		}
		// An order that waited and got nothing back is finished short
		// now; one that got its units has them to pick.
		if err := t.completeOrder(o.ID, false); err != nil {
			return err
		}
	}
	return nil
}

// replenishAhead looks at the pick faces a wave takes from: a face the
// wave leaves below its min (its orders reserved what the face holds)
// gets its replenishment now, reason demand, so reserve is on its way
// while the wave is picked rather than after the face is found short.
func (t *txn) replenishAhead(orders []wave.Demand) error {
	seen := map[string]bool{}
	for _, o := range orders {
		for _, l := range o.Lines {
			if seen[l.Location] {
				continue
			}
			seen[l.Location] = true
			loc, err := t.location(l.Location)
			if err != nil {
				return err
			}
			if loc.Face == nil || loc.Face.SKU != l.SKU {
				continue
			}
			if _, err := t.replenishFace(loc, pickwave.ReplenishDemand, 0); err != nil {
				return err
			}
		}
	}
	return nil
}
