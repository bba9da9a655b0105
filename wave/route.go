package wave

import (
	"slices"
	"strconv"

	"github.com/pickwave/pickwave"
)

// Routing methods, as reported in Route.Method.
const (
	MethodExact      = "exact"       // Ratliff–Rosenthal optimum (one block)
	MethodHeuristic  = "heuristic"   // 2-opt/Or-opt + iterated local search (several blocks)
	MethodSShape     = "sshape"      // S-shape (traversal) policy
	MethodLargestGap = "largest_gap" // largest-gap policy
)

// Route is one cart's walk from the depot through every pick position and
// back. Stops are the distinct positions in walking order, without the
// depot. DistanceM is the length of the walk the method prescribes: for the
// exact and heuristic methods that is Walk(layout, Stops); S-shape and
// largest gap walk whole aisles by rule and can be longer than
// Walk(layout, Stops). SShapeM is the S-shape length of the same positions.
type Route struct {
	Method    string     `json:"method"`
	Stops     []Position `json:"stops"`
	DistanceM float64    `json:"distance_m"`
	SShapeM   float64    `json:"sshape_distance_m"`
}

// Router routes carts on one layout. It keeps scratch space between calls,
// so it is cheap to call often and not safe for concurrent use: use one
// Router per goroutine.
type Router struct {
	f    *frame
	x    *exact // nil with several blocks
	t    *tsp
	pb   policyBuf
	keys []uint32
}

// kicks is the effort of the several-block heuristic: rounds of iterated
// local search for a final route of n positions.
func kicks(n int) int { return 20 + 2*n }

// NewRouter returns a router for l, or l's validation error.
func NewRouter(l pickwave.Layout) (*Router, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	f := newFrame(l)
	r := &Router{f: f, t: &tsp{f: f}}
	if f.blocks() == 1 {
		r.x = &exact{f: f}
	}
	return r, nil
}

// clone returns a router on the same layout with its own scratch space.
func (r *Router) clone() *Router {
	c := &Router{f: r.f, t: &tsp{f: r.f}}
	if r.x != nil {
		c.x = &exact{f: r.f}
	}
	return c
}

// Route returns the best route the router knows for the positions (in any
// order, repeats allowed): the exact optimum on a one-block layout, else the
// best of the heuristic and S-shape. It returns an EINVALID error when a
// position is outside the layout.
func (r *Router) Route(ps []Position) (Route, error) {
	keys, err := r.keysOf(ps)
	if err != nil {
		return Route{}, err
	}
	order, length, method := r.best(keys)
	_, s := r.f.sshape(keys, &r.pb, false)
	return Route{Method: method, Stops: r.positions(order), DistanceM: length, SShapeM: s}, nil
}

// SShape returns the S-shape route of the positions.
func (r *Router) SShape(ps []Position) (Route, error) {
	keys, err := r.keysOf(ps)
	if err != nil {
		return Route{}, err
	}
	order, s := r.f.sshape(keys, &r.pb, true)
	return Route{Method: MethodSShape, Stops: r.positions(order), DistanceM: s, SShapeM: s}, nil
}

// LargestGap returns the largest-gap route of the positions.
func (r *Router) LargestGap(ps []Position) (Route, error) {
	keys, err := r.keysOf(ps)
	if err != nil {
		return Route{}, err
	}
	order, g := r.f.largestGap(keys, &r.pb, true)
	_, s := r.f.sshape(keys, &r.pb, false)
	return Route{Method: MethodLargestGap, Stops: r.positions(order), DistanceM: g, SShapeM: s}, nil
}

// best routes sorted distinct keys with the best method available.
func (r *Router) best(keys []uint32) ([]uint32, float64, string) {
	if r.x != nil {
		order, _ := r.x.route(keys)
		// Report the walk of the stops themselves; it equals the optimum up
		// to rounding and is what anyone recomputes.
		return order, r.walkKeys(order), MethodExact
	}
	sOrder, sLen := r.f.sshape(keys, &r.pb, true)
	gOrder, _ := r.f.largestGap(keys, &r.pb, true)
	order, _ := r.t.solve(keys, [][]uint32{sOrder, gOrder}, kicks(len(keys)))
	length := r.walkKeys(order)
	if sLen < length {
		return sOrder, sLen, MethodSShape
	}
	return order, length, MethodHeuristic
}

// length is the batching objective for sorted keys (repeats allowed): the
// exact optimum on one block. On several blocks the heuristic costs tens of
// microseconds a cart, too much for a search that evaluates carts hundreds
// of thousands of times, so the objective is the shorter of the S-shape and
// largest-gap walks, computed in linear time; final routes still get the
// heuristic.
func (r *Router) length(keys []uint32) float64 {
	if r.x != nil {
		return r.x.length(keys)
	}
	keys = dedupSorted(keys)
	_, s := r.f.sshape(keys, &r.pb, false)
	_, g := r.f.largestGap(keys, &r.pb, false)
	return min(s, g)
}

func (r *Router) walkKeys(order []uint32) float64 {
	if len(order) == 0 {
		return 0
	}
	prev, total := r.f.depotSpot(), 0.0
	for _, k := range order {
		s := r.f.keySpot(k)
		total += r.f.dist(prev, s)
		prev = s
	}
	return total + r.f.dist(prev, r.f.depotSpot())
}

// key packs a position of the frame: aisle in the high 16 bits, frame bay
// in the low 16, so sorting keys sorts by aisle, then by distance from the
// depot's cross aisle.
func (f *frame) key(p Position) uint32 {
	return uint32(p.Aisle)<<16 | uint32(f.frameBay(p.Bay))
}

func (f *frame) position(k uint32) Position {
	return Position{Aisle: int(k >> 16), Bay: f.frameBay(int(k & 0xffff))}
}

func (r *Router) keysOf(ps []Position) ([]uint32, error) {
	r.keys = r.keys[:0]
	var fe pickwave.FieldErrors
	for i, p := range ps {
		if p.Aisle < 1 || p.Aisle > r.f.aisles || p.Bay < 1 || p.Bay > r.f.bays {
			fe.Add("positions["+strconv.Itoa(i)+"]", "aisle %d bay %d is outside the layout (%d aisles of %d bays)", p.Aisle, p.Bay, r.f.aisles, r.f.bays)
			continue
		}
		r.keys = append(r.keys, r.f.key(p))
	}
	if err := fe.Err("Some positions are outside the layout."); err != nil {
		return nil, err
	}
	slices.Sort(r.keys)
	r.keys = dedupSorted(r.keys)
	return slices.Clone(r.keys), nil
}

func (r *Router) positions(order []uint32) []Position {
	out := make([]Position, len(order))
	for i, k := range order {
		out[i] = r.f.position(k)
	}
	return out
}

// dedupSorted removes repeats from sorted keys in place.
func dedupSorted(keys []uint32) []uint32 {
	if len(keys) < 2 {
		return keys
	}
	j := 1
	for i := 1; i < len(keys); i++ {
		if keys[i] != keys[j-1] {
			keys[j] = keys[i]
			j++
		}
	}
	return keys[:j]
}
