package pickwave

import (
	"slices"
	"time"
)

// The vocabulary of wave planning. Package wave computes plans from these
// types; the store keeps them in the wave record and the server sends them
// as they are, so one type is one wire format (docs/openapi.yaml).

// WaveTemplate says which orders a wave takes and how big it may grow.
// Empty lists and zero numbers do not filter or cap.
type WaveTemplate struct {
	Name     string   `json:"name"`
	Carriers []string `json:"carriers,omitempty"`
	Services []string `json:"services,omitempty"`
	// ShipByBefore takes only orders with a ship-by strictly before it;
	// orders without a ship-by are then left out.
	ShipByBefore *time.Time `json:"ship_by_before,omitempty"`
	MinPriority  int        `json:"min_priority"`
	// Zones takes only orders whose every line lies in one of them.
	Zones []string `json:"zones,omitempty"`
	// ZonePicking keeps each cart inside one zone: an order with lines in
	// several zones gets a tote on a cart of each.
	ZonePicking bool `json:"zone_picking"`

	MaxOrders int `json:"max_orders"`
	MaxLines  int `json:"max_lines"`
	MaxUnits  int `json:"max_units"`
	MaxCarts  int `json:"max_carts"`

	TotesPerCart int          `json:"totes_per_cart"`
	Tote         ToteCapacity `json:"tote"`
}

// Validate reports fields out of range as an EINVALID error with field
// details, or nil.
func (t WaveTemplate) Validate() error {
	var fe FieldErrors
	for _, c := range []struct {
		name string
		v    int
	}{{"max_orders", t.MaxOrders}, {"max_lines", t.MaxLines}, {"max_units", t.MaxUnits}, {"max_carts", t.MaxCarts}} {
		if c.v < 0 {
			fe.Add(c.name, "must be 0 (no cap) or more, not %d", c.v)
		}
	}
	CheckCart(&fe, "", t.TotesPerCart, t.Tote)
	return fe.Err("The wave template is not valid.")
}

// MaxTotesPerCart is the most totes a cart can hold in a plan.
const MaxTotesPerCart = 1000

// CheckCart adds to fe the field errors of a cart size and a tote capacity,
// naming the fields after prefix ("totes_per_cart", "tote.max_units", ...).
// WaveTemplate.Validate and the planner's options both use it, so the two
// cannot disagree.
func CheckCart(fe *FieldErrors, prefix string, totesPerCart int, tote ToteCapacity) {
	if totesPerCart < 1 || totesPerCart > MaxTotesPerCart {
		fe.Add(prefix+"totes_per_cart", "must be between 1 and %d, not %d", MaxTotesPerCart, totesPerCart)
	}
	p := prefix + "tote."
	if tote.MaxUnits < 0 {
		fe.Add(p+"max_units", "must be 0 (no limit) or more, not %d", tote.MaxUnits)
	}
	for _, v := range []struct {
		name string
		mm   float64
	}{{"length_mm", tote.Inner.LengthMM}, {"width_mm", tote.Inner.WidthMM}, {"height_mm", tote.Inner.HeightMM}} {
		if !(v.mm >= 0 && v.mm < 1e6) {
			fe.Add(p+"inner_mm."+v.name, "must be 0 (unknown) or a size in mm, not %g", v.mm)
		}
	}
	if !(tote.FillFactor >= 0 && tote.FillFactor <= 1) {
		fe.Add(p+"fill_factor", "must be between 0 and 1, not %g", tote.FillFactor)
	}
}

// ToteCapacity is what one tote holds. Zero fields are no limit.
type ToteCapacity struct {
	MaxUnits int  `json:"max_units"`
	Inner    Dims `json:"inner_mm"`
	// FillFactor is the share of the inner volume that can be filled, as
	// units never pack solid; 0 means 1.
	FillFactor float64 `json:"fill_factor"`
}

// Dims are outer (for a SKU unit) or inner (for a tote) sizes in mm.
type Dims struct {
	LengthMM float64 `json:"length_mm"`
	WidthMM  float64 `json:"width_mm"`
	HeightMM float64 `json:"height_mm"`
}

// VolumeMM3 returns length × width × height.
func (d Dims) VolumeMM3() float64 { return d.LengthMM * d.WidthMM * d.HeightMM }

// Known reports whether every size is given (above zero).
func (d Dims) Known() bool { return d.LengthMM > 0 && d.WidthMM > 0 && d.HeightMM > 0 }

// FitsIn reports whether a box d fits in box o in some axis-aligned turn.
func (d Dims) FitsIn(o Dims) bool {
	a := []float64{d.LengthMM, d.WidthMM, d.HeightMM}
	b := []float64{o.LengthMM, o.WidthMM, o.HeightMM}
	slices.Sort(a)
	slices.Sort(b)
	return a[0] <= b[0] && a[1] <= b[1] && a[2] <= b[2]
}

// PlanRequest is what a wave is planned from: the body of POST
// /api/v1/waves, and kept in the wave (Wave.Request) with the defaults
// filled in so that the plan can be made again.
type PlanRequest struct {
	Template WaveTemplate `json:"template"`
	// Seed drives the planner's random choices; the same orders, template
	// and seed give the same plan, byte for byte.
	Seed uint64 `json:"seed"`
}

// Plan is a planned wave: carts, each walked once from the depot and back,
// and the figures to judge it by. Every number can be recomputed from the
// plan and the layout: a cart's distance_m is the shortest walk of its
// stops in order (wave.Walk), sshape_distance_m the S-shape walk of the
// same stops.
type Plan struct {
	ID           string       `json:"id"` // the wave's, assigned by the store
	TotesPerCart int          `json:"totes_per_cart"`
	Carts        []PlanCart   `json:"carts"`
	DistanceM    float64      `json:"distance_m"`
	Baseline     PlanBaseline `json:"baseline"`
}

// PlanCart is one planned trip. Released, it becomes a Cart with a Task
// for every pick.
type PlanCart struct {
	Zone            string     `json:"zone,omitempty"`
	Method          string     `json:"method"` // how it was routed: wave.MethodExact, ...
	Stops           []Stop     `json:"stops"`  // walking order
	DistanceM       float64    `json:"distance_m"`
	SShapeDistanceM float64    `json:"sshape_distance_m"`
	Totes           []PlanTote `json:"totes"`
}

// Stop is one location on a cart's walk. Locations sharing an aisle and bay
// (sides, levels) are consecutive stops at no distance.
type Stop struct {
	Location string `json:"location"`
	Aisle    int    `json:"aisle"`
	Bay      int    `json:"bay"`
}

// PlanTote is one slot of a planned cart, holding one order (or its part).
type PlanTote struct {
	Slot    int    `json:"slot"` // 1-based
	OrderID string `json:"order_id"`
	Picks   []Pick `json:"picks"` // in walking order
}

// Pick is a quantity of a SKU taken from a location into a tote.
type Pick struct {
	Location string `json:"location"`
	Aisle    int    `json:"aisle"`
	Bay      int    `json:"bay"`
	SKU      string `json:"sku"`
	Qty      int    `json:"qty"`
}

// PlanBaseline holds what simpler planning would walk for the same orders.
type PlanBaseline struct {
	// FCFSSShapeM: carts filled in order of arrival, walked S-shape.
	FCFSSShapeM float64 `json:"fcfs_sshape_m"`
	// FCFSM: the same carts, routed like the plan.
	FCFSM float64 `json:"fcfs_m"`
	// OrderByOrderM: every order on a trip of its own, routed like the plan.
	OrderByOrderM float64 `json:"order_by_order_m"`
}
