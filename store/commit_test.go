package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/pickwave/pickwave"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.TempDir(), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestGroupCommit_failuresDoNotLeak runs many concurrent writers, every
// third of which writes and then fails or panics. Every good write must be
// kept and every failed one must leave nothing behind.
func TestGroupCommit_failuresDoNotLeak(t *testing.T) {
	db := openTest(t)
	const n = 300
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.update(context.Background(), func(tx *txn) error {
				key := []byte(fmt.Sprintf("k%03d", i))
				if i%3 == 0 && i%5 == 0 {
					return pickwave.Errorf(pickwave.EINVALID, "refused before writing %d", i)
				}
				if err := tx.Put(spaceMeta, key, []byte("v")); err != nil {
					return err
				}
				if _, err := tx.appendEvent("test.write", string(key), nil); err != nil {
					return err
				}
				switch i % 3 {
				case 1:
					return pickwave.Errorf(pickwave.ECONFLICT, "no %d", i)
				case 2:
					if i%2 == 0 {
						panic("bad write")
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	kept := 0
	err := db.view(context.Background(), func(tx *txn) error {
		for i := range n {
			got := tx.Get(spaceMeta, []byte(fmt.Sprintf("k%03d", i)))
			failed := i%3 == 1 || (i%3 == 2 && i%2 == 0) || (i%3 == 0 && i%5 == 0)
			switch {
			case failed && got != nil:
				return fmt.Errorf("write %d failed (%v) but was kept", i, errs[i])
			case !failed && (got == nil || errs[i] != nil):
				return fmt.Errorf("write %d succeeded (%v) but was lost", i, errs[i])
			case failed && errs[i] == nil:
				return fmt.Errorf("write %d should have failed", i)
			}
			if got != nil {
				kept++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if last, _ := db.LastSeq(context.Background()); last != uint64(kept) {
		t.Fatalf("%d events for %d kept writes", last, kept)
	}
	if pickwave.ErrorCode(errs[1]) != pickwave.ECONFLICT || pickwave.ErrorCode(errs[2]) != pickwave.EINTERNAL || pickwave.ErrorCode(errs[15]) != pickwave.EINVALID {
		t.Fatalf("errors %v, %v, %v", errs[1], errs[2], errs[15])
	}
}

func TestUpdate_afterCloseAndCancelled(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.update(ctx, func(*txn) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled update: %v", err)
	}
	db.Close()
	err := db.update(context.Background(), func(*txn) error { return nil })
	if pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE {
		t.Fatalf("update after close: %v", err)
	}
}
