package ha

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pickwave/pickwave/store"
)

// A log value is one byte saying what follows, then the entry
// compressed with DEFLATE (valueEntry), or the number of parts under
// chunk/ that the compressed entry is cut into (valueChunks). JSON
// records compress several times over, and etcd's time per transaction
// grows with its bytes: on each member they go to the WAL and to its
// own bbolt file.
const (
	valueEntry  = 'Z'
	valueChunks = 'C'
)

// A flate writer holds some hundred kilobytes of state, more work to
// allocate and clear than deflating a group commit's entry at the
// fastest level: the leader keeps them in a pool, off its commit path's
// garbage.
var (
	writers = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.BestSpeed)
		return w
	}}
	readers = sync.Pool{New: func() any { return flate.NewReader(nil) }}
)

// compress deflates entry at the fastest level into a new slice after
// head.
func compress(head byte, entry []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(entry)/3 + 16)
	b.WriteByte(head)
	w := writers.Get().(*flate.Writer)
	w.Reset(&b)
	w.Write(entry)
	w.Close()
	writers.Put(w)
	return b.Bytes()
}

func decompress(data []byte) ([]byte, error) {
	r := readers.Get().(io.ReadCloser)
	defer readers.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(data), nil); err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, maxEntryBytes))
}

// maxEntryBytes bounds an entry once decompressed (a guard against a
// damaged value, far above any real transaction).
const maxEntryBytes = 1 << 30

// ErrFenced is the error of an append by a node that is no longer the
// leader: its election key is gone, so etcd refused the transaction.
var ErrFenced = errors.New("ha: not the leader any more (election key gone); nothing appended")

// fence is the compare every leader transaction carries: the election key
// is still the one this node created.
func (l *Leader) fence() clientv3.Cmp {
	return clientv3.Compare(clientv3.CreateRevision(l.key), "=", l.rev)
}

// Append makes entry the log's entry at index (store.Log). It fails, and
// the node must step down, when the node lost the lead, or etcd did not
// take the entry within the lease TTL: an etcd election (about a second)
// is ridden through, each attempt given up and made again.
func (l *Leader) Append(ctx context.Context, index uint64, entry []byte) (err error) {
	ctx, cancel := context.WithTimeout(ctx, l.site.cfg.LeaseTTL)
	defer cancel()
	start, size := time.Now(), 0
	defer func() { l.site.metrics.observeAppend(start, size, err) }()
	defer func() {
		if err != nil {
			l.markLost()
		}
	}()
	s := l.site
	value := compress(valueEntry, entry)
	if z := value[1:]; len(z) > s.cfg.MaxValueBytes {
		// Too large for one request: the parts first, each fenced, then
		// the log key that makes them an entry.
		n := 0
		for off := 0; off < len(z); off += s.cfg.MaxValueBytes {
			part := z[off:min(off+s.cfg.MaxValueBytes, len(z))]
			if err := l.write(ctx, s.chunkKey(index, n), part, false); err != nil {
				return fmt.Errorf("append part %d of entry %d: %w", n, index, err)
			}
			n++
		}
		value = strconv.AppendInt([]byte{valueChunks}, int64(n), 10)
	}
	size = len(value)
	if err := l.write(ctx, s.logKey(index), value, true); err != nil {
		return fmt.Errorf("append entry %d: %w", index, err)
	}
	l.appended.Store(index)
	s.metrics.applied.Set(float64(index))
	return nil
}

// put writes one key in a fenced transaction, as write does.
func (l *Leader) put(ctx context.Context, key string, value []byte) error {
	return l.write(ctx, key, value, false)
}

// write puts value at key in a transaction fenced by the election key
// (and, when once, only if the key is new), until ctx ends. An attempt
// that gets no answer in attemptTimeout (the member it went to died, the
// etcd leader it was proposed to is gone) is made again. When a later
// attempt finds the key already written, the earlier one landed and its
// answer was lost: the write counts when the key holds this value and the
// fence still holds. ErrFenced when the fence failed.
func (l *Leader) write(ctx context.Context, key string, value []byte, once bool) error {
	cmps := []clientv3.Cmp{l.fence()}
	if once {
		cmps = append(cmps, clientv3.Compare(clientv3.Version(key), "=", 0))
	}
	for attempt := 0; ; attempt++ {
		c, pinned := l.pin.get()
		actx, cancel := context.WithTimeout(ctx, attemptTimeout(len(value)))
		resp, err := c.Txn(actx).If(cmps...).Then(clientv3.OpPut(key, string(value))).Commit()
		cancel()
		if err != nil && pinned != "" {
			l.pin.drop(pinned)
		}
		if err == nil {
			if resp.Succeeded {
				return nil
			}
			if !once || attempt == 0 {
				return ErrFenced
			}
			var landed bool
			if landed, err = l.holds(ctx, key, value); err == nil {
				if landed {
					return nil
				}
				return ErrFenced
			}
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		}
	}
}

// attemptTimeout bounds one attempt at writing n bytes: half a second,
// and a second more per MiB.
func attemptTimeout(n int) time.Duration {
	return 500*time.Millisecond + time.Duration(n)*time.Second/(1<<20)
}

