package store

import (
	"fmt"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
)

// Receiving on a handheld. The receiver scans a pallet's SSCC label and,
// when the pallet is on a notice and its label agrees (content GTIN (02),
// count (37), lot (10), expiry (17) when given), the whole pallet is
// received in that one scan. Cartons and items are scanned one by one
// (a keyed count multiplies the pack) against the notice in hand. What
// disagrees with the notice is refused as a mis-receipt and recorded;
// more than announced needs a reason; with no notice in hand, receiving
// is blind and recorded as such. Received stock lands at the notice's
// dock, a receiving location, from which nothing is allocated.

func (t *txn) receivePrompt(st *workState, p *pickwave.WorkPrompt) (*pickwave.WorkPrompt, error) {
	st.Step = pickwave.StepReceive
	p.Step = pickwave.StepReceive
	if st.Notice == "" {
		p.Say = "Scan a pallet's SSCC label or a notice; cartons and items with no notice are received blind."
		return p, nil
	}
	n, err := t.inbound(st.Notice)
	if err != nil {
		return nil, err
	}
	p.Notice, p.To = n.ID, n.Dock
	open := 0
	for _, l := range n.Lines {
		if l.Received < l.Qty {
			open++
		}
	}
	p.Waiting = open
	p.Say = fmt.Sprintf("Notice %s from %s: %d lines open. Scan a pallet, a carton or an item; done closes it.", n.ID, n.Supplier, open)
	return p, nil
}

func (w *workTurn) receive() (pickwave.Verdict, error) {
	t, st := w.t, w.st
	if w.req.Action == pickwave.ActionDone {
		if st.Notice == "" {
			return refuse(pickwave.VerdictNoTask, "No notice in hand to close."), nil
		}
		n, err := t.inbound(st.Notice)
		if err != nil {
			return pickwave.Verdict{}, err
		}
		if _, err := t.closeInbound(n, w.req.Reason); err != nil {
			if pickwave.ErrorCode(err) == pickwave.EINTERNAL {
				return pickwave.Verdict{}, err
			}
			return refuse(pickwave.VerdictNotAllowed, "%s", pickwave.ErrorMessage(err)), nil
		}
		st.Notice = ""
		return accept("Notice %s closed.", n.ID), nil
	}
	if w.req.Action == pickwave.ActionAll {
		return refuse(pickwave.VerdictNotAllowed, "Receiving takes a scan, not all."), nil
	}
	// A notice's own id takes the notice in hand.
	if len(w.raw) <= pickwave.MaxCodeLen && t.Get(spaceInbound, []byte(w.raw)) != nil {
		n, err := t.inbound(w.raw)
		if err != nil {
			return pickwave.Verdict{}, err
		}
		if n.Status != pickwave.InboundOpen {
			return refuse(pickwave.VerdictNotAllowed, "Notice %s is closed.", n.ID), nil
		}
		st.Notice = n.ID
		return accept("Receiving notice %s from %s at %s.", n.ID, n.Supplier, n.Dock), nil
	}
	if data, ok := ssccReading(w.raw, t.now); ok {
		return w.receivePallet(data)
	}
	s, err := w.read()
	if err != nil || s.verdict != nil {
		return verdictOf(s), err
	}
	if s.location != nil {
		return refuse(pickwave.VerdictWrongItem, "That is location %s: scan a pallet, a carton or an item.", s.location.Code), nil
	}
	return w.receiveItem(s.facts)
}

func verdictOf(s scanned) pickwave.Verdict {
	if s.verdict != nil {
		return *s.verdict
	}
	return pickwave.Verdict{}
}

// ssccReading returns the reading of a scan that carries an SSCC (00).
func ssccReading(raw string, now time.Time) (gs1.Data, bool) {
	readings, _ := (gs1.Parser{Now: now}).Readings(raw)
	for _, r := range readings {
		if !r.Guess && r.Data.SSCC() != "" {
			return r.Data, true
		}
	}
	return gs1.Data{}, false
}

// palletLabel is what an SSCC label says of its content.
type palletLabel struct {
	sscc   string
	sku    *pickwave.SKU // from (02) or (01); nil when the label names none
	gtin   string
	units  int // (37) times the GTIN's pack; 0 when the label has no count
	lot    string
	expiry *time.Time
}

