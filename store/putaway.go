package store

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/pickwave/pickwave"
)

// Putaway. The operator scans what waits at the dock (a pallet's SSCC, or
// an item of a receipt) and the server suggests where it goes: the SKU's
// pick face when it has room for it (up to the face's max), else an empty
// reserve location in the face's zone (any zone for a SKU without a face)
// nearest the dock by aisle, then bay, then level. Scanning the
// suggestion confirms it; scanning another location puts it there, and
// the override is recorded in the stock.moved event. The units become
// allocatable when they reach a pick location, and backordered orders
// take them at once.

func (t *txn) putawayPrompt(st *workState, p *pickwave.WorkPrompt) (*pickwave.WorkPrompt, error) {
	waiting := 0
	if err := t.Scan(spaceRcptOpen, nil, nil, func(_, _ []byte) error { waiting++; return nil }); err != nil {
		return nil, err
	}
	p.Waiting = waiting
	if st.Receipt == "" {
		st.Step, p.Step = pickwave.StepPutawayItem, pickwave.StepPutawayItem
		p.Say = fmt.Sprintf("%d receipts wait at the docks. Scan a pallet's SSCC or an item there.", waiting)
		return p, nil
	}
	rc, err := getEntity[pickwave.Receipt](t, spaceReceipts, st.Receipt, "Receipt")
	if err != nil {
		return nil, err
	}
	st.Step, p.Step = pickwave.StepPutawayTo, pickwave.StepPutawayTo
	p.Receipt, p.SKU, p.Lot, p.Qty, p.From, p.Suggested = rc.ID, rc.SKU, rc.Lot, st.Qty, rc.Location, st.Suggested
	if sku, err := t.sku(rc.SKU); err == nil {
		p.SKUName = sku.Name
	}
	if st.Suggested != "" {
		p.Say = fmt.Sprintf("Take %d × %s to %s and scan it, or scan where you put it instead.", st.Qty, rc.SKU, st.Suggested)
	} else {
		p.Say = fmt.Sprintf("No pick face has room and no reserve location is empty: scan where you put %d × %s.", st.Qty, rc.SKU)
	}
	return p, nil
}

func (w *workTurn) putaway() (pickwave.Verdict, error) {
	t, st := w.t, w.st
	if w.req.Action != pickwave.ActionScan {
		return refuse(pickwave.VerdictNotAllowed, "Putaway takes scans: what to put away, then where."), nil
	}
	if st.Receipt == "" {
		return w.putawayTake()
	}
	s, err := w.read()
	if err != nil || s.verdict != nil {
		return verdictOf(s), err
	}
	if s.location == nil {
		return refuse(pickwave.VerdictWrongLocation, "Scan the location label where the goods go (%s suggested).", firstNonEmpty(st.Suggested, "none")), nil
	}
	to := s.location
	if to.Kind == pickwave.LocationReceiving {
		return refuse(pickwave.VerdictNotAllowed, "%s is a dock: put the goods away in a pick or reserve location.", to.Code), nil
	}
	rc, err := getEntity[pickwave.Receipt](t, spaceReceipts, st.Receipt, "Receipt")
	if err != nil {
		return pickwave.Verdict{}, err
	}
	if v, bad, err := t.heldAt(rc.SKU, to.Code, rc.Lot); err != nil || bad {
		return v, err
	}
	qty := min(st.Qty, rc.Left())
	override := st.Suggested != "" && to.Code != st.Suggested
	if _, err := t.moveStock(stockMoved{SKU: rc.SKU, Lot: rc.Lot, From: rc.Location, To: to.Code, Qty: qty,
		Reason: pickwave.MovePutaway, Ref: rc.ID, Suggested: st.Suggested, Override: override}); err != nil {
		return moveRefusal(err)
	}
	rc.PutAway += qty
	if err := t.putJSON(spaceReceipts, []byte(rc.ID), rc); err != nil {
		return pickwave.Verdict{}, err
	}
	if rc.Left() == 0 {
		if err := t.Delete(spaceRcptOpen, []byte(rc.ID)); err != nil {
			return pickwave.Verdict{}, err
		}
	}
	v := accept("%d × %s put away at %s.", qty, rc.SKU, to.Code)
	if override {
		v.Message = fmt.Sprintf("%d × %s put away at %s instead of the suggested %s: override recorded.", qty, rc.SKU, to.Code, st.Suggested)
	}
	*st = workState{}
	v.Qty = qty
	return v, nil
}

// moveRefusal turns a refused move into a verdict; other errors stay.
func moveRefusal(err error) (pickwave.Verdict, error) {
	if code := pickwave.ErrorCode(err); code == pickwave.EINVALID || code == pickwave.ECONFLICT {
		return refuse(pickwave.VerdictNotAllowed, "%s", pickwave.ErrorMessage(err)), nil
	}
	return pickwave.Verdict{}, err
}

// heldAt refuses stock onto a row held for a count: the count would be
// counting a moving target.
func (t *txn) heldAt(sku, location, lot string) (pickwave.Verdict, bool, error) {
	row := new(pickwave.Stock)
	if _, err := t.getJSON(spaceStock, stockKey(sku, location, lot), row); err != nil {
		return pickwave.Verdict{}, false, err
	}
	if row.CountID != "" {
		return refuse(pickwave.VerdictNotAllowed, "%s at %s is held for count %s: put it elsewhere.", sku, location, row.CountID), true, nil
	}
	return pickwave.Verdict{}, false, nil
}

