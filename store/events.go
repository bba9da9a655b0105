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

// Events returns up to limit events with a sequence above after, oldest first.
func (db *DB) Events(ctx context.Context, after uint64, limit int) ([]*pickwave.Event, error) {
	limit = pageSize(limit)
	out := make([]*pickwave.Event, 0, min(limit, 64))
	err := db.view(ctx, func(t *txn) error {
		return t.Scan(spaceEvents, nil, u64key(after), func(_, v []byte) error {
			ev := new(pickwave.Event)
			if err := decode(spaceEvents, nil, v, ev); err != nil {
				return err
			}
			out = append(out, ev)
			if len(out) == limit {
				return errStop
			}
			return nil
		})
	})
	return out, err
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
