package store_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

func testJob(station, req string) *pickwave.PrintJob {
	return &pickwave.PrintJob{StationID: station, Kind: pickwave.PrintKindTest, RequestID: req, ZPL: "^XA^FDtest^FS^XZ"}
}

func mustEnqueue(t testing.TB, db *store.DB, j *pickwave.PrintJob) *pickwave.PrintJob {
	t.Helper()
	out, created, err := db.EnqueuePrint(ctxAs("packer"), j)
	if err != nil || !created {
		t.Fatalf("enqueue %+v: created %v, %v", j, created, err)
	}
	return out
}

func ids(jobs []*pickwave.PrintJob) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

func mustPending(t testing.TB, db *store.DB, station string, want ...string) {
	t.Helper()
	jobs, err := db.PendingPrints(ctxAs("worker"), station)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(jobs)) != fmt.Sprint(want) {
		t.Fatalf("pending %v, want %v", ids(jobs), want)
	}
}

func TestPrintQueue_EnqueueIdempotentOnRequestID(t *testing.T) {
	db, _ := mustOpenStations(t)
	ctx := ctxAs("packer")
	mustStation(t, db, station("PACK-1", "", ""))
	mustStation(t, db, station("PACK-2", "", ""))

	a := mustEnqueue(t, db, testJob("PACK-1", "req-1"))
	if a.ID != "J-0000000001" || a.Status != pickwave.PrintQueued || a.Attempts != 0 || !a.CreatedAt.Equal(t0) {
		t.Fatalf("job %+v", a)
	}
	again, created, err := db.EnqueuePrint(ctx, testJob("PACK-1", "req-1"))
	if err != nil || created || again.ID != a.ID {
		t.Fatalf("same request: %+v created %v %v", again, created, err)
	}
	// Request ids are per station; no request id means a new job each time.
	other := mustEnqueue(t, db, testJob("PACK-2", "req-1"))
	n1 := mustEnqueue(t, db, testJob("PACK-1", ""))
	n2 := mustEnqueue(t, db, testJob("PACK-1", ""))
	if other.ID == a.ID || n1.ID == n2.ID {
		t.Fatalf("jobs %s %s %s %s", a.ID, other.ID, n1.ID, n2.ID)
	}
	// The same request id for another kind of job is a client bug.
	_, _, err = db.EnqueuePrint(ctx, &pickwave.PrintJob{StationID: "PACK-1", Kind: pickwave.PrintKindShipping, RequestID: "req-1", ZPL: "^XA^XZ"})
	mustCode(t, err, pickwave.ECONFLICT)
	_, _, err = db.EnqueuePrint(ctx, testJob("NOPE", "r"))
	mustCode(t, err, pickwave.ENOTFOUND)
	_, _, err = db.EnqueuePrint(ctx, &pickwave.PrintJob{StationID: "PACK-1", Kind: "test"})
	mustCode(t, err, pickwave.EINVALID)

	mustPending(t, db, "PACK-1", a.ID, n1.ID, n2.ID)
	mustPending(t, db, "PACK-2", other.ID)
	want := []string{"station.created", "station.created", "print.queued", "print.queued", "print.queued", "print.queued"}
	if got := eventTypes(t, db, 0); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %v", got)
	}
}

// TestPrintQueue_ConcurrentSameRequest sends one request from many
// goroutines at once: group commit runs them in one transaction, and
// exactly one job must come out.
func TestPrintQueue_ConcurrentSameRequest(t *testing.T) {
	db, _ := mustOpenStations(t)
	mustStation(t, db, station("PACK-1", "", ""))
	const n = 50
	got := make([]string, n)
	var created sync.Map
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			j, c, err := db.EnqueuePrint(ctxAs("packer"), testJob("PACK-1", "same"))
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = j.ID
			if c {
				created.Store(i, true)
			}
		})
	}
	wg.Wait()
	count := 0
	created.Range(func(_, _ any) bool { count++; return true })
	if uniq := slices.Compact(slices.Sorted(slices.Values(got))); count != 1 || len(uniq) != 1 {
		t.Fatalf("%d created, ids %v", count, uniq)
	}
	mustPending(t, db, "PACK-1", got[0])
}

// TestPrintQueue_PrintedClearsError: a job printed after the printer was
// unreachable no longer shows that as its note.
func TestPrintQueue_PrintedClearsError(t *testing.T) {
	db, _ := mustOpenStations(t)
	ctx := ctxAs("worker")
	mustStation(t, db, station("PACK-1", "", ""))
	j := mustEnqueue(t, db, testJob("PACK-1", "a"))
	if r, err := db.MarkPrintRetry(ctx, j.ID, "printer unreachable: dial tcp: connection refused"); err != nil || r.LastError == "" {
		t.Fatalf("retry: %+v %v", r, err)
	}
	db.MarkPrintSending(ctx, j.ID)
	p, err := db.MarkPrinted(ctx, j.ID)
	if err != nil || p.Status != pickwave.PrintPrinted || p.LastError != "" {
		t.Fatalf("printed: %+v %v", p, err)
	}
	if got, _ := db.PrintJob(ctx, j.ID); got.LastError != "" {
		t.Fatalf("stored job keeps the old error %q", got.LastError)
	}
}

