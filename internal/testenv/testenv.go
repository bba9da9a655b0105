// Package testenv is the one way tests open a store and start a server.
//
// OpenStore opens a store in a temporary directory (or a given one, for
// tests that restart on the same data) and, when the test ends, closes it
// and runs store.CheckFile on the file: bbolt's page consistency and every
// invariant of the store (stock, allocations, indexes, open tasks, wave
// progress, the event log, scan ids). A test that leaves the store
// inconsistent fails even when its own assertions passed. Server wires a
// server.Server to every service of a store, so the literal lives here
// once. Checked wraps a server's handler so every request a test makes
// and every answer it gets are checked against docs/openapi.yaml
// (internal/contract). Eventually polls a condition with a deadline, for tests that wait
// on something another goroutine or process does. BuildBinary and
// ServeBinary build the pickwave command and run `pickwave serve` as a
// child process, for the tests of the real binary (cmd/pickwave's
// README, drill and crash tests, package e2e).
//
// TestStoresAreChecked and TestServersAreChecked (enforce_test.go) fail
// when a test file opens a store or serves the server's handler any other
// way, so neither check can be forgotten.
package testenv

import (
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/pickwave/pickwave/internal/contract"
	"github.com/pickwave/pickwave/internal/etcdtest"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
	"golang.org/x/crypto/bcrypt"
)

// OpenStore opens a store in dir, or in a new temporary directory when
// dir is empty, with opts (a nil Logger discards logs). When the test
// ends the store is closed, if the test has not closed it, and checked.
// A test may close and reopen the same dir: each open registers its own
// close, and each close is followed by a check. With
// PICKWAVE_TEST_ENGINE=etcd the store leads a site of its own on a real
// etcd cluster, and the check also replays the site's log (see
// etcdtest.OpenLeader).
func OpenStore(tb testing.TB, dir string, opts store.Options) *store.DB {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PasswordCost == 0 {
		opts.PasswordCost = bcrypt.MinCost // a default-cost hash takes a second under -race
	}
	var db *store.DB
	verify := func() error { return nil }
	var err error
	if etcdtest.OnEtcd() {
		db, verify, err = etcdtest.OpenLeader(tb, dir, opts)
	} else {
		db, err = store.Open(dir, opts)
	}
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close store: %v", err)
			return
		}
		if err := store.CheckFile(dir); err != nil {
			tb.Errorf("store %s after the test: %v", dir, err)
		}
		if err := verify(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

// Server returns a server on every service of db; set the station
// services and the web handler on it when a test needs them. logger nil
// discards logs. Its per-address API rate limit is off, because a test
// sends every request from one address at machine speed; a test of the
// limit sets APIRate.
func Server(db *store.DB, logger *slog.Logger) *server.Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &server.Server{Inventory: db, Orders: db, Events: db, Users: db, Waves: db, Planner: db, Picks: db, Inbound: db, Work: db, Webhooks: db, Backups: db, Shipments: db,
		KPIs: db, Changes: db, Logger: logger, APIRate: -1}
}

// Checked returns h, a server's handler, with every exchange checked
// against docs/openapi.yaml: an answer the spec does not document, or a
// request it forbids that the server accepts, fails tb.
func Checked(tb testing.TB, h http.Handler) http.Handler {
	tb.Helper()
	return contract.Handler(tb, h)
}

// Metrics reads the server's /metrics at base as token's holder, and
// fails the test when it cannot.
func Metrics(tb testing.TB, base, token string) string {
	tb.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		tb.Fatalf("GET /metrics: %s %v", res.Status, err)
	}
	return string(data)
}

// Eventually polls cond every few milliseconds until it holds, and fails
// the test with what it waited for when it does not within timeout.
func Eventually(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not waiting for time
	}
}

// Baseline is the process's goroutines and live heap at one moment, so
// that a test can show an attack's load gone once the attack ends.
type Baseline struct {
	Goroutines int
	HeapBytes  uint64
}

// TakeBaseline collects garbage and records the goroutines and the live
// heap now. Take it once the server under test is up and has served a
// request, so that what it starts lazily is in the baseline.
func TakeBaseline() Baseline {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return Baseline{Goroutines: runtime.NumGoroutine(), HeapBytes: m.HeapAlloc}
}

// Settled waits up to ten seconds for the process to come back to the
// baseline: no more goroutines than it had, and a live heap at most
// maxGrowth bytes above it. It fails tb with both figures otherwise. Idle
// keep-alive connections of http.DefaultClient are closed first: they
// are the test's, not the server's.
func (b Baseline) Settled(tb testing.TB, what string, maxGrowth uint64) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		http.DefaultClient.CloseIdleConnections()
		now := TakeBaseline()
		if now.Goroutines <= b.Goroutines && now.HeapBytes <= b.HeapBytes+maxGrowth {
			tb.Logf("after %s: %d goroutines (baseline %d), live heap %.1f MB (baseline %.1f MB)",
				what, now.Goroutines, b.Goroutines, float64(now.HeapBytes)/1e6, float64(b.HeapBytes)/1e6)
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %s: %d goroutines (baseline %d), live heap %.1f MB (baseline %.1f MB, at most %.1f MB more allowed)",
				what, now.Goroutines, b.Goroutines, float64(now.HeapBytes)/1e6, float64(b.HeapBytes)/1e6, float64(maxGrowth)/1e6)
		}
		time.Sleep(50 * time.Millisecond) // polling the runtime's figures
	}
}
