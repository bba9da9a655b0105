package pickwave

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// Barcode is one code printed on a SKU's packaging and the number of units
// a scan of it stands for: 1 for the each, 12 for a case of twelve.
type Barcode struct {
	Code string `json:"code"`
	Qty  int    `json:"qty"`
}

// SKU is a stock-keeping unit: one product as the warehouse counts it.
type SKU struct {
	Code          string    `json:"code"`
	Name          string    `json:"name"`
	Barcodes      []Barcode `json:"barcodes"`
	WeightG       int       `json:"weight_g"`
	LengthMM      int       `json:"length_mm"`
	WidthMM       int       `json:"width_mm"`
	HeightMM      int       `json:"height_mm"`
	LotTracked    bool      `json:"lot_tracked"`
	ExpiryTracked bool      `json:"expiry_tracked"`
	ImageURL      string    `json:"image_url,omitempty"`
	// ReorderPoint and ReorderQty: when available stock across the site
	// falls below the point, a reorder.suggested event proposes ordering
	// the quantity. Zero point: no reorder signals.
	ReorderPoint int       `json:"reorder_point,omitempty"`
	ReorderQty   int       `json:"reorder_qty,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Limits on free-text fields, so one bad record cannot bloat every page.
const (
	MaxCodeLen  = 64
	MaxNameLen  = 200
	MaxBarcodes = 16
)

// Validate checks the SKU's own fields. Barcode check digits and uniqueness
// are checked by the store, which knows GS1 rules and the other SKUs.
func (s *SKU) Validate() error {
	var fe FieldErrors
	checkCode(&fe, "code", s.Code)
	if s.Name == "" {
		fe.Add("name", "is required")
	} else if len(s.Name) > MaxNameLen {
		fe.Add("name", "is longer than %d characters", MaxNameLen)
	}
	if len(s.Barcodes) > MaxBarcodes {
		fe.Add("barcodes", "has more than %d entries", MaxBarcodes)
	}
	for i, b := range s.Barcodes {
		if b.Code == "" {
			fe.Add(indexed("barcodes", i, "code"), "is required")
		}
		if b.Qty < 1 {
			fe.Add(indexed("barcodes", i, "qty"), "must be at least 1")
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"weight_g", s.WeightG}, {"length_mm", s.LengthMM}, {"width_mm", s.WidthMM}, {"height_mm", s.HeightMM}} {
		if f.v < 0 {
			fe.Add(f.name, "must not be negative")
		}
	}
	if s.ReorderPoint < 0 || s.ReorderPoint > MaxStock {
		fe.Add("reorder_point", "must be between 0 and %d", MaxStock)
	}
	if s.ReorderQty < 0 || s.ReorderQty > MaxStock {
		fe.Add("reorder_qty", "must be between 0 and %d", MaxStock)
	}
	if s.ExpiryTracked && !s.LotTracked {
		fe.Add("expiry_tracked", "needs lot_tracked: expiry dates are kept per lot")
	}
	return fe.Err("The SKU is not valid.")
}

// VolumeCM3 is the SKU's unit volume in cubic centimetres (0 when unknown).
func (s *SKU) VolumeCM3() float64 {
	return float64(s.LengthMM) * float64(s.WidthMM) * float64(s.HeightMM) / 1000
}

// LocationKind says whether a location is picked from or holds reserve stock.
type LocationKind string

// Location kinds. Orders are allocated from pick locations only.
const (
	LocationPick    LocationKind = "pick"
	LocationReserve LocationKind = "reserve"
)

// Location is one bin: a bay level in an aisle.
type Location struct {
	Code  string       `json:"code"`
	Zone  string       `json:"zone"`
	Aisle int          `json:"aisle"`
	Bay   int          `json:"bay"`
	Level int          `json:"level"`
	Kind  LocationKind `json:"kind"`
	// Face makes a pick location the pick face of one SKU, with the
	// min/max that replenishment keeps it between; nil for none.
	Face      *PickFace `json:"face,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// PickFace is a pick location's SKU and the units it should hold:
// replenishment is due when available stock drops below Min and fills it
// up to Max, which is also the room putaway counts on.
type PickFace struct {
	SKU string `json:"sku"`
	Min int    `json:"min"`
	Max int    `json:"max"`
}

// Validate checks the location's fields.
func (l *Location) Validate() error {
	var fe FieldErrors
	checkCode(&fe, "code", l.Code)
	if len(l.Zone) > MaxCodeLen {
		fe.Add("zone", "is longer than %d characters", MaxCodeLen)
	}
	if l.Aisle < 1 || l.Aisle > MaxAisles {
		fe.Add("aisle", "must be between 1 and %d", MaxAisles)
	}
	if l.Bay < 1 || l.Bay > MaxBays {
		fe.Add("bay", "must be between 1 and %d", MaxBays)
	}
	if l.Level < 0 || l.Level > MaxLevels {
		fe.Add("level", "must be between 0 and %d", MaxLevels)
	}
	if !slices.Contains(LocationKinds, l.Kind) {
		fe.Add("kind", "must be %q, %q or %q", LocationPick, LocationReserve, LocationReceiving)
	}
	if f := l.Face; f != nil {
		checkCode(&fe, "face.sku", f.SKU)
		if l.Kind != LocationPick {
			fe.Add("face", "is for pick locations only")
		}
		if f.Max < 1 || f.Max > MaxStock {
			fe.Add("face.max", "must be between 1 and %d", MaxStock)
		}
		if f.Min < 0 || f.Min > f.Max {
			fe.Add("face.min", "must be between 0 and max")
		}
	}
	return fe.Err("The location is not valid.")
}

// MaxStock bounds the units of one stock row and of one adjustment, far
// above any shelf, so that no sum of them can overflow.
const MaxStock = 1_000_000_000

// MaxLevels bounds a location's shelf level.
const MaxLevels = 100

// Stock is the quantity of one SKU lot at one location. Available is what
// new orders may still reserve.
type Stock struct {
	SKU      string     `json:"sku"`
	Location string     `json:"location"`
	Lot      string     `json:"lot"`
	Expiry   *time.Time `json:"expiry,omitempty"`
	OnHand   int        `json:"on_hand"`
	Reserved int        `json:"reserved"`
	// ReceivedSeq is the event sequence of the first receipt of this lot at
	// this location; allocation takes the lowest first (FIFO).
	ReceivedSeq uint64 `json:"received_seq"`
	// CountID names the cycle count this row is held for after a short
	// pick: nothing is allocated from a held row. The hold lifts when the
	// count is confirmed and the row's reservations fit its stock; until
	// then Reserved may exceed OnHand.
	CountID string `json:"count_id,omitempty"`
}

// Available is the quantity that is on hand, not yet reserved and free to
// allocate: none while the row is held for a count.
func (s *Stock) Available() int {
	if s.CountID != "" {
		return 0
	}
	return s.OnHand - s.Reserved
}

// Adjustment changes the on-hand quantity of a SKU lot at a location:
// receipts, counts, damages. Delta is signed.
type Adjustment struct {
	SKU      string     `json:"sku"`
	Location string     `json:"location"`
	Lot      string     `json:"lot"`
	Expiry   *time.Time `json:"expiry,omitempty"`
	Delta    int        `json:"delta"`
	Reason   string     `json:"reason"`
}

// Adjustment reasons a client may send.
var AdjustmentReasons = []string{"receipt", "count", "damage", "return", "correction", "transfer"}

// Stock movement reasons, in stock.moved events.
const (
	MovePutaway   = "putaway"
	MoveReplenish = "replenish"
	MoveManual    = "move"
)

// Validate checks the adjustment's own fields.
func (a *Adjustment) Validate() error {
	var fe FieldErrors
	checkCode(&fe, "sku", a.SKU)
	checkCode(&fe, "location", a.Location)
	if a.Lot != "" {
		checkCode(&fe, "lot", a.Lot)
	}
	switch {
	case a.Delta == 0:
		fe.Add("delta", "must not be zero")
	case a.Delta > MaxStock || a.Delta < -MaxStock:
		fe.Add("delta", "must be between -%d and %d", MaxStock, MaxStock)
	}
	if !slices.Contains(AdjustmentReasons, a.Reason) {
		fe.Add("reason", "must be one of %v", AdjustmentReasons)
	}
	return fe.Err("The adjustment is not valid.")
}

// InventoryService keeps SKUs, locations and stock.
type InventoryService interface {
	// CreateSKU adds a SKU. EINVALID for bad fields or barcodes, ECONFLICT
	// when the code or a barcode is already taken.
	CreateSKU(ctx context.Context, sku *SKU) error
	// SKU returns one SKU by code; ENOTFOUND when there is none.
	SKU(ctx context.Context, code string) (*SKU, error)
	// SKUByBarcode finds the SKU and the barcode a scanned code stands for,
	// in any of its GTIN forms; ENOTFOUND when none matches.
	SKUByBarcode(ctx context.Context, code string) (*SKU, Barcode, error)
	// SKUs lists SKUs in code order after the given code.
	SKUs(ctx context.Context, after string, limit int) ([]*SKU, error)

	// CreateLocation adds a location. EINVALID, ECONFLICT.
	CreateLocation(ctx context.Context, loc *Location) error
	// Location returns one location; ENOTFOUND.
	Location(ctx context.Context, code string) (*Location, error)
	// Locations lists locations in code order after the given code.
	Locations(ctx context.Context, after string, limit int) ([]*Location, error)

	// AdjustStock applies an adjustment and returns the resulting stock row.
	// EINVALID for bad fields or when stock would go below what is reserved
	// or below zero; ENOTFOUND for an unknown SKU or location.
	AdjustStock(ctx context.Context, adj *Adjustment) (*Stock, error)
	// StockOf lists a SKU's stock rows; ENOTFOUND for an unknown SKU.
	StockOf(ctx context.Context, sku string) ([]*Stock, error)

	// SetPickFace makes a pick location the pick face of a SKU with its
	// min/max, or clears it (face nil). A face now below its min gets a
	// replenishment task at once. EINVALID for bad fields or a location
	// that is not a pick location, ENOTFOUND for an unknown location or
	// SKU, ECONFLICT when another location is already the SKU's face.
	SetPickFace(ctx context.Context, location string, face *PickFace) (*Location, error)
	// SetReorder changes a SKU's reorder point and quantity; available
	// stock already below the new point suggests a reorder at once.
	// EINVALID, ENOTFOUND.
	SetReorder(ctx context.Context, sku string, r Reorder) (*SKU, error)

	// CountService resolves the cycle counts that short picks raise.
	CountService
	// CountRequestService raises counts on demand and reports accuracy.
	CountRequestService
}

// Reorder is a SKU's reorder signal: when available stock across the
// site falls below Point, a reorder.suggested event proposes ordering
// Qty. A zero Point turns the signal off.
type Reorder struct {
	Point int `json:"reorder_point"`
	Qty   int `json:"reorder_qty"`
}

// Validate checks the reorder settings.
func (r *Reorder) Validate() error {
	var fe FieldErrors
	if r.Point < 0 || r.Point > MaxStock {
		fe.Add("reorder_point", "must be between 0 and %d", MaxStock)
	}
	if r.Qty < 0 || r.Qty > MaxStock {
		fe.Add("reorder_qty", "must be between 0 and %d", MaxStock)
	}
	if r.Point > 0 && r.Qty == 0 {
		fe.Add("reorder_qty", "must be at least 1 when reorder_point is set: the quantity to propose")
	}
	return fe.Err("The reorder settings are not valid.")
}

func checkCode(fe *FieldErrors, field, v string) {
	if problem := CodeProblem(v); problem != "" {
		fe.Add(field, "%s", problem)
	}
}

// CodeProblem says what makes v unfit as a code (SKU, location, tote,
// station, lot): "" when it is fit. Codes are 1 to MaxCodeLen bytes of
// valid UTF-8, printable, without spaces, slashes, control or invisible
// formatting characters (a zero-width space would make two codes look
// alike). Every path that takes a code checks it here, the API and the
// scanner alike.
func CodeProblem(v string) string {
	switch {
	case v == "":
		return "is required"
	case len(v) > MaxCodeLen:
		return fmt.Sprintf("is longer than %d characters", MaxCodeLen)
	case !utf8.ValidString(v):
		return "is not valid UTF-8"
	}
	for _, r := range v {
		if r == '/' || unicode.IsSpace(r) || !unicode.IsGraphic(r) {
			return "must not contain spaces, slashes, control or invisible characters"
		}
	}
	return ""
}

func indexed(list string, i int, field string) string {
	return list + "[" + strconv.Itoa(i) + "]." + field
}