func (t *txn) readLabel(d gs1.Data) (palletLabel, error) {
	l := palletLabel{sscc: d.SSCC(), lot: d.Lot()}
	if e, ok := d.Expiry(); ok {
		l.expiry = &e
	}
	l.gtin = d.GTIN
	if e, ok := d.Get("02"); ok {
		l.gtin = e.Raw
	}
	if l.gtin == "" {
		return l, nil
	}
	key, err := gs1.NormalizeBarcode(l.gtin)
	if err != nil {
		return l, nil
	}
	owner := t.Get(spaceBarcodes, []byte(key))
	if owner == nil {
		return l, nil
	}
	sku, err := t.sku(string(owner))
	if err != nil {
		return l, err
	}
	l.sku = sku
	pack := 1
	for _, b := range sku.Barcodes {
		if b.Code == key {
			pack = b.Qty
		}
	}
	if e, ok := d.Get("37"); ok {
		if n, ok := e.Value.(int); ok {
			l.units = n * pack
		}
	}
	return l, nil
}

func (w *workTurn) receivePallet(d gs1.Data) (pickwave.Verdict, error) {
	t, st := w.t, w.st
	label, err := t.readLabel(d)
	if err != nil {
		return pickwave.Verdict{}, err
	}
	entry, known, err := t.ssccEntry(label.sscc)
	if err != nil {
		return pickwave.Verdict{}, err
	}
	if known && entry.Receipt != "" {
		return refuse(pickwave.VerdictAlreadyReceived, "Pallet %s was received already (%s): put it away.", label.sscc, entry.Receipt), nil
	}
	if !known || entry.Notice == "" {
		if st.Notice != "" {
			return w.misReceipt(st.Notice, 0, label.sscc, label.sku, label.units, "not_on_notice",
				"Pallet %s is not on notice %s. Set it aside: nothing was received.", label.sscc, st.Notice)
		}
		return w.receiveBlindPallet(label)
	}
	n, err := t.inbound(entry.Notice)
	if err != nil {
		return pickwave.Verdict{}, err
	}
	if st.Notice != "" && st.Notice != n.ID {
		return w.misReceipt(st.Notice, 0, label.sscc, label.sku, label.units, "other_notice",
			"Pallet %s is announced on notice %s, not on %s, the one you are receiving. Set it aside: nothing was received.",
			label.sscc, n.ID, st.Notice)
	}
	if n.Status != pickwave.InboundOpen {
		return refuse(pickwave.VerdictNotAllowed, "Notice %s of pallet %s is closed.", n.ID, label.sscc), nil
	}
	line := &n.Lines[entry.Line-1]
	switch {
	case label.gtin != "" && (label.sku == nil || label.sku.Code != line.SKU):
		named := "an unknown product"
		if label.sku != nil {
			named = label.sku.Code
		}
		return w.misReceipt(n.ID, line.Line, label.sscc, label.sku, label.units, "wrong_item",
			"Pallet %s holds %s (GTIN %s) but notice %s expects %s. Set it aside: nothing was received.",
			label.sscc, named, label.gtin, n.ID, line.SKU)
	case label.lot != "" && line.Lot != "" && label.lot != line.Lot:
		return w.misReceipt(n.ID, line.Line, label.sscc, label.sku, label.units, "wrong_lot",
			"Pallet %s is lot %s but notice %s expects lot %s. Set it aside: nothing was received.",
			label.sscc, label.lot, n.ID, line.Lot)
	case label.expiry != nil && line.Expiry != nil && !label.expiry.Equal(*line.Expiry):
		return w.misReceipt(n.ID, line.Line, label.sscc, label.sku, label.units, "wrong_expiry",
			"Pallet %s expires %s but notice %s says %s. Set it aside: nothing was received.",
			label.sscc, label.expiry.Format("2006-01-02"), n.ID, line.Expiry.Format("2006-01-02"))
	}
	qty := line.Qty
	if label.units > 0 {
		qty = label.units // the label counts what is on the pallet
	}
	lot, expiry := firstNonEmpty(line.Lot, label.lot), line.Expiry
	if expiry == nil {
		expiry = label.expiry
	}
	sku, err := t.sku(line.SKU)
	if err != nil {
		return pickwave.Verdict{}, err
	}
	if v, bad := lotVerdict(sku, lot, expiry); bad {
		return v, nil
	}
	st.Notice = n.ID
	rc, err := t.receiveInto(n, line, label.sscc, sku, lot, expiry, qty)
	if err != nil {
		return pickwave.Verdict{}, err
	}
	msg := fmt.Sprintf("Pallet %s received: %d × %s at %s (%s). Put it away.", label.sscc, qty, sku.Code, n.Dock, rc.ID)
	if qty != line.Qty {
		kind := pickwave.DiscrepancyOver
		if qty < line.Qty {
			kind = pickwave.DiscrepancyUnder
		}
		n.Discrepancies = append(n.Discrepancies, pickwave.Discrepancy{Kind: kind, Line: line.Line, SKU: sku.Code,
			Lot: lot, SSCC: label.sscc, Qty: abs(qty - line.Qty), Reason: firstNonEmpty(w.req.Reason, "wrong_count_on_label"),
			By: w.user, At: t.now})
		msg += fmt.Sprintf(" The label counts %d, the notice %d: recorded.", qty, line.Qty)
	}
	if err := t.putInbound(n); err != nil {
		return pickwave.Verdict{}, err
	}
	v := accept("%s", msg)
	v.Qty = qty
	return v, nil
}

