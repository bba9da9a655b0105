package pickwave

import (
	"context"
	"math"
	"slices"
	"time"
)

// Packing. A packer signs in at a pack station and scans a tote or an
// order's barcode: the station's pack session then holds the order's
// picked items. Each item scanned (with the station's scanner or typed)
// is checked against them; a wrong or extra item is refused and recorded
// as a mispick caught at pack. When the package's items are in, its
// stable weight is compared with the expected weight (items plus carton
// tare) within a tolerance; a weight outside it blocks the label until
// the packer fixes the package or a supervisor overrides with a reason.
// On a pass the package gets an SSCC and a tracking number, its label is
// queued on the station's printer, and once every item is packed the
// order is packed. An order may go out in several packages.

// Carton is a box of the carton catalog. Dimensions are inner, in
// millimetres; TareG is the empty carton's weight in grams.
type Carton struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	LengthMM int    `json:"length_mm"`
	WidthMM  int    `json:"width_mm"`
	HeightMM int    `json:"height_mm"`
	TareG    int    `json:"tare_g"`
}

// Volume is the carton's inner volume in cubic millimetres.
func (c Carton) Volume() int64 { return int64(c.LengthMM) * int64(c.WidthMM) * int64(c.HeightMM) }

// Validate checks a catalog entry.
func (c Carton) Validate() error {
	var fe FieldErrors
	checkCode(&fe, "code", c.Code)
	checkText(&fe, "name", c.Name, false)
	for _, d := range []struct {
		f  string
		mm int
	}{{"length_mm", c.LengthMM}, {"width_mm", c.WidthMM}, {"height_mm", c.HeightMM}} {
		if d.mm < 1 || d.mm > MaxParcelMM {
			fe.Add(d.f, "must be between 1 and %d mm", MaxParcelMM)
		}
	}
	if c.TareG < 0 || c.TareG > MaxParcelGrams {
		fe.Add("tare_g", "must be between 0 and %d grams", MaxParcelGrams)
	}
	return fe.Err("The carton is not valid.")
}

// CartonItem is an item to put in a carton: its outer dimensions in
// millimetres (zero when unknown) and how many.
type CartonItem struct {
	LengthMM, WidthMM, HeightMM int
	Qty                         int
}

// DefaultFillFactor is the share of a carton's volume the items may take
// when packed by hand.
const DefaultFillFactor = 0.8

// ChooseCarton returns the smallest carton (by volume, then by tare) that
// holds every item: each item fits in some rotation (its sorted
// dimensions each at most the carton's sorted ones) and the items' total
// volume is at most the carton's times fill (0 means DefaultFillFactor).
// Items without dimensions count for nothing. It returns false when no
// carton of the catalog holds them.
func ChooseCarton(catalog []Carton, items []CartonItem, fill float64) (Carton, bool) {
	if fill <= 0 || fill > 1 {
		fill = DefaultFillFactor
	}
	var total float64
	var sizes [][3]int
	for _, it := range items {
		if it.Qty <= 0 || it.LengthMM <= 0 || it.WidthMM <= 0 || it.HeightMM <= 0 {
			continue
		}
		total += float64(it.LengthMM) * float64(it.WidthMM) * float64(it.HeightMM) * float64(it.Qty)
		sizes = append(sizes, sorted3(it.LengthMM, it.WidthMM, it.HeightMM))
	}
	cs := slices.Clone(catalog)
	slices.SortStableFunc(cs, func(a, b Carton) int {
		if va, vb := a.Volume(), b.Volume(); va != vb {
			if va < vb {
				return -1
			}
			return 1
		}
		return a.TareG - b.TareG
	})
	for _, c := range cs {
		if total > float64(c.Volume())*fill {
			continue
		}
		inner := sorted3(c.LengthMM, c.WidthMM, c.HeightMM)
		fits := true
		for _, s := range sizes {
			if s[0] > inner[0] || s[1] > inner[1] || s[2] > inner[2] {
				fits = false
				break
			}
		}
		if fits {
			return c, true
		}
	}
	return Carton{}, false
}

