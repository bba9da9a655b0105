package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

// benchSite builds a store with n SKUs, each with plenty of stock in one
// pick bin, and returns it with the SKU codes.
func benchSite(b *testing.B, n int) (*store.DB, []string) {
	b.Helper()
	db := mustOpenWith(b, b.TempDir(), store.Options{})
	codes := make([]string, n)
	for i := range codes {
		codes[i] = fmt.Sprintf("SKU-%04d", i)
		loc := fmt.Sprintf("A%02d-%02d-1", 1+i/20, 1+i%20)
		mustLocation(b, db, loc, 1+i/20, 1+i%20, pickwave.LocationPick)
		mustSKU(b, db, pickwave.SKU{Code: codes[i], Name: "Item"})
		mustAdjust(b, db, pickwave.Adjustment{SKU: codes[i], Location: loc, Delta: 1 << 30})
	}
	return db, codes
}

// BenchmarkCreateOrder measures durable order intake: validation, the
// idempotency check, allocation of every line and the event, in one
// fsynced transaction per order. Orders have 3 lines.
func BenchmarkCreateOrder(b *testing.B) {
	for _, par := range []int{1, 16} {
		b.Run(fmt.Sprintf("writers=%d", par), func(b *testing.B) {
			db, codes := benchSite(b, 200)
			var n atomic.Int64
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(n.Add(1))
					in := orderInput(fmt.Sprintf("B-%d", i), line(codes[i%200], 1), line(codes[(i*7+1)%200], 2), line(codes[(i*13+2)%200], 1))
					if _, _, err := db.CreateOrder(ctxAs("bench"), in); err != nil {
						b.Fatal(err)
					}
				}
			})
			secs := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)/secs, "orders/s")
			b.ReportMetric(3*float64(b.N)/secs, "allocations/s")
		})
	}
}

// BenchmarkEventAppend measures the smallest durable write: one location
// and its event per fsynced transaction.
func BenchmarkEventAppend(b *testing.B) {
	db := mustOpenWith(b, b.TempDir(), store.Options{})
	b.ResetTimer()
	for i := range b.N {
		loc := &pickwave.Location{Code: fmt.Sprintf("L%08d", i), Aisle: 1, Bay: 1, Kind: pickwave.LocationPick}
		if err := db.CreateLocation(ctxAs("bench"), loc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEventsRead measures paging through the event log.
func BenchmarkEventsRead(b *testing.B) {
	db, _ := benchSite(b, 100) // 300 events
	b.ResetTimer()
	for range b.N {
		evs, err := db.Events(ctxAs("bench"), 0, 100)
		if err != nil || len(evs) != 100 {
			b.Fatal(len(evs), err)
		}
	}
	b.ReportMetric(100*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
