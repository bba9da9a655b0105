package station_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/device"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/station"
	"github.com/pickwave/pickwave/store"
)

// TestHub_ScansAndWeights runs a station on simulated devices and watches
// it with a real websocket client: the state on connecting, every device
// online, a GS1 scan with its symbology and GS separator, a weight in
// motion and then stable, and the printer's paper running out.
func TestHub_ScansAndWeights(t *testing.T) {
	e := newEnv(t, t.TempDir())
	sims := newStationSims(t)
	e.create(sims.station("PACK-1"))
	ws := dialStation(t, e.srv, "PACK-1")

	first := ws.Await("the state on connecting", func(m testenv.StationMessage) bool { return true })
	if first.Type != "state" || first.State == nil || first.State.StationID != "PACK-1" {
		t.Fatalf("first message %+v", first)
	}
	ws.Await("every device online", func(m testenv.StationMessage) bool {
		s := m.State
		return s != nil && s.Scanner != nil && s.Scanner.Online && s.Scale != nil && s.Scale.Online &&
			s.Printer != nil && s.Printer.Online && s.Printer.Ready
	})

	code := "0109506000134352" + "\x1d" + "10LOT42"
	if err := sims.scanner.Scan("]C1" + code); err != nil {
		t.Fatal(err)
	}
	scan := ws.Await("the scan", func(m testenv.StationMessage) bool { return m.Type == "scan" })
	if scan.Scan.Data != code || scan.Scan.Symbology != "]C1" || scan.Scan.Time.IsZero() {
		t.Fatalf("scan %+v", scan.Scan)
	}
	st := ws.Await("the state with the last scan", func(m testenv.StationMessage) bool { return m.Type == "state" })
	if st.Seq != scan.Seq+1 || st.State.Scanner.LastScan == nil || st.State.Scanner.LastScan.Data != code {
		t.Fatalf("state after scan: seq %d after %d, %+v", st.Seq, scan.Seq, st.State.Scanner)
	}

	sims.scale.SetMotion(true)
	sims.scale.SetWeight(1234.5)
	ws.Await("a weight in motion", func(m testenv.StationMessage) bool {
		return m.State != nil && m.State.Scale.WeightG == 1234.5 && !m.State.Scale.Stable && slices.Contains(m.State.Scale.Flags, "motion")
	})
	sims.scale.SetMotion(false)
	ws.Await("the stable weight", func(m testenv.StationMessage) bool {
		return m.State != nil && m.State.Scale.WeightG == 1234.5 && m.State.Scale.Stable && slices.Equal(m.State.Scale.Flags, []string{"stable"})
	})
	sims.scale.SetOverload(true)
	ws.Await("over capacity", func(m testenv.StationMessage) bool {
		return m.State != nil && !m.State.Scale.Stable && slices.Contains(m.State.Scale.Flags, "over_capacity")
	})

	sims.printer.SetPaperOut(true)
	ws.Await("paper out", func(m testenv.StationMessage) bool {
		return m.State != nil && !m.State.Printer.Ready && slices.Contains(m.State.Printer.Problems, "paper out")
	})

	// A second client gets the current state at once.
	late := dialStation(t, e.srv, "PACK-1")
	got := late.Await("the state", func(m testenv.StationMessage) bool { return true })
	if got.State.Scanner.LastScan == nil || !slices.Contains(got.State.Printer.Problems, "paper out") {
		t.Fatalf("late client's first state %+v", got.State)
	}

	// Unplugging the scanner shows it offline on both.
	sims.scanner.Unplug()
	late.Await("scanner offline", func(m testenv.StationMessage) bool { return m.State != nil && !m.State.Scanner.Online })
	sims.scanner.Replug()
	ws.Await("scanner back", func(m testenv.StationMessage) bool { return m.State != nil && m.State.Scanner.Online })
}

// TestWatch_Refusals checks that Watch refuses, without upgrading, an
// unknown station and a runtime that is not running.
func TestWatch_Refusals(t *testing.T) {
	e := newEnv(t, t.TempDir())
	e.create(&pickwave.Station{ID: "PACK-1", Name: "Pack 1"})
	upgrade := func() (*websocket.Conn, error) {
		t.Fatal("upgrade called for a refused client")
		return nil, nil
	}
	if err := e.rt.Watch("NOPE", upgrade); pickwave.ErrorCode(err) != pickwave.ENOTFOUND {
		t.Fatalf("unknown station: %v", err)
	}
	idle := &station.Runtime{Store: e.db}
	if err := idle.Watch("PACK-1", upgrade); pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE {
		t.Fatalf("runtime not running: %v", err)
	}
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws/station/NOPE"
	if conn, res, err := websocket.DefaultDialer.Dial(url, nil); err == nil || res == nil || res.StatusCode != http.StatusNotFound {
		if conn != nil {
			conn.Close()
		}
		t.Fatalf("dial an unknown station: %v, %v", res, err)
	}
}

// TestHub_ClosedOnShutdown checks that stopping the runtime closes a
// connected client with a close frame.
func TestHub_ClosedOnShutdown(t *testing.T) {
	e := newEnv(t, t.TempDir())
	e.create(&pickwave.Station{ID: "PACK-1", Name: "Pack 1"})
	ws := dialStation(t, e.srv, "PACK-1")
	ws.Await("the state", func(testenv.StationMessage) bool { return true })
	e.rt.Close()
	select {
	case <-ws.Done():
	case <-time.After(waitLimit):
		t.Fatal("client still open after the runtime stopped")
	}
	// A failed websocket read returns the same error again.
	if err := ws.Err(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("the client's last read: %v, want a going-away close frame", err)
	}
}

