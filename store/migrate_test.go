package store_test

import (
	"encoding/binary"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

// TestMigrate_fromVersion4 takes a store with a released wave back to
// schema 4 (no open-task index, no separate wave progress) and checks that
// opening it migrates forward and picking carries on.
func TestMigrate_fromVersion4(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w := releasedCart(t, db, 2)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"tasks_open", "wave_progress"} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 4))
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()

	db = mustOpenDir(t, dir)
	got, err := db.Wave(ctxAs("t"), w.ID)
	if err != nil || got.Progress.Tasks != w.Progress.Tasks {
		t.Fatalf("wave after migration %+v, %v", got, err)
	}
	p := &picker{t: t, db: db, name: "pete"}
	prompt, err := db.TakeCart(ctxAs("pete"), "pete")
	if err != nil || prompt.TasksLeft != w.Progress.Tasks {
		t.Fatalf("prompt after migration %+v, %v", prompt, err)
	}
	p.pickAll(prompt)
	got, _ = db.Wave(ctxAs("t"), w.ID)
	if got.Status != pickwave.WaveCompleted {
		t.Fatalf("wave %s after picking", got.Status)
	}
}
