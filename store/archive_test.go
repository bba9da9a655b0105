package store_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

// clock is a settable clock for stores whose events span days.
type clock struct{ at atomic.Int64 }

func (c *clock) now() time.Time   { return time.Unix(0, c.at.Load()).UTC() }
func (c *clock) set(t time.Time)  { c.at.Store(t.UnixNano()) }
func newClock(t time.Time) *clock { c := new(clock); c.set(t); return c }
func day(n int, h int) time.Time  { return time.Date(2026, 11, n, h, 0, 0, 0, time.UTC) }
func eventJSON(e *pickwave.Event) string {
	b, _ := json.Marshal(e)
	return string(b)
}

// foldKPIs folds the whole log into the KPIs, as the server's follower
// does: archiving waits for it.
func foldKPIs(tb testing.TB, db *store.DB) {
	tb.Helper()
	last := ^uint64(0)
	for {
		c, err := db.FoldKPIs(context.Background(), 0)
		if err != nil {
			tb.Fatal(err)
		}
		if c == last {
			return
		}
		last = c
	}
}

// allEvents pages through the whole log, limit events a page.
func allEvents(t *testing.T, db *store.DB, limit int) []string {
	t.Helper()
	var out []string
	var after uint64
	for {
		page, err := db.Events(context.Background(), after, limit)
		if err != nil {
			t.Fatalf("events after %d: %v", after, err)
		}
		if len(page) == 0 {
			return out
		}
		for _, e := range page {
			if e.Seq != after+1 {
				t.Fatalf("event %d follows %d", e.Seq, after)
			}
			after = e.Seq
			out = append(out, eventJSON(e))
		}
	}
}

// fillDays logs perDay stock adjustments on each of the days, at hours
// 8 to 17.
func fillDays(t *testing.T, db *store.DB, clk *clock, perDay int, days ...int) {
	t.Helper()
	for _, d := range days {
		for i := range perDay {
			clk.set(day(d, 8+i*10/perDay))
			mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 1})
		}
	}
}

func archiveFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, store.ArchiveDirName))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// The log is whole after archiving: paged from 0 at any page size, it
// is the same events, and new events go on from its end; the files are
// named by their day; the store keeps only what is younger; a second
// run does nothing; `pickwave check` (store.CheckFile) passes.
func TestArchiveEvents_logStaysWholeAndInOrder(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(day(20, 7))
	db := mustOpenWith(t, dir, store.Options{Now: clk.now})
	site(t, db)
	fillDays(t, db, clk, 30, 21, 22, 23)
	before := allEvents(t, db, 1000)
	last, _ := db.LastSeq(context.Background())

	if res, err := db.ArchiveEvents(context.Background(), day(23, 12)); err != nil || res.Events != 0 {
		t.Fatalf("archived %+v (%v) before the KPIs counted the events; want nothing", res, err)
	}
	foldKPIs(t, db)
	res, err := db.ArchiveEvents(context.Background(), day(23, 12)) // whole days before the 23rd
	if err != nil {
		t.Fatal(err)
	}
	// Day 20: site setup (5 events), 21 and 22: 30 each.
	if res.Events != 65 || res.Through != 65 {
		t.Fatalf("archived %d events through %d, want 65 through 65", res.Events, res.Through)
	}
	want := []string{"events-2026-11-20-000000000001.jsonl.gz", "events-2026-11-21-000000000006.jsonl.gz", "events-2026-11-22-000000000036.jsonl.gz"}
	if got := archiveFiles(t, dir); !slices.Equal(got, want) {
		t.Fatalf("archive files %q, want %q", got, want)
	}
	for _, limit := range []int{1, 7, 100, 1000} {
		if got := allEvents(t, db, limit); !slices.Equal(got, before) {
			t.Fatalf("limit %d: the log read through the archive differs from the log before it (%d events, want %d)", limit, len(got), len(before))
		}
	}
	if l, _ := db.LastSeq(context.Background()); l != last {
		t.Fatalf("last seq %d after archiving, want %d", l, last)
	}
	foldKPIs(t, db)
	again, err := db.ArchiveEvents(context.Background(), day(23, 12))
	if err != nil || again.Events != 0 || again.Through != 65 {
		t.Fatalf("second run: %+v, %v; want nothing more", again, err)
	}
	clk.set(day(24, 9))
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 1})
	if got := allEvents(t, db, 50); len(got) != len(before)+1 {
		t.Fatalf("after a new event the log has %d events, want %d", len(got), len(before)+1)
	}
	// mustOpenWith's cleanup runs store.CheckFile on the store and archive.
}

