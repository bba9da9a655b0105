package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
)

// env is a server on a real store behind a real HTTP listener.
type env struct {
	t     *testing.T
	db    *store.DB
	srv   *httptest.Server
	admin string // bearer tokens by role
	super string
	pick  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testenv.OpenStore(t, t.TempDir(), store.Options{})
	s := testenv.Server(db, nil)
	hs := httptest.NewServer(testenv.Checked(t, s.Handler()))
	t.Cleanup(func() {
		hs.Close()
		db.Close()
	})
	e := &env{t: t, db: db, srv: hs}
	ctx := context.Background()
	e.admin, _ = db.MintToken(ctx, "ann", pickwave.RoleAdmin, time.Hour)
	e.super, _ = db.MintToken(ctx, "sue", pickwave.RoleSupervisor, time.Hour)
	e.pick, _ = db.MintToken(ctx, "pete", pickwave.RolePicker, time.Hour)
	return e
}

type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// apiError is the JSON error shape.
type apiError struct {
	Error struct {
		Code    string                `json:"code"`
		Message string                `json:"message"`
		Details []pickwave.FieldError `json:"details"`
	} `json:"error"`
}

func (e *env) do(method, path, token, contentType string, body io.Reader) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: data, header: res.Header}
}

func (e *env) json(method, path, token string, v any) response {
	e.t.Helper()
	var body io.Reader
	switch v := v.(type) {
	case nil:
	case string:
		body = strings.NewReader(v)
	default:
		data, _ := json.Marshal(v)
		body = bytes.NewReader(data)
	}
	return e.do(method, path, token, "application/json", body)
}

// mustStatus fails unless the response has the status; for errors it also
// checks the JSON error shape.
func mustStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	if want >= 400 {
		var e apiError
		r.decode(t, &e)
		if e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("error body %s lacks code or message", r.body)
		}
	}
}

func mustErrorField(t *testing.T, r response, code, field string) {
	t.Helper()
	var e apiError
	r.decode(t, &e)
	if e.Error.Code != code {
		t.Fatalf("error code %q, want %q: %s", e.Error.Code, code, r.body)
	}
	for _, d := range e.Error.Details {
		if d.Field == field {
			return
		}
	}
	t.Fatalf("error details do not name %q: %s", field, r.body)
}

var mug = map[string]any{
	"code": "MUG", "name": "Mug", "barcodes": []map[string]any{{"code": "036000291452", "qty": 1}, {"code": "10036000291459", "qty": 12}},
	"weight_g": 300, "length_mm": 90, "width_mm": 90, "height_mm": 100, "lot_tracked": false, "expiry_tracked": false,
}

func (e *env) seed() {
	e.t.Helper()
	mustStatus(e.t, e.json("POST", "/api/v1/skus", e.super, mug), 201)
	mustStatus(e.t, e.json("POST", "/api/v1/locations", e.super, map[string]any{"code": "A01-01-1", "zone": "A", "aisle": 1, "bay": 1, "level": 1, "kind": "pick"}), 201)
	mustStatus(e.t, e.json("POST", "/api/v1/stock/adjust", e.super, map[string]any{"sku": "MUG", "location": "A01-01-1", "delta": 10, "reason": "receipt"}), 200)
}