func (w *workTurn) receiveBlindPallet(label palletLabel) (pickwave.Verdict, error) {
	if label.sku == nil || label.units == 0 {
		return refuse(pickwave.VerdictUnknownSSCC,
			"No notice announces pallet %s and its label does not say what it holds: receive its cartons one by one.", label.sscc), nil
	}
	if v, bad := lotVerdict(label.sku, label.lot, label.expiry); bad {
		return v, nil
	}
	rc, err := w.t.receiveInto(nil, nil, label.sscc, label.sku, label.lot, label.expiry, label.units)
	if err != nil {
		return pickwave.Verdict{}, err
	}
	v := accept("Pallet %s received blind (no notice): %d × %s at %s (%s). Put it away.",
		label.sscc, label.units, label.sku.Code, rc.Location, rc.ID)
	v.Qty = label.units
	return v, nil
}

// misReceipt records a refused receipt on the notice and answers it.
func (w *workTurn) misReceipt(notice string, line int, sscc string, sku *pickwave.SKU, qty int, reason, format string, args ...any) (pickwave.Verdict, error) {
	t := w.t
	n, err := t.inbound(notice)
	if err != nil {
		return pickwave.Verdict{}, err
	}
	d := pickwave.Discrepancy{Kind: pickwave.DiscrepancyMis, Line: line, SSCC: sscc, Qty: qty, Reason: reason, By: w.user, At: t.now}
	if sku != nil {
		d.SKU = sku.Code
	}
	if len(n.Discrepancies) < maxDiscrepancies {
		n.Discrepancies = append(n.Discrepancies, d)
		if err := t.putInbound(n); err != nil {
			return pickwave.Verdict{}, err
		}
	}
	v := refuse(pickwave.VerdictMisReceipt, format, args...)
	if _, err := t.appendEvent(pickwave.EventInboundRefused, "inbound/"+n.ID, map[string]any{
		"notice": n.ID, "line": line, "sscc": sscc, "sku": d.SKU, "reason": reason, "message": v.Message}); err != nil {
		return pickwave.Verdict{}, err
	}
	return v, nil
}

// maxDiscrepancies bounds the discrepancies one notice keeps: a
// receiver scanning the wrong pallet a thousand times must not grow the
// record without bound (each refusal is still in the event log).
const maxDiscrepancies = 200

