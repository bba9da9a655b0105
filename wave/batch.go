package wave

import (
	"cmp"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync"
)

// This file holds batching: placing units (orders, or order parts with
// zone picking) on carts of a fixed number of totes so that the sum of the
// carts' routed lengths is small. The objective is the router's length, so
// on one block every figure the search compares is an exact optimum.
//
// The search is budgeted in route evaluations, never in time, so the same
// input and seed always give the same plan.

// batcher holds one batching instance.
type batcher struct {
	r      *Router
	f      *frame
	units  []unit
	size   []int // totes per unit
	capT   int   // totes per cart
	carts  []bcart
	cartOf []int32
	nbr    [][]int32 // related units, nearest first
	rng    *rand.Rand
	budget int // route evaluations left
	buf    []uint32
	tmp    []uint32
	words  int
	aisles []uint64 // unit i's aisle bitset at [i*words:(i+1)*words]

	stride  int      // words per cart on the bitmask path (aisles+1), 0 off it
	masks   []uint64 // cart c's bays with picks, aisle a at c*stride+a
	scratch []uint64
}

// addKeys merges keys into a cart's key multiset.
func (b *batcher) addKeys(c int, rem, add []uint32) {
	ct := &b.carts[c]
	b.tmp = mergeKeys(b.tmp[:0], ct.keys, rem, add)
	ct.keys = append(ct.keys[:0], b.tmp...)
	b.setMasks(c)
}

type bcart struct {
	units []int32
	load  int
	keys  []uint32 // sorted multiset of the members' keys
	cost  float64
}

const nbrCount = 12

func newBatcher(r *Router, units []unit, capT int, seed uint64, budget int) *batcher {
	b := &batcher{
		r: r, f: r.f, units: units, capT: capT,
		size:   make([]int, len(units)),
		cartOf: make([]int32, len(units)),
		rng:    rand.New(rand.NewPCG(seed, 0x5eed_ba7c)),
		budget: budget,
	}
	for i, u := range units {
		b.size[i] = len(u.totes)
	}
	if r.x != nil && r.f.bays <= 64 && len(units) < 1<<16 {
		b.stride = r.f.aisles + 1
		b.scratch = make([]uint64, b.stride)
	}
	b.words = (r.f.aisles + 64) / 64
	b.aisles = make([]uint64, len(units)*b.words)
	for i, u := range units {
		for _, k := range u.keys {
			a := int(k >> 16)
			b.aisles[i*b.words+a/64] |= 1 << (a % 64)
		}
	}
	b.neighbours()
	return b
}

// eval returns the route length of cart c without the keys rem and with
// the keys add (rem among c's; either may be nil) and spends budget.
func (b *batcher) eval(c int, rem, add []uint32) float64 {
	b.budget--
	if b.stride > 0 {
		return b.evalMasks(c, rem, add)
	}
	b.buf = mergeKeys(b.buf[:0], b.carts[c].keys, rem, add)
	return b.r.length(b.buf)
}

func mergeKeys(dst, base, rem, add []uint32) []uint32 {
	i, j, k := 0, 0, 0
	for i < len(base) || k < len(add) {
		if i < len(base) && (k >= len(add) || base[i] <= add[k]) {
			v := base[i]
			i++
			if j < len(rem) && rem[j] == v {
				j++
				continue
			}
			dst = append(dst, v)
		} else {
			dst = append(dst, add[k])
			k++
		}
	}
	return dst
}

// rebuild recomputes a cart's keys and cost from its members.
func (b *batcher) rebuild(c int) {
	b.recount(c, 0)
	b.budget--
	b.carts[c].cost = b.r.length(b.carts[c].keys)
}

func (b *batcher) total() float64 {
	t := 0.0
	for _, c := range b.carts {
		t += c.cost
	}
	return t
}

