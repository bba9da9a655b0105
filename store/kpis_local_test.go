package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

// applyFrom applies the entries after the follower's last to it.
func (l *sliceLog) applyFrom(t *testing.T, follower *DB) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	have, _, err := follower.Applied()
	if err != nil {
		t.Fatal(err)
	}
	for i := have; i < uint64(len(l.entries)); i++ {
		if err := follower.Apply(i+1, l.entries[i]); err != nil {
			t.Fatal(err)
		}
	}
}

// entrySpaces lists the spaces an entry writes.
func entrySpaces(t *testing.T, entry []byte) map[string]int {
	t.Helper()
	r := entryReader{data: entry}
	r.byte()
	r.uvarint()
	spaces := map[string]int{}
	for n := r.uvarint(); n > 0 && r.err == nil; n-- {
		op, space := r.byte(), r.bytes()
		r.bytes()
		switch op {
		case opPut:
			r.bytes()
		case opSetSeq:
			r.uvarint()
		}
		spaces[string(space)]++
	}
	if r.err != nil {
		t.Fatalf("entry: %v", r.err)
	}
	return spaces
}

// TestKPIs_eachNodeFoldsItsOwn: a leading store's folds never reach its
// log; a follower applying that log folds its own copy of the events to
// the same KPIs, and folds the events the leader archives before its
// copy of them leaves the store. An entry of an older leader that still
// carries KPI records leaves the follower's own untouched.
func TestKPIs_eachNodeFoldsItsOwn(t *testing.T) {
	ctx := pickwave.WithActor(context.Background(), "test")
	day := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	now := day
	clock := func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		return now
	}
	setClock := func(t time.Time) {
		clockMu.Lock()
		defer clockMu.Unlock()
		now = t
	}
	open := func() *DB {
		db, err := Open(t.TempDir(), Options{Follow: true, NoSync: true, Now: clock, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	leader, follower := open(), open()
	log := new(sliceLog)
	if err := leader.Lead(log); err != nil {
		t.Fatal(err)
	}

	// Three days of picking, folded by the leader as it goes.
	for d := range 3 {
		for h := range 4 {
			setClock(day.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour))
			err := leader.update(ctx, func(t *txn) error {
				for i := range 40 {
					picker := fmt.Sprintf("picker%d", i%7)
					cart := fmt.Sprintf("C-%d-%d", d, h)
					code := "ok"
					if i%9 == 0 {
						code = "wrong_item"
					}
					evs := []struct {
						typ     string
						payload any
					}{
						{pickwave.EventCartAssigned, map[string]any{"cart": cart, "wave": "W-1", "picker": picker}},
						{pickwave.EventScanJudged, map[string]any{"picker": picker, "code": code, "cart": cart}},
						{pickwave.EventTaskPicked, map[string]any{"cart": cart, "wave": "W-1", "picked": 2, "picker": picker}},
					}
					for _, ev := range evs {
						if _, err := t.appendEvent(ev.typ, cart, ev.payload); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := leader.FoldKPIs(ctx, 100); err != nil {
				t.Fatal(err)
			}
		}
	}
	foldAll(t, leader)
	for i, e := range log.entries {
		if n := entrySpaces(t, e)[spaceKPIs]; n > 0 {
			t.Fatalf("log entry %d writes %d KPI records: a node's KPIs are its own", i+1, n)
		}
	}

	// The follower applies the log; the first two days are archived on
	// the way, before it ever folded: it folds them as they go.
	log.applyFrom(t, follower)
	setClock(day.Add(3*24*time.Hour + 12*time.Hour))
	res, err := leader.ArchiveEvents(ctx, day.Add(2*24*time.Hour))
	if err != nil || res.Events == 0 {
		t.Fatalf("archive: %+v, %v", res, err)
	}
	if c := follower.kpiCursorOf(t); c != 0 {
		t.Fatalf("the follower's KPI cursor is %d before it applied the archive, want 0: the log carried KPIs", c)
	}
	log.applyFrom(t, follower)
	if c := follower.kpiCursorOf(t); c < res.Through {
		t.Fatalf("the follower's KPI cursor is %d after the leader archived through %d", c, res.Through)
	}
	foldAll(t, follower)

	report := func(db *DB) string {
		r, err := db.KPIs(ctx, day, day.Add(4*24*time.Hour), 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		r.LastSeq = 0
		b, _ := json.Marshal(r)
		return string(b)
	}
	l, f := report(leader), report(follower)
	if l != f {
		t.Fatalf("the follower's KPIs differ from the leader's:\nleader:   %.500s\nfollower: %.500s", l, f)
	}
	var doc struct {
		PickScans int `json:"pick_scans"`
	}
	if err := json.Unmarshal([]byte(l), &doc); err != nil || doc.PickScans != 3*4*40 {
		t.Fatalf("%d pick scans counted, want %d (%v)", doc.PickScans, 3*4*40, err)
	}

	// An older leader's entry carrying its KPI cursor: skipped.
	have, _, _ := follower.Applied()
	old := []byte{entryVersion}
	old = binary.AppendUvarint(old, uint64(SchemaVersion()))
	old = binary.AppendUvarint(old, 1)
	old = append(old, opPut)
	old = appendBytes(old, []byte(spaceKPIs))
	old = appendBytes(old, keyKPICursor)
	old = appendBytes(old, u64key(1))
	before := follower.kpiCursorOf(t)
	if err := follower.Apply(have+1, old); err != nil {
		t.Fatal(err)
	}
	if c := follower.kpiCursorOf(t); c != before {
		t.Fatalf("an entry carrying a KPI cursor moved the follower's from %d to %d", before, c)
	}
}

func (db *DB) kpiCursorOf(t *testing.T) uint64 {
	t.Helper()
	c, err := db.KPICursor(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}
