package store

import (
	"errors"

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
