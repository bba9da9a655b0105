package station_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/device"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/labels"
	"github.com/pickwave/pickwave/station"
	"github.com/pickwave/pickwave/store"
)

// waitLimit bounds every wait for a device or the print queue: generous,
// since the race detector and a busy machine slow everything down.
const waitLimit = 15 * time.Second

// env is a station runtime on a real store, with a websocket endpoint
// that hands each client to Runtime.Watch as the server does. stop shuts
// it down as serve does; a new env on the same dir is the restarted
// process.
type env struct {
	t    testing.TB
	dir  string
	db   *store.DB
	rt   *station.Runtime
	srv  *httptest.Server // /ws/station/{id}
	stop func()
}

// newEnv starts a runtime with short intervals; configure, when given,
// changes its fields before it runs.
func newEnv(t testing.TB, dir string, configure ...func(*station.Runtime)) *env {
	t.Helper()
	db := testenv.OpenStore(t, dir, store.Options{})
	rt := &station.Runtime{Store: db, Logger: slog.New(slog.DiscardHandler),
		StatusInterval: 50 * time.Millisecond,
		PrintBackoff:   device.Backoff{Min: 20 * time.Millisecond, Max: 100 * time.Millisecond},
		DeviceBackoff:  device.Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}}
	for _, fn := range configure {
		fn(rt)
	}
	srv := httptestServer(t, rt)
	ran := make(chan error, 1)
	go func() { ran <- rt.Run(context.Background()) }()
	e := &env{t: t, dir: dir, db: db, rt: rt, srv: srv}
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			rt.Close() // devices and websocket clients first, as serve does
			if err := <-ran; err != nil {
				t.Errorf("Runtime.Run: %v", err)
			}
			srv.Close()
			if err := db.Close(); err != nil {
				t.Errorf("close store: %v", err)
			}
		})
	}
	t.Cleanup(e.stop)
	return e
}

// httptestServer serves watchHandler until the test ends.
func httptestServer(t testing.TB, rt *station.Runtime) *httptest.Server {
	srv := httptest.NewServer(watchHandler(rt))
	t.Cleanup(srv.Close)
	return srv
}

// watchHandler serves /ws/station/{id} as the server's route does, less
// its sessions: Watch's errors become their statuses.
func watchHandler(rt *station.Runtime) http.Handler {
	up := websocket.Upgrader{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/ws/station/")
		err := rt.Watch(id, func() (*websocket.Conn, error) { return up.Upgrade(w, r, nil) })
		switch pickwave.ErrorCode(err) {
		case "":
		case pickwave.ENOTFOUND:
			http.Error(w, err.Error(), http.StatusNotFound)
		case pickwave.EUNAVAILABLE:
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		default:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
}

// stationSims are a station's simulated devices: a serial scanner and an
// MT-SICS scale on pseudo-terminals, and a ZPL printer on a loopback port.
type stationSims struct {
	scanner *device.ScannerSim
	scale   *device.ScaleSim
	printer *device.PrinterSim
}

func newStationSims(t testing.TB) *stationSims {
	t.Helper()
	dir := t.TempDir()
	sc, err := device.NewScannerSim(filepath.Join(dir, "scanner"), device.ScannerSimConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	sl, err := device.NewScaleSim(filepath.Join(dir, "scale"), device.ScaleSimConfig{Protocol: device.ProtocolMTSICS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sl.Close() })
	pr, err := device.NewPrinterSim("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	return &stationSims{scanner: sc, scale: sl, printer: pr}
}

// station is a station on these devices.
func (s *stationSims) station(id string) *pickwave.Station {
	return &pickwave.Station{ID: id, Name: "Pack " + id,
		Scanner: &pickwave.ScannerConfig{Port: s.scanner.Path(), Baud: 9600, Suffix: "cr"},
		Scale:   &pickwave.ScaleConfig{Port: s.scale.Path(), Protocol: pickwave.ScaleMTSICS, Baud: 9600, DataBits: 8, Parity: "none"},
		Printer: &pickwave.PrinterConfig{URI: s.printer.URI(), DPI: 203}}
}

// create stores a station and starts it, as POST /api/v1/stations does.
func (e *env) create(st *pickwave.Station) {
	e.t.Helper()
	ctx := pickwave.WithActor(context.Background(), "test")
	if err := e.db.CreateStation(ctx, st); err != nil {
		e.t.Fatal(err)
	}
	if err := e.rt.Reload(ctx, st.ID); err != nil {
		e.t.Fatal(err)
	}
}

// update stores a station's new configuration and applies it, as PUT
// /api/v1/stations/{id} does.
func (e *env) update(st *pickwave.Station) {
	e.t.Helper()
	ctx := pickwave.WithActor(context.Background(), "test")
	if _, err := e.db.UpdateStation(ctx, st); err != nil {
		e.t.Fatal(err)
	}
	if err := e.rt.Reload(ctx, st.ID); err != nil {
		e.t.Fatal(err)
	}
}

// testLabel queues a test label, with an idempotency key when key is
// set, and wakes the worker, as POST /api/v1/stations/{id}/test-label
// does. created says whether this call made the job.
func (e *env) testLabel(id, key string) (job *pickwave.PrintJob, created bool) {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.db.Station(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	job, created, err = e.db.EnqueuePrint(ctx, &pickwave.PrintJob{StationID: id, Kind: pickwave.PrintKindTest,
		RequestID: key, ZPL: string(labels.Test(st.Name, st.Printer.DPI, time.Now()))})
	if err != nil {
		e.t.Fatal(err)
	}
	e.rt.Kick(id)
	return job, created
}

// enqueue queues a job of the given ZPL and wakes the worker.
func (e *env) enqueue(id, zpl string) *pickwave.PrintJob {
	e.t.Helper()
	job, _, err := e.db.EnqueuePrint(context.Background(), &pickwave.PrintJob{StationID: id, Kind: pickwave.PrintKindTest, ZPL: zpl})
	if err != nil {
		e.t.Fatal(err)
	}
	e.rt.Kick(id)
	return job
}

func (e *env) job(id string) *pickwave.PrintJob {
	e.t.Helper()
	j, err := e.db.PrintJob(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

// state is the station's live state; the zero state while it is not
// running.
func (e *env) state(id string) pickwave.StationState {
	st, _ := e.rt.State(id)
	return st
}

// eventually polls cond until it holds, failing after waitLimit.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, waitLimit, what, cond)
}

func dialStation(t testing.TB, srv *httptest.Server, id string) *testenv.StationSocket {
	t.Helper()
	return testenv.DialStation(t, srv.URL, id, nil)
}
