package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pickwave/pickwave"
)

// The durable print queue.
//
// A job is written, queued, before anything is sent. The station's print
// worker takes queued jobs oldest first, marks one sending (a commit)
// before it hands the printer a byte, and marks it printed only after the
// printer confirmed the whole job. A send that handed over nothing puts
// the job back to queued (MarkPrintRetry) to be retried; one that may have
// handed over something fails the job, for a person to check the printer
// and reprint: sending it again could print a second label. A job found
// sending when a worker starts was interrupted by a crash and is failed
// for the same reason. So a job is never lost (it stays queued until sent
// or is held as failed with the reason) and never printed twice by the
// queue itself; a reprint is an explicit new job.
//
// Keys of the print_jobs space:
//
//	J-0000000042                 the job (JSON); ids sort in creation order
//	o\x00STATION\x00J-0000000042 the station's open jobs (queued or sending)
//	s\x00STATION\x00J-0000000042 every job of the station
//
// and of print_requests: STATION\x00REQUEST-ID → job id, which makes
// enqueueing idempotent on a client's request id.

const jobKeyPrefix = "J-"

func printJobID(seq uint64) string { return fmt.Sprintf("J-%010d", seq) }

func openKey(station, id string) []byte { return joinKey("o", station, id) }

func stationJobKey(station, id string) []byte { return joinKey("s", station, id) }

func requestKey(station, req string) []byte { return joinKey(station, req) }

// printStatuses lists every job state, for checking filters.
var printStatuses = []pickwave.PrintStatus{pickwave.PrintQueued, pickwave.PrintSending,
	pickwave.PrintPrinted, pickwave.PrintFailed, pickwave.PrintCancelled}

// printEventPayload is what print events carry: the job without its ZPL.
type printEventPayload struct {
	ID        string               `json:"id"`
	StationID string               `json:"station_id"`
	Kind      string               `json:"kind"`
	RequestID string               `json:"request_id,omitempty"`
	Status    pickwave.PrintStatus `json:"status"`
	Attempts  int                  `json:"attempts"`
	LastError string               `json:"last_error,omitempty"`
	ReprintOf string               `json:"reprint_of,omitempty"`
}

func (t *txn) printEvent(typ string, j *pickwave.PrintJob) error {
	_, err := t.appendEvent(typ, "print_job/"+j.ID, printEventPayload{ID: j.ID, StationID: j.StationID,
		Kind: j.Kind, RequestID: j.RequestID, Status: j.Status, Attempts: j.Attempts,
		LastError: j.LastError, ReprintOf: j.ReprintOf})
	return err
}

