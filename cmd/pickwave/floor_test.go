package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/testenv"
)

// TestServe_demoFloor runs `pickwave serve --demo --demo-floor`, the
// floor's time sped up 25 times (walking, scanning, packing and the
// shop's orders; the server is not sped up): the event log grows all
// along, waves are released and completed, orders are packed at the
// floor's station PACK-9 with labels printed, PACK-1 stays free, a person
// picks alongside on a handheld, and nothing is logged at error or
// warning level. It runs until a wave is completed, at least 20 s of the
// clock (8 floor minutes) and at most 150 s: on a busy machine the server
// keeps the floor slower. (At 40 times, on a machine busy with make test,
// the server shed one of the floor's requests as overload.) With -short
// it runs 15 s and needs no wave completed. The simulated pickers' picks
// per minute are logged (go test -run TestServe_demoFloor -v).
//
// It runs in parallel with the package's other tests of servers and
// binaries: they mostly wait on servers of their own.
func TestServe_demoFloor(t *testing.T) {
	t.Parallel()
	const speed = 25
	minRun, maxRun, wantCompleted := 20*time.Second, 150*time.Second, 1
	if testing.Short() {
		minRun, maxRun, wantCompleted = 15*time.Second, 15*time.Second, 0
	}
	dir := t.TempDir()
	var tok bytes.Buffer
	if err := run(context.Background(), []string{"token", "--data", dir, "--role", "admin", "--user", "floor-test"}, &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &testenv.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--demo-floor", "--demo-floor-speed", fmt.Sprint(speed),
			"--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json"}, io.Discard, logs)
	}()
	base := waitForLog(t, logs, "pickwave serving", "addr")
	api := client.New(base, client.WithToken(strings.TrimSpace(tok.String())))
	start := time.Now()

	// A person picks alongside the floor: a spare cart waits for them.
	person, err := handheld.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws/handheld",
		handheld.Options{Username: "picker1", Password: "pickwave", Device: "TC52-person"})
	if err != nil {
		t.Fatal(err)
	}
	defer person.Close()
	var p *pickwave.Prompt
	testenv.Eventually(t, 30*time.Second, "a cart waiting for a person", func() bool {
		p, err = person.TakeCart(ctx)
		return err == nil
	})
	for slot := 1; p.Step == pickwave.StepBindTote; slot++ {
		res, err := person.Scan(ctx, pickwave.ScanRequest{ID: person.NewID(), Data: fmt.Sprintf("PERSON-TOTE-%d", slot)})
		if err != nil || !res.Verdict.OK() {
			t.Fatalf("the person's tote %d: %+v, %v", slot, res, err)
		}
		p = &res.Prompt
	}
	res, err := person.Scan(ctx, pickwave.ScanRequest{ID: person.NewID(), Data: p.Task.Location})
	if err != nil || !res.Verdict.OK() || res.Prompt.Step != pickwave.StepItem {
		t.Fatalf("the person's location scan: %+v, %v", res, err)
	}

	// The event log grows in every 5 s of the run.
	lastSeq := func(after uint64) uint64 {
		for {
			evs, err := api.Events.Events(ctx, after, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 {
				return after
			}
			after = evs[len(evs)-1].Seq
		}
	}
	var fp floorProgress
	last := lastSeq(0)
	for {
		time.Sleep(5 * time.Second)
		seq := lastSeq(last)
		if seq <= last {
			t.Fatalf("after %s the event log stands still at %d", time.Since(start).Round(time.Second), seq)
		}
		last = seq
		fp = progressOf(ctx, t, api)
		if ran := time.Since(start); ran >= maxRun || (ran >= minRun && fp.completed >= wantCompleted && fp.enough()) {
			break
		}
	}
	ran := time.Since(start).Round(time.Second)
	pack1, err := api.Pack.Session(ctx, demoStation)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after %s (%s of floor time): %d events, %d waves released, %d completed, %d carts done, %d orders packed, %d labels printed at %s",
		ran, ran*speed, last, fp.released, fp.completed, fp.cartsDone, fp.packed, fp.labels, floorStation)
	switch {
	case fp.released < 2 || fp.completed < wantCompleted || fp.cartsDone < 3:
		t.Errorf("waves did not progress: %d released, %d completed, %d carts done", fp.released, fp.completed, fp.cartsDone)
	case fp.packed < 1 || fp.labels < fp.packed:
		t.Errorf("packing: %d orders packed, %d labels printed", fp.packed, fp.labels)
	case pack1.Packer != "":
		t.Errorf("the floor took PACK-1, meant for people: %+v", pack1)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	var stopped map[string]any
	for line := range strings.SplitSeq(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		if lvl := rec["level"]; lvl == "ERROR" || lvl == "WARN" {
			t.Errorf("logged at %s: %s", lvl, line)
		}
		if rec["msg"] == "demo floor stopped" {
			stopped = rec
		}
	}
	if stopped == nil {
		t.Fatal("no \"demo floor stopped\" in the log")
	}
	t.Logf("the floor's own count: %v orders, %v waves, %v carts, %v picks, %v packed; %v picks per picker and floor minute",
		stopped["orders"], stopped["waves"], stopped["carts"], stopped["picks"], stopped["packed"], stopped["picks_per_min"])
}

