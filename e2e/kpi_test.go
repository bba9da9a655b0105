package e2e

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// handCount is the test's own count of the run, the figures docs/kpis.md
// defines, kept as the scans are answered.
type handCount struct {
	scans, wrong, picks, shorts, units int
	picker                             map[string]*[2]int // picks, units
	inTote                             map[string]int     // units picked of tasks not finished
}

// finish counts a task finished by name, in full or short: a pick, and
// the units picked into its tote, whoever scanned them (the formulas
// count a task's units when it is finished, for the picker finishing it).
func (c *handCount) finish(name, task string, short bool) {
	c.picks++
	c.units += c.inTote[task]
	c.of(name)[0]++
	c.of(name)[1] += c.inTote[task]
	delete(c.inTote, task)
	if short {
		c.shorts++
	}
}

func (c *handCount) of(name string) *[2]int {
	if c.picker[name] == nil {
		c.picker[name] = &[2]int{}
	}
	return c.picker[name]
}

// apiRatio rounds a ratio as GET /api/v1/kpis answers it: to four
// decimals. The page rounds that answer again to one decimal, so a
// figure the test works out goes through both roundings (3139.74996 is
// answered 3139.75 and shown 3139.8).
func apiRatio(v float64) float64 { return math.Round(v*10000) / 10000 }

// kpiNum formats v as kpis.js does in en-US: at most one decimal,
// thousands grouped.
func kpiNum(v float64) string {
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	if frac != "" {
		return whole + "." + frac
	}
	return whole
}

// kpiDuration formats a working time of h hours as kpis.js does, from
// the API's hours (rounded to four decimals).
func kpiDuration(h float64) string {
	s := apiRatio(h) * 3600
	switch {
	case s < 90:
		return fmt.Sprintf("%d s", int(math.Round(s)))
	case s < 90*60:
		return fmt.Sprintf("%d min", int(math.Round(s/60)))
	case s < 48*3600:
		return kpiNum(s/3600) + " h"
	}
	return kpiNum(s/86400) + " d"
}
