package wave

import (
	"math"
	"math/bits"
)

// This file holds the exact single-block router of Ratliff & Rosenthal
// (1983). The tour is built aisle by aisle from the left; after each step
// only the front node a and back node b of the current aisle can still get
// arcs, so a partial tour is summed up by the degree of a and b (zero, odd,
// even) and whether they lie in one component or two. Seven such classes
// exist; each aisle can be covered in six ways and each gap between aisles
// crossed in five, so the optimum costs O(aisles) table look-ups.

// rrState is a class of partial tours.
type rrState int8

const (
	sEmpty  rrState = iota // nothing built yet
	sClosed                // one finished component; nothing may be added
	sUU                    // a odd, b odd, one component
	sE0                    // a even, b untouched
	s0E                    // a untouched, b even
	sEE1                   // a even, b even, one component
	sEE2                   // a even, b even, two components
	nStates
)

// Ways to cover one aisle (arcs inside it).
const (
	vTraverse = iota // a to b once, through every pick
	vBottom          // from a up to the last pick and back
	vTop             // from b down to the first pick and back
	vGap             // both returns, leaving out the largest gap between picks
	vDouble          // a to b twice
	vNone            // nothing: only for an aisle without picks
	nVert
)

// Ways to cross the gap to the next aisle: arcs on the front and back cross
// aisle.
var hArcs = [...][2]int{{0, 0}, {1, 1}, {2, 0}, {0, 2}, {2, 2}}

const nHorz = len(hArcs)

var (
	vNext [nStates][nVert]rrState // -1 where not allowed
	hNext [nStates][nHorz]rrState
	final [nStates]bool
)

// rrDesc spells a state out: degree class of a and b (0 none, 1 odd,
// 2 even) and whether they share a component.
type rrDesc struct {
	da, db int
	conn   bool
	closed bool
}

var rrDescs = [nStates]rrDesc{
	sEmpty: {}, sClosed: {closed: true}, sUU: {1, 1, true, false},
	sE0: {2, 0, false, false}, s0E: {0, 2, false, false},
	sEE1: {2, 2, true, false}, sEE2: {2, 2, false, false},
}

func rrIndex(d rrDesc) rrState {
	if d.da == 0 || d.db == 0 {
		d.conn = false
	}
	for i, e := range rrDescs {
		if e == d {
			return rrState(i)
		}
	}
	return -1
}

func addDeg(d, k int) int {
	if k == 0 {
		return d
	}
	if (d%2+k)%2 == 1 {
		return 1
	}
	return 2
}

// The transition tables are derived from the rules rather than typed in, so
// the seven classes and their moves stay in one place.
func init() {
	for s := range nStates {
		d := rrDescs[s]
		for v := range nVert {
			vNext[s][v] = -1
			if d.closed {
				if v == vNone {
					vNext[s][v] = s
				}
				continue
			}
			var ka, kb int
			join := false
			switch v {
			case vTraverse:
				ka, kb, join = 1, 1, true
			case vDouble:
				ka, kb, join = 2, 2, true
			case vBottom:
				ka = 2
			case vTop:
				kb = 2
			case vGap:
				ka, kb = 2, 2
			}
			n := rrDesc{da: addDeg(d.da, ka), db: addDeg(d.db, kb)}
			switch {
			case join:
				n.conn = true
			case d.da > 0 && d.db > 0:
				n.conn = d.conn
			default:
				n.conn = false // at most one side had a component
			}
			vNext[s][v] = rrIndex(n)
		}
		for h, arcs := range hArcs {
			hNext[s][h] = -1
			ta, tb := arcs[0], arcs[1]
			if s == sEmpty || d.closed {
				if ta == 0 && tb == 0 {
					hNext[s][h] = s
				}
				continue
			}
			// a and b are finished after this step: their degree must end
			// even, and a node without arcs starts no new component.
			if (d.da == 1) != (ta == 1) || (d.db == 1) != (tb == 1) ||
				(d.da == 0 && ta > 0) || (d.db == 0 && tb > 0) {
				continue
			}
			reachA, reachB := d.da > 0 && ta > 0, d.db > 0 && tb > 0
			n := rrDesc{da: ta, db: tb}
			switch {
			case d.da > 0 && d.db > 0 && d.conn:
				if !reachA && !reachB {
					hNext[s][h] = sClosed
					continue
				}
				n.conn = reachA && reachB
			case d.da > 0 && d.db > 0: // two components: each must go on
				if !reachA || !reachB {
					continue
				}
			default: // one component on one side
				if !reachA && !reachB {
					hNext[s][h] = sClosed
					continue
				}
			}
			hNext[s][h] = rrIndex(n)
		}
		final[s] = s == sClosed || s == sE0 || s == s0E || s == sEE1
	}
}

