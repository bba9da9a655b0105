package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/pickwave/pickwave"
)

// Packing: each station has one pack session (pack_sessions, keyed by
// station), changed only in transactions that also append the change's
// event. A pack scan is judged and recorded in one transaction and
// answered after its commit; with an id it is recorded under
// pack_requests, so a retry is answered from record and changes nothing.
//
// The label of a package is made outside the store (numbers, carrier,
// ZPL) by the station runtime; PackLabel then records the package, the
// shipment, the print job and the order's new state in one transaction.
// A crash between the carrier's number and PackLabel loses that number
// (never reuses it): the package is labelled again with a new one.

func (t *txn) packSession(station string) (*pickwave.PackSession, error) {
	if _, err := t.station(station); err != nil {
		return nil, err
	}
	s := &pickwave.PackSession{StationID: station, Step: pickwave.PackIdle, Lines: []pickwave.PackLine{}}
	if _, err := t.getJSON(spacePackSess, []byte(station), s); err != nil {
		return nil, err
	}
	if s.Lines == nil {
		s.Lines = []pickwave.PackLine{}
	}
	return s, nil
}

func (t *txn) putPackSession(s *pickwave.PackSession) error {
	s.UpdatedAt = t.now
	return t.putJSON(spacePackSess, []byte(s.StationID), s)
}

// PackSession returns the station's session.
func (db *DB) PackSession(ctx context.Context, station string) (*pickwave.PackSession, error) {
	var s *pickwave.PackSession
	err := db.view(ctx, func(t *txn) (err error) {
		s, err = t.packSession(station)
		return err
	})
	return s, err
}

// packEvent is what pack events carry.
type packEvent struct {
	StationID string `json:"station_id"`
	Packer    string `json:"packer,omitempty"`
	OrderID   string `json:"order_id,omitempty"`
	Package   int    `json:"package,omitempty"`
	Verdict   string `json:"verdict,omitempty"`
	SKU       string `json:"sku,omitempty"`
	Data      string `json:"data,omitempty"`
	Message   string `json:"message,omitempty"`

	Check    *pickwave.WeightCheck    `json:"check,omitempty"`
	Override *pickwave.WeightOverride `json:"override,omitempty"`
}

func (t *txn) packEvent(typ string, s *pickwave.PackSession, e packEvent) error {
	e.StationID, e.Packer, e.OrderID = s.StationID, s.Packer, s.OrderID
	if s.OrderID != "" {
		e.Package = s.Package
	}
	_, err := t.appendEvent(typ, "station/"+s.StationID, e)
	return err
}

// PackSignIn signs a packer in at the station.
func (db *DB) PackSignIn(ctx context.Context, station, packer string) (*pickwave.PackSession, error) {
	if packer == "" {
		return nil, pickwave.Errorf(pickwave.EINVALID, "Who signs in is required.")
	}
	return db.updatePackSession(ctx, station, func(t *txn, s *pickwave.PackSession) error {
		if s.Packer == packer {
			return nil
		}
		if s.OrderID != "" && s.Packer != "" {
			return pickwave.Errorf(pickwave.ECONFLICT, "%s is packing order %s at station %s: they sign out, or the order is put aside, first.", s.Packer, s.OrderID, station)
		}
		s.Packer = packer
		if err := t.putPackSession(s); err != nil {
			return err
		}
		return t.packEvent(pickwave.EventPackSignedIn, s, packEvent{})
	})
}

