package pickwave

import (
	"context"
	"io"
)

// A Snapshot is a consistent copy of the whole store as of one moment,
// taken while the store keeps serving: every change committed before the
// snapshot began is in it, nothing committed after. Close it promptly: it
// holds a read transaction open.
type Snapshot interface {
	// Size is the copy's length in bytes, known before it is written.
	Size() int64
	// WriteTo writes the copy, a store file that opens on its own.
	io.WriterTo
	// Close ends the snapshot; it is safe to call more than once.
	Close() error
}

// BackupService takes hot backups of the store.
type BackupService interface {
	// Snapshot begins a consistent copy of the store. It returns
	// EUNAVAILABLE when the store is shutting down.
	Snapshot(ctx context.Context) (Snapshot, error)
}