// exact routes one cart on a single-block layout. It keeps scratch space
// and is not safe for concurrent use.
type exact struct {
	f *frame
	// reconstruction scratch
	vbp   [][nStates]rrStep
	hbp   [][nStates]rrStep
	first []int
	chain []int
	seen  []bool
	g     multigraph
}

type rrStep struct {
	from rrState
	how  int8
}

var inf = math.Inf(1)

// aisleCosts returns the cost of each way to cover an aisle whose picks lie
// at ys (ascending, frame metres; the depot counts as a pick at y = 0).
func (x *exact) aisleCosts(m int, ymin, ymax, gap float64) (vc [nVert]float64) {
	L := x.f.length
	vc = [nVert]float64{vTraverse: L, vDouble: 2 * L, vBottom: inf, vTop: inf, vGap: inf, vNone: inf}
	if m == 0 {
		vc[vNone] = 0
		return vc
	}
	vc[vBottom] = 2 * ymax
	vc[vTop] = 2 * (L - ymin)
	if m >= 2 {
		vc[vGap] = 2 * (L - gap)
	}
	return vc
}

// scanAisle reads the picks of aisle a from keys starting at k and returns
// their count (with the depot), lowest and highest y, the largest gap
// between consecutive picks and the index after them.
func (x *exact) scanAisle(keys []uint32, k, a int) (m int, ymin, ymax, gap float64, next int) {
	var prev float64
	if a == x.f.depot {
		m = 1
	}
	w := x.f.w
	for k < len(keys) && int(keys[k]>>16) == a {
		y := (float64(keys[k]&0xffff) - 0.5) * w
		if m == 0 {
			ymin = y
		} else if y-prev > gap {
			gap = y - prev
		}
		prev, ymax = y, y
		m++
		k++
	}
	return m, ymin, ymax, gap, k
}

func keyRange(keys []uint32, depot int) (lo, hi int) {
	lo, hi = int(keys[0]>>16), int(keys[len(keys)-1]>>16)
	return min(lo, depot), max(hi, depot)
}

// length returns the optimal tour length for the picks in keys (sorted
// aisle<<16|frame bay, duplicates allowed) without building the tour. It is
// the transition tables written out by hand for speed (the batching search
// calls it millions of times): the range of aisles starts and ends with an
// aisle holding picks or the depot, so after the first aisle only the five
// states UU, E0, 0E, EE1 and EE2 can lead to a tour. route, built on the
// tables themselves, checks it in the tests.
func (x *exact) length(keys []uint32) float64 {
	if len(keys) == 0 {
		return 0
	}
	lo, hi := keyRange(keys, x.f.depot)
	L, dx := x.f.length, x.f.pitch
	T, D := L, 2*L
	m, ymin, ymax, gap, k := x.scanAisle(keys, 0, lo)
	vc := x.aisleCosts(m, ymin, ymax, gap)
	uu, e0, oe, ee1, ee2 := T, vc[vBottom], vc[vTop], D, vc[vGap]
	for a := lo + 1; a <= hi; a++ {
		// Cross to aisle a.
		uu += 2 * dx
		e0, oe = min(e0, ee1)+2*dx, min(oe, ee1)+2*dx
		ee1 += 4 * dx
		ee2 += 4 * dx
		// Cover aisle a.
		if k >= len(keys) || int(keys[k]>>16) != a {
			if a != x.f.depot {
				uu, ee1 = min(uu, min(e0, oe, ee1, ee2)+T), min(uu+T, min(e0, oe, ee2)+D, ee1)
				continue
			}
		}
		m, ymin, ymax, gap, k = x.scanAisle(keys, k, a)
		vc = x.aisleCosts(m, ymin, ymax, gap)
		bo, to, g := vc[vBottom], vc[vTop], vc[vGap]
		r := min(bo, to, g)
		uu, e0, oe, ee1, ee2 =
			min(uu+r, min(e0, oe, ee1, ee2)+T),
			e0+bo,
			oe+to,
			min(uu+T, min(e0, oe, ee2)+D, ee1+r),
			min(e0+min(to, g), oe+min(bo, g), ee2+r)
	}
	return min(e0, oe, ee1)
}

