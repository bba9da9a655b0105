package store

import (
	"context"
	"time"
)

// Scan record retention. Every scan's audit record (what was scanned, the
// verdict) lives in the scan log; the scan id index maps a picker's scan
// id to its log entry, so that a resent id is answered from its record.
// ForgetScans drops old log entries but keeps the index: an id stays
// known for good (a few dozen bytes each), and a resend whose record was
// dropped is refused with EGONE rather than judged again as new.

// ForgetScans deletes up to limit scan records committed before the
// given time, oldest first, in one transaction, and reports how many it
// deleted and whether older ones remain. Callers loop in small chunks so
// that handheld scans, which share the committer, wait little.
func (db *DB) ForgetScans(ctx context.Context, before time.Time, limit int) (n int, more bool, err error) {
	if limit <= 0 {
		limit = 1000
	}
	err = db.update(ctx, func(t *txn) error {
		n, more = 0, false
		var keys [][]byte
		if err := t.Scan(spaceScanLog, nil, nil, func(k, v []byte) error {
			var e struct {
				Record struct {
					At time.Time `json:"at"`
				} `json:"record"`
			}
			if err := decode(spaceScanLog, k, v, &e); err != nil {
				return err
			}
			if !e.Record.At.Before(before) {
				return errStop
			}
			if len(keys) == limit {
				more = true
				return errStop
			}
			keys = append(keys, append([]byte(nil), k...))
			return nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := t.Delete(spaceScanLog, k); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	return n, more, err
}

// ScanRetentionMin is the shortest retention ForgetScans is given by
// `pickwave serve`: a handheld that was off for a weekend still gets its
// answers from record.
const ScanRetentionMin = 7 * 24 * time.Hour