// proxy estimates how badly two units go together without routing: aisles
// the pair walks that one of them alone would not, and the difference in
// how far from the depot they reach.
func (b *batcher) proxy(u, v int) float64 {
	au := b.aisles[u*b.words : (u+1)*b.words]
	av := b.aisles[v*b.words : (v+1)*b.words]
	nu, nv, nuv := 0, 0, 0
	for i := range au {
		nu += bits.OnesCount64(au[i])
		nv += bits.OnesCount64(av[i])
		nuv += bits.OnesCount64(au[i] | av[i])
	}
	ku, kv := b.units[u].keys, b.units[v].keys
	reachU := abs(int(ku[len(ku)-1]>>16)-b.f.depot) + abs(int(ku[0]>>16)-b.f.depot)
	reachV := abs(int(kv[len(kv)-1]>>16)-b.f.depot) + abs(int(kv[0]>>16)-b.f.depot)
	return b.f.length*float64(nuv-max(nu, nv)) + 2*b.f.pitch*float64(abs(reachU-reachV))
}

// neighbours fills nbr with each unit's nbrCount most related units by the
// proxy. Small instances compare every pair; large ones compare each unit
// with a window of units sorted by how far they reach.
func (b *batcher) neighbours() {
	n := len(b.units)
	b.nbr = make([][]int32, n)
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	reach := func(i int32) (int, int) {
		k := b.units[i].keys
		return int(k[len(k)-1] >> 16), int(k[0] >> 16)
	}
	slices.SortFunc(order, func(x, y int32) int {
		xh, xl := reach(x)
		yh, yl := reach(y)
		return cmp.Or(cmp.Compare(xh, yh), cmp.Compare(xl, yl), cmp.Compare(x, y))
	})
	const window = 150
	type cand struct {
		v int32
		d float64
	}
	less := func(x, y cand) bool { return x.d < y.d || (x.d == y.d && x.v < y.v) }
	var top [nbrCount]cand
	for pos, u := range order {
		lo, hi := 0, n
		if n > 2*window+1 {
			lo, hi = max(0, pos-window), min(n, pos+window+1)
		}
		// Keep the nbrCount best in top[:k], sorted, by insertion.
		k := 0
		for _, v := range order[lo:hi] {
			if v == u {
				continue
			}
			c := cand{v, b.proxy(int(u), int(v))}
			if k == nbrCount && !less(c, top[k-1]) {
				continue
			}
			if k < nbrCount {
				k++
			}
			i := k - 1
			for i > 0 && less(c, top[i-1]) {
				top[i] = top[i-1]
				i--
			}
			top[i] = c
		}
		b.nbr[u] = make([]int32, k)
		for i := range k {
			b.nbr[u][i] = top[i].v
		}
	}
}

// firstFitCarts packs units first fit in the given order.
func (b *batcher) firstFitCarts(order []int32) [][]int32 {
	var free []int
	var carts [][]int32
	for _, u := range order {
		placed := false
		for i := range free {
			if free[i] >= b.size[u] {
				free[i] -= b.size[u]
				carts[i] = append(carts[i], u)
				placed = true
				break
			}
		}
		if !placed {
			free = append(free, b.capT-b.size[u])
			carts = append(carts, []int32{u})
		}
	}
	return carts
}

// packedCarts is the fewer-carts packing of first fit in input order (what
// Select counts for MaxCarts) and first fit decreasing. The search never
// uses more carts than it.
func (b *batcher) packedCarts() [][]int32 {
	in := make([]int32, len(b.units))
	for i := range in {
		in[i] = int32(i)
	}
	dec := slices.Clone(in)
	slices.SortStableFunc(dec, func(x, y int32) int { return b.size[y] - b.size[x] })
	ff, ffd := b.firstFitCarts(in), b.firstFitCarts(dec)
	if len(ffd) < len(ff) {
		return ffd
	}
	return ff
}