func orderBody(ext string, qty int) map[string]any {
	return map[string]any{
		"external_id": ext,
		"customer":    map[string]any{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"},
		"ship_to":     map[string]any{"name": "Ada Lovelace", "address1": "12 St James's Square", "address2": "", "city": "London", "region": "", "postal_code": "SW1Y 4JH", "country": "GB"},
		"lines":       []map[string]any{{"sku": "MUG", "qty": qty}},
		"carrier":     "UPS", "service": "Ground", "ship_by": "2026-11-26T17:00:00Z", "priority": 1,
	}
}

func TestAuth_everyRouteButHealthz(t *testing.T) {
	e := newEnv(t)
	mustStatus(t, e.do("GET", "/healthz", "", "", nil), 200)
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/v1/skus"}, {"POST", "/api/v1/skus"}, {"GET", "/api/v1/skus/MUG"},
		{"GET", "/api/v1/locations"}, {"POST", "/api/v1/locations"}, {"POST", "/api/v1/stock/adjust"},
		{"GET", "/api/v1/stock?sku=MUG"}, {"GET", "/api/v1/orders"}, {"POST", "/api/v1/orders"},
		{"GET", "/api/v1/orders/O-1"}, {"POST", "/api/v1/orders/O-1/cancel"}, {"POST", "/api/v1/orders/import"},
		{"GET", "/api/v1/events"}, {"GET", "/metrics"}, {"GET", "/api/v1/users"},
	} {
		mustStatus(t, e.do(r.method, r.path, "", "", nil), 401)
		mustStatus(t, e.do(r.method, r.path, "forged-token", "", nil), 401)
	}
}

func TestAuth_rolesEnforced(t *testing.T) {
	e := newEnv(t)
	mustStatus(t, e.json("POST", "/api/v1/skus", e.pick, mug), 403)
	mustStatus(t, e.json("POST", "/api/v1/orders", e.pick, orderBody("X", 1)), 403)
	mustStatus(t, e.json("POST", "/api/v1/locations", e.pick, map[string]any{}), 403)
	mustStatus(t, e.json("POST", "/api/v1/stock/adjust", e.pick, map[string]any{}), 403)
	mustStatus(t, e.json("GET", "/api/v1/events", e.pick, nil), 403)
	mustStatus(t, e.json("POST", "/api/v1/users", e.super, map[string]any{"name": "x", "role": "admin", "password": "xxxxxx"}), 403)
	mustStatus(t, e.json("GET", "/api/v1/skus", e.pick, nil), 200) // a picker may look things up
}

func TestLogin_setsCookieThatAuthenticates(t *testing.T) {
	e := newEnv(t)
	mustStatus(t, e.json("POST", "/api/v1/users", e.admin, map[string]any{"name": "sue2", "role": "supervisor", "password": "s3cret"}), 201)
	mustStatus(t, e.json("POST", "/api/v1/login", "", map[string]any{"username": "sue2", "password": "nope"}), 401)
	r := e.json("POST", "/api/v1/login", "", map[string]any{"username": "sue2", "password": "s3cret"})
	mustStatus(t, r, 200)
	var lr struct{ Token, Role string }
	r.decode(t, &lr)
	if lr.Token == "" || lr.Role != "supervisor" {
		t.Fatalf("login response %s", r.body)
	}
	cookie := r.header.Get("Set-Cookie")
	if !strings.Contains(cookie, server.SessionCookie+"=") || !strings.Contains(cookie, "HttpOnly") {
		t.Fatalf("cookie %q", cookie)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/me", nil)
	req.Header.Set("Cookie", strings.Split(cookie, ";")[0])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("cookie auth: %d", res.StatusCode)
	}
}

