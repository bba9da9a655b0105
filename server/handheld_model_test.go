package server_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
)

// The model-based test of the handheld protocol: rapid generates random
// sequences of what a picker's handheld does — right and wrong scans,
// shorts with and without units in hand, connections dropped right after
// a send, a resend of any earlier id, a server restart on the same data,
// taking the next cart — and runs them against the real server and store
// over real websockets, through package handheld's client. A small model
// of the floor predicts every answer: an id's answer never changes once
// given; units per task, order line and wave, and stock per location,
// equal the model's, checked through the HTTP API.
//
// `make test` runs a short version; the long one is
//
//	go test ./server -run TestHandheldModel -count=1 -v -rapid.checks=300 -rapid.steps=300

// modelSite: 3 aisles of 6 bays, one SKU per bay in exactly one pick
// location (so a short finds no stock elsewhere), 40 units each.
const (
	modelAisles = 3
	modelBays   = 6
	modelStock  = 40
)

func modelSKU(a, b int) string      { return fmt.Sprintf("M%d%02d", a, b) }
func modelLocation(a, b int) string { return fmt.Sprintf("A%02d-%02d-1", a, b) }

// modelGTIN makes a valid GTIN-13 for the SKU in aisle a, bay b.
func modelGTIN(a, b int) string {
	body := fmt.Sprintf("400999%02d%02d000", a, b)
	cd, err := gs1.CheckDigit(body)
	if err != nil {
		panic(err)
	}
	return body + string(cd)
}

// modelFloor is a server with its store on a fixed address, so that a
// restart on the same data keeps the URL the handheld reconnects to.
type modelFloor struct {
	t    *rapid.T
	tb   testing.TB // the test around rapid's, whose cleanups check every store
	dir  string
	addr string
	db   *store.DB
	srv  *server.Server
	sup  string // a supervisor's token, for the API checks
	pick string // the picker's token
}

func (f *modelFloor) open() {
	db := testenv.OpenStore(f.tb, f.dir, store.Options{NoSync: true})
	f.db = db
	f.srv = testenv.Server(db, nil)
	addr := f.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := f.srv.Open(addr); err != nil {
		f.t.Fatalf("serve: %v", err)
	}
	f.addr = f.srv.Addr()
}

func (f *modelFloor) close() {
	if f.srv == nil {
		return
	}
	if err := f.srv.Close(context.Background()); err != nil {
		f.t.Errorf("close server: %v", err)
	}
	if err := f.db.Close(); err != nil {
		f.t.Errorf("close store: %v", err)
	}
	f.srv = nil
}

