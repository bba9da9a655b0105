package etcdtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/pickwave/pickwave/ha"
	"github.com/pickwave/pickwave/store"
)

// EngineVar names the environment variable that chooses the engine the
// store's tests run on: unset or "bbolt" for the file alone, "etcd" for
// a site on a real three-member etcd cluster (`make test-etcd`).
const EngineVar = "PICKWAVE_TEST_ENGINE"

// OnEtcd reports whether the tests run on the etcd engine.
func OnEtcd() bool { return os.Getenv(EngineVar) == "etcd" }

// shared are the clusters every store of one test binary uses, each
// store under a site of its own; they run, as processes of their own,
// until the binary exits. The
// store's tests test the store, not etcd's disk: their cluster's fsyncs
// are off. Benchmarks measure durable writes: theirs syncs.
var shared [2]struct {
	once   sync.Once
	c      *Procs
	client *clientv3.Client // shared by the sites, so a store opens without a dial
	err    error
}

// sharedCluster returns this test binary's cluster, syncing or not, and
// the client its sites share.
func sharedCluster(fsync bool) (*Procs, *clientv3.Client, error) {
	i := 0
	if fsync {
		i = 1
	}
	sh := &shared[i]
	sh.once.Do(func() {
		dir, err := os.MkdirTemp("", "pickwave-etcd-")
		if err != nil {
			sh.err = err
			return
		}
		var args []string
		if !fsync {
			args = append(args, "--unsafe-no-fsync")
		}
		sh.c, sh.err = StartProcs(3, dir, args...)
		if sh.err == nil {
			sh.client, sh.err = clientv3.New(clientv3.Config{Endpoints: sh.c.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
		}
	})
	return sh.c, sh.client, sh.err
}

// OpenLeader opens the store in dir as the leader of a site of its own
// on the shared cluster (sharedCluster; the syncing one for benchmarks):
// every commit is appended to the site's log in etcd before it is
// acknowledged. The same dir gets the same site, so a test may close and
// reopen it. Verify, after the store is closed,
// replays the site's log into a new file and checks it equals dir's.
func OpenLeader(tb testing.TB, dir string, opts store.Options) (db *store.DB, verify func() error, err error) {
	_, bench := tb.(*testing.B)
	c, client, err := sharedCluster(bench)
	if err != nil {
		return nil, nil, fmt.Errorf("etcd cluster: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256([]byte(abs))
	cfg := ha.Config{Endpoints: c.Endpoints(), Site: "t" + hex.EncodeToString(sum[:8]), Node: "test", URL: "http://test",
		LeaseTTL: 5 * time.Second, Logger: opts.Logger}
	ctx := context.Background()
	site, err := ha.NewSite(ctx, client, cfg)
	if err != nil {
		return nil, nil, err
	}
	// A file already in dir is what the test wants the store to hold (a
	// reopened store, a restored backup, records written by hand): it
	// becomes the site's data, as `pickwave ha push` makes it.
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		if err := ha.Push(ctx, site, dir, opts); err != nil {
			site.Close()
			return nil, nil, fmt.Errorf("push %s: %w", dir, err)
		}
	}
	node, err := ha.Open(ctx, site, dir, opts)
	if err != nil {
		site.Close()
		return nil, nil, err
	}
	db, _, err = node.Lead(ctx)
	if err != nil {
		node.DB().Close()
		site.Close()
		return nil, nil, err
	}
	verify = func() error {
		defer site.Close()
		replica := filepath.Join(tb.TempDir(), "replica")
		if err := os.MkdirAll(replica, 0o700); err != nil {
			return err
		}
		n, err := ha.Open(ctx, site, replica, opts)
		if err != nil {
			return fmt.Errorf("replica: %w", err)
		}
		if _, err := site.CatchUp(ctx, n.DB()); err != nil {
			n.DB().Close()
			return fmt.Errorf("replay the log: %w", err)
		}
		if err := n.DB().Close(); err != nil {
			return err
		}
		if err := SameData(filepath.Join(dir, store.FileName), filepath.Join(replica, store.FileName)); err != nil {
			return fmt.Errorf("the log replayed is not the store: %w", err)
		}
		return nil
	}
	return db, verify, nil
}