func countFDs(t testing.TB) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

// TestRuntime_NoLeaksAcrossRestarts reconfigures a running station many
// times (scale moved between two ports, scanner and printer changed),
// with a websocket client watching, then stops the runtime: goroutines and
// file descriptors return to where they were.
func TestRuntime_NoLeaksAcrossRestarts(t *testing.T) {
	const cycles = 10
	dir := t.TempDir()
	sims := newStationSims(t)
	other, err := device.NewScaleSim(filepath.Join(t.TempDir(), "scale-2"), device.ScaleSimConfig{Protocol: device.ProtocolMTSICS})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	db := testenv.OpenStore(t, dir, store.Options{})
	defer db.Close()
	ctx := context.Background()
	st := &pickwave.Station{ID: "PACK-1", Name: "Pack 1",
		Scanner: &pickwave.ScannerConfig{Port: sims.scanner.Path(), Suffix: "cr"},
		Scale:   &pickwave.ScaleConfig{Port: sims.scale.Path(), Protocol: "mt-sics"},
		Printer: &pickwave.PrinterConfig{URI: sims.printer.URI()}}
	if err := db.CreateStation(ctx, st); err != nil {
		t.Fatal(err)
	}
	goroutines, fds := runtime.NumGoroutine(), countFDs(t)

	rt := &station.Runtime{Store: db, Logger: slog.New(slog.DiscardHandler), StatusInterval: 20 * time.Millisecond,
		DeviceBackoff: device.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}}
	srv := httptestServer(t, rt)
	ran := make(chan error, 1)
	go func() { ran <- rt.Run(ctx) }()
	online := func(what string, scalePath string) {
		t.Helper()
		eventually(t, what, func() bool {
			s, ok := rt.State("PACK-1")
			return ok && s.Scanner != nil && s.Scanner.Online && s.Scale != nil && s.Scale.Online &&
				s.Scale.Device == scalePath && s.Printer != nil && s.Printer.Online
		})
	}
	online("the station online", sims.scale.Path())
	ws := dialStation(t, srv, "PACK-1")
	for i := range cycles {
		scale := []string{other.Path(), sims.scale.Path()}[i%2]
		st.Scale.Port = scale
		st.Scanner.DedupMS = i + 1
		st.Printer.URI = sims.printer.URI() + fmt.Sprintf("?timeout=%ds", i+1)
		if _, err := db.UpdateStation(ctx, st); err != nil {
			t.Fatal(err)
		}
		if err := rt.Reload(ctx, "PACK-1"); err != nil {
			t.Fatal(err)
		}
		online(fmt.Sprintf("cycle %d online", i), scale)
		ws.Await(fmt.Sprintf("cycle %d on the socket", i), func(m testenv.StationMessage) bool {
			return m.State != nil && m.State.Scale != nil && m.State.Scale.Device == scale && m.State.Scale.Online
		})
	}
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	ws.Close()
	srv.Close()
	eventually(t, "goroutines and fds back to the start", func() bool {
		return runtime.NumGoroutine() <= goroutines && countFDs(t) == fds
	})
	t.Logf("%d reconfigurations: goroutines %d→%d, fds %d→%d", cycles, goroutines, runtime.NumGoroutine(), fds, countFDs(t))
}

// BenchmarkScaleToStationWebsocket measures a weight's way from the scale
// to the screen: the simulated MT-SICS scale is given a new weight, the
// station polls it over a pseudo-terminal, and a websocket client receives
// the state with that stable weight. Target: ≤ 100 ms.
func BenchmarkScaleToStationWebsocket(b *testing.B) {
	sims := newStationSims(b)
	dir := b.TempDir()
	db := testenv.OpenStore(b, dir, store.Options{})
	defer db.Close()
	ctx := context.Background()
	if err := db.CreateStation(ctx, &pickwave.Station{ID: "PACK-1", Name: "Pack 1",
		Scale: &pickwave.ScaleConfig{Port: sims.scale.Path(), Protocol: "mt-sics"}}); err != nil {
		b.Fatal(err)
	}
	rt := &station.Runtime{Store: db, Logger: slog.New(slog.DiscardHandler)}
	srv := httptestServer(b, rt)
	ran := make(chan error, 1)
	go func() { ran <- rt.Run(ctx) }()
	defer func() {
		rt.Close()
		<-ran
	}()
	eventually(b, "the station running", func() bool { _, ok := rt.State("PACK-1"); return ok })
	ws := dialStation(b, srv, "PACK-1")
	ws.Await("the scale online", func(m testenv.StationMessage) bool {
		return m.State != nil && m.State.Scale != nil && m.State.Scale.Online
	})

	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		grams := float64(1000 + i%2) // alternate, so each weight is a change
		start := time.Now()
		sims.scale.SetWeight(grams)
		m := ws.Await("the weight", func(m testenv.StationMessage) bool {
			return m.State != nil && m.State.Scale.Stable && m.State.Scale.WeightG == grams
		})
		lat = append(lat, m.At.Sub(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}