// construct builds carts by seed and cheapest insertion: the unassigned
// unit reaching farthest seeds a cart, then the unit whose insertion
// lengthens the cart's exact route least joins, among the units related to
// the cart's members, until the cart is full.
func (b *batcher) construct() {
	n := len(b.units)
	seeds := make([]int32, n)
	far := make([]float64, n)
	for i := range seeds {
		seeds[i] = int32(i)
		k := b.units[i].keys
		s := b.f.keySpot(k[len(k)-1])
		far[i] = b.f.dist(b.f.depotSpot(), s) + float64(len(k))*1e-3
	}
	slices.SortStableFunc(seeds, func(x, y int32) int { return cmp.Compare(far[y], far[x]) })
	assigned := make([]bool, n)
	inPool := make([]int, n) // cart number + 1 that pooled it
	left := n
	next := 0
	var pool []int32
	for left > 0 {
		for assigned[seeds[next]] {
			next++
		}
		c := len(b.carts)
		b.carts = append(b.carts, bcart{})
		ct := &b.carts[c]
		add := func(u int32) {
			assigned[u] = true
			left--
			ct.units = append(ct.units, u)
			ct.load += b.size[u]
			b.addKeys(c, nil, b.units[u].keys)
			b.cartOf[u] = int32(c)
			for _, v := range b.nbr[u] {
				if !assigned[v] && inPool[v] != c+1 {
					inPool[v] = c + 1
					pool = append(pool, v)
				}
			}
		}
		pool = pool[:0]
		add(seeds[next])
		ct.cost = b.eval(c, nil, nil)
		for ct.load < b.capT && left > 0 {
			best, bestD := int32(-1), inf
			tried := 0
			for _, v := range pool {
				if assigned[v] || ct.load+b.size[v] > b.capT {
					continue
				}
				if d := b.eval(c, nil, b.units[v].keys) - ct.cost; d < bestD {
					best, bestD = v, d
				}
				if tried++; tried >= 40 {
					break
				}
			}
			if best < 0 {
				// Nothing related fits: take the farthest unit that does.
				for _, v := range seeds[next:] {
					if !assigned[v] && ct.load+b.size[v] <= b.capT {
						best = v
						bestD = b.eval(c, nil, b.units[v].keys) - ct.cost
						break
					}
				}
			}
			if best < 0 {
				break
			}
			add(best)
			ct.cost += bestD
		}
	}
}

// useCarts replaces the carts with the given packing.
func (b *batcher) useCarts(carts [][]int32) {
	b.carts = b.carts[:0]
	for c, units := range carts {
		b.carts = append(b.carts, bcart{units: units})
		b.rebuild(c)
	}
}

// localSearch moves and swaps units between a unit's cart and the carts of
// its related units while that shortens the total, until no move helps or
// the budget runs out. It returns whether anything improved.
func (b *batcher) localSearch(units []int32) bool {
	any := false
	for improved := true; improved && b.budget > 0; {
		improved = false
		for _, u := range units {
			if b.budget <= 0 {
				break
			}
			if b.tryUnit(u) {
				improved, any = true, true
			}
		}
	}
	return any
}

// tryUnit applies the best improving move or swap of u, if any.
func (b *batcher) tryUnit(u int32) bool {
	a := int(b.cartOf[u])
	A := &b.carts[a]
	uk := b.units[u].keys
	remA := b.eval(a, uk, nil)
	bestD, bestC, bestV := -1e-9, -1, int32(-1)
	var bestCostA, bestCostB float64
	seen := [nbrCount + 1]int{}
	ns := 0
	for _, w := range b.nbr[u] {
		c := int(b.cartOf[w])
		if c == a || slices.Contains(seen[:ns], c) {
			continue
		}
		seen[ns] = c
		ns++
		if ns > 4 {
			break
		}
		B := &b.carts[c]
		if B.load+b.size[u] <= b.capT {
			insB := b.eval(c, nil, uk)
			if d := remA - A.cost + insB - B.cost; d < bestD {
				bestD, bestC, bestV, bestCostA, bestCostB = d, c, -1, remA, insB
			}
		}
		for _, v := range B.units {
			if A.load-b.size[u]+b.size[v] > b.capT || B.load-b.size[v]+b.size[u] > b.capT {
				continue
			}
			vk := b.units[v].keys
			newB := b.eval(c, vk, uk)
			if newB-B.cost+remA-A.cost >= bestD {
				// Even a free return of v to A would not beat the best.
				continue
			}
			newA := b.eval(a, uk, vk)
			if d := newA - A.cost + newB - B.cost; d < bestD {
				bestD, bestC, bestV, bestCostA, bestCostB = d, c, v, newA, newB
			}
		}
	}
	if bestC < 0 {
		return false
	}
	b.apply(u, a, bestC, bestV, bestCostA, bestCostB)
	return true
}

