package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	boltErrors "go.etcd.io/bbolt/errors"
	"golang.org/x/sys/unix"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/syncfile"
)

// Backups.
//
// A hot backup is one bbolt read transaction written out with
// tx.WriteTo: a consistent copy of the file as of the moment the
// transaction began, so every write acknowledged before then is in it,
// taken while the committer goes on writing. A read transaction does not
// block writers, with one exception: a commit that has to grow the file
// beyond bbolt's current memory map waits for every open read
// transaction, the backup's included, to end. bbolt maps in doubling
// steps (up to 1 GB), so this is rare, and a backup to a local file takes
// well under a second per 100 MB; a slow client of the backup API holds
// the snapshot for as long as it takes to read it.
//
// A backup file is kept only after it has been checked with the same
// check as `pickwave check` (see Check): written to a temporary file in
// the destination's directory, synced, verified, then renamed into
// place, so a half-written or unsound copy never carries a backup's name.

// Snapshot begins a consistent copy of the whole store (see
// pickwave.Snapshot); close it when done. EUNAVAILABLE once the store is
// closed.
func (db *DB) Snapshot(ctx context.Context) (pickwave.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, gaveUp(err)
	}
	db.submitMu.RLock()
	closed := db.closed
	db.submitMu.RUnlock()
	if closed {
		return nil, errClosed
	}
	tx, err := db.bolt.Begin(false)
	if errors.Is(err, boltErrors.ErrDatabaseNotOpen) {
		return nil, errClosed
	}
	if err != nil {
		return nil, fmt.Errorf("begin backup: %w", err)
	}
	return &snapshot{tx: tx}, nil
}

// snapshot is a pickwave.Snapshot on one read transaction.
type snapshot struct {
	tx   *bolt.Tx
	once sync.Once
}

func (s *snapshot) Size() int64 { return s.tx.Size() }

func (s *snapshot) WriteTo(w io.Writer) (int64, error) {
	n, err := s.tx.WriteTo(w)
	if err != nil {
		return n, fmt.Errorf("write backup: %w", err)
	}
	return n, nil
}

func (s *snapshot) Close() error {
	var err error
	s.once.Do(func() { err = s.tx.Rollback() })
	return err
}

// Backup writes a consistent copy of the whole store to w while the store
// keeps serving, and returns the bytes written.
func (db *DB) Backup(ctx context.Context, w io.Writer) (n int64, err error) {
	s, err := db.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	return s.WriteTo(w)
}

// FileInfo describes a store file that passed the check.
type FileInfo struct {
	// Path is the file's path.
	Path string
	// Size is its length in bytes.
	Size int64
	// SchemaVersion is the schema version it was written with.
	SchemaVersion int
	// Events is the number of events in its log (the newest's sequence).
	Events uint64
}

// VerifyFile opens the store file at path read-only and checks it as
// Check does; it also refuses a file cut short or written by a newer
// Pickwave. The file must not be open in another process. A backup file
// is verified with it; CheckFile checks a data directory.
func VerifyFile(path string) (FileInfo, error) {
	info := FileInfo{Path: path}
	fi, err := os.Stat(path)
	if err != nil {
		return info, fmt.Errorf("verify %s: %w", path, err)
	}
	if fi.IsDir() {
		return info, fmt.Errorf("verify %s: a directory, not a store file (its store is %s)", path, filepath.Join(path, FileName))
	}
	info.Size = fi.Size()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, boltErrors.ErrTimeout) {
		return info, errInUse(path)
	}
	if err != nil {
		return info, fmt.Errorf("%s is not a Pickwave store file: %w", path, err)
	}
	defer b.Close()
	err = b.View(func(tx *bolt.Tx) (err error) {
		// A file cut short would fault when its missing pages are read
		// through the memory map: refuse it first, and turn any other
		// fault into an error rather than a crash.
		if want := tx.Size(); info.Size < want {
			return fmt.Errorf("%s is cut short: %d bytes, its pages need %d", path, info.Size, want)
		}
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("%s is damaged: %v", path, v)
			}
		}()
		meta := tx.Bucket([]byte(spaceMeta))
		if meta == nil || len(meta.Get(keySchemaVersion)) != 8 {
			return fmt.Errorf("%s has no schema version: not a Pickwave store", path)
		}
		info.SchemaVersion = int(binary.BigEndian.Uint64(meta.Get(keySchemaVersion)))
		if info.SchemaVersion > SchemaVersion() {
			return fmt.Errorf("%s has schema version %d, newer than this pickwave's (%d): upgrade pickwave", path, info.SchemaVersion, SchemaVersion())
		}
		if ev := tx.Bucket([]byte(spaceEvents)); ev != nil {
			info.Events = ev.Sequence()
		}
		return check(tx)
	})
	if err != nil {
		return info, err
	}
	return info, nil
}

// errInUse says a store file is locked by a running server.
func errInUse(path string) error {
	return &pickwave.Error{Code: pickwave.EUNAVAILABLE, Message: fmt.Sprintf(
		"%s is in use by a running pickwave server (bbolt locks it): stop the server, or back up through it with `pickwave backup --server URL --token TOKEN`", path)}
}

