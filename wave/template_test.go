package wave

import (
	"slices"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

func ids(orders []Demand) []string {
	var out []string
	for _, o := range orders {
		out = append(out, o.ID)
	}
	return out
}

func TestSelect(t *testing.T) {
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	line := func(qty int, zone string) Line {
		return Line{SKU: "S", Qty: qty, Location: "L", Aisle: 1, Bay: 1, Zone: zone}
	}
	orders := []Demand{
		{ID: "late", Status: pickwave.OrderAllocated, Carrier: "ups", ShipBy: at(9), CreatedAt: at(0), Lines: []Line{line(1, "A")}},
		{ID: "early", Status: pickwave.OrderAllocated, Carrier: "ups", ShipBy: at(5), CreatedAt: at(1), Lines: []Line{line(2, "A")}},
		{ID: "rush", Status: pickwave.OrderAllocated, Carrier: "dhl", ShipBy: at(5), Priority: 2, CreatedAt: at(2), Lines: []Line{line(1, "B")}},
		{ID: "none", Status: pickwave.OrderAllocated, Carrier: "ups", CreatedAt: at(-1), Lines: []Line{line(1, "A"), line(1, "B")}},
		{ID: "picked", Status: "picking", Carrier: "ups", ShipBy: at(1), Lines: []Line{line(1, "A")}},
		{ID: "empty", Status: pickwave.OrderAllocated, Carrier: "ups", ShipBy: at(1)},
	}
	cut := at(6)
	for _, tc := range []struct {
		name string
		t    pickwave.WaveTemplate
		want []string
	}{
		{"all, most urgent first", pickwave.WaveTemplate{TotesPerCart: 8}, []string{"rush", "early", "late", "none"}},
		{"carrier", pickwave.WaveTemplate{Carriers: []string{"ups"}, TotesPerCart: 8}, []string{"early", "late", "none"}},
		{"ship-by before", pickwave.WaveTemplate{ShipByBefore: &cut, TotesPerCart: 8}, []string{"rush", "early"}},
		{"priority", pickwave.WaveTemplate{MinPriority: 1, TotesPerCart: 8}, []string{"rush"}},
		{"zone", pickwave.WaveTemplate{Zones: []string{"A"}, TotesPerCart: 8}, []string{"early", "late"}},
		{"max orders", pickwave.WaveTemplate{MaxOrders: 2, TotesPerCart: 8}, []string{"rush", "early"}},
		{"max units passes over a big order", pickwave.WaveTemplate{MaxUnits: 2, TotesPerCart: 8}, []string{"rush", "late"}},
		{"max lines", pickwave.WaveTemplate{MaxLines: 4, TotesPerCart: 8}, []string{"rush", "early", "late"}},
		{"max carts", pickwave.WaveTemplate{MaxCarts: 1, TotesPerCart: 2}, []string{"rush", "early"}},
		{"max carts, zone picking", pickwave.WaveTemplate{MaxCarts: 2, TotesPerCart: 2, ZonePicking: true}, []string{"rush", "early", "late"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.t.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := ids(Select(tc.t, orders)); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSelect_PlanKeepsCaps plans what Select took and checks the caps hold.
func TestSelect_PlanKeepsCaps(t *testing.T) {
	in := genInstance(10, 20, 300, 13)
	// Some orders need two totes, so cart counting matters.
	for _, zp := range []bool{false, true} {
		tpl := pickwave.WaveTemplate{MaxCarts: 9, MaxLines: 500, TotesPerCart: 8, Tote: in.opts.Tote, ZonePicking: zp}
		sel := Select(tpl, in.orders)
		if len(sel) == 0 {
			t.Fatal("nothing selected")
		}
		lines := 0
		for i, o := range sel {
			lines += len(o.Lines)
			if i > 0 && o.ShipBy.Before(sel[i-1].ShipBy) {
				t.Fatalf("%s ships before %s but comes after it", o.ID, sel[i-1].ID)
			}
		}
		p := mustPlan(t, in.layout, sel, OptionsFor(tpl, 1))
		if len(p.Carts) > tpl.MaxCarts || lines > tpl.MaxLines {
			t.Fatalf("zone picking %v: %d carts and %d lines, caps %d and %d", zp, len(p.Carts), lines, tpl.MaxCarts, tpl.MaxLines)
		}
		t.Logf("zone picking %v: %d of %d orders, %d lines, %d carts", zp, len(sel), len(in.orders), lines, len(p.Carts))
	}
}