// lengthMasks is length for picks given as one word per aisle (index =
// aisle, bit i = frame bay i+1), for layouts of at most 64 bays.
func (x *exact) lengthMasks(masks []uint64) float64 {
	d := x.f.depot
	lo, hi := d, d
	for a := 1; a < d; a++ {
		if masks[a] != 0 {
			lo = a
			break
		}
	}
	for a := len(masks) - 1; a > d; a-- {
		if masks[a] != 0 {
			hi = a
			break
		}
	}
	if lo == hi && masks[d] == 0 {
		return 0
	}
	L, dx, w := x.f.length, x.f.pitch, x.f.w
	T, D := L, 2*L
	var uu, e0, oe, ee1, ee2 float64
	for a := lo; a <= hi; a++ {
		mk := masks[a]
		if a > lo {
			uu += 2 * dx
			e0, oe = min(e0, ee1)+2*dx, min(oe, ee1)+2*dx
			ee1 += 4 * dx
			ee2 += 4 * dx
			if mk == 0 && a != d {
				uu, ee1 = min(uu, min(e0, oe, ee1, ee2)+T), min(uu+T, min(e0, oe, ee2)+D, ee1)
				continue
			}
		}
		// Picks of the aisle: lowest and highest bay, widest gap between
		// neighbours; the depot counts as a pick at y = 0.
		var bo, to, g float64
		if mk == 0 { // the depot alone
			bo, to, g = 0, 2*L, inf
		} else {
			first := bits.TrailingZeros64(mk)
			last := 63 - bits.LeadingZeros64(mk)
			bo = 2 * (float64(last) + 0.5) * w
			gap, prev := 0, first
			for r := mk & (mk - 1); r != 0; r &= r - 1 {
				t := bits.TrailingZeros64(r)
				gap = max(gap, t-prev)
				prev = t
			}
			g = 2 * (L - float64(gap)*w)
			if first == last {
				g = inf
			}
			if a == d {
				to = 2 * L
				g = min(g, 2*(L-(float64(first)+0.5)*w))
			} else {
				to = 2 * (L - (float64(first)+0.5)*w)
			}
		}
		r := min(bo, to, g)
		if a == lo {
			uu, e0, oe, ee1, ee2 = T, bo, to, D, g
			continue
		}
		uu, e0, oe, ee1, ee2 =
			min(uu+r, min(e0, oe, ee1, ee2)+T),
			e0+bo,
			oe+to,
			min(uu+T, min(e0, oe, ee2)+D, ee1+r),
			min(e0+min(to, g), oe+min(bo, g), ee2+r)
	}
	return min(e0, oe, ee1)
}

// route returns the optimal visiting order of the distinct keys (sorted,
// distinct) and its length. The DP is run again with back-pointers, the
// chosen arcs form an Eulerian multigraph, and the order in which an Euler
// circuit from the depot first meets each pick is the route.
func (x *exact) route(keys []uint32) ([]uint32, float64) {
	if len(keys) == 0 {
		return nil, 0
	}
	lo, hi := keyRange(keys, x.f.depot)
	n := hi - lo + 1
	if cap(x.vbp) < n {
		x.vbp = make([][nStates]rrStep, n)
		x.hbp = make([][nStates]rrStep, n)
		x.first = make([]int, n+1)
	}
	vbp, hbp, first := x.vbp[:n], x.hbp[:n], x.first[:n+1]
	var cost [nStates]float64
	for i := range cost {
		cost[i] = inf
	}
	cost[sEmpty] = 0
	k := 0
	best, bestState := inf, rrState(-1)
	for a := lo; a <= hi; a++ {
		r := a - lo
		first[r] = k
		m, ymin, ymax, gap, next := x.scanAisle(keys, k, a)
		k = next
		vc := x.aisleCosts(m, ymin, ymax, gap)
		var nc [nStates]float64
		for i := range nc {
			nc[i] = inf
		}
		for s := range nStates {
			c := cost[s]
			if c == inf {
				continue
			}
			for v := range nVert {
				t := vNext[s][v]
				if t >= 0 && c+vc[v] < nc[t] {
					nc[t] = c + vc[v]
					vbp[r][t] = rrStep{rrState(s), int8(v)}
				}
			}
		}
		if a == hi {
			for s := range nStates {
				if final[s] && nc[s] < best {
					best, bestState = nc[s], rrState(s)
				}
			}
			break
		}
		for i := range cost {
			cost[i] = inf
		}
		for s := range nStates {
			c := nc[s]
			if c == inf {
				continue
			}
			for h, arcs := range hArcs {
				t := hNext[s][h]
				step := float64(arcs[0]+arcs[1]) * x.f.pitch
				if t >= 0 && c+step < cost[t] {
					cost[t] = c + step
					hbp[r][t] = rrStep{rrState(s), int8(h)}
				}
			}
		}
	}
	first[n] = len(keys)

	// Walk the back-pointers and lay down the arcs. Vertices: 2r and 2r+1
	// are the front and back ends of aisle lo+r, 2n+i is keys[i], 2n+len(keys)
	// the depot.
	g := &x.g
	g.reset(2*n + len(keys) + 1)
	state := bestState
	for r := n - 1; r >= 0; r-- {
		if r < n-1 {
			st := hbp[r][state]
			arcs := hArcs[st.how]
			for range arcs[0] {
				g.add(2*r, 2*(r+1))
			}
			for range arcs[1] {
				g.add(2*r+1, 2*(r+1)+1)
			}
			state = st.from
		}
		st := vbp[r][state]
		x.layAisle(r, lo, int(st.how), keys, first[r], first[r+1], n)
		state = st.from
	}
	walk := g.euler(2*n + len(keys))
	order := make([]uint32, 0, len(keys))
	x.seen = append(x.seen[:0], make([]bool, len(keys))...)
	for _, v := range walk {
		if i := v - 2*n; i >= 0 && i < len(keys) && !x.seen[i] {
			x.seen[i] = true
			order = append(order, keys[i])
		}
	}
	return order, best
}

