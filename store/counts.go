package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/pickwave/pickwave"
)

// Cycle counts. A short pick says the books are wrong about a location,
// but not by how much: the picker may have missed a carton behind
// another, and one tap must never write stock off. So a short takes the
// missing units off its task and holds the stock row (Stock.CountID):
// nothing new is allocated there, and the reservations of orders not yet
// released move elsewhere. Reservations of picks already on carts stay;
// their pickers pick what they find or report short in turn. Stock
// changes when a person confirms the count.

// countID names a count: CC- and six or more digits, so ids sort in the
// order counts were raised up to a million.
func countID(seq uint64) string { return fmt.Sprintf("CC-%06d", seq) }

func (t *txn) count(id string) (*pickwave.CycleCount, error) {
	return getEntity[pickwave.CycleCount](t, spaceCounts, id, "Cycle count")
}

// requestCount holds the task's stock row for a count: the row's open
// count when it has one, else a new one. found is the picker's own count,
// recorded on the count; nil when the picker did not count.
func (t *txn) requestCount(task *pickwave.Task, reason pickwave.ShortReason, found *int, picker string) (*pickwave.CycleCount, error) {
	return t.holdForCount(&pickwave.CycleCount{Location: task.Location, SKU: task.SKU, Lot: task.Lot,
		Found: found, Reason: reason, Picker: picker, TaskID: task.ID, Source: pickwave.CountFromShort})
}

// holdForCount holds a stock row for a count: the row's open count when
// it has one, else want, stored as a new count.
func (t *txn) holdForCount(want *pickwave.CycleCount) (*pickwave.CycleCount, error) {
	found := want.Found
	key := stockKey(want.SKU, want.Location, want.Lot)
	s := &pickwave.Stock{SKU: want.SKU, Location: want.Location, Lot: want.Lot}
	if _, err := t.getJSON(spaceStock, key, s); err != nil {
		return nil, err
	}
	if s.CountID != "" {
		cc, err := t.count(s.CountID)
		if err != nil {
			return nil, fmt.Errorf("stock %s/%s/%s held for %s: %w", s.SKU, s.Location, s.Lot, s.CountID, err)
		}
		if cc.Status == pickwave.CountOpen {
			if cc.Found == nil && found != nil {
				cc.Found = found
				if err := t.putJSON(spaceCounts, []byte(cc.ID), cc); err != nil {
					return nil, err
				}
			}
			return cc, nil
		}
	}
	seq, err := t.NextSeq(spaceCounts)
	if err != nil {
		return nil, err
	}
	cc := want
	cc.ID, cc.Expected, cc.At, cc.Status = countID(seq), s.OnHand, t.now, pickwave.CountOpen
	if err := t.putJSON(spaceCounts, []byte(cc.ID), cc); err != nil {
		return nil, err
	}
	if _, err := t.appendEvent(pickwave.EventCountRequested, "location/"+cc.Location, cc); err != nil {
		return nil, err
	}
	s.CountID = cc.ID
	if err := t.putJSON(spaceStock, key, s); err != nil {
		return nil, err
	}
	return cc, t.moveReservations(s)
}

// reservationMoved is the payload of an order.reallocated event.
type reservationMoved struct {
	Order    string `json:"order"`
	Line     string `json:"line"`
	SKU      string `json:"sku"`
	Location string `json:"location"`
	Lot      string `json:"lot,omitempty"`
	Qty      int    `json:"qty"`
	Missing  int    `json:"missing"` // units of the line now without a reservation
	Count    string `json:"count"`
}

