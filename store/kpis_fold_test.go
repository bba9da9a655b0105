package store

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// TestFoldKPIs_racingFolds folds the same log twice: in one store by a
// single caller, in another by four callers at once taking small
// batches, whose folds are worked out side by side and so mostly find
// the cursor moved when they come to write. Both must end with the same
// KPIs: a fold that lost the race writes nothing, none is counted twice.
func TestFoldKPIs_racingFolds(t *testing.T) {
	const events = 20_000
	open := func() *DB {
		dir := t.TempDir()
		db, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler), NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := db.Close(); err != nil {
				t.Error(err)
			}
			if err := CheckFile(dir); err != nil {
				t.Error(err)
			}
		})
		return db
	}
	ctx := context.Background()
	alone, raced := open(), open()
	start := seedYearOfEvents(t, alone, events)
	seedYearOfEvents(t, raced, events)

	foldAll(t, alone)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for {
				c, err := raced.FoldKPIs(ctx, 97)
				if err != nil {
					errs <- err
					return
				}
				if c == events {
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	report := func(db *DB) string {
		r, err := db.KPIs(ctx, start, start.Add(365*24*time.Hour), 30*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if r.ThroughSeq != events {
			t.Fatalf("folded through %d of %d events", r.ThroughSeq, events)
		}
		b, _ := json.Marshal(r)
		return string(b)
	}
	a, r := report(alone), report(raced)
	if a != r {
		t.Errorf("KPIs folded by racing callers differ from one caller's:\n one: %.600s\nfour: %.600s", a, r)
	}
	var doc struct {
		PickScans int `json:"pick_scans"`
	}
	if err := json.Unmarshal([]byte(a), &doc); err != nil || doc.PickScans == 0 {
		t.Fatalf("no pick scans counted (%v): %.300s", err, a)
	}
}
