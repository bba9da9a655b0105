package server_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/carrier"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/station"
	"github.com/pickwave/pickwave/store"
)

// newPackEnv is a server with the pack routes on a running station
// runtime, and a station PACK-1 without devices. The pack flow itself,
// with devices, is tested end to end in cmd/pickwave (TestPack); these
// tests are about the routes: roles, refusals and their error shapes.
func newPackEnv(t *testing.T) (*stationEnv, string) {
	t.Helper()
	db := testenv.OpenStore(t, t.TempDir(), store.Options{})
	rt := &station.Runtime{Store: db, Logger: slog.New(slog.DiscardHandler), Packing: station.Packing{
		Carrier: &carrier.Local{Service: "LP", Country: "US", Serials: carrier.SerialsFunc(func(ctx context.Context) (uint64, error) {
			return db.NextTrackingSerial(ctx, "local")
		})},
		GS1Prefix: "0614141"}}
	s := testenv.Server(db, nil)
	s.Stations, s.PrintQueue, s.StationRuntime, s.Pack = db, db, rt, rt
	hs := httptest.NewServer(testenv.Checked(t, s.Handler()))
	ran := make(chan error, 1)
	go func() { ran <- rt.Run(context.Background()) }()
	e := &stationEnv{env: &env{t: t, db: db, srv: hs}, runtime: rt}
	e.stop = func() {
		rt.Close()
		if err := <-ran; err != nil {
			t.Errorf("station runtime: %v", err)
		}
		hs.Close()
	}
	t.Cleanup(e.stop)
	ctx := context.Background()
	e.admin, _ = db.MintToken(ctx, "ann", pickwave.RoleAdmin, time.Hour)
	e.super, _ = db.MintToken(ctx, "sue", pickwave.RoleSupervisor, time.Hour)
	e.pick, _ = db.MintToken(ctx, "pete", pickwave.RolePicker, time.Hour)
	e.packer, _ = db.MintToken(ctx, "pat", pickwave.RolePacker, time.Hour)
	e.createStation(map[string]any{"id": "PACK-1", "name": "Pack 1"})
	testenv.Eventually(t, waitLimit, "PACK-1 running", func() bool {
		_, ok := rt.State("PACK-1")
		return ok
	})
	other, _ := db.MintToken(ctx, "pam", pickwave.RolePacker, time.Hour)
	return e, other
}

func TestPackRoutes_bench(t *testing.T) {
	e, pam := newPackEnv(t)
	base := "/api/v1/stations/PACK-1/pack"

	var s pickwave.PackSession
	r := e.json("GET", base, e.packer, nil)
	mustStatus(t, r, 200)
	r.decode(t, &s)
	if s.Step != pickwave.PackIdle || s.Packer != "" {
		t.Fatalf("a new station's session: %+v", s)
	}
	mustStatus(t, e.json("GET", "/api/v1/stations/NOPE/pack", e.packer, nil), 404)
	mustStatus(t, e.json("GET", base, e.pick, nil), 403)

	// Scans need the caller signed in at the station.
	scan := map[string]string{"id": "s-1", "data": "TOTE-1"}
	mustStatus(t, e.json("POST", base+"/scan", e.packer, scan), 409)
	mustStatus(t, e.json("POST", base+"/sign-in", e.packer, nil), 200)
	mustStatus(t, e.json("POST", base+"/scan", pam, scan), 409)
	mustStatus(t, e.json("POST", base+"/scan", e.packer, map[string]string{"data": ""}), 400)
	mustStatus(t, e.json("POST", base+"/scan", e.packer, map[string]string{"data": "x", "surprise": "y"}), 400)

	var res pickwave.PackScanResult
	r = e.json("POST", base+"/scan", e.packer, scan)
	mustStatus(t, r, 200)
	r.decode(t, &res)
	if res.Verdict.Code != pickwave.PackUnknown || res.ID != "s-1" || res.Session.Packer != "pat" {
		t.Fatalf("an unknown tote: %+v", res)
	}
	mustStatus(t, e.json("POST", base+"/scan", e.packer, map[string]string{"id": "s-1", "data": "TOTE-2"}), 409)

	// Nothing is weighed or open: override, close refused; set aside is a no-op.
	mustStatus(t, e.json("POST", base+"/override", e.packer, map[string]string{"reason": "x"}), 403)
	mustStatus(t, e.json("POST", base+"/override", e.super, map[string]string{"reason": ""}), 400)
	mustStatus(t, e.json("POST", base+"/override", e.super, map[string]string{"reason": "scale broken"}), 409)
	mustStatus(t, e.json("POST", base+"/close-package", e.packer, nil), 409)
	mustStatus(t, e.json("POST", base+"/set-aside", e.packer, nil), 200)
	r = e.json("POST", base+"/sign-out", e.packer, nil)
	mustStatus(t, r, 200)
	r.decode(t, &s)
	if s.Packer != "" {
		t.Fatalf("after signing out: %+v", s)
	}
}

func TestPackRoutes_shipmentsAndTracking(t *testing.T) {
	e, _ := newPackEnv(t)
	r := e.json("GET", "/api/v1/shipments", e.packer, nil)
	mustStatus(t, r, 200)
	var page struct {
		Items []pickwave.OrderShipment `json:"items"`
	}
	r.decode(t, &page)
	if page.Items == nil || len(page.Items) != 0 {
		t.Fatalf("shipments of an empty store: %s", r.body)
	}
	mustStatus(t, e.json("GET", "/api/v1/shipments?status=lost", e.packer, nil), 400)
	mustStatus(t, e.json("GET", "/api/v1/shipments", e.pick, nil), 403)
	mustStatus(t, e.json("GET", "/api/v1/shipments/SH-0000000001", e.packer, nil), 404)
	mustStatus(t, e.json("POST", "/api/v1/shipments/SH-0000000001/packages/1/void", e.packer, map[string]string{"reason": "torn"}), 404)
	mustStatus(t, e.json("POST", "/api/v1/shipments/SH-0000000001/packages/x/reprint", e.packer, map[string]string{"reason": "smudged"}), 404)
	mustStatus(t, e.json("POST", "/api/v1/shipments/SH-0000000001/packages/1/reprint", e.packer, map[string]string{}), 400)
	mustStatus(t, e.json("POST", "/api/v1/dock/scan", e.packer, map[string]string{"data": "LP000000015US"}), 404)
	mustStatus(t, e.json("POST", "/api/v1/dock/scan", e.packer, map[string]string{"data": ""}), 400)
	mustStatus(t, e.json("POST", "/api/v1/dock/scan", e.pick, map[string]string{"data": "LP000000015US"}), 403)
	mustStatus(t, e.json("POST", "/api/v1/manifests", e.packer, nil), 409)
	mustStatus(t, e.json("POST", "/api/v1/manifests", e.pick, nil), 403)
	// Tracking is public.
	mustStatus(t, e.json("GET", "/api/v1/track/LP000000015US", "", nil), 404)
}

func TestPackRoutes_notSetUp(t *testing.T) {
	e := newEnv(t)
	mustStatus(t, e.json("GET", "/api/v1/stations/PACK-1/pack", e.admin, nil), 503)
	mustStatus(t, e.json("GET", "/api/v1/shipments", e.admin, nil), 503)
}
