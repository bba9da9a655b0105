package device

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// quietLogger keeps test output readable; set PICKWAVE_DEVICE_LOG=1 to see
// the device logs.
func quietLogger() *slog.Logger {
	if os.Getenv("PICKWAVE_DEVICE_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// recv takes one value from ch or fails after timeout.
func recv[T any](t testing.TB, ch <-chan T, timeout time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(timeout):
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
	panic("unreachable")
}

// recvUntil takes values from ch until match accepts one.
func recvUntil[T any](t testing.TB, ch <-chan T, timeout time.Duration, what string, match func(T) bool) T {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case v := <-ch:
			if match(v) {
				return v
			}
		case <-deadline:
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

// noValue checks nothing arrives on ch for a short while.
func noValue[T any](t testing.TB, ch <-chan T, d time.Duration) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %+v", v)
	case <-time.After(d):
	}
}

// ptyPath returns a path for a simulated device's symlink.
func ptyPath(t testing.TB, name string) string { return filepath.Join(t.TempDir(), name) }

// run starts r.Run in a goroutine; cleanup stops it and checks it returned.
func run(t testing.TB, r interface{ Run(context.Context) error }) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := r.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	stop := func() {
		cancel()
		wg.Wait()
	}
	t.Cleanup(stop)
	return stop
}

// states collects online/offline changes on a channel.
func states() (chan State, func(State)) {
	ch := make(chan State, 64)
	return ch, func(s State) { ch <- s }
}

// awaitOnline waits for an online (or offline) state.
func awaitState(t testing.TB, ch <-chan State, online bool, timeout time.Duration) State {
	t.Helper()
	return recvUntil(t, ch, timeout, map[bool]string{true: "online", false: "offline"}[online],
		func(s State) bool { return s.Online == online })
}
