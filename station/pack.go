package station

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"
	"unicode/utf8"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/device"
	"github.com/pickwave/pickwave/labels"
)

// The pack flow at a station. The store judges and records every step
// (pickwave.PackStore); the runtime feeds it: the scanner's reads and
// typed scans go to PackScan, the scale's stable weights to the weight
// check, and a package that passes (or is overridden, or is packed at a
// station without a scale) is labelled with no further click: an SSCC
// from the store's durable sequence, a tracking number from the carrier,
// the label rendered by labels.Shipping, then PackLabel records the
// package and queues the label on the station's print queue in one
// transaction, and the print worker is woken.
//
// One mutex per station (packMu) serialises the pack steps, so a scan, a
// weight and an override never interleave. The scale's reader does not
// wait for it: a reading that finds a step under way is skipped, and the
// next one (a polled scale answers every PollMS) is taken.

// Packing configures the pack flow. The zero value refuses labels
// (no carrier) and accepts every weight within DefaultWeightTolerance.
type Packing struct {
	// Carrier books each package and numbers it; nil refuses labels with
	// EUNAVAILABLE.
	Carrier pickwave.Carrier
	// Service is the carrier's service asked for; "" for its default.
	Service string
	// ShipFrom is the sender's address on the labels.
	ShipFrom pickwave.Address
	// Rules are the carton catalog and the weight tolerance; a zero
	// tolerance means pickwave.DefaultWeightTolerance.
	Rules pickwave.PackRules
	// GS1Prefix is the GS1 company prefix SSCCs are numbered under, and
	// SSCCExtension their extension digit (0-9).
	GS1Prefix     string
	SSCCExtension byte
	// EmptyG is the weight below which the scale is taken to be empty
	// rather than holding a light package; 0 means 5 g.
	EmptyG float64
}

// PackStore is what the pack flow needs from the store beyond the
// stations and their print queues.
type PackStore interface {
	pickwave.PackStore
	NextSSCC(ctx context.Context, prefix string, extension byte) (string, error)
	Order(ctx context.Context, id string) (*pickwave.Order, error)
	Shipment(ctx context.Context, id string) (*pickwave.OrderShipment, error)
	ShipmentOfOrder(ctx context.Context, orderID string) (*pickwave.OrderShipment, error)
	SKU(ctx context.Context, code string) (*pickwave.SKU, error)
	Shipments(ctx context.Context, f pickwave.ShipmentFilter) ([]*pickwave.OrderShipment, error)
	ShipPackages(ctx context.Context, tracking []string) ([]*pickwave.OrderShipment, error)
}

// packMessage is a verdict or an error pushed to the station's screens.
type packMessage struct {
	Type    string                `json:"type"`
	Seq     uint64                `json:"seq"`
	ID      string                `json:"id,omitempty"` // the scan's id, to match the answer
	User    string                `json:"user,omitempty"`
	Data    string                `json:"data,omitempty"`
	Verdict *pickwave.PackVerdict `json:"verdict,omitempty"`
	Error   *packError            `json:"error,omitempty"`
}

type packError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (rt *Runtime) rules() pickwave.PackRules {
	r := rt.Packing.Rules
	if r.Tolerance == (pickwave.WeightTolerance{}) {
		r.Tolerance = pickwave.DefaultWeightTolerance
	}
	return r
}

func (rt *Runtime) packStore() (PackStore, error) {
	ps, ok := rt.Store.(PackStore)
	if !ok {
		return nil, pickwave.Errorf(pickwave.EUNAVAILABLE, "Packing is not set up on this server.")
	}
	return ps, nil
}

// running returns the running station or the error the API answers.
func (rt *Runtime) packing(id string) (*stationRun, PackStore, error) {
	ps, err := rt.packStore()
	if err != nil {
		return nil, nil, err
	}
	sr := rt.station(id)
	if sr == nil {
		if _, err := rt.Store.Station(context.Background(), id); err != nil {
			return nil, nil, err
		}
		return nil, nil, pickwave.Errorf(pickwave.EUNAVAILABLE, "Station %s is not running.", id)
	}
	return sr, ps, nil
}

