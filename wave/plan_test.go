package wave

import (
	"bytes"
	"encoding/json"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/pickwave/pickwave"
)

// mustPlan plans and checks the plan against its orders, the way every
// test here uses a plan.
func mustPlan(t *testing.T, l pickwave.Layout, orders []Demand, opts Options) pickwave.Plan {
	t.Helper()
	p, err := Plan(l, orders, opts)
	if err != nil {
		t.Fatalf("plan: %v %v", err, pickwave.ErrorDetails(err))
	}
	if err := Check(l, p, orders, opts); err != nil {
		t.Fatalf("check: %v %v", err, pickwave.ErrorDetails(err))
	}
	return p
}

func TestPlan_Deterministic(t *testing.T) {
	in := genInstance(10, 20, 80, 5)
	in.opts.Effort = 0.5
	var first []byte
	for i := range 3 {
		p := mustPlan(t, in.layout, in.orders, in.opts)
		got, _ := json.Marshal(p)
		if i == 0 {
			first = got
		} else if !bytes.Equal(got, first) {
			t.Fatal("the same orders and seed gave two different plans")
		}
	}
	// The annealing chains are goroutines: one core must give the same plan.
	prev := runtime.GOMAXPROCS(1)
	one, _ := json.Marshal(mustPlan(t, in.layout, in.orders, in.opts))
	runtime.GOMAXPROCS(prev)
	if !bytes.Equal(one, first) {
		t.Fatal("the plan on one core differs from the plan on all cores")
	}
	in.opts.Seed++
	other, _ := json.Marshal(mustPlan(t, in.layout, in.orders, in.opts))
	if bytes.Equal(other, first) {
		t.Log("note: another seed gave the same plan")
	}
}

func TestPlan_JSONShape(t *testing.T) {
	in := genInstance(10, 20, 30, 6)
	p := mustPlan(t, in.layout, in.orders, in.opts)
	p.ID = "W1"
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	has := func(obj map[string]any, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := obj[k]; !ok {
				t.Errorf("JSON object %v has no %q", keysOf(obj), k)
			}
		}
	}
	has(m, "id", "totes_per_cart", "carts", "baseline", "distance_m")
	has(m["baseline"].(map[string]any), "fcfs_sshape_m", "order_by_order_m")
	cart := m["carts"].([]any)[0].(map[string]any)
	has(cart, "stops", "distance_m", "sshape_distance_m", "totes")
	has(cart["stops"].([]any)[0].(map[string]any), "location", "aisle", "bay")
	tote := cart["totes"].([]any)[0].(map[string]any)
	has(tote, "slot", "order_id", "picks")
	has(tote["picks"].([]any)[0].(map[string]any), "location", "aisle", "bay", "sku", "qty")

	var back pickwave.Plan
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if err := Check(in.layout, back, in.orders, in.opts); err != nil {
		t.Fatalf("the plan read back from JSON does not check: %v %v", err, pickwave.ErrorDetails(err))
	}
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestPlan_Layouts(t *testing.T) {
	base := genInstance(12, 24, 60, 7)
	base.opts.Effort = 0.5
	for _, tc := range []struct {
		name string
		edit func(*pickwave.Layout)
	}{
		{"depot aisle 1 front", func(*pickwave.Layout) {}},
		{"depot in the middle", func(l *pickwave.Layout) { l.Depot.Aisle = 6 }},
		{"depot at the back", func(l *pickwave.Layout) { l.Depot = pickwave.Depot{Aisle: 12, End: pickwave.DepotBack} }},
		{"three blocks", func(l *pickwave.Layout) { l.CrossAisles = 4 }},
		{"two blocks, depot at the back", func(l *pickwave.Layout) {
			l.CrossAisles = 3
			l.Depot = pickwave.Depot{Aisle: 4, End: pickwave.DepotBack}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := base.layout
			tc.edit(&l)
			p := mustPlan(t, l, base.orders, base.opts)
			for i, c := range p.Carts {
				if c.DistanceM > c.SShapeDistanceM+1e-9 {
					t.Errorf("cart %d walks %.3f m, more than S-shape %.3f m", i, c.DistanceM, c.SShapeDistanceM)
				}
				want := MethodExact
				if l.Blocks() > 1 {
					want = MethodHeuristic
				}
				if c.Method != want && c.Method != MethodSShape {
					t.Errorf("cart %d routed %q, want %q", i, c.Method, want)
				}
			}
			if p.DistanceM > p.Baseline.FCFSM || p.Baseline.FCFSM > p.Baseline.FCFSSShapeM || p.Baseline.FCFSM > p.Baseline.OrderByOrderM {
				t.Errorf("figures out of order: plan %.1f, fcfs %.1f, fcfs+S %.1f, order by order %.1f",
					p.DistanceM, p.Baseline.FCFSM, p.Baseline.FCFSSShapeM, p.Baseline.OrderByOrderM)
			}
		})
	}
}

