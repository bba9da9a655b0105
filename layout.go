package pickwave

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Depot ends of an aisle.
const (
	DepotFront = "front" // the depot is on the front cross aisle (y = 0)
	DepotBack  = "back"  // the depot is on the back cross aisle (y = bays·width)
)

// Limits of the layout model. They keep positions packable into 16 bits each
// and distances far from float64 trouble; real sites are far smaller.
const (
	MaxAisles = 4096
	MaxBays   = 4096
	maxMetres = 1000.0 // bay width and aisle pitch above this are typos
)

// Layout is a rectangular picking floor of parallel aisles joined by cross
// aisles. Aisles are numbered from 1, bays from 1 at the front; both sides
// of an aisle and every level of a bay share one point. Package wave routes
// on it and documents the coordinates and distances; docs/layout.md has the
// JSON form. The zero value is not valid: call Validate before use.
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
	// End is DepotFront or DepotBack; "" means DepotFront.
	End string `json:"end"`
	// DropOff names the place a finished cart is left for packing, as
	// the handheld shows it (say "Pack staging, lane 2 by PACK-1"); up to
	// MaxDropOffLen characters of printable text. "" means the depot
	// itself (see Depot.Place).
	DropOff string `json:"drop_off,omitempty"`
}

// MaxDropOffLen bounds Depot.DropOff, in characters.
const MaxDropOffLen = 120

// Place is where finished carts go: DropOff, or the depot's position
// when the site named no drop-off.
func (d Depot) Place() string {
	if d.DropOff != "" {
		return d.DropOff
	}
	end := d.End
	if end == "" {
		end = DepotFront
	}
	return fmt.Sprintf("Depot at the %s of aisle %d", end, d.Aisle)
}

// Validate reports every field that is out of range as an EINVALID error
// with field details, or nil.
func (l Layout) Validate() error {
	var fe FieldErrors
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
	if l.Depot.End != "" && l.Depot.End != DepotFront && l.Depot.End != DepotBack {
		fe.Add("depot.end", "must be %q or %q, not %q", DepotFront, DepotBack, l.Depot.End)
	}
	if d := l.Depot.DropOff; !utf8.ValidString(d) || utf8.RuneCountInString(d) > MaxDropOffLen || strings.TrimSpace(d) != d ||
		strings.IndexFunc(d, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		fe.Add("depot.drop_off", "must be at most %d characters of printable text without leading or trailing spaces", MaxDropOffLen)
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

// Contains reports whether aisle and bay name a bay of the layout.
func (l Layout) Contains(aisle, bay int) bool {
	return aisle >= 1 && aisle <= l.Aisles && bay >= 1 && bay <= l.BaysPerAisle
}
