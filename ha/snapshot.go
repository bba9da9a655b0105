package ha

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pickwave/pickwave/store"
)

// snapRecord is the site's latest snapshot, at key snap.
type snapRecord struct {
	// SiteID tells this site's files from those of an earlier site of
	// the same name.
	SiteID string `json:"site_id"`
	// Index is the log index the snapshot holds.
	Index uint64 `json:"index"`
	// Parts is how many parts the gzipped file has, under snap/<index>/.
	Parts int `json:"parts"`
	// Bytes is the gzipped size, SHA256 its hash.
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
	// Schema is the store's schema version in the file.
	Schema int       `json:"schema"`
	Taken  time.Time `json:"taken"`
}

// readSnap reads the latest snapshot record, nil when there is none.
func (s *Site) readSnap(ctx context.Context) (*snapRecord, error) { return s.readSnapAt(ctx, 0) }

// partWriter writes what it is given to etcd in fenced parts.
type partWriter struct {
	ctx    context.Context
	l      *Leader
	prefix string // the parts' keys, before their number
	buf    []byte
	parts  int
	bytes  int64
	hash   hash.Hash
	err    error
}

func (w *partWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.hash.Write(p)
	w.bytes += int64(len(p))
	w.buf = append(w.buf, p...)
	for len(w.buf) >= w.l.site.cfg.MaxValueBytes && w.err == nil {
		w.flush(w.l.site.cfg.MaxValueBytes)
	}
	return len(p), w.err
}

func (w *partWriter) flush(n int) {
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	if err := w.l.put(ctx, w.prefix+fmt.Sprintf("%06d", w.parts), w.buf[:n]); err != nil {
		w.err = fmt.Errorf("write snapshot part %d: %w", w.parts, err)
		return
	}
	w.parts++
	w.buf = append(w.buf[:0], w.buf[n:]...)
}

// Snapshot writes a snapshot of db to etcd as the site's latest, then
// deletes the log entries and the older snapshot it makes unneeded.
func (l *Leader) Snapshot(ctx context.Context, db *store.DB) (*snapRecord, error) {
	return l.snapshot(ctx, db, false)
}

// snapshot writes a snapshot of db; with wipe the whole log goes with
// the record's change, as when a site gets new data (Push).
func (l *Leader) snapshot(ctx context.Context, db *store.DB, wipe bool) (*snapRecord, error) {
	s := l.site
	snap, index, err := db.SnapshotAt(ctx)
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	prev, err := s.readSnap(ctx)
	if err != nil {
		return nil, err
	}
	w := &partWriter{ctx: ctx, l: l, prefix: s.snapPartPrefix(l.siteID, index), hash: sha256.New()}
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if _, err := snap.WriteTo(zw); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	if len(w.buf) > 0 && w.err == nil {
		w.flush(len(w.buf))
	}
	if w.err != nil {
		return nil, w.err
	}
	rec := &snapRecord{SiteID: l.siteID, Index: index, Parts: w.parts, Bytes: w.bytes,
		SHA256: hex.EncodeToString(w.hash.Sum(nil)), Schema: store.SchemaVersion(), Taken: time.Now().UTC()}
	data, _ := json.Marshal(rec)
	// The record and the deletion of what it makes unneeded in one
	// transaction: the entries it holds leave the log (a standby still
	// behind it starts again from the snapshot), and no entry of older
	// data can follow a new site's snapshot.
	logTo, chunkTo := s.logKey(index+1), s.chunkPrefix(index+1)
	if wipe {
		logTo, chunkTo = s.logEnd(), s.prefix+"chunk0"
	}
	ops := []clientv3.Op{
		clientv3.OpPut(s.snapKey(), string(data)),
		clientv3.OpDelete(s.logKey(0), clientv3.WithRange(logTo)),
		clientv3.OpDelete(s.prefix+"chunk/", clientv3.WithRange(chunkTo)),
	}
	if prev != nil && (prev.SiteID != rec.SiteID || prev.Index != index) {
		ops = append(ops, clientv3.OpDelete(s.snapPartPrefix(prev.SiteID, prev.Index), clientv3.WithPrefix()))
	}
	resp, err := s.client.Txn(ctx).If(l.fence()).Then(ops...).Commit()
	if err != nil {
		return nil, fmt.Errorf("record the snapshot: %w", err)
	}
	if !resp.Succeeded {
		return nil, fmt.Errorf("record the snapshot: %w", ErrFenced)
	}
	l.snapIndex.Store(index)
	s.metrics.snapshots.Inc()
	s.metrics.snapBytes.Set(float64(w.bytes))
	s.logger.Info("snapshot written", "index", index, "bytes", w.bytes, "parts", w.parts)
	return rec, nil
}

// ErrNoSite says etcd holds no snapshot for the site yet: no leader ever
// created it.
var ErrNoSite = errors.New("ha: the site has no snapshot in etcd yet")

// Restore writes the site's latest snapshot into dir as its store file,
// keeping a file already there beside it (pickwave.db.before-restore-<time>, as store.Restore does).
// dir must not be open.
func (s *Site) Restore(ctx context.Context, dir string) (*snapRecord, error) {
	rec, err := s.readSnap(ctx)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, ErrNoSite
	}
	if rec.Schema > store.SchemaVersion() {
		return nil, fmt.Errorf("the site's snapshot has schema %d, newer than this pickwave's %d: upgrade it", rec.Schema, store.SchemaVersion())
	}
	tmp, err := os.CreateTemp(dir, "snapshot-*.gz")
	if err != nil {
		return nil, fmt.Errorf("snapshot download: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	bw := bufio.NewWriter(io.MultiWriter(tmp, h))
	for n := 0; n < rec.Parts; n++ {
		resp, err := s.client.Get(ctx, s.snapPartPrefix(rec.SiteID, rec.Index)+fmt.Sprintf("%06d", n))
		if err != nil {
			return nil, fmt.Errorf("read snapshot part %d: %w", n, err)
		}
		if len(resp.Kvs) != 1 {
			return nil, fmt.Errorf("snapshot %d: part %d missing", rec.Index, n)
		}
		bw.Write(resp.Kvs[0].Value)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("snapshot download: %w", err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != rec.SHA256 {
		return nil, fmt.Errorf("snapshot %d: hash %s, the record says %s", rec.Index, sum, rec.SHA256)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(tmp)
	if err != nil {
		return nil, fmt.Errorf("snapshot %d: %w", rec.Index, err)
	}
	file := filepath.Join(dir, "snapshot.db")
	if _, err := store.WriteFile(file, func(w io.Writer) (int64, error) { return io.Copy(w, zr) }); err != nil {
		return nil, err
	}
	defer os.Remove(file)
	if _, _, err := store.Restore(file, dir, time.Now()); err != nil {
		return nil, err
	}
	s.logger.Info("store restored from the site's snapshot", "index", rec.Index, "bytes", rec.Bytes)
	return rec, nil
}
