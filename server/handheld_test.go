package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/testenv"
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
	// limits are the server's login limits, and storeOpts the store's
	// options (beside the floor's own), set before a restart.
	limits    server.LoginLimits
	storeOpts store.Options
	// barcodes of each SKU: the each barcode first.
	barcodes map[string][]pickwave.Barcode
}

var floorNow = time.Now().UTC()

func newFloor(t testing.TB, orders int) *floor {
	t.Helper()
	f := &floor{t: t, dir: t.TempDir()}
	f.open()
	site := demo.Site{Aisles: 3, Bays: 5, Levels: 2, SKUs: 12, Orders: orders, Seed: 7, Now: floorNow, BadgeKey: testBadgeKey}
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

// testBadgeKey derives the demo badges of the test floors, so that tests
// know picker1's badge.
var (
	testBadgeKey = []byte("test badges")
	picker1Badge = demo.Badge(testBadgeKey, "picker1")
)

// usersLite seeds only one picker: bcrypt under the race detector is slow.
type usersLite struct{ *store.DB }

func (u usersLite) CreateUser(ctx context.Context, usr *pickwave.User, pw string) error {
	if usr.Name != "picker1" {
		return nil
	}
	return u.DB.CreateUser(ctx, usr, pw)
}

func (f *floor) open() {
	opts := f.storeOpts
	opts.NoSync, opts.PickRules = true, wave.Rules{MinShelfLife: 14 * 24 * time.Hour}
	db := testenv.OpenStore(f.t, f.dir, opts)
	f.db = db
	f.srv = testenv.Server(db, nil)
	f.srv.LoginLimits = f.limits
	// Password checks (bcrypt) under the race detector on a loaded
	// machine take seconds: a test's wrong logins must not meet the login
	// deadline, which TestHandheld_loginDeadline tests on its own.
	f.srv.HandheldLoginWait = time.Minute
	f.http = httptest.NewServer(testenv.Checked(f.t, f.srv.Handler()))
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

func (f *floor) wsURL() string { return "ws" + strings.TrimPrefix(f.http.URL, "http") + "/ws/handheld" }

// testCtx bounds a test's waits.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// login dials a handheld.Client logged in as picker1 with its badge (or
// with opts' credentials), closed when the test ends.
func (f *floor) login(opts handheld.Options) *handheld.Client {
	f.t.Helper()
	if opts.Token == "" && opts.Badge == "" && opts.Username == "" {
		opts.Badge = picker1Badge
	}
	if opts.Device == "" {
		opts.Device = "TC52-1"
	}
	c, err := handheld.Dial(testCtx(f.t), f.wsURL(), opts)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c
}

// takeCart takes a cart and returns its prompt.
func takeCart(t testing.TB, c *handheld.Client) *pickwave.Prompt {
	t.Helper()
	p, err := c.TakeCart(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// scan sends a scan and returns its result.
func scan(t testing.TB, c *handheld.Client, req pickwave.ScanRequest) *pickwave.ScanResult {
	t.Helper()
	res, err := c.Scan(testCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// mustScan scans data and checks the verdict code.
func mustScan(t testing.TB, c *handheld.Client, data, code string) {
	t.Helper()
	step := c.Prompt()
	if res := scan(t, c, pickwave.ScanRequest{Data: data}); res.Verdict.Code != code {
		t.Fatalf("scan %q at %+v: %s, want %s", data, step, res.Verdict.Code, code)
	}
}

// clean fails the test when the client saw a protocol fault: a message
// lost or repeated, an id answered twice differently or judged twice.
func clean(t testing.TB, c *handheld.Client) {
	t.Helper()
	if err := c.Err(); err != nil {
		t.Fatalf("protocol faults: %v (%+v)", err, c.Stats())
	}
}

// wire is a raw websocket speaking the package's messages, for what the
// Client never sends: messages before login, malformed frames, a second
// hello on one connection, a connection dropped before reading.
type wire struct {
	t       testing.TB
	ws      *websocket.Conn
	lastSeq uint64
}

func (f *floor) wire(hdr http.Header) *wire {
	f.t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(f.wsURL(), hdr)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { ws.Close() })
	return &wire{t: f.t, ws: ws}
}

func (w *wire) send(m handheld.ClientMessage) {
	w.t.Helper()
	if err := w.ws.WriteJSON(m); err != nil {
		w.t.Fatal(err)
	}
}

// next reads one message; sequenced ones must come in order, each once.
func (w *wire) next() handheld.ServerMessage {
	w.t.Helper()
	_ = w.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m handheld.ServerMessage
	if err := w.ws.ReadJSON(&m); err != nil {
		w.t.Fatalf("read: %v", err)
	}
	if m.Sequenced() {
		if m.Seq != w.lastSeq+1 {
			w.t.Fatalf("%s with seq %d after %d: lost or repeated", m.Type, m.Seq, w.lastSeq)
		}
		w.lastSeq = m.Seq
	}
	return m
}

func (w *wire) expect(typ string) handheld.ServerMessage {
	w.t.Helper()
	m := w.next()
	if m.Type != typ {
		w.t.Fatalf("got %s (%s %s), want %s", m.Type, m.Code, m.Message, typ)
	}
	return m
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
	w := f.wire(nil)
	w.send(handheld.ClientMessage{Type: handheld.TypeTakeCart})
	if m := w.expect(handheld.TypeError); m.Code != "unauthorized" {
		t.Fatalf("before login: %+v", m)
	}
	w.send(handheld.ClientMessage{Type: handheld.TypeLogin, Badge: "NOPE"})
	if m := w.expect(handheld.TypeError); m.Code != "unauthorized" {
		t.Fatalf("bad badge: %+v", m)
	}
	if _, err := handheld.Dial(testCtx(t), f.wsURL(), handheld.Options{Badge: "NOPE"}); handheld.ErrorCode(err) != "unauthorized" {
		t.Fatalf("client with a bad badge: %v", err)
	}
	h := f.login(handheld.Options{})
	p := takeCart(t, h)
	scans := 0
	for !p.Done {
		mustScan(t, h, f.right(p), "ok")
		p = h.Prompt()
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
	mustScan(t, h, "anything", "no_task")
	clean(t, h)
}

func TestHandheld_everyVerdictCode(t *testing.T) {
	f := newFloor(t, 12)
	h := f.login(handheld.Options{})
	seen := map[string]bool{}
	try := func(data, code string) {
		t.Helper()
		mustScan(t, h, data, code)
		seen[code] = true
	}
	try("TOTE-1", "no_task") // no cart yet
	takeCart(t, h)
	try("A01-01-1", "wrong_tote") // a location label is no tote
	date := func(days int) string { return floorNow.AddDate(0, 0, days).Format("060102") }
	for steps := 0; !h.Prompt().Done; steps++ {
		if steps > 1000 {
			t.Fatal("cart never ends")
		}
		p := h.Prompt()
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
				if res := scan(t, h, pickwave.ScanRequest{ID: "over", Data: gtin, Count: p.Task.Remaining() + 1}); res.Verdict.Code != "over_pick" {
					t.Fatalf("keyed over-pick: %+v", res.Verdict)
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
	clean(t, h)
}

// gtin14 pads a GTIN to 14 digits for an AI (01) element.
func gtin14(g string) string { return strings.Repeat("0", 14-len(g)) + g }

func TestHandheld_dropAndResumeLosesNothing(t *testing.T) {
	f := newFloor(t, 3)
	h := f.login(handheld.Options{})
	p := takeCart(t, h)
	for p.Step == pickwave.StepBindTote {
		mustScan(t, h, f.right(p), "ok")
		p = h.Prompt()
	}
	// Send a scan and drop the connection at once, before its verdict.
	session := h.Session()
	id, err := h.Submit(testCtx(t), handheld.ClientMessage{Type: handheld.TypeScan, Data: f.right(p)})
	if err != nil {
		t.Fatal(err)
	}
	h.Drop()
	// Reconnecting resumes the session and sends the scan again with its
	// id; the verdict missed while away arrives once, in order (the client
	// checks seq), with the resumed messages or as the answer.
	if err := h.Reconnect(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if h.Session() != session {
		t.Fatalf("session %s not resumed (%s)", h.Session(), session)
	}
	first, err := h.Await(testCtx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if first.Verdict.Code != "ok" {
		t.Fatalf("missed verdict %+v", first)
	}
	// The handheld sends it once more: same answer, applied once.
	again, err := h.Resend(testCtx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.Verdict != first.Verdict {
		t.Fatalf("retry %+v", again)
	}
	task, _ := f.db.Task(context.Background(), p.Task.ID)
	if p.Step == pickwave.StepItem && task.Picked != 1 {
		t.Fatalf("picked %d after one scan sent thrice", task.Picked)
	}
	if err := h.Ack(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	for p = h.Prompt(); !p.Done; p = h.Prompt() {
		mustScan(t, h, f.right(p), "ok")
	}
	clean(t, h)
}

// TestHandheld_resumedVerdictResentIsReplayed is the sequence of
// docs/protocol.md's example: a scan whose verdict the handheld never read
// (the connection dropped), the verdict read from the resumed outbox, and
// the same scan sent again, which must be answered from record
// (replayed, the same verdict) and applied once.
func TestHandheld_resumedVerdictResentIsReplayed(t *testing.T) {
	f := newFloor(t, 3)
	h := f.login(handheld.Options{})
	p := takeCart(t, h)
	for p.Step != pickwave.StepItem {
		mustScan(t, h, f.right(p), "ok")
		p = h.Prompt()
	}
	session, lastSeq, token := h.Session(), h.LastSeq(), h.Token()
	h.Drop()

	w := f.wire(http.Header{"Authorization": []string{"Bearer " + token}})
	w.lastSeq = lastSeq
	w.send(handheld.ClientMessage{Type: handheld.TypeHello, Session: session, LastSeq: lastSeq})
	if m := w.expect(handheld.TypeWelcome); m.Session != session {
		t.Fatalf("not resumed: %+v", m)
	}
	scanMsg := handheld.ClientMessage{Type: handheld.TypeScan, ID: "lost-1", Device: "TC52-1", Data: f.right(p)}
	w.send(scanMsg)
	// Drop before reading the verdict, once the scan is committed.
	eventually(t, "the scan committed", func() bool {
		task, err := f.db.Task(context.Background(), p.Task.ID)
		return err == nil && task.Picked == 1 || func() bool {
			q, err := f.db.Prompt(context.Background(), "picker1")
			return err == nil && q.Step != pickwave.StepItem
		}()
	})
	w.ws.Close()

	w2 := f.wire(http.Header{"Authorization": []string{"Bearer " + token}})
	w2.lastSeq = lastSeq
	w2.send(handheld.ClientMessage{Type: handheld.TypeHello, Session: session, LastSeq: lastSeq})
	welcome := w2.expect(handheld.TypeWelcome)
	// The scan is committed; its verdict may be sequenced a moment later
	// (the old connection's goroutine does it after the commit returns),
	// so the welcome names it or the seq before it. Either way it comes
	// next, once, as seq lastSeq+1, with its first verdict.
	if welcome.Session != session || (welcome.Seq != lastSeq+1 && welcome.Seq != lastSeq) {
		t.Fatalf("welcome %+v: want session %s, newest seq %d or %d", welcome, session, lastSeq, lastSeq+1)
	}
	resumed := w2.expect(handheld.TypeVerdict)
	if resumed.Seq != lastSeq+1 || resumed.Result.ScanID != "lost-1" || resumed.Result.Replayed || resumed.Result.Verdict.Code != "ok" {
		t.Fatalf("resumed verdict seq %d, %+v", resumed.Seq, resumed.Result)
	}
	w2.send(scanMsg)
	again := w2.expect(handheld.TypeVerdict)
	if again.Result.ScanID != "lost-1" || !again.Result.Replayed || again.Result.Verdict != resumed.Result.Verdict {
		t.Fatalf("the resent scan answered %+v, replayed %v; first %+v", again.Result.Verdict, again.Result.Replayed, resumed.Result.Verdict)
	}
	if task, err := f.db.Task(context.Background(), p.Task.ID); err != nil || task.Picked != 1 {
		t.Fatalf("task %+v %v after one scan sent twice", task, err)
	}
	// Long after, among other scans, it is still a replay.
	w2.send(handheld.ClientMessage{Type: handheld.TypeAck, Seq: w2.lastSeq})
	for i := range 20 {
		w2.send(handheld.ClientMessage{Type: handheld.TypeScan, ID: fmt.Sprintf("later-%d", i), Device: "TC52-1", Data: "96385074"})
		w2.expect(handheld.TypeVerdict)
	}
	w2.send(scanMsg)
	if late := w2.expect(handheld.TypeVerdict); !late.Result.Replayed || late.Result.Verdict != resumed.Result.Verdict {
		t.Fatalf("resent after 20 more scans: %+v, replayed %v", late.Result.Verdict, late.Result.Replayed)
	}
}

func TestHandheld_serverRestartMidCart(t *testing.T) {
	f := newFloor(t, 3)
	h := f.login(handheld.Options{})
	p := takeCart(t, h)
	for i := 0; i < 6 && !p.Done; i++ {
		mustScan(t, h, f.right(p), "ok")
		p = h.Prompt()
	}
	before := *p
	f.restart()
	h2 := f.login(handheld.Options{Session: h.Session(), LastSeq: h.LastSeq()})
	if h2.Session() == h.Session() {
		t.Fatal("a restarted server claims to resume the old session")
	}
	// A new session numbers from 1 and starts with the current prompt.
	if err := h2.WaitSeq(testCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	p = h2.Prompt()
	if p.CartID != before.CartID || p.Step != before.Step || (p.Task != nil && p.Task.ID != before.Task.ID) {
		t.Fatalf("after restart %+v, before %+v", p, before)
	}
	for !p.Done {
		mustScan(t, h2, f.right(p), "ok")
		p = h2.Prompt()
	}
	clean(t, h2)
}

func TestHandheld_badInput(t *testing.T) {
	f := newFloor(t, 1)
	h := f.wire(nil)
	h.send(handheld.ClientMessage{Type: handheld.TypeLogin, Badge: picker1Badge})
	h.expect(handheld.TypeWelcome)
	if err := h.ws.WriteMessage(websocket.TextMessage, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if m := h.expect(handheld.TypeError); m.Code != "invalid" {
		t.Fatalf("bad json: %+v", m)
	}
	h.send(handheld.ClientMessage{Type: "teleport"})
	if m := h.expect(handheld.TypeError); m.Code != "invalid" {
		t.Fatalf("unknown type: %+v", m)
	}
	h.send(handheld.ClientMessage{Type: handheld.TypeScan, Data: "x"}) // no id
	if m := h.expect(handheld.TypeError); m.Code != "invalid" {
		t.Fatalf("scan without id: %+v", m)
	}
	// An oversized frame closes the connection; the server stays up.
	_ = h.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"scan","data":"`+strings.Repeat("x", 64<<10)+`"}`))
	_ = h.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := h.ws.ReadMessage(); err == nil {
		t.Fatal("oversized frame did not close the connection")
	}
	f.login(handheld.Options{})
	// A packer's session works the dock but may not pick; a forged token
	// is refused at the door.
	token, _ := f.db.MintToken(context.Background(), "pat", pickwave.RolePacker, time.Hour)
	packer, err := handheld.Dial(testCtx(t), f.wsURL(), handheld.Options{Token: token})
	if err != nil {
		t.Fatalf("packer hello: %v", err)
	}
	defer packer.Close()
	if _, err := packer.TakeCart(testCtx(t)); handheld.ErrorCode(err) != "forbidden" {
		t.Fatalf("packer take_cart: %v", err)
	}
	if _, err := packer.Work(testCtx(t), pickwave.WorkCount); handheld.ErrorCode(err) != "forbidden" {
		t.Fatalf("packer count: %v", err)
	}
	url := f.wsURL()
	if _, res, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": []string{"Bearer forged"}}); err == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged token: %v", err)
	}
	// A foreign origin is refused.
	hdr := http.Header{"Origin": []string{"http://evil.example"}}
	if _, res, err := websocket.DefaultDialer.Dial(url, hdr); err == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v", err)
	}
}

// TestHandheld_resendNeverOvertakesTheFirstVerdict sends a scan and, at
// once, the same scan again on a new connection resuming the session, as
// a handheld does after a drop, many times over. Whatever the timing, the
// handheld must read the id's first verdict first (not replayed) and every
// later answer as replayed: a replay sequenced before the first judgement
// would read as the scan judged twice.
func TestHandheld_resendNeverOvertakesTheFirstVerdict(t *testing.T) {
	f := newFloor(t, 3)
	h := f.login(handheld.Options{})
	takeCart(t, h)
	session, token := h.Session(), h.Token()
	h.Drop()
	auth := http.Header{"Authorization": []string{"Bearer " + token}}

	w := f.wire(auth)
	w.send(handheld.ClientMessage{Type: handheld.TypeHello, Session: session, LastSeq: h.LastSeq()})
	w.expect(handheld.TypeWelcome)
	w.lastSeq = h.LastSeq()
	for i := range 40 {
		id := fmt.Sprintf("race-%d", i)
		// A barcode that is never right: each verdict is quick and
		// changes no task, so the cart lasts every round.
		scan := handheld.ClientMessage{Type: handheld.TypeScan, ID: id, Device: "TC52-1", Data: "NOT-A-CODE"}
		w.send(scan)
		w2 := f.wire(auth)
		w2.send(handheld.ClientMessage{Type: handheld.TypeHello, Session: session, LastSeq: w.lastSeq})
		w2.lastSeq = w.lastSeq
		w2.send(scan)
		w.ws.Close()
		var answers []*pickwave.ScanResult
		for len(answers) < 2 {
			m := w2.next()
			switch m.Type {
			case handheld.TypeVerdict:
				if m.Result.ScanID == id {
					answers = append(answers, m.Result)
				}
			case handheld.TypeError:
				t.Fatalf("round %d: error %s %s", i, m.Code, m.Message)
			}
			if len(answers) == 1 && !answers[0].Replayed {
				// The first sending never reached the server, or was
				// judged and this is its verdict: a second answer
				// comes only if the server had both.
				w2.send(handheld.ClientMessage{Type: handheld.TypeAck, Seq: w2.lastSeq})
				break
			}
		}
		if answers[0].Replayed {
			t.Fatalf("round %d: the first answer to %s is a replay: the first judgement came after it", i, id)
		}
		for _, a := range answers[1:] {
			if !a.Replayed || a.Verdict != answers[0].Verdict {
				t.Fatalf("round %d: %s answered %+v after %+v", i, id, a, answers[0])
			}
		}
		w = w2
	}
}
