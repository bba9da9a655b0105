package etcdtest

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pickwave/pickwave/store"
)

// SameData reports how two closed store files differ, nil when every
// bucket holds the same keys, values and sequence in both; the spaces
// each node keeps for itself (store.LocalSpace) are not compared.
func SameData(a, b string) error {
	da, err := bolt.Open(a, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer da.Close()
	db, err := bolt.Open(b, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return da.View(func(ta *bolt.Tx) error {
		return db.View(func(tb *bolt.Tx) error {
			if err := contains(ta, tb); err != nil {
				return fmt.Errorf("%s → %s: %w", a, b, err)
			}
			if err := contains(tb, ta); err != nil {
				return fmt.Errorf("%s → %s: %w", b, a, err)
			}
			return nil
		})
	})
}

// contains checks that every bucket and key of x is in y, the same.
func contains(x, y *bolt.Tx) error {
	return x.ForEach(func(name []byte, bx *bolt.Bucket) error {
		if store.LocalSpace(string(name)) {
			return nil // each node keeps its own
		}
		by := y.Bucket(name)
		if by == nil {
			return fmt.Errorf("bucket %s missing", name)
		}
		if bx.Sequence() != by.Sequence() {
			return fmt.Errorf("bucket %s: sequence %d against %d", name, bx.Sequence(), by.Sequence())
		}
		return bx.ForEach(func(k, v []byte) error {
			if w := by.Get(k); !bytes.Equal(v, w) {
				return fmt.Errorf("%s/%q: %q against %q", name, k, trim(v), trim(w))
			}
			return nil
		})
	})
}

func trim(v []byte) []byte {
	if len(v) > 80 {
		return append(v[:80:80], "…"...)
	}
	return v
}
