package wave

import (
	"cmp"
	"slices"
	"time"

	"github.com/pickwave/pickwave"
)

// OptionsFor returns the planning options a template implies.
func OptionsFor(t pickwave.WaveTemplate, seed uint64) Options {
	return Options{TotesPerCart: t.TotesPerCart, Tote: t.Tote, ZonePicking: t.ZonePicking, Seed: seed}
}

// Select returns the orders the template takes, most urgent first: status
// allocated, matching every filter, sorted by ship-by (orders without one
// last), then priority (highest first), then arrival, then ID, so carrier
// cut-offs are met first. Orders are taken in that order while the wave
// stays under every cap; an order that would break a cap is passed over
// and smaller ones after it may still fit. Orders that can never be
// planned (no lines, a bad quantity, a unit bigger than a tote, more totes
// than a cart) are left out; Plan would refuse them.
//
// MaxCarts counts carts as Plan fills them at worst: first fit in this
// order, each zone apart when zone picking. Plan never uses more.
func Select(t pickwave.WaveTemplate, orders []Demand) []Demand {
	var picked []Demand
	for _, o := range orders {
		if o.Status == pickwave.OrderAllocated && matches(t, o) {
			picked = append(picked, o)
		}
	}
	slices.SortStableFunc(picked, func(a, b Demand) int {
		return cmp.Or(
			compareShipBy(a.ShipBy, b.ShipBy),
			cmp.Compare(b.Priority, a.Priority),
			a.CreatedAt.Compare(b.CreatedAt),
			cmp.Compare(a.ID, b.ID),
		)
	})
	opts := OptionsFor(t, 0)
	if opts.TotesPerCart < 1 {
		opts.TotesPerCart = 1
	}
	bins := map[string][]int{} // zone -> free totes of each cart, in opening order
	carts := 0
	var out []Demand
	lines, units := 0, 0
	for i := range picked {
		o := &picked[i]
		n, u := len(o.Lines), o.Units()
		if (t.MaxOrders > 0 && len(out)+1 > t.MaxOrders) ||
			(t.MaxLines > 0 && lines+n > t.MaxLines) ||
			(t.MaxUnits > 0 && units+u > t.MaxUnits) {
			continue
		}
		sizes, ok := orderTotes(o, opts)
		if !ok {
			continue
		}
		// First fit, on copies so an order that breaks MaxCarts leaves no trace.
		trial := map[string][]int{}
		extra := 0
		for _, z := range sortedKeys(sizes) {
			free := slices.Clone(bins[z])
			free, opened := firstFit(free, sizes[z], opts.TotesPerCart)
			trial[z] = free
			extra += opened
		}
		if t.MaxCarts > 0 && carts+extra > t.MaxCarts {
			continue
		}
		for z, f := range trial {
			bins[z] = f
		}
		carts += extra
		lines += n
		units += u
		out = append(out, *o)
	}
	return out
}

func compareShipBy(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

func matches(t pickwave.WaveTemplate, o Demand) bool {
	if len(t.Carriers) > 0 && !slices.Contains(t.Carriers, o.Carrier) {
		return false
	}
	if len(t.Services) > 0 && !slices.Contains(t.Services, o.Service) {
		return false
	}
	if t.ShipByBefore != nil && (o.ShipBy.IsZero() || !o.ShipBy.Before(*t.ShipByBefore)) {
		return false
	}
	if o.Priority < t.MinPriority {
		return false
	}
	if len(t.Zones) > 0 {
		for _, l := range o.Lines {
			if !slices.Contains(t.Zones, l.Zone) {
				return false
			}
		}
	}
	return true
}

// orderTotes returns the totes the order needs in each zone group (one
// group "" without zone picking), or false when it cannot be planned.
func orderTotes(o *Demand, opts Options) (map[string]int, bool) {
	if len(o.Lines) == 0 {
		return nil, false
	}
	byZone := map[string][]int{}
	for li, l := range o.Lines {
		if l.Qty < 1 {
			return nil, false
		}
		z := ""
		if opts.ZonePicking {
			z = l.Zone
		}
		byZone[z] = append(byZone[z], li)
	}
	out := map[string]int{}
	for z, lines := range byZone {
		totes, why := packTotes(o, lines, opts.Tote)
		if why != "" || len(totes) > opts.TotesPerCart {
			return nil, false
		}
		out[z] = len(totes)
	}
	return out, true
}

// firstFit puts an item of size totes into the first cart with room, or a
// new one, and returns the carts' free space and how many it opened.
func firstFit(free []int, size, capT int) ([]int, int) {
	for i := range free {
		if free[i] >= size {
			free[i] -= size
			return free, 0
		}
	}
	return append(free, capT-size), 1
}
