package wave

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/pickwave/pickwave"
)

// Options steer Plan. The zero value is not enough: TotesPerCart is
// required.
type Options struct {
	TotesPerCart int                   `json:"totes_per_cart"`
	Tote         pickwave.ToteCapacity `json:"tote"`
	// ZonePicking keeps every cart inside one zone (Line.Zone); an order
	// with lines in several zones gets a tote on a cart of each zone.
	ZonePicking bool `json:"zone_picking"`
	// Seed drives the random choices of the search; the same orders,
	// options and seed give the same plan.
	Seed uint64 `json:"seed"`
	// Effort scales the search budget; 0 means 1. The budget is counted in
	// route evaluations, never in time.
	Effort float64 `json:"effort"`
}

// Validate reports options that cannot be planned with.
func (o Options) Validate() error {
	var fe pickwave.FieldErrors
	o.validate(&fe, "")
	return fe.Err("The planning options are not valid.")
}

func (o Options) validate(fe *pickwave.FieldErrors, prefix string) {
	pickwave.CheckCart(fe, prefix, o.TotesPerCart, o.Tote)
	if !(o.Effort >= 0 && o.Effort <= 100) {
		fe.Add(prefix+"effort", "must be between 0 and 100, not %g", o.Effort)
	}
}

// searchBudget is the batching search's budget in route evaluations:
// generous per unit on small waves, less per unit as waves grow, so 10,000
// orders stay well within two seconds. It depends on the instance alone,
// never on the clock.
func searchBudget(n int, effort float64) int {
	if effort == 0 {
		effort = 1
	}
	var b float64
	switch {
	case n <= 300:
		b = 600 * float64(n)
	case n <= 2000:
		b = 180000 + 100*float64(n-300)
	default:
		b = 350000 + 40*float64(n-2000)
	}
	return int(b * effort)
}

// multiBlockSlowdown is how much more a batching evaluation costs on
// several blocks (two policy walks) than on one (the bitmask DP).
const multiBlockSlowdown = 4