// setPack puts the session into the station's state and pushes it.
func (sr *stationRun) setPack(s *pickwave.PackSession) {
	if s == nil {
		return
	}
	sr.update(func(st *pickwave.StationState) { st.Pack = s })
}

// pushPack sends a verdict or an error to the station's screens.
func (sr *stationRun) pushPack(m packMessage) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	sr.seq++
	m.Seq = sr.seq
	sr.broadcastLocked(m)
}

func (sr *stationRun) pushError(err error) {
	sr.pushPack(packMessage{Type: "pack_error", Error: &packError{Code: pickwave.ErrorCode(err), Message: pickwave.ErrorMessage(err)}})
}

// loadPack reads the station's session when the station starts.
func (sr *stationRun) loadPack(ctx context.Context) {
	ps, err := sr.rt.packStore()
	if err != nil {
		return
	}
	s, err := ps.PackSession(ctx, sr.id)
	if err != nil {
		sr.log.Error("load pack session", "err", err)
		return
	}
	sr.setPack(s)
}

// PackSession returns the station's pack session.
func (rt *Runtime) PackSession(ctx context.Context, id string) (*pickwave.PackSession, error) {
	ps, err := rt.packStore()
	if err != nil {
		return nil, err
	}
	return ps.PackSession(ctx, id)
}

// PackSignIn signs the user in at the station as its packer.
func (rt *Runtime) PackSignIn(ctx context.Context, id, user string) (*pickwave.PackSession, error) {
	return rt.packStep(ctx, id, func(_ *stationRun, ps PackStore) (*pickwave.PackSession, error) { return ps.PackSignIn(ctx, id, user) })
}

// PackSignOut signs the station's packer out.
func (rt *Runtime) PackSignOut(ctx context.Context, id string) (*pickwave.PackSession, error) {
	return rt.packStep(ctx, id, func(_ *stationRun, ps PackStore) (*pickwave.PackSession, error) { return ps.PackSignOut(ctx, id) })
}

// PackCancel puts the order on the bench aside.
func (rt *Runtime) PackCancel(ctx context.Context, id string) (*pickwave.PackSession, error) {
	return rt.packStep(ctx, id, func(_ *stationRun, ps PackStore) (*pickwave.PackSession, error) { return ps.PackCancel(ctx, id) })
}

// PackClosePackage closes the open package before the order's last item;
// at a station without a scale it is labelled at once.
func (rt *Runtime) PackClosePackage(ctx context.Context, id, requestID string) (*pickwave.PackSession, error) {
	return rt.packStep(ctx, id, func(sr *stationRun, ps PackStore) (*pickwave.PackSession, error) {
		s, err := ps.PackClosePackage(ctx, id, requestID, rt.rules())
		if err != nil {
			return nil, err
		}
		sr.setPack(s)
		return sr.afterStep(ctx, ps, s), nil
	})
}

func (rt *Runtime) packStep(ctx context.Context, id string, fn func(sr *stationRun, ps PackStore) (*pickwave.PackSession, error)) (*pickwave.PackSession, error) {
	sr, ps, err := rt.packing(id)
	if err != nil {
		return nil, err
	}
	sr.packMu.Lock()
	defer sr.packMu.Unlock()
	s, err := fn(sr, ps)
	if err != nil {
		return nil, err
	}
	sr.setPack(s)
	return s, nil
}

// PackScan judges a scan typed at (or sent to) the station for its
// signed-in packer. The answer comes after its commit; a package whose
// last item this was is weighed next (or, without a scale, labelled).
func (rt *Runtime) PackScan(ctx context.Context, id string, req pickwave.PackScanRequest) (*pickwave.PackScanResult, error) {
	sr, ps, err := rt.packing(id)
	if err != nil {
		return nil, err
	}
	return sr.packScan(ctx, ps, req)
}

