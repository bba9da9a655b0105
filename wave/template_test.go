package wave

import (
	"slices"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

func ids(orders []Order) []string {
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
	orders := []Order{
		{ID: "late", Status: StatusAllocated, Carrier: "ups", ShipBy: at(9), CreatedAt: at(0), Lines: []Line{line(1, "A")}},
		{ID: "early", Status: StatusAllocated, Carrier: "ups", ShipBy: at(5), CreatedAt: at(1), Lines: []Line{line(2, "A")}},
		{ID: "rush", Status: StatusAllocated, Carrier: "dhl", ShipBy: at(5), Priority: 2, CreatedAt: at(2), Lines: []Line{line(1, "B")}},
		{ID: "none", Status: StatusAllocated, Carrier: "ups", CreatedAt: at(-1), Lines: []Line{line(1, "A"), line(1, "B")}},
		{ID: "picked", Status: "picking", Carrier: "ups", ShipBy: at(1), Lines: []Line{line(1, "A")}},
		{ID: "empty", Status: StatusAllocated, Carrier: "ups", ShipBy: at(1)},
	}
	cut := at(6)
	for _, tc := range []struct {
		name string
		t    Template
		want []string
	}{
		{"all, most urgent first", Template{TotesPerCart: 8}, []string{"rush", "early", "late", "none"}},
		{"carrier", Template{Carriers: []string{"ups"}, TotesPerCart: 8}, []string{"early", "late", "none"}},
		{"ship-by before", Template{ShipByBefore: &cut, TotesPerCart: 8}, []string{"rush", "early"}},
		{"priority", Template{MinPriority: 1, TotesPerCart: 8}, []string{"rush"}},
		{"zone", Template{Zones: []string{"A"}, TotesPerCart: 8}, []string{"early", "late"}},
		{"max orders", Template{MaxOrders: 2, TotesPerCart: 8}, []string{"rush", "early"}},
		{"max units passes over a big order", Template{MaxUnits: 2, TotesPerCart: 8}, []string{"rush", "late"}},
		{"max lines", Template{MaxLines: 4, TotesPerCart: 8}, []string{"rush", "early", "late"}},
		{"max carts", Template{MaxCarts: 1, TotesPerCart: 2}, []string{"rush", "early"}},
		{"max carts, zone picking", Template{MaxCarts: 2, TotesPerCart: 2, ZonePicking: true}, []string{"rush", "early", "late"}},
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
		tpl := Template{MaxCarts: 9, MaxLines: 500, TotesPerCart: 8, Tote: in.opts.Tote, ZonePicking: zp}
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
		p := mustPlan(t, in.layout, sel, tpl.Options(1))
		if len(p.Carts) > tpl.MaxCarts || lines > tpl.MaxLines {
			t.Fatalf("zone picking %v: %d carts and %d lines, caps %d and %d", zp, len(p.Carts), lines, tpl.MaxCarts, tpl.MaxLines)
		}
		t.Logf("zone picking %v: %d of %d orders, %d lines, %d carts", zp, len(sel), len(in.orders), lines, len(p.Carts))
	}
}

func TestTemplate_Validate(t *testing.T) {
	err := Template{MaxOrders: -1}.Validate()
	if pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("got %v", err)
	}
	var fields []string
	for _, fe := range pickwave.ErrorDetails(err).([]pickwave.FieldError) {
		fields = append(fields, fe.Field)
	}
	if !slices.Equal(fields, []string{"max_orders", "totes_per_cart"}) {
		t.Fatalf("fields %v", fields)
	}
}