// putawayTake finds the receipt a scan names and suggests its place.
func (w *workTurn) putawayTake() (pickwave.Verdict, error) {
	t, st := w.t, w.st
	var rc *pickwave.Receipt
	if d, isPallet := ssccReading(w.raw, t.now); isPallet {
		e, known, err := t.ssccEntry(d.SSCC())
		if err != nil {
			return pickwave.Verdict{}, err
		}
		if !known || e.Receipt == "" {
			return refuse(pickwave.VerdictUnknownSSCC, "Pallet %s has not been received: receive it first.", d.SSCC()), nil
		}
		if rc, err = getEntity[pickwave.Receipt](t, spaceReceipts, e.Receipt, "Receipt"); err != nil {
			return pickwave.Verdict{}, err
		}
		if rc.Left() == 0 {
			return refuse(pickwave.VerdictAlreadyReceived, "Pallet %s is put away already.", d.SSCC()), nil
		}
	} else {
		s, err := w.read()
		if err != nil || s.verdict != nil {
			return verdictOf(s), err
		}
		if s.location != nil {
			return refuse(pickwave.VerdictWrongItem, "That is location %s: scan what to put away first.", s.location.Code), nil
		}
		if rc, err = t.openReceiptOf(s.facts.SKU.Code, s.facts.Data.Lot()); err != nil {
			return pickwave.Verdict{}, err
		}
		if rc == nil {
			return refuse(pickwave.VerdictNotHere, "No %s waits at a dock for putaway.", s.facts.SKU.Code), nil
		}
	}
	qty := rc.Left()
	if w.req.Count > 0 {
		qty = min(qty, w.req.Count)
	}
	to, err := t.suggestPutaway(rc, qty)
	if err != nil {
		return pickwave.Verdict{}, err
	}
	*st = workState{Receipt: rc.ID, SKU: rc.SKU, Lot: rc.Lot, Qty: qty, From: rc.Location, Suggested: to}
	if to == "" {
		return accept("%d × %s: no place suggested; scan where you put it.", qty, rc.SKU), nil
	}
	return accept("%d × %s: take it to %s.", qty, rc.SKU, to), nil
}

// openReceiptOf is the oldest receipt of the SKU (and lot) still at a
// dock, or nil.
func (t *txn) openReceiptOf(sku, lot string) (*pickwave.Receipt, error) {
	var found *pickwave.Receipt
	err := t.Scan(spaceRcptOpen, nil, nil, func(k, _ []byte) error {
		rc, err := getEntity[pickwave.Receipt](t, spaceReceipts, string(k), "Receipt")
		if err != nil {
			return err
		}
		if rc.SKU == sku && (lot == "" || rc.Lot == lot) && rc.Left() > 0 {
			found = rc
			return errStop
		}
		return nil
	})
	return found, err
}

// suggestPutaway applies the putaway rule; "" when nothing fits.
func (t *txn) suggestPutaway(rc *pickwave.Receipt, qty int) (string, error) {
	dock, err := t.location(rc.Location)
	if err != nil {
		return "", err
	}
	var locs []*pickwave.Location
	if err := t.Scan(spaceLocations, nil, nil, func(k, v []byte) error {
		loc := new(pickwave.Location)
		if err := decode(spaceLocations, k, v, loc); err != nil {
			return err
		}
		locs = append(locs, loc)
		return nil
	}); err != nil {
		return "", err
	}
	zone, hasFace := "", false
	for _, loc := range locs {
		if loc.Face == nil || loc.Face.SKU != rc.SKU {
			continue
		}
		zone, hasFace = loc.Zone, true
		onHand := 0
		rows, err := t.stockOf(rc.SKU)
		if err != nil {
			return "", err
		}
		held := false
		for _, s := range rows {
			if s.Location == loc.Code {
				onHand += s.OnHand
				held = held || (s.Lot == rc.Lot && s.CountID != "")
			}
		}
		if !held && onHand+qty <= loc.Face.Max {
			return loc.Code, nil
		}
	}
	occupied := map[string]bool{}
	if err := t.Scan(spaceStock, nil, nil, func(k, _ []byte) error {
		// sku \x00 location \x00 lot
		parts := splitKey(k)
		if len(parts) >= 2 {
			occupied[parts[1]] = true
		}
		return nil
	}); err != nil {
		return "", err
	}
	var free []*pickwave.Location
	for _, loc := range locs {
		if loc.Kind == pickwave.LocationReserve && !occupied[loc.Code] && (!hasFace || loc.Zone == zone) {
			free = append(free, loc)
		}
	}
	if len(free) == 0 {
		return "", nil
	}
	slices.SortFunc(free, func(a, b *pickwave.Location) int {
		return cmp.Or(cmp.Compare(abs(a.Aisle-dock.Aisle), abs(b.Aisle-dock.Aisle)),
			cmp.Compare(abs(a.Bay-dock.Bay), abs(b.Bay-dock.Bay)),
			cmp.Compare(a.Level, b.Level), cmp.Compare(a.Code, b.Code))
	})
	return free[0].Code, nil
}
