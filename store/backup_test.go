package store_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
)

// TestBackup_duringWritesLosesNothingAcknowledged backs the store up while
// writers take in orders and receive stock as fast as they can, restores
// the backup into a new directory, and requires every write acknowledged
// before the backup began to be there; the backup, the restored store
// and the original all pass the check.
func TestBackup_duringWritesLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenWith(t, dir, store.Options{Now: func() time.Time { return t0 }, NoSync: true})
	site(t, db)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 100000})

	var (
		mu       sync.Mutex
		acked    []string // order ids, in the order their writes returned
		received atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for w := range 6 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				o, _, err := db.CreateOrder(ctxAs("test"), orderInput(fmt.Sprintf("W%d-%d", w, i), line("MUG", 1)))
				if err != nil {
					t.Errorf("create order: %v", err)
					return
				}
				mu.Lock()
				acked = append(acked, o.ID)
				mu.Unlock()
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := db.AdjustStock(ctxAs("test"), &pickwave.Adjustment{SKU: "MUG", Location: "A02-05-1", Delta: 1, Reason: "receipt"}); err != nil {
				t.Errorf("receive: %v", err)
				return
			}
			received.Add(1)
		}
	})
	testenv.Eventually(t, 10*time.Second, "200 acknowledged orders", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 200
	})

	mu.Lock()
	before := len(acked)
	mu.Unlock()
	receivedBefore := received.Load()
	backup := filepath.Join(t.TempDir(), "pickwave-backup.db")
	info, err := store.WriteFile(backup, func(w io.Writer) (int64, error) { return db.Backup(context.Background(), w) })
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	during := len(acked) - before
	ids := append([]string(nil), acked[:before]...)
	mu.Unlock()
	// Let the writers go on a little after the backup, then stop them.
	testenv.Eventually(t, 10*time.Second, "writes after the backup", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) > before+during+20
	})
	close(stop)
	wg.Wait()
	t.Logf("backup: %d bytes, schema %d, %d events; %d orders acknowledged before it, %d while it ran", info.Size, info.SchemaVersion, info.Events, before, during)
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != info.Size {
		t.Fatalf("backup file %v, %v; info %+v", fi, err, info)
	}

	restored := t.TempDir()
	if _, kept, err := store.Restore(backup, restored, t0); err != nil || kept != "" {
		t.Fatalf("restore into an empty dir: kept %q, %v", kept, err)
	}
	rdb := mustOpenDir(t, restored)
	for _, id := range ids {
		if _, err := rdb.Order(context.Background(), id); err != nil {
			t.Fatalf("order %s, acknowledged before the backup began: %v", id, err)
		}
	}
	stock, err := rdb.StockOf(context.Background(), "MUG")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stock {
		if s.Location == "A02-05-1" && int64(s.OnHand) < receivedBefore {
			t.Fatalf("restored stock at A02-05-1: %d on hand, %d receipts acknowledged before the backup", s.OnHand, receivedBefore)
		}
	}
	last, err := rdb.LastSeq(context.Background())
	if err != nil || last != info.Events {
		t.Fatalf("restored event log ends at %d (%v), the backup said %d", last, err, info.Events)
	}
}

// TestRestore_refusals: a damaged or cut-short backup and a data
// directory held by a running store are refused before anything is
// touched; a sound restore keeps the store it replaces.
func TestRestore_refusals(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDir(t, dir)
	site(t, db)
	backup := filepath.Join(t.TempDir(), "b.db")
	if _, err := store.WriteFile(backup, func(w io.Writer) (int64, error) { return db.Backup(context.Background(), w) }); err != nil {
		t.Fatal(err)
	}

	// The offline backup and the restore both refuse a directory in use.
	if _, err := store.BackupFile(dir, filepath.Join(t.TempDir(), "x.db")); pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE ||
		!strings.Contains(pickwave.ErrorMessage(err), "--server") {
		t.Fatalf("offline backup of a served dir: %v", err)
	}
	if _, _, err := store.Restore(backup, dir, t0); pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE ||
		!strings.Contains(pickwave.ErrorMessage(err), "in use") {
		t.Fatalf("restore into a served dir: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	original, err := os.ReadFile(filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}

	damaged := filepath.Join(t.TempDir(), "damaged.db")
	good, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"garbage":    []byte(strings.Repeat("not a store ", 2000)),
		"empty":      nil,
		"cut short":  good[:len(good)/2],
		"a bad page": zeroRootPages(good),
	} {
		if err := os.WriteFile(damaged, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := store.Restore(damaged, dir, t0); pickwave.ErrorCode(err) != pickwave.EINVALID {
			t.Errorf("restore of a %s backup: %v", name, err)
		}
	}
	if now, err := os.ReadFile(filepath.Join(dir, store.FileName)); err != nil || string(now) != string(original) {
		t.Fatalf("a refused restore changed the store (%v)", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("a refused restore left files behind: %v", entries)
	}

	// Write more, then restore the backup: the later write is gone from
	// the store and kept in the replaced file.
	db = mustOpenDir(t, dir)
	mustLocation(t, db, "A09-09-1", 9, 9, pickwave.LocationPick)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	info, kept, err := store.Restore(backup, dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	if kept != filepath.Join(dir, "pickwave.db.before-restore-20261126T090000.000Z") || info.Path != filepath.Join(dir, store.FileName) {
		t.Fatalf("restore: %+v, kept %q", info, kept)
	}
	if _, err := store.VerifyFile(kept); err != nil {
		t.Fatalf("the replaced store: %v", err)
	}
	db = mustOpenDir(t, dir)
	if _, err := db.Location(context.Background(), "A09-09-1"); pickwave.ErrorCode(err) != pickwave.ENOTFOUND {
		t.Fatalf("a location created after the backup, after the restore: %v", err)
	}
	if _, err := db.Location(context.Background(), "A01-01-1"); err != nil {
		t.Fatal(err)
	}
}

// zeroRootPages returns a copy of a store file with the root page of
// each of its two meta pages zeroed: the page every read starts from.
// bbolt's meta page: a 16-byte page header, then magic, version, page
// size and flags (4 bytes each), then the root bucket's page id.
func zeroRootPages(file []byte) []byte {
	out := bytes.Clone(file)
	const pageSize = 4096
	for m := range 2 {
		root := binary.LittleEndian.Uint64(out[m*pageSize+32:])
		if off := root * pageSize; off+pageSize <= uint64(len(out)) {
			clear(out[off : off+pageSize])
		}
	}
	return out
}
