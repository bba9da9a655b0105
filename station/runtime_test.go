package station_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/device"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/station"
	"github.com/pickwave/pickwave/store"
)

// TestRuntime_TestLabelPrintedOnce queues a test label twice with one
// idempotency key: one job, one label at the printer. A reprint is a new
// job and a second label. (The server's tests check the same keys over
// HTTP.)
func TestRuntime_TestLabelPrintedOnce(t *testing.T) {
	e := newEnv(t, t.TempDir())
	sims := newStationSims(t)
	e.create(sims.station("PACK-1"))

	j, created := e.testLabel("PACK-1", "req-42")
	again, createdAgain := e.testLabel("PACK-1", "req-42")
	if !created || createdAgain || again.ID != j.ID || j.Kind != "test" || !strings.Contains(j.ZPL, "Pack PACK-1") {
		t.Fatalf("jobs %s (created %v) and %s (created %v), zpl %q", j.ID, created, again.ID, createdAgain, j.ZPL)
	}
	eventually(t, "the test label printed", func() bool { return e.job(j.ID).Status == pickwave.PrintPrinted })
	if n := len(sims.printer.Labels()); n != 1 {
		t.Fatalf("%d labels at the printer", n)
	}
	if got := string(sims.printer.Labels()[0]); got != strings.TrimSpace(j.ZPL) {
		t.Fatalf("printer got %q, want the job's ZPL", got)
	}

	// The worker takes jobs one by one, so once the reprint is out the
	// printer holds exactly two labels.
	rp, created, err := e.db.Reprint(context.Background(), j.ID, "")
	if err != nil || !created || rp.ReprintOf != j.ID {
		t.Fatalf("reprint %+v, created %v: %v", rp, created, err)
	}
	e.rt.Kick("PACK-1")
	eventually(t, "the reprint printed", func() bool { return e.job(rp.ID).Status == pickwave.PrintPrinted })
	if n := len(sims.printer.Labels()); n != 2 {
		t.Fatalf("%d labels at the printer, want 2", n)
	}
}

