package store

import (
	"context"
	"encoding/binary"

	"github.com/pickwave/pickwave"
)

// Event paging limits.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

func pageSize(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return limit
}

// Events returns up to limit events with a sequence above after, oldest
// first: from the event archive (see archive.go) as far as it reaches,
// then from the store.
func (db *DB) Events(ctx context.Context, after uint64, limit int) ([]*pickwave.Event, error) {
	limit = pageSize(limit)
	var (
		through uint64
		stored  = make([]*pickwave.Event, 0, min(limit, 64))
	)
	err := db.view(ctx, func(t *txn) error {
		through = t.archivedThrough()
		return t.Scan(spaceEvents, nil, u64key(max(after, through)), func(_, v []byte) error {
			ev := new(pickwave.Event)
			if err := decode(spaceEvents, nil, v, ev); err != nil {
				return err
			}
			stored = append(stored, ev)
			if len(stored) == limit {
				return errStop
			}
			return nil
		})
	})
	if err != nil || after >= through {
		return stored, err
	}
	// Files are written before the archive's end is recorded, so every
	// event up to through is in them.
	out, err := archivedEvents(db.archiveDir, after, through, limit)
	if err != nil {
		return nil, err
	}
	return append(out, stored[:min(len(stored), limit-len(out))]...), nil
}

// LastSeq returns the sequence of the newest event, 0 when the log is empty.
func (db *DB) LastSeq(ctx context.Context) (uint64, error) {
	var seq uint64
	err := db.view(ctx, func(t *txn) error {
		return t.ScanReverse(spaceEvents, nil, func(k, _ []byte) error {
			seq = binary.BigEndian.Uint64(k)
			return errStop
		})
	})
	return seq, err
}
