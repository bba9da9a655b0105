package client_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
)

// site is a real server on a real store, and clients of it by role.
type site struct {
	t     *testing.T
	db    *store.DB
	url   string
	admin *client.Client
	super *client.Client
	pick  *client.Client
}

// newSite serves a store through testenv.Server, with the station
// services, over a real listener.
func newSite(t *testing.T) *site {
	t.Helper()
	db := testenv.OpenStore(t, "", store.Options{NoSync: true})
	srv := testenv.Server(db, nil)
	srv.Stations, srv.PrintQueue = db, db
	hs := httptest.NewServer(testenv.Checked(t, srv.Handler()))
	t.Cleanup(hs.Close)
	s := &site{t: t, db: db, url: hs.URL}
	s.admin = s.as("ann", pickwave.RoleAdmin)
	s.super = s.as("sue", pickwave.RoleSupervisor)
	s.pick = s.as("pat", pickwave.RolePicker)
	return s
}

// as returns a client with a minted token of the role.
func (s *site) as(user string, role pickwave.Role) *client.Client {
	s.t.Helper()
	token, err := s.db.MintToken(context.Background(), user, role, time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	return client.New(s.url, client.WithToken(token))
}

// noUsers passes demo.Seed through to the store but for users: each
// bcrypt hash takes a second under the race detector.
type noUsers struct{ *store.DB }

func (noUsers) CreateUser(context.Context, *pickwave.User, string) error { return nil }

// seedDemo fills the store with a small demo site: layout, SKUs, stock,
// open orders.
func (s *site) seedDemo() {
	s.t.Helper()
	err := demo.Seed(context.Background(), noUsers{s.db}, demo.Site{Aisles: 2, Bays: 3, Levels: 2, SKUs: 6, Orders: 4, Seed: 1, Now: time.Now(), BadgeKey: []byte("k")})
	if err != nil {
		s.t.Fatal(err)
	}
}

// result is a call's value and error; must(call).of(t) fails the test on
// the error and returns the value.
type result[T any] struct {
	v   T
	err error
}

func must[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) of(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := pickwave.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

var mug = pickwave.SKU{Code: "MUG", Name: "Mug", Barcodes: []pickwave.Barcode{{Code: "4006381333931", Qty: 1}}, WeightG: 300}

// seedMug adds a SKU, a pick location and ten in stock, through the client.
func (s *site) seedMug(ctx context.Context) {
	s.t.Helper()
	sku := mug
	if err := s.super.Inventory.CreateSKU(ctx, &sku); err != nil {
		s.t.Fatal(err)
	}
	if err := s.super.Inventory.CreateLocation(ctx, &pickwave.Location{Code: "A01-01-1", Zone: "A", Aisle: 1, Bay: 1, Level: 1, Kind: pickwave.LocationPick}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.super.Inventory.AdjustStock(ctx, &pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 10, Reason: "receipt"}); err != nil {
		s.t.Fatal(err)
	}
}

func orderInput(ext string, qty int) *pickwave.OrderInput {
	return &pickwave.OrderInput{
		ExternalID: ext,
		Customer:   pickwave.Customer{Name: "Ada Lovelace", Email: "ada@example.com"},
		ShipTo:     pickwave.Address{Name: "Ada Lovelace", Address1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"},
		Lines:      []pickwave.LineInput{{SKU: "MUG", Qty: qty}},
		Carrier:    "UPS", ShipBy: time.Date(2030, 1, 15, 17, 0, 0, 0, time.UTC),
	}
}

func TestInventoryService_roundTrip(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	inv := s.super.Inventory

	sku := mug
	if err := inv.CreateSKU(ctx, &sku); err != nil {
		t.Fatal(err)
	}
	if sku.CreatedAt.IsZero() {
		t.Error("CreateSKU did not fill in the stored SKU")
	}
	got := must(inv.SKU(ctx, "MUG")).of(t)
	if got.Name != "Mug" || len(got.Barcodes) != 1 {
		t.Errorf("SKU: %+v", got)
	}
	bySKU, bc, err := inv.SKUByBarcode(ctx, "4006381333931")
	if err != nil || bySKU.Code != "MUG" || bc.Qty != 1 {
		t.Errorf("SKUByBarcode: %+v %+v %v", bySKU, bc, err)
	}
	if list := must(inv.SKUs(ctx, "", 10)).of(t); len(list) != 1 || list[0].Code != "MUG" {
		t.Errorf("SKUs: %v", list)
	}
	if list := must(inv.SKUs(ctx, "MUG", 10)).of(t); len(list) != 0 {
		t.Errorf("SKUs after MUG: %v", list)
	}

	loc := pickwave.Location{Code: "A01-01-1", Zone: "A", Aisle: 1, Bay: 1, Level: 1, Kind: pickwave.LocationPick}
	if err := inv.CreateLocation(ctx, &loc); err != nil {
		t.Fatal(err)
	}
	if l := must(inv.Location(ctx, "A01-01-1")).of(t); l.Aisle != 1 || l.Kind != pickwave.LocationPick {
		t.Errorf("Location: %+v", l)
	}
	if list := must(inv.Locations(ctx, "", 0)).of(t); len(list) != 1 {
		t.Errorf("Locations: %v", list)
	}
	st := must(inv.AdjustStock(ctx, &pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 7, Reason: "receipt"})).of(t)
	if st.OnHand != 7 {
		t.Errorf("AdjustStock: %+v", st)
	}
	if rows := must(inv.StockOf(ctx, "MUG")).of(t); len(rows) != 1 || rows[0].OnHand != 7 {
		t.Errorf("StockOf: %v", rows)
	}
	if counts := must(inv.Counts(ctx, pickwave.CountFilter{Status: pickwave.CountOpen}, "", 10)).of(t); len(counts) != 0 {
		t.Errorf("Counts: %v", counts)
	}
	_, err = inv.Count(ctx, "C-0000000001")
	wantCode(t, "Count of none", err, pickwave.ENOTFOUND)
	n := 3
	_, err = inv.ConfirmCount(ctx, "C-0000000001", pickwave.CountConfirmation{Counted: &n})
	wantCode(t, "ConfirmCount of none", err, pickwave.ENOTFOUND)
	_, err = inv.Counts(ctx, pickwave.CountFilter{Status: "lost"}, "", 0)
	wantCode(t, "Counts of an unknown status", err, pickwave.EINVALID)

	// The interface works over the wire as on the store: a code written
	// against it runs on either.
	for name, svc := range map[string]pickwave.InventoryService{"client": inv, "store": s.db} {
		if got := must(svc.SKU(ctx, "MUG")).of(t); got.Code != "MUG" {
			t.Errorf("%s: SKU %+v", name, got)
		}
		_, err := svc.SKU(ctx, "NOPE")
		wantCode(t, name+": SKU NOPE", err, pickwave.ENOTFOUND)
	}
}

func TestOrderService_roundTrip(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	s.seedMug(ctx)
	orders := s.super.Orders

	o, created, err := orders.CreateOrder(ctx, orderInput("SHOP-1", 2))
	if err != nil || !created || o.Status != pickwave.OrderAllocated {
		t.Fatalf("CreateOrder: %+v created=%v %v", o, created, err)
	}
	again, created, err := orders.CreateOrder(ctx, orderInput("SHOP-1", 2))
	if err != nil || created || again.ID != o.ID {
		t.Errorf("CreateOrder again: %+v created=%v %v", again, created, err)
	}
	_, _, err = orders.CreateOrder(ctx, orderInput("SHOP-1", 3))
	wantCode(t, "CreateOrder with another body", err, pickwave.ECONFLICT)

	if got := must(orders.Order(ctx, o.ID)).of(t); got.ExternalID != "SHOP-1" {
		t.Errorf("Order: %+v", got)
	}
	if list := must(orders.Orders(ctx, pickwave.OrderFilter{Status: pickwave.OrderAllocated})).of(t); len(list) != 1 {
		t.Errorf("Orders allocated: %v", list)
	}
	if list := must(orders.Orders(ctx, pickwave.OrderFilter{Status: pickwave.OrderShipped, Limit: 5})).of(t); len(list) != 0 {
		t.Errorf("Orders shipped: %v", list)
	}
	cancelled := must(orders.CancelOrder(ctx, o.ID, "customer changed their mind")).of(t)
	if cancelled.Status != pickwave.OrderCancelled {
		t.Errorf("CancelOrder: %s", cancelled.Status)
	}
	_, err = orders.AllocateOrder(ctx, o.ID)
	if code := pickwave.ErrorCode(err); code != pickwave.ECONFLICT && code != pickwave.EINVALID {
		t.Errorf("AllocateOrder of a cancelled order: %v", err)
	}

	// ImportOrders writes CSV; the server's lines come back as the caller's.
	res, err := orders.ImportOrders(ctx, []pickwave.ImportOrder{
		{Input: orderInput("SHOP-2", 1), Rows: []int{10}},
		{Input: orderInput("SHOP-3", 1), Rows: []int{11}},
	})
	if err != nil || len(res.Created) != 2 || len(res.Existing) != 0 {
		t.Fatalf("ImportOrders: %+v %v", res, err)
	}
	res = must(orders.ImportOrders(ctx, []pickwave.ImportOrder{{Input: orderInput("SHOP-2", 1)}})).of(t)
	if len(res.Created) != 0 || len(res.Existing) != 1 {
		t.Errorf("ImportOrders again: %+v", res)
	}
	bad := orderInput("SHOP-4", 1)
	bad.Lines = append(bad.Lines, pickwave.LineInput{SKU: "NOPE", Qty: 1})
	_, err = orders.ImportOrders(ctx, []pickwave.ImportOrder{{Input: orderInput("SHOP-5", 1), Rows: []int{7}}, {Input: bad, Rows: []int{40, 42}}})
	wantCode(t, "ImportOrders with an unknown SKU", err, pickwave.EINVALID)
	fields, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError)
	if len(fields) != 1 || fields[0].Line != 42 {
		t.Errorf("ImportOrders with an unknown SKU on row 42: details %+v", pickwave.ErrorDetails(err))
	}

	csv := "external_id,customer_name,ship_name,ship_address1,ship_city,ship_postal_code,ship_country,carrier,ship_by,sku,qty\n" +
		"SHOP-6,Ada,Ada,1 Road,London,SW1,GB,UPS,2030-01-15T17:00:00Z,MUG,1\n"
	res = must(orders.ImportCSV(ctx, strings.NewReader(csv))).of(t)
	if len(res.Created) != 1 || res.Created[0].ExternalID != "SHOP-6" {
		t.Errorf("ImportCSV: %+v", res)
	}
	_, err = orders.ImportCSV(ctx, strings.NewReader("external_id\nX\n"))
	wantCode(t, "ImportCSV with a bad header", err, pickwave.EINVALID)
}

func TestWaveService_roundTrip(t *testing.T) {
	s := newSite(t)
	s.seedDemo()
	ctx := t.Context()

	layout := must(s.super.Planner.Layout(ctx)).of(t)
	if err := s.admin.Planner.SetLayout(ctx, layout); err != nil {
		t.Fatalf("SetLayout of the same layout: %v", err)
	}
	err := s.super.Planner.SetLayout(ctx, layout)
	wantCode(t, "SetLayout as a supervisor", err, pickwave.EFORBIDDEN)

	planned := must(s.super.Planner.PlanWave(ctx, pickwave.WaveTemplate{TotesPerCart: 8}, 1)).of(t)
	if planned.Status != pickwave.WavePlanned || planned.Plan == nil || len(planned.Orders) == 0 {
		t.Fatalf("PlanWave: %+v", planned)
	}
	waves := s.super.Waves
	released := must(waves.ReleaseWave(ctx, planned.ID)).of(t)
	if released.Status != pickwave.WaveReleased {
		t.Errorf("ReleaseWave: %s", released.Status)
	}
	if w := must(waves.Wave(ctx, planned.ID)).of(t); w.Progress.Carts == 0 {
		t.Errorf("Wave: %+v", w.Progress)
	}
	list := must(waves.Waves(ctx, 10)).of(t)
	if len(list) != 1 || list[0].Plan != nil {
		t.Errorf("Waves: %v", list)
	}
	// Carts are read by anyone, a picker too.
	prompt := must(s.db.TakeCart(ctx, "pat")).of(t)
	cart := must(s.pick.Waves.Cart(ctx, prompt.CartID)).of(t)
	tasks := must(s.pick.Waves.CartTasks(ctx, cart.ID)).of(t)
	if len(tasks) != len(cart.Tasks) || len(tasks) == 0 || tasks[0].Seq != 1 {
		t.Errorf("CartTasks: %d tasks for a cart of %d", len(tasks), len(cart.Tasks))
	}
	_, err = waves.Task(ctx, tasks[0].ID)
	wantCode(t, "Task, which has no route", err, pickwave.EMETHOD)

	_, err = waves.CancelWave(ctx, planned.ID)
	wantCode(t, "CancelWave once a picker has a cart", err, pickwave.ECONFLICT)
	_, err = s.super.Planner.PlanWave(ctx, pickwave.WaveTemplate{TotesPerCart: -1}, 1)
	wantCode(t, "PlanWave with a bad template", err, pickwave.EINVALID)
}

func TestStationService_roundTrip(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	st := &pickwave.Station{ID: "PACK-1", Name: "Pack 1",
		Scanner: &pickwave.ScannerConfig{Port: "/dev/ttyACM9"},
		Printer: &pickwave.PrinterConfig{URI: "tcp://127.0.0.1:9", DPI: 203}}
	if err := s.admin.Stations.CreateStation(ctx, st); err != nil {
		t.Fatal(err)
	}
	if st.CreatedAt.IsZero() {
		t.Error("CreateStation did not fill in the stored station")
	}
	packer := s.as("pia", pickwave.RolePacker)
	got, state, err := packer.Stations.StationWithState(ctx, "PACK-1")
	if err != nil || got.Name != "Pack 1" || state != nil {
		t.Errorf("StationWithState: %+v %+v %v", got, state, err)
	}
	st.Name = "Pack one"
	if up := must(s.admin.Stations.UpdateStation(ctx, st)).of(t); up.Name != "Pack one" {
		t.Errorf("UpdateStation: %+v", up)
	}
	if list := must(packer.Stations.Stations(ctx, "", 0)).of(t); len(list) != 1 || list[0].Name != "Pack one" {
		t.Errorf("Stations: %v", list)
	}
	err = packer.Stations.CreateStation(ctx, &pickwave.Station{ID: "PACK-2", Name: "Pack 2"})
	wantCode(t, "CreateStation as a packer", err, pickwave.EFORBIDDEN)

	jobs := packer.PrintJobs
	job, created, err := jobs.TestLabel(ctx, "PACK-1", "req-1")
	if err != nil || !created || job.Status != pickwave.PrintQueued {
		t.Fatalf("TestLabel: %+v %v %v", job, created, err)
	}
	again, created, err := jobs.TestLabel(ctx, "PACK-1", "req-1")
	if err != nil || created || again.ID != job.ID {
		t.Errorf("TestLabel again: %+v %v %v", again, created, err)
	}
	if j := must(jobs.PrintJob(ctx, job.ID)).of(t); j.Kind != pickwave.PrintKindTest {
		t.Errorf("PrintJob: %+v", j)
	}
	for _, f := range []pickwave.PrintJobFilter{{}, {StationID: "PACK-1", Status: pickwave.PrintQueued}} {
		if list := must(jobs.PrintJobs(ctx, f)).of(t); len(list) != 1 {
			t.Errorf("PrintJobs %+v: %v", f, list)
		}
	}
	_, _, err = jobs.Reprint(ctx, job.ID, "")
	wantCode(t, "Reprint of a queued job", err, pickwave.ECONFLICT)
	if c := must(jobs.CancelPrint(ctx, job.ID)).of(t); c.Status != pickwave.PrintCancelled {
		t.Errorf("CancelPrint: %s", c.Status)
	}
	re, created, err := jobs.Reprint(ctx, job.ID, "req-2")
	if err != nil || !created || re.ReprintOf != job.ID {
		t.Errorf("Reprint: %+v %v %v", re, created, err)
	}
}

func TestUserService_roundTrip(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	u := &pickwave.User{Name: "pete", Role: pickwave.RolePicker, Badge: "B-PETE"}
	if err := s.admin.Users.CreateUser(ctx, u, "correct horse"); err != nil {
		t.Fatal(err)
	}
	if u.CreatedAt.IsZero() {
		t.Error("CreateUser did not fill in the stored user")
	}
	users := must(s.admin.Users.Users(ctx)).of(t)
	if !slices.ContainsFunc(users, func(x *pickwave.User) bool { return x.Name == "pete" && x.Badge == "B-PETE" }) {
		t.Errorf("Users: %v", users)
	}

	c := client.New(s.url)
	err := c.Login(ctx, "pete", "wrong")
	wantCode(t, "Login with a wrong password", err, pickwave.EUNAUTHORIZED)
	if err := c.Login(ctx, "pete", "correct horse"); err != nil {
		t.Fatal(err)
	}
	me := must(c.Me(ctx)).of(t)
	if me.User != "pete" || me.Role != pickwave.RolePicker {
		t.Errorf("Me: %+v", me)
	}
	sess := must(s.admin.Users.Authenticate(ctx, c.Token())).of(t)
	if sess.User != "pete" {
		t.Errorf("Authenticate: %+v", sess)
	}
	token := c.Token()
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = s.admin.Users.Authenticate(ctx, token)
	wantCode(t, "Authenticate after logout", err, pickwave.EUNAUTHORIZED)

	_, _, err = c.Users.LoginBadge(ctx, "B-PETE")
	wantCode(t, "LoginBadge", err, pickwave.EMETHOD)
	_, err = c.Users.MintToken(ctx, "pete", pickwave.RoleAdmin, time.Hour)
	wantCode(t, "MintToken", err, pickwave.EMETHOD)
}

func TestEventService_roundTrip(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	s.seedMug(ctx)
	events := must(s.super.Events.Events(ctx, 0, 2)).of(t)
	if len(events) != 2 || events[0].Type != pickwave.EventSKUCreated || events[1].Seq <= events[0].Seq {
		t.Fatalf("Events: %+v", events)
	}
	rest := must(s.super.Events.Events(ctx, events[1].Seq, 0)).of(t)
	if len(rest) != 1 || rest[0].Type != pickwave.EventStockAdjusted {
		t.Errorf("Events after %d: %+v", events[1].Seq, rest)
	}
	_, err := s.super.Events.LastSeq(ctx)
	wantCode(t, "LastSeq", err, pickwave.EMETHOD)
	_, err = s.pick.Events.Events(ctx, 0, 0)
	wantCode(t, "Events as a picker", err, pickwave.EFORBIDDEN)
}

func TestClient_barcodesLabelsAndSpec(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()
	p := must(s.pick.ParseBarcode(ctx, "]C101095060001343521725122510ABC123")).of(t)
	if p.GTIN != "09506000134352" || p.Symbology != "GS1-128" || len(p.Elements) != 3 || len(p.Readings) == 0 {
		t.Errorf("ParseBarcode: %+v", p)
	}
	_, err := s.pick.ParseBarcode(ctx, "(01)09506000134353")
	wantCode(t, "ParseBarcode of a bad check digit", err, pickwave.EINVALID)

	packer := s.as("pia", pickwave.RolePacker)
	req := client.LabelRequest{
		ShipFrom: pickwave.Address{Name: "Pickwave DC", Address1: "1 Dock Rd", City: "Columbus", PostalCode: "43215", Country: "US"},
		ShipTo:   pickwave.Address{Name: "Ada Lovelace", Address1: "12 Maple St", City: "Columbus", PostalCode: "43215", Country: "US"},
		Carrier:  "UPS", TrackingNumber: "1Z999AA10123456784", WeightG: 1200, Date: "2030-01-15",
	}
	zpl := must(packer.RenderLabel(ctx, req, client.LabelZPL)).of(t)
	if !bytes.HasPrefix(zpl, []byte("^XA")) {
		t.Errorf("RenderLabel ZPL: %.40q", zpl)
	}
	png := must(packer.RenderLabel(ctx, req, client.LabelPNG)).of(t)
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("RenderLabel PNG: %.8q", png)
	}
	_, err = s.pick.RenderLabel(ctx, req, client.LabelZPL)
	wantCode(t, "RenderLabel as a picker", err, pickwave.EFORBIDDEN)

	spec := must(client.New(s.url).OpenAPI(ctx)).of(t) // no session needed
	if !bytes.HasPrefix(spec, []byte("openapi: 3.1")) {
		t.Errorf("OpenAPI: %.40q", spec)
	}
	if err := client.New(s.url).Health(ctx); err != nil {
		t.Errorf("Health: %v", err)
	}
}