func TestPlan_ZonePicking(t *testing.T) {
	in := genInstance(10, 20, 80, 8)
	in.opts.ZonePicking = true
	p := mustPlan(t, in.layout, in.orders, in.opts)
	zones := map[string]bool{}
	for _, c := range p.Carts {
		zones[c.Zone] = true
	}
	if len(zones) != 2 {
		t.Fatalf("carts in zones %v, want Z1 and Z2", zones)
	}
	// An order with lines in both zones has a tote on a cart of each.
	split := 0
	for _, o := range in.orders {
		z := map[string]bool{}
		for _, l := range o.Lines {
			z[l.Zone] = true
		}
		if len(z) > 1 {
			split++
		}
	}
	if split == 0 {
		t.Fatal("the instance has no order across zones")
	}
}

func TestPlan_BigOrderSpansTotes(t *testing.T) {
	l := pickwave.Layout{Aisles: 4, BaysPerAisle: 10, BayWidthM: 1, AislePitchM: 3, Depot: pickwave.Depot{Aisle: 1}}
	orders := []Demand{
		{ID: "big", Lines: []Line{{SKU: "S1", Qty: 25, Location: "L1", Aisle: 2, Bay: 3}, {SKU: "S2", Qty: 4, Location: "L2", Aisle: 3, Bay: 9}}},
		{ID: "small", Lines: []Line{{SKU: "S3", Qty: 1, Location: "L3", Aisle: 1, Bay: 1}}},
	}
	opts := Options{TotesPerCart: 4, Tote: pickwave.ToteCapacity{MaxUnits: 10}}
	p := mustPlan(t, l, orders, opts)
	if len(p.Carts) != 1 || len(p.Carts[0].Totes) != 4 {
		t.Fatalf("got %d carts, first with %d totes; want 1 cart with 3 totes of big and 1 of small", len(p.Carts), len(p.Carts[0].Totes))
	}
	opts.TotesPerCart = 2
	_, err := Plan(l, orders, opts)
	if pickwave.ErrorCode(err) != pickwave.EINVALID || !strings.Contains(detailsText(err), "needs 3 totes") {
		t.Fatalf("an order bigger than a cart: got %v %v", err, pickwave.ErrorDetails(err))
	}
}

