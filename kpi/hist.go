package kpi

import (
	"math"
	"slices"
	"time"
)

// Hist is a histogram of durations: bin 0 holds durations under one
// second, bin b ≥ 1 those from 1.05^(b-1) up to 1.05^b seconds. Bins
// 5 % wide keep a year of hourly histograms small (a cycle time of 30
// days is bin 305) while p50 and p90 stay within 5 % of the exact value.
// Only bins with a count are kept.
type Hist map[int]int

const binRatio = 1.05

// Bin is the bin of a duration; a negative one (a clock stepped back)
// counts as zero.
func Bin(d time.Duration) int {
	s := d.Seconds()
	if s < 1 {
		return 0
	}
	b := int(math.Floor(math.Log(s)/math.Log(binRatio))) + 1
	// Guard the float edges: the bin's bounds are the truth.
	for b > 1 && s < math.Pow(binRatio, float64(b-1)) {
		b--
	}
	for s >= math.Pow(binRatio, float64(b)) {
		b++
	}
	return b
}

// BinUpper is the upper bound of bin b in whole seconds, rounded up: what
// a percentile in that bin reports.
func BinUpper(b int) int64 {
	if b <= 0 {
		return 1
	}
	return int64(math.Ceil(math.Pow(binRatio, float64(b))))
}

func (h Hist) add(d time.Duration) Hist {
	if h == nil {
		h = Hist{}
	}
	h[Bin(d)]++
	return h
}

func (h Hist) merge(o Hist) Hist {
	if len(o) == 0 {
		return h
	}
	if h == nil {
		h = make(Hist, len(o))
	}
	for b, n := range o {
		h[b] += n
	}
	return h
}

// Count is the number of durations in h.
func (h Hist) Count() int {
	n := 0
	for _, c := range h {
		n += c
	}
	return n
}

// Percentile is the upper bound (BinUpper) of the bin holding the
// nearest-rank p-th percentile: the ⌈p·n⌉-th smallest duration. It is
// false for an empty histogram.
func (h Hist) Percentile(p float64) (int64, bool) {
	n := h.Count()
	if n == 0 {
		return 0, false
	}
	rank := max(int(math.Ceil(p*float64(n))), 1)
	bins := make([]int, 0, len(h))
	for b := range h {
		bins = append(bins, b)
	}
	slices.Sort(bins)
	seen := 0
	for _, b := range bins {
		seen += h[b]
		if seen >= rank {
			return BinUpper(b), true
		}
	}
	return BinUpper(bins[len(bins)-1]), true
}
