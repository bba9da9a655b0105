package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pickwave/pickwave"
)

// Replication.
//
// On a replicated site (see package ha) the store is a working copy of a
// log kept elsewhere. Every write transaction the committer runs is
// recorded as one log entry: the puts, deletes and sequence values it
// made, in order. The leader appends the entry to the log (Log.Append)
// before its own commit, and answers nobody before both have succeeded.
// A follower applies the same entries to its own file (Apply), in order,
// and so holds the same bytes as the leader at the same index. Which
// index a file has reached is kept in the file itself, in the same
// transaction as the writes, so a crash anywhere leaves a file that
// knows where to resume.
//
// A leader whose append fails does not know whether the entry made it
// into the log; it is fenced: it refuses every write from then on, and
// its owner must step down and follow the log again.
//
// Some spaces are the node's own (localSpaces): what they hold is worked
// out from the replicated ones, and each node keeps its own, a follower
// too. The KPIs are one: a fold writes every active picker's work in one
// commit, 150 KB and more at a thousand pickers every few seconds, and
// sent through the log that commit was the slowest append of all, with
// the scans queued behind it. Each node folds its own copy of the events
// instead: the same events in the same order give the same KPIs. Writes
// to these spaces are left out of the log entries, and skipped in an
// entry of an older leader that still holds them.

// localSpaces are the spaces each node keeps for itself.
var localSpaces = map[string]bool{spaceKPIs: true}

// LocalSpace says whether a space is the node's own, never replicated:
// two copies of one site differ there and nowhere else.
func LocalSpace(name string) bool { return localSpaces[name] }

// Log is where a leading store appends its entries.
type Log interface {
	// Append makes entry the log's entry at index, durably, or fails.
	// An error leaves it unknown whether the entry is in the log.
	Append(ctx context.Context, index uint64, entry []byte) error
}

var (
	keyLogApplied = []byte("log_applied") // meta: the last log index in the file
	keyLogSite    = []byte("log_site")    // meta: the replicated site the file belongs to
)

// entryVersion is the first byte of every log entry, for the day the
// format changes.
const entryVersion = 1

// Kinds of operation in a log entry.
const (
	opPut byte = 1 + iota
	opDelete
	opSetSeq
)

// ErrNotLeading refuses a write on a store that follows a log, or that lost
// its place as leader.
var ErrNotLeading = pickwave.Errorf(pickwave.EUNAVAILABLE, "This Pickwave node is not the leader; nothing was written. Try again on the leader.")

// replication is a store's part in a replicated site.
type replication struct {
	// following is set from Open with Options.Follow until Lead.
	following atomic.Bool
	// log is the leader's log; nil for a single store or a follower.
	log atomic.Pointer[Log]
	// fenced holds why the store stopped writing after a failed append.
	fenced atomic.Pointer[error]
}

// writable says why the store may not write now, nil when it may: a
// follower writes its own spaces alone (local), a fenced store nothing.
func (r *replication) writable(local bool) error {
	if p := r.fenced.Load(); p != nil {
		return ErrNotLeading
	}
	if r.following.Load() && !local {
		return ErrNotLeading
	}
	return nil
}

// appendToLog appends the writes rec recorded in btx to the leader's log
// as the entry after the file's last, and records the index in btx. A
// failed append fences the store.
func (db *DB) appendToLog(btx *bolt.Tx, rec *recordingTx) error {
	index, _ := readReplicaMeta(btx)
	index++
	if err := btx.Bucket([]byte(spaceMeta)).Put(keyLogApplied, u64key(index)); err != nil {
		return fmt.Errorf("record log index: %w", err)
	}
	log := *db.repl.log.Load()
	if err := log.Append(context.Background(), index, rec.entry()); err != nil {
		db.fence(err)
		return fmt.Errorf("%w (append to the log: %w)", ErrNotLeading, err)
	}
	return nil
}

// closeLog closes a leader's log when it is an io.Closer: a closed store
// leads no more.
func (db *DB) closeLog() error {
	p := db.repl.log.Load()
	if p == nil {
		return nil
	}
	if c, ok := (*p).(io.Closer); ok {
		if err := c.Close(); err != nil {
			return fmt.Errorf("close the log: %w", err)
		}
	}
	return nil
}

// fence stops a leader from writing after err; the first reason stays.
func (db *DB) fence(err error) {
	if db.repl.fenced.CompareAndSwap(nil, &err) {
		db.logger.Error("store fenced: this node writes no more", "err", err)
	}
}

// Following reports whether the store follows a log and refuses writes.
func (db *DB) Following() bool { return db.repl.following.Load() }