func (sr *stationRun) packScan(ctx context.Context, ps PackStore, req pickwave.PackScanRequest) (*pickwave.PackScanResult, error) {
	sr.packMu.Lock()
	defer sr.packMu.Unlock()
	res, err := ps.PackScan(ctx, sr.id, req, sr.rt.rules())
	if err != nil {
		sr.pushPack(packMessage{Type: "pack_error", ID: pickwave.Clip(req.ID), Error: &packError{Code: pickwave.ErrorCode(err), Message: pickwave.ErrorMessage(err)}})
		return nil, err
	}
	sr.setPack(res.Session)
	sr.pushPack(packMessage{Type: "pack_verdict", ID: pickwave.Clip(req.ID), Data: pickwave.Clip(req.Data), Verdict: &res.Verdict})
	if res.Verdict.Code == pickwave.PackComplete {
		res.Session = sr.afterStep(ctx, ps, res.Session)
	}
	return res, nil
}

// onPackScan is a scan read by the station's scanner: it is the signed-in
// packer's.
func (sr *stationRun) onPackScan(data string) {
	ps, err := sr.rt.packStore()
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(sr.rt.runContext(), storeTimeout)
	defer cancel()
	sr.mu.Lock()
	packer := ""
	if sr.state.Pack != nil {
		packer = sr.state.Pack.Packer
	}
	sr.mu.Unlock()
	if packer != "" {
		ctx = pickwave.WithActor(ctx, packer)
	}
	if _, err := sr.packScan(ctx, ps, pickwave.PackScanRequest{Data: data}); err != nil && pickwave.ErrorCode(err) == pickwave.EINTERNAL {
		sr.log.Error("pack scan", "err", err)
	}
}

func (rt *Runtime) runContext() context.Context {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.ctx == nil {
		return context.Background()
	}
	return rt.ctx
}

// afterStep labels a package that waits for its weight at a station
// without a scale. It returns the session as it is after that.
func (sr *stationRun) afterStep(ctx context.Context, ps PackStore, s *pickwave.PackSession) *pickwave.PackSession {
	if s.Step != pickwave.PackWeigh {
		return s
	}
	st, err := sr.rt.Store.Station(ctx, sr.id)
	if err != nil {
		sr.pushError(err)
		return s
	}
	if st.Scale != nil {
		return s // the scale's next stable weight decides
	}
	if next, err := sr.label(ctx, ps, s, 0, false, nil, ""); err == nil {
		return next
	}
	return s
}

// onPackWeight takes a stable weight for the package being weighed.
func (sr *stationRun) onPackWeight(r device.Reading) {
	if !r.Stable() {
		return // only a settled weight counts
	}
	sr.mu.Lock()
	s := sr.state.Pack
	sr.mu.Unlock()
	if s == nil || (s.Step != pickwave.PackWeigh && s.Step != pickwave.PackBlocked) {
		return
	}
	if !sr.packMu.TryLock() {
		return // a step is under way; the next reading is taken
	}
	defer sr.packMu.Unlock()
	ps, err := sr.rt.packStore()
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(sr.rt.runContext(), storeTimeout)
	defer cancel()
	if s.Packer != "" {
		ctx = pickwave.WithActor(ctx, s.Packer)
	}
	sr.weigh(ctx, ps, r.Grams)
}

// weigh checks a stable weight against the open package; packMu is held.
func (sr *stationRun) weigh(ctx context.Context, ps PackStore, grams float64) {
	empty := sr.rt.Packing.EmptyG
	if empty <= 0 {
		empty = 5
	}
	if grams < empty {
		return // nothing on the scale yet
	}
	s, err := ps.PackSession(ctx, sr.id)
	if err != nil || (s.Step != pickwave.PackWeigh && s.Step != pickwave.PackBlocked) {
		return
	}
	check := sr.rt.rules().Tolerance.Check(s.ExpectedG, grams)
	if check.Pass {
		sr.label(ctx, ps, s, grams, true, nil, "")
		return
	}
	if s.Step == pickwave.PackBlocked && s.Check != nil && math.Abs(s.Check.MeasuredG-grams) < 1 {
		return // the same weight again: blocked already
	}
	next, err := ps.PackWeighBlocked(ctx, sr.id, check)
	if err != nil {
		sr.pushError(err)
		return
	}
	sr.setPack(next)
	sr.pushError(pickwave.Errorf(pickwave.ECONFLICT, "Package %d weighs %.0f g; %d g expected (%.0f to %.0f g accepted). Check its contents and weigh it again, or ask a supervisor to override.",
		s.Package, grams, s.ExpectedG, check.MinG, check.MaxG))
}

