package wave

import (
	"github.com/pickwave/pickwave"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// heldKarp returns the optimal tour length through the depot and the
// distinct sorted keys by brute force over subsets.
func heldKarp(f *frame, keys []uint32) float64 {
	n := len(keys)
	if n == 0 {
		return 0
	}
	pts := make([]spot, n)
	for i, k := range keys {
		pts[i] = f.keySpot(k)
	}
	dep := f.depotSpot()
	full := 1 << n
	dp := make([]float64, full*n)
	for i := range dp {
		dp[i] = math.Inf(1)
	}
	for i := range n {
		dp[(1<<i)*n+i] = f.dist(dep, pts[i])
	}
	for set := 1; set < full; set++ {
		for last := range n {
			c := dp[set*n+last]
			if set&(1<<last) == 0 || math.IsInf(c, 1) {
				continue
			}
			for nx := range n {
				if set&(1<<nx) != 0 {
					continue
				}
				ns := set | 1<<nx
				if v := c + f.dist(pts[last], pts[nx]); v < dp[ns*n+nx] {
					dp[ns*n+nx] = v
				}
			}
		}
	}
	best := math.Inf(1)
	for last := range n {
		best = min(best, dp[(full-1)*n+last]+f.dist(pts[last], dep))
	}
	return best
}

func randomLayout(rng *rand.Rand, blocks int) pickwave.Layout {
	l := pickwave.Layout{
		Aisles:       1 + rng.IntN(12),
		BaysPerAisle: blocks + rng.IntN(25),
		BayWidthM:    0.5 + rng.Float64()*2,
		AislePitchM:  1 + rng.Float64()*4,
	}
	if blocks > 1 {
		l.CrossAisles = blocks + 1
	}
	l.Depot.Aisle = 1 + rng.IntN(l.Aisles)
	if rng.IntN(3) == 0 {
		l.Depot.End = pickwave.DepotBack
	}
	return l
}

func randomPositions(rng *rand.Rand, l pickwave.Layout, n int) []Position {
	ps := make([]Position, n)
	for i := range ps {
		ps[i] = Position{1 + rng.IntN(l.Aisles), 1 + rng.IntN(l.BaysPerAisle)}
	}
	return ps
}

// checkRoute asserts a route visits every position once and that its
// figures agree with the layout.
func checkRoute(t *testing.T, l pickwave.Layout, ps []Position, r Route) {
	t.Helper()
	want := slices.Clone(ps)
	slices.SortFunc(want, cmpPos)
	want = slices.Compact(want)
	got := slices.Clone(r.Stops)
	slices.SortFunc(got, cmpPos)
	if !slices.Equal(got, want) {
		t.Fatalf("%s route stops %v, want each of %v once", r.Method, r.Stops, want)
	}
	if r.Method == MethodExact || r.Method == MethodHeuristic {
		if w := Walk(l, r.Stops); math.Abs(w-r.DistanceM) > 1e-6 {
			t.Fatalf("%s route says %.6f m, its stops walk %.6f m", r.Method, r.DistanceM, w)
		}
	}
	if r.DistanceM > r.SShapeM+1e-9 {
		t.Fatalf("%s route %.6f m is longer than S-shape %.6f m", r.Method, r.DistanceM, r.SShapeM)
	}
}

func cmpPos(a, b Position) int {
	if a.Aisle != b.Aisle {
		return a.Aisle - b.Aisle
	}
	return a.Bay - b.Bay
}

func TestRoute_ExactEqualsHeldKarp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 600 {
		l := randomLayout(rng, 1)
		r, err := NewRouter(l)
		if err != nil {
			t.Fatal(err)
		}
		ps := randomPositions(rng, l, 1+rng.IntN(11))
		route, err := r.Route(ps)
		if err != nil {
			t.Fatal(err)
		}
		checkRoute(t, l, ps, route)
		keys, _ := r.keysOf(ps)
		if len(keys) > 11 {
			continue
		}
		hk := heldKarp(r.f, keys)
		if math.Abs(route.DistanceM-hk) > 1e-6 {
			t.Fatalf("case %d %+v %v: exact %.6f, Held–Karp %.6f", i, l, ps, route.DistanceM, hk)
		}
		if dp := r.x.length(keys); math.Abs(dp-hk) > 1e-6 {
			t.Fatalf("case %d: DP length %.6f, Held–Karp %.6f", i, dp, hk)
		}
		s, _ := r.SShape(ps)
		g, _ := r.LargestGap(ps)
		if route.DistanceM > s.DistanceM+1e-9 || route.DistanceM > g.DistanceM+1e-9 {
			t.Fatalf("case %d: exact %.3f longer than S-shape %.3f or largest gap %.3f", i, route.DistanceM, s.DistanceM, g.DistanceM)
		}
		// The baselines must walk no less than the optimum: less is a distance bug.
		for _, b := range []Route{s, g} {
			if b.DistanceM < hk-1e-6 {
				t.Fatalf("case %d: %s %.6f below the optimum %.6f", i, b.Method, b.DistanceM, hk)
			}
			if w := Walk(l, b.Stops); w > b.DistanceM+1e-6 {
				t.Fatalf("case %d: %s says %.6f but its stops alone walk %.6f", i, b.Method, b.DistanceM, w)
			}
			checkRoute(t, l, ps, Route{Method: b.Method, Stops: b.Stops, DistanceM: b.DistanceM, SShapeM: math.Inf(1)})
		}
	}
}