// updatePackSession runs fn on the station's pack session in a write
// transaction and returns the session as fn left it, once committed.
func (db *DB) updatePackSession(ctx context.Context, station string, fn func(t *txn, s *pickwave.PackSession) error) (*pickwave.PackSession, error) {
	var out *pickwave.PackSession
	err := db.update(ctx, func(t *txn) error {
		s, err := t.packSession(station)
		if err != nil {
			return err
		}
		if err := fn(t, s); err != nil {
			return err
		}
		out = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PackSignOut signs the station's packer out.
func (db *DB) PackSignOut(ctx context.Context, station string) (*pickwave.PackSession, error) {
	return db.updatePackSession(ctx, station, func(t *txn, s *pickwave.PackSession) error {
		if s.Packer == "" {
			return nil
		}
		if err := t.packEvent(pickwave.EventPackSignedOut, s, packEvent{}); err != nil {
			return err
		}
		s.Packer = ""
		return t.putPackSession(s)
	})
}

// storedPackScan is a pack scan's recorded answer.
type storedPackScan struct {
	Verdict pickwave.PackVerdict `json:"verdict"`
	Data    string               `json:"data"`
}

// PackScan judges one scan at the station.
func (db *DB) PackScan(ctx context.Context, station string, req pickwave.PackScanRequest, rules pickwave.PackRules) (*pickwave.PackScanResult, error) {
	data := strings.TrimSpace(req.Data)
	if err := pickwave.ValidateRequestID("id", req.ID); err != nil {
		return nil, err
	}
	switch {
	case data == "":
		return nil, fieldErr("data", "is required")
	case len(data) > pickwave.MaxPackScan:
		return nil, fieldErr("data", "is longer than %d bytes", pickwave.MaxPackScan)
	}
	var out *pickwave.PackScanResult
	err := db.update(ctx, func(t *txn) error {
		s, err := t.packSession(station)
		if err != nil {
			return err
		}
		if req.ID != "" {
			var prev storedPackScan
			ok, err := t.getJSON(spacePackReq, joinKey(station, req.ID), &prev)
			if err != nil {
				return err
			}
			if ok {
				if prev.Data != data {
					return &pickwave.Error{Code: pickwave.ECONFLICT, Message: "Scan id " + pickwave.Clip(req.ID) + " was used for another scan.",
						Details: []pickwave.FieldError{{Field: "id", Reason: "already used for a different barcode"}}}
				}
				out = &pickwave.PackScanResult{ID: req.ID, Verdict: prev.Verdict, Session: s}
				return nil
			}
		}
		v, err := t.packScan(s, data, rules)
		if err != nil {
			return err
		}
		if req.ID != "" {
			if err := t.putJSON(spacePackReq, joinKey(station, req.ID), storedPackScan{Verdict: v, Data: data}); err != nil {
				return err
			}
		}
		out = &pickwave.PackScanResult{ID: req.ID, Verdict: v, Session: s}
		return nil
	})
	return out, err
}

// packScan judges data against the session and applies it.
func (t *txn) packScan(s *pickwave.PackSession, data string, rules pickwave.PackRules) (pickwave.PackVerdict, error) {
	refuse := func(msg string, args ...any) (pickwave.PackVerdict, error) {
		return pickwave.PackVerdict{Code: pickwave.PackRefused, Message: fmt.Sprintf(msg, args...)}, nil
	}
	if s.Packer == "" {
		return refuse("Nobody is signed in at station %s: sign in first.", s.StationID)
	}
	// A tote or an order?
	orderID, tote, err := t.packTarget(data)
	if err != nil {
		return pickwave.PackVerdict{}, err
	}
	if orderID != "" {
		if s.OrderID == orderID {
			return pickwave.PackVerdict{Code: pickwave.PackOrder, Message: fmt.Sprintf("Order %s is already on the bench.", orderID)}, nil
		}
		if s.OrderID != "" {
			return refuse("Order %s is on the bench: finish it or put it aside before %s.", s.OrderID, orderID)
		}
		return t.startPacking(s, orderID, tote, rules)
	}
	if s.OrderID == "" {
		f, err := t.resolveScan(data, nil)
		if err != nil {
			return pickwave.PackVerdict{}, err
		}
		if f.SKU != "" {
			return refuse("Scan the tote or the order's barcode first, then its items.")
		}
		return pickwave.PackVerdict{Code: pickwave.PackUnknown, Message: fmt.Sprintf("%q is no tote, order or product known here.", pickwave.Clip(data))}, nil
	}
	if s.Step != pickwave.PackScan {
		return refuse("Package %d of order %s is being weighed: put it on the scale (or have the weight overridden) before scanning more.", s.Package, s.OrderID)
	}
	f, err := t.resolveScan(data, nil)
	if err != nil {
		return pickwave.PackVerdict{}, err
	}
	if f.SKU == "" {
		return pickwave.PackVerdict{Code: pickwave.PackUnknown, Message: fmt.Sprintf("%q is no product known here.", pickwave.Clip(data))}, nil
	}
	qty := max(f.PackQty, 1)
	var line *pickwave.PackLine
	for i := range s.Lines {
		if s.Lines[i].SKU == f.SKU {
			line = &s.Lines[i]
		}
	}
	mispick := func(code, msg string) (pickwave.PackVerdict, error) {
		v := pickwave.PackVerdict{Code: code, Message: msg, SKU: f.SKU}
		err := t.packEvent(pickwave.EventMispickAtPack, s, packEvent{Verdict: code, SKU: f.SKU, Data: pickwave.Clip(data), Message: msg})
		return v, err
	}
	switch {
	case line == nil:
		return mispick(pickwave.PackWrong, fmt.Sprintf("Wrong item: %s (%s) is not in order %s. Take it out and put it aside.", f.SKU, f.SKUName, s.OrderID))
	case line.Left() < qty:
		return mispick(pickwave.PackExtra, fmt.Sprintf("Extra item: order %s needs %d × %s, all already scanned. Take it out and put it aside.", s.OrderID, line.Qty, f.SKU))
	}
	line.Scanned += qty
	v := pickwave.PackVerdict{Code: pickwave.PackOK, SKU: f.SKU,
		Message: fmt.Sprintf("%s: %d of %d.", f.SKU, line.Packed+line.Scanned, line.Qty)}
	if s.AllScanned() {
		s.Step = pickwave.PackWeigh
		v.Code = pickwave.PackComplete
		v.Message += " All items are in: weigh the package."
	}
	t.suggest(s, rules)
	if err := t.putPackSession(s); err != nil {
		return v, err
	}
	return v, t.packEvent(pickwave.EventPackScanned, s, packEvent{Verdict: v.Code, SKU: f.SKU})
}

// packTarget finds the order a scan names: a tote of a picked order, an
// order id or an order's external id.
func (t *txn) packTarget(data string) (orderID, tote string, err error) {
	if id := t.Get(spacePackTotes, []byte(data)); id != nil {
		return string(id), data, nil
	}
	if strings.HasPrefix(data, "O-") && t.Get(spaceOrders, []byte(data)) != nil {
		return data, "", nil
	}
	if id := t.Get(spaceOrderExt, []byte(data)); id != nil {
		return string(id), "", nil
	}
	return "", "", nil
}

// startPacking puts an order on the bench.
func (t *txn) startPacking(s *pickwave.PackSession, orderID, tote string, rules pickwave.PackRules) (pickwave.PackVerdict, error) {
	o, err := t.order(orderID)
	if err != nil {
		return pickwave.PackVerdict{}, err
	}
	refuse := func(msg string, args ...any) (pickwave.PackVerdict, error) {
		return pickwave.PackVerdict{Code: pickwave.PackRefused, Message: fmt.Sprintf(msg, args...)}, nil
	}
	if o.Status != pickwave.OrderPicked {
		return refuse("Order %s is %s: only picked orders are packed.", o.ID, o.Status)
	}
	sh, err := t.openShipment(o.ID)
	if err != nil {
		return pickwave.PackVerdict{}, err
	}
	packed := map[string]int{}
	s.Package, s.ShipmentID = 1, ""
	if sh != nil {
		s.ShipmentID = sh.ID
		for _, p := range sh.Live() {
			for _, it := range p.Items {
				packed[it.SKU] += it.Qty
			}
		}
		s.Package = len(sh.Packages) + 1
	}
	s.Lines = []pickwave.PackLine{}
	for _, l := range o.Lines {
		if l.Picked == 0 {
			continue
		}
		sku, err := t.sku(l.SKU)
		if err != nil {
			return pickwave.PackVerdict{}, err
		}
		s.Lines = append(s.Lines, pickwave.PackLine{SKU: l.SKU, Name: sku.Name, WeightG: sku.WeightG,
			Qty: l.Picked, Packed: min(packed[l.SKU], l.Picked), Ordered: l.Qty})
	}
	if s.AllScanned() {
		return refuse("Order %s has nothing left to pack.", o.ID)
	}
	// Other stations may hold the order (a second tote): one bench only.
	if err := t.Scan(spacePackSess, nil, nil, func(k, v []byte) error {
		if string(k) == s.StationID {
			return nil
		}
		other := new(pickwave.PackSession)
		if err := decode(spacePackSess, k, v, other); err != nil {
			return err
		}
		if other.OrderID == o.ID {
			return pickwave.Errorf(pickwave.ECONFLICT, "Order %s is on the bench of station %s.", o.ID, other.StationID)
		}
		return nil
	}); err != nil {
		if pickwave.ErrorCode(err) == pickwave.ECONFLICT {
			return refuse("%s", pickwave.ErrorMessage(err))
		}
		return pickwave.PackVerdict{}, err
	}
	s.OrderID, s.Tote, s.Step, s.Check = o.ID, tote, pickwave.PackScan, nil
	t.suggest(s, rules)
	if err := t.putPackSession(s); err != nil {
		return pickwave.PackVerdict{}, err
	}
	units := 0
	for _, l := range s.Lines {
		units += l.Left()
	}
	v := pickwave.PackVerdict{Code: pickwave.PackOrder, Message: fmt.Sprintf("Order %s: %d items to pack.", o.ID, units)}
	if tote != "" {
		v.Message = fmt.Sprintf("Order %s from tote %s: %d items to pack.", o.ID, tote, units)
	}
	return v, t.packEvent(pickwave.EventPackStarted, s, packEvent{Data: pickwave.Clip(tote)})
}

// suggest chooses the open package's carton and its expected weight:
// while scanning, the carton for everything left; once the package is
// closed, for what is in it.
func (t *txn) suggest(s *pickwave.PackSession, rules pickwave.PackRules) {
	var items []pickwave.CartonItem
	weight := 0
	for _, l := range s.Lines {
		n := l.Scanned
		if s.Step == pickwave.PackScan {
			n = l.Left() + l.Scanned
		}
		weight += l.Scanned * l.WeightG
		if n == 0 {
			continue
		}
		if sku, err := t.sku(l.SKU); err == nil {
			items = append(items, pickwave.CartonItem{LengthMM: sku.LengthMM, WidthMM: sku.WidthMM, HeightMM: sku.HeightMM, Qty: n})
		}
	}
	s.Carton = nil
	if c, ok := pickwave.ChooseCarton(rules.Cartons, items, 0); ok {
		s.Carton = &c
		weight += c.TareG
	}
	s.ExpectedG = weight
	s.MinG, s.MaxG = rules.Tolerance.Band(weight)
}

// Keys of pack_requests for requests other than scans; a scan id cannot
// start with a control character, so they never meet a scan's.
func closeReqKey(station, req string) []byte    { return joinKey(station, "\x01close", req) }
func overrideReqKey(station, req string) []byte { return joinKey(station, "\x01override", req) }

// PackClosePackage ends the open package early.
func (db *DB) PackClosePackage(ctx context.Context, station, requestID string, rules pickwave.PackRules) (*pickwave.PackSession, error) {
	if err := pickwave.ValidateRequestID("request_id", requestID); err != nil {
		return nil, err
	}
	return db.updatePackSession(ctx, station, func(t *txn, s *pickwave.PackSession) error {
		if requestID != "" {
			if t.Get(spacePackReq, closeReqKey(station, requestID)) != nil {
				return nil // done before: answered as it is now
			}
			if err := t.Put(spacePackReq, closeReqKey(station, requestID), []byte{1}); err != nil {
				return err
			}
		}
		if s.Step != pickwave.PackScan || len(s.ScannedItems()) == 0 {
			return pickwave.Errorf(pickwave.ECONFLICT, "There is no open package with items to close at station %s.", station)
		}
		s.Step = pickwave.PackWeigh
		t.suggest(s, rules)
		if err := t.putPackSession(s); err != nil {
			return err
		}
		return t.packEvent(pickwave.EventPackClosed, s, packEvent{})
	})
}

// PackWeighBlocked records a weight outside the tolerance.
func (db *DB) PackWeighBlocked(ctx context.Context, station string, check pickwave.WeightCheck) (*pickwave.PackSession, error) {
	return db.updatePackSession(ctx, station, func(t *txn, s *pickwave.PackSession) error {
		if s.Step != pickwave.PackWeigh && s.Step != pickwave.PackBlocked {
			return pickwave.Errorf(pickwave.ECONFLICT, "No package is being weighed at station %s.", station)
		}
		s.Step, s.Check = pickwave.PackBlocked, &check
		if err := t.putPackSession(s); err != nil {
			return err
		}
		return t.packEvent(pickwave.EventWeightBlocked, s, packEvent{Check: &check})
	})
}

// PackOverride records a supervisor's override of the weight check.
func (db *DB) PackOverride(ctx context.Context, station, reason, requestID string) (*pickwave.PackSession, *pickwave.WeightOverride, error) {
	reason = strings.TrimSpace(reason)
	if err := pickwave.ValidateReason(reason); err != nil {
		return nil, nil, err
	}
	if err := pickwave.ValidateRequestID("request_id", requestID); err != nil {
		return nil, nil, err
	}
	var ov *pickwave.WeightOverride
	out, err := db.updatePackSession(ctx, station, func(t *txn, s *pickwave.PackSession) error {
		ov = nil
		if requestID != "" && t.Get(spacePackReq, overrideReqKey(station, requestID)) != nil {
			return nil // labelled before: answered as it is now
		}
		if s.Step != pickwave.PackWeigh && s.Step != pickwave.PackBlocked {
			return pickwave.Errorf(pickwave.ECONFLICT, "No package is being weighed at station %s: nothing to override.", station)
		}
		ov = &pickwave.WeightOverride{By: t.actor, Reason: reason, At: t.now}
		return t.packEvent(pickwave.EventWeightOverridden, s, packEvent{Check: s.Check, Override: ov})
	})
	if err != nil {
		return nil, nil, err
	}
	return out, ov, nil
}

// PackCancel puts the order on the bench aside.
func (db *DB) PackCancel(ctx context.Context, station string) (*pickwave.PackSession, error) {
	return db.updatePackSession(ctx, station, func(t *txn, s *pickwave.PackSession) error {
		if s.OrderID == "" {
			return nil
		}
		if err := t.packEvent(pickwave.EventPackSetAside, s, packEvent{}); err != nil {
			return err
		}
		idle(s)
		return t.putPackSession(s)
	})
}

func idle(s *pickwave.PackSession) {
	s.Step, s.OrderID, s.Tote, s.Lines, s.Package = pickwave.PackIdle, "", "", []pickwave.PackLine{}, 0
	s.Carton, s.ExpectedG, s.MinG, s.MaxG, s.Check, s.ShipmentID = nil, 0, 0, 0, nil, ""
}