// PackOverride releases a package held by its weight (or waiting for a
// scale that cannot weigh it) with a supervisor's reason, and labels it
// with the last stable weight, if any.
func (rt *Runtime) PackOverride(ctx context.Context, id, reason, requestID string) (*pickwave.PackSession, error) {
	sr, ps, err := rt.packing(id)
	if err != nil {
		return nil, err
	}
	sr.packMu.Lock()
	defer sr.packMu.Unlock()
	s, ov, err := ps.PackOverride(ctx, id, reason, requestID)
	if err != nil {
		return nil, err
	}
	if ov == nil {
		return s, nil // a retry of an override whose package is labelled
	}
	grams, weighed := 0.0, false
	if s.Check != nil {
		grams, weighed = s.Check.MeasuredG, true
	}
	return sr.label(ctx, ps, s, grams, weighed, ov, requestID)
}

// label books, renders, records and queues the open package's label;
// packMu is held. A failure is pushed to the screens and returned; the
// package stays waiting for its label.
func (sr *stationRun) label(ctx context.Context, ps PackStore, s *pickwave.PackSession, grams float64, weighed bool, ov *pickwave.WeightOverride, requestID string) (*pickwave.PackSession, error) {
	next, err := sr.makeLabel(ctx, ps, s, grams, weighed, ov, requestID)
	if err != nil {
		if pickwave.ErrorCode(err) == pickwave.EINTERNAL {
			sr.log.Error("package label", "err", err)
		}
		sr.pushError(err)
		return nil, err
	}
	sr.setPack(next)
	sr.rt.Kick(sr.id)
	return next, nil
}

func (sr *stationRun) makeLabel(ctx context.Context, ps PackStore, s *pickwave.PackSession, grams float64, weighed bool, ov *pickwave.WeightOverride, requestID string) (*pickwave.PackSession, error) {
	cfg := sr.rt.Packing
	if cfg.Carrier == nil {
		return nil, pickwave.Errorf(pickwave.EUNAVAILABLE, "No carrier is set up: packages cannot be labelled.")
	}
	st, err := sr.rt.Store.Station(ctx, sr.id)
	if err != nil {
		return nil, err
	}
	o, err := ps.Order(ctx, s.OrderID)
	if err != nil {
		return nil, err
	}
	weightG := int(math.Round(grams))
	if !weighed {
		weightG = s.ExpectedG
	}
	parcel := pickwave.Parcel{WeightGrams: max(weightG, 1), LengthMM: 300, WidthMM: 200, HeightMM: 150}
	if c := s.Carton; c != nil {
		parcel.LengthMM, parcel.WidthMM, parcel.HeightMM = c.LengthMM, c.WidthMM, c.HeightMM
	}
	sscc, err := ps.NextSSCC(ctx, cfg.GS1Prefix, cfg.SSCCExtension)
	if err != nil {
		return nil, err
	}
	parcel.SSCC = sscc
	now := time.Now()
	refs := references(o)
	booked, err := cfg.Carrier.CreateShipment(ctx, &pickwave.ShipmentRequest{Service: cfg.Service, ShipFrom: cfg.ShipFrom,
		ShipTo: o.ShipTo, Parcels: []pickwave.Parcel{parcel}, References: refs, ShipDate: now})
	if err != nil {
		return nil, err
	}
	var zpl []byte
	if booked.Label != nil && booked.Label.Format == pickwave.LabelZPL {
		zpl = booked.Label.Data // the carrier's own label, printed as it came
	} else {
		lbl := sr.rt.shippingLabel(o, st, booked.Carrier, booked.Service, booked.TrackingNumber, sscc,
			parcel.WeightGrams, now, s.AllScanned() && s.Package == 1)
		if zpl, err = lbl.ZPL(); err != nil {
			return nil, err
		}
	}
	next, _, _, err := ps.PackLabel(ctx, sr.id, pickwave.NewPackage{Package: s.Package, SSCC: sscc,
		Carrier: booked.Carrier, Service: booked.Service, TrackingNumber: booked.TrackingNumber, TrackingURL: booked.TrackingURL,
		WeightG: weightG, Weighed: weighed, NoScale: st.Scale == nil, ZPL: string(zpl), RequestID: requestID}, ov)
	if err != nil {
		return nil, fmt.Errorf("record package %d of %s: %w", s.Package, s.OrderID, err)
	}
	return next, nil
}

