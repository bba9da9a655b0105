package station

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/device"
)

// The print worker of a station sends the station's queued jobs to its
// printer, oldest first, and keeps the printer's state. The rules that
// keep a label from being lost or printed twice:
//
//   - A job is in the store (queued) before the worker sees it.
//   - A printer that reports its status is asked first; while it is off,
//     unreachable or not ready (paper out, head open, paused) the job
//     stays queued, the attempt is recorded, and the worker retries with
//     PrintBackoff, or at once when a status poll finds the printer ready.
//   - Before the first byte goes out the job is marked sending (a commit);
//     it is marked printed only after Print returned nil, which on TCP
//     means the printer confirmed it has the whole job.
//   - When Print fails having handed the printer nothing
//     (device.Retryable), the job goes back to queued and is retried.
//   - Any other failure means bytes may have reached the printer: an
//     unconfirmed job, one the printer took and then held (paper out after
//     the job), or a send cut short. Sending it again could print a second
//     label, so the job is marked failed with the reason, for a person to
//     check the printer and reprint. The same holds for a job found
//     sending when a worker starts: the process stopped mid-send.
//   - A panic in the printer's code (a transport bug) is recovered and
//     logged with its stack, and counts as a failure of that call: in
//     Status, the printer is unreachable and the job waits; in Print, the
//     job is held as failed like any send that may have reached the
//     printer. The worker goes on with the next job. A panic anywhere
//     else in the worker is recovered by its owner (goDevice), which
//     starts it again; the restart fails the job it left sending.
//
// Outcomes are recorded with a context that outlives the worker's, so a
// print that happened while the station was being stopped is still
// written down; if even that fails, the job stays sending and the next
// start fails it as interrupted.

type printOutcome int

const (
	printDone  printOutcome = iota // printed, failed for good or cancelled: take the next job
	printRetry                     // the printer could not take it: wait, then retry
	printStop                      // the worker is stopping
)

// errPrinterPanicked is the error of a printer call that panicked.
var errPrinterPanicked = errors.New("the printer's code panicked")

// printWorker runs one station's printer.
type printWorker struct {
	sr      *stationRun
	printer device.Printer
	queue   pickwave.PrintQueue
	backoff device.Backoff
	log     *slog.Logger
	failed  int // attempts in a row that failed, for the backoff
}

func (sr *stationRun) startPrinter(ctx context.Context, c pickwave.PrinterConfig) *deviceRun {
	open := sr.rt.OpenPrinter
	if open == nil {
		open = device.OpenPrinter
	}
	p, err := open(ctx, c.URI)
	ds := sr.initial(c.URI, err)
	sr.update(func(s *pickwave.StationState) {
		s.Printer = &pickwave.PrinterState{DeviceState: ds, State: "unknown", Problems: []string{}}
	})
	if err != nil {
		return nil
	}
	backoff := sr.rt.PrintBackoff
	if backoff == (device.Backoff{}) {
		backoff = device.Backoff{Min: 250 * time.Millisecond, Max: 5 * time.Second}
	}
	w := &printWorker{sr: sr, printer: p, queue: sr.rt.Store, backoff: backoff,
		log: sr.log.With("printer", c.URI)}
	d := goDevice(ctx, w.log, backoff, w.run)
	d.closer = p // after the worker, however it ended
	return d
}

// run polls the printer and drains the queue until ctx ends.
func (w *printWorker) run(ctx context.Context) {
	interval := w.sr.rt.StatusInterval
	if interval <= 0 {
		interval = defaultStatusInterval
	}
	if jobs, err := w.queue.FailInterrupted(ctx, w.sr.id); err != nil {
		w.log.Error("print queue: recover interrupted jobs", "err", err)
	} else {
		for _, j := range jobs {
			w.log.Warn("print job interrupted by a stop mid-send: held for a person", "job", j.ID)
		}
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()

	waiting := false // a job waits for a retry
	drain := func() {
		retry.Stop()
		if waiting = w.drain(ctx); waiting {
			retry.Reset(w.backoff.Delay(w.failed - 1))
		}
	}
	w.pollStatus(ctx)
	drain()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.sr.kick:
		case <-retry.C:
		case <-tick.C:
			// A printer found ready again is retried now rather than at
			// the end of the backoff. Without a job waiting, the queue is
			// read anyway, for jobs queued without a Kick.
			if ready := w.pollStatus(ctx); waiting && !ready {
				continue
			}
		}
		drain()
	}
}

// drain sends queued jobs, oldest first, until the queue is empty (false)
// or the printer cannot take the next one (true: retry later).
func (w *printWorker) drain(ctx context.Context) bool {
	for ctx.Err() == nil {
		jobs, err := w.queue.PendingPrints(ctx, w.sr.id)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Error("print queue: read", "err", err)
				w.failed++
				return true
			}
			return false
		}
		w.setQueued(len(jobs))
		if len(jobs) == 0 {
			w.failed = 0
			return false
		}
		switch w.send(ctx, jobs[0]) {
		case printDone:
			w.failed = 0
		case printRetry:
			w.failed++
			return true
		case printStop:
			return false
		}
	}
	return false
}

