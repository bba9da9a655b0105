package store

import (
	"os"
	"sync/atomic"
	"time"

	"github.com/pickwave/pickwave"
)

// Admission.
//
// At twice the load it was built for, a store that queues every write
// answers all of them late: each caller waits behind a queue that only
// grows, handhelds time out and resend, and the resends grow it further.
// So the store sheds what it cannot do in time, before doing any of it:
//
//   - a write that finds MaxPendingWrites already waiting is refused at
//     once, without queueing;
//   - a write that has waited longer than MaxWriteWait when its batch
//     starts is refused instead of run: its caller has waited its budget,
//     and the batch stays short for those behind it.
//
// Both are refused with errShed (EUNAVAILABLE, nothing written), which a
// caller may retry after a pause: the handheld protocol carries it as an
// error with retry_after_ms, HTTP as 503 with Retry-After. Every write
// the store accepted is still committed or refused with its own error;
// shedding never drops a write that has started to run.

// Defaults of the admission bounds.
const (
	// DefaultMaxPendingWrites is eight full batches: at the design load a
	// few dozen writes wait at a time.
	DefaultMaxPendingWrites = 8 * maxBatch
	// DefaultMaxWriteWait is over a hundred times a scan's latency
	// budget (15 ms at p99): a write that waited this long meets a store
	// that is far behind, not a slow fsync or a busy moment.
	DefaultMaxWriteWait = 2 * time.Second
)

// errShed refuses a write the store has no room or time for.
var errShed = &pickwave.Error{Code: pickwave.EUNAVAILABLE,
	Message: "The server is overloaded; nothing was written. Try again in a moment."}

// commitBuckets are the upper bounds, in seconds, of the commit-time
// histogram: from half a millisecond to two and a half seconds.
var commitBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// writeStats are the committer's counters, read by WriteStats.
type writeStats struct {
	pending   atomic.Int64
	shed      atomic.Uint64
	commits   [13]atomic.Uint64 // per bucket of commitBuckets, and over the last
	sumMicros atomic.Uint64
}

func (w *writeStats) observeCommit(d time.Duration) {
	s := d.Seconds()
	i := len(commitBuckets)
	for j, b := range commitBuckets {
		if s <= b {
			i = j
			break
		}
	}
	w.commits[i].Add(1)
	w.sumMicros.Add(uint64(d.Microseconds()))
}

// WriteStats reports the write path's state for /metrics: writes
// waiting, writes shed, commit times, and the file's size and free space.
func (db *DB) WriteStats() pickwave.WriteStats {
	st := pickwave.WriteStats{
		PendingWrites: int(db.stats.pending.Load()),
		ShedWrites:    db.stats.shed.Load(),
		CommitBuckets: commitBuckets,
		CommitCounts:  make([]uint64, len(commitBuckets)),
		CommitSum:     float64(db.stats.sumMicros.Load()) / 1e6,
	}
	var cum uint64
	for i := range commitBuckets {
		cum += db.stats.commits[i].Load()
		st.CommitCounts[i] = cum
	}
	st.CommitCount = cum + db.stats.commits[len(commitBuckets)].Load()
	if fi, err := os.Stat(db.path); err == nil {
		st.FileBytes = fi.Size()
	}
	st.FreeBytes = int64(db.bolt.Stats().FreeAlloc)
	return st
}

// admit counts a new write in, or refuses it when too many wait.
func (db *DB) admit() error {
	if n := db.stats.pending.Add(1); db.maxPending > 0 && n > int64(db.maxPending) {
		db.stats.pending.Add(-1)
		db.stats.shed.Add(1)
		return errShed
	}
	return nil
}

// expired says whether r has waited past MaxWriteWait, and counts it shed.
func (db *DB) expired(r *writeReq, now time.Time) bool {
	if db.maxWait <= 0 || now.Sub(r.queued) <= db.maxWait {
		return false
	}
	db.stats.shed.Add(1)
	return true
}

// orDefault is v, def when v is zero, and no bound when v is negative.
func orDefault[T int | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}