// moveReservations takes the reservations of orders not yet released off
// a held stock row and allocates them elsewhere; an order that cannot be
// covered any more is backordered. Released orders keep theirs: their
// tasks are on carts.
func (t *txn) moveReservations(s *pickwave.Stock) error {
	if s.Reserved == 0 {
		return nil
	}
	code, err := json.Marshal(s.SKU) // as the order record spells it
	if err != nil {
		return err
	}
	skuField := append([]byte(`"sku":`), code...)
	for _, status := range []pickwave.OrderStatus{pickwave.OrderAllocated, pickwave.OrderBackordered} {
		var ids []string
		prefix := append([]byte(status), 0)
		if err := t.Scan(spaceOrderState, prefix, nil, func(k, _ []byte) error {
			ids = append(ids, string(k[len(prefix):]))
			return nil
		}); err != nil {
			return err
		}
		for _, id := range ids {
			// Most orders do not hold this SKU: skip them undecoded.
			if raw := t.Get(spaceOrders, []byte(id)); raw == nil || !bytes.Contains(raw, skuField) {
				continue
			}
			if err := t.moveOrderReservation(id, s); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *txn) moveOrderReservation(id string, s *pickwave.Stock) error {
	o, err := t.order(id)
	if err != nil {
		return err
	}
	moved := false
	for j := range o.Lines {
		l := &o.Lines[j]
		if l.SKU != s.SKU {
			continue
		}
		for k := range l.Allocations {
			a := &l.Allocations[k]
			if a.Location != s.Location || a.Lot != s.Lot || a.Qty == 0 {
				continue
			}
			qty := a.Qty
			row := new(pickwave.Stock)
			if _, err := t.getJSON(spaceStock, stockKey(s.SKU, s.Location, s.Lot), row); err != nil {
				return err
			}
			if row.Reserved < qty {
				return fmt.Errorf("order %s: stock %s/%s/%s reserves %d, the order holds %d", o.ID, s.SKU, s.Location, s.Lot, row.Reserved, qty)
			}
			row.Reserved -= qty
			if err := t.putStock(row); err != nil {
				return err
			}
			a.Qty = 0
			l.Allocated -= qty
			l.Allocations = dropEmpty(l.Allocations)
			if err := t.allocateLine(l); err != nil {
				return err
			}
			if _, err := t.appendEvent(pickwave.EventOrderReallocated, "order/"+o.ID, reservationMoved{
				Order: o.ID, Line: l.ID, SKU: s.SKU, Location: s.Location, Lot: s.Lot, Qty: qty,
				Missing: l.Missing(), Count: row.CountID}); err != nil {
				return err
			}
			moved = true
			break // allocations changed under k
		}
	}
	if !moved {
		return nil
	}
	switch {
	case o.Status == pickwave.OrderAllocated && !fullyAllocated(o):
		return t.setStatus(o, pickwave.OrderBackordered, pickwave.EventOrderBackordered, allocationNote(o))
	case o.Status == pickwave.OrderBackordered && fullyAllocated(o):
		return t.setStatus(o, pickwave.OrderAllocated, pickwave.EventOrderAllocated, "reservation moved")
	}
	o.UpdatedAt = t.now
	return t.putOrder(o)
}

// unitsInHand counts the units pickers took from a stock row and still
// carry: picked on open tasks, not yet confirmed into a tote, and so still
// on the books.
func (t *txn) unitsInHand(sku, location, lot string) (int, error) {
	var ids []string
	if err := t.Scan(spaceOpenTasks, nil, nil, func(k, _ []byte) error {
		ids = append(ids, string(k))
		return nil
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		task, err := t.task(id)
		if err != nil {
			return 0, err
		}
		if task.SKU != sku || task.Location != location || task.Lot != lot {
			continue
		}
		cart, err := t.cart(task.CartID)
		if err != nil {
			return 0, err
		}
		st, err := t.cartPicker(cart)
		if err != nil {
			return 0, err
		}
		st.inHand(task)
		n += task.Picked
	}
	return n, nil
}

// Counts lists cycle counts in the order they were raised.
func (db *DB) Counts(ctx context.Context, f pickwave.CountFilter, after string, limit int) ([]*pickwave.CycleCount, error) {
	if f.Status != "" && f.Status != pickwave.CountOpen && f.Status != pickwave.CountConfirmed {
		return nil, fieldErr("status", "must be open or confirmed")
	}
	var out []*pickwave.CycleCount
	err := db.view(ctx, func(t *txn) error {
		var afterKey []byte
		if after != "" {
			afterKey = []byte(after)
		}
		return t.Scan(spaceCounts, nil, afterKey, func(k, v []byte) error {
			cc := new(pickwave.CycleCount)
			if err := decode(spaceCounts, k, v, cc); err != nil {
				return err
			}
			if cc.Status == "" {
				cc.Status = pickwave.CountOpen // stored before counts were confirmed
			}
			if f.Status != "" && cc.Status != f.Status {
				return nil
			}
			out = append(out, cc)
			if limit > 0 && len(out) >= limit {
				return errStop
			}
			return nil
		})
	})
	return out, err
}

// Count returns one cycle count.
func (db *DB) Count(ctx context.Context, id string) (*pickwave.CycleCount, error) {
	var cc *pickwave.CycleCount
	err := db.view(ctx, func(t *txn) (err error) {
		cc, err = t.count(id)
		return err
	})
	return cc, err
}

// ConfirmCount applies a count: the stock row's on-hand becomes the units
// counted on the shelf plus those pickers took from it and still carry,
// with a stock.adjusted event for the difference. The hold is lifted once
// the row's reservations fit what is there; until then the picks already
// on carts draw on it and nothing new is allocated.
func (db *DB) ConfirmCount(ctx context.Context, id string, c pickwave.CountConfirmation) (*pickwave.CycleCount, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var out *pickwave.CycleCount
	err := db.update(ctx, func(t *txn) error {
		cc, err := t.count(id)
		if err != nil {
			return err
		}
		if cc.Status == pickwave.CountConfirmed {
			return pickwave.Errorf(pickwave.ECONFLICT, "Count %s was confirmed by %s already.", cc.ID, cc.ConfirmedBy)
		}
		out = cc
		return t.confirmCount(cc, *c.Counted, c.Note)
	})
	return out, err
}

// confirmCount applies an accepted count of the units on the shelf: see
// ConfirmCount.
func (t *txn) confirmCount(cc *pickwave.CycleCount, counted int, note string) error {
	inHand, err := t.unitsInHand(cc.SKU, cc.Location, cc.Lot)
	if err != nil {
		return err
	}
	key := stockKey(cc.SKU, cc.Location, cc.Lot)
	s := &pickwave.Stock{SKU: cc.SKU, Location: cc.Location, Lot: cc.Lot}
	found, err := t.getJSON(spaceStock, key, s)
	if err != nil {
		return err
	}
	before := s.OnHand
	s.OnHand = counted + inHand
	now := t.now
	cc.Status, cc.Counted, cc.Delta = pickwave.CountConfirmed, &counted, s.OnHand-before
	cc.ConfirmedBy, cc.ConfirmedAt, cc.Note = t.actor, &now, note
	cc.AssignedTo = ""
	if err := t.putJSON(spaceCounts, []byte(cc.ID), cc); err != nil {
		return err
	}
	if cc.Delta != 0 {
		adj := pickwave.Adjustment{SKU: cc.SKU, Location: cc.Location, Lot: cc.Lot, Expiry: s.Expiry, Delta: cc.Delta, Reason: "count"}
		seq, err := t.appendEvent(pickwave.EventStockAdjusted, "sku/"+cc.SKU, adj)
		if err != nil {
			return err
		}
		if !found {
			s.ReceivedSeq = seq
		}
	}
	// The count is stored confirmed first: putStock lifts the hold
	// of a confirmed count once the reservations fit.
	if err := t.putStock(s); err != nil {
		return err
	}
	if err := t.countedNow(key); err != nil {
		return err
	}
	if _, err := t.appendEvent(pickwave.EventCountConfirmed, "location/"+cc.Location, cc); err != nil {
		return err
	}
	loc, err := t.location(cc.Location)
	if err != nil {
		return err
	}
	if s.CountID == "" && s.Available() > 0 && loc.Kind == pickwave.LocationPick {
		if err := t.retryBackorders(cc.SKU); err != nil {
			return err
		}
	}
	if cc.Delta < 0 {
		return t.stockDropped(cc.SKU, cc.Location)
	}
	return nil
}