func TestSKUs_createGetListAndErrors(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.json("GET", "/api/v1/skus/MUG", e.pick, nil)
	mustStatus(t, r, 200)
	var sku pickwave.SKU
	r.decode(t, &sku)
	if sku.Barcodes[0].Code != "00036000291452" || sku.Barcodes[1].Qty != 12 || sku.WeightG != 300 {
		t.Fatalf("SKU %+v", sku)
	}
	mustStatus(t, e.json("GET", "/api/v1/skus/NOPE", e.pick, nil), 404)
	mustStatus(t, e.json("GET", "/api/v1/barcodes/0036000291452", e.pick, nil), 200)
	mustStatus(t, e.json("POST", "/api/v1/skus", e.super, mug), 409)

	r = e.json("POST", "/api/v1/skus", e.super, map[string]any{"code": "X", "name": "x", "barcodes": []map[string]any{{"code": "036000291453", "qty": 1}}})
	mustStatus(t, r, 400)
	mustErrorField(t, r, "invalid", "barcodes[0].code")
	r = e.json("POST", "/api/v1/skus", e.super, `{"code": "X", "name": "x", "weight": 3}`)
	mustErrorField(t, r, "invalid", "weight")
	r = e.json("POST", "/api/v1/skus", e.super, `{"code": "X", "name": "x", "weight_g": "heavy"}`)
	mustErrorField(t, r, "invalid", "weight_g")
	mustStatus(t, e.json("POST", "/api/v1/skus", e.super, `{"code": "X",`), 400)
	mustStatus(t, e.json("POST", "/api/v1/skus", e.super, ``), 400)
	mustStatus(t, e.json("POST", "/api/v1/skus", e.super, `{} {}`), 400)
	mustStatus(t, e.json("POST", "/api/v1/skus", e.super, `{"name": "`+strings.Repeat("x", 2<<20)+`"}`), 400)

	r = e.json("GET", "/api/v1/skus?limit=1", e.pick, nil)
	var page struct {
		Items []pickwave.SKU `json:"items"`
		Next  string         `json:"next"`
	}
	r.decode(t, &page)
	if len(page.Items) != 1 || page.Next != "MUG" {
		t.Fatalf("page %s", r.body)
	}
	mustStatus(t, e.json("GET", "/api/v1/skus?limit=-1", e.pick, nil), 400)
}

func TestStock_adjustAndList(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.json("GET", "/api/v1/stock?sku=MUG", e.pick, nil)
	mustStatus(t, r, 200)
	var st struct {
		Items []map[string]any `json:"items"`
	}
	r.decode(t, &st)
	if len(st.Items) != 1 || st.Items[0]["location"] != "A01-01-1" || st.Items[0]["on_hand"] != 10.0 || st.Items[0]["reserved"] != 0.0 {
		t.Fatalf("stock %s", r.body)
	}
	for _, k := range []string{"lot", "on_hand", "reserved"} {
		if _, ok := st.Items[0][k]; !ok {
			t.Fatalf("stock row lacks %q: %s", k, r.body)
		}
	}
	mustStatus(t, e.json("GET", "/api/v1/stock", e.pick, nil), 400)
	mustStatus(t, e.json("GET", "/api/v1/stock?sku=NOPE", e.pick, nil), 404)
	r = e.json("POST", "/api/v1/stock/adjust", e.super, map[string]any{"sku": "MUG", "location": "A01-01-1", "delta": -11, "reason": "count"})
	mustErrorField(t, r, "invalid", "delta")
}

func TestOrders_intakeIdempotencyCancel(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.json("POST", "/api/v1/orders", e.super, orderBody("SHOP-1", 4))
	mustStatus(t, r, 201)
	var o struct {
		ID, ExternalID, Status string
		Lines                  []struct {
			ID, SKU        string
			Qty, Allocated int
		}
		Timeline []map[string]any
	}
	r.decode(t, &o)
	if o.Status != "allocated" || o.Lines[0].Allocated != 4 || o.Lines[0].ID == "" || len(o.Timeline) != 1 {
		t.Fatalf("order %s", r.body)
	}
	// Same body: the same order, 200. Different body: 409.
	r2 := e.json("POST", "/api/v1/orders", e.super, orderBody("SHOP-1", 4))
	mustStatus(t, r2, 200)
	if !strings.Contains(string(r2.body), o.ID) {
		t.Fatalf("retry returned %s", r2.body)
	}
	mustStatus(t, e.json("POST", "/api/v1/orders", e.super, orderBody("SHOP-1", 5)), 409)

	bad := orderBody("SHOP-2", 1)
	bad["ship_to"].(map[string]any)["country"] = "Britain"
	mustErrorField(t, e.json("POST", "/api/v1/orders", e.super, bad), "invalid", "ship_to.country")
	badTime := orderBody("SHOP-3", 1)
	badTime["ship_by"] = "tomorrow"
	mustStatus(t, e.json("POST", "/api/v1/orders", e.super, badTime), 400)

	mustStatus(t, e.json("GET", "/api/v1/orders/"+o.ID, e.super, nil), 200)
	mustStatus(t, e.json("GET", "/api/v1/orders/O-404", e.super, nil), 404)
	r = e.json("GET", "/api/v1/orders?status=allocated", e.super, nil)
	mustStatus(t, r, 200)
	if !strings.Contains(string(r.body), o.ID) {
		t.Fatalf("list %s", r.body)
	}
	mustStatus(t, e.json("GET", "/api/v1/orders?status=lost", e.super, nil), 400)

	r = e.json("POST", "/api/v1/orders/"+o.ID+"/cancel", e.super, map[string]any{"reason": "fraud check"})
	mustStatus(t, r, 200)
	if !strings.Contains(string(r.body), `"status":"cancelled"`) {
		t.Fatalf("cancel %s", r.body)
	}
	mustStatus(t, e.json("POST", "/api/v1/orders/"+o.ID+"/cancel", e.super, nil), 200)
}

