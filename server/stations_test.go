package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/station"
	"github.com/pickwave/pickwave/store"
)

// waitLimit bounds every wait for a device or the print queue: generous,
// since the race detector and a busy machine slow everything down.
const waitLimit = 15 * time.Second

// stationEnv is a server with the station runtime on a real store behind
// a real listener. stop shuts it down as serve does. The runtime's own
// behaviour (devices, print worker, hub) is tested in package station, on
// simulated devices; these tests are about the routes.
type stationEnv struct {
	*env
	dir     string
	runtime *station.Runtime
	packer  string
	stop    func()
}

func newStationEnv(t *testing.T, dir string) *stationEnv {
	t.Helper()
	db := testenv.OpenStore(t, dir, store.Options{})
	st := &station.Runtime{Store: db, Logger: slog.New(slog.DiscardHandler), StatusInterval: 50 * time.Millisecond}
	s := testenv.Server(db, nil)
	s.Stations, s.PrintQueue, s.StationRuntime = db, db, st
	hs := httptest.NewServer(testenv.Checked(t, s.Handler()))
	ran := make(chan error, 1)
	go func() { ran <- st.Run(context.Background()) }()
	e := &stationEnv{env: &env{t: t, db: db, srv: hs}, dir: dir, runtime: st}
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			st.Close() // devices and websocket clients first, as serve does
			if err := <-ran; err != nil {
				t.Errorf("station runtime: %v", err)
			}
			hs.Close()
			if err := db.Close(); err != nil {
				t.Errorf("close store: %v", err)
			}
		})
	}
	t.Cleanup(e.stop)
	ctx := context.Background()
	e.admin, _ = db.MintToken(ctx, "ann", pickwave.RoleAdmin, time.Hour)
	e.super, _ = db.MintToken(ctx, "sue", pickwave.RoleSupervisor, time.Hour)
	e.pick, _ = db.MintToken(ctx, "pete", pickwave.RolePicker, time.Hour)
	e.packer, _ = db.MintToken(ctx, "pat", pickwave.RolePacker, time.Hour)
	return e
}

func (e *stationEnv) createStation(body map[string]any) {
	e.t.Helper()
	mustStatus(e.t, e.json("POST", "/api/v1/stations", e.admin, body), 201)
}

// stationView is GET /api/v1/stations/{id}.
type stationView struct {
	pickwave.Station
	State *pickwave.StationState `json:"state"`
}

func (e *stationEnv) station(id string) stationView {
	e.t.Helper()
	r := e.json("GET", "/api/v1/stations/"+id, e.packer, nil)
	mustStatus(e.t, r, 200)
	var v stationView
	r.decode(e.t, &v)
	return v
}

func (e *stationEnv) job(id string) pickwave.PrintJob {
	e.t.Helper()
	r := e.json("GET", "/api/v1/print-jobs/"+id, e.packer, nil)
	mustStatus(e.t, r, 200)
	var j pickwave.PrintJob
	r.decode(e.t, &j)
	return j
}

// testLabel queues a test label, with an idempotency key when key is set.
func (e *stationEnv) testLabel(id, key string, wantStatus int) pickwave.PrintJob {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/stations/"+id+"/test-label", nil)
	req.Header.Set("Authorization", "Bearer "+e.packer)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var j pickwave.PrintJob
	if res.StatusCode != wantStatus {
		e.t.Fatalf("test label: status %d, want %d", res.StatusCode, wantStatus)
	}
	if err := json.NewDecoder(res.Body).Decode(&j); err != nil {
		e.t.Fatal(err)
	}
	return j
}

// eventually polls cond until it holds, failing after waitLimit.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, waitLimit, what, cond)
}

