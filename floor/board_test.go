package floor_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/floor"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func event(seq uint64, typ string, at time.Time, payload map[string]any) *pickwave.Event {
	data, _ := json.Marshal(payload)
	return &pickwave.Event{Seq: seq, Type: typ, Time: at, Actor: "x", Payload: data}
}

// TestBoard_paceAndETA: a picker who finishes a pick a minute, scanning
// every 20 s, has a pace of 60 picks an hour; the wave's ETA is its open
// tasks at that pace.
func TestBoard_paceAndETA(t *testing.T) {
	b := floor.NewBoard()
	b.SetWave(&pickwave.Wave{ID: "W-1", Status: pickwave.WaveReleased, Progress: pickwave.WaveProgress{Carts: 1, Tasks: 20}}, t0)
	var c floor.Changes
	seq := uint64(0)
	apply := func(typ string, at time.Time, p map[string]any) {
		seq++
		if err := b.Apply(event(seq, typ, at, p), at, &c); err != nil {
			t.Fatal(err)
		}
	}
	apply(pickwave.EventCartAssigned, t0, map[string]any{"cart": "W-1-C01", "wave": "W-1", "picker": "ann"})
	at := t0
	for i := range 10 {
		for range 3 {
			at = at.Add(20 * time.Second)
			apply(pickwave.EventScanJudged, at, map[string]any{"picker": "ann", "cart": "W-1-C01", "code": "ok"})
		}
		apply(pickwave.EventTaskPicked, at, map[string]any{"task": i, "cart": "W-1-C01", "wave": "W-1", "qty": 1, "picked": 1, "picker": "ann"})
	}
	snap := b.Snapshot(at)
	ann := snap.Pickers[0]
	// 30 scans, 29 pauses of 20 s: 9 min 40 s of work for 10 picks.
	pace := 10 / (29 * 20.0 / 3600)
	want := float64(int64(pace*10+0.5)) / 10
	if ann.Cart != "W-1-C01" || ann.Picks != 10 || ann.PicksPerHour != want {
		t.Fatalf("ann %+v, want 10 picks at %.1f/h on W-1-C01", ann, want)
	}
	w := snap.Waves[0]
	if w.Progress.TasksDone != 10 || w.ETA == nil || len(w.Pickers) != 1 {
		t.Fatalf("wave %+v", w)
	}
	if got, wantETA := w.ETA.Sub(at), time.Duration(10/want*float64(time.Hour)); got < wantETA-time.Second || got > wantETA+time.Second {
		t.Fatalf("ETA in %s, want %s", got, wantETA)
	}
	// An hour of nothing: the pace is gone, and so is the ETA.
	c = floor.Changes{}
	b.Tick(at.Add(2*time.Hour), &c)
	snap = b.Snapshot(at.Add(2 * time.Hour))
	if snap.Pickers[0].PicksPerHour != 0 || snap.Waves[0].ETA != nil || len(c.Pickers) != 1 || len(c.Waves) != 1 {
		t.Fatalf("after an idle hour: %+v %+v, changes %+v", snap.Pickers[0], snap.Waves[0], c)
	}
}

// TestBoard_offlineDevices: a handheld away with a cart becomes an
// exception after OfflineAfter, once, and its return another; a
// station's printer going offline and coming back too.
func TestBoard_offlineDevices(t *testing.T) {
	b := floor.NewBoard()
	var c floor.Changes
	if err := b.Apply(event(1, pickwave.EventCartAssigned, t0, map[string]any{"cart": "C1", "wave": "W-1", "picker": "bob"}), t0, &c); err != nil {
		t.Fatal(err)
	}
	kinds := func(c floor.Changes) []string {
		var out []string
		for _, e := range c.Exceptions {
			out = append(out, e.Kind)
		}
		return out
	}
	steps := []struct {
		at   time.Duration
		pres floor.Presence
		want []string
	}{
		{0, floor.Presence{Online: true}, nil},
		{time.Minute, floor.Presence{Since: t0.Add(50 * time.Second)}, nil}, // a dead spot of 10 s
		{time.Minute + 30*time.Second, floor.Presence{Since: t0.Add(50 * time.Second)}, []string{floor.ExHandheldAway}},
		{2 * time.Minute, floor.Presence{Since: t0.Add(50 * time.Second)}, nil},
		{3 * time.Minute, floor.Presence{Online: true}, []string{floor.ExHandheldReturn}},
	}
	for _, s := range steps {
		c = floor.Changes{}
		b.SetPresence(map[string]floor.Presence{"bob": s.pres}, t0.Add(s.at), &c)
		if got := kinds(c); len(got) != len(s.want) || (len(got) > 0 && got[0] != s.want[0]) {
			t.Fatalf("at %s: exceptions %v, want %v", s.at, got, s.want)
		}
	}
	state := func(online bool) pickwave.StationState {
		pr := &pickwave.PrinterState{State: "ready", Ready: online}
		pr.Online = online
		if !online {
			pr.State, pr.Error = "offline", "connection refused"
		}
		return pickwave.StationState{StationID: "PACK-1", Printer: pr}
	}
	for i, s := range []struct {
		online bool
		want   []string
	}{{true, nil}, {true, nil}, {false, []string{floor.ExDeviceOffline}}, {false, nil}, {true, []string{floor.ExDeviceOnline}}} {
		c = floor.Changes{}
		b.SetStations([]pickwave.StationState{state(s.online)}, t0, &c)
		if got := kinds(c); len(got) != len(s.want) || (len(got) > 0 && got[0] != s.want[0]) {
			t.Fatalf("station step %d: exceptions %v, want %v", i, got, s.want)
		}
		if i == 1 && len(c.Stations) != 0 {
			t.Fatalf("an unchanged station was sent again")
		}
	}
	if n := len(b.Snapshot(t0).Exceptions); n != 4 {
		t.Fatalf("%d exceptions kept, want 4", n)
	}
}

