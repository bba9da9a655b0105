package ha_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/ha"
	"github.com/pickwave/pickwave/internal/etcdtest"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
)

func connect(t *testing.T, c *etcdtest.Cluster, node string, mod func(*ha.Config)) *ha.Site {
	t.Helper()
	cfg := ha.Config{Endpoints: c.Endpoints(), Site: "main", Node: node, URL: "http://" + node + ":8080",
		LeaseTTL: 2 * time.Second, Logger: slog.New(slog.DiscardHandler)}
	if mod != nil {
		mod(&cfg)
	}
	s, err := ha.Connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func open(t *testing.T, s *ha.Site, dir string) *ha.Node {
	t.Helper()
	n, err := ha.Open(context.Background(), s, dir, store.Options{Logger: slog.New(slog.DiscardHandler), PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var ctx = pickwave.WithActor(context.Background(), "test")

func createSKUs(t *testing.T, db *store.DB, from, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := from; i < from+n; i++ {
		wg.Go(func() {
			sku := &pickwave.SKU{Code: fmt.Sprintf("SKU-%05d", i), Name: strings.Repeat("x", i%50+1), WeightG: 100}
			errs <- db.CreateSKU(ctx, sku)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// closeAndCompare closes both stores and checks they hold the same data.
func closeAndCompare(t *testing.T, a, b *store.DB) {
	t.Helper()
	for _, db := range []*store.DB{a, b} {
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := etcdtest.SameData(a.Path(), b.Path()); err != nil {
		t.Fatal(err)
	}
	for _, db := range []*store.DB{a, b} {
		if err := store.CheckFile(filepath.Dir(db.Path())); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNode_standbyFollowsAndTakesOver: a leader writes, in group commits
// whose entries take many etcd values; a standby follows to the same
// bytes, folds its own KPIs, refuses writes meanwhile, takes over when
// the leader resigns, and writes on where it left off.
func TestNode_standbyFollowsAndTakesOver(t *testing.T) {
	c := etcdtest.Start(t, 3)
	small := func(cfg *ha.Config) { cfg.MaxValueBytes = 2 << 10 } // entries of many parts
	sa, sb := connect(t, c, "a", small), connect(t, c, "b", small)
	na := open(t, sa, t.TempDir())
	a, la, err := na.Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	nb := open(t, sb, t.TempDir())
	fctx, stop := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	go func() { followed <- nb.Follow(fctx) }()

	createSKUs(t, a, 0, 300)
	if err := nb.DB().CreateSKU(ctx, &pickwave.SKU{Code: "NOPE", Name: "x", WeightG: 1}); pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE {
		t.Fatalf("a write on the standby: %v, want unavailable", err)
	}
	waitApplied(t, nb, la.Appended())
	// The standby folds its own copy of the events into its KPIs.
	last, err := a.FoldKPIs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	waitKPIs(t, nb, last)

	// The leader resigns (its store closes); the standby takes over.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
	b, lb, err := nb.Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	createSKUs(t, b, 300, 50)
	if n := lb.Appended(); n <= la.Appended() {
		t.Fatalf("the new leader appended up to %d, the old one %d", n, la.Appended())
	}
	skus, err := b.SKUs(ctx, "", 1000)
	if err != nil || len(skus) != 350 {
		t.Fatalf("%d SKUs on the new leader, want 350 (%v)", len(skus), err)
	}
	// The old leader's file, brought up to date as a standby, is the
	// new leader's to the byte.
	na2 := open(t, sa, filepath.Dir(a.Path()))
	if _, err := sa.CatchUp(context.Background(), na2.DB()); err != nil {
		t.Fatal(err)
	}
	closeAndCompare(t, b, na2.DB())
}

// TestLeader_fencedWhenItsLeaseIsGone: once the leader's lease is revoked
// (as when it is cut off from etcd past its TTL), its next write is
// refused and not in the log, the store writes no more, and Lost is
// closed.
func TestLeader_fencedWhenItsLeaseIsGone(t *testing.T) {
	c := etcdtest.Start(t, 1)
	s := connect(t, c, "a", nil)
	n := open(t, s, t.TempDir())
	db, l, err := n.Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	createSKUs(t, db, 0, 3)
	before := l.Appended()
	resp, err := s.Client().Get(context.Background(), "/pickwave/main/leader/", clientv3.WithPrefix())
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("leader key: %v %v", resp, err)
	}
	if _, err := s.Client().Revoke(context.Background(), clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
	err = db.CreateSKU(ctx, &pickwave.SKU{Code: "AFTER", Name: "x", WeightG: 1})
	if pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE || !errors.Is(err, ha.ErrFenced) {
		t.Fatalf("write after the lease: %v, want unavailable and fenced", err)
	}
	if err := db.CreateSKU(ctx, &pickwave.SKU{Code: "AFTER2", Name: "x", WeightG: 1}); !errors.Is(err, store.ErrNotLeading) {
		t.Fatalf("next write: %v, want not leading", err)
	}
	select {
	case <-l.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("Lost not closed")
	}
	if got := l.Appended(); got != before {
		t.Fatalf("appended %d after the fence, before %d", got, before)
	}
	last, err := s.Client().Get(context.Background(), "/pickwave/main/log/", clientv3.WithLastKey()...)
	if err != nil || len(last.Kvs) != 1 || !strings.HasSuffix(string(last.Kvs[0].Key), fmt.Sprintf("%020d", before)) {
		t.Fatalf("last log key %v, want index %d (%v)", last.Kvs, before, err)
	}
}

// TestNode_startsFromTheSnapshot: after snapshots compact the log, a new
// node starts from the latest snapshot and follows on from there; a
// node left behind the compacted log does the same.
func TestNode_startsFromTheSnapshot(t *testing.T) {
	c := etcdtest.Start(t, 1)
	every := func(cfg *ha.Config) { cfg.SnapshotEvery = 1 }
	sa := connect(t, c, "a", every)
	na := open(t, sa, t.TempDir())
	a, la, err := na.Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	createSKUs(t, a, 0, 20)
	if _, err := la.Snapshot(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	first, err := sa.Client().Get(context.Background(), "/pickwave/main/log/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || first.Count != 0 {
		t.Fatalf("log entries after the snapshot: %d, %v", first.Count, err)
	}
	createSKUs(t, a, 20, 5)
	nb := open(t, connect(t, c, "b", nil), t.TempDir())
	fctx, stop := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	go func() { followed <- nb.Follow(fctx) }()
	waitApplied(t, nb, la.Appended())
	stop()
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
	closeAndCompare(t, a, nb.DB())
}

func waitApplied(t *testing.T, n *ha.Node, index uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _, err := n.DB().Applied()
		if err == nil && got >= index {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("standby at %d, leader at %d, %v", got, index, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitKPIs waits until the standby's KPIs count the events up to seq.
func waitKPIs(t *testing.T, n *ha.Node, seq uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := n.DB().KPICursor(ctx)
		if err == nil && got >= seq {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby's KPIs count events up to %d, the leader's log is at %d (%v)", got, seq, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNode_standbyKeepsTheEventArchive: when the leader moves old events
// into its archive files, a standby writes the same files from its own
// copy, so after a takeover the event log still reads whole from 0.
func TestNode_standbyKeepsTheEventArchive(t *testing.T) {
	c := etcdtest.Start(t, 1)
	day := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return day }
	openAt := func(s *ha.Site) *ha.Node {
		n, err := ha.Open(context.Background(), s, t.TempDir(), store.Options{Logger: slog.New(slog.DiscardHandler), PasswordCost: bcrypt.MinCost, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	sa, sb := connect(t, c, "a", nil), connect(t, c, "b", nil)
	a, la, err := openAt(sa).Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	nb := openAt(sb)
	fctx, stop := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	go func() { followed <- nb.Follow(fctx) }()
	createSKUs(t, a, 0, 30)
	if _, err := a.FoldKPIs(ctx, 0); err != nil {
		t.Fatal(err)
	}
	res, err := a.ArchiveEvents(ctx, day.Add(48*time.Hour))
	if err != nil || res.Events == 0 {
		t.Fatalf("archive: %+v, %v", res, err)
	}
	waitApplied(t, nb, la.Appended())
	stop()
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
	aDir, bDir := filepath.Join(filepath.Dir(a.Path()), store.ArchiveDirName), filepath.Join(filepath.Dir(nb.DB().Path()), store.ArchiveDirName)
	for _, name := range res.Files {
		wa, err := os.ReadFile(filepath.Join(aDir, name))
		if err != nil {
			t.Fatal(err)
		}
		wb, err := os.ReadFile(filepath.Join(bDir, name))
		if err != nil || !bytes.Equal(wa, wb) {
			t.Fatalf("the standby's %s: %d bytes against the leader's %d, %v", name, len(wb), len(wa), err)
		}
	}
	want, _ := a.Events(ctx, 0, 1000)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, _, err := nb.Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := b.Events(ctx, 0, 1000)
	if err != nil || len(got) != len(want) || len(got) < res.Events {
		t.Fatalf("the new leader's log: %d events, want %d (%v)", len(got), len(want), err)
	}
	for i := range got {
		if got[i].Seq != want[i].Seq {
			t.Fatalf("event %d: seq %d, want %d", i, got[i].Seq, want[i].Seq)
		}
	}
}

// etcdLeader returns the endpoint of the member that leads etcd now.
func etcdLeader(t *testing.T, s *ha.Site, c *etcdtest.Cluster) string {
	t.Helper()
	for _, ep := range c.Endpoints() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		st, err := s.Client().Status(sctx, ep)
		cancel()
		if err == nil && st.Leader != 0 && st.Header.MemberId == st.Leader {
			return ep
		}
	}
	return ""
}

// TestLeader_appendsToTheEtcdLeader: the leader sends its appends to the
// member that leads etcd; when that member dies the appends go on through
// the others, and the next refresh pins the new etcd leader.
func TestLeader_appendsToTheEtcdLeader(t *testing.T) {
	c := etcdtest.Start(t, 3)
	s := connect(t, c, "a", nil)
	db, l, err := open(t, s, t.TempDir()).Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mctx, stop := context.WithCancel(context.Background())
	maintained := make(chan struct{})
	go func() { defer close(maintained); l.Maintain(mctx, db) }()
	defer func() { stop(); <-maintained }()

	// Pinned at the election, or at Maintain's next refresh when a
	// member was too slow to answer then (a loaded machine).
	var first string
	testenv.Eventually(t, 15*time.Second, "appends pinned to the etcd leader", func() bool {
		first = etcdLeader(t, s, c)
		return first != "" && l.AppendEndpoint() == first
	})
	createSKUs(t, db, 0, 20)
	for i, m := range c.Members {
		if m.ClientURL == first {
			c.Kill(i)
		}
	}
	// The writes ride through etcd's election.
	createSKUs(t, db, 20, 20)
	testenv.Eventually(t, 15*time.Second, "appends pinned to the new etcd leader", func() bool {
		now := etcdLeader(t, s, c)
		return now != "" && now != first && l.AppendEndpoint() == now
	})
	createSKUs(t, db, 40, 20)
	if got := l.Appended(); got < 3 {
		t.Fatalf("%d entries appended", got)
	}
	skus, err := db.SKUs(ctx, "", 100)
	if err != nil || len(skus) != 60 {
		t.Fatalf("%d SKUs (%v), want 60", len(skus), err)
	}
}

// TestNode_machineStoppedUnderTheLeader: a leader's file is not synced
// (store.DB.Lead); when the machine stopped under it (its mark holds
// another boot id), the node moves the file aside, starts from the
// site's snapshot and the log, and leads again with every write.
func TestNode_machineStoppedUnderTheLeader(t *testing.T) {
	c := etcdtest.Start(t, 1)
	s := connect(t, c, "a", nil)
	dir := t.TempDir()
	db, _, err := open(t, s, dir).Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	createSKUs(t, db, 0, 30)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// What the leader leaves when the machine stops: its mark.
	mark := filepath.Join(dir, store.FileName+".unsynced")
	if err := os.WriteFile(mark, []byte("5c1e7a0f-0000-4000-8000-000000000000"), 0o600); err != nil {
		t.Fatal(err)
	}
	db, _, err = open(t, s, dir).Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	skus, err := db.SKUs(ctx, "", 100)
	if err != nil || len(skus) != 30 {
		t.Fatalf("%d SKUs (%v), want 30", len(skus), err)
	}
	aside, _ := filepath.Glob(filepath.Join(dir, store.FileName+".unsynced-*"))
	if len(aside) != 1 {
		t.Fatalf("files moved aside: %v", aside)
	}
}