// labelDPI is the label layout for the station's printer.
func labelDPI(st *pickwave.Station) int {
	if st.Printer != nil && st.Printer.DPI >= labels.DPI300 {
		return labels.DPI300
	}
	return labels.DPI203
}

// references are the label's and the carrier's references of an order:
// its id, and the shop's id when it fits.
func references(o *pickwave.Order) []string {
	refs := []string{o.ID}
	if ext := o.ExternalID; ext != "" && len(ext) <= pickwave.MaxReferenceLen {
		refs = append(refs, ext)
	}
	return refs
}

// shippingLabel is the label Pickwave draws for a package; only package
// "1 of 1" is printed, since an order's package count is known only when
// its last package is closed.
func (rt *Runtime) shippingLabel(o *pickwave.Order, st *pickwave.Station, carrier, service, tracking, sscc string, weightG int, date time.Time, only bool) labels.Shipping {
	lbl := labels.Shipping{From: rt.Packing.ShipFrom, To: o.ShipTo, Carrier: carrier, Service: service,
		Tracking: tracking, References: references(o), WeightG: weightG, Date: date, DPI: labelDPI(st), SSCC: sscc}
	if only {
		lbl.Package, lbl.Packages = 1, 1
	}
	return lbl
}

// PackageLabel writes a PNG preview of a package's label, drawn again
// from the shipment and its order as it was printed.
func (rt *Runtime) PackageLabel(ctx context.Context, shipmentID string, n int, w io.Writer) error {
	ps, err := rt.packStore()
	if err != nil {
		return err
	}
	sh, err := ps.Shipment(ctx, shipmentID)
	if err != nil {
		return err
	}
	if n < 1 || n > len(sh.Packages) {
		return pickwave.Errorf(pickwave.ENOTFOUND, "Shipment %s has no package %d.", sh.ID, n)
	}
	p := sh.Packages[n-1]
	o, err := ps.Order(ctx, sh.OrderID)
	if err != nil {
		return err
	}
	st, err := rt.Store.Station(ctx, sh.StationID)
	if err != nil {
		st = &pickwave.Station{ID: sh.StationID}
	}
	only := len(sh.Packages) == 1 && sh.Status != pickwave.ShipmentPacking
	return rt.shippingLabel(o, st, sh.Carrier, sh.Service, p.TrackingNumber, p.SSCC, p.WeightG, p.CreatedAt, only).WritePNG(w)
}

// PackingSlip writes the order's packing slip as a printable HTML page:
// its lines, and what its latest shipment holds of each.
func (rt *Runtime) PackingSlip(ctx context.Context, orderID string, w io.Writer) error {
	ps, err := rt.packStore()
	if err != nil {
		return err
	}
	o, err := ps.Order(ctx, orderID)
	if err != nil {
		return err
	}
	packed := map[string]int{}
	slip := labels.PackingSlip{OrderID: o.ID, ExternalID: o.ExternalID, From: rt.Packing.ShipFrom, To: o.ShipTo, Date: time.Now()}
	if sh, err := ps.ShipmentOfOrder(ctx, o.ID); err == nil {
		for _, p := range sh.Live() {
			for _, it := range p.Items {
				packed[it.SKU] += it.Qty
			}
		}
	} else if pickwave.ErrorCode(err) != pickwave.ENOTFOUND {
		return err
	}
	short := false
	for _, l := range o.Lines {
		name := l.SKU
		if sku, err := ps.SKU(ctx, l.SKU); err == nil {
			name = sku.Name
		}
		slip.Lines = append(slip.Lines, labels.SlipLine{SKU: l.SKU, Name: name, Ordered: l.Qty, Packed: packed[l.SKU]})
		short = short || packed[l.SKU] < l.Qty
	}
	if short && len(packed) > 0 {
		slip.Note = "Items not in this shipment could not be sent."
	}
	return slip.WriteHTML(w)
}