// apply moves u from cart a to cart c, and v (if >= 0) from c to a.
func (b *batcher) apply(u int32, a, c int, v int32, costA, costC float64) {
	A, C := &b.carts[a], &b.carts[c]
	uk := b.units[u].keys
	var vk []uint32
	if v >= 0 {
		vk = b.units[v].keys
	}
	b.addKeys(a, uk, vk)
	b.addKeys(c, vk, uk)
	A.units = slices.DeleteFunc(A.units, func(x int32) bool { return x == u })
	C.units = append(C.units, u)
	A.load -= b.size[u]
	C.load += b.size[u]
	b.cartOf[u] = int32(c)
	if v >= 0 {
		C.units = slices.DeleteFunc(C.units, func(x int32) bool { return x == v })
		A.units = append(A.units, v)
		C.load -= b.size[v]
		A.load += b.size[v]
		b.cartOf[v] = int32(a)
	}
	A.cost, C.cost = costA, costC
}

// recount restores a cart's keys, load and members' cart from its members
// with a known cost (no evaluation).
func (b *batcher) recount(c int, cost float64) {
	ct := &b.carts[c]
	ct.keys = ct.keys[:0]
	ct.load = 0
	for _, u := range ct.units {
		ct.keys = append(ct.keys, b.units[u].keys...)
		ct.load += b.size[u]
		b.cartOf[u] = int32(c)
	}
	slices.Sort(ct.keys)
	b.setMasks(c)
	ct.cost = cost
}

// batchUnits places units on carts of capT totes and returns the carts as
// lists of unit indexes, spending about budget route evaluations.
func batchUnits(r *Router, units []unit, capT int, seed uint64, budget int) [][]int32 {
	if len(units) == 0 {
		return nil
	}
	b := newBatcher(r, units, capT, seed, budget)
	packed := b.packedCarts()
	b.construct()
	if len(b.carts) > len(packed) {
		b.useCarts(packed)
	}
	all := make([]int32, len(units))
	for i := range all {
		all[i] = int32(i)
	}
	b.rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	b.localSearch(all)
	// Anneal in independent chains, one per core of the target machine,
	// and keep the best. The number of chains is fixed, not taken from the
	// machine, so the plan does not depend on where it runs.
	chains := []*batcher{b}
	if b.budget > 0 {
		for i := 1; i < annealChains; i++ {
			chains = append(chains, b.fork(seed+uint64(i)))
		}
	}
	var wg sync.WaitGroup
	for _, c := range chains {
		wg.Go(func() {
			c.anneal()
			c.budget = max(c.budget, len(c.units)*polishPerUnit)
			c.localSearch(all)
		})
	}
	wg.Wait()
	for _, c := range chains[1:] {
		if c.total() < b.total()-1e-9 {
			b = c
		}
	}
	out := make([][]int32, 0, len(b.carts))
	for _, c := range b.carts {
		if len(c.units) > 0 {
			out = append(out, slices.Clone(c.units))
		}
	}
	return out
}

// fork returns a copy of b for another annealing chain: its own carts,
// scratch space, router and random source; units and neighbours shared.
func (b *batcher) fork(seed uint64) *batcher {
	c := *b
	c.r = b.r.clone()
	c.carts = make([]bcart, len(b.carts))
	for i, ct := range b.carts {
		c.carts[i] = bcart{units: slices.Clone(ct.units), load: ct.load, keys: slices.Clone(ct.keys), cost: ct.cost}
	}
	c.cartOf = slices.Clone(b.cartOf)
	c.masks = slices.Clone(b.masks)
	c.scratch = slices.Clone(b.scratch)
	c.buf, c.tmp = nil, nil
	c.rng = rand.New(rand.NewPCG(seed, 0x5eed_ba7c))
	return &c
}

