package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
)

// Shipments. Keys of the shipments space are the ids, SH-0000000042, in
// creation order. shipment_index finds them:
//
//	o\x00ORDER\x00SH-0000000042  every shipment of an order
//	t\x00TRACKING                the shipment of a package's tracking number
//	c\x00SSCC                    the shipment of a package's SSCC

func shipmentID(seq uint64) string { return fmt.Sprintf("SH-%010d", seq) }

func orderShipKey(order, id string) []byte { return joinKey("o", order, id) }
func trackingKey(n string) []byte          { return joinKey("t", n) }
func ssccKey(n string) []byte              { return joinKey("c", n) }

func (t *txn) shipment(id string) (*pickwave.OrderShipment, error) {
	if !strings.HasPrefix(id, "SH-") {
		return nil, notFound("Shipment %s does not exist.", pickwave.Clip(id))
	}
	return getEntity[pickwave.OrderShipment](t, spaceShipments, id, "Shipment")
}

func (t *txn) putShipment(sh *pickwave.OrderShipment) error {
	sh.UpdatedAt = t.now
	return t.putJSON(spaceShipments, []byte(sh.ID), sh)
}

// openShipment returns the order's shipment that is still packing or
// packed, nil when it has none.
func (t *txn) openShipment(order string) (*pickwave.OrderShipment, error) {
	var out *pickwave.OrderShipment
	prefix := append(joinKey("o", order), 0)
	err := t.ScanReverse(spaceShipIndex, prefix, func(k, _ []byte) error {
		sh, err := t.shipment(string(k[len(prefix):]))
		if err != nil {
			return err
		}
		if sh.Status == pickwave.ShipmentPacking || sh.Status == pickwave.ShipmentPacked {
			out = sh
			return errStop
		}
		return nil
	})
	return out, err
}

// shipmentEvent is the payload webhooks send for a shipment.
func (t *txn) shipmentEvent(sh *pickwave.OrderShipment) (pickwave.ShipmentEventPayload, error) {
	p := pickwave.ShipmentEventPayload{ShipmentID: sh.ID, OrderID: sh.OrderID, Status: sh.Status,
		Carrier: sh.Carrier, Service: sh.Service, TrackingNumbers: []string{}, TrackingURLs: []string{}}
	o, err := t.order(sh.OrderID)
	if err != nil {
		return p, err
	}
	p.ExternalID = o.ExternalID
	for _, l := range o.Lines {
		p.Ordered += l.Qty
	}
	for _, pk := range sh.Live() {
		p.Packages++
		p.TrackingNumbers = append(p.TrackingNumbers, pk.TrackingNumber)
		p.TrackingURLs = append(p.TrackingURLs, pk.TrackingURL)
		for _, it := range pk.Items {
			p.Units += it.Qty
		}
	}
	return p, nil
}

func (t *txn) appendShipmentEvent(typ string, sh *pickwave.OrderShipment) error {
	p, err := t.shipmentEvent(sh)
	if err != nil {
		return err
	}
	_, err = t.appendEvent(typ, "shipment/"+sh.ID, p)
	return err
}