func sorted3(a, b, c int) [3]int {
	s := [3]int{a, b, c}
	slices.Sort(s[:])
	return s
}

// WeightTolerance is how far a package's weight may be from the expected
// weight: the larger of Percent of the expected weight and Grams. Per
// cent alone is too tight for light parcels, grams alone too loose for
// heavy ones.
type WeightTolerance struct {
	Percent float64 `json:"percent"`
	Grams   float64 `json:"grams"`
}

// DefaultWeightTolerance is 5 % or 50 g, whichever is more.
var DefaultWeightTolerance = WeightTolerance{Percent: 5, Grams: 50}

// Validate checks the tolerance.
func (w WeightTolerance) Validate() error {
	var fe FieldErrors
	if w.Percent < 0 || w.Percent > 100 || math.IsNaN(w.Percent) {
		fe.Add("percent", "must be between 0 and 100")
	}
	if w.Grams < 0 || w.Grams > MaxParcelGrams || math.IsNaN(w.Grams) {
		fe.Add("grams", "must be between 0 and %d", MaxParcelGrams)
	}
	return fe.Err("The weight tolerance is not valid.")
}

// Band returns the lowest and highest weights accepted for expected grams.
func (w WeightTolerance) Band(expectedG int) (minG, maxG float64) {
	d := max(float64(expectedG)*w.Percent/100, w.Grams)
	return math.Max(0, float64(expectedG)-d), float64(expectedG) + d
}

// Check compares a measured weight with the expected one.
func (w WeightTolerance) Check(expectedG int, measuredG float64) WeightCheck {
	lo, hi := w.Band(expectedG)
	return WeightCheck{ExpectedG: expectedG, MinG: lo, MaxG: hi, MeasuredG: measuredG,
		Pass: measuredG >= lo && measuredG <= hi}
}

// WeightCheck is one comparison of a stable weight with the expected one.
type WeightCheck struct {
	ExpectedG int     `json:"expected_g"`
	MinG      float64 `json:"min_g"`
	MaxG      float64 `json:"max_g"`
	MeasuredG float64 `json:"measured_g"`
	Pass      bool    `json:"pass"`
}

// WeightOverride is a supervisor's release of a package whose weight was
// outside the tolerance (or that could not be weighed).
type WeightOverride struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// PackStep is where a station's pack session is.
type PackStep string

// Pack steps. Idle: no order at the station (scan a tote or an order).
// Scan: the package is being filled. Weigh: its items are in and a stable
// weight is awaited. Blocked: the weight was outside the tolerance.
const (
	PackIdle    PackStep = "idle"
	PackScan    PackStep = "scan"
	PackWeigh   PackStep = "weigh"
	PackBlocked PackStep = "blocked"
)

// PackLine is one SKU of the order being packed.
type PackLine struct {
	SKU     string `json:"sku"`
	Name    string `json:"name"`
	WeightG int    `json:"weight_g"`
	// Qty is what is to be packed: the units picked.
	Qty int `json:"qty"`
	// Packed is in earlier packages; Scanned is in the open package.
	Packed  int `json:"packed"`
	Scanned int `json:"scanned"`
	// Ordered is the line's ordered quantity; Qty < Ordered when picking
	// came up short.
	Ordered int `json:"ordered"`
}

// Left is what is still to be scanned.
func (l PackLine) Left() int { return l.Qty - l.Packed - l.Scanned }

