package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
	"github.com/pickwave/pickwave/wave"
)

// floor is a small demo warehouse with a released wave, served for real.
type floor struct {
	t    testing.TB
	dir  string
	db   *store.DB
	srv  *server.Server
	http *httptest.Server
	// barcodes of each SKU: the each barcode first.
	barcodes map[string][]pickwave.Barcode
}

var floorNow = time.Now().UTC()

func newFloor(t testing.TB, orders int) *floor {
	t.Helper()
	f := &floor{t: t, dir: t.TempDir()}
	f.open()
	site := demo.Site{Aisles: 3, Bays: 5, Levels: 2, SKUs: 12, Orders: orders, Seed: 7, Now: floorNow}
	if err := demo.Seed(context.Background(), usersLite{f.db}, site); err != nil {
		t.Fatal(err)
	}
	f.barcodes = map[string][]pickwave.Barcode{}
	skus, _ := f.db.SKUs(context.Background(), "", 100)
	for _, s := range skus {
		f.barcodes[s.Code] = s.Barcodes
	}
	w, err := f.db.PlanWave(context.Background(), pickwave.WaveTemplate{TotesPerCart: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ReleaseWave(context.Background(), w.ID); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	return f
}

// usersLite seeds only one picker: bcrypt under the race detector is slow.
type usersLite struct{ *store.DB }

func (u usersLite) CreateUser(ctx context.Context, usr *pickwave.User, pw string) error {
	if usr.Name != "picker1" {
		return nil
	}
	return u.DB.CreateUser(ctx, usr, pw)
}

func (f *floor) open() {
	db, err := store.Open(f.dir, store.Options{Logger: slog.New(slog.DiscardHandler), NoSync: true,
		PickRules: wave.Rules{MinShelfLife: 14 * 24 * time.Hour}})
	if err != nil {
		f.t.Fatal(err)
	}
	f.db = db
	f.srv = &server.Server{Inventory: db, Orders: db, Events: db, Users: db, Waves: db, Planner: db, Picks: db, Logger: slog.New(slog.DiscardHandler)}
	f.http = httptest.NewServer(f.srv.Handler())
}

func (f *floor) close() {
	if f.http == nil {
		return
	}
	f.srv.Close(context.Background())
	f.http.Close()
	f.db.Close()
	f.http = nil
}

// restart stops the server and the store and starts both again on the
// same data, as after a crash or an upgrade.
func (f *floor) restart() {
	f.close()
	f.open()
}

// handheld is a websocket client speaking the handheld protocol.
type handheld struct {
	t       testing.TB
	ws      *websocket.Conn
	session string
	lastSeq uint64
	n       int
	prompt  *pickwave.Prompt
}

type msg struct {
	Type    string               `json:"type"`
	Seq     uint64               `json:"seq"`
	Session string               `json:"session"`
	Prompt  *pickwave.Prompt     `json:"prompt"`
	Result  *pickwave.ScanResult `json:"result"`
	Code    string               `json:"code"`
	Message string               `json:"message"`
}

func (f *floor) dial() *handheld {
	f.t.Helper()
	url := "ws" + strings.TrimPrefix(f.http.URL, "http") + "/ws/handheld"
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	h := &handheld{t: f.t, ws: ws}
	f.t.Cleanup(func() { ws.Close() })
	return h
}

func (h *handheld) send(v any) {
	h.t.Helper()
	if err := h.ws.WriteJSON(v); err != nil {
		h.t.Fatal(err)
	}
}

// next reads one message; sequenced messages must arrive in order, each
// exactly once.
func (h *handheld) next() msg {
	h.t.Helper()
	_ = h.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m msg
	if err := h.ws.ReadJSON(&m); err != nil {
		h.t.Fatalf("read: %v", err)
	}
	if m.Type == "prompt" || m.Type == "verdict" {
		if m.Seq != h.lastSeq+1 {
			h.t.Fatalf("%s with seq %d after %d: lost or repeated", m.Type, m.Seq, h.lastSeq)
		}
		h.lastSeq = m.Seq
		if m.Prompt != nil {
			h.prompt = m.Prompt
		}
		if m.Result != nil {
			h.prompt = &m.Result.Prompt
		}
	}
	return m
}

func (h *handheld) expect(typ string) msg {
	h.t.Helper()
	m := h.next()
	if m.Type != typ {
		h.t.Fatalf("got %s (%s %s), want %s", m.Type, m.Code, m.Message, typ)
	}
	return m
}

func (h *handheld) login() {
	h.t.Helper()
	h.send(map[string]any{"type": "login", "badge": "B0001"})
	w := h.expect("welcome")
	h.session = w.Session
}

// scan sends a scan and returns its verdict code.
func (h *handheld) scan(data string) string {
	h.t.Helper()
	h.n++
	h.send(map[string]any{"type": "scan", "id": fmt.Sprintf("s%d", h.n), "device": "TC52-1", "data": data})
	return h.expect("verdict").Result.Verdict.Code
}

func (h *handheld) mustScan(data, code string) {
	h.t.Helper()
	if got := h.scan(data); got != code {
		h.t.Fatalf("scan %q at %s: %s, want %s", data, h.prompt.Step, got, code)
	}
}

// right returns the right scan for the current prompt.
func (f *floor) right(p *pickwave.Prompt) string {
	switch p.Step {
	case pickwave.StepBindTote:
		return fmt.Sprintf("TOTE-%d", p.Slot)
	case pickwave.StepLocation:
		return p.Task.Location
	case pickwave.StepItem:
		return f.barcodes[p.Task.SKU][0].Code
	case pickwave.StepTote:
		return fmt.Sprintf("TOTE-%d", p.Task.ToteSlot)
	}
	f.t.Fatalf("no right scan for %+v", p)
	return ""
}

func TestHandheld_fullCart(t *testing.T) {
	f := newFloor(t, 4)
	h := f.dial()
	h.send(map[string]any{"type": "take_cart"})
	if m := h.expect("error"); m.Code != "unauthorized" {
		t.Fatalf("before login: %+v", m)
	}
	h.send(map[string]any{"type": "login", "badge": "NOPE"})
	if m := h.expect("error"); m.Code != "unauthorized" {
		t.Fatalf("bad badge: %+v", m)
	}
	h.login()
	h.send(map[string]any{"type": "take_cart"})
	h.expect("prompt")
	scans := 0
	for !h.prompt.Done {
		h.mustScan(f.right(h.prompt), "ok")
		if scans++; scans > 500 {
			t.Fatal("cart never ends")
		}
	}
	waves, _ := f.db.Waves(context.Background(), 1)
	if waves[0].Status != pickwave.WaveCompleted {
		t.Fatalf("wave %s %+v after the cart", waves[0].Status, waves[0].Progress)
	}
	orders, _ := f.db.Orders(context.Background(), pickwave.OrderFilter{Status: pickwave.OrderPicked})
	if len(orders) != len(waves[0].Orders) {
		t.Fatalf("%d orders picked of %d", len(orders), len(waves[0].Orders))
	}
	h.mustScan("anything", "no_task")
}

func TestHandheld_everyVerdictCode(t *testing.T) {
	f := newFloor(t, 12)
	h := f.dial()
	h.login()
	seen := map[string]bool{}
	try := func(data, code string) {
		t.Helper()
		h.mustScan(data, code)
		seen[code] = true
	}
	try("TOTE-1", "no_task") // no cart yet
	h.send(map[string]any{"type": "take_cart"})
	h.expect("prompt")
	try("A01-01-1", "wrong_tote") // a location label is no tote
	date := func(days int) string { return floorNow.AddDate(0, 0, days).Format("060102") }
	for steps := 0; !h.prompt.Done; steps++ {
		if steps > 1000 {
			t.Fatal("cart never ends")
		}
		p := h.prompt
		switch p.Step {
		case pickwave.StepLocation:
			if !seen["wrong_location"] {
				try("TOTE-1", "wrong_location")
			}
		case pickwave.StepItem:
			gtin := gtin14(f.barcodes[p.Task.SKU][0].Code)
			if !seen["unknown_barcode"] {
				try("96385074", "unknown_barcode")
				try("036000291453", "bad_barcode")
				for sku, bcs := range f.barcodes {
					if sku != p.Task.SKU {
						try(bcs[0].Code, "wrong_item")
						break
					}
				}
				try("(01)"+gtin+"(17)"+date(-2), "expired")
				try("(01)"+gtin+"(17)"+date(3), "short_dated")
				h.send(map[string]any{"type": "scan", "id": "over", "data": gtin, "count": p.Task.Remaining() + 1})
				if m := h.expect("verdict"); m.Result.Verdict.Code != "over_pick" {
					t.Fatalf("keyed over-pick: %+v", m.Result.Verdict)
				}
				seen["over_pick"] = true
			}
			if p.Task.Lot != "" && !seen["lot_not_here"] {
				try("(01)"+gtin+"(10)NOT-HERE", "lot_not_here")
			}
			if p.Task.Remaining() >= 2 && !seen["duplicate_serial"] {
				serial := "(01)" + gtin + "(17)" + date(400) + "(21)SN-1"
				try(serial, "ok")
				try(serial, "duplicate_serial")
				continue
			}
		case pickwave.StepTote:
			if !seen["wrong_tote"] || p.Task.ToteSlot == 1 && !seen["tote-again"] {
				try("TOTE-99", "wrong_tote")
				seen["tote-again"] = true
			}
		}
		try(f.right(p), "ok")
	}
	try("TOTE-1", "no_task") // the cart is done
	for _, code := range pickwave.VerdictCodes {
		if !seen[code] {
			t.Errorf("verdict %s never seen", code)
		}
	}
}

// gtin14 pads a GTIN to 14 digits for an AI (01) element.
func gtin14(g string) string { return strings.Repeat("0", 14-len(g)) + g }

func TestHandheld_dropAndResumeLosesNothing(t *testing.T) {
	f := newFloor(t, 3)
	h := f.dial()
	h.login()
	h.send(map[string]any{"type": "take_cart"})
	h.expect("prompt")
	for h.prompt.Step == pickwave.StepBindTote {
		h.mustScan(f.right(h.prompt), "ok")
	}
	// Send a scan and drop the connection before reading its verdict.
	pending := map[string]any{"type": "scan", "id": "lost-1", "device": "TC52-1", "data": f.right(h.prompt)}
	h.send(pending)
	before := h.prompt
	h.ws.Close()

	h2 := f.dial()
	// Client scan ids are unique per picker across connections.
	h2.lastSeq, h2.prompt, h2.n = h.lastSeq, before, h.n
	h2.send(map[string]any{"type": "login", "badge": "B0001", "session": h.session, "last_seq": h.lastSeq})
	w := h2.expect("welcome")
	if w.Session != h.session {
		t.Fatalf("session %s not resumed (%s)", w.Session, h.session)
	}
	// The verdict missed while away arrives, once and in order (next checks seq).
	m := h2.next()
	for m.Type != "verdict" {
		m = h2.next()
	}
	if m.Result.ScanID != "lost-1" || m.Result.Verdict.Code != "ok" {
		t.Fatalf("missed verdict %+v", m.Result)
	}
	// The handheld did not know it arrived and sends the scan again: same
	// answer, applied once.
	h2.send(pending)
	again := h2.expect("verdict")
	if !again.Result.Replayed || again.Result.Verdict != m.Result.Verdict {
		t.Fatalf("retry %+v", again.Result)
	}
	task, _ := f.db.Task(context.Background(), before.Task.ID)
	if before.Step == pickwave.StepItem && task.Picked != 1 {
		t.Fatalf("picked %d after one scan sent twice", task.Picked)
	}
	h2.send(map[string]any{"type": "ack", "seq": h2.lastSeq})
	for !h2.prompt.Done {
		h2.mustScan(f.right(h2.prompt), "ok")
	}
}

func TestHandheld_serverRestartMidCart(t *testing.T) {
	f := newFloor(t, 3)
	h := f.dial()
	h.login()
	h.send(map[string]any{"type": "take_cart"})
	h.expect("prompt")
	for i := 0; i < 6 && !h.prompt.Done; i++ {
		h.mustScan(f.right(h.prompt), "ok")
	}
	before := *h.prompt
	f.restart()
	h2 := f.dial()
	h2.n = h.n
	h2.send(map[string]any{"type": "login", "badge": "B0001", "session": h.session, "last_seq": h.lastSeq})
	w := h2.expect("welcome")
	if w.Session == h.session {
		t.Fatal("a restarted server claims to resume the old session")
	}
	p := h2.expect("prompt").Prompt
	if p.CartID != before.CartID || p.Step != before.Step || (p.Task != nil && p.Task.ID != before.Task.ID) {
		t.Fatalf("after restart %+v, before %+v", p, before)
	}
	for !h2.prompt.Done {
		h2.mustScan(f.right(h2.prompt), "ok")
	}
}

func TestHandheld_badInput(t *testing.T) {
	f := newFloor(t, 1)
	h := f.dial()
	h.login()
	if err := h.ws.WriteMessage(websocket.TextMessage, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if m := h.expect("error"); m.Code != "invalid" {
		t.Fatalf("bad json: %+v", m)
	}
	h.send(map[string]any{"type": "teleport"})
	if m := h.expect("error"); m.Code != "invalid" {
		t.Fatalf("unknown type: %+v", m)
	}
	h.send(map[string]any{"type": "scan", "data": "x"}) // no id
	if m := h.expect("error"); m.Code != "invalid" {
		t.Fatalf("scan without id: %+v", m)
	}
	// An oversized frame closes the connection; the server stays up.
	_ = h.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"scan","data":"`+strings.Repeat("x", 64<<10)+`"}`))
	_ = h.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := h.ws.ReadMessage(); err == nil {
		t.Fatal("oversized frame did not close the connection")
	}
	h2 := f.dial()
	h2.login()
	// A packer's session may not pick; a forged token is refused at the door.
	token, _ := f.db.MintToken(context.Background(), "pat", pickwave.RolePacker, time.Hour)
	url := "ws" + strings.TrimPrefix(f.http.URL, "http") + "/ws/handheld"
	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": []string{"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	packer := &handheld{t: t, ws: ws}
	packer.send(map[string]any{"type": "hello"})
	if m := packer.expect("error"); m.Code != "forbidden" {
		t.Fatalf("packer hello: %+v", m)
	}
	ws.Close()
	if _, res, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": []string{"Bearer forged"}}); err == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged token: %v", err)
	}
	// A foreign origin is refused.
	hdr := http.Header{"Origin": []string{"http://evil.example"}}
	if _, res, err := websocket.DefaultDialer.Dial(url, hdr); err == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v", err)
	}
}
