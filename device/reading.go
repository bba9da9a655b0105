package device

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Flags describe the state of a scale reading.
type Flags uint16

// Reading flags. A reading can carry several; one with Error, UnderZero or
// OverCapacity has no usable weight.
const (
	FlagStable       Flags = 1 << iota // the scale says the weight has settled
	FlagMotion                         // the weight is still changing
	FlagUnderZero                      // below zero or under the capacity range
	FlagOverCapacity                   // over the capacity range
	FlagError                          // the scale reports a fault or refused the request
	FlagNet                            // the weight is net of a tare
	FlagAtZero                         // the scale is at its centre of zero
	FlagNoWeight                       // the scale sent a status but no weight
)

var flagNames = []string{"stable", "motion", "under_zero", "over_capacity", "error", "net", "at_zero", "no_weight"}

// Names returns the flag names in a fixed order, e.g. ["stable", "net"].
func (f Flags) Names() []string {
	names := []string{}
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return names
}

// String returns the flag names joined by "|".
func (f Flags) String() string { return strings.Join(f.Names(), "|") }

// MarshalJSON encodes the flags as an array of names.
func (f Flags) MarshalJSON() ([]byte, error) { return json.Marshal(f.Names()) }

// UnmarshalJSON decodes an array of names.
func (f *Flags) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return err
	}
	*f = 0
	for _, n := range names {
		i := indexOf(flagNames, n)
		if i < 0 {
			return fmt.Errorf("unknown scale flag %q", n)
		}
		*f |= 1 << i
	}
	return nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// Reading is one weight report from a scale, converted to grams.
type Reading struct {
	Grams   float64   `json:"grams"`             // weight in grams; 0 when the flags say there is none
	Value   float64   `json:"value"`             // the number the scale sent, in Unit
	Unit    string    `json:"unit"`              // the unit the scale sent ("g", "kg", "lb", "oz"...)
	Flags   Flags     `json:"flags"`             // stable, motion, under zero, over capacity, error...
	Message string    `json:"message,omitempty"` // why, when Flags has FlagError
	Time    time.Time `json:"time"`              // when the reader received it; zero from the parsers
}

// Stable reports whether the reading is a settled weight that can be used:
// the stable flag is set and no motion, range or error flag is.
func (r Reading) Stable() bool {
	return r.Flags&FlagStable != 0 && r.Flags&FlagMotion == 0 && r.HasWeight()
}

// HasWeight reports whether Grams means something: no error, range or
// no-weight flag.
func (r Reading) HasWeight() bool {
	return r.Flags&(FlagUnderZero|FlagOverCapacity|FlagError|FlagNoWeight) == 0
}

// String formats the reading for logs.
func (r Reading) String() string {
	if !r.HasWeight() {
		if r.Message != "" {
			return fmt.Sprintf("[%s] %s", r.Flags, r.Message)
		}
		return fmt.Sprintf("[%s]", r.Flags)
	}
	return fmt.Sprintf("%g g [%s]", r.Grams, r.Flags)
}

// gramsPer holds the size of each unit a scale may send, in grams.
var gramsPer = map[string]float64{
	"g":   1,
	"kg":  1000,
	"mg":  0.001,
	"t":   1e6,
	"lb":  453.59237,
	"lbs": 453.59237,
	"oz":  28.349523125,
	"ozt": 31.1034768,
	"ct":  0.2,
	"dwt": 1.55517384,
	"gn":  0.06479891,
}

// toGrams converts value in unit to grams, rounded to the microgram so
// that "0.256 kg" is 256 g and not 256.00000000000003.
func toGrams(value float64, unit string) (float64, error) {
	f, ok := gramsPer[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	return math.Round(value*f*1e6) / 1e6, nil
}

// StableDetector decides stability for scales that send a weight but no
// stable flag: a reading is stable when it and the Readings-1 before it all
// arrived within Window and lie within Tolerance grams of each other. It is
// pure: time comes from Reading.Time. The zero value uses 5 readings, 2 g
// and 1 s.
type StableDetector struct {
	Readings  int           // readings needed; 0 means 5
	Tolerance float64       // grams between the smallest and largest; 0 means 2
	Window    time.Duration // how far back they may reach; 0 means 1 s

	hist []Reading
}

// Add records r and returns it with FlagStable or FlagMotion set. Readings
// that already carry either flag pass unchanged; one without weight passes
// unchanged and clears the history.
func (d *StableDetector) Add(r Reading) Reading {
	if !r.HasWeight() {
		d.hist = d.hist[:0]
		return r
	}
	if r.Flags&(FlagStable|FlagMotion) != 0 {
		return r
	}
	n, tol, win := d.Readings, d.Tolerance, d.Window
	if n <= 0 {
		n = 5
	}
	if tol <= 0 {
		tol = 2
	}
	if win <= 0 {
		win = time.Second
	}
	if len(d.hist) >= n {
		d.hist = append(d.hist[:0], d.hist[len(d.hist)-n+1:]...)
	}
	d.hist = append(d.hist, r)
	lo, hi := r.Grams, r.Grams
	for _, h := range d.hist {
		lo, hi = min(lo, h.Grams), max(hi, h.Grams)
	}
	if len(d.hist) == n && r.Time.Sub(d.hist[0].Time) <= win && hi-lo <= tol {
		r.Flags |= FlagStable
	} else {
		r.Flags |= FlagMotion
	}
	return r
}

// parseDecimal parses a plain decimal number: an optional sign, digits and
// at most one point. Unlike strconv.ParseFloat it refuses "NaN", "Inf",
// exponents, hex and underscores, none of which a scale sends.
func parseDecimal(s string) (float64, error) {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
		case c == '.':
			dots++
		case (c == '-' || c == '+') && i == 0:
		default:
			return 0, fmt.Errorf("%q is not a decimal number", s)
		}
	}
	if digits == 0 || dots > 1 || len(s) > 24 {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	return strconv.ParseFloat(s, 64)
}
