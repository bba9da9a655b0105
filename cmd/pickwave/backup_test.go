package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
)

// TestBackupSchedule_keepsTheNewestChecked takes five scheduled backups a
// minute apart with --backup-keep 3: the three newest are left, each
// sound, files that are not backups are left alone (but for what a
// backup cut off by a crash left), and the metrics
// count them; a backup that cannot be written is counted as failed.
func TestBackupSchedule_keepsTheNewestChecked(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{NoSync: true})
	if _, err := db.MintToken(context.Background(), "ann", pickwave.RoleAdmin, time.Hour); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, other := range []string{"notes.txt", "pickwave-latest.db"} {
		if err := os.WriteFile(filepath.Join(dir, other), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stale := filepath.Join(dir, ".pickwave-backup-123.tmp")
	if err := os.WriteFile(stale, []byte("cut off"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(stale, time.Now().Add(-2*time.Hour), time.Now().Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 12, 2, 23, 0, 0, 0, time.UTC)
	b := newBackupSchedule(db, Config{BackupDir: dir, BackupEvery: Duration(time.Minute), BackupKeep: 3}, slog.New(slog.DiscardHandler))
	b.Now = func() time.Time { return clock }
	for range 5 {
		if err := b.Once(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Minute)
	}
	names, err := backups(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pickwave-2026-12-02T2304Z.db", "pickwave-2026-12-02T2303Z.db", "pickwave-2026-12-02T2302Z.db"}
	if !slices.Equal(names, want) {
		t.Fatalf("backups kept %v, want %v", names, want)
	}
	for _, n := range names {
		info, err := store.VerifyFile(filepath.Join(dir, n))
		if err != nil || info.SchemaVersion != store.SchemaVersion() {
			t.Fatalf("%s: %+v, %v", n, info, err)
		}
		if fi, _ := os.Stat(filepath.Join(dir, n)); fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v", n, fi.Mode())
		}
	}
	for _, other := range []string{"notes.txt", "pickwave-latest.db"} {
		if _, err := os.Stat(filepath.Join(dir, other)); err != nil {
			t.Fatalf("%s, not a backup, was touched: %v", other, err)
		}
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the temporary file of a backup cut off two hours ago: %v", err)
	}
	if newest, ok := newestBackup(dir); !ok || !newest.Equal(clock.Add(-time.Minute)) {
		t.Fatalf("newest backup %v %v", newest, ok)
	}
	if ok := metricValue(t, b, "pickwave_backups_total", "ok"); ok != 5 {
		t.Fatalf("pickwave_backups_total{result=ok} %v", ok)
	}
	if last := metricValue(t, b, "pickwave_backup_last_success_timestamp_seconds", ""); last != float64(clock.Add(-time.Minute).Unix()) {
		t.Fatalf("last success %v", last)
	}

	b.Dir = filepath.Join(dir, "missing")
	if err := b.Once(context.Background()); err == nil {
		t.Fatal("a backup into a missing directory succeeded")
	}
	if failed := metricValue(t, b, "pickwave_backups_total", "failed"); failed != 1 {
		t.Fatalf("pickwave_backups_total{result=failed} %v", failed)
	}
}

// TestBackupAndRestore_offline: `pickwave backup --data` and `pickwave
// restore` refuse a directory a server holds, saying so; once it is
// stopped they work, and restore refuses a backup that is not sound.
func TestBackupAndRestore_offline(t *testing.T) {
	data := t.TempDir()
	db := testenv.OpenStore(t, data, store.Options{NoSync: true})
	if _, err := db.MintToken(context.Background(), "ann", pickwave.RoleAdmin, time.Hour); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "b.db")
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"backup", "--data", data, "--out", out}, &stdout, io.Discard)
	if err == nil || !strings.Contains(describe(err), "in use by a running pickwave server") || !strings.Contains(describe(err), "--server") {
		t.Fatalf("offline backup of a served dir: %v", err)
	}
	err = run(context.Background(), []string{"restore", "--from", out, "--data", data}, &stdout, io.Discard)
	if err == nil || !strings.Contains(describe(err), "not sound") {
		t.Fatalf("restore of a missing file: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"backup", "--data", data, "--out", out}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "schema version") || !strings.Contains(stdout.String(), "events; checked: ok") {
		t.Fatalf("backup said %q", stdout.String())
	}
	if err := run(context.Background(), []string{"backup", "--data", data, "--out", out}, &stdout, io.Discard); err == nil || !strings.Contains(err.Error(), "never overwrites") {
		t.Fatalf("a backup over an existing file: %v", err)
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"check", "--file", out}, &stdout, io.Discard); err != nil || !strings.HasPrefix(stdout.String(), "ok") {
		t.Fatalf("check --file: %v, %q", err, stdout.String())
	}

	db = testenv.OpenStore(t, data, store.Options{NoSync: true})
	err = run(context.Background(), []string{"restore", "--from", out, "--data", data}, &stdout, io.Discard)
	if err == nil || !strings.Contains(describe(err), "in use") {
		t.Fatalf("restore into a served dir: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(bad, bytes.Repeat([]byte("pickwave"), 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"restore", "--from", bad, "--data", data}, &stdout, io.Discard); err == nil || !strings.Contains(describe(err), "not sound") {
		t.Fatalf("restore of a damaged file: %v", err)
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"restore", "--from", out, "--data", data}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "kept as "+filepath.Join(data, "pickwave.db.before-restore-")) {
		t.Fatalf("restore said %q", stdout.String())
	}
	if err := run(context.Background(), []string{"check", "--data", data}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
}

func TestServe_backupFlags(t *testing.T) {
	cfg, err := parseServeFlags([]string{"--backup-dir", "/b", "--backup-every", "1h", "--backup-keep", "5"}, io.Discard)
	if err != nil || cfg.BackupDir != "/b" || time.Duration(cfg.BackupEvery) != time.Hour || cfg.BackupKeep != 5 {
		t.Fatalf("%+v, %v", cfg, err)
	}
	def, _ := parseServeFlags(nil, io.Discard)
	if def.BackupDir != "" || time.Duration(def.BackupEvery) != 6*time.Hour || def.BackupKeep != 28 {
		t.Fatalf("defaults %+v", def)
	}
	cfgPath := filepath.Join(t.TempDir(), "pickwave.json")
	if err := os.WriteFile(cfgPath, []byte(`{"backup_dir": "/var/backups/pickwave", "backup_every": "24h", "backup_keep": 14}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err := parseServeFlags([]string{"--config", cfgPath}, io.Discard); err != nil || cfg.BackupDir != "/var/backups/pickwave" || time.Duration(cfg.BackupEvery) != 24*time.Hour || cfg.BackupKeep != 14 {
		t.Fatalf("config file: %+v, %v", cfg, err)
	}
	for _, bad := range [][]string{{"--backup-dir", "/b", "--backup-every", "10s"}, {"--backup-dir", "/b", "--backup-keep", "0"}} {
		if _, err := parseServeFlags(bad, io.Discard); err == nil || !strings.Contains(err.Error(), "backup") {
			t.Fatalf("%v: %v", bad, err)
		}
	}
}

// metricValue reads one of the schedule's metrics as /metrics serves it;
// result is the result label, "" for none.
func metricValue(t *testing.T, b *backupSchedule, name, result string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(b.collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			label := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" {
					label = l.GetValue()
				}
			}
			if label != result {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s{result=%q}", name, result)
	return 0
}
