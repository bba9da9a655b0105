package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
)

// supervisorToken mints a supervisor's token on the floor's store.
func (f *floor) supervisorToken() string {
	f.t.Helper()
	token, err := f.db.MintToken(context.Background(), "sue", pickwave.RoleSupervisor, time.Hour)
	if err != nil {
		f.t.Fatal(err)
	}
	return token
}

// call makes an API request as token and decodes a JSON answer into out.
func (f *floor) call(method, path, token string, body, out any) int {
	f.t.Helper()
	var r *bytes.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = bytes.NewReader(data)
	} else {
		r = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, f.http.URL+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode < 300 {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			f.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return res.StatusCode
}

// eventsOf returns the logged events of one type.
func (f *floor) eventsOf(typ string) []*pickwave.Event {
	f.t.Helper()
	all, err := f.db.Events(context.Background(), 0, 100000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []*pickwave.Event
	for _, e := range all {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// notice waits for the sequenced message after seq on the handheld and
// returns the prompt it carries, which must have a notice.
func notice(t *testing.T, h *handheld.Client, seq uint64) *pickwave.Prompt {
	t.Helper()
	if err := h.WaitSeq(testCtx(t), seq+1); err != nil {
		t.Fatal(err)
	}
	p := h.Prompt()
	if p == nil || p.Notice == "" {
		t.Fatalf("handheld prompt after the change: %+v, want one with a notice", p)
	}
	return p
}

func TestCarts_unassignAndAssignTellTheHandheld(t *testing.T) {
	f := newFloor(t, 4)
	sup := f.supervisorToken()
	if err := f.db.CreateUser(context.Background(), &pickwave.User{Name: "picker2", Role: pickwave.RolePicker}, "secret2"); err != nil {
		t.Fatal(err)
	}
	h := f.login(handheld.Options{})
	p := takeCart(t, h)
	cartID := p.CartID
	for p.Step != pickwave.StepItem { // totes bound, at the first location
		mustScan(t, h, f.right(p), "ok")
		p = h.Prompt()
	}
	task := p.Task
	mustScan(t, h, f.right(p), "ok") // one unit in hand

	var active struct{ Items []pickwave.CartProgress }
	if code := f.call("GET", "/api/v1/carts", sup, nil, &active); code != 200 || len(active.Items) != 1 {
		t.Fatalf("active carts: %d %+v", code, active.Items)
	}
	if c := active.Items[0]; c.ID != cartID || c.Picker != "picker1" || c.StopsDone != 0 || c.Stops < 1 || c.UnitsPicked != 1 || c.Current != task.Location {
		t.Fatalf("active cart %+v", c)
	}

	var ch pickwave.CartChange
	seq := h.LastSeq()
	if code := f.call("POST", "/api/v1/carts/"+cartID+"/unassign", sup, nil, &ch); code != 200 || !ch.Changed || ch.From != "picker1" || ch.Cart.Status != pickwave.CartOpen {
		t.Fatalf("unassign: %d %+v", code, ch)
	}
	if got := notice(t, h, seq); got.CartID != "" || got.Task != nil {
		t.Fatalf("prompt after unassign: %+v, want no cart", got)
	}
	seq = h.LastSeq()
	// A retry changes nothing and logs nothing.
	if code := f.call("POST", "/api/v1/carts/"+cartID+"/unassign", sup, nil, &ch); code != 200 || ch.Changed {
		t.Fatalf("unassign again: %d %+v", code, ch)
	}
	if n := len(f.eventsOf(pickwave.EventCartUnassigned)); n != 1 {
		t.Fatalf("%d cart.unassigned events, want 1", n)
	}
	mustScan(t, h, f.barcodes[task.SKU][0].Code, pickwave.VerdictNoTask)
	if h.LastSeq() != seq+1 {
		t.Fatalf("seq %d after one scan from %d: the retry sent something", h.LastSeq(), seq)
	}

	if code := f.call("POST", "/api/v1/carts/"+cartID+"/assign", sup, map[string]string{"picker": "nobody"}, nil); code != 400 {
		t.Fatalf("assign to nobody: %d", code)
	}
	// Given to picker2 (not connected), then straight back to picker1.
	ch = pickwave.CartChange{}
	if code := f.call("POST", "/api/v1/carts/"+cartID+"/assign", sup, map[string]string{"picker": "picker2"}, &ch); code != 200 || ch.To != "picker2" || ch.From != "" {
		t.Fatalf("assign to picker2: %d %+v", code, ch)
	}
	seq, ch = h.LastSeq(), pickwave.CartChange{}
	if code := f.call("POST", "/api/v1/carts/"+cartID+"/assign", sup, map[string]string{"picker": "picker1"}, &ch); code != 200 || ch.From != "picker2" || ch.Cart.Picker != "picker1" {
		t.Fatalf("assign to picker1: %d %+v", code, ch)
	}
	got := notice(t, h, seq)
	if got.CartID != cartID || got.Task == nil || got.Task.ID != task.ID || got.Task.Picked != 1 || got.Step != pickwave.StepLocation {
		t.Fatalf("prompt after assign: %+v (task %+v)", got, got.Task)
	}
	p = got
	for !p.Done {
		mustScan(t, h, f.right(p), "ok")
		p = h.Prompt()
	}
	w, err := f.db.Wave(context.Background(), task.WaveID)
	if err != nil || w.Status != pickwave.WaveCompleted || w.Progress.UnitsPicked != w.Progress.Units {
		t.Fatalf("wave at the end: %+v %v", w, err)
	}
	if code := f.call("POST", "/api/v1/carts/"+cartID+"/unassign", sup, nil, nil); code != 409 {
		t.Fatalf("unassign a done cart: %d", code)
	}
	clean(t, h)
}

func TestWaves_cancelRestOverHTTP(t *testing.T) {
	f := newFloor(t, 12)
	sup := f.supervisorToken()
	waves, _ := f.db.Waves(context.Background(), 1)
	w := waves[0]
	if w.Progress.Carts < 2 {
		t.Fatalf("want two carts or more: %+v", w.Progress)
	}
	h := f.login(handheld.Options{})
	p := takeCart(t, h)
	for p.Task == nil { // bind the totes
		mustScan(t, h, f.right(p), "ok")
		p = h.Prompt()
	}
	first := p
	for !p.Done && p.Task.ID == first.Task.ID { // the first task, to its tote
		mustScan(t, h, f.right(p), "ok")
		p = h.Prompt()
	}
	startedOrder := first.Task.OrderID

	var res pickwave.WaveCancellation
	seq := h.LastSeq()
	if code := f.call("POST", "/api/v1/waves/"+w.ID+"/cancel-rest", sup, nil, &res); code != 200 {
		t.Fatalf("cancel rest: %d", code)
	}
	if slices.Contains(res.OrdersReturned, startedOrder) || len(res.OrdersReturned) == 0 || len(res.CartsCancelled) == 0 || !slices.Equal(res.Pickers, []string{"picker1"}) {
		t.Fatalf("cancel rest: %+v", res)
	}
	notice(t, h, seq)
	for _, id := range res.OrdersReturned {
		var o pickwave.Order
		if code := f.call("GET", "/api/v1/orders/"+id, sup, nil, &o); code != 200 || o.Status != pickwave.OrderAllocated || o.WaveID != "" {
			t.Fatalf("order %s after cancel rest: %d %s %q", id, code, o.Status, o.WaveID)
		}
	}
	// Exactly once: a retry returns nothing more and logs nothing.
	var again pickwave.WaveCancellation
	if code := f.call("POST", "/api/v1/waves/"+w.ID+"/cancel-rest", sup, nil, &again); code != 200 || len(again.OrdersReturned)+len(again.CartsCancelled)+again.TasksCancelled != 0 {
		t.Fatalf("retry: %d %+v", code, again)
	}
	if n := len(f.eventsOf(pickwave.EventWaveRestCancelled)); n != 1 {
		t.Fatalf("%d wave.rest_cancelled events, want 1", n)
	}
	if n := len(f.eventsOf(pickwave.EventOrderReturned)); n != len(res.OrdersReturned) {
		t.Fatalf("%d order.returned events for %d orders", n, len(res.OrdersReturned))
	}
	var carts struct{ Items []pickwave.CartProgress }
	if code := f.call("GET", "/api/v1/waves/"+w.ID+"/carts", sup, nil, &carts); code != 200 || len(carts.Items) != w.Progress.Carts {
		t.Fatalf("wave carts: %d %+v", code, carts.Items)
	}
	for _, c := range carts.Items {
		if slices.Contains(res.CartsCancelled, c.ID) != (c.Status == pickwave.CartCancelled) {
			t.Fatalf("cart %s is %s; cancelled %v", c.ID, c.Status, res.CartsCancelled)
		}
	}
	// The picker finishes the started order (unless the cart was done
	// with it already) and the wave completes.
	for p = h.Prompt(); !p.Done && p.CartID != ""; p = h.Prompt() {
		mustScan(t, h, f.right(p), "ok")
	}
	var done pickwave.Wave
	if code := f.call("GET", "/api/v1/waves/"+w.ID, sup, nil, &done); code != 200 || done.Status != pickwave.WaveCompleted {
		t.Fatalf("wave after the last cart: %d %s %+v", code, done.Status, done.Progress)
	}
	// The returned orders are planned again.
	var next pickwave.Wave
	if code := f.call("POST", "/api/v1/waves", sup, pickwave.PlanRequest{Seed: 1}, &next); code != 201 || len(next.Orders) != len(res.OrdersReturned) {
		t.Fatalf("plan the returned orders: %d %+v", code, next.Orders)
	}
	clean(t, h)
}

func TestDevices_forceLogoutEndsTheHandheld(t *testing.T) {
	f := newFloor(t, 4)
	sup := f.supervisorToken()
	h := f.login(handheld.Options{})
	takeCart(t, h)
	token := h.Token()

	var list struct {
		Items    []server.Device
		Stations []server.StationSignIn
	}
	if code := f.call("GET", "/api/v1/devices", sup, nil, &list); code != 200 || len(list.Items) != 1 {
		t.Fatalf("devices: %d %+v", code, list)
	}
	d := list.Items[0]
	if d.Kind != "handheld" || d.User != "picker1" || d.Cart == "" || d.Remote == "" || d.LastSeen == nil {
		t.Fatalf("device %+v", d)
	}
	var out server.Device
	if code := f.call("POST", "/api/v1/devices/"+d.ID+"/logout", sup, nil, &out); code != 200 || !out.SignedOut || out.ID != d.ID {
		t.Fatalf("force logout: %d %+v", code, out)
	}
	err := h.WaitDisconnect(testCtx(t))
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != handheld.CloseSignedOut {
		t.Fatalf("the socket ended with %v, want code %d", err, handheld.CloseSignedOut)
	}
	if _, err := handheld.Dial(context.Background(), f.wsURL(), handheld.Options{Token: token}); handheld.ErrorCode(err) != pickwave.EUNAUTHORIZED {
		t.Fatalf("dial with the signed-out token: %v", err)
	}
	// A retry is answered as the first; the event is logged once.
	if code := f.call("POST", "/api/v1/devices/"+d.ID+"/logout", sup, nil, &out); code != 200 || !out.SignedOut {
		t.Fatalf("retry: %d %+v", code, out)
	}
	if evs := f.eventsOf(pickwave.EventDeviceSignedOut); len(evs) != 1 {
		t.Fatalf("%d device.signed_out events", len(evs))
	}
	if code := f.call("POST", "/api/v1/devices/hh-0000000000000000/logout", sup, nil, nil); code != 404 {
		t.Fatalf("unknown device: %d", code)
	}
	testenv.Eventually(t, 10*time.Second, "the device list to empty", func() bool {
		f.call("GET", "/api/v1/devices", sup, nil, &list)
		return len(list.Items) == 0
	})
}
