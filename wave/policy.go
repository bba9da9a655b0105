package wave

// This file holds the two textbook routing policies used as baselines:
// S-shape (traversal) and largest gap. Both are written as a list of
// waypoints (aisle ends and picks) joined by shortest walks, so their length
// is the length of the walk a picker following the rule would do: whole
// aisles are walked even when the last pick is near the entry.

// walker accumulates a walk through the frame and, when record is set,
// the order of its picks.
type walker struct {
	f      *frame
	cur    spot
	total  float64
	record bool
	order  []uint32
}

func (w *walker) to(s spot) {
	w.total += w.f.dist(w.cur, s)
	w.cur = s
}

func (w *walker) visit(keys []uint32) {
	for _, k := range keys {
		w.to(w.f.keySpot(k))
		if w.record {
			w.order = append(w.order, k)
		}
	}
}

func (w *walker) visitDown(keys []uint32) {
	for i := len(keys) - 1; i >= 0; i-- {
		w.to(w.f.keySpot(keys[i]))
		if w.record {
			w.order = append(w.order, keys[i])
		}
	}
}

func (f *frame) keySpot(k uint32) spot {
	return spot{int(k >> 16), f.bayY(int(k & 0xffff))}
}

func (f *frame) keyBlock(k uint32) int { return f.blockOf[k&0xffff] }

// policyBuf is scratch space for the policies, so the batching search can
// call them without allocating. It belongs to one Router.
type policyBuf struct {
	runs [][]uint32 // one per aisle with picks
	sub  [][]uint32 // the runs' parts in one block
	cut  []int
}

// aisleRuns splits sorted keys into runs of one aisle each.
func (pb *policyBuf) aisleRuns(keys []uint32) [][]uint32 {
	pb.runs = pb.runs[:0]
	for i := 0; i < len(keys); {
		j := i
		for j < len(keys) && keys[j]>>16 == keys[i]>>16 {
			j++
		}
		pb.runs = append(pb.runs, keys[i:j])
		i = j
	}
	return pb.runs
}

// blockRuns returns the parts of runs that lie in block b (keys of a run
// are sorted by frame bay, so each part is contiguous), leaving out aisle
// skip.
func (pb *policyBuf) blockRuns(f *frame, runs [][]uint32, b, skip int) [][]uint32 {
	pb.sub = pb.sub[:0]
	for _, run := range runs {
		if int(run[0]>>16) == skip {
			continue
		}
		i := 0
		for i < len(run) && f.keyBlock(run[i]) < b {
			i++
		}
		j := i
		for j < len(run) && f.keyBlock(run[j]) == b {
			j++
		}
		if j > i {
			pb.sub = append(pb.sub, run[i:j])
		}
	}
	return pb.sub
}

// sshape walks the picks in keys (sorted, distinct) by the S-shape rule and
// returns the order of the picks (when record) and the walk's length.
//
// One block: the aisles with picks are walked end to end from the left, in
// alternating direction starting from the front; when their number is odd
// the last one is entered and left from the front.
//
// Several blocks (Roodbergen & de Koster 2001): walk to the left-most aisle
// with picks and up it to the far end of the farthest block with picks,
// picking that aisle on the way; then, block by block towards the depot, walk
// the block's other aisles with picks end to end in alternating direction,
// starting from the end nearer to where the picker stands; with an even
// number the last one is entered and left from the near cross aisle.
func (f *frame) sshape(keys []uint32, pb *policyBuf, record bool) ([]uint32, float64) {
	if len(keys) == 0 {
		return nil, 0
	}
	w := &walker{f: f, cur: f.depotSpot(), record: record}
	if record {
		w.order = make([]uint32, 0, len(keys))
	}
	far := 0
	for _, k := range keys {
		far = max(far, f.keyBlock(k))
	}
	runs := pb.aisleRuns(keys)
	if far == 0 {
		for i, run := range runs {
			a := int(run[0] >> 16)
			switch {
			case i == len(runs)-1 && len(runs)%2 == 1:
				w.to(spot{a, 0})
				w.visit(run)
				w.to(spot{a, 0})
			case i%2 == 0:
				w.to(spot{a, 0})
				w.visit(run)
				w.to(spot{a, f.length})
			default:
				w.to(spot{a, f.length})
				w.visitDown(run)
				w.to(spot{a, 0})
			}
		}
		w.to(f.depotSpot())
		return w.order, w.total
	}
	left := int(keys[0] >> 16)
	w.to(spot{left, 0})
	w.visit(runs[0]) // every pick of the left aisle, front to back
	w.to(spot{left, f.cross[far+1]})
	cur := left
	for b := far; b >= 0; b-- {
		sub := pb.blockRuns(f, runs, b, left)
		if len(sub) == 0 {
			continue
		}
		near, farY := f.cross[b], f.cross[b+1]
		first, last := int(sub[0][0]>>16), int(sub[len(sub)-1][0]>>16)
		if abs(cur-first) > abs(last-cur) {
			for i, j := 0, len(sub)-1; i < j; i, j = i+1, j-1 {
				sub[i], sub[j] = sub[j], sub[i]
			}
		}
		n := len(sub)
		for i, run := range sub {
			a := int(run[0] >> 16)
			switch {
			case n%2 == 0 && i == n-1:
				w.to(spot{a, near})
				w.visit(run)
				w.to(spot{a, near})
			case i%2 == 0:
				w.to(spot{a, farY})
				w.visitDown(run)
				w.to(spot{a, near})
			default:
				w.to(spot{a, near})
				w.visit(run)
				w.to(spot{a, farY})
			}
			cur = a
		}
	}
	w.to(f.depotSpot())
	return w.order, w.total
}

