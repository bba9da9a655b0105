package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/carrier"
	"github.com/pickwave/pickwave/internal/testenv"
)

// packEnv is `pickwave serve --demo` in the test's process: the demo
// warehouse, its pack station PACK-1 with a scanner and a scale on
// pseudo-terminals and a printer on a loopback port.
type packEnv struct {
	t      *testing.T
	m      *Main
	base   string
	tokens map[pickwave.Role]string
	totes  int
}

func newPackEnv(t *testing.T, configure ...func(*Config)) *packEnv {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr, cfg.Data, cfg.Demo = "127.0.0.1:0", t.TempDir(), true
	for _, fn := range configure {
		fn(&cfg)
	}
	m := &Main{Config: cfg, Logger: quiet()}
	if err := m.Open(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	e := &packEnv{t: t, m: m, base: "http://" + m.Server.Addr(), tokens: map[pickwave.Role]string{}}
	for _, r := range []pickwave.Role{pickwave.RolePacker, pickwave.RoleSupervisor} {
		tok, err := m.DB.MintToken(context.Background(), "pat-"+string(r), r, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[r] = tok
	}
	testenv.Eventually(t, 15*time.Second, "the demo station's devices online", func() bool {
		st, ok := m.StationRuntime.State(demoStation)
		return ok && st.Scanner != nil && st.Scanner.Online && st.Scale != nil && st.Scale.Online && st.Printer != nil && st.Printer.Ready
	})
	return e
}

// call sends a JSON request as role ("" for none) and decodes the answer
// into v; it returns the status.
func (e *packEnv) call(role pickwave.Role, method, path string, body, v any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, e.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, data, err)
		}
	}
	return res.StatusCode
}

func (e *packEnv) mustCall(role pickwave.Role, method, path string, body, v any) {
	e.t.Helper()
	var raw json.RawMessage
	if st := e.call(role, method, path, body, &raw); st >= 300 {
		e.t.Fatalf("%s %s: %d %s", method, path, st, raw)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			e.t.Fatal(err)
		}
	}
}

// pickOrder plans a wave of one order and picks it into a new tote; it
// returns the order and the tote.
func (e *packEnv) pickOrder() (*pickwave.Order, string) {
	e.t.Helper()
	ctx := pickwave.WithActor(context.Background(), "sue")
	db := e.m.DB
	w, err := db.PlanWave(ctx, pickwave.WaveTemplate{MaxOrders: 1, TotesPerCart: 1}, 1)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := db.ReleaseWave(ctx, w.ID); err != nil {
		e.t.Fatal(err)
	}
	e.totes++
	tote := fmt.Sprintf("TOTE-E2E-%d", e.totes)
	picker := "picker1"
	p, err := db.TakeCart(ctx, picker)
	if err != nil {
		e.t.Fatal(err)
	}
	for n := 0; !p.Done; n++ {
		if n > 500 {
			e.t.Fatal("the cart never finishes")
		}
		var data string
		switch p.Step {
		case pickwave.StepBindTote, pickwave.StepTote:
			data = tote
		case pickwave.StepLocation:
			data = p.Task.Location
		case pickwave.StepItem:
			data = e.barcode(p.Task.SKU)
		}
		res, err := db.Scan(ctx, picker, pickwave.ScanRequest{ID: fmt.Sprintf("%s-%d", tote, n), Device: "test", Data: data})
		if err != nil || res.Verdict.Code != "ok" {
			e.t.Fatalf("pick scan %q at %s: %+v %v", data, p.Step, res, err)
		}
		p = &res.Prompt
	}
	o, err := db.Order(ctx, w.Orders[0])
	if err != nil || o.Status != pickwave.OrderPicked {
		e.t.Fatalf("order after picking: %+v %v", o, err)
	}
	return o, tote
}

// barcode is a single-unit barcode of the SKU.
func (e *packEnv) barcode(sku string) string {
	e.t.Helper()
	s, err := e.m.DB.SKU(context.Background(), sku)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, b := range s.Barcodes {
		if b.Qty == 1 {
			return b.Code
		}
	}
	e.t.Fatalf("SKU %s has no unit barcode", sku)
	return ""
}