// PackSession is a pack station's packing state: who is signed in, the
// order on the bench and where its packing is. It is stored, so a
// restart resumes it.
type PackSession struct {
	StationID string     `json:"station_id"`
	Packer    string     `json:"packer"` // signed in; "" for none
	Step      PackStep   `json:"step"`
	OrderID   string     `json:"order_id,omitempty"`
	Tote      string     `json:"tote,omitempty"`
	Lines     []PackLine `json:"lines"`
	// Package is the number of the package being filled.
	Package int `json:"package"`
	// Carton is the suggested carton for the open package; nil when the
	// catalog has none that fits (the packer chooses).
	Carton *Carton `json:"carton"`
	// ExpectedG is the open package's items plus the carton's tare, and
	// MinG and MaxG the weights the tolerance accepts.
	ExpectedG int     `json:"expected_g"`
	MinG      float64 `json:"min_g"`
	MaxG      float64 `json:"max_g"`
	// Check is the last weight check of the open package.
	Check *WeightCheck `json:"check"`
	// ShipmentID is the order's shipment once a package has a label.
	ShipmentID string `json:"shipment_id,omitempty"`
	// LastShipmentID is the shipment of the order packed last, for the
	// screen's label preview and reprint once the bench is idle again.
	LastShipmentID string    `json:"last_shipment_id,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// ScannedItems is the open package's contents.
func (s *PackSession) ScannedItems() []PackageItem {
	out := []PackageItem{}
	for _, l := range s.Lines {
		if l.Scanned > 0 {
			out = append(out, PackageItem{SKU: l.SKU, Qty: l.Scanned})
		}
	}
	return out
}

// AllScanned reports whether every unit to pack is in a package or the
// open package.
func (s *PackSession) AllScanned() bool {
	for _, l := range s.Lines {
		if l.Left() > 0 {
			return false
		}
	}
	return true
}

// Verdicts of a pack scan.
const (
	PackOK       = "ok"       // the item counts
	PackOrder    = "order"    // an order is on the bench now
	PackWrong    = "wrong"    // a product not in the order: a mispick
	PackExtra    = "extra"    // one more than the order holds
	PackUnknown  = "unknown"  // not a product, tote or order Pickwave knows
	PackRefused  = "refused"  // not now (signed out, weighing, another order)
	PackComplete = "complete" // the last item: the package is weighed next
)

// PackScanRequest is one scan at a pack station. ID makes it idempotent:
// the same id again is answered from record.
type PackScanRequest struct {
	ID   string `json:"id"`
	Data string `json:"data"`
}

// PackVerdict is how a pack scan was judged.
type PackVerdict struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	SKU     string `json:"sku,omitempty"`
}

// PackScanResult answers a pack scan: its verdict and the session after it.
type PackScanResult struct {
	ID      string       `json:"id"`
	Verdict PackVerdict  `json:"verdict"`
	Session *PackSession `json:"session"`
}

// ShipmentStatus is where an order's shipment is.
type ShipmentStatus string

// Shipment states: packing while the order's packages are labelled one
// by one, packed once every item is in a labelled package, shipped once
// every live package was scanned at the dock (or manifested), voided when
// every package was voided.
const (
	ShipmentPacking ShipmentStatus = "packing"
	ShipmentPacked  ShipmentStatus = "packed"
	ShipmentShipped ShipmentStatus = "shipped"
	ShipmentVoided  ShipmentStatus = "voided"
)

// ShipmentStatuses lists every shipment state.
var ShipmentStatuses = []ShipmentStatus{ShipmentPacking, ShipmentPacked, ShipmentShipped, ShipmentVoided}

// PackageStatus is where one package is.
type PackageStatus string

// Package states.
const (
	PackageLabelled PackageStatus = "labelled"
	PackageShipped  PackageStatus = "shipped"
	PackageVoided   PackageStatus = "voided"
)

// PackageItem is a quantity of one SKU in a package.
type PackageItem struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

// Package is one labelled parcel of a shipment.
type Package struct {
	Number         int           `json:"number"`
	Status         PackageStatus `json:"status"`
	SSCC           string        `json:"sscc"`
	TrackingNumber string        `json:"tracking_number"`
	TrackingURL    string        `json:"tracking_url,omitempty"`
	Carton         string        `json:"carton,omitempty"`
	Items          []PackageItem `json:"items"`
	ExpectedG      int           `json:"expected_g"`
	// WeightG is the stable weight read; 0 when the station has no scale.
	WeightG    int             `json:"weight_g"`
	Weighed    bool            `json:"weighed"`
	Override   *WeightOverride `json:"override,omitempty"`
	PrintJobID string          `json:"print_job_id"`
	Reprints   []Reprint       `json:"reprints"`
	VoidReason string          `json:"void_reason,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	ShippedAt  *time.Time      `json:"shipped_at,omitempty"`
	VoidedAt   *time.Time      `json:"voided_at,omitempty"`
}

