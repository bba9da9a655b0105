package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
)

// backupRetry is how soon a failed scheduled backup is tried again, when
// that is sooner than its interval.
const backupRetry = 5 * time.Minute

// backupSchedule takes a hot backup of the store into Dir every Every,
// keeps each only once it passes the store's check, and then deletes all
// but the Keep newest. Failures are logged and counted; the server goes
// on serving.
type backupSchedule struct {
	DB     *store.DB
	Dir    string
	Every  time.Duration
	Keep   int
	Logger *slog.Logger
	Now    func() time.Time

	total       *prometheus.CounterVec
	lastSuccess prometheus.Gauge
}

func newBackupSchedule(db *store.DB, cfg Config, logger *slog.Logger) *backupSchedule {
	b := &backupSchedule{
		DB: db, Dir: cfg.BackupDir, Every: time.Duration(cfg.BackupEvery), Keep: cfg.BackupKeep,
		Logger: logger.With("component", "backup"), Now: time.Now,
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pickwave_backups_total",
			Help: "Scheduled backups by result: ok (written, checked and kept) or failed.",
		}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pickwave_backup_last_success_timestamp_seconds",
			Help: "Unix time of the newest scheduled backup that was written, checked and kept; 0 before the first.",
		}),
	}
	for _, r := range []string{"ok", "failed"} {
		b.total.WithLabelValues(r) // shown at zero before the first backup
	}
	return b
}

// collectors are the schedule's metrics, served on /metrics.
func (b *backupSchedule) collectors() []prometheus.Collector {
	return []prometheus.Collector{b.total, b.lastSuccess}
}

// Run takes backups until ctx ends: the first at once when Dir has no
// backup younger than Every, then every Every.
func (b *backupSchedule) Run(ctx context.Context) {
	defer func() {
		if r := recover(); r != nil {
			b.Logger.Error("scheduled backups stopped", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	next := b.Now()
	if newest, ok := newestBackup(b.Dir); ok {
		next = newest.Add(b.Every)
		b.lastSuccess.Set(float64(newest.Unix()))
	}
	b.Logger.Info("scheduled backups", "dir", b.Dir, "every", b.Every, "keep", b.Keep, "next", next.Round(time.Second))
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		wait := b.Every
		if err := b.Once(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			wait = min(b.Every, backupRetry)
		}
		timer.Reset(wait)
	}
}

// Once takes one backup, checks and keeps it, and prunes old ones.
func (b *backupSchedule) Once(ctx context.Context) error {
	start := b.Now()
	path := filepath.Join(b.Dir, server.BackupName(start))
	info, err := store.WriteFile(path, func(w io.Writer) (int64, error) { return b.DB.Backup(ctx, w) })
	if err != nil {
		b.total.WithLabelValues("failed").Inc()
		if ctx.Err() == nil {
			b.Logger.Error("scheduled backup failed", "file", path, "err", err)
		}
		return err
	}
	b.total.WithLabelValues("ok").Inc()
	b.lastSuccess.Set(float64(start.Unix()))
	b.Logger.Info("backup written and checked", "file", path, "bytes", info.Size, "schema_version", info.SchemaVersion,
		"events", info.Events, "took", time.Since(start).Round(time.Millisecond))
	removed, err := pruneBackups(b.Dir, b.Keep)
	for _, f := range removed {
		b.Logger.Info("old backup deleted", "file", f)
	}
	if err != nil {
		b.Logger.Error("prune old backups", "err", err)
	}
	return nil
}

// backupTime parses the time out of a backup's file name; false for any
// file that is not one of ours.
func backupTime(name string) (time.Time, bool) {
	stamp, ok := strings.CutPrefix(name, "pickwave-")
	if !ok {
		return time.Time{}, false
	}
	if stamp, ok = strings.CutSuffix(stamp, ".db"); !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02T1504Z", stamp)
	return t, err == nil
}

// backups lists dir's backup files, newest first.
func backups(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, ok := backupTime(e.Name()); ok && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	// The names' times sort as text.
	slices.Sort(names)
	slices.Reverse(names)
	return names, nil
}

func newestBackup(dir string) (time.Time, bool) {
	names, err := backups(dir)
	if err != nil || len(names) == 0 {
		return time.Time{}, false
	}
	return backupTime(names[0])
}

// pruneBackups deletes all but the keep newest backups in dir, and the
// temporary files of backups a crash cut off, and returns the paths it
// deleted. Every file with a backup's name passed the check
// before it was given that name, so the newest are the ones to keep.
func pruneBackups(dir string, keep int) ([]string, error) {
	names, err := backups(dir)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	var removed []string
	for _, name := range names[min(keep, len(names)):] {
		path := filepath.Join(dir, name)
		if err := os.Remove(path); err != nil {
			return removed, fmt.Errorf("delete old backup: %w", err)
		}
		removed = append(removed, path)
	}
	// A backup cut off by a crash leaves its temporary file (see
	// store.WriteFile); one an hour old is no backup in progress.
	temps, _ := filepath.Glob(filepath.Join(dir, ".pickwave-backup-*.tmp"))
	for _, path := range temps {
		if fi, err := os.Stat(path); err == nil && time.Since(fi.ModTime()) > time.Hour {
			if err := os.Remove(path); err != nil {
				return removed, fmt.Errorf("delete an unfinished backup: %w", err)
			}
			removed = append(removed, path)
		}
	}
	return removed, nil
}