func (w *workTurn) receiveItem(f scanFacts) (pickwave.Verdict, error) {
	t, st := w.t, w.st
	qty := w.units(f)
	lot := f.Data.Lot()
	var expiry *time.Time
	if e, ok := f.Data.Expiry(); ok {
		expiry = &e
	}
	if st.Notice == "" {
		if v, bad := lotVerdict(f.SKU, lot, expiry); bad {
			return v, nil
		}
		rc, err := t.receiveInto(nil, nil, "", f.SKU, lot, expiry, qty)
		if err != nil {
			return pickwave.Verdict{}, err
		}
		v := accept("%d × %s received blind (no notice) at %s.", qty, f.SKU.Code, rc.Location)
		v.Qty = qty
		return v, nil
	}
	n, err := t.inbound(st.Notice)
	if err != nil {
		return pickwave.Verdict{}, err
	}
	// The line of this SKU (and lot) with the most still to come; a line
	// that names a pallet is received by its label.
	var line *pickwave.InboundLine
	for i := range n.Lines {
		l := &n.Lines[i]
		if l.SKU != f.SKU.Code || (lot != "" && l.Lot != "" && l.Lot != lot) {
			continue
		}
		if line == nil || l.Qty-l.Received > line.Qty-line.Received {
			line = l
		}
	}
	if line == nil {
		return w.misReceipt(n.ID, 0, "", f.SKU, qty, "not_on_notice",
			"%s is not on notice %s. Set it aside: nothing was received.", f.SKU.Code, n.ID)
	}
	lot = firstNonEmpty(lot, line.Lot)
	if expiry == nil {
		expiry = line.Expiry
	}
	if v, bad := lotVerdict(f.SKU, lot, expiry); bad {
		return v, nil
	}
	over := line.Received + qty - line.Qty
	if over > 0 && w.req.Reason == "" {
		return refuse(pickwave.VerdictOverReceipt,
			"That makes %d more %s than notice %s announces. If they are to stay, scan again with a reason; nothing was received.",
			over, f.SKU.Code, n.ID), nil
	}
	rc, err := t.receiveInto(n, line, "", f.SKU, lot, expiry, qty)
	if err != nil {
		return pickwave.Verdict{}, err
	}
	msg := fmt.Sprintf("%d × %s received at %s (line %d: %d of %d).", qty, f.SKU.Code, rc.Location, line.Line, line.Received, line.Qty)
	if over > 0 {
		n.Discrepancies = append(n.Discrepancies, pickwave.Discrepancy{Kind: pickwave.DiscrepancyOver, Line: line.Line,
			SKU: f.SKU.Code, Lot: lot, Qty: min(over, qty), Reason: w.req.Reason, By: w.user, At: t.now})
		msg += " Over-receipt recorded."
	}
	if err := t.putInbound(n); err != nil {
		return pickwave.Verdict{}, err
	}
	v := accept("%s", msg)
	v.Qty = qty
	return v, nil
}

// lotVerdict refuses a receipt of a lot-tracked SKU without its lot, or
// of an expiry-tracked one without its expiry.
func lotVerdict(sku *pickwave.SKU, lot string, expiry *time.Time) (pickwave.Verdict, bool) {
	switch {
	case sku.LotTracked && lot == "":
		return refuse(pickwave.VerdictLotRequired, "%s is lot-tracked: scan the label that carries its lot (10).", sku.Code), true
	case sku.ExpiryTracked && expiry == nil:
		return refuse(pickwave.VerdictLotRequired, "%s is expiry-tracked: scan the label that carries its expiry (17).", sku.Code), true
	case !sku.LotTracked && lot != "":
		return pickwave.Verdict{}, false // a lot on the label of an untracked SKU is ignored by receiveInto
	}
	return pickwave.Verdict{}, false
}

// receiveInto books qty units at the dock as a receipt: on the notice's
// line when there is one (n and line are stored by the caller), blind
// otherwise. The stock row at the dock grows with a stock.adjusted
// event (reason receipt), which is not allocatable.
func (t *txn) receiveInto(n *pickwave.InboundNotice, line *pickwave.InboundLine, sscc string, sku *pickwave.SKU, lot string, expiry *time.Time, qty int) (*pickwave.Receipt, error) {
	if !sku.LotTracked {
		lot = ""
	}
	if !sku.ExpiryTracked {
		expiry = nil
	}
	var dock string
	if n != nil {
		dock = n.Dock
	} else {
		loc, err := t.dock("")
		if err != nil {
			return nil, err
		}
		dock = loc.Code
	}
	if _, err := t.adjust(&pickwave.Adjustment{SKU: sku.Code, Location: dock, Lot: lot, Expiry: expiry, Delta: qty, Reason: "receipt"}); err != nil {
		return nil, err
	}
	seq, err := t.NextSeq(spaceReceipts)
	if err != nil {
		return nil, err
	}
	rc := &pickwave.Receipt{ID: receiptID(seq), SSCC: sscc, SKU: sku.Code, Lot: lot, Expiry: expiry, Qty: qty,
		Location: dock, By: t.actor, At: t.now}
	if n != nil {
		rc.Notice, rc.Line = n.ID, line.Line
		line.Received += qty
	}
	if err := t.putJSON(spaceReceipts, []byte(rc.ID), rc); err != nil {
		return nil, err
	}
	if err := t.Put(spaceRcptOpen, []byte(rc.ID), nil); err != nil {
		return nil, err
	}
	if sscc != "" {
		e := ssccEntry{Receipt: rc.ID}
		if n != nil {
			e.Notice, e.Line = n.ID, line.Line
		}
		if err := t.putJSON(spaceInboundSSC, []byte(sscc), e); err != nil {
			return nil, err
		}
	}
	_, err = t.appendEvent(pickwave.EventInboundReceived, "receipt/"+rc.ID, rc)
	return rc, err
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
