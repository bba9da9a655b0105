package server_test

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
)

// waitLimit bounds every wait for a device or the print queue: generous,
// since the race detector and a busy machine slow everything down.
const waitLimit = 15 * time.Second

// stationEnv is a server with the station runtime on a real store behind
// a real listener. stop shuts it down as serve does; a new stationEnv on
// the same dir is the restarted server.
type stationEnv struct {
	*env
	dir      string
	stations *server.Stations
	packer   string
	stop     func()
}

func newStationEnv(t *testing.T, dir string) *stationEnv {
	t.Helper()
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	st := &server.Stations{Store: db, Logger: slog.New(slog.DiscardHandler),
		StatusInterval: 50 * time.Millisecond,
		PrintBackoff:   device.Backoff{Min: 20 * time.Millisecond, Max: 100 * time.Millisecond},
		DeviceBackoff:  device.Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}}
	s := &server.Server{Inventory: db, Orders: db, Events: db, Users: db,
		StationStore: db, PrintQueue: db, Stations: st, Logger: slog.New(slog.DiscardHandler)}
	hs := httptest.NewServer(s.Handler())
	ran := make(chan error, 1)
	go func() { ran <- st.Run(context.Background()) }()
	e := &stationEnv{env: &env{t: t, db: db, srv: hs}, dir: dir, stations: st}
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			st.Close() // devices and websocket clients first, as serve does
			if err := <-ran; err != nil {
				t.Errorf("Stations.Run: %v", err)
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

// body is the JSON of a station on these devices.
func (s *stationSims) body(id string) map[string]any {
	return map[string]any{
		"id": id, "name": "Pack " + id,
		"scanner": map[string]any{"port": s.scanner.Path(), "baud": 9600, "suffix": "cr"},
		"scale":   map[string]any{"port": s.scale.Path(), "protocol": "mt-sics", "baud": 9600, "data_bits": 8, "parity": "none"},
		"printer": map[string]any{"uri": s.printer.URI(), "dpi": 203},
	}
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
	deadline := time.Now().Add(waitLimit)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitLimit, what)
		}
		<-tick.C
	}
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

// TestStations_TestLabelPrintedOnce queues a test label twice with one
// idempotency key: one job, one label at the printer.
func TestStations_TestLabelPrintedOnce(t *testing.T) {
	e := newStationEnv(t, t.TempDir())
	sims := newStationSims(t)
	e.createStation(sims.body("PACK-1"))

	j := e.testLabel("PACK-1", "req-42", 201)
	again := e.testLabel("PACK-1", "req-42", 200)
	if again.ID != j.ID || j.Kind != "test" || !strings.Contains(j.ZPL, "Pack PACK-1") {
		t.Fatalf("jobs %s and %s, zpl %q", j.ID, again.ID, j.ZPL)
	}
	// The same key in the body, and a mismatch.
	r := e.json("POST", "/api/v1/stations/PACK-1/test-label", e.packer, map[string]any{"request_id": "req-42"})
	mustStatus(t, r, 200)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/stations/PACK-1/test-label", strings.NewReader(`{"request_id": "other"}`))
	req.Header.Set("Authorization", "Bearer "+e.packer)
	req.Header.Set("Idempotency-Key", "req-42")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Fatalf("key mismatch: %d", res.StatusCode)
	}

	eventually(t, "the test label printed", func() bool { return e.job(j.ID).Status == pickwave.PrintPrinted })
	if n := len(sims.printer.Labels()); n != 1 {
		t.Fatalf("%d labels at the printer", n)
	}
	if got := string(sims.printer.Labels()[0]); got != strings.TrimSpace(j.ZPL) {
		t.Fatalf("printer got %q, want the job's ZPL", got)
	}

	// A reprint is a new job; the worker takes jobs one by one, so once the
	// reprint is out the printer holds exactly two labels.
	r = e.json("POST", "/api/v1/print-jobs/"+j.ID+"/reprint", e.packer, nil)
	mustStatus(t, r, 201)
	var rp pickwave.PrintJob
	r.decode(t, &rp)
	if rp.ReprintOf != j.ID || rp.ID == j.ID {
		t.Fatalf("reprint %+v", rp)
	}
	eventually(t, "the reprint printed", func() bool { return e.job(rp.ID).Status == pickwave.PrintPrinted })
	if n := len(sims.printer.Labels()); n != 2 {
		t.Fatalf("%d labels at the printer, want 2", n)
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
	r = e.json("GET", "/api/v1/print-jobs?status=printed&limit=1", e.super, nil)
	mustStatus(t, r, 200)
	if !strings.Contains(string(r.body), `"next":"`+rp.ID+`"`) {
		t.Fatalf("first page of one: %s", r.body)
	}
}

