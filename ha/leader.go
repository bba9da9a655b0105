package ha

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/pickwave/pickwave/store"
)

// Leader is this node's lead of the site, from its election to the loss
// of its lease. It is the store's Log while it lasts.
type Leader struct {
	site     *Site
	session  *concurrency.Session
	election *concurrency.Election
	key      string // the election key this node created
	rev      int64  // its create revision: the fence of every append
	appended atomic.Uint64
	pin      pin // the client appends go through

	siteID    string        // the site's identity, from its snapshot record
	snapIndex atomic.Uint64 // the index of the latest snapshot
	lostOnce  sync.Once
	lostMu    sync.Mutex    // makes closing lost once safe from several goroutines
	lost      chan struct{} // closed when an append failed
}

// Campaign waits until this node is elected leader, or ctx ends. The
// lead lasts until Done is closed (the lease is lost) or Resign.
func (s *Site) Campaign(ctx context.Context) (*Leader, error) {
	ttl := max(int(s.cfg.LeaseTTL.Round(1e9).Seconds()), 1)
	session, err := concurrency.NewSession(s.client, concurrency.WithTTL(ttl), concurrency.WithContext(context.WithoutCancel(ctx)))
	if err != nil {
		return nil, fmt.Errorf("open an etcd session: %w", err)
	}
	e := concurrency.NewElection(session, s.electionPrefix())
	if err := e.Campaign(ctx, s.cfg.URL); err != nil {
		session.Close()
		return nil, fmt.Errorf("campaign for the lead: %w", err)
	}
	s.logger.Info("elected leader", "key", e.Key(), "rev", e.Rev(), "lease_ttl", s.cfg.LeaseTTL)
	l := &Leader{site: s, session: session, election: e, key: e.Key(), rev: e.Rev(), lost: make(chan struct{})}
	l.pin.site = s
	l.pin.refresh(ctx)
	return l, nil
}

// Lost is closed when the lead is lost: the lease expired or was
// revoked, or an append failed (the store is fenced then). The node must
// stop serving: its store writes no more.
func (l *Leader) Lost() <-chan struct{} {
	l.lostOnce.Do(func() {
		go func() {
			select {
			case <-l.session.Done():
				l.markLost()
			case <-l.lost:
			}
		}()
	})
	return l.lost
}

func (l *Leader) markLost() {
	l.lostMu.Lock()
	defer l.lostMu.Unlock()
	select {
	case <-l.lost:
	default:
		close(l.lost)
		l.site.metrics.leading.Set(0)
	}
}

// Close gives the lead up (Resign) when the leading store closes.
func (l *Leader) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return l.Resign(ctx)
}

// Maintain writes a snapshot, and compacts the log, whenever
// SnapshotEvery entries were appended since the last, until ctx ends or
// the lead is lost.
func (l *Leader) Maintain(ctx context.Context, db *store.DB) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		case <-l.Lost():
			return
		}
		l.pin.refresh(ctx)
		if l.Appended() < l.snapIndex.Load()+l.site.cfg.SnapshotEvery {
			continue
		}
		if _, err := l.Snapshot(ctx, db); err != nil && ctx.Err() == nil {
			l.site.logger.Error("snapshot", "err", err)
		}
	}
}

// Resign gives the lead up, so a standby takes over at once.
func (l *Leader) Resign(ctx context.Context) error {
	l.markLost()
	l.pin.close()
	err := l.election.Resign(ctx)
	l.session.Close()
	if err != nil {
		return fmt.Errorf("resign: %w", err)
	}
	return nil
}

// AppendEndpoint is the etcd endpoint the appends go to: the etcd
// leader's, or "" while they go through every member.
func (l *Leader) AppendEndpoint() string {
	_, ep := l.pin.get()
	return ep
}

// Appended is the index of the last entry this leader appended.
func (l *Leader) Appended() uint64 { return l.appended.Load() }