func TestPlan_Errors(t *testing.T) {
	l := pickwave.Layout{Aisles: 4, BaysPerAisle: 10, BayWidthM: 1, AislePitchM: 3, Depot: pickwave.Depot{Aisle: 1}}
	ok := Line{SKU: "S", Qty: 1, Location: "L", Aisle: 1, Bay: 1}
	for _, tc := range []struct {
		name   string
		l      pickwave.Layout
		orders []Demand
		opts   Options
		field  string
	}{
		{"bad layout", pickwave.Layout{}, nil, Options{TotesPerCart: 1}, "aisles"},
		{"no totes", l, nil, Options{}, "totes_per_cart"},
		{"fill factor", l, nil, Options{TotesPerCart: 1, Tote: pickwave.ToteCapacity{FillFactor: 2}}, "tote.fill_factor"},
		{"no lines", l, []Demand{{ID: "a"}}, Options{TotesPerCart: 1}, "orders[0].lines"},
		{"no id", l, []Demand{{Lines: []Line{ok}}}, Options{TotesPerCart: 1}, "orders[0].id"},
		{"same id", l, []Demand{{ID: "a", Lines: []Line{ok}}, {ID: "a", Lines: []Line{ok}}}, Options{TotesPerCart: 1}, "orders[1].id"},
		{"zero qty", l, []Demand{{ID: "a", Lines: []Line{{SKU: "S", Location: "L", Aisle: 1, Bay: 1}}}}, Options{TotesPerCart: 1}, "orders[0].lines[0].qty"},
		{"outside", l, []Demand{{ID: "a", Lines: []Line{{SKU: "S", Qty: 1, Location: "L", Aisle: 5, Bay: 1}}}}, Options{TotesPerCart: 1}, "orders[0].lines[0].aisle"},
		{"unit too big", l, []Demand{{ID: "a", Lines: []Line{{SKU: "S", Qty: 1, Location: "L", Aisle: 1, Bay: 1, Unit: pickwave.Dims{LengthMM: 700, WidthMM: 10, HeightMM: 10}}}}},
			Options{TotesPerCart: 1, Tote: pickwave.ToteCapacity{Inner: pickwave.Dims{LengthMM: 600, WidthMM: 400, HeightMM: 300}}}, "orders[0].lines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Plan(tc.l, tc.orders, tc.opts)
			if pickwave.ErrorCode(err) != pickwave.EINVALID {
				t.Fatalf("got %v, want an EINVALID error", err)
			}
			fes, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError)
			if !slices.ContainsFunc(fes, func(fe pickwave.FieldError) bool { return fe.Field == tc.field }) {
				t.Fatalf("details %v do not name %q", fes, tc.field)
			}
		})
	}
}

func detailsText(err error) string {
	b, _ := json.Marshal(pickwave.ErrorDetails(err))
	return string(b)
}

func TestPlan_Empty(t *testing.T) {
	l := pickwave.Layout{Aisles: 4, BaysPerAisle: 10, BayWidthM: 1, AislePitchM: 3, Depot: pickwave.Depot{Aisle: 1}}
	p := mustPlan(t, l, nil, Options{TotesPerCart: 8})
	if len(p.Carts) != 0 || p.DistanceM != 0 {
		t.Fatalf("an empty wave planned as %+v", p)
	}
}

// TestPlan_CheckCatches makes sure Check is worth running: each tampering
// must be reported.
func TestPlan_CheckCatches(t *testing.T) {
	in := genInstance(10, 20, 40, 9)
	good := mustPlan(t, in.layout, in.orders, in.opts)
	clone := func() pickwave.Plan {
		var p pickwave.Plan
		raw, _ := json.Marshal(good)
		_ = json.Unmarshal(raw, &p)
		return p
	}
	for _, tc := range []struct {
		name string
		edit func(*pickwave.Plan)
	}{
		{"distance", func(p *pickwave.Plan) { p.Carts[0].DistanceM -= 5 }},
		{"total", func(p *pickwave.Plan) { p.DistanceM += 1 }},
		{"sshape", func(p *pickwave.Plan) { p.Carts[0].SShapeDistanceM += 1 }},
		{"lost pick", func(p *pickwave.Plan) { p.Carts[0].Totes[0].Picks = p.Carts[0].Totes[0].Picks[1:] }},
		{"extra qty", func(p *pickwave.Plan) { p.Carts[0].Totes[0].Picks[0].Qty++ }},
		{"stop order", func(p *pickwave.Plan) {
			s := p.Carts[0].Stops
			s[0], s[len(s)-1] = s[len(s)-1], s[0]
		}},
		{"too many totes", func(p *pickwave.Plan) {
			p.Carts[0].Totes = append(p.Carts[0].Totes, p.Carts[1].Totes...)
			p.Carts[1].Totes = nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := clone()
			tc.edit(&p)
			if err := Check(in.layout, p, in.orders, in.opts); err == nil {
				t.Fatal("Check did not notice")
			}
		})
	}
}