// EnqueuePrint stores a queued job, idempotently on its request id.
func (db *DB) EnqueuePrint(ctx context.Context, in *pickwave.PrintJob) (*pickwave.PrintJob, bool, error) {
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	var (
		out     *pickwave.PrintJob
		created bool
	)
	err := db.update(ctx, func(t *txn) error {
		if _, err := t.station(in.StationID); err != nil {
			return err
		}
		var err error
		out, created, err = t.enqueue(in.StationID, in.Kind, in.RequestID, in.ZPL, "")
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

// enqueue returns the job of an already seen request, or writes a new
// queued job with its indexes and event.
func (t *txn) enqueue(station, kind, req, zpl, reprintOf string) (*pickwave.PrintJob, bool, error) {
	if req != "" {
		if id := t.Get(spacePrintReq, requestKey(station, req)); id != nil {
			j, err := t.printJob(string(id))
			if err != nil {
				return nil, false, err
			}
			if j.Kind != kind || j.ReprintOf != reprintOf {
				return nil, false, &pickwave.Error{Code: pickwave.ECONFLICT,
					Message: fmt.Sprintf("Request id %s was already used for job %s, a different job.", req, j.ID),
					Details: []pickwave.FieldError{{Field: "request_id", Reason: "already used by job " + j.ID}}}
			}
			return j, false, nil
		}
	}
	seq, err := t.NextSeq(spacePrintJobs)
	if err != nil {
		return nil, false, err
	}
	j := &pickwave.PrintJob{ID: printJobID(seq), StationID: station, Kind: kind, RequestID: req, ZPL: zpl,
		Status: pickwave.PrintQueued, CreatedAt: t.now, UpdatedAt: t.now, ReprintOf: reprintOf}
	if err := t.putJSON(spacePrintJobs, []byte(j.ID), j); err != nil {
		return nil, false, err
	}
	if err := t.Put(spacePrintJobs, openKey(station, j.ID), nil); err != nil {
		return nil, false, err
	}
	if err := t.Put(spacePrintJobs, stationJobKey(station, j.ID), nil); err != nil {
		return nil, false, err
	}
	if req != "" {
		if err := t.Put(spacePrintReq, requestKey(station, req), []byte(j.ID)); err != nil {
			return nil, false, err
		}
	}
	return j, true, t.printEvent(pickwave.EventPrintQueued, j)
}

// Reprint queues a copy of a finished job as a new job.
func (db *DB) Reprint(ctx context.Context, jobID, requestID string) (*pickwave.PrintJob, bool, error) {
	if err := pickwave.ValidateRequestID("request_id", requestID); err != nil {
		return nil, false, err
	}
	var (
		out     *pickwave.PrintJob
		created bool
	)
	err := db.update(ctx, func(t *txn) error {
		orig, err := t.printJob(jobID)
		if err != nil {
			return err
		}
		repeat := requestID != "" && t.Get(spacePrintReq, requestKey(orig.StationID, requestID)) != nil
		if !repeat && !orig.Status.Done() {
			return pickwave.Errorf(pickwave.ECONFLICT,
				"Job %s is still %s: it prints when the printer is ready; reprint it once it is done.", orig.ID, orig.Status)
		}
		out, created, err = t.enqueue(orig.StationID, orig.Kind, requestID, orig.ZPL, orig.ID)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

// PrintJob returns one job.
func (db *DB) PrintJob(ctx context.Context, id string) (*pickwave.PrintJob, error) {
	var j *pickwave.PrintJob
	err := db.view(ctx, func(t *txn) (err error) {
		j, err = t.printJob(id)
		return err
	})
	return j, err
}

func (t *txn) printJob(id string) (*pickwave.PrintJob, error) {
	j := new(pickwave.PrintJob)
	if !bytes.HasPrefix([]byte(id), []byte(jobKeyPrefix)) {
		return nil, notFound("Print job %s does not exist.", id)
	}
	ok, err := t.getJSON(spacePrintJobs, []byte(id), j)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("Print job %s does not exist.", id)
	}
	return j, nil
}

// PrintJobs lists jobs matching the filter, newest first.
func (db *DB) PrintJobs(ctx context.Context, f pickwave.PrintJobFilter) ([]*pickwave.PrintJob, error) {
	if f.Status != "" && !slices.Contains(printStatuses, f.Status) {
		return nil, &pickwave.Error{Code: pickwave.EINVALID, Message: "Unknown print job status.",
			Details: []pickwave.FieldError{{Field: "status", Reason: fmt.Sprintf("must be one of %v", printStatuses)}}}
	}
	limit := pageSize(f.Limit)
	var out []*pickwave.PrintJob
	err := db.view(ctx, func(t *txn) error {
		prefix := []byte(jobKeyPrefix)
		if f.StationID != "" {
			if _, err := t.station(f.StationID); err != nil {
				return err
			}
			prefix = append(joinKey("s", f.StationID), 0)
		}
		// Newest first: keys end with the job id, which sorts by age. The
		// Tx interface scans backwards only from the end, so a page after
		// a cursor skips the newer keys first.
		return t.ScanReverse(spacePrintJobs, prefix, func(k, v []byte) error {
			id := string(k[bytes.LastIndexByte(k, 0)+1:])
			if f.After != "" && id >= f.After {
				return nil
			}
			j, err := t.printJob(id)
			if err != nil {
				return err
			}
			if f.Status != "" && j.Status != f.Status {
				return nil
			}
			out = append(out, j)
			if len(out) == limit {
				return errStop
			}
			return nil
		})
	})
	return out, err
}

// PendingPrints returns the station's queued jobs, oldest first.
func (db *DB) PendingPrints(ctx context.Context, stationID string) ([]*pickwave.PrintJob, error) {
	var out []*pickwave.PrintJob
	err := db.view(ctx, func(t *txn) error {
		jobs, err := t.openJobs(stationID)
		for _, j := range jobs {
			if j.Status == pickwave.PrintQueued {
				out = append(out, j)
			}
		}
		return err
	})
	return out, err
}

// openJobs returns the station's queued and sending jobs, oldest first.
func (t *txn) openJobs(stationID string) ([]*pickwave.PrintJob, error) {
	var out []*pickwave.PrintJob
	prefix := append(joinKey("o", stationID), 0)
	err := t.Scan(spacePrintJobs, prefix, nil, func(k, _ []byte) error {
		j, err := t.printJob(string(k[len(prefix):]))
		if err != nil {
			return err
		}
		out = append(out, j)
		return nil
	})
	return out, err
}

// move changes a job's state, keeping the open index and logging an event.
// from lists the states the job may be in; any other is ECONFLICT.
func (db *DB) move(ctx context.Context, id string, from []pickwave.PrintStatus, change func(t *txn, j *pickwave.PrintJob) string) (*pickwave.PrintJob, error) {
	var out *pickwave.PrintJob
	err := db.update(ctx, func(t *txn) error {
		j, err := t.printJob(id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, j.Status) {
			return pickwave.Errorf(pickwave.ECONFLICT, "Print job %s is %s.", j.ID, j.Status)
		}
		if err := t.applyMove(j, change(t, j)); err != nil {
			return err
		}
		out = j
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyMove stores a job changed in memory, drops it from the open index
// once it is done, and logs the event.
func (t *txn) applyMove(j *pickwave.PrintJob, event string) error {
	j.UpdatedAt = t.now
	if j.Status.Done() {
		if err := t.Delete(spacePrintJobs, openKey(j.StationID, j.ID)); err != nil {
			return err
		}
	}
	if err := t.putJSON(spacePrintJobs, []byte(j.ID), j); err != nil {
		return err
	}
	return t.printEvent(event, j)
}

// CancelPrint cancels a queued job.
func (db *DB) CancelPrint(ctx context.Context, id string) (*pickwave.PrintJob, error) {
	return db.move(ctx, id, []pickwave.PrintStatus{pickwave.PrintQueued}, func(t *txn, j *pickwave.PrintJob) string {
		j.Status = pickwave.PrintCancelled
		return pickwave.EventPrintCancelled
	})
}

// MarkPrintSending records that the job is about to be handed to the
// printer, counting an attempt.
func (db *DB) MarkPrintSending(ctx context.Context, id string) (*pickwave.PrintJob, error) {
	return db.move(ctx, id, []pickwave.PrintStatus{pickwave.PrintQueued}, func(t *txn, j *pickwave.PrintJob) string {
		j.Status = pickwave.PrintSending
		j.Attempts++
		return pickwave.EventPrintSending
	})
}

// MarkPrintRetry records an attempt that handed the printer nothing.
func (db *DB) MarkPrintRetry(ctx context.Context, id, reason string) (*pickwave.PrintJob, error) {
	return db.move(ctx, id, []pickwave.PrintStatus{pickwave.PrintQueued, pickwave.PrintSending}, func(t *txn, j *pickwave.PrintJob) string {
		if j.Status == pickwave.PrintQueued {
			j.Attempts++ // an attempt that stopped before MarkPrintSending
		}
		j.Status = pickwave.PrintQueued
		j.LastError = clip(reason)
		return pickwave.EventPrintRetried
	})
}

// MarkPrinted records that the printer confirmed the whole job.
func (db *DB) MarkPrinted(ctx context.Context, id string) (*pickwave.PrintJob, error) {
	return db.move(ctx, id, []pickwave.PrintStatus{pickwave.PrintQueued, pickwave.PrintSending}, func(t *txn, j *pickwave.PrintJob) string {
		at := t.now
		// An error of an earlier attempt (printer unreachable, paper
		// out) no longer applies; the print.retried events keep it.
		j.Status, j.PrintedAt, j.LastError = pickwave.PrintPrinted, &at, ""
		return pickwave.EventPrintPrinted
	})
}

// MarkPrintFailed holds a job for a person.
func (db *DB) MarkPrintFailed(ctx context.Context, id, reason string) (*pickwave.PrintJob, error) {
	return db.move(ctx, id, []pickwave.PrintStatus{pickwave.PrintQueued, pickwave.PrintSending}, func(t *txn, j *pickwave.PrintJob) string {
		j.Status = pickwave.PrintFailed
		j.LastError = clip(reason)
		return pickwave.EventPrintFailed
	})
}

// InterruptedReason is the error recorded on a job that a stopped process
// left sending.
const InterruptedReason = "interrupted while sending: Pickwave stopped before the printer confirmed this job; " +
	"check the printer and reprint if no label came out"

// FailInterrupted fails the station's jobs left sending by a process that
// stopped mid-send. Whether their label came out is unknown, so they are
// never sent again by themselves.
func (db *DB) FailInterrupted(ctx context.Context, stationID string) ([]*pickwave.PrintJob, error) {
	var out []*pickwave.PrintJob
	err := db.update(ctx, func(t *txn) error {
		out = nil
		jobs, err := t.openJobs(stationID)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			if j.Status != pickwave.PrintSending {
				continue
			}
			j.Status, j.LastError = pickwave.PrintFailed, InterruptedReason
			if err := t.applyMove(j, pickwave.EventPrintFailed); err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	return out, err
}

// clip bounds an error text kept on a job.
func clip(s string) string {
	const max = 1000
	if len(s) > max {
		return strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}