// TestClient_errors checks that the server's JSON errors come back as
// *pickwave.Error with the code, message and details it wrote.
func TestClient_errors(t *testing.T) {
	s := newSite(t)
	ctx := t.Context()

	_, err := s.pick.Inventory.SKU(ctx, "NOPE")
	wantCode(t, "SKU NOPE", err, pickwave.ENOTFOUND)
	var e *pickwave.Error
	if !errors.As(err, &e) || !strings.Contains(e.Message, "NOPE") {
		t.Errorf("SKU NOPE: %#v", err)
	}
	if !strings.Contains(err.Error(), "GET /api/v1/skus/NOPE") {
		t.Errorf("the error does not say which call failed: %v", err)
	}

	err = s.super.Inventory.CreateSKU(ctx, &pickwave.SKU{Code: "BAD CODE"})
	wantCode(t, "CreateSKU with bad fields", err, pickwave.EINVALID)
	fields, ok := pickwave.ErrorDetails(err).([]pickwave.FieldError)
	if !ok || !slices.ContainsFunc(fields, func(f pickwave.FieldError) bool { return f.Field == "code" }) ||
		!slices.ContainsFunc(fields, func(f pickwave.FieldError) bool { return f.Field == "name" }) {
		t.Errorf("CreateSKU with bad fields: details %#v", pickwave.ErrorDetails(err))
	}

	_, err = client.New(s.url).Inventory.SKUs(ctx, "", 0)
	wantCode(t, "SKUs without a token", err, pickwave.EUNAUTHORIZED)
	_, err = client.New(s.url, client.WithToken("not-a-token")).Me(ctx)
	wantCode(t, "Me with a bad token", err, pickwave.EUNAUTHORIZED)
	err = s.pick.Inventory.CreateSKU(ctx, &pickwave.SKU{Code: "X", Name: "X"})
	wantCode(t, "CreateSKU as a picker", err, pickwave.EFORBIDDEN)
	_, err = s.pick.Users.Users(ctx)
	wantCode(t, "Users as a picker", err, pickwave.EFORBIDDEN)

	// Segments are escaped: a code with a question mark, a hash or a
	// percent sign is one code.
	odd := &pickwave.SKU{Code: "A?B#C%2F", Name: "Odd"}
	if err := s.super.Inventory.CreateSKU(ctx, odd); err != nil {
		t.Fatal(err)
	}
	if got := must(s.pick.Inventory.SKU(ctx, "A?B#C%2F")).of(t); got.Code != odd.Code {
		t.Errorf("SKU %q: got %q", odd.Code, got.Code)
	}
	_, err = s.pick.Inventory.SKU(ctx, "A?B")
	wantCode(t, "SKU A?B", err, pickwave.ENOTFOUND)

	_, err = client.New("127.0.0.1:8080").Me(ctx)
	wantCode(t, "a URL without a scheme", err, pickwave.EINVALID)

	small := client.New(s.url, client.WithToken(s.super.Token()), client.WithMaxResponseBytes(64))
	s.seedMug(ctx)
	if _, err := small.Inventory.SKUs(ctx, "", 0); err == nil || !strings.Contains(err.Error(), "larger than 64 bytes") {
		t.Errorf("an answer over the bound: %v", err)
	}
}