func TestRoute_MultiBlockNearHeldKarp(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var sumGap, worst float64
	n := 0
	for range 300 {
		l := randomLayout(rng, 2+rng.IntN(3))
		r, err := NewRouter(l)
		if err != nil {
			t.Fatal(err)
		}
		ps := randomPositions(rng, l, 1+rng.IntN(11))
		route, err := r.Route(ps)
		if err != nil {
			t.Fatal(err)
		}
		checkRoute(t, l, ps, route)
		keys, _ := r.keysOf(ps)
		if len(keys) > 11 {
			continue
		}
		hk := heldKarp(r.f, keys)
		if route.DistanceM < hk-1e-6 {
			t.Fatalf("%+v %v: heuristic %.6f below the optimum %.6f", l, ps, route.DistanceM, hk)
		}
		s, _ := r.SShape(ps)
		g, _ := r.LargestGap(ps)
		for _, b := range []Route{s, g} {
			if b.DistanceM < hk-1e-6 {
				t.Fatalf("%+v %v: %s %.6f below the optimum %.6f", l, ps, b.Method, b.DistanceM, hk)
			}
		}
		if hk > 0 {
			gap := route.DistanceM/hk - 1
			sumGap += gap
			worst = max(worst, gap)
			n++
		}
	}
	mean := sumGap / float64(n)
	t.Logf("several blocks, %d instances of 1–11 picks: heuristic mean gap to Held–Karp %.3f %%, worst %.2f %%", n, 100*mean, 100*worst)
	if mean > 0.01 {
		t.Fatalf("mean gap %.3f %% is above 1 %%", 100*mean)
	}
}

// TestRoute_BaselinesMatchLiterature reproduces the reference table of
// reference/wave-routing.md: mean excess of S-shape and largest gap over the
// exact optimum on uniformly random picks.
func TestRoute_BaselinesMatchLiterature(t *testing.T) {
	type row struct {
		aisles, bays int
		picks        int
		sshape, lg   float64 // reference mean excess
	}
	rows := []row{
		{10, 20, 5, 0.30, 0.07}, {10, 20, 10, 0.37, 0.07}, {10, 20, 20, 0.26, 0.07}, {10, 20, 30, 0.17, 0.08}, {10, 20, 60, 0.03, 0.18},
		{20, 30, 5, 0.31, 0.08}, {20, 30, 10, 0.42, 0.06}, {20, 30, 20, 0.42, 0.05}, {20, 30, 30, 0.35, 0.06}, {20, 30, 60, 0.18, 0.10},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rw := range rows {
		l := pickwave.Layout{Aisles: rw.aisles, BaysPerAisle: rw.bays, BayWidthM: 1.3, AislePitchM: 3, CrossAisles: 2, Depot: pickwave.Depot{Aisle: 1, End: pickwave.DepotFront}}
		r, _ := NewRouter(l)
		var s, g float64
		const runs = 300
		for range runs {
			ps := randomPositions(rng, l, rw.picks)
			opt, _ := r.Route(ps)
			sr, _ := r.SShape(ps)
			gr, _ := r.LargestGap(ps)
			s += sr.DistanceM/opt.DistanceM - 1
			g += gr.DistanceM/opt.DistanceM - 1
		}
		s, g = s/runs, g/runs
		t.Logf("%d×%d, %2d picks: S-shape +%4.1f %% (reference +%2.0f %%), largest gap +%4.1f %% (reference +%2.0f %%)",
			rw.aisles, rw.bays, rw.picks, 100*s, 100*rw.sshape, 100*g, 100*rw.lg)
		if math.Abs(s-rw.sshape) > 0.05 || math.Abs(g-rw.lg) > 0.05 {
			t.Errorf("%d×%d, %d picks: excess S-shape %.3f, largest gap %.3f, far from the reference %.2f, %.2f",
				rw.aisles, rw.bays, rw.picks, s, g, rw.sshape, rw.lg)
		}
	}
}

// TestRoute_MultiBlockVsBestKnown measures the several-block heuristic on
// carts too big for Held–Karp against the best tour a five times longer
// search finds from the same starts.
func TestRoute_MultiBlockVsBestKnown(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	runs := 25
	if testing.Short() || raceEnabled {
		runs = 10
	}
	var sumGap, worst float64
	for range runs {
		l := pickwave.Layout{Aisles: 20, BaysPerAisle: 30, BayWidthM: 1.3, AislePitchM: 3, CrossAisles: 3 + rng.IntN(3), Depot: pickwave.Depot{Aisle: 1 + rng.IntN(20)}}
		r, _ := NewRouter(l)
		ps := randomPositions(rng, l, 15+rng.IntN(26))
		route, err := r.Route(ps)
		if err != nil {
			t.Fatal(err)
		}
		checkRoute(t, l, ps, route)
		keys, _ := r.keysOf(ps)
		sOrder, _ := r.f.sshape(keys, &r.pb, true)
		gOrder, _ := r.f.largestGap(keys, &r.pb, true)
		heavy := &tsp{f: r.f}
		_, best := heavy.solve(keys, [][]uint32{sOrder, gOrder}, 10*kicks(len(keys)))
		best = min(best, route.DistanceM)
		gap := route.DistanceM/best - 1
		sumGap += gap
		worst = max(worst, gap)
	}
	mean := sumGap / float64(runs)
	t.Logf("several blocks, %d carts of 15–40 picks: heuristic mean gap to the best known %.3f %%, worst %.2f %%", runs, 100*mean, 100*worst)
	if mean > 0.01 {
		t.Fatalf("mean gap %.3f %% is above 1 %%", 100*mean)
	}
}