// PackLabel records the open package with its label.
func (db *DB) PackLabel(ctx context.Context, station string, np pickwave.NewPackage, ov *pickwave.WeightOverride) (*pickwave.PackSession, *pickwave.OrderShipment, *pickwave.PrintJob, error) {
	var (
		out *pickwave.PackSession
		sh  *pickwave.OrderShipment
		job *pickwave.PrintJob
	)
	err := db.update(ctx, func(t *txn) error {
		s, err := t.packSession(station)
		if err != nil {
			return err
		}
		if (s.Step != pickwave.PackWeigh && s.Step != pickwave.PackBlocked) || s.Package != np.Package {
			return pickwave.Errorf(pickwave.ECONFLICT, "Package %d at station %s is not waiting for its label.", np.Package, station)
		}
		o, err := t.order(s.OrderID)
		if err != nil {
			return err
		}
		if sh, err = t.openShipment(o.ID); err != nil {
			return err
		}
		created := sh == nil
		if created {
			seq, err := t.NextSeq(spaceShipments)
			if err != nil {
				return err
			}
			sh = &pickwave.OrderShipment{ID: shipmentID(seq), OrderID: o.ID, StationID: station,
				Carrier: np.Carrier, Service: np.Service, Status: pickwave.ShipmentPacking,
				Packages: []pickwave.Package{}, CreatedAt: t.now}
			if err := t.Put(spaceShipIndex, orderShipKey(o.ID, sh.ID), nil); err != nil {
				return err
			}
		}
		if t.Get(spaceShipIndex, trackingKey(np.TrackingNumber)) != nil || t.Get(spaceShipIndex, ssccKey(np.SSCC)) != nil {
			return fmt.Errorf("package label: tracking number %s or SSCC %s issued twice", np.TrackingNumber, np.SSCC)
		}
		job, _, err = t.enqueue(station, pickwave.PrintKindShipping, "", np.ZPL, "")
		if err != nil {
			return err
		}
		if np.RequestID != "" {
			if err := t.Put(spacePackReq, overrideReqKey(station, np.RequestID), []byte(sh.ID)); err != nil {
				return err
			}
		}
		pk := pickwave.Package{Number: len(sh.Packages) + 1, Status: pickwave.PackageLabelled, SSCC: np.SSCC,
			TrackingNumber: np.TrackingNumber, TrackingURL: np.TrackingURL, Items: s.ScannedItems(),
			ExpectedG: s.ExpectedG, WeightG: np.WeightG, Weighed: np.Weighed, Override: ov,
			PrintJobID: job.ID, Reprints: []pickwave.Reprint{}, CreatedAt: t.now}
		if s.Carton != nil {
			pk.Carton = s.Carton.Code
		}
		sh.Packages = append(sh.Packages, pk)
		sh.NoScale = sh.NoScale || np.NoScale
		for i := range s.Lines {
			s.Lines[i].Packed += s.Lines[i].Scanned
			s.Lines[i].Scanned = 0
		}
		if err := t.Put(spaceShipIndex, trackingKey(pk.TrackingNumber), []byte(sh.ID)); err != nil {
			return err
		}
		if err := t.Put(spaceShipIndex, ssccKey(pk.SSCC), []byte(sh.ID)); err != nil {
			return err
		}
		done := s.AllScanned()
		if done {
			sh.Status = pickwave.ShipmentPacked
			sh.PackedAt = ptr(t.now)
		}
		if err := t.putShipment(sh); err != nil {
			return err
		}
		if created {
			if err := t.appendShipmentEvent(pickwave.EventShipmentCreated, sh); err != nil {
				return err
			}
		}
		if _, err := t.appendEvent(pickwave.EventPackageLabelled, "shipment/"+sh.ID, packageEvent(sh, &pk, "")); err != nil {
			return err
		}
		s.ShipmentID = sh.ID
		if done {
			payload, err := t.shipmentEvent(sh)
			if err != nil {
				return err
			}
			note := fmt.Sprintf("%d packages, %s", len(sh.Live()), strings.Join(payload.TrackingNumbers, ", "))
			if err := t.setStatusWith(o, pickwave.OrderPacked, pickwave.EventOrderPacked, note, payload); err != nil {
				return err
			}
			if s.Tote != "" {
				if err := t.Delete(spacePackTotes, []byte(s.Tote)); err != nil {
					return err
				}
			}
			idle(s)
			s.LastShipmentID = sh.ID
		} else {
			s.Package = len(sh.Packages) + 1
			s.Step = pickwave.PackScan
			s.Check = nil
		}
		if err := t.putPackSession(s); err != nil {
			return err
		}
		out = s
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return out, sh, job, nil
}

// packageEventPayload is what package events carry.
type packageEventPayload struct {
	ShipmentID     string                 `json:"shipment_id"`
	OrderID        string                 `json:"order_id"`
	Package        int                    `json:"package"`
	Status         pickwave.PackageStatus `json:"status"`
	TrackingNumber string                 `json:"tracking_number"`
	SSCC           string                 `json:"sscc"`
	WeightG        int                    `json:"weight_g"`
	ExpectedG      int                    `json:"expected_g"`
	Reason         string                 `json:"reason,omitempty"`
}

func packageEvent(sh *pickwave.OrderShipment, p *pickwave.Package, reason string) packageEventPayload {
	return packageEventPayload{ShipmentID: sh.ID, OrderID: sh.OrderID, Package: p.Number, Status: p.Status,
		TrackingNumber: p.TrackingNumber, SSCC: p.SSCC, WeightG: p.WeightG, ExpectedG: p.ExpectedG, Reason: reason}
}

// Shipment returns one shipment.
func (db *DB) Shipment(ctx context.Context, id string) (*pickwave.OrderShipment, error) {
	var sh *pickwave.OrderShipment
	err := db.view(ctx, func(t *txn) (err error) {
		sh, err = t.shipment(id)
		return err
	})
	return sh, err
}

// ShipmentOfOrder returns the order's latest shipment.
func (db *DB) ShipmentOfOrder(ctx context.Context, order string) (*pickwave.OrderShipment, error) {
	var sh *pickwave.OrderShipment
	err := db.view(ctx, func(t *txn) error {
		prefix := append(joinKey("o", order), 0)
		err := t.ScanReverse(spaceShipIndex, prefix, func(k, _ []byte) error {
			var err error
			sh, err = t.shipment(string(k[len(prefix):]))
			if err != nil {
				return err
			}
			return errStop
		})
		if err == nil && sh == nil {
			err = notFound("Order %s has no shipment.", pickwave.Clip(order))
		}
		return err
	})
	return sh, err
}

// Shipments lists shipments newest first.
func (db *DB) Shipments(ctx context.Context, f pickwave.ShipmentFilter) ([]*pickwave.OrderShipment, error) {
	if f.Status != "" && !slices.Contains(pickwave.ShipmentStatuses, f.Status) {
		return nil, &pickwave.Error{Code: pickwave.EINVALID, Message: "Unknown shipment status.",
			Details: []pickwave.FieldError{{Field: "status", Reason: fmt.Sprintf("must be one of %v", pickwave.ShipmentStatuses)}}}
	}
	limit := pageSize(f.Limit)
	out := []*pickwave.OrderShipment{}
	err := db.view(ctx, func(t *txn) error {
		return t.ScanReverse(spaceShipments, nil, func(k, v []byte) error {
			if f.After != "" && string(k) >= f.After {
				return nil
			}
			sh := new(pickwave.OrderShipment)
			if err := decode(spaceShipments, k, v, sh); err != nil {
				return err
			}
			if (f.Status != "" && sh.Status != f.Status) || (f.OrderID != "" && sh.OrderID != f.OrderID) ||
				(f.StationID != "" && sh.StationID != f.StationID) {
				return nil
			}
			out = append(out, sh)
			if len(out) == limit {
				return errStop
			}
			return nil
		})
	})
	return out, err
}

// packageOf finds the shipment and package of a label's barcode: its
// tracking number, or its SSCC in any GS1 form.
func (t *txn) packageOf(data string) (*pickwave.OrderShipment, int, error) {
	data = strings.TrimSpace(data)
	id := t.Get(spaceShipIndex, trackingKey(data))
	match := func(p *pickwave.Package) bool { return p.TrackingNumber == data }
	if id == nil {
		readings, _ := (gs1.Parser{Now: t.now}).Readings(data)
		for _, r := range readings {
			if sscc := r.Data.SSCC(); sscc != "" {
				if id = t.Get(spaceShipIndex, ssccKey(sscc)); id != nil {
					match = func(p *pickwave.Package) bool { return p.SSCC == sscc }
					break
				}
			}
		}
	}
	if id == nil {
		return nil, 0, notFound("%q is no package label printed here.", pickwave.Clip(data))
	}
	sh, err := t.shipment(string(id))
	if err != nil {
		return nil, 0, err
	}
	for i := range sh.Packages {
		if match(&sh.Packages[i]) {
			return sh, i, nil
		}
	}
	return nil, 0, fmt.Errorf("shipment %s does not hold the package its index names", sh.ID)
}

// DockScan ships the package whose label was scanned.
func (db *DB) DockScan(ctx context.Context, data string) (*pickwave.OrderShipment, *pickwave.Package, error) {
	if data == "" || len(data) > pickwave.MaxPackScan {
		return nil, nil, fieldErr("data", "must be 1 to %d bytes", pickwave.MaxPackScan)
	}
	var (
		sh *pickwave.OrderShipment
		pk *pickwave.Package
	)
	err := db.update(ctx, func(t *txn) error {
		var (
			i   int
			err error
		)
		sh, i, err = t.packageOf(data)
		if err != nil {
			return err
		}
		if err := t.shipPackage(sh, i); err != nil {
			return err
		}
		p := sh.Packages[i]
		pk = &p
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return sh, pk, nil
}

// ShipPackages ships every listed package, as a closed manifest does.
func (db *DB) ShipPackages(ctx context.Context, tracking []string) ([]*pickwave.OrderShipment, error) {
	if len(tracking) == 0 || len(tracking) > pickwave.MaxManifestItems {
		return nil, fieldErr("tracking_numbers", "must list 1 to %d tracking numbers", pickwave.MaxManifestItems)
	}
	var out []*pickwave.OrderShipment
	err := db.update(ctx, func(t *txn) error {
		out = nil
		seen := map[string]*pickwave.OrderShipment{}
		for _, n := range tracking {
			id := t.Get(spaceShipIndex, trackingKey(n))
			if id == nil {
				return notFound("%q is no package label printed here.", pickwave.Clip(n))
			}
			sh := seen[string(id)]
			if sh == nil {
				var err error
				if sh, err = t.shipment(string(id)); err != nil {
					return err
				}
				seen[sh.ID] = sh
				out = append(out, sh)
			}
			for i := range sh.Packages {
				if sh.Packages[i].TrackingNumber == n {
					if err := t.shipPackage(sh, i); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	return out, err
}

// shipPackage marks package i shipped, and the shipment and the order
// once every live package has.
func (t *txn) shipPackage(sh *pickwave.OrderShipment, i int) error {
	p := &sh.Packages[i]
	switch p.Status {
	case pickwave.PackageShipped:
		return nil
	case pickwave.PackageVoided:
		return pickwave.Errorf(pickwave.ECONFLICT, "Package %s was voided (%s): it must not leave.", p.TrackingNumber, pickwave.Clip(p.VoidReason))
	}
	p.Status, p.ShippedAt = pickwave.PackageShipped, ptr(t.now)
	if _, err := t.appendEvent(pickwave.EventPackageShipped, "shipment/"+sh.ID, packageEvent(sh, p, "")); err != nil {
		return err
	}
	all := true
	for _, q := range sh.Live() {
		all = all && q.Status == pickwave.PackageShipped
	}
	if all && sh.Status == pickwave.ShipmentPacked {
		sh.Status, sh.ShippedAt = pickwave.ShipmentShipped, ptr(t.now)
		o, err := t.order(sh.OrderID)
		if err != nil {
			return err
		}
		payload, err := t.shipmentEvent(sh)
		if err != nil {
			return err
		}
		if err := t.setStatusWith(o, pickwave.OrderShipped, pickwave.EventOrderShipped, strings.Join(payload.TrackingNumbers, ", "), payload); err != nil {
			return err
		}
		if payload.Units < payload.Ordered {
			if _, err := t.appendEvent(pickwave.EventOrderShortShipped, "order/"+o.ID, payload); err != nil {
				return err
			}
		}
	}
	return t.putShipment(sh)
}

// VoidPackage voids a labelled package.
func (db *DB) VoidPackage(ctx context.Context, id string, number int, reason string) (*pickwave.OrderShipment, error) {
	reason = strings.TrimSpace(reason)
	if err := pickwave.ValidateReason(reason); err != nil {
		return nil, err
	}
	var sh *pickwave.OrderShipment
	err := db.update(ctx, func(t *txn) error {
		var err error
		if sh, err = t.shipment(id); err != nil {
			return err
		}
		if number < 1 || number > len(sh.Packages) {
			return notFound("Shipment %s has no package %d.", sh.ID, number)
		}
		p := &sh.Packages[number-1]
		switch p.Status {
		case pickwave.PackageVoided:
			return nil
		case pickwave.PackageShipped:
			return pickwave.Errorf(pickwave.ECONFLICT, "Package %d of shipment %s has shipped: it cannot be voided.", number, sh.ID)
		}
		p.Status, p.VoidReason, p.VoidedAt = pickwave.PackageVoided, reason, ptr(t.now)
		if _, err := t.appendEvent(pickwave.EventPackageVoided, "shipment/"+sh.ID, packageEvent(sh, p, reason)); err != nil {
			return err
		}
		// Its items are to be packed again: the order, if packed, goes
		// back to picked, and a bench holding it counts them again.
		o, err := t.order(sh.OrderID)
		if err != nil {
			return err
		}
		if sh.Status == pickwave.ShipmentPacked {
			sh.Status, sh.PackedAt = pickwave.ShipmentPacking, nil
		}
		if len(sh.Live()) == 0 {
			sh.Status = pickwave.ShipmentVoided
			if err := t.appendShipmentEvent(pickwave.EventShipmentVoided, sh); err != nil {
				return err
			}
		}
		if o.Status == pickwave.OrderPacked {
			if err := t.setStatus(o, pickwave.OrderPicked, pickwave.EventOrderPicked, fmt.Sprintf("package %d voided: %s", number, reason)); err != nil {
				return err
			}
		}
		if err := t.Scan(spacePackSess, nil, nil, func(k, v []byte) error {
			s := new(pickwave.PackSession)
			if err := decode(spacePackSess, k, v, s); err != nil {
				return err
			}
			if s.OrderID != sh.OrderID {
				return nil
			}
			for _, it := range p.Items {
				for i := range s.Lines {
					if s.Lines[i].SKU == it.SKU {
						s.Lines[i].Packed = max(0, s.Lines[i].Packed-it.Qty)
					}
				}
			}
			if len(sh.Live()) == 0 {
				s.ShipmentID = ""
			}
			return t.putPackSession(s)
		}); err != nil {
			return err
		}
		return t.putShipment(sh)
	})
	return sh, err
}

// ReprintPackage queues a package's label again.
func (db *DB) ReprintPackage(ctx context.Context, id string, number int, reason, requestID string) (*pickwave.OrderShipment, *pickwave.PrintJob, bool, error) {
	reason = strings.TrimSpace(reason)
	if err := pickwave.ValidateReason(reason); err != nil {
		return nil, nil, false, err
	}
	if err := pickwave.ValidateRequestID("request_id", requestID); err != nil {
		return nil, nil, false, err
	}
	var (
		sh      *pickwave.OrderShipment
		job     *pickwave.PrintJob
		created bool
	)
	err := db.update(ctx, func(t *txn) error {
		var err error
		if sh, err = t.shipment(id); err != nil {
			return err
		}
		if number < 1 || number > len(sh.Packages) {
			return notFound("Shipment %s has no package %d.", sh.ID, number)
		}
		p := &sh.Packages[number-1]
		if p.Status == pickwave.PackageVoided {
			return pickwave.Errorf(pickwave.ECONFLICT, "Package %d of shipment %s was voided: its label must not be printed again.", number, sh.ID)
		}
		orig, err := t.printJob(p.PrintJobID)
		if err != nil {
			return err
		}
		repeat := requestID != "" && t.Get(spacePrintReq, requestKey(orig.StationID, requestID)) != nil
		if !repeat && !orig.Status.Done() {
			return pickwave.Errorf(pickwave.ECONFLICT,
				"The label of package %d is still %s: it prints when the printer is ready.", number, orig.Status)
		}
		job, created, err = t.enqueue(orig.StationID, orig.Kind, requestID, orig.ZPL, orig.ID)
		if err != nil || !created {
			return err
		}
		p.Reprints = append(p.Reprints, pickwave.Reprint{PrintJobID: job.ID, Reason: reason, By: t.actor, At: t.now})
		if _, err := t.appendEvent(pickwave.EventPackageReprinted, "shipment/"+sh.ID, packageEvent(sh, p, reason)); err != nil {
			return err
		}
		return t.putShipment(sh)
	})
	if err != nil {
		return nil, nil, false, err
	}
	return sh, job, created, nil
}

// Track returns a package's public tracking.
func (db *DB) Track(ctx context.Context, tracking string) (*pickwave.Tracking, error) {
	var out *pickwave.Tracking
	err := db.view(ctx, func(t *txn) error {
		id := t.Get(spaceShipIndex, trackingKey(tracking))
		if id == nil || tracking == "" {
			return notFound("No package has tracking number %q.", pickwave.Clip(tracking))
		}
		sh, err := t.shipment(string(id))
		if err != nil {
			return err
		}
		for _, p := range sh.Packages {
			if p.TrackingNumber != tracking {
				continue
			}
			out = &pickwave.Tracking{TrackingNumber: p.TrackingNumber, Carrier: sh.Carrier, Service: sh.Service,
				Status: p.Status, Package: p.Number, Packages: len(sh.Packages),
				Events: []pickwave.TrackingEvent{{Status: "label_created", At: p.CreatedAt}}}
			if p.ShippedAt != nil {
				out.Events = append(out.Events, pickwave.TrackingEvent{Status: "shipped", At: *p.ShippedAt})
			}
			if p.VoidedAt != nil {
				out.Events = append(out.Events, pickwave.TrackingEvent{Status: "voided", At: *p.VoidedAt})
			}
		}
		if out == nil {
			return fmt.Errorf("shipment %s does not hold tracking number %s", sh.ID, tracking)
		}
		return nil
	})
	return out, err
}

func ptr[T any](v T) *T { return &v }