// WriteFile writes a backup to path: write writes the store file's bytes
// (a snapshot's WriteTo, a download) into a temporary file in path's
// directory, which is synced, verified with VerifyFile, and only then
// renamed to path, mode 0600 (a store holds customers' names and
// addresses). On any failure nothing is left at path and the temporary
// file is removed.
func WriteFile(path string, write func(w io.Writer) (int64, error)) (FileInfo, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".pickwave-backup-*.tmp")
	if err != nil {
		return FileInfo{Path: path}, fmt.Errorf("create backup file: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return FileInfo{Path: path}, fmt.Errorf("backup file mode: %w", err)
	}
	if _, err := write(tmp); err != nil {
		return FileInfo{Path: path}, err
	}
	if err := tmp.Sync(); err != nil {
		return FileInfo{Path: path}, fmt.Errorf("sync backup file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return FileInfo{Path: path}, fmt.Errorf("close backup file: %w", err)
	}
	info, err := VerifyFile(tmp.Name())
	if err != nil {
		return FileInfo{Path: path}, fmt.Errorf("the backup failed its check, not kept: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return FileInfo{Path: path}, fmt.Errorf("keep backup: %w", err)
	}
	keep = true
	info.Path = path
	return info, syncfile.Dir(dir)
}

// BackupFile writes a verified backup of the store in dir, which no
// server may be running on, to path (see WriteFile). A server holding
// dir gets EUNAVAILABLE saying to back up through it instead.
func BackupFile(dir, path string) (FileInfo, error) {
	src := filepath.Join(dir, FileName)
	if _, err := os.Stat(src); err != nil {
		return FileInfo{Path: path}, fmt.Errorf("back up %s: %w", dir, err)
	}
	b, err := bolt.Open(src, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, boltErrors.ErrTimeout) {
		return FileInfo{Path: path}, errInUse(src)
	}
	if err != nil {
		return FileInfo{Path: path}, fmt.Errorf("open %s: %w", src, err)
	}
	defer b.Close()
	return WriteFile(path, func(w io.Writer) (int64, error) {
		var n int64
		err := b.View(func(tx *bolt.Tx) (err error) {
			n, err = tx.WriteTo(w)
			return err
		})
		return n, err
	})
}

// Restore replaces the store in dir with the backup at from. It refuses
// while a server holds dir (EUNAVAILABLE) and refuses a backup that fails
// VerifyFile (EINVALID), before touching anything. The backup is copied
// into dir, synced and verified again; the store it replaces is kept
// beside it as pickwave.db.before-restore-<time>, never deleted, and the
// returned path names it ("" when dir held no store). now names the kept
// file.
func Restore(from, dir string, now time.Time) (FileInfo, string, error) {
	info, err := VerifyFile(from)
	if err != nil {
		return info, "", pickwave.Errorf(pickwave.EINVALID, "The backup %s is not sound; nothing was restored: %v", from, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return info, "", fmt.Errorf("create data directory: %w", err)
	}
	dst := filepath.Join(dir, FileName)
	// Hold the data file's lock (bbolt's flock), as a server would, for
	// the whole swap: a server cannot start on the old file meanwhile,
	// and one running now refuses the restore. The lock is taken on the
	// file itself, not through bbolt, so a damaged store can be replaced.
	var lock *os.File
	if _, err := os.Stat(dst); err == nil {
		if lock, err = lockFile(dst, time.Second); err != nil {
			return info, "", err
		}
		defer lock.Close()
	}
	src, err := os.Open(from)
	if err != nil {
		return info, "", fmt.Errorf("open backup: %w", err)
	}
	defer src.Close()
	tmp := filepath.Join(dir, FileName+".restoring")
	if _, err := WriteFile(tmp, func(w io.Writer) (int64, error) { return io.Copy(w, src) }); err != nil {
		return info, "", err
	}
	kept := ""
	if lock != nil {
		kept = filepath.Join(dir, FileName+".before-restore-"+now.UTC().Format("20060102T150405.000Z"))
		// A hard link keeps the old file without a moment where the
		// data directory has no store.
		if err := os.Link(dst, kept); err != nil {
			os.Remove(tmp)
			return info, "", fmt.Errorf("keep the replaced store as %s: %w", kept, err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return info, kept, fmt.Errorf("restore into %s: %w", dst, err)
	}
	if err := syncfile.Dir(dir); err != nil {
		return info, kept, err
	}
	info.Path = dst
	return info, kept, nil
}

// lockFile takes the exclusive lock bbolt takes on a store file, waiting
// up to timeout for another process to let go of it; the lock lasts until
// the returned file is closed.
func lockFile(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, &pickwave.Error{Code: pickwave.EUNAVAILABLE, Message: fmt.Sprintf(
				"data directory %s is in use by a running pickwave server (bbolt locks %s): stop it before restoring", filepath.Dir(path), FileName)}
		}
		time.Sleep(50 * time.Millisecond) // waiting for another process's lock: nothing to wait on
	}
}