// Reprint is one reprint of a package's label, with why.
type Reprint struct {
	PrintJobID string    `json:"print_job_id"`
	Reason     string    `json:"reason"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// OrderShipment is an order's shipment: its carrier and packages. (A
// carrier's booking of one package is a Shipment.)
type OrderShipment struct {
	ID        string         `json:"id"`
	OrderID   string         `json:"order_id"`
	StationID string         `json:"station_id"`
	Carrier   string         `json:"carrier"`
	Service   string         `json:"service"`
	Status    ShipmentStatus `json:"status"`
	// NoScale says packages were labelled without a weight check: the
	// station had no scale.
	NoScale   bool       `json:"no_scale"`
	Packages  []Package  `json:"packages"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	PackedAt  *time.Time `json:"packed_at,omitempty"`
	ShippedAt *time.Time `json:"shipped_at,omitempty"`
}

// Live returns the packages not voided.
func (s *OrderShipment) Live() []Package {
	var out []Package
	for _, p := range s.Packages {
		if p.Status != PackageVoided {
			out = append(out, p)
		}
	}
	return out
}

// ShipmentEventPayload is what shipment.created, shipment.voided,
// order.packed, order.shipped and order.short_shipped carry: what a shop
// needs to tell its customer, without personal data.
type ShipmentEventPayload struct {
	ShipmentID      string         `json:"shipment_id"`
	OrderID         string         `json:"order_id"`
	ExternalID      string         `json:"external_id"`
	Status          ShipmentStatus `json:"status"`
	Packages        int            `json:"packages"`
	Carrier         string         `json:"carrier"`
	Service         string         `json:"service"`
	TrackingNumbers []string       `json:"tracking_numbers"`
	TrackingURLs    []string       `json:"tracking_urls"`
	// Units shipped of Ordered; fewer on order.short_shipped.
	Units   int `json:"units"`
	Ordered int `json:"ordered"`
}

// ShipmentFilter selects shipments to list, newest first.
type ShipmentFilter struct {
	Status    ShipmentStatus // "" for every state
	OrderID   string         // "" for every order
	StationID string         // "" for every station
	After     string         // list shipments older than this id
	Limit     int            // 0 for the default page size
}

// TrackingEvent is one step of a package's public history.
type TrackingEvent struct {
	Status string    `json:"status"` // label_created, shipped, voided
	At     time.Time `json:"at"`
}

// Tracking is what anyone with a tracking number may see: no name, no
// address, no order.
type Tracking struct {
	TrackingNumber string          `json:"tracking_number"`
	Carrier        string          `json:"carrier"`
	Service        string          `json:"service"`
	Status         PackageStatus   `json:"status"`
	Package        int             `json:"package"`
	Packages       int             `json:"packages"`
	Events         []TrackingEvent `json:"events"`
}

// NewPackage is a labelled package ready to be recorded: what the station
// runtime got from the store's numbers, the carrier and the label
// renderer.
type NewPackage struct {
	Package        int // the session's package number it closes
	SSCC           string
	Carrier        string
	Service        string
	TrackingNumber string
	TrackingURL    string
	WeightG        int
	Weighed        bool
	NoScale        bool
	ZPL            string
	// RequestID is the override's request id, recorded with the label so
	// a retried override is answered rather than done again.
	RequestID string
}

// PackRules are a site's packing rules: its carton catalog and weight
// tolerance.
type PackRules struct {
	Cartons   []Carton
	Tolerance WeightTolerance
}

// Limits on packing input.
const (
	MaxReasonLen = 500
	MaxPackScan  = 4096
)