func TestServe_demoFloorFlags(t *testing.T) {
	def, err := parseServeFlags(nil, io.Discard)
	if err != nil || def.DemoFloor.Enabled || def.DemoFloor.Pickers != 3 || def.DemoFloor.Speed != 1 || time.Duration(def.DemoFloor.OrderEvery) != 30*time.Second {
		t.Fatalf("defaults %+v, %v", def.DemoFloor, err)
	}
	cfg, err := parseServeFlags([]string{"--demo", "--demo-floor", "--demo-floor-pickers", "5", "--demo-floor-speed", "20", "--demo-floor-order-every", "10s"}, io.Discard)
	if err != nil || !cfg.DemoFloor.Enabled || cfg.DemoFloor.Pickers != 5 || cfg.DemoFloor.Speed != 20 || time.Duration(cfg.DemoFloor.OrderEvery) != 10*time.Second {
		t.Fatalf("flags %+v, %v", cfg.DemoFloor, err)
	}
	for _, bad := range [][]string{
		{"--demo-floor"}, // without --demo
		{"--demo", "--demo-floor", "--demo-floor-pickers", "0"},
		{"--demo", "--demo-floor", "--demo-floor-speed", "0.5"},
		{"--demo", "--demo-floor", "--demo-floor-order-every", "10ms"},
		{"--demo", "--demo-floor", "--tls-self-signed"},
	} {
		if _, err := parseServeFlags(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// floorProgress is what the demo floor has done, as the API tells it.
type floorProgress struct {
	released, completed, cartsDone int // waves released (or completed), completed, their carts done
	packed, labels                 int // orders packed, labels printed at the floor's station
}

// enough is the progress TestServe_demoFloor asks for besides completed
// waves.
func (p floorProgress) enough() bool {
	return p.released >= 2 && p.cartsDone >= 3 && p.packed >= 1 && p.labels >= p.packed
}

func progressOf(ctx context.Context, t *testing.T, api *client.Client) floorProgress {
	t.Helper()
	waves, err := api.Waves.Waves(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var p floorProgress
	for _, w := range waves {
		if w.Status == pickwave.WaveReleased || w.Status == pickwave.WaveCompleted {
			p.released++
		}
		if w.Status == pickwave.WaveCompleted {
			p.completed++
		}
		p.cartsDone += w.Progress.CartsDone
	}
	packed, err := api.Orders.Orders(ctx, pickwave.OrderFilter{Status: pickwave.OrderPacked, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := api.PrintJobs.PrintJobs(ctx, pickwave.PrintJobFilter{StationID: floorStation, Status: pickwave.PrintPrinted, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	p.packed, p.labels = len(packed), len(jobs)
	return p
}
