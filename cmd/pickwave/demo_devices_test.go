package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
)

// TestServe_demoDevices runs `pickwave serve --demo` on data that already
// has the demo station (so nothing is seeded): the simulators are attached
// to it, its devices come online, a test label prints at the simulated
// printer, and at the next start the station follows the printer's new
// port. Stopping removes the simulators' device links.
func TestServe_demoDevices(t *testing.T) {
	dir := t.TempDir()
	db := testenv.OpenStore(t, dir, store.Options{})
	ctx := context.Background()
	if err := db.CreateStation(ctx, &pickwave.Station{ID: demoStation, Name: "Pack 1",
		Printer: &pickwave.PrinterConfig{URI: "tcp://127.0.0.1:1"}}); err != nil {
		t.Fatal(err)
	}
	token, err := db.MintToken(ctx, "pat", pickwave.RolePacker, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	for round := 1; round <= 2; round++ {
		runCtx, cancel := context.WithCancel(ctx)
		logs := &testenv.Buffer{}
		done := make(chan error, 1)
		go func() {
			done <- run(runCtx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json"}, io.Discard, logs)
		}()
		base := waitForLog(t, logs, "pickwave serving", "addr")
		printer := waitForLog(t, logs, "demo: simulated devices attached", "printer")
		api := client.New(base, client.WithToken(token))
		var (
			st    *pickwave.Station
			state *pickwave.StationState
		)
		testenv.Eventually(t, 15*time.Second, fmt.Sprintf("round %d: the demo devices online", round), func() bool {
			var err error
			if st, state, err = api.Stations.StationWithState(ctx, demoStation); err != nil {
				t.Fatal(err)
			}
			s := state
			return s != nil && s.Scanner != nil && s.Scanner.Online && s.Scale != nil && s.Scale.Online && s.Printer != nil && s.Printer.Ready
		})
		if st.Printer.URI != printer || st.Scanner.Port != filepath.Join(dir, "dev", "scanner") {
			t.Fatalf("round %d: station %+v, printer sim %s", round, st, printer)
		}
		job, _, err := api.PrintJobs.TestLabel(ctx, demoStation, "")
		if err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 15*time.Second, fmt.Sprintf("round %d: the test label printed", round), func() bool {
			job = must(api.PrintJobs.PrintJob(ctx, job.ID)).of(t)
			return job.Status == pickwave.PrintPrinted
		})

		cancel()
		if err := <-done; err != nil {
			t.Fatalf("round %d: serve: %v", round, err)
		}
		if !strings.Contains(logs.String(), "stopped cleanly") {
			t.Fatalf("round %d: no clean stop:\n%s", round, logs.String())
		}
		if _, err := os.Lstat(filepath.Join(dir, "dev", "scale")); !os.IsNotExist(err) {
			t.Fatalf("round %d: the scale link outlived the server: %v", round, err)
		}
	}
}

// TestServe_demoNoStation checks --demo on data it did not seed and that
// has no demo station: nothing is attached or created.
func TestServe_demoNoStation(t *testing.T) {
	dir := t.TempDir()
	db := testenv.OpenStore(t, dir, store.Options{})
	m := &Main{Config: Config{Data: dir, Demo: true}, Logger: quiet(), DB: db}
	if err := m.attachDemoDevices(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if m.demo != nil {
		t.Fatal("simulators started for data without a demo station")
	}
	if _, err := db.Station(context.Background(), demoStation); pickwave.ErrorCode(err) != pickwave.ENOTFOUND {
		t.Fatalf("demo station: %v", err)
	}
	db.Close()
}

// TestSim_stationFeedsBuiltInDevices types into PACK-1's built-in
// simulated scanner and scale of a running `pickwave serve --demo`, as
// `pickwave sim scanner|scale --station PACK-1` does, through the control
// socket under the data directory: the scan and the weight reach the
// station. A station without built-in devices, an unknown device and a
// data directory with no server are refused with what to do.
func TestSim_stationFeedsBuiltInDevices(t *testing.T) {
	dir := t.TempDir()
	db := testenv.OpenStore(t, dir, store.Options{})
	ctx := context.Background()
	if err := db.CreateStation(ctx, &pickwave.Station{ID: demoStation, Name: "Pack 1"}); err != nil {
		t.Fatal(err)
	}
	token, err := db.MintToken(ctx, "pat", pickwave.RolePacker, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	runCtx, cancel := context.WithCancel(ctx)
	logs := &testenv.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json"}, io.Discard, logs)
	}()
	base := waitForLog(t, logs, "pickwave serving", "addr")
	api := client.New(base, client.WithToken(token))
	sim := func(in string, args ...string) (string, error) {
		var out bytes.Buffer
		err := runSim(ctx, append(args, "--data", dir), strings.NewReader(in), &out, &out)
		return out.String(), err
	}

	out, err := sim("0061414100014\n", "scanner", "--station", demoStation)
	if err != nil || !strings.Contains(out, `scanned "0061414100014"`) {
		t.Fatalf("sim scanner --station: %v\n%s", err, out)
	}
	out, err = sim("1250\n", "scale", "--station", demoStation)
	if err != nil || !strings.Contains(out, "weight 1250 g") {
		t.Fatalf("sim scale --station: %v\n%s", err, out)
	}
	testenv.Eventually(t, 15*time.Second, "the typed scan and weight at PACK-1", func() bool {
		_, s, err := api.Stations.StationWithState(ctx, demoStation)
		if err != nil {
			t.Fatal(err)
		}
		return s != nil && s.Scanner != nil && s.Scanner.LastScan != nil && s.Scanner.LastScan.Data == "0061414100014" &&
			s.Scale != nil && s.Scale.Stable && s.Scale.WeightG == 1250
	})
	out, err = sim("paper-out\nno-such-command\npaper-in\n", "printer", "--station", demoStation)
	if err != nil || !strings.Contains(out, "ok: paper-out") || !strings.Contains(out, `error: unknown printer command "no-such-command"`) {
		t.Fatalf("sim printer --station: %v\n%s", err, out)
	}
	if _, err := sim("", "scanner", "--station", "PACK-7"); err == nil || !strings.Contains(err.Error(), "these have: PACK-1") {
		t.Fatalf("a station without built-in devices: %v", err)
	}
	if _, err := sim("", "label-maker", "--station", demoStation); err == nil {
		t.Fatal("an unknown device accepted")
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := sim("", "scanner", "--station", demoStation); err == nil || !strings.Contains(err.Error(), "no running `pickwave serve --demo`") {
		t.Fatalf("with the server stopped: %v", err)
	}
}
