package store

import (
	"fmt"
	"time"

	"github.com/pickwave/pickwave"
)

// Moves: scan the location to take from, the item (a keyed count
// multiplies its pack; scanning it again adds; "all" takes the whole
// lot's free units), then the location to put it. Only free units move:
// what is reserved for orders stays for their pickers, and a row held
// for a count does not move at all.
//
// Returns: a tote scanned where the location to take from is asked is a
// returns tote: items that came back unpacked (a parcel refused at the
// door, an item set aside at a pack bench, a customer return not yet
// packed again). Their units are off the books, so they come back on
// at the location they are put, as an adjustment with reason return. A
// tote still on a cart or holding a picked order for packing is not a
// returns tote: its units are an order's.

func (t *txn) movePrompt(st *workState, p *pickwave.WorkPrompt) (*pickwave.WorkPrompt, error) {
	p.From, p.SKU, p.Lot, p.Qty = st.From, st.SKU, st.Lot, st.Qty
	switch {
	case st.Tote != "" && st.Qty == 0:
		p.From = st.Tote
		st.Step = pickwave.StepMoveItem
		p.Say = fmt.Sprintf("Returns from tote %s: scan each item (key a count for several).", st.Tote)
	case st.Tote != "":
		p.From = st.Tote
		st.Step = pickwave.StepMoveItem
		p.Say = fmt.Sprintf("%d × %s back from tote %s: scan the location to put it, or more of the item.", st.Qty, st.SKU, st.Tote)
	case st.From == "":
		st.Step = pickwave.StepMoveFrom
		p.Say = "Scan the location to move stock from."
	case st.Qty == 0:
		st.Step = pickwave.StepMoveItem
		p.Say = fmt.Sprintf("At %s: scan the item (key a count for several), or all for the whole lot.", st.From)
	default:
		st.Step = pickwave.StepMoveItem
		p.Say = fmt.Sprintf("%d × %s from %s: scan the location to put it, or more of the item.", st.Qty, st.SKU, st.From)
	}
	if st.SKU != "" {
		if sku, err := t.sku(st.SKU); err == nil {
			p.SKUName = sku.Name
		}
	}
	p.Step = st.Step
	return p, nil
}

func (w *workTurn) move() (pickwave.Verdict, error) {
	t, st := w.t, w.st
	if w.req.Action == pickwave.ActionDone {
		return refuse(pickwave.VerdictNotAllowed, "Scan the location to put it, or cancel."), nil
	}
	if w.req.Action == pickwave.ActionAll {
		if st.Tote != "" {
			return refuse(pickwave.VerdictNotAllowed, "Scan each item from a returns tote: its units are not on the books."), nil
		}
		return w.moveAll()
	}
	s, err := w.read()
	if err != nil {
		return pickwave.Verdict{}, err
	}
	if st.From == "" && st.Tote == "" && s.location == nil && s.facts.SKU == nil && pickwave.CodeProblem(w.raw) == "" {
		return w.returnsTote()
	}
	if s.verdict != nil {
		return verdictOf(s), nil
	}
	if st.Tote != "" {
		return w.moveReturn(s)
	}
	if st.From == "" {
		if s.location == nil {
			return refuse(pickwave.VerdictWrongLocation, "Scan the label of the location to take from."), nil
		}
		st.From = s.location.Code
		return accept("Moving from %s: scan the item.", s.location.Code), nil
	}
	if s.location == nil {
		return w.moveItem(s.facts)
	}
	if st.Qty == 0 {
		return refuse(pickwave.VerdictWrongItem, "Scan the item to move first (or all)."), nil
	}
	to := s.location
	if to.Kind == pickwave.LocationReceiving {
		return refuse(pickwave.VerdictNotAllowed, "%s is a dock: nothing is moved onto a dock.", to.Code), nil
	}
	if v, bad, err := t.heldAt(st.SKU, to.Code, st.Lot); err != nil || bad {
		return v, err
	}
	if _, err := t.moveStock(stockMoved{SKU: st.SKU, Lot: st.Lot, From: st.From, To: to.Code, Qty: st.Qty, Reason: pickwave.MoveManual}); err != nil {
		return moveRefusal(err)
	}
	v := accept("%d × %s moved from %s to %s.", st.Qty, st.SKU, st.From, to.Code)
	v.Qty = st.Qty
	*st = workState{}
	return v, nil
}

// moveRow is the stock row a move takes from: of the SKU scanned (and
// the lot the scan names); nil when the location has none, or several
// lots and the scan names none.
func (t *txn) moveRow(location, sku, lot string) (*pickwave.Stock, int, error) {
	rows, err := t.stockOf(sku)
	if err != nil {
		return nil, 0, err
	}
	var found *pickwave.Stock
	n := 0
	for _, r := range rows {
		if r.Location == location && (lot == "" || r.Lot == lot) && r.OnHand > 0 {
			found = r
			n++
		}
	}
	return found, n, nil
}

