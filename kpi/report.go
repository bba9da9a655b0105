package kpi

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Figures are the KPIs of a time range, computed from its summed Bucket
// by the formulas of docs/kpis.md. A ratio whose denominator is zero is
// nil (null in JSON): no figure, rather than a made-up 0 or 100 %.
type Figures struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`

	CycleToPicked  Cycle `json:"cycle_to_picked"`
	CycleToShipped Cycle `json:"cycle_to_shipped"`

	PickScans     int      `json:"pick_scans"`
	WrongScans    int      `json:"wrong_scans"`
	WrongScanRate *float64 `json:"wrong_scan_rate"`
	PickAccuracy  *float64 `json:"pick_accuracy"`

	PackScans       int      `json:"pack_scans"`
	PackMispicks    int      `json:"pack_mispicks"`
	PackMispickRate *float64 `json:"pack_mispick_rate"`

	Picks         int      `json:"picks"`
	ShortPicks    int      `json:"short_picks"`
	ShortPickRate *float64 `json:"short_pick_rate"`
	Units         int      `json:"units"`
	UnitsShort    int      `json:"units_short"`

	ActiveHours  float64  `json:"active_hours"`
	PicksPerHour *float64 `json:"picks_per_hour"`
	UnitsPerHour *float64 `json:"units_per_hour"`

	ShippedDue int      `json:"shipped_due"`
	OnTime     int      `json:"on_time"`
	OnTimeRate *float64 `json:"on_time_rate"`

	WalkM        float64  `json:"walk_m"`
	WalkUnits    int      `json:"walk_units"`
	WalkPerUnitM *float64 `json:"walk_per_unit_m"`

	Pickers []Rate `json:"pickers,omitempty"`
	Waves   []Rate `json:"waves,omitempty"`
}

// Cycle is a cycle time's percentiles in seconds over Orders orders.
type Cycle struct {
	Orders int    `json:"orders"`
	P50S   *int64 `json:"p50_s"`
	P90S   *int64 `json:"p90_s"`
}

// Rate is one picker's or one wave's work and pace.
type Rate struct {
	Name         string   `json:"name"`
	Picks        int      `json:"picks"`
	Units        int      `json:"units"`
	Scans        int      `json:"scans"`
	ActiveHours  float64  `json:"active_hours"`
	PicksPerHour *float64 `json:"picks_per_hour"`
	UnitsPerHour *float64 `json:"units_per_hour"`
}

func ratio(n, d float64) *float64 {
	if d == 0 {
		return nil
	}
	r := n / d
	return &r
}

// round keeps 4 significant decimals of a figure, so that a figure does
// not print 17 digits of float noise.
func round(v *float64) *float64 {
	if v == nil {
		return nil
	}
	r := math.Round(*v*10000) / 10000
	return &r
}

func cycle(h Hist) Cycle {
	c := Cycle{Orders: h.Count()}
	if p, ok := h.Percentile(0.5); ok {
		c.P50S = &p
	}
	if p, ok := h.Percentile(0.9); ok {
		c.P90S = &p
	}
	return c
}

func hours(ns int64) float64 { return float64(ns) / float64(time.Hour) }

func rates(m map[string]*Work) []Rate {
	out := make([]Rate, 0, len(m))
	for name, w := range m {
		h := hours(w.ActiveNS)
		out = append(out, Rate{Name: name, Picks: w.Picks, Units: w.Units, Scans: w.Scans, ActiveHours: math.Round(h*10000) / 10000,
			PicksPerHour: round(ratio(float64(w.Picks), h)), UnitsPerHour: round(ratio(float64(w.Units), h))})
	}
	slices.SortFunc(out, func(a, b Rate) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// Summarize computes the figures of b, the sum of the buckets from from
// to to.
func Summarize(b *Bucket, from, to time.Time) Figures {
	var activeMS int64
	for _, w := range b.Pickers {
		activeMS += w.ActiveNS
	}
	h := hours(activeMS)
	f := Figures{From: from, To: to,
		CycleToPicked: cycle(b.Picked), CycleToShipped: cycle(b.Shipped),
		PickScans: b.PickScans, WrongScans: b.WrongScans,
		WrongScanRate: round(ratio(float64(b.WrongScans), float64(b.PickScans))),
		PackScans:     b.PackScans, PackMispicks: b.PackMispicks,
		PackMispickRate: round(ratio(float64(b.PackMispicks), float64(b.PackScans))),
		Picks:           b.Picks, ShortPicks: b.ShortPicks, Units: b.Units, UnitsShort: b.UnitsShort,
		ShortPickRate: round(ratio(float64(b.ShortPicks), float64(b.Picks))),
		ActiveHours:   math.Round(h*10000) / 10000,
		PicksPerHour:  round(ratio(float64(b.Picks), h)), UnitsPerHour: round(ratio(float64(b.Units), h)),
		ShippedDue: b.ShippedDue, OnTime: b.OnTime, OnTimeRate: round(ratio(float64(b.OnTime), float64(b.ShippedDue))),
		WalkM: math.Round(b.WalkM*100) / 100, WalkUnits: b.WalkUnits, WalkPerUnitM: round(ratio(b.WalkM, float64(b.WalkUnits))),
		Pickers: rates(b.Pickers), Waves: rates(b.Waves)}
	if f.WrongScanRate != nil {
		a := math.Round((1-*f.WrongScanRate)*10000) / 10000
		f.PickAccuracy = &a
	}
	return f
}

// Periods are the buckets that make up [from, to): whole days where the
// range covers them, hours at its ends. from and to must be whole hours.
func Periods(from, to time.Time) []Period {
	var out []Period
	h, end := HourOf(from).Index, HourOf(to).Index
	for h < end {
		if h%24 == 0 && h+24 <= end {
			out = append(out, Period{Day: true, Index: h / 24})
			h += 24
			continue
		}
		out = append(out, Period{Index: h})
		h++
	}
	return out
}

// Report is the answer to a KPI query: the figures of the range, a series
// of figures per step (without the per-picker and per-wave lists), and
// how far the event log was folded.
type Report struct {
	Figures
	Step   string    `json:"step,omitempty"`
	Series []Figures `json:"series,omitempty"`
	// ThroughSeq is the last event counted; LastSeq the newest in the log.
	ThroughSeq uint64 `json:"through_seq"`
	LastSeq    uint64 `json:"last_seq"`
}
