package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pickwave/pickwave/store"
)

// BenchmarkGrowth measures what 100,000 scans add to the data file, and
// what retention takes back (issue 13, item 9):
//
//	go test ./store -run '^$' -bench Growth -benchtime 1x
//
// On a copy of the scan benchmark's site, 256 pickers make 100,000 right
// scans on one day. Then the clock moves 31 days on: scan records older
// than 30 days are dropped (the default --scan-retention) and the event
// log's old days are moved to the archive (--event-retention, here all of
// them), as the server's hourly retention does. Then another 100,000 scans.
// It reports, per 100,000 scans, in MB: the store's growth without
// retention (store-MB: pages in use; file-MB: the file, which bbolt grows
// in steps), what of it retention keeps (kept-MB: the scan id index, a
// few dozen bytes a scan, and the newest event), the archive's size
// (archive-MB, gzipped), and the growth in use and of the file for the
// second 100,000 (steady-MB, steady-file-MB): bbolt never shrinks its
// file, it reuses the pages retention freed.
func BenchmarkGrowth(b *testing.B) {
	template := b.TempDir()
	skus := scanBenchSite(b, template, scanBenchPickers)
	for range b.N {
		dir := b.TempDir()
		copyFile(b, filepath.Join(template, store.FileName), filepath.Join(dir, store.FileName))
		clk := newClock(time.Now().Add(48 * time.Hour)) // after the site's own events
		db := mustOpenWith(b, dir, store.Options{NoSync: true, Now: clk.now})
		pickers := growthPickers(b, db, skus)
		size0, used0 := space(db)
		runScans(b, pickers, 100_000)
		size1, used1 := space(db)

		clk.set(clk.now().Add(31 * 24 * time.Hour))
		ctx := context.Background()
		for {
			_, more, err := db.ForgetScans(ctx, clk.now().Add(-30*24*time.Hour), 1000)
			if err != nil {
				b.Fatal(err)
			}
			if !more {
				break
			}
		}
		foldKPIs(b, db)
		res, err := db.ArchiveEvents(ctx, clk.now())
		if err != nil {
			b.Fatal(err)
		}
		var archived int64
		for _, name := range res.Files {
			archived += fileSize(b, filepath.Join(dir, store.ArchiveDirName, name))
		}
		_, usedKept := space(db)
		runScans(b, pickers, 100_000)
		size2, used2 := space(db)
		b.ReportMetric(float64(used1-used0)/1e6, "store-MB")
		b.ReportMetric(float64(size1-size0)/1e6, "file-MB")
		b.ReportMetric(float64(usedKept-used0)/1e6, "kept-MB")
		b.ReportMetric(float64(archived)/1e6, "archive-MB")
		b.ReportMetric(float64(used2-usedKept)/1e6, "steady-MB")
		b.ReportMetric(float64(size2-size1)/1e6, "steady-file-MB")
		b.ReportMetric(float64(res.Events), "events-archived")
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func growthPickers(b *testing.B, db *store.DB, barcodes map[string]string) []*benchPicker {
	pickers := make([]*benchPicker, scanBenchPickers)
	var wg sync.WaitGroup
	for i := range pickers {
		p := &benchPicker{db: db, name: fmt.Sprintf("p%03d", i), barcodes: barcodes}
		pickers[i] = p
		wg.Go(func() { p.prompt, p.err = db.TakeCart(ctxAs(p.name), p.name) })
	}
	wg.Wait()
	for _, p := range pickers {
		if p.err != nil {
			b.Fatal(p.err)
		}
	}
	return pickers
}

func runScans(b *testing.B, pickers []*benchPicker, n int64) {
	var (
		left atomic.Int64
		wg   sync.WaitGroup
	)
	left.Store(n)
	for _, p := range pickers {
		wg.Go(func() {
			for left.Add(-1) >= 0 && p.err == nil {
				p.step()
			}
		})
	}
	wg.Wait()
	for _, p := range pickers {
		if p.err != nil {
			b.Fatal(p.err)
		}
	}
}

// space is the data file's size and the bytes of it in use.
func space(db *store.DB) (size, used int64) {
	st := db.WriteStats()
	return st.FileBytes, st.FileBytes - st.FreeBytes
}

func fileSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}
