package wave

import (
	"math"
	"testing"

	"github.com/pickwave/pickwave"
)

func TestDistance(t *testing.T) {
	// 5 aisles of 10 bays of 1 m, pitch 3 m; aisle length 10 m.
	l := pickwave.Layout{Aisles: 5, BaysPerAisle: 10, BayWidthM: 1, AislePitchM: 3, Depot: pickwave.Depot{Aisle: 1}}
	three := l
	three.CrossAisles = 3 // a middle cross aisle at y = 5 m
	for _, tc := range []struct {
		name string
		l    pickwave.Layout
		a, b Position
		want float64
	}{
		{"same aisle", l, Position{2, 1}, Position{2, 8}, 7},
		{"same bay", l, Position{2, 4}, Position{2, 4}, 0},
		{"via the front", l, Position{1, 2}, Position{3, 3}, 6 + 1.5 + 2.5},
		{"via the back", l, Position{1, 9}, Position{3, 8}, 6 + 1.5 + 2.5},
		{"middle cross aisle between", three, Position{1, 2}, Position{4, 9}, 9 + 7},
		{"same block, via the middle", three, Position{1, 4}, Position{2, 5}, 3 + 1.5 + 0.5},
		{"same block, via the front", three, Position{1, 1}, Position{2, 2}, 3 + 0.5 + 1.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Distance(tc.l, tc.a, tc.b); math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("Distance(%v, %v) = %g, want %g", tc.a, tc.b, got, tc.want)
			}
			if got := Distance(tc.l, tc.b, tc.a); math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("Distance is not symmetric: %g", got)
			}
		})
	}
	// Depot at aisle 1 front: out to aisle 3 bay 10 and back.
	if got, want := Walk(l, []Position{{3, 10}}), 2*(6+9.5); math.Abs(got-want) > 1e-9 {
		t.Fatalf("Walk = %g, want %g", got, want)
	}
	back := l
	back.Depot = pickwave.Depot{Aisle: 2, End: pickwave.DepotBack}
	if got, want := Walk(back, []Position{{2, 10}}), 1.0; math.Abs(got-want) > 1e-9 {
		t.Fatalf("Walk from the back = %g, want %g", got, want)
	}
}