// CloseManifest closes the carrier's manifest of every package of the
// packed shipments (all their items labelled) that has not shipped, and
// marks those packages shipped: the pickup took them. ECONFLICT when
// there is nothing to manifest; the carrier's errors as they come.
func (rt *Runtime) CloseManifest(ctx context.Context) (*pickwave.Manifest, []*pickwave.OrderShipment, error) {
	ps, err := rt.packStore()
	if err != nil {
		return nil, nil, err
	}
	if rt.Packing.Carrier == nil {
		return nil, nil, pickwave.Errorf(pickwave.EUNAVAILABLE, "No carrier is set up.")
	}
	var tracking []string
	for after := ""; ; {
		page, err := ps.Shipments(ctx, pickwave.ShipmentFilter{Status: pickwave.ShipmentPacked, After: after, Limit: 1000})
		if err != nil {
			return nil, nil, err
		}
		for _, sh := range page {
			for _, p := range sh.Packages {
				if p.Status == pickwave.PackageLabelled && len(tracking) < pickwave.MaxManifestItems {
					tracking = append(tracking, p.TrackingNumber)
				}
			}
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(tracking) == 0 {
		return nil, nil, pickwave.Errorf(pickwave.ECONFLICT, "No packed package waits for a manifest.")
	}
	m, err := rt.Packing.Carrier.CloseManifest(ctx, &pickwave.ManifestRequest{Date: time.Now(), TrackingNumbers: tracking})
	if err != nil {
		return nil, nil, err
	}
	shipped, err := ps.ShipPackages(ctx, tracking)
	if err != nil {
		return m, nil, fmt.Errorf("manifest %s closed at the carrier; marking its packages shipped: %w", m.ID, err)
	}
	return m, shipped, nil
}

// socketMessage is a message a station client sent: a pack scan, judged
// for user when user is the station's signed-in packer. Its verdict, or
// why it was refused, goes to all the station's clients, with its id.
func (rt *Runtime) socketMessage(sr *stationRun, user string, data []byte) {
	var m struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Data string `json:"data"`
	}
	refuse := func(id string, err error) {
		sr.pushPack(packMessage{Type: "pack_error", ID: pickwave.Clip(id), User: user,
			Error: &packError{Code: pickwave.ErrorCode(err), Message: pickwave.ErrorMessage(err)}})
	}
	if !utf8.Valid(data) {
		refuse("", pickwave.Errorf(pickwave.EINVALID, "A station message must be UTF-8 text."))
		return
	}
	if err := json.Unmarshal(data, &m); err != nil || m.Type != "pack_scan" {
		refuse(m.ID, pickwave.Errorf(pickwave.EINVALID, `A station client sends only {"type": "pack_scan", "id": ..., "data": ...}.`))
		return
	}
	ps, err := rt.packStore()
	if err != nil {
		refuse(m.ID, err)
		return
	}
	sr.mu.Lock()
	packer := ""
	if sr.state.Pack != nil {
		packer = sr.state.Pack.Packer
	}
	sr.mu.Unlock()
	if packer != user {
		refuse(m.ID, pickwave.Errorf(pickwave.ECONFLICT, "Sign in at station %s to scan here.", sr.id))
		return
	}
	ctx, cancel := context.WithTimeout(pickwave.WithActor(rt.runContext(), user), storeTimeout)
	defer cancel()
	if _, err := sr.packScan(ctx, ps, pickwave.PackScanRequest{ID: m.ID, Data: m.Data}); err != nil && pickwave.ErrorCode(err) == pickwave.EINTERNAL {
		sr.log.Error("pack scan from the station socket", "err", err)
	}
}
