package wave

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/pickwave/pickwave"
)

// StatusAllocated is the order status a wave may pick: stock is reserved
// and nothing has been picked yet.
const StatusAllocated = "allocated"

// Order is what planning needs to know of an order; the store fills it.
type Order struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Carrier  string `json:"carrier"`
	Service  string `json:"service"`
	Priority int    `json:"priority"` // higher is more urgent
	// ShipBy is the carrier cut-off the order must make; zero means none.
	ShipBy time.Time `json:"ship_by"`
	// CreatedAt orders first-come-first-served; ties keep the input order.
	CreatedAt time.Time `json:"created_at"`
	Lines     []Line    `json:"lines"`
}

// Line is one SKU of an order at the location allocated to it.
type Line struct {
	SKU      string `json:"sku"`
	Qty      int    `json:"qty"`
	Location string `json:"location"`
	Aisle    int    `json:"aisle"`
	Bay      int    `json:"bay"`
	Zone     string `json:"zone,omitempty"`
	// Unit is the size of one unit of the SKU; zero sizes are not checked.
	Unit Dims `json:"unit_mm"`
}

// Units returns the number of units of the order.
func (o Order) Units() int {
	n := 0
	for _, l := range o.Lines {
		n += l.Qty
	}
	return n
}

// Dims are outer (for a SKU unit) or inner (for a tote) sizes in mm.
type Dims struct {
	LengthMM float64 `json:"length_mm"`
	WidthMM  float64 `json:"width_mm"`
	HeightMM float64 `json:"height_mm"`
}

// VolumeMM3 returns length × width × height.
func (d Dims) VolumeMM3() float64 { return d.LengthMM * d.WidthMM * d.HeightMM }

func (d Dims) known() bool { return d.LengthMM > 0 && d.WidthMM > 0 && d.HeightMM > 0 }

// fitsIn reports whether a box d fits in box o in some axis-aligned turn.
func (d Dims) fitsIn(o Dims) bool {
	a := []float64{d.LengthMM, d.WidthMM, d.HeightMM}
	b := []float64{o.LengthMM, o.WidthMM, o.HeightMM}
	slices.Sort(a)
	slices.Sort(b)
	return a[0] <= b[0] && a[1] <= b[1] && a[2] <= b[2]
}

// ToteCapacity is what one tote holds. Zero fields are no limit.
type ToteCapacity struct {
	MaxUnits int  `json:"max_units"`
	Inner    Dims `json:"inner_mm"`
	// FillFactor is the share of the inner volume that can be filled, as
	// units never pack solid; 0 means 1.
	FillFactor float64 `json:"fill_factor"`
}

func (c ToteCapacity) volume() float64 {
	if !c.Inner.known() {
		return inf
	}
	ff := c.FillFactor
	if ff == 0 {
		ff = 1
	}
	return c.Inner.VolumeMM3() * ff
}

func (c ToteCapacity) validate(fe *pickwave.FieldErrors, prefix string) {
	if c.MaxUnits < 0 {
		fe.Add(prefix+"max_units", "must be 0 (no limit) or more, not %d", c.MaxUnits)
	}
	for _, v := range []struct {
		name string
		mm   float64
	}{{"length_mm", c.Inner.LengthMM}, {"width_mm", c.Inner.WidthMM}, {"height_mm", c.Inner.HeightMM}} {
		if !(v.mm >= 0 && v.mm < 1e6) {
			fe.Add(prefix+"inner_mm."+v.name, "must be 0 (unknown) or a size in mm, not %g", v.mm)
		}
	}
	if !(c.FillFactor >= 0 && c.FillFactor <= 1) {
		fe.Add(prefix+"fill_factor", "must be between 0 and 1, not %g", c.FillFactor)
	}
}

// unit is what batching places on carts: an order, or with zone picking the
// part of an order in one zone. It fills one or more totes of one cart.
type unit struct {
	order int    // index in the planned orders
	zone  string // "" unless zone picking
	totes [][]pickRef
	keys  []uint32 // sorted distinct frame keys of its picks
}

// pickRef is part of a line in one tote.
type pickRef struct {
	line int
	qty  int
}

