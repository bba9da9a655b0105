package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/carrier"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
	"github.com/pickwave/pickwave/webhook"
)

// packEnv is `pickwave serve --demo` in the test's process: the demo
// warehouse, its pack station PACK-1 with a scanner and a scale on
// pseudo-terminals and a printer on a loopback port.
type packEnv struct {
	t      testing.TB
	m      *Main
	base   string
	tokens map[pickwave.Role]string
	totes  int
}

// newPackEnv seeds a demo site with the given number of orders.
func newPackEnv(t testing.TB, orders int) *packEnv {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr, cfg.Data, cfg.Demo = "127.0.0.1:0", t.TempDir(), true
	// A smaller site than --demo's seeds in a fraction of the time.
	site := demo.DefaultSite(time.Now())
	site.Aisles, site.Bays, site.SKUs, site.Orders = 4, 8, 60, orders
	m := &Main{Config: cfg, Logger: quiet(), demoSite: &site}
	if err := m.Open(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		// Every invariant of the store, shipments and pack benches included.
		if err := store.CheckFile(cfg.Data); err != nil {
			t.Errorf("store after the test: %v", err)
		}
	})
	e := &packEnv{t: t, m: m, base: "http://" + m.Server.Addr(), tokens: map[pickwave.Role]string{}}
	for _, r := range []pickwave.Role{pickwave.RolePacker, pickwave.RoleSupervisor, pickwave.RoleAdmin} {
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

// raw GETs path as role and returns the body, which must have the content type.
func (e *packEnv) raw(role pickwave.Role, path, contentType string) []byte {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != contentType {
		e.t.Fatalf("GET %s: %d %s: %.200s", path, res.StatusCode, res.Header.Get("Content-Type"), data)
	}
	return data
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
	sc := e.m.demo.benches[demoStation].scanner
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

// startOrder picks an order (the first of at least minUnits units),
// signs the packer in and brings the order to the bench by scanning its
// tote.
func (e *packEnv) startOrder(minUnits ...int) *pickwave.Order {
	e.t.Helper()
	o, tote := e.pickOrder()
	for len(minUnits) > 0 && units(o) < minUnits[0] {
		o, tote = e.pickOrder()
	}
	e.mustCall(pickwave.RolePacker, "POST", "/api/v1/stations/"+demoStation+"/pack/sign-in", nil, nil)
	if err := e.m.demo.benches[demoStation].scanner.Scan(tote); err != nil {
		e.t.Fatal(err)
	}
	s := e.awaitStep(pickwave.PackScan)
	if s.OrderID != o.ID {
		e.t.Fatalf("bench holds %s, want %s", s.OrderID, o.ID)
	}
	return o
}

// TestPack packs a picked tote at the demo station: its items
// are verified (a wrong one refused and recorded), the weight comes from
// the simulated scale through a pty, and the label reaches the loopback
// printer with the tracking number the API reports; the order reads
// packed, then shipped after a dock scan, and the public tracking shows
// its status without a name or an address.
//
// The pack tests share one demo server, whose seeding is most of their
// time; each works its own order.
func TestPack(t *testing.T) {
	t.Parallel()
	e := newPackEnv(t, 40)
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, e *packEnv)
	}{
		{"end to end", packEndToEnd},
		{"weight inside the tolerance", packWeightInside},
		{"weight outside blocks until re-weighed", packWeightOutside},
		{"unstable weight ignored", packWeightUnstable},
		{"override recorded", packOverride},
		{"several packages, reprint and void", packPackages},
		{"station without a scale", packNoScale},
		{"scans over the station socket", packSocket},
		{"manifest ships the packed packages", packManifest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.m.demo.benches[demoStation].scale.SetMotion(false)
			e.m.demo.benches[demoStation].scale.SetWeight(0) // the scale is empty between orders
			// An order a failed case left on the bench is put aside.
			e.call(pickwave.RolePacker, "POST", "/api/v1/stations/"+demoStation+"/pack/set-aside", nil, nil)
			tc.fn(t, e)
		})
	}
}

