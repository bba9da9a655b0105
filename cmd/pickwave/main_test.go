package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
)

// TestServe_wholeProgram runs `pickwave serve` as main does, talks to it
// over HTTP, stops it with its context (as SIGTERM does) and checks that
// the store closed cleanly and a token can then be minted offline.
func TestServe_wholeProgram(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json"}, io.Discard, logs)
	}()
	addr := waitForLog(t, logs, "pickwave serving", "addr")
	res, err := http.Get(addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("healthz %d", res.StatusCode)
	}

	// While the server holds the data, token fails fast with a clear error.
	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"token", "--data", dir, "--role", "admin"}, &out, &errOut)
	if err == nil || !strings.Contains(describe(err), "in use by another pickwave process") {
		t.Fatalf("token while serving: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(logs.String(), "stopped cleanly") {
		t.Fatalf("logs lack a clean stop:\n%s", logs.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"token", "--data", dir, "--role", "supervisor"}, &out, &errOut); err != nil {
		t.Fatalf("token after stop: %v", err)
	}
	if tok := strings.TrimSpace(out.String()); len(tok) < 40 {
		t.Fatalf("token %q", tok)
	}
	fi, err := os.Stat(filepath.Join(dir, "pickwave.db"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("db file %v, %v", fi, err)
	}
}

func TestServe_flagsAndConfig(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "pickwave.json")
	if err := os.WriteFile(cfgPath, []byte(`{"addr": "127.0.0.1:9999", "data": "/var/lib/pickwave", "log_level": "debug", "shutdown_timeout": "3s", "gc_percent": 200}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseServeFlags([]string{"--config", cfgPath, "--data", "/tmp/x"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9999" || cfg.Data != "/tmp/x" || cfg.LogLevel != "debug" || time.Duration(cfg.ShutdownTimeout) != 3*time.Second || cfg.GCPercent != 200 {
		t.Fatalf("config %+v", cfg)
	}
	if _, err := parseServeFlags([]string{"--config", cfgPath, "--gc-percent", "0"}, io.Discard); err == nil || !strings.Contains(err.Error(), "gc percent") {
		t.Fatalf("gc percent 0: %v", err)
	}
	if _, err := parseServeFlags([]string{"--scan-retention", "24h"}, io.Discard); err == nil || !strings.Contains(err.Error(), "scan retention") {
		t.Fatalf("scan retention of a day: %v", err)
	}
	if cfg, err := parseServeFlags([]string{"--scan-retention", "720h"}, io.Discard); err != nil || time.Duration(cfg.ScanRetention) != 720*time.Hour {
		t.Fatalf("scan retention of 30 days: %+v, %v", cfg, err)
	}
	if _, err := parseServeFlags([]string{"--event-retention", "1h"}, io.Discard); err == nil || !strings.Contains(err.Error(), "event retention") {
		t.Fatalf("event retention of an hour: %v", err)
	}
	if cfg, err := parseServeFlags([]string{"--event-retention", "0"}, io.Discard); err != nil || cfg.EventRetention != 0 || time.Duration(cfg.ScanRetention) != 30*24*time.Hour {
		t.Fatalf("event retention 0 (for good), scan retention by default: %+v, %v", cfg, err)
	}
	if err := os.WriteFile(cfgPath, []byte(`{"adress": "x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := parseServeFlags([]string{"--config", cfgPath}, io.Discard); err == nil || !strings.Contains(err.Error(), "adress") {
		t.Fatalf("unknown config key: %v", err)
	}
	if cfg, err := parseServeFlags([]string{"--badge-roles", "picker, supervisor"}, io.Discard); err != nil ||
		!slices.Equal(cfg.BadgeRoles, []pickwave.Role{pickwave.RolePicker, pickwave.RoleSupervisor}) {
		t.Fatalf("badge roles picker and supervisor: %+v, %v", cfg.BadgeRoles, err)
	}
	for _, bad := range []string{"", "boss"} {
		if _, err := parseServeFlags([]string{"--badge-roles", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "badge role") {
			t.Fatalf("badge roles %q: %v", bad, err)
		}
	}
	def, _ := parseServeFlags(nil, io.Discard)
	if !slices.Equal(def.BadgeRoles, []pickwave.Role{pickwave.RolePicker}) {
		t.Fatalf("default badge roles %v", def.BadgeRoles)
	}
	if def.Addr != "127.0.0.1:8080" || def.Data != "./data" || def.Demo || def.GCPercent != 400 {
		t.Fatalf("defaults %+v", def)
	}
	if _, err := newLogger(Config{LogLevel: "loud", LogFormat: "text"}, io.Discard); err == nil {
		t.Fatal("bad log level accepted")
	}
	if err := run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard); err == nil {
		t.Fatal("unknown command accepted")
	}
	if err := run(context.Background(), []string{"token", "--data", t.TempDir()}, io.Discard, io.Discard); err == nil {
		t.Fatal("token without role accepted")
	}
}

// waitForLog polls the JSON logs for a message and returns the attribute.
func waitForLog(t *testing.T, logs *testenv.Buffer, msg, attr string) string {
	t.Helper()
	var value string
	testenv.Eventually(t, 60*time.Second, fmt.Sprintf("a %q log", msg), func() bool {
		for _, line := range strings.Split(logs.String(), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
				value, _ = rec[attr].(string)
				return true
			}
		}
		return false
	})
	return value
}

// TestConfig_Peers: --peers takes a comma list of base URLs; anything
// that is not one is refused.
func TestConfig_Peers(t *testing.T) {
	cfg, err := parseServeFlags([]string{"--peers", "http://10.0.0.2:8080, https://b.example"}, io.Discard)
	if err != nil || len(cfg.Peers) != 2 || cfg.Peers[0] != "http://10.0.0.2:8080" || cfg.Peers[1] != "https://b.example" {
		t.Fatalf("peers %q %v", cfg.Peers, err)
	}
	for _, bad := range []string{"10.0.0.2:8080", "ftp://b", "http://b/path", "http://b?x=1", "http://u:p@b", "http://"} {
		if _, err := parseServeFlags([]string{"--peers", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "peer") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
