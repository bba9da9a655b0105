package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
)

// BenchmarkPack_lastScanToLabel measures the packing target: from the
// packer's last verify scan (read by the demo station's scanner through
// its pty) to the label's bytes at the loopback printer, with the parcel
// already on the demo scale (MT-SICS through a pty, polled every 50 ms).
// In between: the scan's commit, the next stable weight, the weight
// check, an SSCC and a tracking number (each committed before use), the
// label rendered, the package, shipment, order and print job committed
// together, and the print worker's status query and send. Each iteration
// packs a new order; picking it is not timed. Run it with -benchtime=Nx
// with N up to about 200 (the orders of the site it seeds).
func BenchmarkPack_lastScanToLabel(b *testing.B) {
	e := newPackEnv(b, 250)
	e.mustCall(pickwave.RolePacker, "POST", "/api/v1/stations/"+demoStation+"/pack/sign-in", nil, nil)
	var lat []time.Duration
	for b.Loop() {
		b.StopTimer()
		e.m.demo.benches[demoStation].scale.SetWeight(0)
		o, tote := e.pickOrder()
		if err := e.m.demo.benches[demoStation].scanner.Scan(tote); err != nil {
			b.Fatal(err)
		}
		s := e.awaitStep(pickwave.PackScan)
		// Every item but the last, and the parcel's full weight on the
		// scale: the packer scans the last item as it goes in.
		var codes []string
		for _, l := range o.Lines {
			for range l.Picked {
				codes = append(codes, e.barcode(l.SKU))
			}
		}
		for _, c := range codes[:len(codes)-1] {
			if err := e.m.demo.benches[demoStation].scanner.Scan(c); err != nil {
				b.Fatal(err)
			}
		}
		want := len(codes) - 1
		e.awaitScanned(want)
		weight := s.Carton.TareG
		for _, l := range s.Lines {
			weight += l.WeightG * l.Qty
		}
		e.m.demo.benches[demoStation].scale.SetWeight(float64(weight))
		labels := e.labels()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		b.StartTimer()

		start := time.Now()
		if err := e.m.demo.benches[demoStation].scanner.Scan(codes[len(codes)-1]); err != nil {
			b.Fatal(err)
		}
		if err := e.m.demo.benches[demoStation].printer.WaitLabels(ctx, labels+1); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))

		b.StopTimer()
		cancel()
		b.StartTimer()
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Millisecond), "max-ms")
}

// awaitScanned waits until the open package holds n units.
func (e *packEnv) awaitScanned(n int) {
	e.t.Helper()
	testenv.Eventually(e.t, 10*time.Second, fmt.Sprintf("%d units scanned", n), func() bool {
		got := 0
		for _, l := range e.session().Lines {
			got += l.Scanned
		}
		return got >= n
	})
}
