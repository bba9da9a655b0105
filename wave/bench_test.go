package wave

import (
	"fmt"
	"github.com/pickwave/pickwave"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkPlan batches and routes a whole wave on a 20 aisle × 30 bay site.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		in := genInstance(20, 30, n, 42)
		b.Run(fmt.Sprintf("orders=%d", n), func(b *testing.B) {
			var p pickwave.Plan
			cpu0 := cpuTime()
			for b.Loop() {
				var err error
				if p, err = Plan(in.layout, in.orders, in.opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/plan")
			// CPU time tells how the plan would fare on an idle machine
			// when the benchmark shares its cores with other work.
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/plan")
			b.ReportMetric(float64(len(p.Carts)), "carts")
			b.ReportMetric(pct(p.DistanceM, p.Baseline.FCFSM), "vs-fcfs-%")
		})
	}
}

// BenchmarkRouteExact routes single-block carts of 10–40 picks exactly and
// reports the 99th percentile time per cart.
func BenchmarkRouteExact(b *testing.B) {
	for _, site := range [][2]int{{10, 20}, {20, 30}, {40, 50}} {
		l := pickwave.Layout{Aisles: site[0], BaysPerAisle: site[1], BayWidthM: 1.3, AislePitchM: 3, Depot: pickwave.Depot{Aisle: 1}}
		r, _ := NewRouter(l)
		rng := rand.New(rand.NewPCG(7, 8))
		carts := make([][]Position, 1000)
		for i := range carts {
			carts[i] = randomPositions(rng, l, 10+rng.IntN(31))
		}
		b.Run(fmt.Sprintf("site=%dx%d", site[0], site[1]), func(b *testing.B) {
			times := make([]time.Duration, 0, 1<<16)
			i := 0
			for b.Loop() {
				start := time.Now()
				if _, err := r.Route(carts[i%len(carts)]); err != nil {
					b.Fatal(err)
				}
				if len(times) < cap(times) {
					times = append(times, time.Since(start))
				}
				i++
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)*99/100].Nanoseconds())/1e6, "p99-ms")
		})
	}
}

// BenchmarkRouteMultiBlock routes carts of 10–40 picks on a 20 × 30 site
// with 4 cross aisles (3 blocks) and reports the ratio to S-shape.
func BenchmarkRouteMultiBlock(b *testing.B) {
	l := pickwave.Layout{Aisles: 20, BaysPerAisle: 30, BayWidthM: 1.3, AislePitchM: 3, CrossAisles: 4, Depot: pickwave.Depot{Aisle: 1}}
	r, _ := NewRouter(l)
	rng := rand.New(rand.NewPCG(9, 10))
	carts := make([][]Position, 200)
	for i := range carts {
		carts[i] = randomPositions(rng, l, 10+rng.IntN(31))
	}
	var sum, sumS float64
	times := make([]time.Duration, 0, 1<<16)
	i := 0
	for b.Loop() {
		start := time.Now()
		rt, err := r.Route(carts[i%len(carts)])
		if err != nil {
			b.Fatal(err)
		}
		if len(times) < cap(times) {
			times = append(times, time.Since(start))
		}
		sum += rt.DistanceM
		sumS += rt.SShapeM
		i++
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*99/100].Nanoseconds())/1e6, "p99-ms")
	b.ReportMetric(sum/sumS, "route-ratio")
}

// BenchmarkBatchQuality plans the quality instances and reports how much
// less the plans walk than the reference planner and the FCFS baselines.
func BenchmarkBatchQuality(b *testing.B) {
	ins := qualityInstances()
	for b.Loop() {
		var plan, ref, fcfs, fcfsS float64
		for _, in := range ins {
			q := runQuality(b, in)
			plan += q.plan
			ref += q.ref
			fcfs += q.fcfs
			fcfsS += q.fcfsSShape
		}
		b.ReportMetric(pct(plan, ref), "vs-ref-%")
		b.ReportMetric(pct(plan, fcfs), "vs-fcfs-%")
		b.ReportMetric(pct(plan, fcfsS), "vs-fcfs-sshape-%")
	}
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
