package store_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/etcdtest"
	"github.com/pickwave/pickwave/store"
)

// Durable scans: the store side of the DESIGN.md target "≥ 10,000 durable
// scans/s through group commit, ≥ 5× one commit per scan in the same run".
//
// group-commit and commit-per-scan run the same workload on copies of the
// same site: scanBenchPickers goroutines, each a picker working its own
// cart with right scans (bind totes, location, one scan per unit, tote),
// every scan judged, applied and fsynced before db.Scan returns. Carts
// hold far more scans than a run uses, so the mix (mostly item scans, each
// moving stock and updating its task, order and wave) stays the same
// whatever b.N is. The only difference is store.Options.CommitPerWrite:
// group commit, or one bbolt transaction and fsync per scan.
//
// The -no_task pair runs the same pickers without carts: every scan is
// judged no_task and only its audit record, the picker's state and the
// event are written. It measures the commit path itself, without the
// picking work, which runs in the one committer goroutine and so bounds
// the pick workload's throughput.
//
//	go test ./store -run '^$' -bench DurableScans
//
// Each commit-per-scan line also reports speedup: the matching group-commit
// line's scans/s divided by its own, measured in the same run.
//
// group-commit-on-etcd runs group-commit on a store leading a site on a
// three-member etcd cluster (internal/etcdtest, fsync on): the HA target
// "≥ 5,000 durable scans/s on etcd".

const (
	scanBenchPickers = 256
	scanBenchUnits   = 200 // units per order line: one item scan each
	scanBenchWave    = 64  // orders per wave: 8 carts of 8 totes
)

func BenchmarkDurableScans(b *testing.B) {
	template := b.TempDir()
	skus := scanBenchSite(b, template, scanBenchPickers)
	groupRate := map[bool]float64{}
	for _, mode := range []struct {
		name                   string
		perWrite, noCart, etcd bool
	}{
		{"group-commit", false, false, false}, {"commit-per-scan", true, false, false},
		{"group-commit-no_task", false, true, false}, {"commit-per-scan-no_task", true, true, false},
		{"group-commit-on-etcd", false, false, true},
	} {
		b.Run(mode.name, func(b *testing.B) {
			rate := benchDurableScans(b, template, skus, mode.perWrite, mode.noCart, mode.etcd)
			b.ReportMetric(rate, "scans/s")
			if !mode.perWrite {
				groupRate[mode.noCart] = rate
			} else if g := groupRate[mode.noCart]; g > 0 {
				b.ReportMetric(g/rate, "speedup")
			}
		})
	}
}