// Plan batches the orders onto carts on layout l and routes every cart. Orders are
// taken as given (see Select); an order that cannot be planned (a line
// outside the layout, a unit bigger than a tote, more totes than a cart)
// fails the whole call with an EINVALID error naming every such field.
func Plan(l pickwave.Layout, orders []Demand, opts Options) (pickwave.Plan, error) {
	var fe pickwave.FieldErrors
	if err := l.Validate(); err != nil {
		return pickwave.Plan{}, err
	}
	opts.validate(&fe, "")
	if err := fe.Err("The planning options are not valid."); err != nil {
		return pickwave.Plan{}, err
	}
	r, _ := NewRouter(l)
	groups, err := buildUnits(r.f, orders, opts)
	if err != nil {
		return pickwave.Plan{}, err
	}
	p := pickwave.Plan{TotesPerCart: opts.TotesPerCart, Carts: []pickwave.PlanCart{}}
	for gi, units := range groups {
		seed := opts.Seed ^ uint64(gi)*0x9e3779b97f4a7c15
		budget := searchBudget(len(units), opts.Effort)
		if r.x == nil {
			// Policy walks cost several times an exact DP: keep the time.
			budget /= multiBlockSlowdown
		}
		carts := batchUnits(r, units, opts.TotesPerCart, seed, budget)
		p.Carts = append(p.Carts, routeCarts(r, orders, units, carts)...)
		addBaseline(&p.Baseline, r, orders, units, opts.TotesPerCart)
	}
	for _, c := range p.Carts {
		p.DistanceM += c.DistanceM
	}
	p.DistanceM = round3(p.DistanceM)
	p.Baseline.FCFSM = round3(p.Baseline.FCFSM)
	p.Baseline.FCFSSShapeM = round3(p.Baseline.FCFSSShapeM)
	p.Baseline.OrderByOrderM = round3(p.Baseline.OrderByOrderM)
	return p, nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// cart routes the units of one cart and lays out stops and totes.
func (r *Router) cart(orders []Demand, units []unit, members []int32) pickwave.PlanCart {
	var keys []uint32
	for _, u := range members {
		keys = append(keys, units[u].keys...)
	}
	slices.Sort(keys)
	keys = dedupSorted(keys)
	order, length, method := r.best(keys)
	_, sLen := r.f.sshape(keys, &r.pb, false)
	rank := make(map[uint32]int, len(order))
	for i, k := range order {
		rank[k] = i
	}
	c := pickwave.PlanCart{Zone: units[members[0]].zone, Method: method, DistanceM: round3(length), SShapeDistanceM: round3(sLen)}

	// Totes, slots in the order their first pick comes up on the walk.
	type slot struct {
		first int
		tote  pickwave.PlanTote
	}
	var slots []slot
	locs := map[string]Position{}
	for _, u := range members {
		un := &units[u]
		o := &orders[un.order]
		for _, tp := range un.totes {
			t := pickwave.PlanTote{OrderID: o.ID}
			first := math.MaxInt
			for _, pr := range tp {
				ln := &o.Lines[pr.line]
				pos := Position{ln.Aisle, ln.Bay}
				t.Picks = append(t.Picks, pickwave.Pick{Location: ln.Location, Aisle: ln.Aisle, Bay: ln.Bay, SKU: ln.SKU, Qty: pr.qty})
				first = min(first, rank[r.f.key(pos)])
				locs[ln.Location] = pos
			}
			slices.SortStableFunc(t.Picks, func(a, b pickwave.Pick) int {
				return cmp.Or(cmp.Compare(rank[r.f.key(Position{a.Aisle, a.Bay})], rank[r.f.key(Position{b.Aisle, b.Bay})]),
					cmp.Compare(a.Location, b.Location), cmp.Compare(a.SKU, b.SKU))
			})
			slots = append(slots, slot{first, t})
		}
	}
	slices.SortStableFunc(slots, func(a, b slot) int {
		return cmp.Or(cmp.Compare(a.first, b.first), cmp.Compare(a.tote.OrderID, b.tote.OrderID))
	})
	for i, s := range slots {
		s.tote.Slot = i + 1
		c.Totes = append(c.Totes, s.tote)
	}
	for loc, pos := range locs {
		c.Stops = append(c.Stops, pickwave.Stop{Location: loc, Aisle: pos.Aisle, Bay: pos.Bay})
	}
	slices.SortFunc(c.Stops, func(a, b pickwave.Stop) int {
		return cmp.Or(cmp.Compare(rank[r.f.key(Position{a.Aisle, a.Bay})], rank[r.f.key(Position{b.Aisle, b.Bay})]),
			cmp.Compare(a.Location, b.Location))
	})
	return c
}

// routeCarts routes the carts on annealChains goroutines, each with its own
// router; every cart's route depends on the cart alone, so the result does
// not depend on the scheduling.
func routeCarts(r *Router, orders []Demand, units []unit, carts [][]int32) []pickwave.PlanCart {
	out := make([]pickwave.PlanCart, len(carts))
	var wg sync.WaitGroup
	for w := range annealChains {
		rw := r.clone()
		wg.Go(func() {
			for i := w; i < len(carts); i += annealChains {
				out[i] = rw.cart(orders, units, carts[i])
			}
		})
	}
	wg.Wait()
	return out
}

// fcfsCarts fills carts in order of arrival: an order that does not fit
// the current cart starts the next one.
func fcfsCarts(orders []Demand, units []unit, capT int) [][]int32 {
	idx := make([]int32, len(units))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		return orders[units[a].order].CreatedAt.Compare(orders[units[b].order].CreatedAt)
	})
	var carts [][]int32
	load := capT + 1
	for _, u := range idx {
		n := len(units[u].totes)
		if load+n > capT {
			carts = append(carts, nil)
			load = 0
		}
		carts[len(carts)-1] = append(carts[len(carts)-1], u)
		load += n
	}
	return carts
}

// addBaseline accumulates the baselines of one group of units.
func addBaseline(bl *pickwave.PlanBaseline, r *Router, orders []Demand, units []unit, capT int) {
	var keys []uint32
	for _, c := range fcfsCarts(orders, units, capT) {
		keys = keys[:0]
		for _, u := range c {
			keys = append(keys, units[u].keys...)
		}
		slices.Sort(keys)
		keys = dedupSorted(keys)
		_, s := r.f.sshape(keys, &r.pb, false)
		bl.FCFSSShapeM += s
		bl.FCFSM += r.length(keys)
	}
	for _, u := range units {
		bl.OrderByOrderM += r.length(u.keys)
	}
}