// TestRuntime_PrinterOfflineThenBack queues a label while the printer is
// off: the job waits, with its attempts counted, and prints exactly once
// when the printer comes back.
func TestRuntime_PrinterOfflineThenBack(t *testing.T) {
	e := newEnv(t, t.TempDir())
	sims := newStationSims(t)
	if err := sims.printer.SetOnline(false); err != nil {
		t.Fatal(err)
	}
	e.create(sims.station("PACK-1"))
	j, _ := e.testLabel("PACK-1", "")

	eventually(t, "a few failed attempts", func() bool { return e.job(j.ID).Attempts >= 3 })
	got := e.job(j.ID)
	if got.Status != pickwave.PrintQueued || !strings.Contains(got.LastError, "refused") {
		t.Fatalf("job while offline: %+v", got)
	}
	st := e.state("PACK-1").Printer
	if st.Online || st.State != "offline" || st.Queued != 1 {
		t.Fatalf("printer state while offline: %+v", st)
	}

	if err := sims.printer.SetOnline(true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the label printed", func() bool { return e.job(j.ID).Status == pickwave.PrintPrinted })
	second, _ := e.testLabel("PACK-1", "")
	eventually(t, "a second label printed", func() bool { return e.job(second.ID).Status == pickwave.PrintPrinted })
	if n := len(sims.printer.Labels()); n != 2 {
		t.Fatalf("%d labels at the printer, want 2: the first printed once", n)
	}
	eventually(t, "the printer shown ready, nothing queued", func() bool {
		p := e.state("PACK-1").Printer
		return p.Online && p.Ready && p.Queued == 0
	})
}

// TestRuntime_PaperOut shows paper out in the state; a label queued
// meanwhile waits and prints once the paper is back.
func TestRuntime_PaperOut(t *testing.T) {
	e := newEnv(t, t.TempDir())
	sims := newStationSims(t)
	e.create(sims.station("PACK-1"))
	eventually(t, "the printer ready", func() bool {
		p := e.state("PACK-1").Printer
		return p != nil && p.Ready
	})
	sims.printer.SetPaperOut(true)
	eventually(t, "paper out in the state", func() bool {
		p := e.state("PACK-1").Printer
		return p.Online && !p.Ready && p.State == "paper out" && fmt.Sprint(p.Problems) == "[paper out]"
	})
	j, _ := e.testLabel("PACK-1", "")
	eventually(t, "an attempt", func() bool { return e.job(j.ID).Attempts >= 1 })
	if got := e.job(j.ID); got.Status != pickwave.PrintQueued || !strings.Contains(got.LastError, "paper out") {
		t.Fatalf("job with paper out: %+v", got)
	}
	if n := len(sims.printer.Labels()) + sims.printer.Held(); n != 0 {
		t.Fatalf("%d labels reached a printer without paper", n)
	}
	sims.printer.SetPaperOut(false)
	eventually(t, "printed after the paper is back", func() bool { return e.job(j.ID).Status == pickwave.PrintPrinted })
	if n := len(sims.printer.Labels()); n != 1 {
		t.Fatalf("%d labels", n)
	}
}

// TestRuntime_CrashBeforeAckLosesNoJob stops the whole runtime and store
// while a job waits for an offline printer (it is written, not
// acknowledged by the printer), opens the data again, and brings the
// printer back: the job prints exactly once. A job the stopped process
// left sending, whose label may or may not have come out, is held as
// failed instead of sent again.
func TestRuntime_CrashBeforeAckLosesNoJob(t *testing.T) {
	dir := t.TempDir()
	sims := newStationSims(t)
	sims.printer.SetOnline(false)
	e := newEnv(t, dir)
	e.create(sims.station("PACK-1"))
	j, _ := e.testLabel("PACK-1", "k1")
	eventually(t, "an attempt on the offline printer", func() bool { return e.job(j.ID).Attempts >= 1 })
	// A second job as a crash mid-send leaves it.
	mid, _, err := e.db.EnqueuePrint(context.Background(), &pickwave.PrintJob{StationID: "PACK-1", Kind: "test", ZPL: "^XA^FDmid-send^FS^XZ"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.MarkPrintSending(context.Background(), mid.ID); err != nil {
		t.Fatal(err)
	}
	e.stop()

	e = newEnv(t, dir)
	if got := e.job(j.ID); got.Status != pickwave.PrintQueued {
		t.Fatalf("after restart the job is %s", got.Status)
	}
	eventually(t, "the interrupted job held", func() bool { return e.job(mid.ID).Status == pickwave.PrintFailed })
	if got := e.job(mid.ID); got.LastError != store.InterruptedReason {
		t.Fatalf("interrupted job: %+v", got)
	}
	// The client retries its request after the restart: still one job.
	if again, created := e.testLabel("PACK-1", "k1"); created || again.ID != j.ID {
		t.Fatalf("retry after restart made job %s", again.ID)
	}
	sims.printer.SetOnline(true)
	eventually(t, "printed after the restart", func() bool { return e.job(j.ID).Status == pickwave.PrintPrinted })
	flush, _ := e.testLabel("PACK-1", "")
	eventually(t, "a later label printed", func() bool { return e.job(flush.ID).Status == pickwave.PrintPrinted })
	labels := sims.printer.Labels()
	if len(labels) != 2 || !strings.Contains(string(labels[0]), "Pack PACK-1") {
		t.Fatalf("printer got %d labels, want the queued one once and the later one", len(labels))
	}
}

// TestRuntime_NewScalePortTakesEffect moves a station's scale to another
// port while running: the old scale is let go, the new one read, and the
// scanner, whose configuration did not change, keeps running.
func TestRuntime_NewScalePortTakesEffect(t *testing.T) {
	e := newEnv(t, t.TempDir())
	sims := newStationSims(t)
	st := sims.station("PACK-1")
	e.create(st)
	ws := dialStation(t, e.srv, "PACK-1")
	sims.scale.SetWeight(250)
	ws.Await("250 g from the first scale", func(m testenv.StationMessage) bool {
		return m.State != nil && m.State.Scale != nil && m.State.Scale.WeightG == 250 && m.State.Scale.Stable
	})
	scannerSince := e.state("PACK-1").Scanner.Since

	other, err := device.NewScaleSim(filepath.Join(t.TempDir(), "scale-2"), device.ScaleSimConfig{Protocol: device.ProtocolMTSICS})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetWeight(777)
	st.Scale.Port = other.Path()
	e.update(st)
	ws.Await("777 g from the new scale", func(m testenv.StationMessage) bool {
		return m.State != nil && m.State.Scale != nil && m.State.Scale.Device == other.Path() && m.State.Scale.WeightG == 777
	})
	sims.scale.SetWeight(999) // the old scale is no longer read
	other.SetWeight(778)
	ws.Await("778 g", func(m testenv.StationMessage) bool {
		return m.State != nil && m.State.Scale.WeightG == 778
	})
	got := e.state("PACK-1")
	if !got.Scanner.Online || !got.Scanner.Since.Equal(scannerSince) || got.Scale.WeightG != 778 {
		t.Fatalf("after the change: scanner %+v, scale %+v", got.Scanner, got.Scale)
	}
}

// panicky is a printer whose code panics: in Print, on a job whose ZPL
// holds "PANIC"; in Status, while statusPanics is set. Everything else
// goes to the real printer it wraps.
type panicky struct {
	device.Printer
	mu           sync.Mutex
	statusPanics bool
	statusCalls  int
}

func (p *panicky) Print(ctx context.Context, zpl []byte) error {
	if bytes.Contains(zpl, []byte("PANIC")) {
		panic(fmt.Sprintf("transport bug at byte %d", len(zpl)))
	}
	return p.Printer.Print(ctx, zpl)
}

func (p *panicky) Status(ctx context.Context) (device.PrinterStatus, error) {
	p.mu.Lock()
	p.statusCalls++
	panics := p.statusPanics
	p.mu.Unlock()
	if panics {
		panic("status: index out of range")
	}
	return p.Printer.Status(ctx)
}

func (p *panicky) setStatusPanics(v bool) (calls int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.statusPanics = v
	return p.statusCalls
}

// panickyEnv runs a runtime whose printers panic as panicky does, logging
// into the returned buffer.
func panickyEnv(t *testing.T) (*env, *stationSims, *testenv.Buffer, func() *panicky) {
	logs := &testenv.Buffer{}
	var mu sync.Mutex
	var last *panicky
	e := newEnv(t, t.TempDir(), func(rt *station.Runtime) {
		rt.Logger = slog.New(slog.NewTextHandler(logs, nil))
		rt.OpenPrinter = func(ctx context.Context, uri string) (device.Printer, error) {
			p, err := device.OpenPrinter(ctx, uri)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			defer mu.Unlock()
			last = &panicky{Printer: p}
			return last, nil
		}
	})
	sims := newStationSims(t)
	st := sims.station("PACK-1")
	st.Scanner, st.Scale = nil, nil
	e.create(st)
	return e, sims, logs, func() *panicky {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

// TestPrintWorker_PanickingPrintIsHeldAndWorkerGoesOn sends a job that
// makes the printer's code panic: the panic is logged with its stack, the
// job is held as failed (bytes may have reached the printer), the process
// lives on, and the next job prints.
func TestPrintWorker_PanickingPrintIsHeldAndWorkerGoesOn(t *testing.T) {
	e, sims, logs, _ := panickyEnv(t)
	bad := e.enqueue("PACK-1", "^XA^FDPANIC^FS^XZ")
	eventually(t, "the panicking job held", func() bool { return e.job(bad.ID).Status == pickwave.PrintFailed })
	if got := e.job(bad.ID); !strings.Contains(got.LastError, "panicked") {
		t.Errorf("held job's reason %q does not say the printer panicked", got.LastError)
	}
	good, _ := e.testLabel("PACK-1", "")
	eventually(t, "the next job printed", func() bool { return e.job(good.ID).Status == pickwave.PrintPrinted })
	if n := len(sims.printer.Labels()); n != 1 {
		t.Fatalf("%d labels at the printer, want only the good one", n)
	}
	out := logs.String()
	if !strings.Contains(out, "printer panicked") || !strings.Contains(out, "call=print") ||
		!strings.Contains(out, "transport bug at byte") || !strings.Contains(out, "runtime/debug.Stack") {
		t.Fatalf("the panic is not logged with its stack:\n%s", out)
	}
}

// TestPrintWorker_PanickingStatusWaitsAndWorkerGoesOn makes the printer's
// status call panic: the printer shows offline, a queued job waits (it is
// never marked sending), and once the status call works again the job
// prints once.
func TestPrintWorker_PanickingStatusWaitsAndWorkerGoesOn(t *testing.T) {
	e, sims, logs, printer := panickyEnv(t)
	eventually(t, "the printer ready", func() bool {
		p := e.state("PACK-1").Printer
		return p != nil && p.Ready
	})
	calls := printer().setStatusPanics(true)
	j, _ := e.testLabel("PACK-1", "")
	eventually(t, "attempts while the status call panics", func() bool { return e.job(j.ID).Attempts >= 2 })
	if got := e.job(j.ID); got.Status != pickwave.PrintQueued || !strings.Contains(got.LastError, "panicked") {
		t.Fatalf("job while the status call panics: %+v", got)
	}
	if p := e.state("PACK-1").Printer; p.Online || p.Ready {
		t.Fatalf("printer shown %+v while its status call panics", p)
	}
	if n := len(sims.printer.Labels()); n != 0 {
		t.Fatalf("%d labels sent without a status", n)
	}
	if again := printer().setStatusPanics(false); again <= calls {
		t.Fatalf("status asked %d times, was %d: the worker stopped", again, calls)
	}
	eventually(t, "printed once the status call works", func() bool { return e.job(j.ID).Status == pickwave.PrintPrinted })
	if n := len(sims.printer.Labels()); n != 1 {
		t.Fatalf("%d labels, want 1", n)
	}
	if out := logs.String(); !strings.Contains(out, "call=status") || !strings.Contains(out, "index out of range") {
		t.Fatalf("the status panic is not logged:\n%s", out)
	}
}

// panicOnce is a store whose first PendingPrints panics: a bug in the
// worker's own path, outside any printer call.
type panicOnce struct {
	station.Store
	done atomic.Bool
}

func (s *panicOnce) PendingPrints(ctx context.Context, stationID string) ([]*pickwave.PrintJob, error) {
	if s.done.CompareAndSwap(false, true) {
		panic("pending prints: a bug")
	}
	return s.Store.PendingPrints(ctx, stationID)
}

// TestPrintWorker_RestartedAfterPanic makes the worker itself panic: its
// owner logs the panic with its stack and starts it again, and the queued
// job prints once.
func TestPrintWorker_RestartedAfterPanic(t *testing.T) {
	logs := &testenv.Buffer{}
	sims := newStationSims(t)
	e := newEnv(t, t.TempDir(), func(rt *station.Runtime) {
		rt.Logger = slog.New(slog.NewTextHandler(logs, nil))
		rt.Store = &panicOnce{Store: rt.Store}
	})
	st := sims.station("PACK-1")
	st.Scanner, st.Scale = nil, nil
	e.create(st)
	j := e.enqueue("PACK-1", "^XA^FDqueued^FS^XZ")
	eventually(t, "the job printed by the restarted worker", func() bool { return e.job(j.ID).Status == pickwave.PrintPrinted })
	if n := len(sims.printer.Labels()); n != 1 {
		t.Fatalf("%d labels, want 1", n)
	}
	if out := logs.String(); !strings.Contains(out, "station worker panicked; restarting it") || !strings.Contains(out, "pending prints: a bug") ||
		!strings.Contains(out, "runtime/debug.Stack") {
		t.Fatalf("the panic is not logged with its stack:\n%s", out)
	}
}
