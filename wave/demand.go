package wave

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/pickwave/pickwave"
)

// Demand is what planning needs to know of an order: its lines at the
// locations allocated to them. The store fills it from a pickwave.Order.
type Demand struct {
	ID       string               `json:"id"`
	Status   pickwave.OrderStatus `json:"status"`
	Carrier  string               `json:"carrier"`
	Service  string               `json:"service"`
	Priority int                  `json:"priority"` // higher is more urgent
	// ShipBy is the carrier cut-off the order must make; zero means none.
	ShipBy time.Time `json:"ship_by"`
	// CreatedAt orders first-come-first-served; ties keep the input order.
	CreatedAt time.Time `json:"created_at"`
	Lines     []Line    `json:"lines"`
}

// Line is one SKU of an order at one location allocated to it.
type Line struct {
	SKU      string `json:"sku"`
	Qty      int    `json:"qty"`
	Location string `json:"location"`
	Aisle    int    `json:"aisle"`
	Bay      int    `json:"bay"`
	Zone     string `json:"zone,omitempty"`
	// Unit is the size of one unit of the SKU; zero sizes are not checked.
	Unit pickwave.Dims `json:"unit_mm"`
}

// Units returns the number of units of the order.
func (o Demand) Units() int {
	n := 0
	for _, l := range o.Lines {
		n += l.Qty
	}
	return n
}

// toteVolume is the volume a tote can be filled to, +Inf when unknown.
func toteVolume(c pickwave.ToteCapacity) float64 {
	if !c.Inner.Known() {
		return inf
	}
	ff := c.FillFactor
	if ff == 0 {
		ff = 1
	}
	return c.Inner.VolumeMM3() * ff
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
func packTotes(o *Demand, lines []int, c pickwave.ToteCapacity) ([][]pickRef, string) {
	vol := toteVolume(c)
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
		if !l.Unit.Known() {
			uv = 0
		}
		if uv > vol || (l.Unit.Known() && c.Inner.Known() && !l.Unit.FitsIn(c.Inner)) {
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
func buildUnits(f *frame, orders []Demand, opts Options) ([][]unit, error) {
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
