package store_test

import (
	"log/slog"
	"testing"

	"github.com/pickwave/pickwave/store"
)

// FuzzApply feeds a following store log entries of any bytes: an entry
// is applied whole or refused with an error, never a panic, and a
// refused one leaves the file at its index.
func FuzzApply(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 13, 1, 1, 4, 'm', 'e', 't', 'a', 1, 'k', 1, 'v'})
	f.Add([]byte{1, 13, 1, 3, 6, 'e', 'v', 'e', 'n', 't', 's', 0, 7})
	f.Add([]byte{1, 13, 2, 2, 4, 's', 'k', 'u', 's', 1, 'x', 9})
	f.Add([]byte{2, 0, 0})
	dir := f.TempDir()
	db, err := store.Open(dir, store.Options{Follow: true, NoSync: true, Logger: slog.New(slog.DiscardHandler)}) // unchecked: garbage entries go into it
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, entry []byte) {
		before, _, err := db.Applied()
		if err != nil {
			t.Fatal(err)
		}
		err = db.Apply(before+1, entry)
		after, _, _ := db.Applied()
		switch {
		case err != nil && after != before:
			t.Fatalf("a refused entry moved the file from %d to %d: %v", before, after, err)
		case err == nil && after != before+1:
			t.Fatalf("an applied entry left the file at %d, want %d", after, before+1)
		}
	})
}
