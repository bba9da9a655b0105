package ha

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pickwave/pickwave/store"
)

// Node is one Pickwave node of a site: its store, following the site's
// log until the node is elected.
type Node struct {
	site *Site
	dir  string
	opts store.Options

	mu sync.Mutex
	db *store.DB
}

// Open opens the node's store in dir as a follower of the site's log. A
// file of another site, or one the compacted log has left behind, is
// first replaced by the site's latest snapshot (the old file is kept
// beside it).
func Open(ctx context.Context, site *Site, dir string, opts store.Options) (*Node, error) {
	opts.Follow = true
	n := &Node{site: site, dir: dir, opts: opts}
	if err := n.open(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Node) open(ctx context.Context) error {
	rec, err := n.site.readSnap(ctx)
	if err != nil {
		return err
	}
	db, err := store.Open(n.dir, n.opts)
	if err != nil {
		return err
	}
	if rec != nil {
		applied, siteID, err := db.Applied()
		if err != nil {
			db.Close()
			return err
		}
		if siteID != rec.SiteID || applied < rec.Index {
			n.site.logger.Info("starting from the site's snapshot", "file_site", siteID, "file_index", applied, "snapshot_index", rec.Index)
			if err := db.Close(); err != nil {
				return err
			}
			if _, err := n.site.Restore(ctx, n.dir); err != nil {
				return err
			}
			if db, err = store.Open(n.dir, n.opts); err != nil {
				return err
			}
		}
	}
	n.mu.Lock()
	n.db = db
	n.mu.Unlock()
	return nil
}

// DB is the node's store. It changes when the node starts again from a
// snapshot while it follows.
func (n *Node) DB() *store.DB {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.db
}

// Follow applies the log to the store as it grows until ctx ends,
// starting again from the snapshot when the log has moved past it. The
// store's KPIs follow its events meanwhile, as on the leader: each node
// keeps its own, so a node taking over serves them as they were.
func (n *Node) Follow(ctx context.Context) error {
	for {
		db := n.DB()
		err := followKPIs(ctx, db, func() error { return n.site.Follow(ctx, db) })
		if err == nil || !errors.Is(err, ErrBehind) {
			return err
		}
		n.site.logger.Warn("behind the log", "err", err)
		if err := n.DB().Close(); err != nil {
			return err
		}
		if err := n.open(ctx); err != nil {
			return err
		}
	}
}

// followKPIs runs fn while db's KPIs follow its events.
func followKPIs(ctx context.Context, db *store.DB, fn func() error) error {
	kctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.FollowKPIs(kctx)
	}()
	defer func() {
		stop()
		<-done
	}()
	return fn()
}

// Lead campaigns until this node is elected, then takes over (TakeOver).
func (n *Node) Lead(ctx context.Context) (*store.DB, *Leader, error) {
	l, err := n.site.Campaign(ctx)
	if err != nil {
		return nil, nil, err
	}
	db, err := n.TakeOver(ctx, l)
	if err != nil {
		l.Resign(context.WithoutCancel(ctx))
		return nil, nil, err
	}
	return db, l, nil
}

// TakeOver makes the store the leader of the log once l is elected: it
// applies the rest of the log, then every commit goes to the log first.
// A new site is created here: its first leader's file is its first
// snapshot. The store must not be followed meanwhile (stop Follow first).
func (n *Node) TakeOver(ctx context.Context, l *Leader) (*store.DB, error) {
	start := time.Now()
	rec, err := n.site.readSnap(ctx)
	if err != nil {
		return nil, err
	}
	db := n.DB()
	if rec == nil {
		if err := l.found(ctx, db, false); err != nil {
			return nil, fmt.Errorf("create the site: %w", err)
		}
	} else {
		l.snapIndex.Store(rec.Index)
		l.siteID = rec.SiteID
	}
	caught, err := n.site.CatchUp(ctx, db)
	if errors.Is(err, ErrBehind) {
		if err := db.Close(); err != nil {
			return nil, err
		}
		if err := n.open(ctx); err != nil {
			return nil, err
		}
		db = n.DB()
		caught, err = n.site.CatchUp(ctx, db)
	}
	if err != nil {
		return nil, fmt.Errorf("catch up with the log: %w", err)
	}
	if err := db.Lead(l); err != nil {
		return nil, err
	}
	applied, _, _ := db.Applied()
	l.appended.Store(applied)
	n.site.metrics.leading.Set(1)
	n.site.metrics.applied.Set(float64(applied))
	n.site.metrics.takeover.Set(time.Since(start).Seconds())
	n.site.logger.Info("leading", "applied", applied, "caught_up", caught)
	return db, nil
}

// found makes db the data of a new site: a new identity, index 0, and
// db as its first snapshot. The log is emptied with the snapshot's record.
func (l *Leader) found(ctx context.Context, db *store.DB, pushed bool) error {
	id := make([]byte, 8)
	rand.Read(id)
	l.siteID = hex.EncodeToString(id)
	if err := db.SetReplicaSite(l.siteID, 0); err != nil {
		return fmt.Errorf("mark the file: %w", err)
	}
	if _, err := l.snapshot(ctx, db, true); err != nil {
		return err
	}
	l.site.logger.Info("site founded in etcd", "site_id", l.siteID, "pushed", pushed)
	return nil
}

// Push makes the store file in dir the site's data, in place of what the
// site held: the site gets a new identity, the file is its first
// snapshot, and its log is emptied. Every node then starts again from
// that snapshot. It moves a site from one bbolt file to etcd, and
// restores a backup on a replicated site. It waits until it is elected:
// stop the site's nodes first.
func Push(ctx context.Context, site *Site, dir string, opts store.Options) error {
	path := filepath.Join(dir, store.FileName)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no store to push: %w", err)
	}
	opts.Follow = true
	db, err := store.Open(dir, opts)
	if err != nil {
		return err
	}
	l, err := site.Campaign(ctx)
	if err != nil {
		db.Close()
		return err
	}
	err = l.found(ctx, db, true)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	l.Resign(context.WithoutCancel(ctx))
	return err
}