// session is the demo station's pack session as the API reports it.
func (e *packEnv) session() *pickwave.PackSession {
	e.t.Helper()
	var s pickwave.PackSession
	e.mustCall(pickwave.RolePacker, "GET", "/api/v1/stations/"+demoStation+"/pack", nil, &s)
	return &s
}

// awaitStep waits until the session is at step.
func (e *packEnv) awaitStep(step pickwave.PackStep) *pickwave.PackSession {
	e.t.Helper()
	var s *pickwave.PackSession
	testenv.Eventually(e.t, 10*time.Second, "pack step "+string(step), func() bool {
		s = e.session()
		return s.Step == step
	})
	return s
}

// scanAll scans every item left with the station's scanner; the package
// is then weighed.
func (e *packEnv) scanAll(o *pickwave.Order) *pickwave.PackSession {
	e.t.Helper()
	sc := e.m.demo.scanner
	for _, l := range o.Lines {
		for range l.Picked {
			if err := sc.Scan(e.barcode(l.SKU)); err != nil {
				e.t.Fatal(err)
			}
		}
	}
	return e.awaitStep(pickwave.PackWeigh)
}

// events returns the events of the type since seq.
func (e *packEnv) events(typ string, after uint64) []*pickwave.Event {
	e.t.Helper()
	evs, err := e.m.DB.Events(context.Background(), after, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*pickwave.Event
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// startOrder picks an order, signs the packer in and brings the order
// to the bench by scanning its tote.
func (e *packEnv) startOrder() *pickwave.Order {
	e.t.Helper()
	o, tote := e.pickOrder()
	e.mustCall(pickwave.RolePacker, "POST", "/api/v1/stations/"+demoStation+"/pack/sign-in", nil, nil)
	if err := e.m.demo.scanner.Scan(tote); err != nil {
		e.t.Fatal(err)
	}
	s := e.awaitStep(pickwave.PackScan)
	if s.OrderID != o.ID {
		e.t.Fatalf("bench holds %s, want %s", s.OrderID, o.ID)
	}
	return o
}

// TestPack_endToEnd packs a picked tote at the demo station: its items
// are verified (a wrong one refused and recorded), the weight comes from
// the simulated scale through a pty, and the label reaches the loopback
// printer with the tracking number the API reports; the order reads
// packed, then shipped after a dock scan, and the public tracking shows
// its status without a name or an address.
func TestPack_endToEnd(t *testing.T) {
	e := newPackEnv(t)
	o := e.startOrder()
	seq, _ := e.m.DB.LastSeq(context.Background())

	// A product that is not in the order, typed: refused, recorded.
	wrong := ""
	for _, code := range []string{"SKU-0001", "SKU-0002", "SKU-0003", "SKU-0004"} {
		if s, err := e.m.DB.SKU(context.Background(), code); err == nil && !inOrder(o, s.Code) {
			wrong = e.barcode(s.Code)
			break
		}
	}
	if wrong == "" {
		skus, _ := e.m.DB.SKUs(context.Background(), "", 20)
		for _, s := range skus {
			if !inOrder(o, s.Code) {
				wrong = e.barcode(s.Code)
				break
			}
		}
	}
	var res pickwave.PackScanResult
	e.mustCall(pickwave.RolePacker, "POST", "/api/v1/stations/"+demoStation+"/pack/scan",
		pickwave.PackScanRequest{ID: "wrong-1", Data: wrong}, &res)
	if res.Verdict.Code != pickwave.PackWrong || !strings.Contains(res.Verdict.Message, "Wrong item") {
		t.Fatalf("wrong item: %+v", res.Verdict)
	}
	// The same scan id again is answered from record, recorded once.
	e.mustCall(pickwave.RolePacker, "POST", "/api/v1/stations/"+demoStation+"/pack/scan",
		pickwave.PackScanRequest{ID: "wrong-1", Data: wrong}, &res)
	if res.Verdict.Code != pickwave.PackWrong {
		t.Fatalf("retried scan: %+v", res.Verdict)
	}
	if n := len(e.events(pickwave.EventMispickAtPack, seq)); n != 1 {
		t.Fatalf("%d mispick events, want 1", n)
	}

	s := e.scanAll(o)
	if s.ExpectedG <= 0 || s.Carton == nil {
		t.Fatalf("session to weigh: %+v", s)
	}
	e.m.demo.scale.SetWeight(float64(s.ExpectedG))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.m.demo.printer.WaitLabels(ctx, 1); err != nil {
		t.Fatalf("no label at the printer: %v", err)
	}
	zpl := string(e.m.demo.printer.Labels()[0])

	var list struct {
		Items []pickwave.OrderShipment `json:"items"`
	}
	e.mustCall(pickwave.RolePacker, "GET", "/api/v1/shipments?order_id="+o.ID, nil, &list)
	if len(list.Items) != 1 || len(list.Items[0].Packages) != 1 {
		t.Fatalf("shipments of %s: %+v", o.ID, list.Items)
	}
	sh := list.Items[0]
	pk := sh.Packages[0]
	if err := carrier.ValidS10(pk.TrackingNumber); err != nil {
		t.Fatalf("tracking number %s: %v", pk.TrackingNumber, err)
	}
	if !strings.Contains(zpl, pk.TrackingNumber) {
		t.Fatalf("the printed ZPL does not hold tracking number %s:\n%s", pk.TrackingNumber, zpl)
	}
	if sh.Status != pickwave.ShipmentPacked || !pk.Weighed || pk.WeightG != s.ExpectedG || pk.SSCC == "" {
		t.Fatalf("shipment %+v", sh)
	}
	var order pickwave.Order
	e.mustCall(pickwave.RoleSupervisor, "GET", "/api/v1/orders/"+o.ID, nil, &order)
	if order.Status != pickwave.OrderPacked {
		t.Fatalf("order %s is %s, want packed", o.ID, order.Status)
	}
	packed := e.events(pickwave.EventOrderPacked, seq)
	if len(packed) != 1 {
		t.Fatalf("%d order.packed events", len(packed))
	}
	var payload pickwave.ShipmentEventPayload
	if err := json.Unmarshal(packed[0].Payload, &payload); err != nil || payload.ShipmentID != sh.ID || payload.OrderID != o.ID ||
		payload.Packages != 1 || payload.Carrier != "local" || payload.Service == "" ||
		len(payload.TrackingNumbers) != 1 || payload.TrackingNumbers[0] != pk.TrackingNumber || len(payload.TrackingURLs) != 1 {
		t.Fatalf("order.packed payload %s: %v", packed[0].Payload, err)
	}

	// The dock scans the label: shipped.
	var dock struct {
		Shipment pickwave.OrderShipment `json:"shipment"`
	}
	e.mustCall(pickwave.RolePacker, "POST", "/api/v1/dock/scan", map[string]string{"data": pk.TrackingNumber}, &dock)
	if dock.Shipment.Status != pickwave.ShipmentShipped {
		t.Fatalf("after the dock scan: %+v", dock.Shipment)
	}
	e.mustCall(pickwave.RoleSupervisor, "GET", "/api/v1/orders/"+o.ID, nil, &order)
	var steps []string
	for _, c := range order.Timeline {
		steps = append(steps, string(c.Status))
	}
	if order.Status != pickwave.OrderShipped || !strings.HasSuffix(strings.Join(steps, ","), "picked,packed,shipped") {
		t.Fatalf("order %s: %s, timeline %v", o.ID, order.Status, steps)
	}

	// Anyone may track it, and learns nothing personal.
	var raw json.RawMessage
	if st := e.call("", "GET", "/api/v1/track/"+pk.TrackingNumber, nil, &raw); st != http.StatusOK {
		t.Fatalf("track: %d %s", st, raw)
	}
	var tr pickwave.Tracking
	json.Unmarshal(raw, &tr)
	if tr.Status != pickwave.PackageShipped || len(tr.Events) != 2 {
		t.Fatalf("tracking %s", raw)
	}
	for _, private := range []string{o.ShipTo.Name, o.ShipTo.Address1, o.ShipTo.City, o.Customer.Name, o.ID} {
		if private != "" && strings.Contains(string(raw), private) {
			t.Fatalf("tracking shows %q: %s", private, raw)
		}
	}
	if st := e.call("", "GET", "/api/v1/track/LP000000000US", nil, nil); st != http.StatusNotFound {
		t.Fatalf("unknown tracking number: %d", st)
	}
}

func inOrder(o *pickwave.Order, sku string) bool {
	for _, l := range o.Lines {
		if l.SKU == sku {
			return true
		}
	}
	return false
}