// send makes one attempt at one job.
func (w *printWorker) send(ctx context.Context, job *pickwave.PrintJob) printOutcome {
	// Outcomes are written even if ctx ends meanwhile.
	record, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	log := w.log.With("job", job.ID, "attempt", job.Attempts+1)

	// Ask first, so that no job is marked sending while the printer
	// cannot take it: a crash then leaves it queued, not held.
	st, err := w.status(ctx)
	w.setStatus(st, err)
	if ctx.Err() != nil {
		return printStop
	}
	if err != nil || (st.Known && !st.Ready()) {
		reason := "printer not ready: " + st.State()
		if err != nil {
			reason = "printer unreachable: " + err.Error()
		}
		if _, err := w.queue.MarkPrintRetry(record, job.ID, reason); err != nil {
			return w.recordFailed(log, "retry", err)
		}
		log.Info("print job waits for the printer", "reason", reason)
		return printRetry
	}

	if _, err := w.queue.MarkPrintSending(ctx, job.ID); err != nil {
		if pickwave.ErrorCode(err) == pickwave.ECONFLICT {
			return printDone // cancelled since it was read
		}
		if ctx.Err() != nil {
			return printStop
		}
		log.Error("print queue: mark sending", "err", err)
		return printRetry
	}
	err = w.safely("print", func() error { return w.printer.Print(ctx, []byte(job.ZPL)) })
	switch {
	case err == nil:
		if _, err := w.queue.MarkPrinted(record, job.ID); err != nil {
			// It printed: it stays sending, and the next start holds it
			// rather than printing it again.
			log.Error("print queue: mark printed", "err", err)
			return printDone
		}
		log.Info("label printed")
		return printDone
	case device.Retryable(err):
		var pe *device.PrintError
		if errors.As(err, &pe) && pe.Status != nil {
			w.setStatus(*pe.Status, nil) // it answered, and refused
		} else {
			w.setStatus(device.PrinterStatus{}, err)
		}
		if _, rerr := w.queue.MarkPrintRetry(record, job.ID, err.Error()); rerr != nil {
			return w.recordFailed(log, "retry", rerr)
		}
		if ctx.Err() != nil {
			return printStop
		}
		log.Info("printer did not take the job; it stays queued", "err", err)
		return printRetry
	default:
		reason := heldReason(err)
		if _, rerr := w.queue.MarkPrintFailed(record, job.ID, reason); rerr != nil {
			return w.recordFailed(log, "failed", rerr)
		}
		log.Warn("print job held for a person: it may have reached the printer", "err", err)
		return printDone
	}
}

func (w *printWorker) recordFailed(log *slog.Logger, what string, err error) printOutcome {
	log.Error("print queue: mark "+what, "err", err)
	return printRetry
}

// heldReason explains a failure after which the job must not be sent
// again by itself.
func heldReason(err error) string {
	var pe *device.PrintError
	if !errors.As(err, &pe) {
		return fmt.Sprintf("not sent again, it may have reached the printer: %v; check the printer and reprint if no label came out", err)
	}
	switch {
	case errors.Is(err, device.ErrHeldAtPrinter):
		return fmt.Sprintf("held at the printer: it took the job, then reported %s; the label prints when that is cleared, so do not reprint unless it does not",
			pe.Status.State())
	case errors.Is(err, device.ErrUnconfirmed):
		return fmt.Sprintf("sent (%d of %d bytes) but not confirmed by the printer: %v; check the printer and reprint if no label came out",
			pe.Sent, pe.Total, pe.Err)
	}
	return fmt.Sprintf("interrupted at %s after %d of %d bytes: %v; check the printer and reprint if no label came out",
		pe.Stage, pe.Sent, pe.Total, pe.Err)
}

// pollStatus asks the printer for its status, updates the state and
// reports whether the printer can take a job: ready, or reachable and
// unable to tell.
func (w *printWorker) pollStatus(ctx context.Context) bool {
	st, err := w.status(ctx)
	if ctx.Err() != nil {
		return false
	}
	w.setStatus(st, err)
	return err == nil && (!st.Known || st.Ready())
}

// status asks the printer for its status, a panic being an error.
func (w *printWorker) status(ctx context.Context) (st device.PrinterStatus, err error) {
	err = w.safely("status", func() error {
		st, err = w.printer.Status(ctx)
		return err
	})
	return st, err
}

// safely calls the printer, turning a panic in it into an error after
// logging the panic with its stack: one bad job or transport bug must not
// end the process, and the worker goes on.
func (w *printWorker) safely(call string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("printer panicked", "call", call, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w in %s: %v", errPrinterPanicked, call, r)
		}
	}()
	return fn()
}

// setStatus puts what the printer last said into the station state,
// pushing it only when something changed.
func (w *printWorker) setStatus(st device.PrinterStatus, err error) {
	w.sr.mu.Lock()
	defer w.sr.mu.Unlock()
	cur := w.sr.state.Printer
	if cur == nil {
		return
	}
	next := *cur
	next.Online = err == nil
	next.Error = ""
	switch {
	case err != nil:
		next.Error, next.State, next.Ready, next.Problems = err.Error(), "offline", false, []string{}
	default:
		next.State, next.Ready, next.Problems = st.State(), st.Ready(), st.Problems()
		if next.Problems == nil {
			next.Problems = []string{}
		}
	}
	if next.Online != cur.Online {
		next.Since = time.Now().UTC()
	}
	if next.Online == cur.Online && next.Error == cur.Error && next.State == cur.State &&
		next.Ready == cur.Ready && slices.Equal(next.Problems, cur.Problems) {
		return
	}
	w.sr.state.Printer = &next
	w.sr.publishLocked()
}

// setQueued puts the queue depth into the station state.
func (w *printWorker) setQueued(n int) {
	w.sr.mu.Lock()
	defer w.sr.mu.Unlock()
	cur := w.sr.state.Printer
	if cur == nil || cur.Queued == n {
		return
	}
	next := *cur
	next.Queued = n
	w.sr.state.Printer = &next
	w.sr.publishLocked()
}
