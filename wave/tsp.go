package wave

import (
	"cmp"
	"slices"
)

// This file holds the router for layouts of several blocks, where no
// linear-time exact method is known: the picks and the depot form a small
// travelling-salesman instance on the shortest-walk distances, solved by
// 2-opt and Or-opt from several starts (S-shape, largest gap, nearest
// neighbour), then by iterated local search with double-bridge kicks.

// tsp holds one instance and scratch space; it is not safe for concurrent
// use.
type tsp struct {
	f     *frame
	n     int       // nodes: 0 is the depot, i > 0 is keys[i-1]
	d     []float64 // n×n distances
	keys  []uint32
	tour  []int
	best  []int
	tmp   []int
	seg   []int
	pos   []int
	inQ   []bool
	queue []int
	nbr   []int32 // k nearest other nodes of each node, nearest first
	k     int
	rng   uint64
}

// tspNeighbours is how many nearest neighbours local search looks at.
const tspNeighbours = 10

const eps = 1e-9

func (t *tsp) load(keys []uint32) {
	t.keys = keys
	t.n = len(keys) + 1
	n := t.n
	if cap(t.d) < n*n {
		t.d = make([]float64, n*n)
	}
	t.d = t.d[:n*n]
	spotOf := func(i int) spot {
		if i == 0 {
			return t.f.depotSpot()
		}
		return t.f.keySpot(keys[i-1])
	}
	for i := range n {
		si := spotOf(i)
		t.d[i*n+i] = 0
		for j := i + 1; j < n; j++ {
			v := t.f.dist(si, spotOf(j))
			t.d[i*n+j], t.d[j*n+i] = v, v
		}
	}
	t.k = min(tspNeighbours, n-1)
	t.nbr = t.nbr[:0]
	if cap(t.pos) < n {
		t.pos = make([]int, n)
	}
	row := make([]int32, 0, n)
	for i := range n {
		row = row[:0]
		for j := range n {
			if j != i {
				row = append(row, int32(j))
			}
		}
		slices.SortFunc(row, func(x, y int32) int {
			return cmp.Or(cmp.Compare(t.d[i*n+int(x)], t.d[i*n+int(y)]), cmp.Compare(x, y))
		})
		t.nbr = append(t.nbr, row[:t.k]...)
	}
}

func (t *tsp) length(tour []int) float64 {
	n := t.n
	total := 0.0
	for i := range tour {
		total += t.d[tour[i]*n+tour[(i+1)%len(tour)]]
	}
	return total
}

// fromOrder turns a visiting order of keys into a tour of node indices.
func (t *tsp) fromOrder(order []uint32, dst []int) []int {
	dst = append(dst[:0], 0)
	for _, k := range order {
		lo, hi := 0, len(t.keys)
		for lo < hi {
			m := (lo + hi) / 2
			if t.keys[m] < k {
				lo = m + 1
			} else {
				hi = m
			}
		}
		dst = append(dst, lo+1)
	}
	return dst
}

func (t *tsp) nearestNeighbour(dst []int) []int {
	n := t.n
	dst = append(dst[:0], 0)
	used := make([]bool, n)
	used[0] = true
	cur := 0
	for len(dst) < n {
		best, bi := inf, -1
		for j := 1; j < n; j++ {
			if !used[j] && t.d[cur*n+j] < best {
				best, bi = t.d[cur*n+j], j
			}
		}
		used[bi] = true
		dst = append(dst, bi)
		cur = bi
	}
	return dst
}

