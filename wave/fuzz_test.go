package wave

import (
	"encoding/json"
	"github.com/pickwave/pickwave"
	"math"
	"slices"
	"testing"
)

// FuzzLayoutJSON feeds arbitrary JSON to the layout and, when it validates,
// routes a few positions on it: no input may panic, and a valid layout must
// route.
func FuzzLayoutJSON(f *testing.F) {
	f.Add([]byte(`{"aisles": 10, "bays_per_aisle": 20, "bay_width_m": 1.3, "aisle_pitch_m": 3, "cross_aisles": 2, "depot": {"aisle": 1, "end": "front"}}`))
	f.Add([]byte(`{"aisles": 3, "bays_per_aisle": 2, "bay_width_m": 1e-300, "aisle_pitch_m": 1000, "cross_aisles": 3, "depot": {"aisle": 3, "end": "back"}}`))
	f.Add([]byte(`{"aisles": -1, "bays_per_aisle": 1e9, "bay_width_m": "x"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var l pickwave.Layout
		if json.Unmarshal(raw, &l) != nil || l.Validate() != nil {
			return
		}
		r, err := NewRouter(l)
		if err != nil {
			t.Fatalf("valid layout %+v refused: %v", l, err)
		}
		ps := []Position{{1, 1}, {l.Aisles, l.BaysPerAisle}, {(l.Aisles + 1) / 2, (l.BaysPerAisle + 1) / 2}}
		route, err := r.Route(ps)
		if err != nil {
			t.Fatal(err)
		}
		checkRoute(t, l, ps, route)
	})
}

// FuzzRoute routes arbitrary positions (in or out of the layout) on
// arbitrary small layouts: out-of-range positions are an error, never a
// panic; every route visits each position once, starts and ends at the
// depot (its length is Walk of its stops), and is no longer than S-shape;
// on one block it is no longer than largest gap either.
func FuzzRoute(f *testing.F) {
	f.Add(uint8(10), uint8(20), uint8(2), uint8(1), false, []byte{1, 1, 3, 7, 10, 20, 5, 5})
	f.Add(uint8(6), uint8(9), uint8(4), uint8(6), true, []byte{2, 1, 2, 9, 6, 4, 1, 5, 3, 3})
	f.Add(uint8(1), uint8(1), uint8(0), uint8(1), false, []byte{1, 1})
	f.Add(uint8(3), uint8(5), uint8(2), uint8(2), false, []byte{0, 0, 9, 9})
	f.Fuzz(func(t *testing.T, aisles, bays, cross, depot uint8, back bool, raw []byte) {
		l := pickwave.Layout{Aisles: int(aisles%30) + 1, BaysPerAisle: int(bays%70) + 1, BayWidthM: 1.1, AislePitchM: 2.7,
			CrossAisles: int(cross % 6), Depot: pickwave.Depot{Aisle: int(depot)}}
		if back {
			l.Depot.End = pickwave.DepotBack
		}
		r, err := NewRouter(l)
		if err != nil {
			return // an invalid layout is an error, which is fine
		}
		var ps []Position
		outside := false
		for i := 0; i+1 < len(raw) && len(ps) < 60; i += 2 {
			p := Position{int(raw[i]), int(raw[i+1])}
			outside = outside || !l.Contains(p.Aisle, p.Bay)
			ps = append(ps, p)
		}
		route, err := r.Route(ps)
		if outside {
			if err == nil {
				t.Fatalf("positions outside %+v were routed", l)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		checkRoute(t, l, ps, route)
		if math.IsNaN(route.DistanceM) || route.DistanceM < 0 {
			t.Fatalf("length %v", route.DistanceM)
		}
		if l.Blocks() == 1 {
			g, _ := r.LargestGap(ps)
			if route.DistanceM > g.DistanceM+1e-9 {
				t.Fatalf("exact %.6f longer than largest gap %.6f", route.DistanceM, g.DistanceM)
			}
			keys, _ := r.keysOf(ps)
			if len(keys) > 0 && math.Abs(r.length(slices.Clone(keys))-route.DistanceM) > 1e-6 {
				t.Fatalf("batching length %.6f, route %.6f", r.length(keys), route.DistanceM)
			}
		}
	})
}