func (w *workTurn) moveItem(f scanFacts) (pickwave.Verdict, error) {
	st := w.st
	if st.SKU != "" && st.SKU != f.SKU.Code {
		return refuse(pickwave.VerdictWrongItem, "You are moving %s: scan the location to put it, or cancel.", st.SKU), nil
	}
	row, n, err := w.t.moveRow(st.From, f.SKU.Code, firstNonEmpty(f.Data.Lot(), st.Lot))
	if err != nil {
		return pickwave.Verdict{}, err
	}
	switch {
	case row == nil:
		return refuse(pickwave.VerdictNotHere, "No %s at %s.", f.SKU.Code, st.From), nil
	case n > 1:
		return refuse(pickwave.VerdictLotRequired, "%s has several lots of %s: scan the label with the lot.", st.From, f.SKU.Code), nil
	}
	qty := st.Qty + w.units(f)
	if free := freeAt(row); qty > free {
		return refuse(pickwave.VerdictOverPick, "Only %d of %s at %s are free to move (the rest is reserved or held).", free, f.SKU.Code, st.From), nil
	}
	st.SKU, st.Lot, st.Qty = row.SKU, row.Lot, qty
	v := accept("%d × %s to move.", qty, row.SKU)
	v.Qty = w.units(f)
	return v, nil
}

func (w *workTurn) moveAll() (pickwave.Verdict, error) {
	t, st := w.t, w.st
	if st.From == "" {
		return refuse(pickwave.VerdictWrongLocation, "Scan the location to take from first."), nil
	}
	var rows []*pickwave.Stock
	if err := t.Scan(spaceStock, nil, nil, func(k, v []byte) error {
		parts := splitKey(k)
		if len(parts) < 2 || parts[1] != st.From || (st.SKU != "" && parts[0] != st.SKU) {
			return nil
		}
		s := new(pickwave.Stock)
		if err := decode(spaceStock, k, v, s); err != nil {
			return err
		}
		if s.OnHand > 0 && (st.Lot == "" || s.Lot == st.Lot) {
			rows = append(rows, s)
		}
		return nil
	}); err != nil {
		return pickwave.Verdict{}, err
	}
	switch {
	case len(rows) == 0:
		return refuse(pickwave.VerdictNotHere, "Nothing to move at %s.", st.From), nil
	case len(rows) > 1:
		return refuse(pickwave.VerdictLotRequired, "%s holds more than one lot or item: scan the one to move.", st.From), nil
	}
	free := freeAt(rows[0])
	if free == 0 {
		return refuse(pickwave.VerdictOverPick, "All of %s at %s is reserved or held: nothing is free to move.", rows[0].SKU, st.From), nil
	}
	st.SKU, st.Lot, st.Qty = rows[0].SKU, rows[0].Lot, free
	v := accept("All %d × %s to move: scan where it goes.", free, rows[0].SKU)
	v.Qty = free
	return v, nil
}

// returnsTote takes a tote scanned at move_from as a returns tote.
func (w *workTurn) returnsTote() (pickwave.Verdict, error) {
	t, tote := w.t, w.raw
	if cart := t.Get(spaceTotes, []byte(tote)); cart != nil {
		return refuse(pickwave.VerdictNotAllowed, "Tote %s is on cart %s being picked: its units are an order's.", tote, cart), nil
	}
	if order := t.Get(spacePackTotes, []byte(tote)); order != nil {
		return refuse(pickwave.VerdictNotAllowed, "Tote %s holds order %s for packing: pack it, or set it aside at the bench.", tote, order), nil
	}
	w.st.Tote = tote
	return accept("Returns from tote %s: scan each item.", tote), nil
}

// moveReturn counts a returned item out of the tote, or puts what was
// counted at the location scanned.
func (w *workTurn) moveReturn(s scanned) (pickwave.Verdict, error) {
	t, st := w.t, w.st
	if s.location == nil {
		f := s.facts
		if st.SKU != "" && st.SKU != f.SKU.Code {
			return refuse(pickwave.VerdictWrongItem, "You are returning %s: scan the location to put it, or cancel.", st.SKU), nil
		}
		lot := f.Data.Lot()
		var expiry *time.Time
		if e, ok := f.Data.Expiry(); ok {
			expiry = &e
		}
		if v, bad := lotVerdict(f.SKU, lot, expiry); bad {
			return v, nil
		}
		if !f.SKU.LotTracked {
			lot = ""
		}
		if !f.SKU.ExpiryTracked {
			expiry = nil
		}
		if st.Qty > 0 && lot != st.Lot {
			return refuse(pickwave.VerdictWrongItem, "That is another lot: put the %d of lot %s away first.", st.Qty, st.Lot), nil
		}
		if st.Qty+w.units(f) > pickwave.MaxLineQty {
			return refuse(pickwave.VerdictNotAllowed, "Put these %d away first: at most %d at a time.", st.Qty, pickwave.MaxLineQty), nil
		}
		st.SKU, st.Lot, st.Expiry = f.SKU.Code, lot, expiry
		st.Qty += w.units(f)
		v := accept("%d × %s from the tote.", st.Qty, st.SKU)
		v.Qty = w.units(f)
		return v, nil
	}
	if st.Qty == 0 {
		return refuse(pickwave.VerdictWrongItem, "Scan the item to return first."), nil
	}
	to := s.location
	if to.Kind == pickwave.LocationReceiving {
		return refuse(pickwave.VerdictNotAllowed, "%s is a dock: returns go to a shelf.", to.Code), nil
	}
	if v, bad, err := t.heldAt(st.SKU, to.Code, st.Lot); err != nil || bad {
		return v, err
	}
	if _, err := t.adjust(&pickwave.Adjustment{SKU: st.SKU, Location: to.Code, Lot: st.Lot, Expiry: st.Expiry,
		Delta: st.Qty, Reason: "return"}); err != nil {
		return moveRefusal(err)
	}
	v := accept("%d × %s returned from tote %s to %s.", st.Qty, st.SKU, st.Tote, to.Code)
	v.Qty = st.Qty
	*st = workState{}
	return v, nil
}