// ValidateReason checks a reason for an override, a reprint or a void.
func ValidateReason(v string) error {
	var fe FieldErrors
	checkText(&fe, "reason", v, true)
	if len(v) > MaxReasonLen {
		fe = FieldErrors{{Field: "reason", Reason: "is longer than 500 characters"}}
	}
	return fe.Err("A reason is required.")
}

// PackStore keeps pack sessions, shipments and their packages. Every
// change commits with its events.
type PackStore interface {
	// PackSession returns the station's session (idle and signed out when
	// none was stored). ENOTFOUND for an unknown station.
	PackSession(ctx context.Context, station string) (*PackSession, error)
	// PackSignIn signs the packer in at the station, PackSignOut out
	// (ECONFLICT while an order is on the bench and it is not the same
	// packer).
	PackSignIn(ctx context.Context, station, packer string) (*PackSession, error)
	PackSignOut(ctx context.Context, station string) (*PackSession, error)
	// PackScan judges a scan at the station, idempotently on req.ID.
	// rules choose the carton and the weight band. EINVALID for a
	// malformed request.
	PackScan(ctx context.Context, station string, req PackScanRequest, rules PackRules) (*PackScanResult, error)
	// PackClosePackage ends the open package before the order's last
	// item, so it is weighed and labelled alone. ECONFLICT when nothing
	// is scanned or the session is not scanning. Idempotent on
	// requestID: the same id again returns the session as it is now.
	PackClosePackage(ctx context.Context, station, requestID string, rules PackRules) (*PackSession, error)
	// PackWeighBlocked records a failed weight check (pack.weight_blocked).
	PackWeighBlocked(ctx context.Context, station string, check WeightCheck) (*PackSession, error)
	// PackOverride records a supervisor's override (pack.weight_overridden).
	// A requestID whose label PackLabel recorded (NewPackage.RequestID)
	// returns the session as it is now and a nil override: the override
	// was done.
	PackOverride(ctx context.Context, station, reason, requestID string) (*PackSession, *WeightOverride, error)
	// PackLabel records the open package as labelled: it creates the
	// shipment at the first package, queues the label on the station's
	// printer and, with the order's last item, marks the order packed,
	// all in one transaction.
	PackLabel(ctx context.Context, station string, p NewPackage, override *WeightOverride) (*PackSession, *OrderShipment, *PrintJob, error)
	// PackCancel puts the order on the bench aside (its labelled
	// packages stay).
	PackCancel(ctx context.Context, station string) (*PackSession, error)
}

// ShipmentService reads shipments and ships them.
type ShipmentService interface {
	// Shipment returns one shipment; ENOTFOUND.
	Shipment(ctx context.Context, id string) (*OrderShipment, error)
	// Shipments lists shipments newest first. EINVALID for a bad status.
	Shipments(ctx context.Context, f ShipmentFilter) ([]*OrderShipment, error)
	// ShipmentOfOrder returns the order's latest shipment; ENOTFOUND.
	ShipmentOfOrder(ctx context.Context, orderID string) (*OrderShipment, error)
	// DockScan marks shipped the package whose label was scanned (its
	// tracking number or SSCC), and the shipment and the order once every
	// live package has shipped. ENOTFOUND for a label Pickwave did not
	// print, ECONFLICT for a voided package; a package already shipped
	// is answered as it is.
	DockScan(ctx context.Context, data string) (*OrderShipment, *Package, error)
	// ShipPackages marks shipped every listed package (a closed manifest).
	ShipPackages(ctx context.Context, tracking []string) ([]*OrderShipment, error)
	// VoidPackage voids a labelled package with a reason: its items are
	// to be packed again. ECONFLICT once shipped.
	VoidPackage(ctx context.Context, shipmentID string, number int, reason string) (*OrderShipment, error)
	// ReprintPackage queues the package's label again, idempotently on
	// requestID. ECONFLICT for a voided package.
	ReprintPackage(ctx context.Context, shipmentID string, number int, reason, requestID string) (*OrderShipment, *PrintJob, bool, error)
	// Track returns a package's public tracking; ENOTFOUND.
	Track(ctx context.Context, tracking string) (*Tracking, error)
}
