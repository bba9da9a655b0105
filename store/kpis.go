package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/kpi"
)

// KPIs.
//
// The KPIs follow the event log as the webhook outbox does: FoldKPIs
// reads the events after the KPI cursor, adds them to the hour and day
// buckets they fall in (package kpi), and writes the buckets, the state
// the fold keeps (orders in flight, pickers' last scans, carts on the
// floor) and the cursor in one transaction. A crash leaves all or none,
// so no event is counted twice or skipped. The fold is worked out in a
// read transaction, so the committer only puts its records.
//
// Keys of the kpis space:
//
//	c                        the cursor: the sequence of the last event folded
//	h <hour, big-endian>     an hour's bucket (hours since the Unix epoch, UTC)
//	d <day, big-endian>      a day's bucket (days since the Unix epoch, UTC)
//	o <order id>             an order received and not yet shipped or cancelled
//	p <picker>               a picker's last scan
//	k <cart id>              a cart on the floor: its wave and units picked

const spaceKPIs = "kpis"

var keyKPICursor = []byte("c")

// KPIFoldBatch is how many events one FoldKPIs transaction adds at most:
// more than a busy floor logs in kpiFoldEvery, so that a fold under load
// writes its buckets once; it bounds the read transaction (a fifth of a
// second) of a fold catching up on a long log.
const KPIFoldBatch = 32768

func kpiBucketKey(p kpi.Period) []byte {
	prefix := byte('h')
	if p.Day {
		prefix = 'd'
	}
	return binary.BigEndian.AppendUint64([]byte{prefix}, uint64(p.Index))
}

