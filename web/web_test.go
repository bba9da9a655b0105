package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/browsertest"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
	"github.com/pickwave/pickwave/web"
)

const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"

func TestCSP_isTheOneTested(t *testing.T) {
	if web.CSP != csp {
		t.Errorf("web.CSP is %q, want %q", web.CSP, csp)
	}
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestHandler_servesIndexForUnknownPaths(t *testing.T) {
	h := web.Handler()
	for _, path := range []string{"/", "/orders", "/orders/O-0000000001", "/no/such/file.js"} {
		rec := get(t, h, path)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q, want text/html", path, ct)
		}
		if !strings.Contains(rec.Body.String(), "<title>Pickwave</title>") || !strings.Contains(rec.Body.String(), `id="view-orders"`) {
			t.Errorf("GET %s: not the single page:\n%.200s", path, rec.Body.String())
		}
		if got := rec.Header().Get("Content-Security-Policy"); got != csp {
			t.Errorf("GET %s: Content-Security-Policy %q, want %q", path, got, csp)
		}
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", path, got)
		}
	}
}

func TestHandler_servesAssets(t *testing.T) {
	h := web.Handler()
	for path, ctype := range map[string]string{"/app.js": "text/javascript", "/app.css": "text/css"} {
		rec := get(t, h, path)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", path, ct, ctype)
		}
		if strings.Contains(rec.Body.String(), "<!doctype html>") {
			t.Errorf("GET %s served the page instead of the file", path)
		}
		if got := rec.Header().Get("Content-Security-Policy"); got != csp {
			t.Errorf("GET %s: Content-Security-Policy %q", path, got)
		}
	}
}

