package floor_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/carrier"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/demo/floor"
	"github.com/pickwave/pickwave/device"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/station"
	"github.com/pickwave/pickwave/store"
)

// TestFloor_worksADemoSite runs a floor against a server on a small demo
// site whose every HTTP exchange is checked against docs/openapi.yaml,
// with a pack station on a simulated scale and printer, its time 60 times
// faster than the clock, wrong scans and shorts made frequent. Orders
// arrive, waves are released, carts finished, orders packed with labels
// printed; every wrong scan was refused (counted), and the store passes
// its check when the test ends (testenv.OpenStore).
func TestFloor_worksADemoSite(t *testing.T) {
	runFor := 12 * time.Second
	if testing.Short() {
		runFor = 10 * time.Second
	}
	dir := t.TempDir()
	db := testenv.OpenStore(t, dir, store.Options{NoSync: true})
	ctx := context.Background()
	site := demo.Site{Aisles: 4, Bays: 10, Levels: 3, SKUs: 60, Orders: 40, Seed: 1, Now: time.Now(), BadgeKey: []byte("k")}
	if err := demo.Seed(ctx, db, site); err != nil {
		t.Fatal(err)
	}
	scale, err := device.NewScaleSim(filepath.Join(dir, "scale"), device.ScaleSimConfig{Protocol: device.ProtocolMTSICS})
	if err != nil {
		t.Fatal(err)
	}
	defer scale.Close()
	printer, err := device.NewPrinterSim("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer printer.Close()
	if err := db.CreateStation(pickwave.WithActor(ctx, "test"), &pickwave.Station{ID: "PACK-9", Name: "Floor",
		Scale:   &pickwave.ScaleConfig{Port: scale.Path(), Protocol: pickwave.ScaleMTSICS, Baud: 9600, DataBits: 8, Parity: "none"},
		Printer: &pickwave.PrinterConfig{URI: printer.URI(), DPI: 203}}); err != nil {
		t.Fatal(err)
	}

	rt := &station.Runtime{Store: db, Logger: slog.New(slog.DiscardHandler), Packing: station.Packing{
		Carrier: &carrier.Local{Name: "local", Service: "LP", Country: "US", TrackingURL: "https://track.example/{tracking}", Serials: carrier.SerialsFunc(func(ctx context.Context) (uint64, error) {
			return db.NextTrackingSerial(ctx, "local")
		})},
		GS1Prefix: "0614141", ShipFrom: pickwave.Address{Name: "Demo Warehouse", Address1: "1 Dock Road",
			City: "Columbus", Region: "OH", PostalCode: "43215", Country: "US"}}}
	s := testenv.Server(db, nil)
	s.Stations, s.PrintQueue, s.StationRuntime, s.Pack = db, db, rt, rt
	ending, ended := make(chan struct{}), make(chan struct{})
	hs := httptest.NewServer(testenv.Checked(t, heldAtTheEnd(ending, ended, s.Handler())))
	defer hs.Close()
	ran := make(chan error, 1)
	go func() { ran <- rt.Run(context.Background()) }()
	defer func() {
		rt.Close()
		if err := <-ran; err != nil {
			t.Errorf("station runtime: %v", err)
		}
	}()

	f, err := floor.New(floor.Config{
		URL: hs.URL,
		Tokens: func(ctx context.Context, user string, role pickwave.Role) (string, error) {
			return db.MintToken(ctx, user, role, time.Hour)
		},
		Pickers: 2, SpareCarts: -1, TotesPerCart: 4, OrderEvery: 20 * time.Second,
		Station: "PACK-9", Scale: scale,
		Speed: 60, WrongScans: 0.2, Shorts: 0.05, Seed: 7,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithTimeout(ctx, runFor)
	defer stop()
	time.AfterFunc(runFor-time.Second, func() { close(ending) })
	context.AfterFunc(runCtx, func() { close(ended) })
	if err := f.Run(runCtx); err != nil {
		t.Fatal(err)
	}
	st := f.Stats()
	t.Logf("%s of floor time: %+v; %.2f picks per picker and floor minute", st.FloorTime.Round(time.Second), st, st.PicksPerMinute())
	switch {
	case st.Orders < 5:
		t.Errorf("%d orders from the shop", st.Orders)
	case st.Waves < 2 || st.Carts < 2 || st.Tasks < 10:
		t.Errorf("picking did not progress: %d waves, %d carts, %d tasks", st.Waves, st.Carts, st.Tasks)
	case st.Wrong < 1 || st.Shorts < 1:
		t.Errorf("no wrong scan (%d) or no short (%d) at these rates", st.Wrong, st.Shorts)
	case st.Packed < 1 || len(printer.Labels()) < st.Packed:
		t.Errorf("%d orders packed, %d labels printed", st.Packed, len(printer.Labels()))
	case st.WalkedM <= 0:
		t.Errorf("the pickers did not walk")
	}
	packed, err := db.Orders(ctx, pickwave.OrderFilter{Status: pickwave.OrderPacked})
	if err != nil || len(packed) != st.Packed {
		t.Errorf("the store has %d orders packed, the floor says %d (%v)", len(packed), st.Packed, err)
	}
}

// heldAtTheEnd holds every request that comes once ending is closed
// until ended is, the last second of the floor's run, so that the floor
// stops with calls in flight: a call cut off because the floor is
// stopping is no fault, and the floor must not log it as one.
func heldAtTheEnd(ending, ended <-chan struct{}, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-ending:
			select {
			case <-ended:
			case <-r.Context().Done():
			}
		default:
		}
		next.ServeHTTP(w, r)
	})
}

// testWriter fails the test on anything the floor logs at warning level.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Errorf("floor logged: %s", p)
	return len(p), nil
}

func TestNew_refusesWhatCannotWork(t *testing.T) {
	tokens := func(context.Context, string, pickwave.Role) (string, error) { return "", nil }
	for name, cfg := range map[string]floor.Config{
		"no URL":    {Tokens: tokens},
		"ftp URL":   {URL: "ftp://127.0.0.1:21", Tokens: tokens},
		"no tokens": {URL: "http://127.0.0.1:8080"},
	} {
		if _, err := floor.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := floor.New(floor.Config{URL: "http://127.0.0.1:8080", Tokens: tokens}); err != nil {
		t.Fatal(err)
	}
}