func (t *txn) kpiCursor() uint64 {
	if v := t.Get(spaceKPIs, keyKPICursor); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// kpiLoader reads the fold's state in a transaction.
type kpiLoader struct{ t *txn }

func (l kpiLoader) Bucket(p kpi.Period) (*kpi.Bucket, error) {
	return getOptional[kpi.Bucket](l.t, kpiBucketKey(p))
}

func (l kpiLoader) Order(id string) (*kpi.Track, error) {
	return getOptional[kpi.Track](l.t, append([]byte{'o'}, id...))
}

func (l kpiLoader) Picker(name string) (*kpi.PickerTrack, error) {
	return getOptional[kpi.PickerTrack](l.t, append([]byte{'p'}, name...))
}

func (l kpiLoader) Cart(id string) (*kpi.CartTrack, error) {
	return getOptional[kpi.CartTrack](l.t, append([]byte{'k'}, id...))
}

func getOptional[T any](t *txn, key []byte) (*T, error) {
	data := t.Get(spaceKPIs, key)
	if data == nil {
		return nil, nil
	}
	v := new(T)
	if err := decode(spaceKPIs, key, data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// FoldKPIs adds the events after the KPI cursor, at most limit of them
// (0 or more than KPIFoldBatch: KPIFoldBatch), to the KPIs, and returns
// the sequence of the last event folded, the cursor.
//
// The fold is worked out in a read transaction: the events, the buckets
// and tracks they change, and their new encodings. The committer only
// puts the records, if the cursor has not moved meanwhile: nothing but a
// fold writes the kpis space, so an unmoved cursor means the records read
// are still the ones stored. Hour and day buckets carry every picker's
// work and weigh tens of kilobytes at a thousand pickers; decoding and
// encoding them in the committer held every handheld's scan behind it.
//
// The kpis space is the node's own (see localSpaces): on a replicated
// site each node folds its copy of the events, a follower too, and the
// fold's records never go through the log.
func (db *DB) FoldKPIs(ctx context.Context, limit int) (uint64, error) {
	if limit <= 0 || limit > KPIFoldBatch {
		limit = KPIFoldBatch
	}
	var f kpiFold
	err := db.view(ctx, func(t *txn) error {
		var err error
		f, err = foldKPIs(t, limit)
		return err
	})
	if err != nil || f.reached == f.from {
		return f.from, err
	}
	reached := f.reached
	err = db.updateLocal(ctx, func(t *txn) error {
		if c := t.kpiCursor(); c != f.from {
			// Another fold got here first; the next call goes on from it.
			reached = c
			return nil
		}
		return f.write(t)
	})
	if err != nil {
		return f.from, fmt.Errorf("fold KPIs after event %d: %w", f.from, err)
	}
	return reached, nil
}

// kpiFold is a fold worked out: the events after from up to reached,
// and the records they change.
type kpiFold struct {
	from, reached uint64
	writes        []kpiWrite
}

// foldKPIs works out the fold of the events after the cursor, at most
// limit of them, in t.
func foldKPIs(t *txn, limit int) (kpiFold, error) {
	f := kpiFold{from: t.kpiCursor()}
	f.reached = f.from
	fold := kpi.NewFold(kpiLoader{t})
	n := 0
	err := t.Scan(spaceEvents, nil, u64key(f.from), func(k, v []byte) error {
		f.reached = binary.BigEndian.Uint64(k)
		n++
		if err := fold.ApplyJSON(v); err != nil {
			return fmt.Errorf("%s/%d: %w", spaceEvents, f.reached, err)
		}
		if n == limit {
			return errStop
		}
		return nil
	})
	if err != nil || f.reached == f.from {
		return f, err
	}
	f.writes, err = kpiWrites(fold)
	return f, err
}

// write puts the fold's records and moves the cursor, in t.
func (f kpiFold) write(t *txn) error {
	for _, w := range f.writes {
		var err error
		if w.value == nil {
			err = t.Delete(spaceKPIs, w.key)
		} else {
			err = t.Put(spaceKPIs, w.key, w.value)
		}
		if err != nil {
			return err
		}
	}
	return t.Put(spaceKPIs, keyKPICursor, u64key(f.reached))
}

// foldKPIsThrough folds the events up to seq in t, all of them, when the
// cursor is behind it: a follower does so before its copy of the events
// is archived, as the leader never archives past its own cursor.
func foldKPIsThrough(t *txn, seq uint64) error {
	cursor := t.kpiCursor()
	if cursor >= seq {
		return nil
	}
	f, err := foldKPIs(t, int(seq-cursor))
	if err != nil {
		return fmt.Errorf("fold KPIs through event %d: %w", seq, err)
	}
	if f.reached == f.from {
		return nil
	}
	return f.write(t)
}

// kpiWrite is one record a fold puts, or deletes when value is nil.
type kpiWrite struct {
	key, value []byte
}

// kpiWrites encodes what fold changed: its buckets and the tracks it
// keeps, a track that ended deleted.
func kpiWrites(fold *kpi.Fold) ([]kpiWrite, error) {
	var w kpiWriter
	for p, b := range fold.Buckets {
		w.put(kpiBucketKey(p), b)
	}
	putTracks(&w, 'o', fold.Orders)
	putTracks(&w, 'p', fold.Pickers)
	putTracks(&w, 'k', fold.Carts)
	return w.writes, w.err
}

// kpiWriter collects a fold's writes, keeping the first error.
type kpiWriter struct {
	writes []kpiWrite
	err    error
}

func (w *kpiWriter) put(key []byte, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		if w.err == nil {
			w.err = fmt.Errorf("encode %s/%q: %w", spaceKPIs, key, err)
		}
		return
	}
	w.writes = append(w.writes, kpiWrite{key: key, value: data})
}

// putTracks adds the tracks under prefix: each one kept, or deleted when
// it ended (nil).
func putTracks[T any](w *kpiWriter, prefix byte, tracks map[string]*T) {
	for id, v := range tracks {
		key := append([]byte{prefix}, id...)
		if v == nil {
			w.writes = append(w.writes, kpiWrite{key: key})
			continue
		}
		w.put(key, v)
	}
}

// MaxKPISeries bounds the points of a KPI series.
const MaxKPISeries = 1000

// KPIs returns the KPIs of [from, to), both whole hours (UTC), and with
// step (a whole number of hours or days; 0 for none) a series of the
// figures of each step, without the per-picker and per-wave lists.
// Events not yet folded are folded first, one batch of them at most
// (KPIFoldBatch, more than the follower leaves between two folds): a
// query is current, and one during the first fold of a large log waits
// for one batch, not for the whole log.
// EINVALID for a range that is empty, not on whole hours, or cut into
// more than MaxKPISeries steps.
func (db *DB) KPIs(ctx context.Context, from, to time.Time, step time.Duration) (*kpi.Report, error) {
	if err := validKPIRange(from, to, step); err != nil {
		return nil, err
	}
	if _, err := db.FoldKPIs(ctx, 0); err != nil {
		return nil, err
	}
	rep := &kpi.Report{}
	err := db.view(ctx, func(t *txn) error {
		sum := func(from, to time.Time) (*kpi.Bucket, error) {
			total := new(kpi.Bucket)
			for _, p := range kpi.Periods(from, to) {
				b, err := getOptional[kpi.Bucket](t, kpiBucketKey(p))
				if err != nil {
					return nil, err
				}
				if b != nil {
					total.Add(b)
				}
			}
			return total, nil
		}
		total, err := sum(from, to)
		if err != nil {
			return err
		}
		rep.Figures = kpi.Summarize(total, from, to)
		if step > 0 {
			rep.Step = step.String()
			for s := from; s.Before(to); s = s.Add(step) {
				e := s.Add(step)
				if e.After(to) {
					e = to
				}
				b, err := sum(s, e)
				if err != nil {
					return err
				}
				f := kpi.Summarize(b, s, e)
				f.Pickers, f.Waves = nil, nil
				rep.Series = append(rep.Series, f)
			}
		}
		rep.ThroughSeq = t.kpiCursor()
		rep.LastSeq, err = t.lastEventSeq()
		return err
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func validKPIRange(from, to time.Time, step time.Duration) error {
	bad := func(field, reason, msg string) error {
		return &pickwave.Error{Code: pickwave.EINVALID, Message: msg, Details: []pickwave.FieldError{{Field: field, Reason: reason}}}
	}
	switch {
	case !from.Equal(from.Truncate(time.Hour)) || !to.Equal(to.Truncate(time.Hour)):
		return bad("from", "must be a whole hour", "KPIs are kept per hour: from and to must be whole hours.")
	case !to.After(from):
		return bad("to", "must be after from", "The range is empty: to must be after from.")
	case step < 0 || step%time.Hour != 0:
		return bad("step", "must be a whole number of hours", "The step must be a whole number of hours.")
	case step > 0 && to.Sub(from)/step > MaxKPISeries:
		return bad("step", fmt.Sprintf("at most %d steps", MaxKPISeries),
			fmt.Sprintf("The range cut by the step makes more than %d points; take a longer step.", MaxKPISeries))
	}
	return nil
}

// FollowKPIs folds the event log into the KPIs as it grows, until ctx
// ends. A failed fold is logged and tried again after a pause; the cursor
// makes a retry safe.
func (db *DB) FollowKPIs(ctx context.Context) {
	const retry = 5 * time.Second
	for {
		changed := db.Changed() // before folding, so no signal is missed
		for {
			before, err := db.KPICursor(ctx)
			if err == nil {
				var after uint64
				after, err = db.FoldKPIs(ctx, 0)
				// Less than a full batch: the fold reached the end of the
				// log as it was (event sequences have no gaps).
				if err == nil && after-before < KPIFoldBatch {
					break
				}
			}
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				db.logger.Error("fold KPIs", "err", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(retry):
				}
			}
		}
		// Caught up. Under load every commit brings events: fold them
		// at most kpiFoldEvery apart, not after each commit, so the
		// fold's own writes stay few beside the scans'.
		select {
		case <-ctx.Done():
			return
		case <-time.After(kpiFoldEvery):
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

// kpiFoldEvery is the least time between two folds of a following
// store: the KPIs lag the log by at most about this much when nobody asks
// for them (a query folds what is left itself, and so does a scrape of
// /metrics). Each fold rewrites the hour's and the day's buckets and every
// active picker's track, about 150 KB at a thousand pickers, in one commit
// that the scans of the same batch wait for (on a replicated site they
// stay on the node, out of the log): every five seconds that is under one
// scan in a hundred.
const kpiFoldEvery = 5 * time.Second

// KPICursor returns the sequence of the last event the KPIs count, as
// folded so far, without folding.
func (db *DB) KPICursor(ctx context.Context) (uint64, error) {
	var c uint64
	err := db.view(ctx, func(t *txn) error { c = t.kpiCursor(); return nil })
	return c, err
}

// checkKPIs checks the KPI fold's invariants (see Check): its cursor is
// within the log, and every record is of a known kind and decodes.
func (c *checker) checkKPIs() {
	b := c.tx.Bucket([]byte(spaceKPIs))
	if b == nil {
		return
	}
	var last uint64
	if k, _ := c.tx.Bucket([]byte(spaceEvents)).Cursor().Last(); k != nil {
		last = binary.BigEndian.Uint64(k)
	}
	_ = b.ForEach(func(k, v []byte) error {
		var err error
		switch {
		case string(k) == string(keyKPICursor):
			if len(v) != 8 {
				c.fail("kpis: cursor %x is not 8 bytes", v)
			} else if n := binary.BigEndian.Uint64(v); n > last {
				c.fail("kpis: cursor %d is past the event log's end %d", n, last)
			}
		case (k[0] == 'h' || k[0] == 'd') && len(k) == 9:
			err = json.Unmarshal(v, new(kpi.Bucket))
		case k[0] == 'o':
			err = json.Unmarshal(v, new(kpi.Track))
		case k[0] == 'p':
			err = json.Unmarshal(v, new(kpi.PickerTrack))
		case k[0] == 'k':
			err = json.Unmarshal(v, new(kpi.CartTrack))
		default:
			c.fail("kpis: unknown key %q", k)
		}
		if err != nil {
			c.fail("kpis/%q: %v", k, err)
		}
		return nil
	})
}