// holds reports whether key holds value while the fence holds.
func (l *Leader) holds(ctx context.Context, key string, value []byte) (bool, error) {
	actx, cancel := context.WithTimeout(ctx, attemptTimeout(len(value)))
	defer cancel()
	resp, err := l.site.client.Txn(actx).If(l.fence()).Then(clientv3.OpGet(key)).Commit()
	if err != nil {
		return false, err
	}
	if !resp.Succeeded {
		return false, nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	return len(kvs) == 1 && bytes.Equal(kvs[0].Value, value), nil
}

// entry reads the entry a log value holds.
func (s *Site) entry(ctx context.Context, index uint64, value []byte) ([]byte, error) {
	if len(value) == 0 {
		return nil, fmt.Errorf("log entry %d is empty", index)
	}
	switch value[0] {
	case valueEntry:
		entry, err := decompress(value[1:])
		if err != nil {
			return nil, fmt.Errorf("log entry %d: %w", index, err)
		}
		return entry, nil
	case valueChunks:
		n, err := strconv.Atoi(string(value[1:]))
		if err != nil {
			return nil, fmt.Errorf("log entry %d: parts: %w", index, err)
		}
		resp, err := s.client.Get(ctx, s.chunkPrefix(index), clientv3.WithPrefix())
		if err != nil {
			return nil, fmt.Errorf("read the parts of entry %d: %w", index, err)
		}
		if len(resp.Kvs) != n {
			return nil, fmt.Errorf("entry %d has %d of its %d parts", index, len(resp.Kvs), n)
		}
		var z []byte
		for _, kv := range resp.Kvs {
			z = append(z, kv.Value...)
		}
		entry, err := decompress(z)
		if err != nil {
			return nil, fmt.Errorf("log entry %d: %w", index, err)
		}
		return entry, nil
	}
	return nil, fmt.Errorf("log entry %d: unknown kind %q", index, value[0])
}

// ErrBehind says the entries a node needs next were compacted away: it
// must start again from the latest snapshot.
var ErrBehind = errors.New("ha: the log no longer holds the next entry; start from the snapshot")

// applyPage applies up to limit entries after db's last one; it returns
// how many it applied, whether more wait, and the revision it read at.
func (s *Site) applyPage(ctx context.Context, db *store.DB, limit int64) (n int, more bool, rev int64, err error) {
	applied, _, err := db.Applied()
	if err != nil {
		return 0, false, 0, err
	}
	resp, err := s.client.Get(ctx, s.logKey(applied+1), clientv3.WithRange(s.logEnd()), clientv3.WithLimit(limit))
	if err != nil {
		return 0, false, 0, fmt.Errorf("read the log after %d: %w", applied, err)
	}
	for _, kv := range resp.Kvs {
		index, err := s.indexOf(kv.Key)
		if err != nil {
			return n, false, 0, err
		}
		if index != applied+1 {
			return n, false, 0, fmt.Errorf("%w (have %d, the log resumes at %d)", ErrBehind, applied, index)
		}
		entry, err := s.entry(ctx, index, kv.Value)
		if err != nil {
			return n, false, 0, err
		}
		if err := db.Apply(index, entry); err != nil {
			return n, false, 0, err
		}
		applied, n = index, n+1
		s.metrics.applied.Set(float64(index))
	}
	if n == 0 && applied > 0 {
		// Nothing after us; make sure we are not past a compacted log
		// whose snapshot is ahead of us.
		if snap, err := s.readSnap(ctx); err == nil && snap != nil && snap.Index > applied {
			first, err := s.client.Get(ctx, s.logKey(0), clientv3.WithRange(s.logEnd()), clientv3.WithLimit(1), clientv3.WithKeysOnly())
			if err == nil && len(first.Kvs) == 0 {
				return 0, false, 0, fmt.Errorf("%w (have %d, the snapshot is at %d)", ErrBehind, applied, snap.Index)
			}
		}
	}
	return n, resp.More, resp.Header.Revision, nil
}

// CatchUp applies every entry of the log after db's last one. Run by a
// newly elected leader before it serves, nobody else can append meanwhile.
func (s *Site) CatchUp(ctx context.Context, db *store.DB) (int, error) {
	total := 0
	for {
		n, more, _, err := s.applyPage(ctx, db, 1024)
		total += n
		if err != nil || (!more && n == 0) {
			return total, err
		}
	}
}

// Follow applies the log to db as it grows, until ctx ends or an entry
// cannot be applied (ErrBehind: start again from the snapshot).
func (s *Site) Follow(ctx context.Context, db *store.DB) error {
	var watch clientv3.WatchChan
	var stopWatch context.CancelFunc = func() {}
	defer func() { stopWatch() }()
	for ctx.Err() == nil {
		_, more, rev, err := s.applyPage(ctx, db, 1024)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, ErrBehind) || errors.Is(err, store.ErrGap) {
				return err
			}
			s.logger.Warn("following the log", "err", err)
			select {
			case <-time.After(500 * time.Millisecond):
			case <-ctx.Done():
			}
			continue
		}
		if more {
			continue
		}
		if watch == nil {
			wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
			stopWatch = cancel
			watch = s.client.Watch(wctx, s.prefix+"log/", clientv3.WithPrefix(), clientv3.WithRev(rev+1), clientv3.WithKeysOnly(), clientv3.WithFilterDelete())
		}
		select {
		case resp, ok := <-watch:
			if !ok || resp.Err() != nil {
				// Compacted history, a lost etcd leader: watch again
				// from what the next read sees.
				stopWatch()
				watch = nil
			}
		case <-ctx.Done():
		}
	}
	return nil
}
