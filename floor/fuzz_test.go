package floor_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/floor"
)

// FuzzBoard_Apply feeds the board any payload under each type it reads:
// it never panics, the snapshot always encodes, and the exceptions kept
// stay bounded.
func FuzzBoard_Apply(f *testing.F) {
	f.Add(pickwave.EventScanJudged, []byte(`{"picker":"ann","code":"wrong_item","cart":"C1","step":"item"}`))
	f.Add(pickwave.EventTaskShort, []byte(`{"cart":"C1","wave":"W-1","qty":2,"picked":1,"short":1,"sku":"S","location":"A"}`))
	f.Add(pickwave.EventWaveReleased, []byte(`{"id":"W-1","status":"released","progress":{"tasks":3}}`))
	f.Add(pickwave.EventPrintFailed, []byte(`{"id":"J-1","station_id":"PACK-1","last_error":"head open"}`))
	f.Add(pickwave.EventCartDone, []byte(`{"cart":"C1","wave":"W-404"}`))
	f.Fuzz(func(t *testing.T, typ string, payload []byte) {
		b := floor.NewBoard()
		at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		var c floor.Changes
		for i := range floor.KeepExceptions + 5 {
			ev := &pickwave.Event{Seq: uint64(i + 1), Type: typ, Time: at.Add(time.Duration(i) * time.Second), Actor: "x", Payload: payload}
			if err := b.Apply(ev, ev.Time, &c); err != nil {
				return
			}
		}
		b.Tick(at.Add(time.Hour), &c)
		snap := b.Snapshot(at.Add(time.Hour))
		if len(snap.Exceptions) > floor.KeepExceptions {
			t.Fatalf("%d exceptions kept", len(snap.Exceptions))
		}
		if _, err := json.Marshal(snap); err != nil {
			t.Fatal(err)
		}
	})
}
