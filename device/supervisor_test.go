package device

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		b    Backoff
		want []time.Duration
	}{
		{Backoff{}, []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}},
		{Backoff{Min: time.Second, Max: 30 * time.Second}, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}},
		{Backoff{Min: 50 * ms, Max: 10 * ms}, []time.Duration{50 * ms, 50 * ms}},
	}
	for _, tt := range tests {
		for i, w := range tt.want {
			if got := tt.b.Delay(i); got != w {
				t.Errorf("%+v.Delay(%d) = %v, want %v", tt.b, i, got, w)
			}
		}
	}
	if d := (Backoff{}).Delay(1000); d != time.Second {
		t.Errorf("Delay(1000) = %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (Backoff{Min: time.Hour}).Wait(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait on a cancelled context: %v", err)
	}
}

func countFDs(t testing.TB) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

// TestSupervisor_NoLeaks unplugs and replugs a scanner many times and
// checks that goroutines and file descriptors return to where they were.
func TestSupervisor_NoLeaks(t *testing.T) {
	const cycles = 25
	goroutines, fds := runtime.NumGoroutine(), countFDs(t)

	sim, err := NewScannerSim(ptyPath(t, "leaky"), ScannerSimConfig{})
	if err != nil {
		t.Fatal(err)
	}
	scans := make(chan Scan, 10)
	stateCh, onState := states()
	sc, err := NewScanner(ScannerConfig{Device: sim.Path(), Backoff: Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond},
		OnScan: func(s Scan) { scans <- s }, OnState: onState, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, sc)
	awaitState(t, stateCh, true, 2*time.Second)
	onlineFDs, onlineG := 0, 0
	for i := range cycles {
		sim.Scan("X")
		recv(t, scans, 2*time.Second, "scan")
		if i == 1 {
			onlineFDs, onlineG = countFDs(t), runtime.NumGoroutine()
		}
		if i > 1 {
			if n := countFDs(t); n != onlineFDs {
				t.Fatalf("cycle %d: %d fds open while online, %d at cycle 1", i, n, onlineFDs)
			}
			if n := runtime.NumGoroutine(); n > onlineG {
				t.Fatalf("cycle %d: %d goroutines while online, %d at cycle 1", i, n, onlineG)
			}
		}
		sim.Unplug()
		awaitState(t, stateCh, false, 2*time.Second)
		sim.Replug()
		awaitState(t, stateCh, true, 2*time.Second)
	}
	stop()
	sim.Close()
	waitFor(t, 2*time.Second, "goroutines and fds back to the start", func() bool {
		return runtime.NumGoroutine() <= goroutines && countFDs(t) == fds
	})
	t.Logf("%d reconnects: goroutines %d→%d, fds %d→%d", cycles, goroutines, runtime.NumGoroutine(), fds, countFDs(t))
}

// TestSupervisor_ServeFailsAtOnce checks a device that opens but fails at
// once is retried with a pause, not in a busy loop, and that Run returns
// promptly when its context ends.
func TestSupervisor_ServeFailsAtOnce(t *testing.T) {
	var opens atomic.Int32
	sup := &Supervisor{
		Device: "flaky",
		Open: func(ctx context.Context) (io.ReadWriteCloser, error) {
			opens.Add(1)
			r, w, err := os.Pipe()
			if err != nil {
				return nil, err
			}
			w.Close()
			return pipeRWC{File: r}, nil
		},
		Serve: func(ctx context.Context, rwc io.ReadWriteCloser) error {
			_, err := rwc.Read(make([]byte, 1))
			return err
		},
		Backoff: Backoff{Min: 20 * time.Millisecond},
		Logger:  quietLogger(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	waitFor(t, 2*time.Second, "a few reopens", func() bool { return opens.Load() >= 3 })
	cancel()
	if err := recv(t, done, time.Second, "Run to return"); err != nil {
		t.Fatal(err)
	}
	if n := opens.Load(); n > 20 {
		t.Errorf("%d opens: busy loop", n)
	}
}

// TestSupervisor_Panic keeps a reader panic from taking the process down.
func TestSupervisor_Panic(t *testing.T) {
	stateCh, onState := states()
	calls := 0
	sup := &Supervisor{
		Device: "buggy",
		Open: func(ctx context.Context) (io.ReadWriteCloser, error) {
			r, w, _ := os.Pipe()
			w.Close()
			return pipeRWC{File: r}, nil
		},
		Serve: func(ctx context.Context, rwc io.ReadWriteCloser) error {
			calls++
			if calls == 1 {
				panic("reader bug")
			}
			<-ctx.Done()
			return nil
		},
		OnState: onState,
		Logger:  quietLogger(),
	}
	stop := run(t, sup)
	awaitState(t, stateCh, true, time.Second)
	st := awaitState(t, stateCh, false, time.Second)
	if st.Err == nil || st.Reason == "" {
		t.Errorf("offline after panic without a reason: %+v", st)
	}
	awaitState(t, stateCh, true, time.Second)
	stop()
	if st := awaitState(t, stateCh, false, time.Second); st.Err != nil {
		t.Errorf("stopped with error %v", st.Err)
	}
}