func TestEvents_paging(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.json("GET", "/api/v1/events?after=1&limit=1", e.super, nil)
	mustStatus(t, r, 200)
	var page struct {
		Items []pickwave.Event `json:"items"`
		Next  uint64           `json:"next"`
	}
	r.decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].Seq != 2 || page.Items[0].Type != "location.created" || page.Items[0].Actor != "sue" || page.Next != 2 {
		t.Fatalf("events %s", r.body)
	}
	mustStatus(t, e.json("GET", "/api/v1/events?after=x", e.super, nil), 400)
}

func TestMetricsAndUnknownRoutes(t *testing.T) {
	e := newEnv(t)
	e.json("GET", "/api/v1/skus", e.pick, nil)
	r := e.do("GET", "/metrics", e.super, "", nil)
	mustStatus(t, r, 200)
	if !strings.Contains(string(r.body), `pickwave_http_requests_total{code="200",method="GET",route="/api/v1/skus"}`) ||
		!strings.Contains(string(r.body), "pickwave_http_request_duration_seconds_bucket") {
		t.Fatalf("metrics lack request counts or latencies:\n%.2000s", r.body)
	}
	mustStatus(t, e.do("GET", "/api/v1/nope", e.super, "", nil), 404)
	r = e.do("DELETE", "/api/v1/skus", e.super, "", nil)
	mustStatus(t, r, 405)
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") ||
		!strings.Contains(string(r.body), `"code":"method_not_allowed"`) {
		t.Fatalf("405 with Allow %q, body %s", allow, r.body)
	}
}

// TestList_limitAboveMaxIsPaged checks that a limit above the page size
// the server serves gets a full page and the cursor of the next, never
// a list silently cut short.
func TestList_limitAboveMaxIsPaged(t *testing.T) {
	e := newEnv(t)
	ctx := pickwave.WithActor(context.Background(), "sue")
	const n = 1001
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = e.db.CreateSKU(ctx, &pickwave.SKU{Code: fmt.Sprintf("SKU-%05d", i), Name: "Item"}) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var first struct {
		Items []pickwave.SKU `json:"items"`
		Next  string         `json:"next"`
	}
	r := e.do("GET", "/api/v1/skus?limit=5000", e.super, "", nil)
	mustStatus(t, r, 200)
	if err := json.Unmarshal(r.body, &first); err != nil || len(first.Items) != 1000 || first.Next != "SKU-00999" {
		t.Fatalf("first page: %d items, next %q, %v", len(first.Items), first.Next, err)
	}
	second := first
	second.Items, second.Next = nil, ""
	r = e.do("GET", "/api/v1/skus?limit=5000&after="+first.Next, e.super, "", nil)
	if err := json.Unmarshal(r.body, &second); err != nil || len(second.Items) != 1 || second.Next != "" {
		t.Fatalf("second page: %d items, next %q, %v", len(second.Items), second.Next, err)
	}
}
