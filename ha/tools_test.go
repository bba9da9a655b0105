package ha_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/ha"
	"github.com/pickwave/pickwave/internal/etcdtest"
	"github.com/pickwave/pickwave/store"
)

// TestSite_pullWhileTheLeaderWrites: a pull of a site that serves holds
// every write acknowledged before it began, and is a sound store; a
// snapshot taken between two pulls changes nothing of that.
func TestSite_pullWhileTheLeaderWrites(t *testing.T) {
	c := etcdtest.Start(t, 1)
	s := connect(t, c, "a", nil)
	db, l, err := open(t, s, t.TempDir()).Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var acked atomic.Int64 // SKUs W-0 .. W-(acked-1) are acknowledged
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := db.CreateSKU(ctx, &pickwave.SKU{Code: fmt.Sprintf("W-%05d", i), Name: "x", WeightG: 1}); err != nil {
				t.Error(err)
				return
			}
			acked.Store(int64(i + 1))
		}
	})
	defer func() {
		close(stop)
		wg.Wait()
	}()
	for round := range 3 {
		if round == 1 {
			if _, err := l.Snapshot(context.Background(), db); err != nil {
				t.Fatal(err)
			}
		}
		waitAcked(t, &acked, int64(20*(round+1)))
		before := acked.Load()
		dir := filepath.Join(t.TempDir(), "pulled")
		applied, err := s.Pull(context.Background(), dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if applied == 0 || applied > l.Appended() {
			t.Fatalf("pulled up to %d, the leader appended %d", applied, l.Appended())
		}
		if _, err := store.VerifyFile(filepath.Join(dir, store.FileName)); err != nil {
			t.Fatal(err)
		}
		pulled, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)}) // unchecked: the pulled file was verified just above
		if err != nil {
			t.Fatal(err)
		}
		for i := range before {
			if _, err := pulled.SKU(ctx, fmt.Sprintf("W-%05d", i)); err != nil {
				pulled.Close()
				t.Fatalf("round %d: SKU %d, acknowledged before the pull, is not in it: %v", round, i, err)
			}
		}
		if err := pulled.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Pull(context.Background(), dir, store.Options{}); err == nil || !strings.Contains(err.Error(), "holds a store") {
			t.Fatalf("a pull into a directory with a store: %v", err)
		}
	}
}

func waitAcked(t *testing.T, acked *atomic.Int64, n int64) {
	t.Helper()
	for acked.Load() < n {
		if t.Failed() {
			t.FailNow()
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSite_checkLogFindsAMissingPart: an entry written in parts is sound
// with all of them, and named when one is gone; Status counts the log.
func TestSite_checkLogFindsAMissingPart(t *testing.T) {
	c := etcdtest.Start(t, 1)
	s := connect(t, c, "a", func(cfg *ha.Config) { cfg.MaxValueBytes = 2 << 10 })
	db, l, err := open(t, s, t.TempDir()).Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	createSKUs(t, db, 0, 300) // group commits of many SKUs: entries of several parts
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Leader != "" || st.Snapshot == nil || st.Log.First != 1 || st.Log.Last != l.Appended() || st.Log.Entries != int64(l.Appended()) {
		t.Fatalf("status: %+v (appended %d)", st, l.Appended())
	}
	lc, err := s.CheckLog(context.Background())
	if err != nil || len(lc.Problems) != 0 || lc.Last != l.Appended() || lc.Entries != int(l.Appended()) {
		t.Fatalf("check of a sound log: %+v, %v", lc, err)
	}
	parts, err := s.Client().Get(context.Background(), "/pickwave/main/chunk/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil || len(parts.Kvs) < 2 {
		t.Fatalf("no entry in parts (%v)", err)
	}
	gone := string(parts.Kvs[1].Key)
	if _, err := s.Client().Delete(context.Background(), gone); err != nil {
		t.Fatal(err)
	}
	lc, err = s.CheckLog(context.Background())
	if err != nil || len(lc.Problems) != 1 || !strings.Contains(lc.Problems[0], "of its") {
		t.Fatalf("check without %s: %+v, %v", gone, lc, err)
	}
}
