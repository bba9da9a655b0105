package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pickwave/pickwave"
)

// sliceLog is a Log in memory.
type sliceLog struct {
	mu      sync.Mutex
	entries [][]byte
}

func (l *sliceLog) Append(_ context.Context, index uint64, entry []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if index != uint64(len(l.entries))+1 {
		return fmt.Errorf("append at %d after %d", index, len(l.entries))
	}
	l.entries = append(l.entries, append([]byte(nil), entry...))
	return nil
}

// leadIn opens a store in dir that leads a log in memory, and writes n
// SKUs through it.
func leadIn(t *testing.T, dir string, n int) *DB {
	t.Helper()
	db, err := Open(dir, Options{Follow: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Lead(&sliceLog{}); err != nil {
		t.Fatal(err)
	}
	ctx := pickwave.WithActor(context.Background(), "test")
	for i := range n {
		if err := db.CreateSKU(ctx, &pickwave.SKU{Code: "SKU-" + string(rune('A'+i)), Name: "x", WeightG: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func skuCount(t *testing.T, db *DB) int {
	t.Helper()
	skus, err := db.SKUs(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(skus)
}

// TestLead_unsyncedUntilClosed: a leader marks its file unsynced, with
// the boot id, before its first commit without sync; closing syncs the
// file and removes the mark.
func TestLead_unsyncedUntilClosed(t *testing.T) {
	dir := t.TempDir()
	db := leadIn(t, dir, 3)
	marker := filepath.Join(dir, FileName+unsyncedSuffix)
	got, err := os.ReadFile(marker)
	id, _ := bootID()
	if err != nil || string(got) != string(id) {
		t.Fatalf("marker %q (%v), want the boot id %q", got, err, id)
	}
	if !db.bolt.NoSync {
		t.Fatal("the leader's commits still sync")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatalf("marker left after a clean close: %v", err)
	}
	db, err = Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := skuCount(t, db); n != 3 {
		t.Fatalf("%d SKUs after reopening, want 3", n)
	}
}

// TestOpen_fileALeaderLeftUnsynced: a marker from this boot (the process
// died, the page cache kept its writes) keeps the file; one from another
// boot (the machine stopped) moves the file aside, and the store opens
// empty, for the node to start from its site's snapshot.
func TestOpen_fileALeaderLeftUnsynced(t *testing.T) {
	for _, c := range []struct {
		name   string
		boot   func(id []byte) []byte
		kept   bool
		asides int
	}{
		{"same boot", func(id []byte) []byte { return id }, true, 0},
		{"another boot", func([]byte) []byte { return []byte("5c1e7a0f-0000-4000-8000-000000000000") }, false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			db := leadIn(t, dir, 4)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			// What a leader that did not close leaves: its marker.
			id, _ := bootID()
			marker := filepath.Join(dir, FileName+unsyncedSuffix)
			if err := os.WriteFile(marker, c.boot(id), 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			want := 0
			if c.kept {
				want = 4
			}
			if n := skuCount(t, db); n != want {
				t.Fatalf("%d SKUs, want %d", n, want)
			}
			if _, err := os.Stat(marker); !os.IsNotExist(err) {
				t.Fatalf("marker still there: %v", err)
			}
			entries, _ := os.ReadDir(dir)
			asides := 0
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), FileName+".unsynced-") {
					asides++
				}
			}
			if asides != c.asides {
				t.Fatalf("%d files moved aside, want %d", asides, c.asides)
			}
		})
	}
}

// TestLead_syncsWithoutABootID: where the kernel gives no boot id, the
// leader syncs every commit and leaves no marker.
func TestLead_syncsWithoutABootID(t *testing.T) {
	old := bootIDPath
	bootIDPath = filepath.Join(t.TempDir(), "no-boot-id")
	defer func() { bootIDPath = old }()
	dir := t.TempDir()
	db := leadIn(t, dir, 2)
	defer db.Close()
	if db.bolt.NoSync {
		t.Fatal("commits unsynced with no boot id to mark the file with")
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+unsyncedSuffix)); !os.IsNotExist(err) {
		t.Fatalf("marker written: %v", err)
	}
}
