package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/pickwave/pickwave"
)

// Inbound notices. A notice announces what a supplier ships: lines by
// SKU, lot and expiry, each with the SSCC of its pallet or carton when
// labelled. The SSCC index finds a pallet's line from one scan of its
// label, and later the receipt it became, so that a pallet is received
// once and put away by the same scan.

func inboundID(seq uint64) string { return fmt.Sprintf("IN-%08d", seq) }
func receiptID(seq uint64) string { return fmt.Sprintf("RC-%08d", seq) }

// ssccEntry is where an SSCC is announced (Notice, Line) and what
// receiving it made (Receipt); a blind pallet has only a receipt.
type ssccEntry struct {
	Notice  string `json:"notice,omitempty"`
	Line    int    `json:"line,omitempty"`
	Receipt string `json:"receipt,omitempty"`
}

func (t *txn) ssccEntry(sscc string) (*ssccEntry, bool, error) {
	e := new(ssccEntry)
	ok, err := t.getJSON(spaceInboundSSC, []byte(sscc), e)
	return e, ok, err
}

func inboundHash(in *pickwave.InboundInput) string {
	c := *in
	c.Lines = append([]pickwave.InboundLineInput(nil), in.Lines...)
	for i := range c.Lines {
		if e := c.Lines[i].Expiry; e != nil {
			u := e.UTC()
			c.Lines[i].Expiry = &u
		}
	}
	data, _ := json.Marshal(&c) // plain structs: cannot fail
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// CreateInbound stores a notice, idempotently on supplier and reference.
func (db *DB) CreateInbound(ctx context.Context, in *pickwave.InboundInput) (*pickwave.InboundNotice, bool, error) {
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	var (
		n       *pickwave.InboundNotice
		created bool
	)
	err := db.update(ctx, func(t *txn) (err error) {
		n, created, err = t.createInbound(in, nil)
		return err
	})
	return n, created, err
}

// ImportInbound stores every notice of an import in one transaction, or
// none: every problem is reported with its input line.
func (db *DB) ImportInbound(ctx context.Context, notices []pickwave.ImportInbound) ([]*pickwave.InboundNotice, error) {
	var fe pickwave.FieldErrors
	for _, imp := range notices {
		var own pickwave.FieldErrors
		if err := imp.Input.Validate(); err != nil {
			own = fieldErrors(err)
		}
		for _, f := range own {
			f.Line = importRow(imp.Rows, f.Field)
			fe = append(fe, f)
		}
	}
	if err := fe.Err("The import is not valid; nothing was stored."); err != nil {
		return nil, err
	}
	var out []*pickwave.InboundNotice
	err := db.update(ctx, func(t *txn) error {
		out = out[:0]
		var fe pickwave.FieldErrors
		for _, imp := range notices {
			n, _, err := t.createInbound(imp.Input, imp.Rows)
			if err != nil {
				if pickwave.ErrorCode(err) == pickwave.EINTERNAL {
					return err
				}
				fe = append(fe, rowErrors(err, imp.Rows)...)
				continue
			}
			out = append(out, n)
		}
		if err := fe.Err("The import is not valid; nothing was stored."); err != nil {
			return err
		}
		return nil
	})
	return out, err
}

// importRow is the input line of the field's notice line, else the
// notice's first line.
func importRow(rows []int, field string) int {
	if len(rows) == 0 {
		return 0
	}
	var i int
	if _, err := fmt.Sscanf(field, "lines[%d]", &i); err == nil && i >= 0 && i < len(rows) {
		return rows[i]
	}
	return rows[0]
}

// rowErrors turns a notice's refusal into field errors on its rows.
func rowErrors(err error, rows []int) []pickwave.FieldError {
	fes := fieldErrors(err)
	if len(fes) == 0 {
		fes = []pickwave.FieldError{{Field: "notice", Reason: pickwave.ErrorMessage(err)}}
	}
	for i := range fes {
		fes[i].Line = importRow(rows, fes[i].Field)
	}
	return fes
}

func (t *txn) createInbound(in *pickwave.InboundInput, rows []int) (*pickwave.InboundNotice, bool, error) {
	hash := inboundHash(in)
	refKey := joinKey(in.Supplier, in.Reference)
	if id := t.Get(spaceInboundRef, refKey); id != nil {
		n, err := t.inbound(string(id))
		if err != nil {
			return nil, false, err
		}
		if n.InputHash != hash {
			return nil, false, pickwave.Errorf(pickwave.ECONFLICT,
				"Notice %s of %s already exists as %s with different content.", in.Reference, in.Supplier, n.ID)
		}
		return n, false, nil
	}
	var fe pickwave.FieldErrors
	dock, err := t.dock(in.Dock)
	if err != nil {
		fe.Add("dock", "%s", pickwave.ErrorMessage(err))
	}
	for i, l := range in.Lines {
		sku, err := t.sku(l.SKU)
		if err != nil {
			if pickwave.ErrorCode(err) != pickwave.ENOTFOUND {
				return nil, false, err
			}
			fe.Add(fmt.Sprintf("lines[%d].sku", i), "no SKU %s exists", l.SKU)
			continue
		}
		if l.Lot != "" && !sku.LotTracked {
			fe.Add(fmt.Sprintf("lines[%d].lot", i), "must be empty: SKU %s is not lot-tracked", sku.Code)
		}
		if l.Expiry != nil && !sku.ExpiryTracked {
			fe.Add(fmt.Sprintf("lines[%d].expiry", i), "must be empty: SKU %s is not expiry-tracked", sku.Code)
		}
		if l.SSCC != "" {
			if _, ok, err := t.ssccEntry(l.SSCC); err != nil {
				return nil, false, err
			} else if ok {
				fe.Add(fmt.Sprintf("lines[%d].sscc", i), "SSCC %s is already announced or received", l.SSCC)
			}
		}
	}
	if err := fe.Err("The inbound notice is not valid."); err != nil {
		return nil, false, err
	}
	seq, err := t.NextSeq(spaceInbound)
	if err != nil {
		return nil, false, err
	}
	n := &pickwave.InboundNotice{ID: inboundID(seq), Supplier: in.Supplier, Reference: in.Reference, Dock: dock.Code,
		Status: pickwave.InboundOpen, Lines: make([]pickwave.InboundLine, len(in.Lines)),
		Discrepancies: []pickwave.Discrepancy{}, InputHash: hash, CreatedAt: t.now}
	for i, l := range in.Lines {
		n.Lines[i] = pickwave.InboundLine{Line: i + 1, SKU: l.SKU, Lot: l.Lot, Expiry: l.Expiry, Qty: l.Qty, SSCC: l.SSCC}
		if l.Expiry != nil {
			u := l.Expiry.UTC()
			n.Lines[i].Expiry = &u
		}
		if l.SSCC != "" {
			if err := t.putJSON(spaceInboundSSC, []byte(l.SSCC), ssccEntry{Notice: n.ID, Line: i + 1}); err != nil {
				return nil, false, err
			}
		}
	}
	if err := t.Put(spaceInboundRef, refKey, []byte(n.ID)); err != nil {
		return nil, false, err
	}
	if err := t.putInbound(n); err != nil {
		return nil, false, err
	}
	_, err = t.appendEvent(pickwave.EventInboundCreated, "inbound/"+n.ID, n)
	return n, true, err
}

// inboundRecord stores the input hash, which the API does not show.
type inboundRecord struct {
	*pickwave.InboundNotice
	InputHash string `json:"input_hash"`
}

func (t *txn) putInbound(n *pickwave.InboundNotice) error {
	return t.putJSON(spaceInbound, []byte(n.ID), inboundRecord{n, n.InputHash})
}

func (t *txn) inbound(id string) (*pickwave.InboundNotice, error) {
	rec := inboundRecord{InboundNotice: new(pickwave.InboundNotice)}
	ok, err := t.getJSON(spaceInbound, []byte(id), &rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("Inbound notice %s does not exist.", id)
	}
	rec.InboundNotice.InputHash = rec.InputHash
	return rec.InboundNotice, nil
}

// dock returns the receiving location code names, or the site's first
// receiving location for "".
func (t *txn) dock(code string) (*pickwave.Location, error) {
	if code != "" {
		loc, err := t.location(code)
		if err != nil {
			return nil, err
		}
		if loc.Kind != pickwave.LocationReceiving {
			return nil, pickwave.Errorf(pickwave.EINVALID, "Location %s is not a receiving location.", code)
		}
		return loc, nil
	}
	var found *pickwave.Location
	err := t.Scan(spaceLocations, nil, nil, func(k, v []byte) error {
		loc := new(pickwave.Location)
		if err := decode(spaceLocations, k, v, loc); err != nil {
			return err
		}
		if loc.Kind == pickwave.LocationReceiving {
			found = loc
			return errStop
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, pickwave.Errorf(pickwave.EINVALID, "The site has no receiving location: create a location of kind receiving first.")
	}
	return found, nil
}

// Inbound returns one notice.
func (db *DB) Inbound(ctx context.Context, id string) (*pickwave.InboundNotice, error) {
	var n *pickwave.InboundNotice
	err := db.view(ctx, func(t *txn) (err error) {
		n, err = t.inbound(id)
		return err
	})
	return n, err
}

// Inbounds lists notices oldest first.
func (db *DB) Inbounds(ctx context.Context, f pickwave.InboundFilter) ([]*pickwave.InboundNotice, error) {
	if f.Status != "" && f.Status != pickwave.InboundOpen && f.Status != pickwave.InboundClosed {
		return nil, fieldErr("status", "must be open or closed")
	}
	limit := pageSize(f.Limit)
	var out []*pickwave.InboundNotice
	err := db.view(ctx, func(t *txn) error {
		var after []byte
		if f.After != "" {
			after = []byte(f.After)
		}
		return t.Scan(spaceInbound, nil, after, func(k, v []byte) error {
			rec := inboundRecord{InboundNotice: new(pickwave.InboundNotice)}
			if err := decode(spaceInbound, k, v, &rec); err != nil {
				return err
			}
			if f.Status != "" && rec.Status != f.Status {
				return nil
			}
			out = append(out, rec.InboundNotice)
			return stopAt(len(out), limit)
		})
	})
	return out, err
}

// CloseInbound closes a notice: lines received short are recorded as
// under-receipts with the reason.
func (db *DB) CloseInbound(ctx context.Context, id string, c pickwave.InboundClose) (*pickwave.InboundNotice, error) {
	if c.Reason != "" && !pickwave.ValidReceiptReason(c.Reason) {
		return nil, fieldErr("reason", "must be one of %v", pickwave.ReceiptReasons)
	}
	var out *pickwave.InboundNotice
	err := db.update(ctx, func(t *txn) error {
		n, err := t.inbound(id)
		if err != nil {
			return err
		}
		out, err = t.closeInbound(n, c.Reason)
		return err
	})
	return out, err
}

// errReasonNeeded is closeInbound's refusal when lines are short and no
// reason was given.
func reasonNeeded(short int) error {
	return &pickwave.Error{Code: pickwave.EINVALID, Message: fmt.Sprintf(
		"%d units announced were not received: say why (one of %v).", short, pickwave.ReceiptReasons),
		Details: []pickwave.FieldError{{Field: "reason", Reason: "is required when lines are short"}}}
}

func (t *txn) closeInbound(n *pickwave.InboundNotice, reason string) (*pickwave.InboundNotice, error) {
	if n.Status == pickwave.InboundClosed {
		return nil, pickwave.Errorf(pickwave.ECONFLICT, "Notice %s was closed by %s already.", n.ID, n.ClosedBy)
	}
	short := 0
	for _, l := range n.Lines {
		short += max(0, l.Qty-l.Received)
	}
	if short > 0 && reason == "" {
		return nil, reasonNeeded(short)
	}
	for _, l := range n.Lines {
		if miss := l.Qty - l.Received; miss > 0 {
			n.Discrepancies = append(n.Discrepancies, pickwave.Discrepancy{Kind: pickwave.DiscrepancyUnder, Line: l.Line,
				SKU: l.SKU, Lot: l.Lot, SSCC: l.SSCC, Qty: miss, Reason: reason, By: t.actor, At: t.now})
		}
		if l.SSCC != "" && l.Received == 0 {
			// A pallet that never came may come on another notice.
			if err := t.Delete(spaceInboundSSC, []byte(l.SSCC)); err != nil {
				return nil, err
			}
		}
	}
	now := t.now
	n.Status, n.ClosedAt, n.ClosedBy = pickwave.InboundClosed, &now, t.actor
	if err := t.putInbound(n); err != nil {
		return nil, err
	}
	_, err := t.appendEvent(pickwave.EventInboundClosed, "inbound/"+n.ID, map[string]any{
		"notice": n.ID, "short": short, "reason": reason})
	return n, err
}

// Receipts lists receipts waiting for putaway, or every receipt.
func (db *DB) Receipts(ctx context.Context, all bool, after string, limit int) ([]*pickwave.Receipt, error) {
	limit = pageSize(limit)
	var out []*pickwave.Receipt
	err := db.view(ctx, func(t *txn) error {
		var from []byte
		if after != "" {
			from = []byte(after)
		}
		space := spaceRcptOpen
		if all {
			space = spaceReceipts
		}
		return t.Scan(space, nil, from, func(k, _ []byte) error {
			r, err := getEntity[pickwave.Receipt](t, spaceReceipts, string(k), "Receipt")
			if err != nil {
				return err
			}
			out = append(out, r)
			return stopAt(len(out), limit)
		})
	})
	return out, err
}
