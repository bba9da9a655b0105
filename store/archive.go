package store

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/syncfile"
)

// The event archive. Every scan, pick and pack appends to the event log,
// so a busy floor adds millions of events a month. ArchiveEvents moves
// whole UTC days older than the retention out of the store into dated,
// gzipped JSON Lines files in the archive directory, one event per line
// exactly as the API serves it, at most archiveChunk events per file:
//
//	archive/events-2026-11-30-000000184001.jsonl.gz
//
// named by the day of its events and its first sequence number. The log
// stays whole: Events reads the files for sequences up to the archive's
// end, kept in meta as archived_through, and the store after it, so a
// reader paging from 0 sees every event once, in order, whatever was
// archived. Each chunk is written and synced under a temporary name,
// renamed, and only then recorded in meta and deleted from the store, a
// thousand events per transaction; a crash in between rewrites the same
// file or finishes the deletions at the next run, never losing an event.
//
// Archiving never passes the webhook outbox's cursor (an event must be
// turned into deliveries first) nor the KPI fold's (it must be counted
// first), and always leaves the newest event in the store, so that the
// log's end is known without the files.

// ArchiveDirName is the event archive's directory in the data directory.
const ArchiveDirName = "archive"

// archiveChunk bounds the events of one archive file, and so the work of
// reading one page from the archive.
const archiveChunk = 10000

// archiveDelete bounds the events deleted in one transaction.
const archiveDelete = 1000

var keyArchivedThrough = []byte("events_archived_through")

// archiveName matches an archive file's name: its day and first sequence.
var archiveName = regexp.MustCompile(`^events-(\d{4}-\d{2}-\d{2})-(\d{12,20})\.jsonl\.gz$`)

// ArchiveResult tells what one ArchiveEvents call did.
type ArchiveResult struct {
	Files   []string // the files written, base names
	Events  int      // events moved from the store into them
	Through uint64   // the archive's end: every event up to it is in files
}

// ArchiveEvents moves the events of whole UTC days before the day of
// before out of the store into the archive directory, and returns what
// it did. It is meant for one goroutine at a time (the server's hourly
// retention loop); readers go on meanwhile.
func (db *DB) ArchiveEvents(ctx context.Context, before time.Time) (ArchiveResult, error) {
	var res ArchiveResult
	cutoff := before.UTC().Truncate(24 * time.Hour)
	if err := os.MkdirAll(db.archiveDir, 0o700); err != nil {
		return res, fmt.Errorf("create archive directory: %w", err)
	}
	through, err := db.archivedThrough(ctx)
	if err != nil {
		return res, err
	}
	res.Through = through
	// A crash may have left archived events in the store: finish first.
	if err := db.deleteArchived(ctx, through); err != nil {
		return res, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		chunk, err := db.nextArchiveChunk(ctx, through, cutoff)
		if err != nil || len(chunk.lines) == 0 {
			return res, err
		}
		name, err := db.writeArchiveFile(chunk)
		if err != nil {
			return res, err
		}
		last := chunk.first + uint64(len(chunk.lines)) - 1
		if err := db.update(ctx, func(t *txn) error {
			return t.Put(spaceMeta, keyArchivedThrough, u64key(last))
		}); err != nil {
			return res, fmt.Errorf("record archive end %d: %w", last, err)
		}
		through = last
		res.Files = append(res.Files, name)
		res.Events += len(chunk.lines)
		res.Through = through
		if err := db.deleteArchived(ctx, through); err != nil {
			return res, err
		}
	}
}

// archiveChunkData is the next run of events to archive: consecutive
// sequences from first, all of one UTC day.
type archiveChunkData struct {
	day   time.Time
	first uint64
	lines [][]byte
}

func (db *DB) nextArchiveChunk(ctx context.Context, through uint64, cutoff time.Time) (archiveChunkData, error) {
	var c archiveChunkData
	err := db.view(ctx, func(t *txn) error {
		c = archiveChunkData{}
		last, err := t.lastEventSeq()
		if err != nil {
			return err
		}
		// Keep the newest, and never pass the KPI fold, which reads the
		// store's log behind its cursor.
		limit := min(last-min(last, 1), t.kpiCursor())
		hooks, err := t.enabledWebhooks()
		if err != nil {
			return err
		}
		if len(hooks) > 0 {
			// Never pass the outbox. With no webhook enabled nothing
			// wants the events: one enabled later gets those after it.
			limit = min(limit, t.webhookCursor())
		}
		want := through + 1
		return t.Scan(spaceEvents, nil, u64key(through), func(k, v []byte) error {
			seq := binary.BigEndian.Uint64(k)
			if seq > limit || seq != want || len(c.lines) == archiveChunk {
				return errStop
			}
			var ev struct {
				Time time.Time `json:"time"`
			}
			if err := decode(spaceEvents, k, v, &ev); err != nil {
				return err
			}
			day := ev.Time.UTC().Truncate(24 * time.Hour)
			if !ev.Time.Before(cutoff) || (len(c.lines) > 0 && !day.Equal(c.day)) {
				return errStop
			}
			if len(c.lines) == 0 {
				c.day, c.first = day, seq
			}
			c.lines = append(c.lines, bytes.Clone(v))
			want++
			return nil
		})
	})
	if err != nil {
		return c, fmt.Errorf("read events to archive: %w", err)
	}
	return c, nil
}