func TestPrintQueue_Lifecycle(t *testing.T) {
	db, _ := mustOpenStations(t)
	ctx := ctxAs("worker")
	mustStation(t, db, station("PACK-1", "", ""))
	j1 := mustEnqueue(t, db, testJob("PACK-1", "a"))
	j2 := mustEnqueue(t, db, testJob("PACK-1", "b"))
	j3 := mustEnqueue(t, db, testJob("PACK-1", "c"))
	j4 := mustEnqueue(t, db, testJob("PACK-1", "d"))
	mustPending(t, db, "PACK-1", j1.ID, j2.ID, j3.ID, j4.ID)
	seq, _ := db.LastSeq(ctx)

	// j1: sent and confirmed.
	s, err := db.MarkPrintSending(ctx, j1.ID)
	if err != nil || s.Status != pickwave.PrintSending || s.Attempts != 1 {
		t.Fatalf("sending: %+v %v", s, err)
	}
	mustPending(t, db, "PACK-1", j2.ID, j3.ID, j4.ID)
	_, err = db.MarkPrintSending(ctx, j1.ID)
	mustCode(t, err, pickwave.ECONFLICT)
	_, err = db.CancelPrint(ctx, j1.ID) // too late: bytes may be on the wire
	mustCode(t, err, pickwave.ECONFLICT)
	p, err := db.MarkPrinted(ctx, j1.ID)
	if err != nil || p.Status != pickwave.PrintPrinted || p.PrintedAt == nil || !p.PrintedAt.Equal(t0) {
		t.Fatalf("printed: %+v %v", p, err)
	}
	_, err = db.MarkPrinted(ctx, j1.ID) // once
	mustCode(t, err, pickwave.ECONFLICT)
	_, err = db.MarkPrintRetry(ctx, j1.ID, "late")
	mustCode(t, err, pickwave.ECONFLICT)

	// j2: the printer was off when checked (an attempt before sending),
	// then refused while sending with nothing handed over, then printed.
	r, err := db.MarkPrintRetry(ctx, j2.ID, "dial tcp: connection refused")
	if err != nil || r.Status != pickwave.PrintQueued || r.Attempts != 1 || r.LastError != "dial tcp: connection refused" {
		t.Fatalf("retry from queued: %+v %v", r, err)
	}
	db.MarkPrintSending(ctx, j2.ID)
	r, err = db.MarkPrintRetry(ctx, j2.ID, "printer not ready: paper out")
	if err != nil || r.Status != pickwave.PrintQueued || r.Attempts != 2 {
		t.Fatalf("retry from sending: %+v %v", r, err)
	}
	mustPending(t, db, "PACK-1", j2.ID, j3.ID, j4.ID)

	// j3: may have reached the printer: held for a person.
	db.MarkPrintSending(ctx, j3.ID)
	f, err := db.MarkPrintFailed(ctx, j3.ID, "job sent but not confirmed by printer")
	if err != nil || f.Status != pickwave.PrintFailed || f.LastError == "" {
		t.Fatalf("failed: %+v %v", f, err)
	}
	_, err = db.MarkPrinted(ctx, j3.ID)
	mustCode(t, err, pickwave.ECONFLICT)

	// j4: cancelled while queued.
	c, err := db.CancelPrint(ctx, j4.ID)
	if err != nil || c.Status != pickwave.PrintCancelled {
		t.Fatalf("cancel: %+v %v", c, err)
	}
	mustPending(t, db, "PACK-1", j2.ID)
	_, err = db.MarkPrintSending(ctx, j4.ID)
	mustCode(t, err, pickwave.ECONFLICT)
	_, err = db.MarkPrinted(ctx, "J-0000000099")
	mustCode(t, err, pickwave.ENOTFOUND)
	_, err = db.PrintJob(ctx, "PACK-1")
	mustCode(t, err, pickwave.ENOTFOUND)

	want := []string{"print.sending", "print.printed", "print.retried", "print.sending", "print.retried",
		"print.sending", "print.failed", "print.cancelled"}
	if got := eventTypes(t, db, seq); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %v,\nwant %v", got, want)
	}
}