// Fenced returns why a leading store stopped writing, nil while it writes.
func (db *DB) Fenced() error {
	if p := db.repl.fenced.Load(); p != nil {
		return *p
	}
	return nil
}

// Lead makes a following store the leader of its log: from now on every
// commit is appended to log at the index after Applied before it is
// acknowledged. The caller has applied the whole log first.
func (db *DB) Lead(log Log) error {
	if !db.repl.following.Load() {
		return errors.New("store: Lead on a store that does not follow a log")
	}
	if err := db.stopSyncing(); err != nil {
		db.logger.Warn("leading with a synced file", "err", err)
	}
	db.repl.log.Store(&log)
	db.repl.following.Store(false)
	return nil
}

// Applied returns the index of the last log entry in the file and the
// site it belongs to ("" for a file of no replicated site).
func (db *DB) Applied() (index uint64, site string, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		index, site = readReplicaMeta(tx)
		return nil
	})
	return index, site, err
}

func readReplicaMeta(tx *bolt.Tx) (uint64, string) {
	meta := tx.Bucket([]byte(spaceMeta))
	var index uint64
	if v := meta.Get(keyLogApplied); len(v) == 8 {
		index = binary.BigEndian.Uint64(v)
	}
	return index, string(meta.Get(keyLogSite))
}

// SetReplicaSite marks a following store's file as the copy of site at
// log index: the base a new site's log starts from. It is written to the
// file only, never to a log.
func (db *DB) SetReplicaSite(site string, index uint64) error {
	if !db.repl.following.Load() {
		return errors.New("store: SetReplicaSite on a store that does not follow a log")
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte(spaceMeta))
		if err := meta.Put(keyLogSite, []byte(site)); err != nil {
			return err
		}
		return meta.Put(keyLogApplied, u64key(index))
	})
}

// ErrGap refuses an entry that is not the one after the file's last.
var ErrGap = errors.New("store: log entry out of order")

// Apply applies the log entry at index to a following store's file. The
// entry must be the one after Applied; an entry seen before is ignored.
func (db *DB) Apply(index uint64, entry []byte) error {
	if !db.repl.following.Load() {
		return errors.New("store: Apply on a store that does not follow a log")
	}
	events := false
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		have, _ := readReplicaMeta(tx)
		switch {
		case index <= have:
			return nil
		case index != have+1:
			return fmt.Errorf("%w: entry %d after %d", ErrGap, index, have)
		}
		meta := tx.Bucket([]byte(spaceMeta))
		archived := u64From(meta.Get(keyArchivedThrough))
		var err error
		if events, err = applyEntry(tx, entry); err != nil {
			return fmt.Errorf("apply log entry %d: %w", index, err)
		}
		if now := u64From(meta.Get(keyArchivedThrough)); now > archived {
			// The leader folded these events before it archived them;
			// this node's KPIs must count them too while they are here.
			if err := foldKPIsThrough(db.applyTxn(tx), now); err != nil {
				return fmt.Errorf("apply log entry %d: %w", index, err)
			}
			if err := db.archiveAsLeader(tx, archived, now); err != nil {
				return fmt.Errorf("apply log entry %d: %w", index, err)
			}
		}
		return meta.Put(keyLogApplied, u64key(index))
	})
	if err == nil && events {
		db.signal()
	}
	return err
}

// applyTxn is the store's view of Apply's transaction.
func (db *DB) applyTxn(tx *bolt.Tx) *txn {
	return &txn{Tx: boltTx{tx}, now: db.now().UTC(), countTolerance: db.countTolerance}
}

// archiveAsLeader writes the archive file the leader wrote when it moved
// the events after from up to through out of the store (ArchiveEvents):
// the entry recording the move comes before the ones deleting them, so
// they are still in tx, the same bytes as the leader's. Each node keeps
// its own archive directory whole this way.
func (db *DB) archiveAsLeader(tx *bolt.Tx, from, through uint64) error {
	if err := os.MkdirAll(db.archiveDir, 0o700); err != nil {
		return fmt.Errorf("create archive directory: %w", err)
	}
	c := archiveChunkData{first: from + 1}
	events := tx.Bucket([]byte(spaceEvents))
	for seq := from + 1; seq <= through; seq++ {
		v := events.Get(u64key(seq))
		if v == nil {
			return fmt.Errorf("archive: event %d is not in the store", seq)
		}
		if seq == from+1 {
			var ev struct {
				Time time.Time `json:"time"`
			}
			if err := decode(spaceEvents, u64key(seq), v, &ev); err != nil {
				return err
			}
			c.day = ev.Time.UTC().Truncate(24 * time.Hour)
		}
		c.lines = append(c.lines, v)
	}
	_, err := db.writeArchiveFile(c)
	return err
}