// A day bigger than one file is split into files of at most 10,000
// events, each named by the day and its first event.
func TestArchiveEvents_bigDaySplitsIntoChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 12,000 events")
	}
	dir := t.TempDir()
	clk := newClock(day(20, 7))
	db := mustOpenWith(t, dir, store.Options{Now: clk.now, NoSync: true})
	site(t, db)
	ctx := context.Background()
	const n = 12000
	errs := make(chan error, n)
	sem := make(chan struct{}, 64) // many at once, so the committer batches them
	for range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			_, err := db.AdjustStock(ctxAs("test"), &pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 1, Reason: "receipt"})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	clk.set(day(21, 9))
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 1})
	foldKPIs(t, db)
	res, err := db.ArchiveEvents(ctx, day(21, 12))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"events-2026-11-20-000000000001.jsonl.gz", "events-2026-11-20-000000010001.jsonl.gz"}
	if !slices.Equal(res.Files, want) || res.Events != n+5 {
		t.Fatalf("archived %+v, want files %q with %d events", res, want, n+5)
	}
	page, err := db.Events(ctx, 9995, 10)
	if err != nil || len(page) != 10 || page[0].Seq != 9996 || page[9].Seq != 10005 {
		t.Fatalf("a page across two files: %d events from %v (%v)", len(page), page, err)
	}
}

// Archiving never passes the webhook outbox (nor the KPIs, folded here
// first): events no enabled webhook
// has been given yet stay in the store until the dispatcher reaches them
// (it records how far it read at most every 1,024 events nobody wants).
func TestArchiveEvents_waitsForTheWebhookOutbox(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(day(20, 7))
	db := mustOpenWith(t, dir, store.Options{Now: clk.now, NoSync: true})
	ctx := ctxAs("test")
	mustWebhook(t, db, hookInput("https://shop.example/hook", pickwave.EventOrderShipped))
	site(t, db)
	fillDays(t, db, clk, 600, 21, 22)
	foldKPIs(t, db)
	res, err := db.ArchiveEvents(ctx, day(22, 12))
	if err != nil || res.Events != 0 {
		t.Fatalf("archived %+v (%v) before the outbox read them; want nothing", res, err)
	}
	var after uint64
	for range 2 {
		if after, _, err = db.DispatchWebhooks(ctx, after, 1000); err != nil {
			t.Fatal(err)
		}
	}
	res, err = db.ArchiveEvents(ctx, day(22, 12))
	if err != nil || res.Through != 606 {
		t.Fatalf("archived %+v (%v) after the outbox read them; want the 606 events of the 20th and 21st", res, err)
	}
}

// A crash after an archive file is written but before the store records
// it loses nothing: the next run writes the same file again, and a crash
// after it is recorded but before the events are deleted from the store
// is finished at the next run.
func TestArchiveEvents_resumesAfterACrash(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(day(20, 7))
	db := mustOpenWith(t, dir, store.Options{Now: clk.now})
	site(t, db)
	fillDays(t, db, clk, 10, 21, 22)
	before := allEvents(t, db, 1000)
	// The crash: a file for the 20th is there, the store knows nothing.
	name := "events-2026-11-20-000000000001.jsonl.gz"
	if err := os.MkdirAll(filepath.Join(dir, store.ArchiveDirName), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.ArchiveDirName, name), []byte("half a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.ArchiveDirName, name+".123.tmp"), []byte("half a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	foldKPIs(t, db)
	res, err := db.ArchiveEvents(context.Background(), day(22, 12))
	if err != nil || res.Events != 15 {
		t.Fatalf("archived %+v (%v), want 15 events", res, err)
	}
	if got := allEvents(t, db, 3); !slices.Equal(got, before) {
		t.Fatal("the log differs after archiving over a crashed run's file")
	}
}

// The archive must be whole: a file removed from the middle, or a store
// that says more was archived than the files hold, fails the check.
func TestCheckFile_findsAHoleInTheArchive(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(day(20, 7))
	db := mustOpenWith(t, dir, store.Options{Now: clk.now})
	site(t, db)
	fillDays(t, db, clk, 10, 21, 22, 23)
	foldKPIs(t, db)
	if _, err := db.ArchiveEvents(context.Background(), day(23, 12)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil { // the cleanup's Close does nothing more
		t.Fatal(err)
	}
	mustCheck(t, dir)
	hole := filepath.Join(dir, store.ArchiveDirName, "events-2026-11-21-000000000006.jsonl.gz")
	if err := os.Rename(hole, hole+".away"); err != nil {
		t.Fatal(err)
	}
	if err := store.CheckFile(dir); err == nil {
		t.Fatal("check passed with a file missing from the middle of the archive")
	}
	if err := os.Rename(hole+".away", hole); err != nil {
		t.Fatal(err)
	}
	// An operator may remove the oldest files (events of the 20th).
	if err := os.Remove(filepath.Join(dir, store.ArchiveDirName, "events-2026-11-20-000000000001.jsonl.gz")); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, dir)
	last := filepath.Join(dir, store.ArchiveDirName, "events-2026-11-22-000000000016.jsonl.gz")
	if err := os.Rename(last, last+".away"); err != nil {
		t.Fatal(err)
	}
	if err := store.CheckFile(dir); err == nil {
		t.Fatal("check passed with the archive's newest file missing")
	}
	if err := os.Rename(last+".away", last); err != nil {
		t.Fatal(err)
	}
}