// TestStatic_keepsToTheRules checks the source of the UI for what the CSP
// would block (inline scripts, styles and handlers) and for HTML built from
// strings, which could carry API data into the page as markup.
func TestStatic_keepsToTheRules(t *testing.T) {
	var checked int
	err := filepath.WalkDir("static", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// Third-party files, served as they came (vendor/README.md):
			// the rules are for the UI's own sources.
			if path == filepath.Join("static", "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		src := string(data)
		checked++
		switch filepath.Ext(path) {
		case ".html":
			for _, m := range regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`).FindAllStringSubmatch(src, -1) {
				if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
					t.Errorf("%s: inline script %q", path, m[0])
				}
			}
			for _, bad := range []*regexp.Regexp{
				regexp.MustCompile(`(?i)<style`),
				regexp.MustCompile(`(?i)\sstyle\s*=`),
				regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
				regexp.MustCompile(`(?i)(?:src|href)\s*=\s*"(?:https?:)?//`), // nothing from elsewhere
				regexp.MustCompile(`(?i)javascript:`),
			} {
				if loc := bad.FindStringIndex(src); loc != nil {
					t.Errorf("%s: %q breaks the CSP or loads from elsewhere", path, src[loc[0]:min(loc[1]+20, len(src))])
				}
			}
			for _, m := range regexp.MustCompile(`(?:src|href)="/([^"]+)"`).FindAllStringSubmatch(src, -1) {
				if _, err := os.Stat(filepath.Join("static", m[1])); err != nil {
					t.Errorf("%s refers to /%s, which is not in static/", path, m[1])
				}
			}
		case ".js":
			for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('style'", ".style."} {
				if strings.Contains(src, bad) {
					t.Errorf("%s uses %s; build nodes and set textContent instead", path, bad)
				}
			}
		case ".css":
			if strings.Contains(src, "@import") || strings.Contains(src, "url(http") {
				t.Errorf("%s loads styles or images from elsewhere", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 3 {
		t.Fatalf("checked %d files in static/", checked)
	}
}

// loginUsers are the demo users the tests log in as. Seeding makes only
// these: each bcrypt hash takes seconds under the race detector.
var loginUsers = []string{"supervisor"}

// seedServices passes demo.Seed through to the store, but for users not in
// loginUsers.
type seedServices struct{ *store.DB }

func (s seedServices) CreateUser(ctx context.Context, u *pickwave.User, password string) error {
	if !slices.Contains(loginUsers, u.Name) {
		return nil
	}
	return s.DB.CreateUser(ctx, u, password)
}

// site is a seeded demo warehouse behind a real HTTP server.
type site struct {
	t     *testing.T
	db    *store.DB
	url   string
	token string // a supervisor's bearer token, for API calls made by the test
}

func newSite(t *testing.T) *site {
	t.Helper()
	discard := slog.New(slog.DiscardHandler)
	db := testenv.OpenStore(t, t.TempDir(), store.Options{NoSync: true})
	ctx := context.Background()
	err := demo.Seed(ctx, seedServices{db}, demo.Site{Aisles: 2, Bays: 3, Levels: 2, SKUs: 10, Orders: 5, Seed: 1, Now: time.Now()})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	s := testenv.Server(db, discard)
	s.Web = web.Handler()
	hs := httptest.NewServer(testenv.Checked(t, s.Handler()))
	t.Cleanup(func() {
		hs.Close()
		db.Close()
	})
	token, err := db.MintToken(ctx, "test", pickwave.RoleSupervisor, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &site{t: t, db: db, url: hs.URL, token: token}
}

// call makes an API request and decodes the JSON answer into out.
func (s *site) call(method, path string, body, out any) int {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			s.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return res.StatusCode
}

// apiMessage is the message of the API's error answer to a request.
func (s *site) apiMessage(method, path string, body any) string {
	s.t.Helper()
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	if code := s.call(method, path, body, &e); code < 400 || e.Error.Message == "" {
		s.t.Fatalf("%s %s: status %d, message %q; want an error", method, path, code, e.Error.Message)
	}
	return e.Error.Message
}

func (s *site) createOrder(ext, customer string, skus ...string) *pickwave.Order {
	s.t.Helper()
	in := pickwave.OrderInput{
		ExternalID: ext,
		Customer:   pickwave.Customer{Name: customer},
		ShipTo:     pickwave.Address{Name: "Ada Lovelace", Address1: "12 Maple St", City: "Columbus", PostalCode: "43215", Country: "US"},
		Carrier:    "UPS", ShipBy: time.Now().Add(24 * time.Hour).UTC(),
	}
	for _, sku := range skus {
		in.Lines = append(in.Lines, pickwave.LineInput{SKU: sku, Qty: 1})
	}
	var o pickwave.Order
	if code := s.call("POST", "/api/v1/orders", in, &o); code != http.StatusCreated {
		s.t.Fatalf("create order %s: status %d", ext, code)
	}
	return &o
}

func TestUI_supervisorInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	s := newSite(t)
	ctx := context.Background()
	b := browsertest.New(t, execPath)
	start := time.Now()
	defer func() { t.Logf("browser steps took %v", time.Since(start).Round(time.Millisecond)) }()

	seeded, err := s.db.Orders(ctx, pickwave.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(seeded) != 5 {
		t.Fatalf("seeded %d orders, want 5", len(seeded))
	}

	// Login: a wrong password shows the API's message, the right one the orders.
	b.Do("open the login page",
		chromedp.Navigate(s.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login-username")),
		chromedp.SendKeys(chromedp.CSS("#login-username"), "supervisor"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), "not-the-password"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#login-error")),
	)
	wantMsg := s.apiMessage("POST", "/api/v1/login", map[string]string{"username": "supervisor", "password": "not-the-password"})
	if got := b.Text("#login-error"); got != wantMsg {
		t.Errorf("login error shows %q, want the API's %q", got, wantMsg)
	}
	b.Screenshot("pickwave-login.png")
	b.Fill("#login-password", demo.Password+"\n")
	b.Do("log in",
		chromedp.WaitVisible(chromedp.CSS(`#orders-table[data-state="ready"]`)),
	)
	if got := b.Text("#who-name"); got != "supervisor" {
		t.Errorf("logged in as %q", got)
	}
	if got := b.Text("#who-role"); got != "supervisor" {
		t.Errorf("role shows %q", got)
	}

	// The orders list shows the five seeded orders.
	var wantIDs []string
	for _, o := range seeded {
		wantIDs = append(wantIDs, o.ID)
	}
	if got := browsertest.Eval[[]string](b, `[...document.querySelectorAll('#orders-body tr')].map(tr => tr.dataset.id)`); !slices.Equal(got, wantIDs) {
		t.Fatalf("orders list shows %v, want %v", got, wantIDs)
	}

	// Open the order with the most lines and check its lines and timeline.
	o := seeded[0]
	for _, c := range seeded {
		if len(c.Lines) > len(o.Lines) && c.Status != pickwave.OrderCancelled {
			o = c
		}
	}
	b.Do("open order "+o.ID,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#orders-body tr[data-id=%q] a`, o.ID))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#order-detail[data-state="ready"][data-id=%q]`, o.ID))),
	)
	var wantSKUs []string
	for _, l := range o.Lines {
		wantSKUs = append(wantSKUs, l.SKU)
	}
	if got := b.Texts("#od-lines-body tr td:first-child"); !slices.Equal(got, wantSKUs) {
		t.Errorf("order lines show SKUs %v, want %v", got, wantSKUs)
	}
	lineText := b.Texts("#od-lines-body tr")
	for i, l := range o.Lines {
		for _, a := range l.Allocations {
			if !strings.Contains(lineText[i], a.Location) || (a.Lot != "" && !strings.Contains(lineText[i], a.Lot)) {
				t.Errorf("line %d %q lacks allocation %+v", i, lineText[i], a)
			}
			if a.Expiry != nil && !strings.Contains(lineText[i], a.Expiry.UTC().Format("2006-01-02")) {
				t.Errorf("line %d %q lacks expiry %v", i, lineText[i], a.Expiry)
			}
		}
	}
	var wantSteps []string
	for _, st := range o.Timeline {
		wantSteps = append(wantSteps, string(st.Status))
	}
	if got := b.Texts("#od-timeline li .status"); !slices.Equal(got, wantSteps) {
		t.Errorf("timeline shows %v, want %v", got, wantSteps)
	}
	if got := b.Text("#od-status"); got != string(o.Status) {
		t.Errorf("order status shows %q, want %s", got, o.Status)
	}
	b.Screenshot("pickwave-orders.png")
	// On a tablet in portrait the order opens below the list.
	b.Do("tablet viewport", chromedp.EmulateViewport(768, 1024))
	b.Screenshot("pickwave-orders-tablet.png")
	b.Do("laptop viewport", chromedp.ResetViewport())

	// Filter by status: the list shows exactly the orders the API has.
	counts := map[pickwave.OrderStatus]int{}
	for _, c := range seeded {
		counts[c.Status]++
	}
	for _, st := range []pickwave.OrderStatus{pickwave.OrderAllocated, pickwave.OrderBackordered, pickwave.OrderShipped} {
		b.Choose("#orders-status", string(st))
		b.Do("filter "+string(st), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#orders-table[data-state="ready"][data-filter=%q]`, st))))
		got := b.Texts("#orders-body tr .status")
		if len(got) != counts[st] {
			t.Errorf("filter %s shows %d orders, want %d", st, len(got), counts[st])
		}
		for _, g := range got {
			if g != string(st) {
				t.Errorf("filter %s shows an order that is %s", st, g)
			}
		}
		if counts[st] == 0 {
			b.Do("see that no order is "+string(st), chromedp.WaitVisible(chromedp.CSS("#orders-empty")))
		}
	}

	// Cancel the open order; it then shows under the cancelled filter.
	b.Do("cancel order "+o.ID,
		chromedp.Click(chromedp.CSS("#od-cancel-open")),
		chromedp.WaitVisible(chromedp.CSS("#od-cancel-reason")),
		chromedp.SendKeys(chromedp.CSS("#od-cancel-reason"), "customer called"),
		chromedp.Click(chromedp.CSS("#od-cancel-confirm")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#order-detail[data-id=%q][data-status="cancelled"]`, o.ID))),
		chromedp.WaitNotVisible(chromedp.CSS("#od-cancel")),
	)
	if got, err := s.db.Order(ctx, o.ID); err != nil || got.Status != pickwave.OrderCancelled || got.Timeline[len(got.Timeline)-1].Note != "customer called" {
		t.Fatalf("after cancel in the UI the order is %+v, %v", got, err)
	}
	b.Choose("#orders-status", "cancelled")
	b.Do("filter cancelled", chromedp.WaitVisible(chromedp.CSS(`#orders-table[data-state="ready"][data-filter="cancelled"]`)))
	if got := browsertest.Eval[[]string](b, `[...document.querySelectorAll('#orders-body tr')].map(tr => tr.dataset.id)`); !slices.Equal(got, []string{o.ID}) {
		t.Errorf("cancelled filter shows %v, want [%s]", got, o.ID)
	}

	// Inventory: an unknown code shows the API's message; a scanned barcode
	// (digits and Enter) shows the SKU and its stock.
	sku, rows := s.skuWithMostStock()
	b.Do("open inventory",
		chromedp.Click(chromedp.CSS(`.tabs a[data-view="inventory"]`)),
		chromedp.WaitVisible(chromedp.CSS("#inv-query")),
		chromedp.SendKeys(chromedp.CSS("#inv-query"), "NO-SUCH-SKU\n"),
		chromedp.WaitVisible(chromedp.CSS("#inv-error")),
	)
	if got, want := b.Text("#inv-error"), s.apiMessage("GET", "/api/v1/skus/NO-SUCH-SKU", nil); got != want {
		t.Errorf("unknown SKU shows %q, want the API's %q", got, want)
	}
	barcode := sku.Barcodes[0].Code
	b.Fill("#inv-query", barcode+"\n")
	b.Do("scan barcode "+barcode,
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#stock-table[data-state="ready"][data-sku=%q]`, sku.Code))),
		chromedp.WaitNotVisible(chromedp.CSS("#inv-error")),
	)
	if got := b.Text("#sku-code"); got != sku.Code {
		t.Errorf("SKU shows %q, want %s", got, sku.Code)
	}
	if got := b.Text("#sku-name"); got != sku.Name {
		t.Errorf("SKU name shows %q, want %q", got, sku.Name)
	}
	if got := b.Text("#sku-via"); !strings.Contains(got, barcode) {
		t.Errorf("SKU does not say it was found by barcode: %q", got)
	}
	cells := browsertest.Eval[[][]string](b, `[...document.querySelectorAll('#stock-body tr')].map(tr => [...tr.cells].map(td => td.textContent.trim()))`)
	if len(cells) != len(rows) {
		t.Fatalf("stock table has %d rows, want %d: %v", len(cells), len(rows), cells)
	}
	for i, r := range rows {
		lot, expiry := r.Lot, "—"
		if lot == "" {
			lot = "—"
		}
		if r.Expiry != nil {
			expiry = r.Expiry.UTC().Format("2006-01-02")
		}
		want := []string{r.Location, lot, expiry, fmt.Sprint(r.OnHand), fmt.Sprint(r.Reserved), fmt.Sprint(r.Available())}
		if !slices.Equal(cells[i], want) {
			t.Errorf("stock row %d shows %v, want %v", i, cells[i], want)
		}
	}
	b.Screenshot("pickwave-inventory.png")

	// Events: the tail shows the newest events and, within a poll or two,
	// the order.created event of an order made through the API.
	b.Do("open events",
		chromedp.Click(chromedp.CSS(`.tabs a[data-view="events"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#events-table[data-state="ready"]`)),
	)
	last, err := s.db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := browsertest.Eval[string](b, `document.querySelector('#events-body tr').dataset.seq`); got != fmt.Sprint(last) {
		t.Errorf("newest event on top is %s, want %d", got, last)
	}
	// The customer's name is markup, which the page must show as text.
	const markup = `<img src=x onerror="document.title='owned'"> Ada`
	created := s.createOrder("UI-TEST-1", markup, sku.Code)
	b.Do("see order.created of "+created.ID,
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#events-body tr[data-type="order.created"][data-entity="order/%s"]`, created.ID))),
	)
	if got := browsertest.Eval[string](b, `document.querySelector('#events-body tr').dataset.entity`); got != "order/"+created.ID {
		t.Errorf("newest event on top is for %s, want order/%s", got, created.ID)
	}
	if got := b.Text(fmt.Sprintf(`#events-body tr[data-entity="order/%s"] td:nth-child(5)`, created.ID)); got != "test" {
		t.Errorf("event actor shows %q, want test", got)
	}
	b.Screenshot("pickwave-events.png")

	// Paging: with 10 per page, 12 orders take two pages.
	for i := 2; i <= 7; i++ {
		s.createOrder(fmt.Sprintf("UI-TEST-%d", i), "Ada Lovelace", sku.Code)
	}
	b.Do("back to orders",
		chromedp.Click(chromedp.CSS(`.tabs a[data-view="orders"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#orders-table[data-state="ready"]`)),
	)
	b.Choose("#orders-status", "")
	b.Choose("#orders-limit", "10")
	b.WaitFor("page 1 of all orders", `(t => t.dataset.state === 'ready' && t.dataset.filter === '' && document.querySelectorAll('#orders-body tr').length === 10)(document.getElementById('orders-table'))`)
	b.Do("next page",
		chromedp.WaitEnabled(chromedp.CSS("#orders-next")),
		chromedp.Click(chromedp.CSS("#orders-next")),
		chromedp.WaitVisible(chromedp.CSS(`#orders-table[data-state="ready"][data-page="2"]`)),
	)
	if n := browsertest.Eval[int](b, `document.querySelectorAll('#orders-body tr').length`); n != 2 {
		t.Errorf("page 2 has %d orders, want 2", n)
	}
	if disabled := browsertest.Eval[bool](b, `document.getElementById('orders-next').disabled`); !disabled {
		t.Error("Next is enabled on the last page")
	}
	b.Do("previous page",
		chromedp.Click(chromedp.CSS("#orders-prev")),
		chromedp.WaitVisible(chromedp.CSS(`#orders-table[data-state="ready"][data-page="1"]`)),
	)
	if n := browsertest.Eval[int](b, `document.querySelectorAll('#orders-body tr').length`); n != 10 {
		t.Errorf("page 1 has %d orders, want 10", n)
	}
	if got := b.Text(fmt.Sprintf(`#orders-body tr[data-id=%q] td:nth-child(3)`, created.ID)); got != markup {
		t.Errorf("customer name shows as %q, want the text %q", got, markup)
	}
	if n := browsertest.Eval[int](b, `document.querySelectorAll('main img').length`); n != 0 {
		t.Errorf("API text became %d img elements", n)
	}

	// Logging out returns to the login screen, and the API forgets the session.
	b.Do("log out",
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login-username")),
		chromedp.WaitNotVisible(chromedp.CSS("#topbar")),
	)
	if code := browsertest.Eval[int](b, `fetch('/api/v1/me').then(r => r.status)`, chromedp.EvalAwaitPromise); code != http.StatusUnauthorized {
		t.Errorf("after logout /api/v1/me answers %d", code)
	}
	b.CheckConsole()
}

// skuWithMostStock picks the seeded SKU with the most stock rows, so the
// stock table has something to show.
func (s *site) skuWithMostStock() (*pickwave.SKU, []*pickwave.Stock) {
	s.t.Helper()
	ctx := context.Background()
	skus, err := s.db.SKUs(ctx, "", 100)
	if err != nil {
		s.t.Fatal(err)
	}
	var best *pickwave.SKU
	var bestRows []*pickwave.Stock
	for _, sku := range skus {
		rows, err := s.db.StockOf(ctx, sku.Code)
		if err != nil {
			s.t.Fatal(err)
		}
		if best == nil || len(rows) > len(bestRows) {
			best, bestRows = sku, rows
		}
	}
	if best == nil || len(bestRows) == 0 || len(best.Barcodes) == 0 {
		s.t.Fatal("no SKU with stock and a barcode")
	}
	return best, bestRows
}

// TestPageCSP_Peers: the pages may open sockets on the peers, and on
// nothing a malformed peer could smuggle into the policy.
func TestPageCSP_Peers(t *testing.T) {
	if got := web.PageCSP(nil); got != csp {
		t.Errorf("no peers: %q", got)
	}
	got := web.PageCSP([]string{"http://10.0.0.2:8080", "https://b.example", "ftp://c", "http://x;script-src *", "nope"})
	if want := csp + "; connect-src 'self' ws://10.0.0.2:8080 wss://b.example"; got != want {
		t.Errorf("peers: %q, want %q", got, want)
	}
	rec := get(t, web.Handler("http://10.0.0.2:8080"), "/handheld.html")
	if got := rec.Header().Get("Content-Security-Policy"); !strings.HasSuffix(got, "connect-src 'self' ws://10.0.0.2:8080") {
		t.Errorf("the handheld page's CSP with a peer: %q", got)
	}
}

// FuzzPageCSP: whatever the peers, the policy is CSP with at most one
// connect-src directive of websocket origins added, so a peer can widen
// where sockets go and nothing else.
func FuzzPageCSP(f *testing.F) {
	for _, seed := range []string{"http://10.0.0.2:8080", "https://b.example", "http://x;script-src *", "http://[::1]:80", "ws://a", "http://a b", "http://a\n"} {
		f.Add(seed, "https://peer.example")
	}
	source := regexp.MustCompile(`^wss?://[A-Za-z0-9.:\[\]-]+$`)
	f.Fuzz(func(t *testing.T, a, b string) {
		got := web.PageCSP([]string{a, b})
		if got == csp {
			return
		}
		rest, ok := strings.CutPrefix(got, csp+"; connect-src 'self' ")
		if !ok {
			t.Fatalf("policy %q does not extend CSP with connect-src", got)
		}
		for _, src := range strings.Split(rest, " ") {
			if !source.MatchString(src) {
				t.Fatalf("policy %q adds %q", got, src)
			}
		}
	})
}