func TestStations_API(t *testing.T) {
	e := newStationEnv(t, t.TempDir())
	body := map[string]any{"id": "PACK-1", "name": "Pack 1",
		"scanner": map[string]any{"port": "/dev/nonexistent-scanner", "baud": 9600, "suffix": "cr"},
		"scale":   nil, "printer": nil}

	// Roles: packers use stations, only admins configure them.
	mustStatus(t, e.json("POST", "/api/v1/stations", e.packer, body), 403)
	mustStatus(t, e.json("POST", "/api/v1/stations", e.super, body), 403)
	mustStatus(t, e.json("GET", "/api/v1/stations", e.pick, nil), 403)
	mustStatus(t, e.json("GET", "/api/v1/stations", "", nil), 401)
	mustStatus(t, e.json("GET", "/ws/station/PACK-1", "", nil), 401)
	mustStatus(t, e.json("GET", "/ws/station/PACK-1", e.pick, nil), 403)

	r := e.json("POST", "/api/v1/stations", e.admin, body)
	mustStatus(t, r, 201)
	var created stationView
	r.decode(t, &created)
	if created.ID != "PACK-1" || created.Scanner.Port != "/dev/nonexistent-scanner" || created.Scale != nil || created.CreatedAt.IsZero() {
		t.Fatalf("created %s", r.body)
	}
	mustStatus(t, e.json("POST", "/api/v1/stations", e.admin, body), 409)

	// The live state says the scanner is not there, and why.
	eventually(t, "the scanner reported offline", func() bool {
		st := e.station("PACK-1").State
		return st != nil && st.Scanner != nil && !st.Scanner.Online && st.Scanner.Error != "connecting" && st.Scale == nil && st.Printer == nil
	})

	// Validation names the fields.
	bad := map[string]any{"id": "PACK-2", "name": "",
		"scale": map[string]any{"port": "ttyUSB0", "protocol": "toledo", "baud": 9600, "data_bits": 8, "parity": "none"}}
	r = e.json("POST", "/api/v1/stations", e.admin, bad)
	mustErrorField(t, r, "invalid", "name")
	mustErrorField(t, r, "invalid", "scale.port")
	mustErrorField(t, r, "invalid", "scale.protocol")
	mustErrorField(t, e.json("POST", "/api/v1/stations", e.admin, `{"id": "X", "nmae": "typo"}`), "invalid", "nmae")

	// A GET body can be changed and PUT back; the path names the station.
	var v map[string]any
	e.json("GET", "/api/v1/stations/PACK-1", e.packer, nil).decode(t, &v)
	v["name"] = "Pack 1 (left)"
	r = e.json("PUT", "/api/v1/stations/PACK-1", e.admin, v)
	mustStatus(t, r, 200)
	if got := e.station("PACK-1"); got.Name != "Pack 1 (left)" || !got.CreatedAt.Equal(created.CreatedAt) {
		t.Fatalf("after PUT: %+v", got.Station)
	}
	v["id"] = "PACK-9"
	mustErrorField(t, e.json("PUT", "/api/v1/stations/PACK-1", e.admin, v), "invalid", "id")
	mustStatus(t, e.json("PUT", "/api/v1/stations/PACK-1", e.packer, v), 403)
	delete(v, "id")
	mustStatus(t, e.json("PUT", "/api/v1/stations/NOPE", e.admin, v), 404)

	var list struct {
		Items []stationView `json:"items"`
	}
	r = e.json("GET", "/api/v1/stations", e.packer, nil)
	mustStatus(t, r, 200)
	r.decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].State == nil {
		t.Fatalf("list %s", r.body)
	}
	mustStatus(t, e.json("GET", "/api/v1/stations/NOPE", e.packer, nil), 404)

	// Printing needs a printer.
	r = e.json("POST", "/api/v1/stations/PACK-1/test-label", e.packer, nil)
	mustStatus(t, r, 409)
	mustStatus(t, e.json("POST", "/api/v1/stations/NOPE/test-label", e.packer, nil), 404)
	mustStatus(t, e.json("GET", "/api/v1/stations/NOPE/print-jobs", e.packer, nil), 404)
	mustErrorField(t, e.json("GET", "/api/v1/print-jobs?status=lost", e.packer, nil), "invalid", "status")
	mustStatus(t, e.json("GET", "/api/v1/print-jobs/J-0000000001", e.packer, nil), 404)
	mustStatus(t, e.json("POST", "/api/v1/print-jobs/J-0000000001/reprint", e.packer, nil), 404)
}

// unreachablePrinter is a printer URI nothing answers on: jobs for it
// stay queued, which is all the routes need.
const unreachablePrinter = "tcp://127.0.0.1:1?timeout=100ms"

// TestStations_PrinterURIRefused checks that a printer URI that would not
// open is refused when stored, naming printer.uri: the API and the
// printer read URIs with one parser.
func TestStations_PrinterURIRefused(t *testing.T) {
	e := newStationEnv(t, t.TempDir())
	for _, uri := range []string{
		"tcp://10.0.5.21?timeout=abc", "tcp://10.0.5.21?status=maybe", "serial:///dev/ttyUSB0?baud=fast",
		"serial:///dev/ttyUSB0?parity=sometimes", "tcp://:9100", "lpt://x",
	} {
		t.Run(uri, func(t *testing.T) {
			body := map[string]any{"id": "PACK-1", "name": "Pack 1", "printer": map[string]any{"uri": uri, "dpi": 203}}
			r := e.json("POST", "/api/v1/stations", e.admin, body)
			mustStatus(t, r, 400)
			mustErrorField(t, r, "invalid", "printer.uri")
		})
	}
	body := map[string]any{"id": "PACK-1", "name": "Pack 1", "printer": map[string]any{"uri": "tcp://10.0.5.21?timeout=500ms&status=on", "dpi": 203}}
	mustStatus(t, e.json("POST", "/api/v1/stations", e.admin, body), 201)
	body["printer"] = map[string]any{"uri": "tcp://10.0.5.21?timeout=soon", "dpi": 203}
	mustErrorField(t, e.json("PUT", "/api/v1/stations/PACK-1", e.admin, body), "invalid", "printer.uri")
}