// TestStations_PrinterOfflineThenBack queues a label while the printer is
// off: the job waits, with its attempts counted, and prints exactly once
// when the printer comes back.
func TestStations_PrinterOfflineThenBack(t *testing.T) {
	e := newStationEnv(t, t.TempDir())
	sims := newStationSims(t)
	if err := sims.printer.SetOnline(false); err != nil {
		t.Fatal(err)
	}
	e.createStation(sims.body("PACK-1"))
	j := e.testLabel("PACK-1", "", 201)

	eventually(t, "a few failed attempts", func() bool { return e.job(j.ID).Attempts >= 3 })
	got := e.job(j.ID)
	if got.Status != pickwave.PrintQueued || !strings.Contains(got.LastError, "refused") {
		t.Fatalf("job while offline: %+v", got)
	}
	st := e.station("PACK-1").State.Printer
	if st.Online || st.State != "offline" || st.Queued != 1 {
		t.Fatalf("printer state while offline: %+v", st)
	}

	if err := sims.printer.SetOnline(true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the label printed", func() bool { return e.job(j.ID).Status == pickwave.PrintPrinted })
	second := e.testLabel("PACK-1", "", 201)
	eventually(t, "a second label printed", func() bool { return e.job(second.ID).Status == pickwave.PrintPrinted })
	if n := len(sims.printer.Labels()); n != 2 {
		t.Fatalf("%d labels at the printer, want 2: the first printed once", n)
	}
	eventually(t, "the printer shown ready, nothing queued", func() bool {
		p := e.station("PACK-1").State.Printer
		return p.Online && p.Ready && p.Queued == 0
	})
}

// TestStations_PaperOut shows paper out in the state; a label queued
// meanwhile waits and prints once the paper is back.
func TestStations_PaperOut(t *testing.T) {
	e := newStationEnv(t, t.TempDir())
	sims := newStationSims(t)
	e.createStation(sims.body("PACK-1"))
	eventually(t, "the printer ready", func() bool {
		p := e.station("PACK-1").State.Printer
		return p != nil && p.Ready
	})
	sims.printer.SetPaperOut(true)
	eventually(t, "paper out in the state", func() bool {
		p := e.station("PACK-1").State.Printer
		return p.Online && !p.Ready && p.State == "paper out" && fmt.Sprint(p.Problems) == "[paper out]"
	})
	j := e.testLabel("PACK-1", "", 201)
	eventually(t, "an attempt", func() bool { return e.job(j.ID).Attempts >= 1 })
	if got := e.job(j.ID); got.Status != pickwave.PrintQueued || !strings.Contains(got.LastError, "paper out") {
		t.Fatalf("job with paper out: %+v", got)
	}
	if n := len(sims.printer.Labels()) + sims.printer.Held(); n != 0 {
		t.Fatalf("%d labels reached a printer without paper", n)
	}
	sims.printer.SetPaperOut(false)
	eventually(t, "printed after the paper is back", func() bool { return e.job(j.ID).Status == pickwave.PrintPrinted })
	if n := len(sims.printer.Labels()); n != 1 {
		t.Fatalf("%d labels", n)
	}
}

// TestStations_CrashBeforeAckLosesNoJob stops the whole server while a job
// waits for an offline printer (it is written, not acknowledged by the
// printer), opens the data again, and brings the printer back: the job
// prints exactly once. A job the stopped server left sending, whose label
// may or may not have come out, is held as failed instead of sent again.
func TestStations_CrashBeforeAckLosesNoJob(t *testing.T) {
	dir := t.TempDir()
	sims := newStationSims(t)
	sims.printer.SetOnline(false)
	e := newStationEnv(t, dir)
	e.createStation(sims.body("PACK-1"))
	j := e.testLabel("PACK-1", "k1", 201)
	eventually(t, "an attempt on the offline printer", func() bool { return e.job(j.ID).Attempts >= 1 })
	// A second job as a crash mid-send leaves it.
	mid, _, err := e.db.EnqueuePrint(context.Background(), &pickwave.PrintJob{StationID: "PACK-1", Kind: "test", ZPL: "^XA^FDmid-send^FS^XZ"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.MarkPrintSending(context.Background(), mid.ID); err != nil {
		t.Fatal(err)
	}
	e.stop()

	e = newStationEnv(t, dir)
	if got := e.job(j.ID); got.Status != pickwave.PrintQueued {
		t.Fatalf("after restart the job is %s", got.Status)
	}
	eventually(t, "the interrupted job held", func() bool { return e.job(mid.ID).Status == pickwave.PrintFailed })
	if got := e.job(mid.ID); got.LastError != store.InterruptedReason {
		t.Fatalf("interrupted job: %+v", got)
	}
	// The client retries its request after the restart: still one job.
	if again := e.testLabel("PACK-1", "k1", 200); again.ID != j.ID {
		t.Fatalf("retry after restart made job %s", again.ID)
	}
	sims.printer.SetOnline(true)
	eventually(t, "printed after the restart", func() bool { return e.job(j.ID).Status == pickwave.PrintPrinted })
	flush := e.testLabel("PACK-1", "", 201)
	eventually(t, "a later label printed", func() bool { return e.job(flush.ID).Status == pickwave.PrintPrinted })
	labels := sims.printer.Labels()
	if len(labels) != 2 || !strings.Contains(string(labels[0]), "Pack PACK-1") {
		t.Fatalf("printer got %d labels, want the queued one once and the later one", len(labels))
	}
}

// TestStations_PutNewScalePortTakesEffect moves a station's scale to
// another port while serving: the old scale is let go, the new one read,
// and the scanner, whose configuration did not change, keeps running.
func TestStations_PutNewScalePortTakesEffect(t *testing.T) {
	e := newStationEnv(t, t.TempDir())
	sims := newStationSims(t)
	body := sims.body("PACK-1")
	e.createStation(body)
	ws := dialStation(t, e, "PACK-1", e.packer)
	sims.scale.SetWeight(250)
	ws.await("250 g from the first scale", func(m stationMessage) bool {
		return m.State != nil && m.State.Scale != nil && m.State.Scale.WeightG == 250 && m.State.Scale.Stable
	})
	scannerSince := e.station("PACK-1").State.Scanner.Since

	other, err := device.NewScaleSim(filepath.Join(t.TempDir(), "scale-2"), device.ScaleSimConfig{Protocol: device.ProtocolMTSICS})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetWeight(777)
	body["scale"].(map[string]any)["port"] = other.Path()
	mustStatus(t, e.json("PUT", "/api/v1/stations/PACK-1", e.admin, body), 200)
	ws.await("777 g from the new scale", func(m stationMessage) bool {
		return m.State != nil && m.State.Scale != nil && m.State.Scale.Device == other.Path() && m.State.Scale.WeightG == 777
	})
	sims.scale.SetWeight(999) // the old scale is no longer read
	other.SetWeight(778)
	ws.await("778 g", func(m stationMessage) bool {
		return m.State != nil && m.State.Scale.WeightG == 778
	})
	st := e.station("PACK-1").State
	if !st.Scanner.Online || !st.Scanner.Since.Equal(scannerSince) || st.Scale.WeightG != 778 {
		t.Fatalf("after PUT: scanner %+v, scale %+v", st.Scanner, st.Scale)
	}
}

// stationMessage is any message of /ws/station/{id}.
type stationMessage struct {
	Type  string                 `json:"type"`
	Seq   uint64                 `json:"seq"`
	State *pickwave.StationState `json:"state"`
	Scan  *pickwave.StationScan  `json:"scan"`
	at    time.Time              // when the client read it
}

// stationSocket is a websocket client of one station that reads every
// message into a channel and checks sequence numbers only grow.
type stationSocket struct {
	t    testing.TB
	conn *websocket.Conn
	msgs chan stationMessage
	done chan struct{}
}

func dialStation(t testing.TB, e *stationEnv, id, token string) *stationSocket {
	t.Helper()
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws/station/" + id
	conn, res, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", url, err, res)
	}
	ws := &stationSocket{t: t, conn: conn, msgs: make(chan stationMessage, 4096), done: make(chan struct{})}
	go func() {
		defer close(ws.done)
		defer close(ws.msgs)
		var last uint64
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var m stationMessage
			if err := json.Unmarshal(data, &m); err != nil {
				t.Errorf("station message %s: %v", data, err)
				return
			}
			m.at = time.Now()
			if m.Seq <= last && last != 0 {
				t.Errorf("seq %d after %d", m.Seq, last)
			}
			last = m.Seq
			ws.msgs <- m
		}
	}()
	t.Cleanup(ws.close)
	return ws
}

func (ws *stationSocket) close() {
	ws.conn.Close()
	<-ws.done
}

// await reads messages until one matches.
func (ws *stationSocket) await(what string, match func(stationMessage) bool) stationMessage {
	ws.t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		select {
		case m, ok := <-ws.msgs:
			if !ok {
				ws.t.Fatalf("socket closed waiting for %s", what)
			}
			if match(m) {
				return m
			}
		case <-deadline.C:
			ws.t.Fatalf("timed out after %v waiting for %s", waitLimit, what)
		}
	}
}
