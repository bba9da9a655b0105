package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pickwave/pickwave"
)

// seedYearOfEvents writes n events spread over a year straight into the
// log, as a busy site would have logged them: orders received, picked
// through carts with scans (one in twenty wrong, one task in fifty
// short), packed and shipped, by twenty pickers on a wave a day.
func seedYearOfEvents(tb testing.TB, db *DB, n int) time.Time {
	tb.Helper()
	start := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / time.Duration(n)
	var seq uint64
	now := start
	order := 0
	const chunk = 50000
	for seq < uint64(n) {
		err := db.bolt.Update(func(btx *bolt.Tx) error {
			b := btx.Bucket([]byte(spaceEvents))
			b.FillPercent = 0.95
			put := func(typ, actor string, payload any) error {
				seq++
				now = now.Add(step)
				data, err := json.Marshal(storedEvent{Seq: seq, Type: typ, Entity: "x", Time: now, Actor: actor, Payload: payload})
				if err != nil {
					return err
				}
				return b.Put(u64key(seq), data)
			}
			for i := 0; i < chunk && seq < uint64(n); {
				order++
				id := fmt.Sprintf("O-%010d", order)
				picker := fmt.Sprintf("picker%d", order%20)
				wave := fmt.Sprintf("W-%06d", int(now.Sub(start).Hours()/24)+1)
				cart := fmt.Sprintf("%s-C%03d", wave, order/10%1000)
				evs := []struct {
					typ string
					p   any
				}{
					{pickwave.EventOrderCreated, map[string]any{"id": id, "ship_by": now.Add(8 * time.Hour)}},
					{pickwave.EventCartAssigned, map[string]any{"cart": cart, "wave": wave, "picker": picker}},
				}
				for s := range 6 {
					code := "ok"
					if (order+s)%20 == 0 {
						code = "wrong_item"
					}
					evs = append(evs, struct {
						typ string
						p   any
					}{pickwave.EventScanJudged, map[string]any{"picker": picker, "scan_id": fmt.Sprint(seq), "code": code, "cart": cart}})
				}
				short := 0
				if order%50 == 0 {
					short = 1
				}
				evs = append(evs, []struct {
					typ string
					p   any
				}{
					{pickwave.EventTaskPicked, map[string]any{"task": id + "-T1", "cart": cart, "wave": wave, "order": id, "qty": 3, "picked": 3 - short, "short": short, "picker": picker}},
					{pickwave.EventOrderPicked, map[string]any{"id": id}},
					{pickwave.EventCartDone, map[string]any{"cart": cart, "wave": wave, "picker": picker, "distance_m": 42.5}},
					{pickwave.EventPackScanned, map[string]any{"station_id": "PACK-1"}},
					{pickwave.EventOrderShipped, map[string]any{"order_id": id, "shipment_id": "SH-1"}},
				}...)
				for _, ev := range evs {
					if seq >= uint64(n) {
						break
					}
					if err := put(ev.typ, picker, ev.p); err != nil {
						return err
					}
					i++
				}
			}
			return b.SetSequence(seq)
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return start
}

// foldAll folds the whole log into the KPIs, one caller alone.
func foldAll(tb testing.TB, db *DB) {
	tb.Helper()
	ctx := context.Background()
	for {
		before, err := db.KPICursor(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		after, err := db.FoldKPIs(ctx, 0)
		if err != nil {
			tb.Fatal(err)
		}
		if after == before {
			return
		}
	}
}

// BenchmarkKPIs_yearOfEvents answers a year's KPIs from a log of
// 1,000,000 events (the -short run: 100,000), folded first; target
// < 100 ms an answer. It reports the fold's events per second too.
func BenchmarkKPIs_yearOfEvents(b *testing.B) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	dir := b.TempDir()
	db, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler), NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			b.Error(err)
		}
		if err := CheckFile(dir); err != nil {
			b.Error(err)
		}
	}()
	start := seedYearOfEvents(b, db, n)
	ctx := context.Background()
	t0 := time.Now()
	foldAll(b, db)
	fold := time.Since(t0)
	from, to := start, start.Add(365*24*time.Hour)
	b.ResetTimer()
	var rep any
	for b.Loop() {
		r, err := db.KPIs(ctx, from, to, 0)
		if err != nil {
			b.Fatal(err)
		}
		if r.PickScans == 0 || r.ThroughSeq != uint64(n) {
			b.Fatalf("a year of %d events: %+v", n, r)
		}
		rep = r
	}
	_ = rep
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/answer")
	b.ReportMetric(float64(n)/fold.Seconds(), "folded-events/s")
	b.ReportMetric(float64(n), "events")
}

// BenchmarkFoldKPIs_busyFloor folds what a busy floor logs between two
// folds of the server's follower: 10,000 events (five seconds at 2,000
// scans/s) of 1,000 pickers, every picker's work in the hour's and the
// day's buckets. It reports the fold's time, and the bytes it writes.
//
//	go test ./store -run '^$' -bench FoldKPIs_busyFloor -benchtime 20x
func BenchmarkFoldKPIs_busyFloor(b *testing.B) {
	const batch, pickers = 10_000, 1000
	db, err := Open(b.TempDir(), Options{Logger: slog.New(slog.DiscardHandler), NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	hour := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var seq uint64
	seed := func() {
		err := db.bolt.Update(func(btx *bolt.Tx) error {
			events := btx.Bucket([]byte(spaceEvents))
			for range batch {
				seq++
				picker := fmt.Sprintf("picker%04d", seq%pickers)
				at := hour.Add(time.Duration(seq) * 500 * time.Microsecond)
				data, err := json.Marshal(storedEvent{Seq: seq, Type: pickwave.EventScanJudged, Entity: picker, Time: at, Actor: picker,
					Payload: map[string]any{"picker": picker, "scan_id": fmt.Sprint(seq), "code": "ok", "cart": "C-1"}})
				if err != nil {
					return err
				}
				if err := events.Put(u64key(seq), data); err != nil {
					return err
				}
			}
			return events.SetSequence(seq)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	seed()
	foldAll(b, db) // every picker in the buckets
	var bytes int
	for b.Loop() {
		b.StopTimer()
		seed()
		var f kpiFold
		if err := db.view(ctx, func(t *txn) error { f, err = foldKPIs(t, 0); return err }); err != nil {
			b.Fatal(err)
		}
		bytes = 0
		for _, w := range f.writes {
			bytes += len(w.key) + len(w.value)
		}
		b.StartTimer()
		if after, err := db.FoldKPIs(ctx, 0); err != nil || after != seq {
			b.Fatalf("folded through %d of %d: %v", after, seq, err)
		}
	}
	b.ReportMetric(float64(bytes), "bytes/fold")
}
