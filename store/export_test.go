package store

import (
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SetMigrationChunk sets the records a migration step touches, for a
// test, and returns the function that puts it back.
func SetMigrationChunk(n int) (restore func()) {
	old := migrationChunk
	migrationChunk = n
	return func() { migrationChunk = old }
}

// ErrCrash is what a migration broken by CrashMigrationAfter fails with.
var ErrCrash = errors.New("crash (test)")

// CrashMigrationAfter makes the step migration to version fail after
// steps successful steps, as if the process died there, and returns the
// function that mends it.
func CrashMigrationAfter(version, steps int) (mend func()) {
	m := &migrations[version-1]
	step, n := m.step, 0
	m.step = func(tx *bolt.Tx) (bool, error) {
		if n == steps {
			return false, ErrCrash
		}
		n++
		return step(tx)
	}
	return func() { m.step = step }
}

// AddPicks records n pick tasks of a SKU on a day, as finished picks do,
// for tests of the ABC classes that cannot run months of waves.
func (db *DB) AddPicks(sku string, day time.Time, n int) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(spacePickDays)).Put(joinKey(sku, day.Format(dayLayout)), u64key(uint64(n)))
	})
}