func newModelFloor(tb testing.TB, t *rapid.T, orders [][2]int) (*modelFloor, *model) {
	f := &modelFloor{t: t, tb: tb, dir: tb.TempDir()}
	f.open()
	ctx := pickwave.WithActor(context.Background(), "setup")
	if err := f.db.SetLayout(ctx, pickwave.Layout{Aisles: modelAisles, BaysPerAisle: modelBays, BayWidthM: 1.3, AislePitchM: 3, Depot: pickwave.Depot{Aisle: 1}}); err != nil {
		t.Fatal(err)
	}
	m := &model{tasks: map[string]*mTask{}, lines: map[string]*mLine{}, stock: map[string]int{}, answers: map[string]pickwave.Verdict{}, barcodes: map[string]string{}}
	for a := 1; a <= modelAisles; a++ {
		for b := 1; b <= modelBays; b++ {
			loc, sku := modelLocation(a, b), modelSKU(a, b)
			if err := f.db.CreateLocation(ctx, &pickwave.Location{Code: loc, Zone: "A", Aisle: a, Bay: b, Level: 1, Kind: pickwave.LocationPick}); err != nil {
				t.Fatal(err)
			}
			if err := f.db.CreateSKU(ctx, &pickwave.SKU{Code: sku, Name: "Item " + sku, Barcodes: []pickwave.Barcode{{Code: modelGTIN(a, b), Qty: 1}}}); err != nil {
				t.Fatalf("SKU %s: %v %+v", sku, err, err.(*pickwave.Error).Details)
			}
			if _, err := f.db.AdjustStock(ctx, &pickwave.Adjustment{SKU: sku, Location: loc, Delta: modelStock, Reason: "receipt"}); err != nil {
				t.Fatal(err)
			}
			m.stock[sku] = modelStock
			m.barcodes[sku] = modelGTIN(a, b)
		}
	}
	for i, o := range orders {
		sku := modelSKU(o[0]%modelAisles+1, o[0]/modelAisles%modelBays+1)
		in := &pickwave.OrderInput{ExternalID: fmt.Sprintf("M-%d", i),
			Customer: pickwave.Customer{Name: "Model"},
			ShipTo:   pickwave.Address{Name: "Model", Address1: "1 Test Way", City: "Leeds", PostalCode: "LS1 1AA", Country: "GB"},
			Carrier:  "UPS", Service: "Ground", ShipBy: time.Now().Add(24 * time.Hour),
			Lines: []pickwave.LineInput{{SKU: sku, Qty: o[1]}}}
		if _, _, err := f.db.CreateOrder(ctx, in); err != nil {
			t.Fatalf("order %d: %v %+v", i, err, err.(*pickwave.Error).Details)
		}
	}
	w, err := f.db.PlanWave(ctx, pickwave.WaveTemplate{TotesPerCart: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ReleaseWave(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	m.waveID = w.ID
	if f.sup, err = f.db.MintToken(ctx, "sue", pickwave.RoleSupervisor, time.Hour); err != nil {
		t.Fatal(err)
	}
	if f.pick, err = f.db.MintToken(ctx, "pete", pickwave.RolePicker, time.Hour); err != nil {
		t.Fatal(err)
	}
	return f, m
}

// get reads an API route as the supervisor into v.
func (f *modelFloor) get(path string, v any) {
	req, _ := http.NewRequest("GET", "http://"+f.addr+path, nil)
	req.Header.Set("Authorization", "Bearer "+f.sup)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		f.t.Fatalf("GET %s: %d %s", path, res.StatusCode, data)
	}
	if err := json.Unmarshal(data, v); err != nil {
		f.t.Fatalf("GET %s: %v", path, err)
	}
}

// model is what the picker's handheld should see and what the store
// should hold.
type model struct {
	waveID   string
	barcodes map[string]string // SKU → its barcode

	cart      string   // the picker's cart; "" without one
	slots     int      // its tote slots
	bound     int      // slots bound so far
	order     []string // its task ids in walking order
	current   string   // the task being worked; "" when binding or done
	step      pickwave.Step
	cartsDone int
	noCarts   bool // take_cart found none

	tasks   map[string]*mTask
	lines   map[string]*mLine           // by order line id
	stock   map[string]int              // SKU → on hand (one location each)
	units   int                         // units picked on the wave
	short   int                         // units short on the wave
	ids     []string                    // every id sent, in order
	answers map[string]pickwave.Verdict // first answers
}

type mTask struct {
	id, sku, location, line string
	qty, inHand, picked     int
	short                   int
	slot                    int
	done                    bool
}

type mLine struct{ picked, short int }

func (m *model) tote(slot int) string { return fmt.Sprintf("TOTE-%s-%d", m.cart, slot) }

// next moves to the cart's next open task after task (walking order),
// skipping the location scan at the same location.
func (m *model) next(after *mTask) {
	m.current, m.step = "", ""
	for _, id := range m.order {
		if t := m.tasks[id]; !t.done {
			m.current, m.step = id, pickwave.StepLocation
			if after != nil && t.location == after.location {
				m.step = pickwave.StepItem
			}
			return
		}
	}
	m.cart = ""
	m.cartsDone++
}

func (m *model) task() *mTask { return m.tasks[m.current] }

// modelRun is one generated sequence under way.
type modelRun struct {
	t        *rapid.T
	f        *modelFloor
	m        *model
	hh       *handheld.Client
	ctx      context.Context
	dropNext bool // lose the connection right after the next scan is sent
}

func (r *modelRun) dial() {
	hh, err := handheld.Dial(r.ctx, "ws://"+r.f.addr+"/ws/handheld", handheld.Options{Token: r.f.pick, Device: "model", AckEvery: 4})
	if err != nil {
		r.t.Fatalf("dial: %v", err)
	}
	r.hh = hh
}

// takeCart asks for the next cart and learns its tasks from the API.
func (r *modelRun) takeCart() {
	p, err := r.hh.TakeCart(r.ctx)
	if handheld.ErrorCode(err) == pickwave.ENOTFOUND {
		r.m.noCarts = true
		return
	}
	if err != nil {
		r.t.Fatalf("take cart: %v", err)
	}
	var got struct {
		Cart  pickwave.Cart    `json:"cart"`
		Tasks []*pickwave.Task `json:"tasks"`
	}
	r.f.get("/api/v1/carts/"+p.CartID, &got)
	m := r.m
	m.cart, m.slots, m.bound, m.order = p.CartID, len(got.Cart.Totes), 0, nil
	for _, task := range got.Tasks {
		m.tasks[task.ID] = &mTask{id: task.ID, sku: task.SKU, location: task.Location, line: task.LineID, qty: task.Qty, slot: task.ToteSlot}
		if m.lines[task.LineID] == nil {
			m.lines[task.LineID] = &mLine{}
		}
		m.order = append(m.order, task.ID)
	}
	m.current, m.step = "", pickwave.StepBindTote
	if p.Step != pickwave.StepBindTote || p.Slot != 1 {
		r.t.Fatalf("new cart %s: prompt %+v", p.CartID, p)
	}
}

// answer checks a fresh answer against the model's prediction and the
// prompt against the model's next step, and records it.
func (r *modelRun) answer(id string, res *pickwave.ScanResult, err error, wantOK bool) {
	if err != nil {
		r.t.Fatalf("%s: %v", id, err)
	}
	if res.Replayed {
		r.t.Fatalf("%s: a new id answered replayed: %+v", id, res)
	}
	if res.Verdict.OK() != wantOK {
		r.t.Fatalf("%s: verdict %+v, model expects ok=%v (step %s, task %s)", id, res.Verdict, wantOK, r.m.step, r.m.current)
	}
	r.m.answers[id] = res.Verdict
	r.checkPrompt(res.Prompt)
}

func (r *modelRun) checkPrompt(p pickwave.Prompt) {
	m := r.m
	switch {
	case m.cart == "":
		if !p.Done && p.CartID != "" {
			r.t.Fatalf("prompt %+v: the model's cart is done", p)
		}
	case m.step == pickwave.StepBindTote:
		if p.Step != pickwave.StepBindTote || p.Slot != m.bound+1 {
			r.t.Fatalf("prompt %+v: model binds slot %d", p, m.bound+1)
		}
	default:
		if p.Step != m.step || p.Task == nil || p.Task.ID != m.current || p.Task.Picked != m.task().inHand {
			r.t.Fatalf("prompt %+v (task %+v): model at %s of %s with %d in hand", p, p.Task, m.step, m.current, m.task().inHand)
		}
	}
}

func (r *modelRun) scan(data string, wantOK bool) {
	id := r.hh.NewID()
	r.m.ids = append(r.m.ids, id)
	req := pickwave.ScanRequest{ID: id, Device: "model", Data: data}
	if !r.dropNext {
		res, err := r.hh.Scan(r.ctx, req)
		r.answer(id, res, err, wantOK)
		return
	}
	// Send, and lose the connection before the verdict can arrive. The
	// client resumes and sends the id again; the first answer it gets
	// may be the verdict from the resumed outbox or the answer to the
	// resend (replayed, when the server was still judging the first
	// sending as the handheld came back): the same verdict either way.
	r.dropNext = false
	res, err := func() (*pickwave.ScanResult, error) {
		if _, err := r.hh.Submit(r.ctx, handheld.ScanMessage(req)); err != nil {
			return nil, err
		}
		r.hh.Drop()
		if err := r.hh.Reconnect(r.ctx); err != nil {
			return nil, err
		}
		return r.hh.Await(r.ctx, id)
	}()
	if err == nil && res.Replayed {
		res.Replayed = false
	}
	r.answer(id, res, err, wantOK)
}

// right makes the scan the model expects and applies it to the model.
func (r *modelRun) right() {
	m := r.m
	switch m.step {
	case pickwave.StepBindTote:
		m.bound++
		data := m.tote(m.bound)
		if m.bound == m.slots {
			m.next(nil)
		}
		r.scan(data, true)
	case pickwave.StepLocation:
		task := m.task()
		m.step = pickwave.StepItem
		r.scan(task.location, true)
	case pickwave.StepItem:
		task := m.task()
		task.inHand++
		if task.inHand+task.short == task.qty {
			m.step = pickwave.StepTote
		}
		r.scan(m.barcodes[task.sku], true)
	case pickwave.StepTote:
		task := m.task()
		data := m.tote(task.slot)
		task.picked, task.done = task.inHand, true
		m.stock[task.sku] -= task.inHand
		m.lines[task.line].picked += task.inHand
		m.units += task.inHand
		m.next(task)
		r.scan(data, true)
	}
}

// wrong makes a scan that is wrong for the step; nothing may change.
func (r *modelRun) wrong(pick int) {
	m := r.m
	other := modelSKU(pick%modelAisles+1, pick/modelAisles%modelBays+1)
	switch m.step {
	case pickwave.StepBindTote:
		r.scan(m.barcodes[other], false) // a product is never a tote
	case pickwave.StepLocation:
		loc := modelLocation(pick%modelAisles+1, pick/modelAisles%modelBays+1)
		if loc == m.task().location {
			loc = "NOWHERE-1"
		}
		r.scan(loc, false)
	case pickwave.StepItem:
		if other == m.task().sku {
			r.scan("4009990000005", false) // a valid GTIN of no SKU
			return
		}
		r.scan(m.barcodes[other], false)
	case pickwave.StepTote:
		r.scan("TOTE-NOT-ON-CART", false)
	}
}

// short reports the rest of the current task short.
func (r *modelRun) short(found *int) {
	m := r.m
	id := r.hh.NewID()
	m.ids = append(m.ids, id)
	wantOK := false
	if m.step == pickwave.StepLocation || m.step == pickwave.StepItem {
		wantOK = true
		task := m.task()
		missing := task.qty - task.inHand - task.short
		task.short += missing
		m.lines[task.line].short += missing
		m.short += missing
		if task.inHand > 0 {
			m.step = pickwave.StepTote
		} else {
			task.done = true
			m.next(task)
		}
	}
	res, err := r.hh.Short(r.ctx, pickwave.ShortRequest{ID: id, Device: "model", Reason: pickwave.ShortEmpty, Found: found})
	r.answer(id, res, err, wantOK)
	if wantOK && res.Verdict.Next != res.Prompt.Step {
		r.t.Fatalf("short %s: next %q, prompt step %q", id, res.Verdict.Next, res.Prompt.Step)
	}
}

// resend sends an earlier id again: it must come back replayed with its
// first verdict, and change nothing.
func (r *modelRun) resend(id string) {
	res, err := r.hh.Resend(r.ctx, id)
	if err != nil {
		r.t.Fatalf("resend %s: %v", id, err)
	}
	if !res.Replayed || res.Verdict != r.m.answers[id] {
		r.t.Fatalf("resend %s: %+v, first answer %+v: judged again", id, res, r.m.answers[id])
	}
	r.checkPrompt(res.Prompt)
}

// check compares the store, through the API, with the model.
func (r *modelRun) check() {
	m := r.m
	carts := map[string]bool{}
	for id := range m.tasks {
		carts[id[:strings.LastIndex(id, "-T")]] = true
	}
	for cart := range carts {
		var got struct {
			Tasks []*pickwave.Task `json:"tasks"`
		}
		r.f.get("/api/v1/carts/"+cart, &got)
		for _, task := range got.Tasks {
			want := m.tasks[task.ID]
			if want == nil {
				r.t.Fatalf("task %s on cart %s: not in the model", task.ID, cart)
			}
			picked := want.picked
			if !want.done {
				picked = want.inHand
			}
			if task.Picked != picked || task.Short != want.short || (task.Status != pickwave.TaskOpen) != want.done {
				r.t.Fatalf("task %s: %d picked, %d short, %s; model %+v", task.ID, task.Picked, task.Short, task.Status, *want)
			}
		}
	}
	orders := map[string]bool{}
	for line := range m.lines {
		orders[line[:strings.LastIndex(line, "-")]] = true
	}
	for id := range orders {
		var o pickwave.Order
		r.f.get("/api/v1/orders/"+id, &o)
		for _, l := range o.Lines {
			if want := m.lines[l.ID]; want != nil && (l.Picked != want.picked || l.Short != want.short) {
				r.t.Fatalf("order line %s: %d picked, %d short; model %+v", l.ID, l.Picked, l.Short, *want)
			}
		}
	}
	var w pickwave.Wave
	r.f.get("/api/v1/waves/"+m.waveID, &w)
	if w.Progress.UnitsPicked != m.units || w.Progress.UnitsShort != m.short || w.Progress.CartsDone != m.cartsDone {
		r.t.Fatalf("wave progress %+v; model %d picked, %d short, %d carts done", w.Progress, m.units, m.short, m.cartsDone)
	}
	for sku, want := range m.stock {
		var st struct {
			Items []pickwave.Stock `json:"items"`
		}
		r.f.get("/api/v1/stock?sku="+sku, &st)
		got := 0
		for _, s := range st.Items {
			got += s.OnHand
		}
		if got != want {
			r.t.Fatalf("stock of %s: %d on hand; model %d", sku, got, want)
		}
	}
}

// modelChecks is how many sequences `make test` runs (rapid's default
// of 30 steps each on average).
const modelChecks = 25

var modelVerbose = flag.Bool("model.log", false, "log each action of TestHandheldModel")

// TestHandheldModel is the model-based test described at the top.
func TestHandheldModel(t *testing.T) {
	testenv.RapidChecks(t, modelChecks)
	rapid.Check(t, func(rt *rapid.T) {
		orders := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) [2]int {
			return [2]int{rapid.IntRange(0, modelAisles*modelBays-1).Draw(t, "sku"), rapid.IntRange(1, 3).Draw(t, "qty")}
		}), 2, 9).Draw(rt, "orders")
		f, m := newModelFloor(t, rt, orders)
		defer f.close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		r := &modelRun{t: rt, f: f, m: m, ctx: ctx}
		r.dial()
		defer func() { r.hh.Close() }()
		r.takeCart()
		logf := func(format string, args ...any) {
			if *modelVerbose {
				rt.Logf(format, args...)
			}
		}
		rt.Repeat(map[string]func(*rapid.T){
			"": func(t *rapid.T) { r.check() },
			"right": func(t *rapid.T) {
				if m.cart == "" {
					t.Skip("no cart")
				}
				logf("right at %s", m.step)
				r.right()
			},
			"wrong": func(t *rapid.T) {
				if m.cart == "" {
					t.Skip("no cart")
				}
				pick := rapid.IntRange(0, modelAisles*modelBays-1).Draw(t, "other")
				logf("wrong at %s", m.step)
				r.wrong(pick)
			},
			"short": func(t *rapid.T) {
				if m.cart == "" {
					t.Skip("no cart")
				}
				var found *int
				if rapid.Bool().Draw(t, "counted") {
					found = new(rapid.IntRange(0, 50).Draw(t, "found"))
				}
				logf("short at %s", m.step)
				r.short(found)
			},
			"resend": func(t *rapid.T) {
				if len(m.ids) == 0 {
					t.Skip("nothing sent")
				}
				id := rapid.SampledFrom(m.ids).Draw(t, "id")
				logf("resend %s", id)
				r.resend(id)
			},
			"scan then drop": func(t *rapid.T) {
				if m.cart == "" {
					t.Skip("no cart")
				}
				// The connection drops right after the send: the client
				// reconnects, resends the id, and takes its first answer.
				logf("scan then drop at %s", m.step)
				before := slices.Clone(m.ids)
				r.dropNext = true
				r.right()
				if len(m.ids) != len(before)+1 {
					t.Fatalf("one id sent")
				}
			},
			"restart": func(t *rapid.T) {
				logf("restart")
				r.hh.Drop()
				f.close()
				f.open()
				if err := r.hh.Reconnect(ctx); err != nil {
					t.Fatalf("reconnect after restart: %v", err)
				}
			},
			"take cart": func(t *rapid.T) {
				if m.cart != "" || m.noCarts {
					t.Skip("a cart in hand, or none left")
				}
				logf("take cart")
				r.takeCart()
			},
		})
		// The end: every id ever answered, sent again, answers as first.
		for _, id := range m.ids {
			r.resend(id)
		}
		r.check()
		if s := r.hh.Stats(); s.Gaps != 0 || s.Changed != 0 || s.JudgedAgain != 0 || s.Unknown != 0 {
			rt.Fatalf("client saw faults: %+v", s)
		}
		r.hh.Close()
		f.close()
		if err := store.CheckFile(f.dir); err != nil {
			rt.Fatalf("store after the sequence: %v", err)
		}
	})
}