// packTotes splits lines (indexes into o.Lines) into totes, first fit by
// decreasing unit volume; a line may be split across totes. It returns nil
// and a reason when one unit alone does not fit an empty tote.
func packTotes(o *Order, lines []int, c ToteCapacity) ([][]pickRef, string) {
	vol := c.volume()
	maxU := c.MaxUnits
	if maxU == 0 {
		maxU = math.MaxInt
	}
	idx := slices.Clone(lines)
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(o.Lines[b].Unit.VolumeMM3(), o.Lines[a].Unit.VolumeMM3())
	})
	type tote struct {
		units int
		vol   float64
		picks []pickRef
	}
	var totes []tote
	for _, li := range idx {
		l := &o.Lines[li]
		uv := l.Unit.VolumeMM3()
		if !l.Unit.known() {
			uv = 0
		}
		if uv > vol || (l.Unit.known() && c.Inner.known() && !l.Unit.fitsIn(c.Inner)) {
			return nil, fmt.Sprintf("one unit of %s (%gx%gx%g mm) does not fit in a tote", l.SKU, l.Unit.LengthMM, l.Unit.WidthMM, l.Unit.HeightMM)
		}
		q := l.Qty
		fit := func(t *tote) int {
			n := maxU - t.units
			if uv > 0 && !math.IsInf(vol, 1) {
				// An unbounded tote volume would make +Inf/uv, which int()
				// turns negative and the loop would never end.
				n = min(n, int(math.Floor((vol-t.vol)/uv+1e-9)))
			}
			return min(n, q)
		}
		for i := 0; q > 0; i++ {
			if i == len(totes) {
				totes = append(totes, tote{})
			}
			t := &totes[i]
			if n := fit(t); n > 0 {
				t.units += n
				t.vol += float64(n) * uv
				t.picks = append(t.picks, pickRef{li, n})
				q -= n
			}
		}
	}
	out := make([][]pickRef, len(totes))
	for i, t := range totes {
		out[i] = t.picks
	}
	return out, ""
}

// buildUnits checks the orders against the layout and capacity and cuts
// them into batching units, grouped by zone when zonePicking (groups sorted
// by zone name). Every problem is reported as a field error.
func buildUnits(f *frame, orders []Order, opts Options) ([][]unit, error) {
	var fe pickwave.FieldErrors
	seen := make(map[string]int, len(orders))
	groups := map[string][]unit{}
	for oi := range orders {
		o := &orders[oi]
		p := fmt.Sprintf("orders[%d]", oi)
		if o.ID == "" {
			fe.Add(p+".id", "is empty")
		} else if j, dup := seen[o.ID]; dup {
			fe.Add(p+".id", "%q repeats orders[%d]", o.ID, j)
		} else {
			seen[o.ID] = oi
		}
		if len(o.Lines) == 0 {
			fe.Add(p+".lines", "order %q has no lines", o.ID)
			continue
		}
		bad := false
		for li, l := range o.Lines {
			lp := fmt.Sprintf("%s.lines[%d]", p, li)
			if l.Qty < 1 {
				fe.Add(lp+".qty", "must be at least 1, not %d", l.Qty)
				bad = true
			}
			if l.Location == "" {
				fe.Add(lp+".location", "is empty")
				bad = true
			}
			if l.Aisle < 1 || l.Aisle > f.aisles || l.Bay < 1 || l.Bay > f.bays {
				fe.Add(lp+".aisle", "aisle %d bay %d is outside the layout (%d aisles of %d bays)", l.Aisle, l.Bay, f.aisles, f.bays)
				bad = true
			}
			if !(l.Unit.LengthMM >= 0 && l.Unit.WidthMM >= 0 && l.Unit.HeightMM >= 0) {
				fe.Add(lp+".unit_mm", "sizes must not be negative")
				bad = true
			}
		}
		if bad {
			continue
		}
		byZone := map[string][]int{}
		for li, l := range o.Lines {
			z := ""
			if opts.ZonePicking {
				z = l.Zone
			}
			byZone[z] = append(byZone[z], li)
		}
		for _, z := range sortedKeys(byZone) {
			lines := byZone[z]
			totes, why := packTotes(o, lines, opts.Tote)
			if why != "" {
				fe.Add(p+".lines", "%s", why)
				continue
			}
			if len(totes) > opts.TotesPerCart {
				fe.Add(p+".lines", "order %q needs %d totes, a cart holds %d", o.ID, len(totes), opts.TotesPerCart)
				continue
			}
			u := unit{order: oi, zone: z, totes: totes}
			for _, li := range lines {
				u.keys = append(u.keys, f.key(Position{o.Lines[li].Aisle, o.Lines[li].Bay}))
			}
			slices.Sort(u.keys)
			u.keys = dedupSorted(u.keys)
			groups[z] = append(groups[z], u)
		}
	}
	if err := fe.Err("Some orders cannot be planned."); err != nil {
		return nil, err
	}
	out := make([][]unit, 0, len(groups))
	for _, z := range sortedKeys(groups) {
		out = append(out, groups[z])
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