// anneal runs simulated annealing over moves and swaps until the budget is
// spent and leaves the best assignment seen.
func (b *batcher) anneal() {
	if len(b.carts) < 2 || b.budget <= 0 {
		return
	}
	cur := b.total()
	bestTotal := cur
	bestOf := slices.Clone(b.cartOf)
	bestCost := make([]float64, len(b.carts))
	for i := range b.carts {
		bestCost[i] = b.carts[i].cost
	}
	mean := cur / float64(len(b.carts))
	t0, t1 := annealT0*mean, annealT1*mean
	start := b.budget
	n := len(b.units)
	temp := t0
	// A draw that cannot be tried costs an eighth of an evaluation, so the
	// loop ends even when no move fits.
	draws := 0
	wasted := func() {
		if draws++; draws%8 == 0 {
			b.budget--
		}
	}
	for i := 0; b.budget > 0; i++ {
		if i%256 == 0 {
			temp = t0 * math.Pow(t1/t0, 1-float64(b.budget)/float64(start))
		}
		u := int32(b.rng.IntN(n))
		a := int(b.cartOf[u])
		var c int
		if b.rng.IntN(10) == 0 {
			c = b.rng.IntN(len(b.carts) - 1)
			if c >= a {
				c++
			}
		} else {
			c = int(b.cartOf[b.nbr[u][b.rng.IntN(len(b.nbr[u]))]])
			if c == a {
				wasted()
				continue
			}
		}
		A, C := &b.carts[a], &b.carts[c]
		uk := b.units[u].keys
		v := int32(-1)
		if C.load+b.size[u] > b.capT || (len(C.units) > 0 && b.rng.IntN(2) == 0) {
			if len(C.units) == 0 {
				wasted()
				continue
			}
			v = C.units[b.rng.IntN(len(C.units))]
			if A.load-b.size[u]+b.size[v] > b.capT || C.load-b.size[v]+b.size[u] > b.capT {
				wasted()
				continue
			}
		}
		var vk []uint32
		if v >= 0 {
			vk = b.units[v].keys
		}
		na := b.eval(a, uk, vk)
		nc := b.eval(c, vk, uk)
		d := na + nc - A.cost - C.cost
		if d <= 0 || b.rng.Float64() < math.Exp(-d/temp) {
			b.apply(u, a, c, v, na, nc)
			cur += d
			if cur < bestTotal-1e-9 {
				bestTotal = cur
				copy(bestOf, b.cartOf)
				for i := range b.carts {
					bestCost[i] = b.carts[i].cost
				}
			}
		}
	}
	if cur > bestTotal+1e-9 {
		for i := range b.carts {
			b.carts[i].units = b.carts[i].units[:0]
		}
		for u, c := range bestOf {
			b.carts[c].units = append(b.carts[c].units, int32(u))
		}
		for i := range b.carts {
			b.recount(i, bestCost[i])
		}
	}
}

// Annealing temperatures, as shares of the mean cart length: a worsening
// of that much is taken with odds 1/e at the start and at the end.
const (
	annealT0 = 0.03
	annealT1 = 0.002
	// annealChains is the number of annealing chains run side by side.
	annealChains = 2
	// polishPerUnit bounds the final local search, which runs after the
	// budget is spent.
	polishPerUnit = 20
)

// The bitmask fast path, for one block of at most 64 bays: a cart is one
// word per aisle with a bit per bay holding a pick, so an evaluation patches
// the few aisles a move touches and runs the DP on words, without merging
// key lists.

// setMasks recomputes cart c's words from its keys.
func (b *batcher) setMasks(c int) {
	if b.stride == 0 {
		return
	}
	if need := (c + 1) * b.stride; len(b.masks) < need {
		b.masks = append(b.masks, make([]uint64, need-len(b.masks))...)
	}
	m := b.masks[c*b.stride : (c+1)*b.stride]
	clear(m)
	for _, k := range b.carts[c].keys {
		m[k>>16] |= 1 << ((k & 0xffff) - 1)
	}
}

// evalMasks is eval on words.
func (b *batcher) evalMasks(c int, rem, add []uint32) float64 {
	base := b.masks[c*b.stride : (c+1)*b.stride]
	keys := b.carts[c].keys
	// Patches: at most one per aisle touched.
	var pa [16]int
	var pm [16]uint64
	np := 0
	patch := func(a int) int {
		for i := range np {
			if pa[i] == a {
				return i
			}
		}
		pa[np], pm[np] = a, base[a]
		np++
		return np - 1
	}
	for _, k := range rem {
		// Clear the bit only if no other unit of the cart picks there.
		i, _ := slices.BinarySearch(keys, k)
		if i+1 < len(keys) && keys[i+1] == k {
			continue
		}
		j := patch(int(k >> 16))
		pm[j] &^= 1 << ((k & 0xffff) - 1)
	}
	for _, k := range add {
		j := patch(int(k >> 16))
		pm[j] |= 1 << ((k & 0xffff) - 1)
	}
	w := b.scratch[:len(base)]
	copy(w, base)
	for i := range np {
		w[pa[i]] = pm[i]
	}
	return b.r.x.lengthMasks(w)
}
