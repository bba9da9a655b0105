package store

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

// blockCommitter holds the committer in a write until the returned func
// is called, so writes submitted meanwhile queue up.
func blockCommitter(t *testing.T, db *DB) (release func()) {
	t.Helper()
	entered, hold := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.update(context.Background(), func(tx *txn) error {
			select {
			case <-entered:
			default:
				close(entered)
			}
			<-hold
			return tx.Put(spaceMeta, []byte("blocker"), []byte("v"))
		})
	}()
	<-entered
	var once sync.Once
	return func() {
		once.Do(func() {
			close(hold)
			if err := <-done; err != nil {
				t.Errorf("blocking write: %v", err)
			}
		})
	}
}

// put writes key in its own request.
func put(db *DB, key string) error {
	return db.update(context.Background(), func(tx *txn) error { return tx.Put(spaceMeta, []byte(key), []byte("v")) })
}

func TestAdmission_fullQueueShedsAtOnce(t *testing.T) {
	db, err := Open(t.TempDir(), Options{Logger: slog.New(slog.DiscardHandler), MaxPendingWrites: 4, MaxWriteWait: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	release := blockCommitter(t, db)
	defer release()

	// Four writes wait; the fifth is refused without waiting.
	results := make(chan error, 4)
	for i := range 4 {
		go func() { results <- put(db, fmt.Sprintf("queued-%d", i)) }()
	}
	for db.WriteStats().PendingWrites < 4 {
		time.Sleep(time.Millisecond)
	}
	err = put(db, "one-too-many")
	if pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE {
		t.Fatalf("a write over the bound: %v, want unavailable", err)
	}
	if got := db.WriteStats().ShedWrites; got != 1 {
		t.Fatalf("shed %d, want 1", got)
	}
	release()
	for range 4 {
		if err := <-results; err != nil {
			t.Errorf("a write within the bound: %v", err)
		}
	}
	// Every admitted write is there; the shed one is not.
	for i := range 4 {
		if !has(t, db, fmt.Sprintf("queued-%d", i)) {
			t.Errorf("queued-%d was acknowledged but is missing", i)
		}
	}
	if has(t, db, "one-too-many") {
		t.Error("a shed write was written")
	}
	if st := db.WriteStats(); st.PendingWrites != 0 || st.CommitCount == 0 {
		t.Errorf("after the queue drained: %+v", st)
	}
}

func TestAdmission_writesWaitingPastTheirBudgetAreShed(t *testing.T) {
	db, err := Open(t.TempDir(), Options{Logger: slog.New(slog.DiscardHandler), MaxWriteWait: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	release := blockCommitter(t, db)
	late := make(chan error, 1)
	go func() { late <- put(db, "late") }()
	for db.WriteStats().PendingWrites < 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(40 * time.Millisecond) // past its budget, behind the blocked batch
	release()
	if err := <-late; pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE {
		t.Fatalf("a write that waited past its budget: %v, want unavailable", err)
	}
	if has(t, db, "late") {
		t.Error("a shed write was written")
	}
	// A write that does not wait long is served as ever.
	if err := put(db, "on-time"); err != nil {
		t.Fatal(err)
	}
}

func has(t *testing.T, db *DB, key string) bool {
	t.Helper()
	var found bool
	err := db.view(context.Background(), func(tx *txn) error {
		found = tx.Get(spaceMeta, []byte(key)) != nil
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
