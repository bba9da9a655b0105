package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/pickwave/pickwave/internal/syncfile"
)

// A leader's file is not synced.
//
// A leading store acknowledges a commit only once its log holds it
// durably (Lead), on other machines. Its own file is a working copy that
// the log can rebuild, so the leader does not sync it at every commit:
// the two syncs of a bbolt commit were a fifth of a group commit's time
// on etcd. What that costs is a crash of the machine, not of the process:
//   - The process dies (kill -9, a panic): every write it made is in the
//     kernel's page cache, and bbolt writes a commit's pages before the
//     meta page that makes them current, so the file is sound, at the
//     last commit or just behind it. The node follows the log on from
//     there.
//   - The machine stops (power, kernel): the pages may have reached the
//     disk in any order, and a file whose meta page points at pages that
//     never arrived is damaged in ways bbolt cannot see when it opens.
//
// So Lead first writes a marker beside the file, synced, holding the
// kernel's boot id, and Close syncs the file and removes the marker.
// Open finds a marker left behind when the leader did not close: from
// the same boot, the file is sound, and it is synced and kept; from
// another boot, the file is not to be trusted, and it is moved aside
// (kept for inspection), so the store opens empty and the node starts
// again from the site's snapshot (ha.Open). Where the kernel gives no
// boot id, the leader syncs every commit as before.

// unsyncedSuffix names the marker, after the store file's name.
const unsyncedSuffix = ".unsynced"

// bootIDPath holds the kernel's random id of the running boot (Linux).
var bootIDPath = "/proc/sys/kernel/random/boot_id"

func bootID() ([]byte, error) {
	id, err := os.ReadFile(bootIDPath)
	if err != nil {
		return nil, err
	}
	id = bytes.TrimSpace(id)
	if len(id) == 0 {
		return nil, errors.New("empty boot id")
	}
	return id, nil
}

// stopSyncing writes the marker, synced, and then turns the file's sync
// off. It leaves the sync on, and reports why, when there is no boot id
// to write.
func (db *DB) stopSyncing() error {
	id, err := bootID()
	if err != nil {
		return fmt.Errorf("no boot id, the leader syncs its file: %w", err)
	}
	if err := syncfile.Write(db.path+unsyncedSuffix, id, 0o600); err != nil {
		return fmt.Errorf("the leader syncs its file: %w", err)
	}
	db.unsynced.Store(true) // the committer turns bbolt's sync off
	return nil
}

// resumeSyncing syncs the file of a leader that did not sync it, and
// removes its marker; it is called when the store closes.
func (db *DB) resumeSyncing() error {
	if !db.unsynced.Load() {
		return nil
	}
	if err := db.bolt.Sync(); err != nil {
		return fmt.Errorf("sync the store: %w", err)
	}
	if err := os.Remove(db.path + unsyncedSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the unsynced marker: %w", err)
	}
	return nil
}

// recoverUnsynced deals with the marker of a leader that did not close,
// before the file at path is opened: see above.
func recoverUnsynced(path string) (movedAside string, err error) {
	marker := path + unsyncedSuffix
	written, err := os.ReadFile(marker)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", marker, err)
	}
	now, err := bootID()
	switch {
	case err == nil && bytes.Equal(bytes.TrimSpace(written), now):
		if err := syncFile(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	default:
		movedAside = fmt.Sprintf("%s.unsynced-%s", path, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(path, movedAside); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("move aside the file a leader left unsynced: %w", err)
		}
	}
	if err := os.Remove(marker); err != nil {
		return "", fmt.Errorf("remove %s: %w", marker, err)
	}
	return movedAside, syncfile.Dir(filepath.Dir(path))
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}
