package store

import (
	"fmt"
	"time"

	"github.com/pickwave/pickwave"
)

// Stock moves: putaway, replenishment and moves take units off one
// location's row and onto another's in one transaction, with one
// stock.moved event that says both ends, so that the event log alone
// replays every row. The units keep their lot, expiry and received
// sequence (FIFO follows the goods, not the shelf they are on).

// stockMoved is the payload of a stock.moved event.
type stockMoved struct {
	SKU    string     `json:"sku"`
	Lot    string     `json:"lot,omitempty"`
	Expiry *time.Time `json:"expiry,omitempty"`
	From   string     `json:"from"`
	To     string     `json:"to"`
	Qty    int        `json:"qty"`
	Reason string     `json:"reason"`
	// Ref names what moved it: a receipt, a replenishment task, a move.
	Ref string `json:"ref,omitempty"`
	// Suggested and Override, on a putaway, say where the server proposed
	// and whether the operator put it elsewhere.
	Suggested string `json:"suggested,omitempty"`
	Override  bool   `json:"override,omitempty"`
	// holdBackorders leaves backordered orders for the caller to retry.
	holdBackorders bool
}

// freeAt is the units of a stock row that may be moved: on hand, not
// reserved for an order, and not held for a count.
func freeAt(s *pickwave.Stock) int {
	if s.CountID != "" {
		return 0
	}
	return max(0, s.OnHand-s.Reserved)
}

// moveStock moves m.Qty units of a SKU lot from one location to another.
// It refuses (EINVALID) more than the source has free, a target that is
// the source, and a lot that already has another expiry at the target.
// Units arriving at a pick location are offered to backordered orders at
// once.
func (t *txn) moveStock(m stockMoved) (uint64, error) {
	if m.Qty <= 0 {
		return 0, fmt.Errorf("move %d of %s: quantity must be positive", m.Qty, m.SKU)
	}
	if m.From == m.To {
		return 0, pickwave.Errorf(pickwave.EINVALID, "%s is where the stock is already.", m.To)
	}
	to, err := t.location(m.To)
	if err != nil {
		return 0, err
	}
	src := new(pickwave.Stock)
	ok, err := t.getJSON(spaceStock, stockKey(m.SKU, m.From, m.Lot), src)
	if err != nil {
		return 0, err
	}
	if !ok || freeAt(src) < m.Qty {
		return 0, pickwave.Errorf(pickwave.EINVALID, "Only %d of %s are free to move at %s.", freeAt(src), m.SKU, m.From)
	}
	dst := new(pickwave.Stock)
	found, err := t.getJSON(spaceStock, stockKey(m.SKU, m.To, m.Lot), dst)
	if err != nil {
		return 0, err
	}
	if !found {
		dst = &pickwave.Stock{SKU: m.SKU, Location: m.To, Lot: m.Lot, Expiry: src.Expiry, ReceivedSeq: src.ReceivedSeq}
	}
	if err := expiryFits(dst, found, src.Expiry); err != nil {
		return 0, err
	}
	if dst.OnHand+m.Qty > pickwave.MaxStock {
		return 0, pickwave.Errorf(pickwave.EINVALID, "%s cannot hold %d more of %s.", m.To, m.Qty, m.SKU)
	}
	m.Expiry = src.Expiry
	src.OnHand -= m.Qty
	dst.OnHand += m.Qty
	if err := t.putStock(src); err != nil {
		return 0, err
	}
	if err := t.putStock(dst); err != nil {
		return 0, err
	}
	seq, err := t.appendEvent(pickwave.EventStockMoved, "sku/"+m.SKU, m)
	if err != nil {
		return 0, err
	}
	// Backordered orders take units at a pick location; units in
	// reserve make their face due for replenishment (allocateLine).
	if to.Kind != pickwave.LocationReceiving && dst.Available() > 0 && !m.holdBackorders {
		if err := t.retryBackorders(m.SKU); err != nil {
			return 0, err
		}
	}
	return seq, t.stockDropped(m.SKU, m.From)
}
