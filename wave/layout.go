package wave

import (
	"math"

	"github.com/pickwave/pickwave"
)

// Depot ends of an aisle.
const (
	EndFront = "front" // the depot is on the front cross aisle (y = 0)
	EndBack  = "back"  // the depot is on the back cross aisle (y = bays·width)
)

// Limits of the layout model. They keep positions packable into 16 bits each
// and distances far from float64 trouble; real sites are far smaller.
const (
	MaxAisles = 4096
	MaxBays   = 4096
	maxMetres = 1000.0 // bay width and aisle pitch above this are typos
)

// Layout is a rectangular picking floor of parallel aisles joined by cross
// aisles; see the package documentation for the coordinates and distances.
// The zero value is not valid: call Validate before use.
type Layout struct {
	Aisles       int     `json:"aisles"`
	BaysPerAisle int     `json:"bays_per_aisle"`
	BayWidthM    float64 `json:"bay_width_m"`
	AislePitchM  float64 `json:"aisle_pitch_m"`
	// CrossAisles counts the cross aisles including the front and the back
	// one; 0 means 2 (one block). With n > 2 the bays are cut into n-1
	// blocks by n-2 middle cross aisles.
	CrossAisles int   `json:"cross_aisles"`
	Depot       Depot `json:"depot"`
}

// Depot is where every cart starts and ends: on the front or back cross
// aisle, at the x of an aisle.
type Depot struct {
	Aisle int `json:"aisle"`
	// End is EndFront or EndBack; "" means EndFront.
	End string `json:"end"`
}

// Position is a pick face seen from the aisle: both sides of an aisle and
// every level share the aisle's x and the bay's y.
type Position struct {
	Aisle int `json:"aisle"`
	Bay   int `json:"bay"`
}

// Validate reports every field that is out of range as an EINVALID error
// with field details, or nil.
func (l Layout) Validate() error {
	var fe pickwave.FieldErrors
	if l.Aisles < 1 || l.Aisles > MaxAisles {
		fe.Add("aisles", "must be between 1 and %d, not %d", MaxAisles, l.Aisles)
	}
	if l.BaysPerAisle < 1 || l.BaysPerAisle > MaxBays {
		fe.Add("bays_per_aisle", "must be between 1 and %d, not %d", MaxBays, l.BaysPerAisle)
	}
	if !(l.BayWidthM > 0 && l.BayWidthM <= maxMetres) {
		fe.Add("bay_width_m", "must be above 0 and at most %g metres, not %g", maxMetres, l.BayWidthM)
	}
	if !(l.AislePitchM > 0 && l.AislePitchM <= maxMetres) {
		fe.Add("aisle_pitch_m", "must be above 0 and at most %g metres, not %g", maxMetres, l.AislePitchM)
	}
	if l.CrossAisles != 0 && (l.CrossAisles < 2 || (l.BaysPerAisle >= 1 && l.CrossAisles > l.BaysPerAisle+1)) {
		fe.Add("cross_aisles", "must be 0 or between 2 and bays_per_aisle+1 (every block holds a bay), not %d", l.CrossAisles)
	}
	if l.Depot.Aisle < 1 || (l.Aisles >= 1 && l.Depot.Aisle > l.Aisles) {
		fe.Add("depot.aisle", "must be between 1 and the number of aisles, not %d", l.Depot.Aisle)
	}
	if l.Depot.End != "" && l.Depot.End != EndFront && l.Depot.End != EndBack {
		fe.Add("depot.end", "must be %q or %q, not %q", EndFront, EndBack, l.Depot.End)
	}
	return fe.Err("The layout is not valid.")
}

// Blocks returns the number of blocks: cross aisles minus one.
func (l Layout) Blocks() int {
	if l.CrossAisles == 0 {
		return 1
	}
	return l.CrossAisles - 1
}

// CrossAisleBays returns, for each cross aisle from the front to the back,
// the number of bays in front of it: 0 for the front cross aisle,
// floor(i·bays/blocks) for middle cross aisle i, bays for the back one. A
// cross aisle lies at y = that count × bay width (cross aisles take no
// length of their own in the model).
func (l Layout) CrossAisleBays() []int {
	nb := l.Blocks()
	out := make([]int, nb+1)
	for i := range out {
		out[i] = i * l.BaysPerAisle / nb
	}
	return out
}

// Contains reports whether p names a bay of the layout.
func (l Layout) Contains(p Position) bool {
	return p.Aisle >= 1 && p.Aisle <= l.Aisles && p.Bay >= 1 && p.Bay <= l.BaysPerAisle
}

// Distance returns the length in metres of the shortest walk between two
// bays: along the aisle when they share it, else across the aisle pitch
// plus the shorter way round through one cross aisle.
func (l Layout) Distance(a, b Position) float64 {
	f := newFrame(l)
	return f.dist(f.spotOf(a), f.spotOf(b))
}

// Walk returns the length in metres of the shortest walk that leaves the
// depot, visits stops in the given order and returns to the depot. It is
// how a plan's distance_m is recomputed.
func (l Layout) Walk(stops []Position) float64 {
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

func newFrame(l Layout) *frame {
	f := &frame{
		aisles: l.Aisles, bays: l.BaysPerAisle, w: l.BayWidthM, pitch: l.AislePitchM,
		depot: l.Depot.Aisle, mirror: l.Depot.End == EndBack,
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
