package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
)

// TestScheduleCounts: SKUs ranked by picks into A (80 % of the picks), B
// (the next 15 %) and C (the rest, and what was never picked); a row is
// not due the day the schedule first sees it, A rows come due after a
// month, B after a quarter, C after a year, each counted from its last
// confirmed count; the most overdue go first when a run is capped.
func TestScheduleCounts(t *testing.T) {
	day := 24 * time.Hour
	clk := newClock(time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC))
	advance := func(d time.Duration) { clk.set(clk.now().Add(d)) }
	db := testenv.OpenStore(t, "", store.Options{NoSync: true, Now: clk.now})
	ctx := context.Background()
	for i, code := range []string{"FAST", "MID", "SLOW", "NEVER"} {
		if err := db.CreateSKU(ctx, &pickwave.SKU{Code: code, Name: code}); err != nil {
			t.Fatal(err)
		}
		loc := &pickwave.Location{Code: "A01-0" + string(rune('1'+i)) + "-1", Zone: "A", Aisle: 1, Bay: i + 1, Level: 1, Kind: pickwave.LocationPick}
		if err := db.CreateLocation(ctx, loc); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AdjustStock(ctx, &pickwave.Adjustment{SKU: code, Location: loc.Code, Delta: 10, Reason: "receipt"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateLocation(ctx, &pickwave.Location{Code: "DOCK-1", Zone: "A", Aisle: 1, Bay: 9, Kind: pickwave.LocationReceiving}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AdjustStock(ctx, &pickwave.Adjustment{SKU: "FAST", Location: "DOCK-1", Delta: 5, Reason: "receipt"}); err != nil {
		t.Fatal(err)
	}
	// 80, 15 and 5 picks lately; and old picks of SLOW that fall out of
	// the window.
	picks := func() {
		t.Helper()
		for sku, n := range map[string]int{"FAST": 80, "MID": 15, "SLOW": 5} {
			if err := db.AddPicks(sku, clk.now().Add(-10*day), n); err != nil {
				t.Fatal(err)
			}
		}
	}
	picks()
	if err := db.AddPicks("SLOW", clk.now().Add(-200*day), 1000); err != nil {
		t.Fatal(err)
	}
	s := pickwave.DefaultCountSchedule
	run := func() *pickwave.ScheduledCounts {
		t.Helper()
		res, err := db.ScheduleCounts(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	raised := func(res *pickwave.ScheduledCounts) []string {
		var skus []string
		for _, cc := range res.Raised {
			if cc.Source != pickwave.CountFromSchedule || cc.Status != pickwave.CountOpen {
				t.Fatalf("scheduled count %+v", cc)
			}
			skus = append(skus, cc.SKU)
		}
		return skus
	}

	res := run()
	if res.Classes["FAST"] != pickwave.ClassA || res.Classes["MID"] != pickwave.ClassB || res.Classes["SLOW"] != pickwave.ClassC || res.Classes["NEVER"] != "" {
		t.Fatalf("classes %v", res.Classes)
	}
	if len(res.Raised) != 0 || res.Due != 0 {
		t.Fatalf("first run raised %v, due %d: rows first seen are not due", raised(res), res.Due)
	}

	advance(31 * day) // a month on: the A row, not the dock's
	res = run()
	if got := raised(res); len(got) != 1 || got[0] != "FAST" || res.Raised[0].Location != "A01-01-1" {
		t.Fatalf("after a month: %v %+v", got, res.Raised)
	}
	zero := 10
	if _, err := db.ConfirmCount(ctx, res.Raised[0].ID, pickwave.CountConfirmation{Counted: &zero}); err != nil {
		t.Fatal(err)
	}
	if res = run(); len(res.Raised) != 0 {
		t.Fatalf("the same day again: %v", raised(res))
	}

	// A quarter after the start: MID is due (92 days), FAST again (61
	// days after its count), SLOW not. Capped at one: the most overdue.
	advance(61 * day)
	picks()
	s.MaxPerRun = 1
	res = run()
	if got := raised(res); len(got) != 1 || got[0] != "FAST" || res.Due != 2 {
		t.Fatalf("a quarter on, capped: %v, due %d", got, res.Due)
	}
	s.MaxPerRun = 10
	if got := raised(run()); len(got) != 1 || got[0] != "MID" {
		t.Fatalf("the next run: %v", got)
	}

	// A year on, every row with stock is due but those held for the
	// counts still open.
	advance(300 * day)
	got := raised(run())
	if len(got) != 2 || got[0] == got[1] {
		t.Fatalf("a year on: %v", got)
	}
	for _, sku := range got {
		if sku != "SLOW" && sku != "NEVER" {
			t.Fatalf("a year on raised %v: FAST and MID are held for their open counts", got)
		}
	}
	if _, err := db.ScheduleCounts(ctx, pickwave.CountSchedule{}); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("an empty schedule: %v", err)
	}
}