// Check recomputes plan p on layout l against the orders and options it was made
// from and returns an EINVALID error listing every disagreement: a line not
// picked in full or picked twice, a tote over capacity, a cart over its
// totes or across zones, a stop missing or extra, a distance that does not
// match its stops.
func Check(l pickwave.Layout, p pickwave.Plan, orders []Demand, opts Options) error {
	if err := l.Validate(); err != nil {
		return err
	}
	r, _ := NewRouter(l)
	var fe pickwave.FieldErrors
	type lineKey struct {
		order, loc, sku string
	}
	want := map[lineKey]int{}
	lineOf := map[lineKey]Line{}
	for _, o := range orders {
		for _, ln := range o.Lines {
			k := lineKey{o.ID, ln.Location, ln.SKU}
			want[k] += ln.Qty
			lineOf[k] = ln
		}
	}
	got := map[lineKey]int{}
	total := 0.0
	maxU := opts.Tote.MaxUnits
	vol := toteVolume(opts.Tote)
	for ci, c := range p.Carts {
		cp := fmt.Sprintf("carts[%d]", ci)
		if len(c.Totes) > opts.TotesPerCart {
			fe.Add(cp+".totes", "has %d totes, a cart holds %d", len(c.Totes), opts.TotesPerCart)
		}
		stopLocs := map[string]bool{}
		var stops []Position
		for _, s := range c.Stops {
			stopLocs[s.Location] = true
			pos := Position{s.Aisle, s.Bay}
			if len(stops) == 0 || stops[len(stops)-1] != pos {
				stops = append(stops, pos)
			}
		}
		pickLocs := map[string]bool{}
		for ti, t := range c.Totes {
			tp := fmt.Sprintf("%s.totes[%d]", cp, ti)
			if t.Slot != ti+1 {
				fe.Add(tp+".slot", "is %d, want %d", t.Slot, ti+1)
			}
			units, volume := 0, 0.0
			for _, pk := range t.Picks {
				k := lineKey{t.OrderID, pk.Location, pk.SKU}
				ln, ok := lineOf[k]
				if !ok {
					fe.Add(tp+".picks", "order %q has no line of %s at %s", t.OrderID, pk.SKU, pk.Location)
					continue
				}
				if opts.ZonePicking && ln.Zone != c.Zone {
					fe.Add(tp+".picks", "%s is in zone %q, the cart in %q", pk.Location, ln.Zone, c.Zone)
				}
				got[k] += pk.Qty
				units += pk.Qty
				if ln.Unit.Known() {
					volume += float64(pk.Qty) * ln.Unit.VolumeMM3()
				}
				pickLocs[pk.Location] = true
				if !stopLocs[pk.Location] {
					fe.Add(tp+".picks", "%s is not a stop of the cart", pk.Location)
				}
			}
			if maxU > 0 && units > maxU {
				fe.Add(tp, "holds %d units, a tote %d", units, maxU)
			}
			if volume > vol*(1+1e-9) {
				fe.Add(tp, "holds %.0f mm³, a tote %.0f", volume, vol)
			}
		}
		for loc := range stopLocs {
			if !pickLocs[loc] {
				fe.Add(cp+".stops", "%s has nothing to pick", loc)
			}
		}
		if len(stops) > 0 {
			if _, err := r.keysOf(stops); err != nil {
				fe.Add(cp+".stops", "a stop is outside the layout")
				continue
			}
		}
		if w := r.f.walk(stops); math.Abs(w-c.DistanceM) > 0.01 {
			fe.Add(cp+".distance_m", "is %.3f, the stops walk %.3f", c.DistanceM, w)
		}
		if s, _ := r.SShape(stops); math.Abs(s.DistanceM-c.SShapeDistanceM) > 0.01 {
			fe.Add(cp+".sshape_distance_m", "is %.3f, S-shape walks %.3f", c.SShapeDistanceM, s.DistanceM)
		}
		total += c.DistanceM
	}
	if math.Abs(total-p.DistanceM) > 0.01 {
		fe.Add("distance_m", "is %.3f, the carts add up to %.3f", p.DistanceM, total)
	}
	for _, o := range orders {
		for _, ln := range o.Lines {
			k := lineKey{o.ID, ln.Location, ln.SKU}
			if q := want[k]; got[k] != q {
				fe.Add("carts", "order %q gets %d of %s at %s, wants %d", k.order, got[k], k.sku, k.loc, q)
				want[k] = got[k] // report each line once
			}
		}
	}
	return fe.Err("The plan does not match its orders.")
}