func TestPrintQueue_Reprint(t *testing.T) {
	db, _ := mustOpenStations(t)
	ctx := ctxAs("packer")
	mustStation(t, db, station("PACK-1", "", ""))
	j := mustEnqueue(t, db, testJob("PACK-1", ""))
	_, _, err := db.Reprint(ctx, j.ID, "")
	mustCode(t, err, pickwave.ECONFLICT) // still queued: it prints by itself
	db.MarkPrintSending(ctx, j.ID)
	db.MarkPrinted(ctx, j.ID)

	r1, created, err := db.Reprint(ctx, j.ID, "again-1")
	if err != nil || !created || r1.ReprintOf != j.ID || r1.ZPL != j.ZPL || r1.Status != pickwave.PrintQueued || r1.Kind != j.Kind {
		t.Fatalf("reprint: %+v %v %v", r1, created, err)
	}
	same, created, err := db.Reprint(ctx, j.ID, "again-1")
	if err != nil || created || same.ID != r1.ID {
		t.Fatalf("repeated reprint request: %+v %v %v", same, created, err)
	}
	// Even once the reprint has printed, its request still names it.
	db.MarkPrintSending(ctx, r1.ID)
	db.MarkPrinted(ctx, r1.ID)
	if same, created, _ = db.Reprint(ctx, j.ID, "again-1"); created || same.ID != r1.ID {
		t.Fatalf("repeat after print: %+v", same)
	}
	r2, created, err := db.Reprint(ctx, j.ID, "")
	if err != nil || !created || r2.ID == r1.ID {
		t.Fatalf("second reprint: %+v %v", r2, err)
	}
	// The request id of the reprint cannot be reused to reprint another job.
	other := mustEnqueue(t, db, testJob("PACK-1", ""))
	db.CancelPrint(ctx, other.ID)
	_, _, err = db.Reprint(ctx, other.ID, "again-1")
	mustCode(t, err, pickwave.ECONFLICT)
	_, _, err = db.Reprint(ctx, "J-0000000404", "")
	mustCode(t, err, pickwave.ENOTFOUND)
	_, _, err = db.Reprint(ctx, j.ID, "bad id")
	mustCode(t, err, pickwave.EINVALID)
	mustPending(t, db, "PACK-1", r2.ID)
}

func TestPrintQueue_ListNewestFirst(t *testing.T) {
	db, _ := mustOpenStations(t)
	ctx := ctxAs("packer")
	mustStation(t, db, station("PACK-1", "", ""))
	mustStation(t, db, station("PACK-2", "", ""))
	var one, all []string
	for i := range 7 {
		st := "PACK-1"
		if i%3 == 2 {
			st = "PACK-2"
		}
		j := mustEnqueue(t, db, testJob(st, ""))
		all = append([]string{j.ID}, all...)
		if st == "PACK-1" {
			one = append([]string{j.ID}, one...)
		}
	}
	db.CancelPrint(ctx, one[1])
	list := func(f pickwave.PrintJobFilter) []string {
		t.Helper()
		jobs, err := db.PrintJobs(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return ids(jobs)
	}
	for _, tc := range []struct {
		name string
		f    pickwave.PrintJobFilter
		want []string
	}{
		{"every job", pickwave.PrintJobFilter{}, all},
		{"one station", pickwave.PrintJobFilter{StationID: "PACK-1"}, one},
		{"first page", pickwave.PrintJobFilter{StationID: "PACK-1", Limit: 2}, one[:2]},
		{"next page", pickwave.PrintJobFilter{StationID: "PACK-1", Limit: 2, After: one[1]}, one[2:4]},
		{"all, after", pickwave.PrintJobFilter{After: all[4]}, all[5:]},
		{"cancelled", pickwave.PrintJobFilter{StationID: "PACK-1", Status: pickwave.PrintCancelled}, one[1:2]},
		{"queued everywhere", pickwave.PrintJobFilter{Status: pickwave.PrintQueued},
			slices.DeleteFunc(slices.Clone(all), func(id string) bool { return id == one[1] })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := list(tc.f); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	_, err := db.PrintJobs(ctx, pickwave.PrintJobFilter{Status: "lost"})
	mustCode(t, err, pickwave.EINVALID)
	_, err = db.PrintJobs(ctx, pickwave.PrintJobFilter{StationID: "NOPE"})
	mustCode(t, err, pickwave.ENOTFOUND)
}

// TestPrintQueue_SurvivesRestart closes the store with one job queued and
// one left sending (as a crash mid-send leaves it), reopens it, and checks
// the queued job is still pending while the interrupted one is held as
// failed, never to be sent again by itself.
func TestPrintQueue_SurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	t.Cleanup(func() { mustCheckPrintQueue(t, dir) })
	db := mustOpenWith(t, dir, store.Options{})
	ctx := ctxAs("worker")
	mustStation(t, db, station("PACK-1", "", ""))
	sending := mustEnqueue(t, db, testJob("PACK-1", "x"))
	queued := mustEnqueue(t, db, testJob("PACK-1", "y"))
	if _, err := db.MarkPrintSending(ctx, sending.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = mustOpenDir(t, dir)
	mustPending(t, db, "PACK-1", queued.ID)
	failed, err := db.FailInterrupted(ctx, "PACK-1")
	if err != nil || len(failed) != 1 || failed[0].ID != sending.ID || failed[0].Status != pickwave.PrintFailed ||
		failed[0].LastError != store.InterruptedReason {
		t.Fatalf("interrupted: %+v %v", failed, err)
	}
	if again, _ := db.FailInterrupted(ctx, "PACK-1"); len(again) != 0 {
		t.Fatalf("second recovery found %v", ids(again))
	}
	mustPending(t, db, "PACK-1", queued.ID)
	// The same request after the restart still finds its job.
	j, created, err := db.EnqueuePrint(ctxAs("packer"), testJob("PACK-1", "y"))
	if err != nil || created || j.ID != queued.ID {
		t.Fatalf("request after restart: %+v %v %v", j, created, err)
	}
}