// TestStations_TestLabelIdempotent queues a test label twice with one
// idempotency key, in the header and in the body: one job. A reprint
// waits until the job is done, then is a new job. (That each job prints
// once is the print worker's, tested in package station.)
func TestStations_TestLabelIdempotent(t *testing.T) {
	e := newStationEnv(t, t.TempDir())
	e.createStation(map[string]any{"id": "PACK-1", "name": "Pack PACK-1", "printer": map[string]any{"uri": unreachablePrinter, "dpi": 203}})

	j := e.testLabel("PACK-1", "req-42", 201)
	again := e.testLabel("PACK-1", "req-42", 200)
	if again.ID != j.ID || j.Kind != "test" || !strings.Contains(j.ZPL, "Pack PACK-1") || j.Status != pickwave.PrintQueued {
		t.Fatalf("jobs %s and %s, status %s, zpl %q", j.ID, again.ID, j.Status, j.ZPL)
	}
	// The same key in the body, and a mismatch.
	r := e.json("POST", "/api/v1/stations/PACK-1/test-label", e.packer, map[string]any{"request_id": "req-42"})
	mustStatus(t, r, 200)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/stations/PACK-1/test-label", strings.NewReader(`{"request_id": "other"}`))
	req.Header.Set("Authorization", "Bearer "+e.packer)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "req-42")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Fatalf("key mismatch: %d", res.StatusCode)
	}
	mustErrorField(t, e.json("POST", "/api/v1/stations/PACK-1/test-label", e.packer, map[string]any{"request_id": "has space"}), "invalid", "request_id")

	// A job still queued is not reprinted; a cancelled one is, as a new job.
	mustStatus(t, e.json("POST", "/api/v1/print-jobs/"+j.ID+"/reprint", e.packer, nil), 409)
	r = e.json("POST", "/api/v1/print-jobs/"+j.ID+"/cancel", e.packer, nil)
	mustStatus(t, r, 200)
	if got := e.job(j.ID); got.Status != pickwave.PrintCancelled {
		t.Fatalf("cancelled job %+v", got)
	}
	r = e.json("POST", "/api/v1/print-jobs/"+j.ID+"/reprint", e.packer, nil)
	mustStatus(t, r, 201)
	var rp pickwave.PrintJob
	r.decode(t, &rp)
	if rp.ReprintOf != j.ID || rp.ID == j.ID || rp.Status != pickwave.PrintQueued {
		t.Fatalf("reprint %+v", rp)
	}

	var page struct {
		Items []pickwave.PrintJob `json:"items"`
	}
	r = e.json("GET", "/api/v1/stations/PACK-1/print-jobs", e.packer, nil)
	mustStatus(t, r, 200)
	r.decode(t, &page)
	if len(page.Items) != 2 || page.Items[0].ID != rp.ID || page.Items[1].ID != j.ID {
		t.Fatalf("jobs %s", r.body)
	}
	r = e.json("GET", "/api/v1/print-jobs?limit=1", e.super, nil)
	mustStatus(t, r, 200)
	if !strings.Contains(string(r.body), `"next":"`+rp.ID+`"`) {
		t.Fatalf("first page of one: %s", r.body)
	}
	r = e.json("GET", "/api/v1/print-jobs?status=cancelled", e.super, nil)
	mustStatus(t, r, 200)
	r.decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != j.ID {
		t.Fatalf("cancelled jobs %s", r.body)
	}
	// The runtime shows the station's printer and its queue.
	eventually(t, "the queue in the state", func() bool {
		p := e.station("PACK-1").State.Printer
		return p != nil && p.Device == unreachablePrinter && p.Queued == 1 && !p.Online
	})
}

func dialStation(t testing.TB, e *stationEnv, id, token string) *testenv.StationSocket {
	t.Helper()
	return testenv.DialStation(t, e.srv.URL, id, http.Header{"Authorization": {"Bearer " + token}})
}