// improve runs 2-opt and Or-opt (segments of 1 to 3, either way round) to a
// local optimum, trying only moves that create an edge to one of a node's
// nearest neighbours. Work is driven by a queue of nodes whose edges
// changed ("don't look bits"): all nodes at first, after a kick only the
// kick's ends (seed). tour[0] is the depot and stays there.
func (t *tsp) improve(tour []int, seed []int) {
	n, d := t.n, t.d
	if n < 4 {
		return
	}
	k := t.k
	pos := t.pos[:n]
	for i, v := range tour {
		pos[v] = i
	}
	t.inQ = append(t.inQ[:0], make([]bool, n)...)
	t.queue = t.queue[:0]
	push := func(vs ...int) {
		for _, v := range vs {
			if !t.inQ[v] {
				t.inQ[v] = true
				t.queue = append(t.queue, v)
			}
		}
	}
	if seed == nil {
		for _, v := range tour {
			push(v)
		}
	} else {
		push(seed...)
	}
	reverse := func(i, j int) {
		for x, y := i, j; x < y; x, y = x+1, y-1 {
			tour[x], tour[y] = tour[y], tour[x]
			pos[tour[x]], pos[tour[y]] = x, y
		}
	}
	// twoOpt drops (tour[i-1], tour[i]) and (tour[j], tour[j+1]) and adds
	// (tour[i-1], tour[j]) and (tour[i], tour[j+1]), 1 <= i < j <= n-1,
	// for new edges to a near neighbour of tour[i-1] or of tour[i].
	twoOpt := func(i int) bool {
		if i < 1 || i >= n-1 {
			return false
		}
		a, b := tour[i-1], tour[i]
		dab := d[a*n+b]
		for _, c := range t.nbr[a*k : a*k+k] {
			if d[a*n+int(c)] >= dab {
				break
			}
			j := pos[c]
			if j <= i {
				continue
			}
			e := tour[(j+1)%n]
			if d[a*n+int(c)]+d[b*n+e] < dab+d[int(c)*n+e]-eps {
				reverse(i, j)
				push(a, b, int(c), e)
				return true
			}
		}
		for _, e := range t.nbr[b*k : b*k+k] {
			if d[b*n+int(e)] >= dab {
				break
			}
			j := pos[e] - 1
			if pos[e] == 0 {
				j = n - 1
			}
			if j <= i {
				continue
			}
			c := tour[j]
			if d[a*n+c]+d[b*n+int(e)] < dab+d[c*n+int(e)]-eps {
				reverse(i, j)
				push(a, b, c, int(e))
				return true
			}
		}
		return false
	}
	// orOpt moves tour[i:i+s] next to a near neighbour of one of its ends.
	orOpt := func(i, s int) bool {
		if i < 1 || i+s-1 > n-1 || s >= n-1 {
			return false
		}
		first, last := tour[i], tour[i+s-1]
		p, q := tour[i-1], tour[(i+s)%n]
		gain := d[p*n+first] + d[last*n+q] - d[p*n+q]
		if gain <= eps {
			return false
		}
		for _, end := range [2]int{first, last} {
			for _, u := range t.nbr[end*k : end*k+k] {
				if d[end*n+int(u)] >= gain {
					break // the new edge alone eats the gain (neighbours are sorted)
				}
				pu := pos[u]
				if pu >= i && pu <= i+s-1 {
					continue
				}
				// Between u and its successor, or its predecessor and u.
				for _, j := range [2]int{pu, (pu - 1 + n) % n} {
					if j >= i-1 && j <= i+s-1 {
						continue
					}
					x, y := tour[j], tour[(j+1)%n]
					fwd := d[x*n+first] + d[last*n+y] - d[x*n+y]
					rev := d[x*n+last] + d[first*n+y] - d[x*n+y]
					if fwd < gain-eps || rev < gain-eps {
						t.moveSegment(tour, i, s, x, rev < fwd)
						for i, v := range tour {
							pos[v] = i
						}
						push(p, q, first, last, x, y)
						return true
					}
				}
			}
		}
		return false
	}
	for len(t.queue) > 0 {
		v := t.queue[0]
		t.queue = t.queue[1:]
		t.inQ[v] = false
		pv := pos[v]
		if twoOpt(pv+1) || twoOpt(pv) {
			push(v)
			continue
		}
		for s := 1; s <= 3; s++ {
			if orOpt(pv, s) || orOpt(pv-s+1, s) {
				push(v)
				break
			}
		}
	}
}

// moveSegment moves tour[i:i+s] to just after node u, reversed if asked.
func (t *tsp) moveSegment(tour []int, i, s, u int, rev bool) {
	t.seg = append(t.seg[:0], tour[i:i+s]...)
	if rev {
		for x, y := 0, s-1; x < y; x, y = x+1, y-1 {
			t.seg[x], t.seg[y] = t.seg[y], t.seg[x]
		}
	}
	t.tmp = append(t.tmp[:0], tour[:i]...)
	t.tmp = append(t.tmp, tour[i+s:]...)
	k := 0
	for t.tmp[k] != u {
		k++
	}
	// Written back in place: the tour keeps its length.
	n := copy(tour, t.tmp[:k+1])
	n += copy(tour[n:], t.seg)
	copy(tour[n:], t.tmp[k+1:])
}

func (t *tsp) next() uint64 {
	t.rng += 0x9e3779b97f4a7c15
	z := t.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// solve returns the best tour found from the given starts (visiting orders)
// after local search and kicks rounds of iterated local search, as a
// visiting order of keys, and its length.
func (t *tsp) solve(keys []uint32, starts [][]uint32, kicks int) ([]uint32, float64) {
	if len(keys) == 0 {
		return nil, 0
	}
	t.load(keys)
	t.rng = uint64(len(keys))*0x2545f4914f6cdd1d + uint64(keys[0])
	bestLen := inf
	try := func(tour []int, seed []int) {
		t.improve(tour, seed)
		if l := t.length(tour); l < bestLen-eps {
			bestLen = l
			t.best = append(t.best[:0], tour...)
		}
	}
	for _, s := range starts {
		t.tour = t.fromOrder(s, t.tour)
		try(t.tour, nil)
	}
	t.tour = t.nearestNeighbour(t.tour)
	try(t.tour, nil)
	n := t.n
	for range kicks {
		if n < 8 {
			break
		}
		// Double bridge on the best tour: A B C D -> A C B D.
		p1 := 1 + int(t.next()%uint64(n-3))
		p2 := p1 + 1 + int(t.next()%uint64(n-p1-2))
		p3 := p2 + 1 + int(t.next()%uint64(n-p2-1))
		t.tour = append(t.tour[:0], t.best[:p1]...)
		t.tour = append(t.tour, t.best[p2:p3]...)
		t.tour = append(t.tour, t.best[p1:p2]...)
		t.tour = append(t.tour, t.best[p3:]...)
		try(t.tour, []int{t.best[p1-1], t.best[p1], t.best[p2-1], t.best[p2], t.best[p3-1], t.best[p3%n]})
	}
	order := make([]uint32, 0, len(keys))
	for _, v := range t.best[1:] {
		order = append(order, keys[v-1])
	}
	return order, bestLen
}