// u64From decodes a big-endian uint64, 0 for anything else.
func u64From(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// applyEntry replays an entry's operations on tx; it reports whether
// the entry appended events.
func applyEntry(tx *bolt.Tx, entry []byte) (events bool, err error) {
	r := entryReader{data: entry}
	if v := r.byte(); v != entryVersion {
		return false, fmt.Errorf("entry format %d, this pickwave reads %d: upgrade it", v, entryVersion)
	}
	if schema := r.uvarint(); r.err == nil && schema != uint64(SchemaVersion()) {
		return false, fmt.Errorf("entry of schema %d, this pickwave has %d: run the same version on every node", schema, SchemaVersion())
	}
	for n := r.uvarint(); n > 0 && r.err == nil; n-- {
		op, space, key := r.byte(), r.bytes(), r.bytes()
		var value []byte
		var seq uint64
		switch op {
		case opPut:
			value = r.bytes()
		case opSetSeq:
			seq = r.uvarint()
		case opDelete:
		default:
			if r.err == nil {
				return false, fmt.Errorf("unknown operation %d", op)
			}
		}
		if r.err != nil {
			break
		}
		if localSpaces[string(space)] {
			continue // this node keeps its own: an older leader sent its
		}
		b := tx.Bucket(space)
		if b == nil {
			return false, fmt.Errorf("bucket %q missing", space)
		}
		if appendOnly[string(space)] {
			b.FillPercent = 0.95
		}
		switch op {
		case opPut:
			err = b.Put(key, value)
			events = events || string(space) == spaceEvents
		case opDelete:
			err = b.Delete(key)
		case opSetSeq:
			err = b.SetSequence(seq)
		}
		if err != nil {
			return false, fmt.Errorf("%s/%q: %w", space, key, err)
		}
	}
	if r.err == nil && r.off != len(r.data) {
		r.err = errors.New("bytes after the last operation")
	}
	if r.err != nil {
		return false, fmt.Errorf("malformed entry: %w", r.err)
	}
	return events, nil
}

// recordingTx records the writes made through it as a log entry.
type recordingTx struct {
	boltTx
	ops int
	buf []byte // the operations, encoded
}

func (t *recordingTx) Put(space string, key, value []byte) error {
	if err := t.boltTx.Put(space, key, value); err != nil || localSpaces[space] {
		return err
	}
	t.op(opPut, space, key)
	t.buf = appendBytes(t.buf, value)
	return nil
}

func (t *recordingTx) Delete(space string, key []byte) error {
	if err := t.boltTx.Delete(space, key); err != nil || localSpaces[space] {
		return err
	}
	t.op(opDelete, space, key)
	return nil
}

func (t *recordingTx) NextSeq(space string) (uint64, error) {
	n, err := t.boltTx.NextSeq(space)
	if err != nil || localSpaces[space] {
		return n, err
	}
	t.op(opSetSeq, space, nil)
	t.buf = binary.AppendUvarint(t.buf, n)
	return n, nil
}

func (t *recordingTx) op(kind byte, space string, key []byte) {
	t.ops++
	t.buf = append(t.buf, kind)
	t.buf = appendBytes(t.buf, []byte(space))
	t.buf = appendBytes(t.buf, key)
}

// entry returns the log entry of the writes recorded.
func (t *recordingTx) entry() []byte {
	e := make([]byte, 0, len(t.buf)+24)
	e = append(e, entryVersion)
	e = binary.AppendUvarint(e, uint64(SchemaVersion()))
	e = binary.AppendUvarint(e, uint64(t.ops))
	return append(e, t.buf...)
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// entryReader decodes an entry, keeping the first error.
type entryReader struct {
	data []byte
	off  int
	err  error
}

var errShortEntry = errors.New("entry cut short")

func (r *entryReader) byte() byte {
	if r.err != nil || r.off >= len(r.data) {
		r.err = cmpErr(r.err, errShortEntry)
		return 0
	}
	r.off++
	return r.data[r.off-1]
}

func (r *entryReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.data[r.off:])
	if n <= 0 {
		r.err = errShortEntry
		return 0
	}
	r.off += n
	return v
}

func (r *entryReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.data)-r.off) {
		r.err = errShortEntry
		return nil
	}
	b := r.data[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return b
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// SnapshotAt begins a consistent copy of the whole store, as Snapshot
// does, and returns the log index the copy holds.
func (db *DB) SnapshotAt(ctx context.Context) (pickwave.Snapshot, uint64, error) {
	s, err := db.Snapshot(ctx)
	if err != nil {
		return nil, 0, err
	}
	index, _ := readReplicaMeta(s.(*snapshot).tx)
	return s, index, nil
}