// benchDurableScans copies the site, takes a cart for every picker unless
// noCart, then times b.N scans spread over the pickers and returns scans
// per second.
func benchDurableScans(b *testing.B, template string, barcodes map[string]string, perWrite, noCart, onEtcd bool) float64 {
	dir := b.TempDir()
	copyFile(b, filepath.Join(template, store.FileName), filepath.Join(dir, store.FileName))
	var db *store.DB
	if onEtcd {
		// The leader of a site on a three-member etcd cluster that syncs:
		// every group commit appended to the site's log before it is
		// answered (whatever engine the other lines run on).
		var err error
		if db, _, err = etcdtest.OpenLeader(b, dir, store.Options{Logger: slog.New(slog.DiscardHandler)}); err != nil {
			b.Fatal(err)
		}
	} else {
		db = mustOpenWith(b, dir, store.Options{CommitPerWrite: perWrite})
	}
	defer db.Close()
	pickers := make([]*benchPicker, scanBenchPickers)
	var wg sync.WaitGroup
	for i := range pickers {
		p := &benchPicker{db: db, name: fmt.Sprintf("p%03d", i), barcodes: barcodes}
		pickers[i] = p
		if !noCart {
			wg.Go(func() { p.prompt, p.err = db.TakeCart(ctxAs(p.name), p.name) })
		}
	}
	wg.Wait()
	for _, p := range pickers {
		if p.err != nil {
			b.Fatalf("take cart for %s: %v", p.name, p.err)
		}
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	b.ResetTimer()
	for _, p := range pickers {
		wg.Go(func() {
			for left.Add(-1) >= 0 && p.err == nil {
				p.step()
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	for _, p := range pickers {
		if p.err != nil {
			b.Fatal(p.err)
		}
	}
	return float64(b.N) / b.Elapsed().Seconds()
}

// benchPicker works one cart with right scans only.
type benchPicker struct {
	db       *store.DB
	name     string
	barcodes map[string]string // SKU → each barcode
	prompt   *pickwave.Prompt
	n        int
	err      error
}

func (p *benchPicker) step() {
	var data string
	want := pickwave.VerdictOK
	switch pr := p.prompt; {
	case pr == nil: // no cart
		data, want = "96385074", pickwave.VerdictNoTask
	case pr.Done:
		p.err = fmt.Errorf("%s finished a cart: the site is too small for b.N", p.name)
		return
	case pr.Step == pickwave.StepBindTote:
		data = fmt.Sprintf("T-%s-%d", p.name, pr.Slot)
	case pr.Step == pickwave.StepLocation:
		data = pr.Task.Location
	case pr.Step == pickwave.StepItem:
		data = p.barcodes[pr.Task.SKU]
	case pr.Step == pickwave.StepTote:
		data = fmt.Sprintf("T-%s-%d", p.name, pr.Task.ToteSlot)
	}
	p.n++
	res, err := p.db.Scan(ctxAs(p.name), p.name, pickwave.ScanRequest{ID: fmt.Sprintf("%s-%d", p.name, p.n), Device: "bench", Data: data})
	switch {
	case err != nil:
		p.err = fmt.Errorf("scan %q: %w", data, err)
	case res.Verdict.Code != want:
		p.err = fmt.Errorf("scan %q: %+v, want %s", data, res.Verdict, want)
	case p.prompt != nil:
		p.prompt = &res.Prompt
	}
}

// scanBenchSite builds, in dir, a 4 × 20 site with a SKU in every bay and
// one released cart of 8 single-line orders (scanBenchUnits units each)
// for each of pickers pickers, in waves of scanBenchWave orders. It
// returns each SKU's each barcode. Setup runs without fsync; the file is
// closed cleanly before the timed runs copy it.
func scanBenchSite(b *testing.B, dir string, pickers int) map[string]string {
	b.Helper()
	db := mustOpenWith(b, dir, store.Options{NoSync: true})
	layout := pickwave.Layout{Aisles: 4, BaysPerAisle: 20, BayWidthM: 1.3, AislePitchM: 3, CrossAisles: 2, Depot: pickwave.Depot{Aisle: 1, End: "front"}}
	if err := db.SetLayout(ctxAs("t"), layout); err != nil {
		b.Fatal(err)
	}
	barcodes := map[string]string{}
	var skus []string
	for a := 1; a <= layout.Aisles; a++ {
		for bay := 1; bay <= layout.BaysPerAisle; bay++ {
			loc, sku := fmt.Sprintf("A%02d-%02d-1", a, bay), fmt.Sprintf("S%02d%02d", a, bay)
			mustLocation(b, db, loc, a, bay, pickwave.LocationPick)
			mustSKU(b, db, pickwave.SKU{Code: sku, Name: "Item " + sku, Barcodes: []pickwave.Barcode{{Code: gtinFor(a, bay, 0), Qty: 1}}})
			mustAdjust(b, db, pickwave.Adjustment{SKU: sku, Location: loc, Delta: 1 << 24})
			barcodes[sku] = gtinFor(a, bay, 0)
			skus = append(skus, sku)
		}
	}
	orders := pickers * store.DefaultTotesPerCart
	var (
		wg   sync.WaitGroup
		errs = make([]error, orders)
	)
	for i := range orders {
		wg.Go(func() {
			_, _, errs[i] = db.CreateOrder(ctxAs("t"), orderInput(fmt.Sprintf("SB%05d", i), line(skus[(i*7)%len(skus)], scanBenchUnits)))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	carts := 0
	for carts < pickers {
		w, err := db.PlanWave(ctxAs("t"), pickwave.WaveTemplate{TotesPerCart: store.DefaultTotesPerCart, MaxOrders: scanBenchWave}, 1)
		if err != nil {
			b.Fatalf("plan wave with %d carts released: %v", carts, err)
		}
		if w, err = db.ReleaseWave(ctxAs("t"), w.ID); err != nil {
			b.Fatal(err)
		}
		carts += w.Progress.Carts
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	return barcodes
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	src, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		tb.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		tb.Fatal(err)
	}
}