func packEndToEnd(t *testing.T, e *packEnv) {
	// The shop's webhook receiver, which checks every signature.
	hooks := &hookReceiver{t: t}
	receiver := httptest.NewServer(hooks)
	defer receiver.Close()
	var hook pickwave.Webhook
	e.mustCall(pickwave.RoleAdmin, "POST", "/api/v1/webhooks", map[string]any{
		"url": receiver.URL, "event_types": []string{"order.packed", "order.shipped"}}, &hook)
	hooks.setSecret(hook.Secret)

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
	e.m.demo.benches[demoStation].scale.SetWeight(float64(s.ExpectedG))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.m.demo.benches[demoStation].printer.WaitLabels(ctx, 1); err != nil {
		t.Fatalf("no label at the printer: %v", err)
	}
	zpl := string(e.m.demo.benches[demoStation].printer.Labels()[0])

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

	// The label's preview and the packing slip.
	png := e.raw(pickwave.RolePacker, "/api/v1/shipments/"+sh.ID+"/packages/1/label", "image/png")
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n")) {
		t.Fatalf("label preview is no PNG: %.20q", png)
	}
	slip := string(e.raw(pickwave.RolePacker, "/api/v1/orders/"+o.ID+"/packing-slip", "text/html; charset=utf-8"))
	if !strings.Contains(slip, o.ID) || !strings.Contains(slip, "data:image/png;base64,") {
		t.Fatalf("packing slip:\n%s", slip)
	}
	for _, l := range s.Lines {
		if !strings.Contains(slip, l.SKU) {
			t.Fatalf("packing slip lacks %s:\n%s", l.SKU, slip)
		}
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

	// The shop heard of both, signed, the shipped one with the tracking
	// number and its URL.
	testenv.Eventually(t, 15*time.Second, "order.packed and order.shipped delivered to the shop", func() bool {
		return hooks.got("order.packed", o.ID) != nil && hooks.got("order.shipped", o.ID) != nil
	})
	shipped := hooks.got("order.shipped", o.ID)
	if len(shipped.Data.TrackingNumbers) != 1 || shipped.Data.TrackingNumbers[0] != pk.TrackingNumber ||
		len(shipped.Data.TrackingURLs) != 1 || !strings.Contains(shipped.Data.TrackingURLs[0], pk.TrackingNumber) {
		t.Fatalf("order.shipped webhook: %+v, want tracking number %s and its URL", shipped, pk.TrackingNumber)
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

func units(o *pickwave.Order) int {
	n := 0
	for _, l := range o.Lines {
		n += l.Picked
	}
	return n
}

// labels is how many labels the demo printer has printed.
func (e *packEnv) labels() int { return len(e.m.demo.benches[demoStation].printer.Labels()) }

// awaitLabels waits until the printer has printed n labels in all and
// returns the last.
func (e *packEnv) awaitLabels(n int) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.m.demo.benches[demoStation].printer.WaitLabels(ctx, n); err != nil {
		e.t.Fatalf("labels at the printer: %v", err)
	}
	return string(e.m.demo.benches[demoStation].printer.Labels()[n-1])
}

// shipmentOf returns the order's latest shipment.
func (e *packEnv) shipmentOf(o *pickwave.Order) pickwave.OrderShipment {
	e.t.Helper()
	var list struct {
		Items []pickwave.OrderShipment `json:"items"`
	}
	e.mustCall(pickwave.RolePacker, "GET", "/api/v1/shipments?order_id="+o.ID, nil, &list)
	if len(list.Items) == 0 {
		e.t.Fatalf("order %s has no shipment", o.ID)
	}
	return list.Items[0]
}

// orderStatus is the order's status now.
func (e *packEnv) orderStatus(o *pickwave.Order) pickwave.OrderStatus {
	e.t.Helper()
	got, err := e.m.DB.Order(context.Background(), o.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return got.Status
}

// polls waits until the station has asked the scale n more times, so
// that n more readings were taken (and judged) since the call.
func (e *packEnv) polls(n int) {
	e.t.Helper()
	start := len(e.m.demo.benches[demoStation].scale.Received())
	testenv.Eventually(e.t, 10*time.Second, fmt.Sprintf("%d scale polls", n), func() bool {
		return len(e.m.demo.benches[demoStation].scale.Received()) >= start+n
	})
}

func packWeightInside(t *testing.T, e *packEnv) {
	o := e.startOrder()
	seq, _ := e.m.DB.LastSeq(context.Background())
	before := e.labels()
	s := e.scanAll(o)
	w := float64(s.ExpectedG) + 0.8*(s.MaxG-float64(s.ExpectedG)) // inside, near the top
	e.m.demo.benches[demoStation].scale.SetWeight(w)
	e.awaitLabels(before + 1)
	pk := e.shipmentOf(o).Packages[0]
	if !pk.Weighed || pk.ExpectedG != s.ExpectedG || pk.Override != nil || float64(pk.WeightG) < w-1 || float64(pk.WeightG) > w+1 {
		t.Fatalf("package %+v, weighed %.1f g", pk, w)
	}
	if n := len(e.events(pickwave.EventWeightBlocked, seq)); n != 0 {
		t.Fatalf("%d weight_blocked events for a weight inside", n)
	}
	if st := e.orderStatus(o); st != pickwave.OrderPacked {
		t.Fatalf("order %s", st)
	}
}

func packWeightOutside(t *testing.T, e *packEnv) {
	o := e.startOrder()
	seq, _ := e.m.DB.LastSeq(context.Background())
	before := e.labels()
	s := e.scanAll(o)
	heavy := s.MaxG + 200
	e.m.demo.benches[demoStation].scale.SetWeight(heavy)
	s = e.awaitStep(pickwave.PackBlocked)
	if s.Check == nil || s.Check.Pass || s.Check.MeasuredG != heavy || s.Check.ExpectedG != s.ExpectedG {
		t.Fatalf("check %+v", s.Check)
	}
	e.polls(5) // the same weight again and again: blocked once
	if n := len(e.events(pickwave.EventWeightBlocked, seq)); n != 1 {
		t.Fatalf("%d weight_blocked events, want 1", n)
	}
	if e.labels() != before || e.orderStatus(o) != pickwave.OrderPicked {
		t.Fatal("a label was printed for a package outside the tolerance")
	}
	// The packer takes out what was wrong and weighs again.
	e.m.demo.benches[demoStation].scale.SetWeight(s.MinG + 1)
	e.awaitLabels(before + 1)
	pk := e.shipmentOf(o).Packages[0]
	if pk.Override != nil || !pk.Weighed || pk.WeightG != int(s.MinG+1+0.5) {
		t.Fatalf("package %+v", pk)
	}
	if st := e.orderStatus(o); st != pickwave.OrderPacked {
		t.Fatalf("order %s", st)
	}
}

func packWeightUnstable(t *testing.T, e *packEnv) {
	o := e.startOrder()
	before := e.labels()
	s := e.scanAll(o)
	e.m.demo.benches[demoStation].scale.SetMotion(true)
	e.m.demo.benches[demoStation].scale.SetWeight(float64(s.ExpectedG))
	testenv.Eventually(t, 10*time.Second, "the moving weight on the station", func() bool {
		st, _ := e.m.StationRuntime.State(demoStation)
		return st.Scale != nil && st.Scale.WeightG == float64(s.ExpectedG) && !st.Scale.Stable
	})
	e.polls(5)
	if got := e.session(); got.Step != pickwave.PackWeigh || got.Check != nil || e.labels() != before {
		t.Fatalf("an unstable weight was taken: %+v", got)
	}
	e.m.demo.benches[demoStation].scale.SetMotion(false)
	e.awaitLabels(before + 1)
	if st := e.orderStatus(o); st != pickwave.OrderPacked {
		t.Fatalf("order %s", st)
	}
}

func packOverride(t *testing.T, e *packEnv) {
	o := e.startOrder()
	seq, _ := e.m.DB.LastSeq(context.Background())
	before := e.labels()
	s := e.scanAll(o)
	heavy := s.MaxG + 300
	e.m.demo.benches[demoStation].scale.SetWeight(heavy)
	e.awaitStep(pickwave.PackBlocked)
	path := "/api/v1/stations/" + demoStation + "/pack/override"
	if st := e.call(pickwave.RolePacker, "POST", path, map[string]string{"reason": "looks fine"}, nil); st != http.StatusForbidden {
		t.Fatalf("a packer's override: %d", st)
	}
	var perr struct {
		Error struct{ Code string } `json:"error"`
	}
	if st := e.call(pickwave.RoleSupervisor, "POST", path, map[string]string{"reason": " "}, &perr); st != http.StatusBadRequest || perr.Error.Code != pickwave.EINVALID {
		t.Fatalf("an override without a reason: %d %+v", st, perr)
	}
	reason := "double-wall carton, heavier than the catalog's"
	var after pickwave.PackSession
	body := map[string]string{"reason": reason, "request_id": "ov-1"}
	e.mustCall(pickwave.RoleSupervisor, "POST", path, body, &after)
	if after.Step != pickwave.PackIdle || after.LastShipmentID == "" {
		t.Fatalf("session after the override: %+v", after)
	}
	e.awaitLabels(before + 1)
	// Retried (its answer lost): answered, not done again.
	var again pickwave.PackSession
	e.mustCall(pickwave.RoleSupervisor, "POST", path, body, &again)
	if again.LastShipmentID != after.LastShipmentID || again.Step != pickwave.PackIdle {
		t.Fatalf("a retried override: %+v", again)
	}
	pk := e.shipmentOf(o).Packages[0]
	if pk.Override == nil || pk.Override.By != "pat-supervisor" || pk.Override.Reason != reason || !pk.Weighed || float64(pk.WeightG) != math.Round(heavy) {
		t.Fatalf("package %+v override %+v", pk, pk.Override)
	}
	evs := e.events(pickwave.EventWeightOverridden, seq)
	if len(evs) != 1 || evs[0].Actor != "pat-supervisor" || !strings.Contains(string(evs[0].Payload), reason) {
		t.Fatalf("override events %+v", evs)
	}
	if st := e.orderStatus(o); st != pickwave.OrderPacked {
		t.Fatalf("order %s", st)
	}
}

func packPackages(t *testing.T, e *packEnv) {
	o := e.startOrder(2)
	before := e.labels()
	first := ""
	for _, l := range o.Lines {
		if l.Picked > 0 {
			first = e.barcode(l.SKU)
			break
		}
	}
	scanPath := "/api/v1/stations/" + demoStation + "/pack/scan"
	var res pickwave.PackScanResult
	e.mustCall(pickwave.RolePacker, "POST", scanPath, pickwave.PackScanRequest{ID: "multi-1", Data: first}, &res)
	if res.Verdict.Code != pickwave.PackOK {
		t.Fatalf("first item: %+v", res.Verdict)
	}
	var s pickwave.PackSession
	closeBody := map[string]string{"request_id": "close-1"}
	e.mustCall(pickwave.RolePacker, "POST", "/api/v1/stations/"+demoStation+"/pack/close-package", closeBody, &s)
	if s.Step != pickwave.PackWeigh || s.Package != 1 {
		t.Fatalf("after closing package 1: %+v", s)
	}
	e.mustCall(pickwave.RolePacker, "POST", "/api/v1/stations/"+demoStation+"/pack/close-package", closeBody, &s)
	if s.Step != pickwave.PackWeigh || s.Package != 1 {
		t.Fatalf("a retried close: %+v", s)
	}
	if st := e.call(pickwave.RolePacker, "POST", "/api/v1/stations/"+demoStation+"/pack/close-package", map[string]string{"request_id": "close-2"}, nil); st != http.StatusConflict {
		t.Fatalf("closing again with a new request id: %d", st)
	}
	e.m.demo.benches[demoStation].scale.SetWeight(float64(s.ExpectedG))
	e.awaitLabels(before + 1)
	s = *e.awaitStep(pickwave.PackScan)
	if s.Package != 2 || e.orderStatus(o) != pickwave.OrderPicked {
		t.Fatalf("after package 1: %+v", s)
	}
	e.m.demo.benches[demoStation].scale.SetWeight(0)
	// The rest, with the scanner.
	left := *o
	left.Lines = nil
	skipped := false
	for _, l := range o.Lines {
		if l.Picked > 0 && !skipped && e.barcode(l.SKU) == first {
			l.Picked--
			skipped = true
		}
		left.Lines = append(left.Lines, l)
	}
	s = *e.scanAll(&left)
	e.m.demo.benches[demoStation].scale.SetWeight(float64(s.ExpectedG))
	e.awaitLabels(before + 2)
	sh := e.shipmentOf(o)
	if len(sh.Packages) != 2 || sh.Status != pickwave.ShipmentPacked || e.orderStatus(o) != pickwave.OrderPacked {
		t.Fatalf("shipment %+v", sh)
	}

	// Reprint package 1, idempotently.
	testenv.Eventually(t, 10*time.Second, "package 1's label printed", func() bool {
		j, err := e.m.DB.PrintJob(context.Background(), sh.Packages[0].PrintJobID)
		return err == nil && j.Status == pickwave.PrintPrinted
	})
	reprint := "/api/v1/shipments/" + sh.ID + "/packages/1/reprint"
	body := map[string]string{"reason": "label smudged", "request_id": "rp-1"}
	var rp struct {
		Shipment pickwave.OrderShipment `json:"shipment"`
		PrintJob pickwave.PrintJob      `json:"print_job"`
	}
	if st := e.call(pickwave.RolePacker, "POST", reprint, body, &rp); st != http.StatusCreated || rp.PrintJob.ReprintOf != sh.Packages[0].PrintJobID {
		t.Fatalf("reprint: %d %+v", st, rp)
	}
	job := rp.PrintJob.ID
	if st := e.call(pickwave.RolePacker, "POST", reprint, body, &rp); st != http.StatusOK || rp.PrintJob.ID != job || len(rp.Shipment.Packages[0].Reprints) != 1 {
		t.Fatalf("reprint again: %d %+v", st, rp)
	}
	if zpl := e.awaitLabels(before + 3); !strings.Contains(zpl, sh.Packages[0].TrackingNumber) {
		t.Fatalf("the reprint is not package 1's label")
	}

	// Void package 2: the order is to be packed again, from its barcode.
	var voided pickwave.OrderShipment
	e.mustCall(pickwave.RolePacker, "POST", "/api/v1/shipments/"+sh.ID+"/packages/2/void", map[string]string{"reason": "carton torn"}, &voided)
	if voided.Packages[1].Status != pickwave.PackageVoided || voided.Status != pickwave.ShipmentPacking || e.orderStatus(o) != pickwave.OrderPicked {
		t.Fatalf("after the void: %+v, order %s", voided, e.orderStatus(o))
	}
	e.m.demo.benches[demoStation].scale.SetWeight(0)
	e.mustCall(pickwave.RolePacker, "POST", scanPath, pickwave.PackScanRequest{ID: "multi-order", Data: o.ID}, &res)
	if res.Verdict.Code != pickwave.PackOrder || res.Session.Package != 3 {
		t.Fatalf("order scan: %+v, %+v", res.Verdict, res.Session)
	}
	s = *e.scanAll(&left)
	e.m.demo.benches[demoStation].scale.SetWeight(float64(s.ExpectedG))
	e.awaitLabels(before + 4)
	sh = e.shipmentOf(o)
	if len(sh.Live()) != 2 || sh.Status != pickwave.ShipmentPacked || e.orderStatus(o) != pickwave.OrderPacked {
		t.Fatalf("after packing again: %+v", sh)
	}

	// The dock: package 1 by its SSCC as a GS1 element string, package 3
	// by tracking number; the voided one is refused.
	var perr struct {
		Error struct{ Code string } `json:"error"`
	}
	if st := e.call(pickwave.RolePacker, "POST", "/api/v1/dock/scan", map[string]string{"data": sh.Packages[1].TrackingNumber}, &perr); st != http.StatusConflict {
		t.Fatalf("dock scan of a voided package: %d %+v", st, perr)
	}
	e.mustCall(pickwave.RolePacker, "POST", "/api/v1/dock/scan", map[string]string{"data": "00" + sh.Packages[0].SSCC}, nil)
	if st := e.orderStatus(o); st != pickwave.OrderPacked {
		t.Fatalf("one of two packages shipped: order %s", st)
	}
	e.mustCall(pickwave.RolePacker, "POST", "/api/v1/dock/scan", map[string]string{"data": sh.Packages[2].TrackingNumber}, nil)
	if st := e.orderStatus(o); st != pickwave.OrderShipped {
		t.Fatalf("every package shipped: order %s", st)
	}
}

func packNoScale(t *testing.T, e *packEnv) {
	ctx := pickwave.WithActor(context.Background(), "admin")
	st := &pickwave.Station{ID: "PACK-2", Name: "Pack 2 (no scale)",
		Printer: &pickwave.PrinterConfig{URI: e.m.demo.benches[demoStation].printer.URI(), DPI: 300}}
	if err := e.m.DB.CreateStation(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := e.m.StationRuntime.Reload(ctx, st.ID); err != nil {
		t.Fatal(err)
	}
	o, tote := e.pickOrder()
	before := e.labels()
	base := "/api/v1/stations/PACK-2/pack"
	var res pickwave.PackScanResult
	if code := e.call(pickwave.RolePacker, "POST", base+"/scan", pickwave.PackScanRequest{ID: "ns-0", Data: tote}, nil); code != http.StatusConflict {
		t.Fatalf("a scan before signing in: %d", code)
	}
	e.mustCall(pickwave.RolePacker, "POST", base+"/sign-in", nil, nil)
	e.mustCall(pickwave.RolePacker, "POST", base+"/scan", pickwave.PackScanRequest{ID: "ns-1", Data: tote}, &res)
	if res.Verdict.Code != pickwave.PackOrder {
		t.Fatalf("tote: %+v", res.Verdict)
	}
	n := 0
	for _, l := range o.Lines {
		for range l.Picked {
			n++
			e.mustCall(pickwave.RolePacker, "POST", base+"/scan", pickwave.PackScanRequest{ID: fmt.Sprintf("ns-item-%d", n), Data: e.barcode(l.SKU)}, &res)
		}
	}
	// The last item labels the package at once: there is nothing to weigh.
	if res.Verdict.Code != pickwave.PackComplete || res.Session.Step != pickwave.PackIdle || res.Session.LastShipmentID == "" {
		t.Fatalf("last item: %+v %+v", res.Verdict, res.Session)
	}
	e.awaitLabels(before + 1)
	sh := e.shipmentOf(o)
	if !sh.NoScale || sh.Packages[0].Weighed || sh.StationID != "PACK-2" || e.orderStatus(o) != pickwave.OrderPacked {
		t.Fatalf("shipment %+v", sh)
	}
}

func packManifest(t *testing.T, e *packEnv) {
	o := e.startOrder()
	before := e.labels()
	s := e.scanAll(o)
	e.m.demo.benches[demoStation].scale.SetWeight(float64(s.ExpectedG))
	e.awaitLabels(before + 1)
	pk := e.shipmentOf(o).Packages[0]
	var res struct {
		Manifest  pickwave.Manifest        `json:"manifest"`
		Shipments []pickwave.OrderShipment `json:"shipments"`
	}
	e.mustCall(pickwave.RoleSupervisor, "POST", "/api/v1/manifests", nil, &res)
	if !slices.Contains(res.Manifest.TrackingNumbers, pk.TrackingNumber) || len(res.Manifest.Document) == 0 || len(res.Shipments) == 0 {
		t.Fatalf("manifest %+v", res.Manifest)
	}
	for _, sh := range res.Shipments {
		if sh.Status != pickwave.ShipmentShipped {
			t.Fatalf("shipment %s after the manifest: %s", sh.ID, sh.Status)
		}
	}
	if st := e.orderStatus(o); st != pickwave.OrderShipped {
		t.Fatalf("order %s after the manifest", st)
	}
	if st := e.call(pickwave.RoleSupervisor, "POST", "/api/v1/manifests", nil, nil); st != http.StatusConflict {
		t.Fatalf("a second manifest with nothing left: %d", st)
	}
}

func packSocket(t *testing.T, e *packEnv) {
	o, tote := e.pickOrder()
	e.mustCall(pickwave.RolePacker, "POST", "/api/v1/stations/"+demoStation+"/pack/sign-in", nil, nil)
	hdr := func(r pickwave.Role) http.Header { return http.Header{"Authorization": {"Bearer " + e.tokens[r]}} }
	ws := testenv.DialStation(t, e.base, demoStation, hdr(pickwave.RolePacker))
	boss := testenv.DialStation(t, e.base, demoStation, hdr(pickwave.RoleSupervisor))
	verdict := func(ws *testenv.StationSocket, id string) testenv.StationMessage {
		return ws.Await("the answer to "+id, func(m testenv.StationMessage) bool {
			return (m.Type == "pack_verdict" || m.Type == "pack_error") && m.ID == id
		})
	}
	ws.Send(map[string]string{"type": "pack_scan", "id": "ws-1", "data": tote})
	if m := verdict(ws, "ws-1"); m.Verdict == nil || m.Verdict.Code != pickwave.PackOrder {
		t.Fatalf("tote over the socket: %+v", m)
	}
	// Every screen of the station sees the verdict.
	if m := verdict(boss, "ws-1"); m.Verdict == nil || m.Verdict.Code != pickwave.PackOrder {
		t.Fatalf("the other screen: %+v", m)
	}
	// Only the signed-in packer scans; nonsense is refused.
	boss.Send(map[string]string{"type": "pack_scan", "id": "ws-2", "data": e.barcode(o.Lines[0].SKU)})
	if m := verdict(boss, "ws-2"); m.Error == nil || m.Error.Code != pickwave.ECONFLICT {
		t.Fatalf("a scan by someone not signed in: %+v", m)
	}
	ws.SendText([]byte("{\"type\": \"pack_scan\", \"id\": \"ws-bad\", \"data\": \"\xff\xfe\"}"))
	if m := ws.Await("the refusal of bytes that are not UTF-8", func(m testenv.StationMessage) bool {
		return m.Type == "pack_error" && m.Error != nil && m.Error.Code == pickwave.EINVALID && strings.Contains(m.Error.Message, "UTF-8")
	}); m.ID != "" {
		t.Fatalf("refusal %+v", m)
	}
	ws.Send(map[string]string{"type": "hello", "id": "ws-3"})
	if m := verdict(ws, "ws-3"); m.Error == nil || m.Error.Code != pickwave.EINVALID {
		t.Fatalf("an unknown message: %+v", m)
	}
	n := 0
	for _, l := range o.Lines {
		for range l.Picked {
			n++
			id := fmt.Sprintf("ws-item-%d", n)
			ws.Send(map[string]string{"type": "pack_scan", "id": id, "data": e.barcode(l.SKU)})
			if m := verdict(ws, id); m.Verdict == nil || (m.Verdict.Code != pickwave.PackOK && m.Verdict.Code != pickwave.PackComplete) {
				t.Fatalf("item over the socket: %+v", m)
			}
		}
	}
	s := e.awaitStep(pickwave.PackWeigh)
	before := e.labels()
	e.m.demo.benches[demoStation].scale.SetWeight(float64(s.ExpectedG))
	e.awaitLabels(before + 1)
}

// hookReceiver is a shop's webhook endpoint: it verifies each delivery's
// signature and keeps the bodies.
type hookReceiver struct {
	t      *testing.T
	mu     sync.Mutex
	secret string
	bodies []hookBody
}

type hookBody struct {
	ID      string                        `json:"id"`
	Type    string                        `json:"type"`
	OrderID string                        `json:"order_id"`
	Data    pickwave.ShipmentEventPayload `json:"data"`
}

func (h *hookReceiver) setSecret(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secret = s
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := webhook.Verify(h.secret, r.Header, body, time.Now()); err != nil {
		h.t.Errorf("webhook signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var b hookBody
	if err := json.Unmarshal(body, &b); err != nil {
		h.t.Errorf("webhook body %s: %v", body, err)
	}
	h.bodies = append(h.bodies, b)
	w.WriteHeader(http.StatusNoContent)
}

// got returns the delivery of an event type for an order, nil before it.
func (h *hookReceiver) got(typ, order string) *hookBody {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.bodies {
		if h.bodies[i].Type == typ && h.bodies[i].OrderID == order {
			return &h.bodies[i]
		}
	}
	return nil
}