// writeArchiveFile writes a chunk under a temporary name, syncs it,
// renames it into place and syncs the directory.
func (db *DB) writeArchiveFile(c archiveChunkData) (string, error) {
	name := fmt.Sprintf("events-%s-%012d.jsonl.gz", c.day.Format(time.DateOnly), c.first)
	path := filepath.Join(db.archiveDir, name)
	f, err := os.CreateTemp(db.archiveDir, name+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("archive %s: %w", name, err)
	}
	defer os.Remove(f.Name()) // after a successful rename, a no-op
	zw := gzip.NewWriter(f)
	for _, line := range c.lines {
		zw.Write(line)
		zw.Write([]byte{'\n'})
	}
	err = zw.Close()
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err == nil {
		err = syncfile.Dir(db.archiveDir)
	}
	if err != nil {
		return "", fmt.Errorf("archive %s: %w", name, err)
	}
	return name, nil
}

// deleteArchived deletes the events up to through still in the store, a
// few per transaction so that scans wait little.
func (db *DB) deleteArchived(ctx context.Context, through uint64) error {
	for {
		var more bool
		err := db.update(ctx, func(t *txn) error {
			var keys [][]byte
			more = false
			if err := t.Scan(spaceEvents, nil, nil, func(k, _ []byte) error {
				if binary.BigEndian.Uint64(k) > through {
					return errStop
				}
				if len(keys) == archiveDelete {
					more = true
					return errStop
				}
				keys = append(keys, bytes.Clone(k))
				return nil
			}); err != nil {
				return err
			}
			for _, k := range keys {
				if err := t.Delete(spaceEvents, k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("delete archived events: %w", err)
		}
		if !more {
			return nil
		}
	}
}

func (db *DB) archivedThrough(ctx context.Context) (uint64, error) {
	var n uint64
	err := db.view(ctx, func(t *txn) error {
		n = t.archivedThrough()
		return nil
	})
	return n, err
}

func (t *txn) archivedThrough() uint64 {
	if v := t.Get(spaceMeta, keyArchivedThrough); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// archiveFile is one file of the archive.
type archiveFile struct {
	name  string
	first uint64
}

// archiveFiles lists the archive's files, by first sequence.
func archiveFiles(dir string) ([]archiveFile, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list event archive: %w", err)
	}
	var files []archiveFile
	for _, e := range entries {
		m := archiveName.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		first, err := strconv.ParseUint(m[2], 10, 64)
		if err != nil || first == 0 {
			continue
		}
		files = append(files, archiveFile{name: e.Name(), first: first})
	}
	slices.SortFunc(files, func(a, b archiveFile) int { return cmpU64(a.first, b.first) })
	return files, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// archivedEvents reads up to limit events after after and up to through
// from the archive files. Files an operator removed are skipped: the page
// goes on with the next event there is.
func archivedEvents(dir string, after, through uint64, limit int) ([]*pickwave.Event, error) {
	files, err := archiveFiles(dir)
	if err != nil {
		return nil, err
	}
	// The file holding after+1 is the last one starting at or before it.
	i, found := slices.BinarySearchFunc(files, after+1, func(f archiveFile, seq uint64) int { return cmpU64(f.first, seq) })
	if !found && i > 0 {
		i--
	}
	var out []*pickwave.Event
	for ; i < len(files) && len(out) < limit; i++ {
		if files[i].first > through {
			break
		}
		err := readArchiveFile(filepath.Join(dir, files[i].name), func(ev *pickwave.Event) bool {
			if ev.Seq > through {
				return false
			}
			if ev.Seq > after {
				out = append(out, ev)
			}
			return len(out) < limit
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readArchiveFile calls fn with each event of the file until it returns
// false.
func readArchiveFile(path string, fn func(*pickwave.Event) bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read event archive: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("read event archive %s: %w", filepath.Base(path), err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		ev := new(pickwave.Event)
		if err := decode("archive", []byte(filepath.Base(path)), sc.Bytes(), ev); err != nil {
			return err
		}
		if !fn(ev) {
			return nil
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read event archive %s: %w", filepath.Base(path), err)
	}
	return nil
}

// checkArchive checks the event archive in dir against the store's
// archive end: every file readable, its events consecutive and of its
// day, each file going on where the one before ended, and the files
// reaching through. Files before the first may have been removed by an
// operator (a retention policy for old records); a gap after it may not.
func checkArchive(dir string, through uint64) error {
	files, err := archiveFiles(dir)
	if err != nil {
		return err
	}
	if through == 0 {
		return nil
	}
	if len(files) == 0 {
		return fmt.Errorf("event archive %s: no files, but the store says events up to %d were archived", dir, through)
	}
	next := files[0].first
	for _, f := range files {
		if f.first > through {
			break // written just before a crash, recorded at the next run
		}
		if f.first != next {
			return fmt.Errorf("event archive: %s starts at event %d, the file before ends at %d", f.name, f.first, next-1)
		}
		day := archiveName.FindStringSubmatch(f.name)[1]
		err := readArchiveFile(filepath.Join(dir, f.name), func(ev *pickwave.Event) bool {
			if ev.Seq != next || ev.Time.UTC().Format(time.DateOnly) != day {
				err = fmt.Errorf("event archive: %s holds event %d of %s where event %d of %s belongs",
					f.name, ev.Seq, ev.Time.UTC().Format(time.DateOnly), next, day)
				return false
			}
			next++
			return true
		})
		if err != nil {
			return err
		}
	}
	if next <= through {
		return fmt.Errorf("event archive: the files end at event %d, the store says %d", next-1, through)
	}
	return nil
}