// TestClient_contextCancel checks that a call returns when its context
// ends, before and during the request.
func TestClient_contextCancel(t *testing.T) {
	s := newSite(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.super.Inventory.SKUs(ctx, "", 0)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context: %v", err)
	}

	// A server that answers only when the request is given up.
	arrived := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	defer slow.Close()
	ctx, cancel = context.WithCancel(t.Context())
	go func() {
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
		}
		cancel()
	}()
	done := make(chan error, 1)
	go func() {
		_, err := client.New(slow.URL).Orders.Order(ctx, "O-1")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled in flight: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not return when its context was cancelled")
	}
}

// A call refused with nothing done (429 for its address's rate) is sent
// again after the Retry-After the server asks for, unless told not to.
func TestClient_retriesWhenRateLimited(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{NoSync: true})
	srv := testenv.Server(db, nil)
	srv.APIRate, srv.APIBurst = 1, 1
	hs := httptest.NewServer(testenv.Checked(t, srv.Handler()))
	t.Cleanup(hs.Close)
	token, _ := db.MintToken(context.Background(), "sue", pickwave.RoleSupervisor, time.Hour)
	ctx := context.Background()

	once := client.New(hs.URL, client.WithToken(token), client.WithRetries(0))
	if _, err := once.Me(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := once.Me(ctx)
	wantCode(t, "a second call at once, without retries", err, pickwave.ETOOMANY)

	c := client.New(hs.URL, client.WithToken(token))
	start := time.Now()
	if _, err := c.Me(ctx); err != nil {
		t.Fatalf("with retries: %v", err)
	}
	if waited := time.Since(start); waited < 500*time.Millisecond {
		t.Fatalf("answered after %s: the retry did not wait for Retry-After", waited)
	}
}