// layAisle adds the arcs of cover way v for aisle lo+r: chains from the
// aisle's ends through its picks keys[first:end] (the depot first, at
// y = 0, in the depot's aisle).
func (x *exact) layAisle(r, lo, v int, keys []uint32, first, end, n int) {
	g := &x.g
	a, b := 2*r, 2*r+1
	depotV := 2*n + len(keys)
	x.chain = x.chain[:0]
	if lo+r == x.f.depot {
		x.chain = append(x.chain, depotV)
	}
	for i := first; i < end; i++ {
		x.chain = append(x.chain, 2*n+i)
	}
	chain := x.chain
	up := func(from int, vs []int, to int, times int) { // from, vs..., to (to < 0: none)
		for range times {
			prev := from
			for _, u := range vs {
				g.add(prev, u)
				prev = u
			}
			if to >= 0 {
				g.add(prev, to)
			}
		}
	}
	down := func(from int, vs []int, times int) { // from, vs reversed
		for range times {
			prev := from
			for i := len(vs) - 1; i >= 0; i-- {
				g.add(prev, vs[i])
				prev = vs[i]
			}
		}
	}
	switch v {
	case vTraverse:
		up(a, chain, b, 1)
	case vDouble:
		up(a, chain, b, 2)
	case vBottom:
		up(a, chain, -1, 2)
	case vTop:
		down(b, chain, 2)
	case vGap:
		// Leave out the largest gap between consecutive picks (first one wins).
		y := func(u int) float64 {
			if u == depotV {
				return 0
			}
			return x.f.bayY(int(keys[u-2*n] & 0xffff))
		}
		cut, best := 1, -1.0
		for i := 1; i < len(chain); i++ {
			if d := y(chain[i]) - y(chain[i-1]); d > best {
				cut, best = i, d
			}
		}
		up(a, chain[:cut], -1, 2)
		down(b, chain[cut:], 2)
	}
}

// multigraph is an undirected multigraph for Euler circuits, reused
// between routes.
type multigraph struct {
	ends  [][2]int
	deg   []int // then: offsets into adj
	adj   []int // edge ids, grouped by vertex
	used  []bool
	next  []int
	stack []int
	out   []int
}

func (g *multigraph) reset(vertices int) {
	g.ends = g.ends[:0]
	g.deg = append(g.deg[:0], make([]int, vertices+1)...)
}

func (g *multigraph) add(u, v int) {
	g.ends = append(g.ends, [2]int{u, v})
	g.deg[u]++
	g.deg[v]++
}

// euler returns the vertices of an Euler circuit from s (Hierholzer).
func (g *multigraph) euler(s int) []int {
	nv := len(g.deg) - 1
	// Offsets: deg becomes the start of each vertex's edge ids in adj.
	sum := 0
	for v := range nv + 1 {
		d := g.deg[v]
		g.deg[v] = sum
		sum += d
	}
	g.adj = append(g.adj[:0], make([]int, sum)...)
	g.next = append(g.next[:0], g.deg[:nv]...)
	for id, e := range g.ends {
		g.adj[g.next[e[0]]] = id
		g.next[e[0]]++
		g.adj[g.next[e[1]]] = id
		g.next[e[1]]++
	}
	copy(g.next, g.deg[:nv])
	g.used = append(g.used[:0], make([]bool, len(g.ends))...)
	g.stack = append(g.stack[:0], s)
	g.out = g.out[:0]
	for len(g.stack) > 0 {
		u := g.stack[len(g.stack)-1]
		moved := false
		for g.next[u] < g.deg[u+1] {
			e := g.adj[g.next[u]]
			g.next[u]++
			if g.used[e] {
				continue
			}
			g.used[e] = true
			v := g.ends[e][0]
			if v == u {
				v = g.ends[e][1]
			}
			g.stack = append(g.stack, v)
			moved = true
			break
		}
		if !moved {
			g.out = append(g.out, u)
			g.stack = g.stack[:len(g.stack)-1]
		}
	}
	// out is the circuit reversed; reverse it so the walk reads forward.
	for i, j := 0, len(g.out)-1; i < j; i, j = i+1, j-1 {
		g.out[i], g.out[j] = g.out[j], g.out[i]
	}
	return g.out
}