// largestGap walks the picks in keys (sorted, distinct) by the largest-gap
// rule, one block at a time from the depot side outwards. In a block with
// one aisle of picks that aisle is entered and left from the near cross
// aisle. Otherwise the left-most and right-most aisles with picks are walked
// end to end (up on the left, down on the right) and every aisle between is
// entered from both cross aisles up to its largest gap, the gap between
// consecutive picks or between a pick and a cross aisle that is widest:
// from the far cross aisle on the way right, from the near one on the way
// back (aisles left of the entry point on the way out).
func (f *frame) largestGap(keys []uint32, pb *policyBuf, record bool) ([]uint32, float64) {
	if len(keys) == 0 {
		return nil, 0
	}
	w := &walker{f: f, cur: f.depotSpot(), record: record}
	if record {
		w.order = make([]uint32, 0, len(keys))
	}
	cur := f.depot
	all := pb.aisleRuns(keys)
	for b := range f.blocks() {
		runs := pb.blockRuns(f, all, b, -1)
		if len(runs) == 0 {
			continue
		}
		near, farY := f.cross[b], f.cross[b+1]
		aisleOf := func(run []uint32) int { return int(run[0] >> 16) }
		if len(runs) == 1 {
			a := aisleOf(runs[0])
			w.to(spot{a, near})
			w.visit(runs[0])
			w.to(spot{a, near})
			cur = a
			continue
		}
		mid := runs[1 : len(runs)-1]
		pb.cut = pb.cut[:0]
		for _, run := range mid {
			// Picks run[:cut] are taken from the near side.
			best, prev, cut := -1.0, near, 0
			for j := 0; j <= len(run); j++ {
				y := farY
				if j < len(run) {
					y = f.keySpot(run[j]).y
				}
				if y-prev > best {
					best, cut = y-prev, j
				}
				prev = y
			}
			pb.cut = append(pb.cut, cut)
		}
		cuts := pb.cut
		front := func(i int) {
			if cuts[i] > 0 {
				a := aisleOf(mid[i])
				w.to(spot{a, near})
				w.visit(mid[i][:cuts[i]])
				w.to(spot{a, near})
			}
		}
		for i := len(mid) - 1; i >= 0; i-- {
			if aisleOf(mid[i]) < cur {
				front(i)
			}
		}
		first, last := runs[0], runs[len(runs)-1]
		w.to(spot{aisleOf(first), near})
		w.visit(first)
		w.to(spot{aisleOf(first), farY})
		for i, run := range mid {
			if cuts[i] < len(run) {
				a := aisleOf(run)
				w.to(spot{a, farY})
				w.visitDown(run[cuts[i]:])
				w.to(spot{a, farY})
			}
		}
		w.to(spot{aisleOf(last), farY})
		w.visitDown(last)
		w.to(spot{aisleOf(last), near})
		for i := len(mid) - 1; i >= 0; i-- {
			if aisleOf(mid[i]) >= cur {
				front(i)
			}
		}
		cur = w.cur.aisle
	}
	w.to(f.depotSpot())
	return w.order, w.total
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
