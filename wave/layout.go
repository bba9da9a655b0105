package wave

import (
	"math"

	"github.com/pickwave/pickwave"
)

// Position is a pick face seen from the aisle: both sides of an aisle and
// every level share the aisle's x and the bay's y.
type Position struct {
	Aisle int `json:"aisle"`
	Bay   int `json:"bay"`
}

// Distance returns the length in metres of the shortest walk between two
// bays: along the aisle when they share it, else across the aisle pitch
// plus the shorter way round through one cross aisle.
func Distance(l pickwave.Layout, a, b Position) float64 {
	f := newFrame(l)
	return f.dist(f.spotOf(a), f.spotOf(b))
}

// Walk returns the length in metres of the shortest walk that leaves the
// depot, visits stops in the given order and returns to the depot. It is
// how a plan's distance_m is recomputed.
func Walk(l pickwave.Layout, stops []Position) float64 {
	f := newFrame(l)
	return f.walk(stops)
}

// frame is the layout turned so that the depot is on the front cross aisle
// (y = 0): with the depot at the back every y is mirrored, y' = L - y.
// Distances do not change under the mirror, so all routing happens here.
type frame struct {
	aisles, bays int
	w, pitch     float64
	length       float64   // aisle length L = bays·w
	cross        []float64 // y of every cross aisle in the frame, ascending
	crossBay     []int     // bays in front of every cross aisle in the frame
	blockOf      []int     // frame bay (1..bays) -> block index from the depot side
	depot        int       // depot aisle
	mirror       bool
}

func newFrame(l pickwave.Layout) *frame {
	f := &frame{
		aisles: l.Aisles, bays: l.BaysPerAisle, w: l.BayWidthM, pitch: l.AislePitchM,
		depot: l.Depot.Aisle, mirror: l.Depot.End == pickwave.DepotBack,
	}
	f.length = float64(f.bays) * f.w
	cb := l.CrossAisleBays()
	if f.mirror {
		for i, j := 0, len(cb)-1; i < j; i, j = i+1, j-1 {
			cb[i], cb[j] = cb[j], cb[i]
		}
		for i := range cb {
			cb[i] = f.bays - cb[i]
		}
	}
	f.crossBay = cb
	f.cross = make([]float64, len(cb))
	for i, b := range cb {
		f.cross[i] = float64(b) * f.w
	}
	f.blockOf = make([]int, f.bays+2)
	for blk := 0; blk+1 < len(cb); blk++ {
		for b := cb[blk] + 1; b <= cb[blk+1]; b++ {
			f.blockOf[b] = blk
		}
	}
	return f
}

func (f *frame) blocks() int { return len(f.cross) - 1 }

// frameBay maps a layout bay to the frame.
func (f *frame) frameBay(bay int) int {
	if f.mirror {
		return f.bays + 1 - bay
	}
	return bay
}

// spot is a point of the frame on an aisle's centre line.
type spot struct {
	aisle int
	y     float64
}

func (f *frame) bayY(frameBay int) float64 { return (float64(frameBay) - 0.5) * f.w }

func (f *frame) spotOf(p Position) spot { return spot{p.Aisle, f.bayY(f.frameBay(p.Bay))} }

func (f *frame) depotSpot() spot { return spot{f.depot, 0} }

// dist is the shortest walk between two spots. A walk between aisles uses
// exactly one cross aisle: using two would add vertical travel and save no
// horizontal travel.
func (f *frame) dist(a, b spot) float64 {
	if a.aisle == b.aisle {
		return math.Abs(a.y - b.y)
	}
	dx := math.Abs(float64(a.aisle-b.aisle)) * f.pitch
	lo, hi := a.y, b.y
	if lo > hi {
		lo, hi = hi, lo
	}
	// The cross aisle just below hi: if it is at or above lo the walk needs
	// no detour; otherwise both spots are in one block and the detour goes
	// to that block's nearer end.
	best := math.Inf(1)
	for _, c := range f.cross {
		var d float64
		switch {
		case c < lo:
			d = lo - c + hi - c
		case c > hi:
			d = c - lo + c - hi
		default:
			return dx + hi - lo
		}
		if d < best {
			best = d
		}
	}
	return dx + best
}

func (f *frame) walk(stops []Position) float64 {
	if len(stops) == 0 {
		return 0
	}
	prev := f.depotSpot()
	total := 0.0
	for _, p := range stops {
		s := f.spotOf(p)
		total += f.dist(prev, s)
		prev = s
	}
	return total + f.dist(prev, f.depotSpot())
}