// TestBoard_cartsMoved: a cart given to another picker, taken off its
// picker or cancelled leaves the picker who had it, at once: the floor
// never shows a cart on two pickers, nor on one who no longer has it.
func TestBoard_cartsMoved(t *testing.T) {
	b := floor.NewBoard()
	b.SetWave(&pickwave.Wave{ID: "W-1", Status: pickwave.WaveReleased, Progress: pickwave.WaveProgress{Carts: 1, Tasks: 20}}, t0)
	seq := uint64(0)
	apply := func(typ string, p map[string]any) floor.Changes {
		t.Helper()
		seq++
		var c floor.Changes
		at := t0.Add(time.Duration(seq) * time.Second)
		if err := b.Apply(event(seq, typ, at, p), at, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	carts := func(c floor.Changes) map[string]string {
		got := map[string]string{}
		for _, p := range c.Pickers {
			got[p.Name] = p.Cart
		}
		return got
	}
	check := func(what string, c floor.Changes, changed map[string]string, wavePickers ...string) {
		t.Helper()
		if got := carts(c); len(got) != len(changed) {
			t.Errorf("%s: pickers changed %v, want %v", what, got, changed)
		} else {
			for name, cart := range changed {
				if got[name] != cart {
					t.Errorf("%s: pickers changed %v, want %v", what, got, changed)
				}
			}
		}
		snap := b.Snapshot(t0.Add(time.Duration(seq) * time.Second))
		if w := snap.Waves[0]; len(w.Pickers) != len(wavePickers) || (len(wavePickers) == 1 && w.Pickers[0] != wavePickers[0]) {
			t.Errorf("%s: the wave's pickers are %v, want %v", what, w.Pickers, wavePickers)
		}
	}
	c := apply(pickwave.EventCartAssigned, map[string]any{"cart": "W-1-C01", "wave": "W-1", "picker": "ann"})
	check("assigned to ann", c, map[string]string{"ann": "W-1-C01"}, "ann")
	apply(pickwave.EventScanJudged, map[string]any{"picker": "ann", "cart": "W-1-C01", "code": "ok"})

	// Given straight to bob: ann has no cart any more.
	c = apply(pickwave.EventCartAssigned, map[string]any{"cart": "W-1-C01", "wave": "W-1", "picker": "bob", "from": "ann"})
	check("given to bob", c, map[string]string{"ann": "", "bob": "W-1-C01"}, "bob")

	// Taken off bob: the cart waits, nobody has it.
	c = apply(pickwave.EventCartUnassigned, map[string]any{"cart": "W-1-C01", "wave": "W-1", "picker": "bob"})
	check("taken off bob", c, map[string]string{"bob": ""})

	// Given to ann again, then cancelled (CancelRest): ann is free.
	apply(pickwave.EventCartAssigned, map[string]any{"cart": "W-1-C01", "wave": "W-1", "picker": "ann"})
	c = apply(pickwave.EventCartCancelled, map[string]any{"cart": "W-1-C01", "wave": "W-1", "picker": "ann"})
	check("cancelled", c, map[string]string{"ann": ""})
	for _, p := range b.Snapshot(t0.Add(time.Hour)).Pickers {
		if p.Cart != "" {
			t.Errorf("%s still shows cart %s", p.Name, p.Cart)
		}
	}
}
