package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pickwave/pickwave"
)

// Group commit.
//
// bbolt syncs the file on every commit, so one transaction per write caps
// the store at a few thousand writes a second on a good disk, and far
// fewer on a busy one. The committer goroutine owns every write: it takes
// the first waiting request, then every other request already waiting (up
// to maxBatch), runs them one after another in a single transaction and
// commits once. While that commit syncs, new requests queue up and form
// the next batch, so batches grow with load and nobody waits for a timer
// (unlike bolt.DB.Batch, whose MaxBatchDelay alone would eat a scan's
// latency budget).
//
// A request that fails must not take its neighbours down, and bbolt has no
// savepoints: when a function returns an error the whole transaction is
// rolled back, the failed request gets its error, and the batch runs again
// without it. Functions may therefore run more than once and must only
// touch the transaction and their own result variables.

// maxBatch bounds the requests in one transaction, so that one commit
// stays short.
const maxBatch = 512

// writeReq is one update waiting for the committer.
type writeReq struct {
	ctx    context.Context
	queued time.Time // when it was submitted, for MaxWriteWait
	fn     func(t *txn) error
	// local marks a write of the node's own spaces alone (updateLocal).
	local  bool
	events int
	err    error
	done   chan struct{}
}

// errClosed is returned for writes after Close.
var errClosed = pickwave.Errorf(pickwave.EUNAVAILABLE, "The store is shutting down.")

// update runs fn in a read-write transaction, possibly shared with other
// writers, and returns after that transaction is committed and synced, or
// with fn's error, in which case none of fn's writes are kept. Every event
// fn appends commits with its changes or not at all.
func (db *DB) update(ctx context.Context, fn func(t *txn) error) error {
	return db.submit(ctx, fn, false)
}

// updateLocal is update for a write of the node's own spaces alone
// (localSpaces): it runs on a follower too, and a leader's log never
// holds it.
func (db *DB) updateLocal(ctx context.Context, fn func(t *txn) error) error {
	return db.submit(ctx, fn, true)
}

func (db *DB) submit(ctx context.Context, fn func(t *txn) error, local bool) error {
	if err := ctx.Err(); err != nil {
		return gaveUp(err)
	}
	if err := db.repl.writable(local); err != nil {
		return err
	}
	if err := db.admit(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, local: local, queued: time.Now(), done: make(chan struct{})}
	db.submitMu.RLock()
	if db.closed {
		db.submitMu.RUnlock()
		db.stats.pending.Add(-1)
		return errClosed
	}
	db.writes <- req
	db.submitMu.RUnlock()
	// Wait even if ctx ends: once taken, the write may commit, and the
	// caller must not be told otherwise.
	<-req.done
	return req.err
}

// commitLoop is the committer goroutine. It returns when the writes
// channel is closed and drained.
func (db *DB) commitLoop() {
	defer close(db.committerDone)
	batch := make([]*writeReq, 0, maxBatch)
	for first := range db.writes {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch && !db.commitPerWrite {
			select {
			case req, ok := <-db.writes:
				if !ok {
					break fill
				}
				batch = append(batch, req)
			default:
				break fill
			}
		}
		db.commitBatch(batch)
	}
}

// commitBatch commits the requests of one batch, dropping failed ones and
// retrying the rest, and then wakes every caller.
func (db *DB) commitBatch(batch []*writeReq) {
	db.stats.pending.Add(-int64(len(batch)))
	if db.unsynced.Load() {
		db.bolt.NoSync = true // only this goroutine commits on a leader
	}
	start := time.Now()
	live := make([]*writeReq, 0, len(batch))
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = gaveUp(err)
			close(r.done)
			continue
		}
		if db.expired(r, start) {
			r.err = errShed
			close(r.done)
			continue
		}
		if err := db.repl.writable(r.local); err != nil {
			r.err = err
			close(r.done)
			continue
		}
		live = append(live, r)
	}
	defer func() { db.stats.observeCommit(time.Since(start)) }()
	for len(live) > 0 {
		failed := -1
		var refused []*writeReq // failed before writing anything: nothing to undo
		appended := false       // the transaction reached the log, when it has one
		err := db.bolt.Update(func(btx *bolt.Tx) error {
			now := db.now().UTC()
			refused, appended = refused[:0], false
			var base Tx = boltTx{btx}
			rec := (*recordingTx)(nil)
			if db.repl.log.Load() != nil {
				rec = &recordingTx{boltTx: boltTx{btx}}
				base = rec
			}
			for i, r := range live {
				ct := &countingTx{Tx: base}
				t := &txn{Tx: ct, now: now, actor: pickwave.ActorFrom(r.ctx), cache: db.cache, countTolerance: db.countTolerance}
				if err := runSafely(r.fn, t); err != nil {
					r.err = err
					if ct.writes == 0 {
						refused = append(refused, r)
						continue
					}
					failed = i
					return errRollback
				}
				r.err, r.events = nil, t.events
			}
			if rec != nil && rec.ops > 0 {
				appended = true
				return db.appendToLog(btx, rec)
			}
			return nil
		})
		if err != nil && appended {
			// The entry may be in the log while the file rolled back:
			// this copy is behind its log, and must not write again.
			db.fence(err)
		}
		if failed >= 0 {
			close(live[failed].done)
			live = append(live[:failed], live[failed+1:]...)
			continue
		}
		// Requests refused without a write leave the batch; they are
		// answered with the rest, once the commit has settled.
		for _, r := range refused {
			live = slices.DeleteFunc(live, func(x *writeReq) bool { return x == r })
		}
		// The commit itself failed (disk full, I/O error): every request
		// in it fails, none was applied.
		events := 0
		for _, r := range live {
			if err != nil {
				r.err = fmt.Errorf("commit: %w", err)
			}
			events += r.events
		}
		if err == nil && events > 0 {
			db.signal()
		}
		for _, r := range live {
			close(r.done)
		}
		for _, r := range refused {
			close(r.done)
		}
		// The callers just woken wait in this goroutine's run queue, and
		// would wait there while it runs the next batch, until its
		// next fsync blocks long enough for the runtime to hand its
		// processor over: milliseconds on a busy 2-core machine. Yield,
		// so they answer their handhelds now; the next batch only grows
		// meanwhile.
		runtime.Gosched()
		return
	}
}

var errRollback = errors.New("roll back the batch")

// errBusy answers a write whose caller stopped waiting before it could run:
// nothing was written, and trying again is safe.
var errBusy = pickwave.Errorf(pickwave.EUNAVAILABLE, "The store is busy; nothing was written. Try again.")

// gaveUp wraps a context error so that it reads as EUNAVAILABLE and still
// matches context.Canceled or DeadlineExceeded with errors.Is.
func gaveUp(err error) error { return fmt.Errorf("%w (%w)", errBusy, err) }

// countingTx counts a request's writes, so that a request refused before
// it wrote anything (the common case: validation, not found) does not cost
// its neighbours a rollback and a second run.
type countingTx struct {
	Tx
	writes int
}

func (c *countingTx) Put(space string, key, value []byte) error {
	c.writes++
	return c.Tx.Put(space, key, value)
}

func (c *countingTx) Delete(space string, key []byte) error {
	c.writes++
	return c.Tx.Delete(space, key)
}

func (c *countingTx) NextSeq(space string) (uint64, error) {
	c.writes++
	return c.Tx.NextSeq(space)
}

// runSafely runs fn, turning a panic into an internal error so that one
// bad request cannot stop the committer.
func runSafely(fn func(t *txn) error, t *txn) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in store write: %v\n%s", v, debug.Stack())
		}
	}()
	return fn(t)
}
