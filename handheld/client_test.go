package handheld_test

import (
	"context"
	"errors"
	"fmt"
	"net"
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
)

// site is a small demo warehouse with a released wave, served for real
// from a store in a temp dir; restart keeps the address.
type site struct {
	t        *testing.T
	dir      string
	addr     string
	db       *store.DB
	srv      *server.Server
	http     *httptest.Server
	barcodes map[string]string // SKU → its single-unit barcode
}

func newSite(t *testing.T, orders int) *site {
	t.Helper()
	s := &site{t: t, dir: t.TempDir()}
	s.open()
	ctx := context.Background()
	if err := demo.Seed(ctx, onePicker{s.db}, demo.Site{Aisles: 3, Bays: 5, Levels: 2, SKUs: 12, Orders: orders, Seed: 7, Now: time.Now().UTC(), BadgeKey: []byte("test badges")}); err != nil {
		t.Fatal(err)
	}
	skus, err := s.db.SKUs(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	s.barcodes = map[string]string{}
	for _, k := range skus {
		for _, b := range k.Barcodes {
			if b.Qty == 1 {
				s.barcodes[k.Code] = b.Code
			}
		}
	}
	w, err := s.db.PlanWave(ctx, pickwave.WaveTemplate{TotesPerCart: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ReleaseWave(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s
}

// onePicker seeds picker1 alone: bcrypt under the race detector is slow.
type onePicker struct{ *store.DB }

func (u onePicker) CreateUser(ctx context.Context, usr *pickwave.User, pw string) error {
	if usr.Name != "picker1" {
		return nil
	}
	return u.DB.CreateUser(ctx, usr, pw)
}

func (s *site) open() {
	s.t.Helper()
	db := testenv.OpenStore(s.t, s.dir, store.Options{NoSync: true})
	s.db = db
	s.srv = testenv.Server(db, nil)
	s.http = httptest.NewUnstartedServer(testenv.Checked(s.t, s.srv.Handler()))
	if s.addr != "" {
		// The same address again, as a restarted server.
		l, err := net.Listen("tcp", s.addr)
		if err != nil {
			s.t.Fatal(err)
		}
		s.http.Listener.Close()
		s.http.Listener = l
	}
	s.http.Start()
	s.addr = s.http.Listener.Addr().String()
}

func (s *site) close() {
	if s.http == nil {
		return
	}
	s.srv.Close(context.Background())
	s.http.Close()
	s.db.Close()
	s.http = nil
}

func (s *site) restart() {
	s.close()
	s.open()
}

func (s *site) url() string { return "ws://" + s.addr + "/ws/handheld" }

func (s *site) dial(t *testing.T, opts handheld.Options) *handheld.Client {
	t.Helper()
	if opts.Token == "" && opts.Badge == "" && opts.Username == "" {
		opts.Badge = demo.Badge([]byte("test badges"), "picker1")
	}
	c, err := handheld.Dial(ctx(t), s.url(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// right is the scan a prompt asks for.
func (s *site) right(p *pickwave.Prompt) string {
	switch p.Step {
	case pickwave.StepBindTote:
		return fmt.Sprintf("TOTE-%d", p.Slot)
	case pickwave.StepLocation:
		return p.Task.Location
	case pickwave.StepItem:
		return s.barcodes[p.Task.SKU]
	case pickwave.StepTote:
		return fmt.Sprintf("TOTE-%d", p.Task.ToteSlot)
	}
	s.t.Fatalf("no right scan for %+v", p)
	return ""
}

func mustScan(t *testing.T, c *handheld.Client, data, code string) *pickwave.ScanResult {
	t.Helper()
	res, err := c.Scan(ctx(t), pickwave.ScanRequest{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict.Code != code {
		t.Fatalf("scan %q: %+v, want %s", data, res.Verdict, code)
	}
	return res
}

func checkClean(t *testing.T, c *handheld.Client) {
	t.Helper()
	if err := c.Err(); err != nil {
		t.Fatalf("protocol faults: %v", err)
	}
	if st := c.Stats(); st.Gaps+st.Repeats+st.Changed+st.JudgedAgain+st.Unknown > 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestClient_picksACartAndEveryIDReplays(t *testing.T) {
	s := newSite(t, 3)
	c := s.dial(t, handheld.Options{Device: "TC52-1"})
	if user, role := c.User(); user != "picker1" || role != pickwave.RolePicker || c.Token() == "" || c.Session() == "" {
		t.Fatalf("welcome: %s %s token %q session %q", user, role, c.Token(), c.Session())
	}
	p, err := c.TakeCart(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for n := 0; !p.Done; n++ {
		if n > 500 {
			t.Fatal("cart never ends")
		}
		if n%7 == 3 {
			mustScan(t, c, "96385074", map[pickwave.Step]string{pickwave.StepBindTote: "wrong_tote", pickwave.StepLocation: "wrong_location",
				pickwave.StepItem: "unknown_barcode", pickwave.StepTote: "wrong_tote"}[p.Step])
			wrong++
		}
		p = &mustScan(t, c, s.right(p), pickwave.VerdictOK).Prompt
	}
	if q, err := c.RequestPrompt(ctx(t)); handheld.ErrorCode(err) != pickwave.ENOTFOUND {
		t.Fatalf("prompt after the cart: %+v %v", q, err)
	}
	if _, err := c.TakeCart(ctx(t)); handheld.ErrorCode(err) != pickwave.ENOTFOUND {
		t.Fatalf("take_cart with none left: %v", err)
	}
	ledger := c.Ledger()
	for _, e := range ledger {
		if !e.Answered || e.Replayed || e.Answers != 1 {
			t.Fatalf("ledger entry %+v", e)
		}
	}
	chk, err := c.ResendAnswered(ctx(t), 8)
	if err != nil {
		t.Fatal(err)
	}
	if chk.Resent != len(ledger) || chk.JudgedAgain != 0 || chk.Changed != 0 {
		t.Fatalf("resent every id: %+v of %d", chk, len(ledger))
	}
	checkClean(t, c)
	if st := c.Stats(); st.Duplicates != len(ledger) || st.Answered != len(ledger) || wrong == 0 {
		t.Fatalf("stats %+v, %d ids", st, len(ledger))
	}
}

// TestClient_dropResumeAndResend drops the connection right after a scan
// is sent: after Reconnect the verdict comes (with the resumed messages or
// as the answer to the scan sent again), once in the ledger; the scan sent
// yet again is a replay with the same verdict, and the unit counts once.
func TestClient_dropResumeAndResend(t *testing.T) {
	s := newSite(t, 3)
	c := s.dial(t, handheld.Options{})
	p, err := c.TakeCart(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for p.Step != pickwave.StepItem {
		p = &mustScan(t, c, s.right(p), pickwave.VerdictOK).Prompt
	}
	session := c.Session()
	id, err := c.Submit(ctx(t), handheld.ClientMessage{Type: handheld.TypeScan, Data: s.right(p)})
	if err != nil {
		t.Fatal(err)
	}
	c.Drop()
	if c.Connected() {
		t.Fatal("connected after Drop")
	}
	if _, err := c.Scan(ctx(t), pickwave.ScanRequest{Data: "x"}); !errors.Is(err, handheld.ErrDisconnected) {
		t.Fatalf("scan without a connection: %v", err)
	}
	if err := c.Reconnect(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if c.Session() != session || c.Stats().Resumed != 1 {
		t.Fatalf("session %s (was %s), stats %+v", c.Session(), session, c.Stats())
	}
	first, err := c.Await(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if first.Verdict.Code != pickwave.VerdictOK || first.Verdict.Qty != 1 {
		t.Fatalf("dropped scan answered %+v", first.Verdict)
	}
	again, err := c.Resend(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.Verdict != first.Verdict {
		t.Fatalf("resent %+v, first %+v", again, first)
	}
	task, err := s.db.Task(context.Background(), p.Task.ID)
	if err != nil || task.Picked != 1 {
		t.Fatalf("task %+v %v after one scan sent many times", task, err)
	}
	// The "x" scan sent without a connection was sent again on Reconnect.
	if u := c.Unanswered(); len(u) != 0 {
		ledger := c.Ledger()
		if _, err := c.Await(ctx(t), ledger[len(ledger)-1].ID); err != nil || len(c.Unanswered()) != 0 {
			t.Fatalf("unanswered %v after reconnect: %v", c.Unanswered(), err)
		}
	}
	checkClean(t, c)
}

// TestClient_serverRestart: after a restart the session is new, and every
// id answered before is a replay.
func TestClient_serverRestart(t *testing.T) {
	s := newSite(t, 3)
	c := s.dial(t, handheld.Options{})
	p, err := c.TakeCart(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		p = &mustScan(t, c, s.right(p), pickwave.VerdictOK).Prompt
	}
	session := c.Session()
	s.restart()
	if err := c.WaitDisconnect(ctx(t)); !errors.Is(err, handheld.ErrDisconnected) {
		t.Fatalf("disconnect: %v", err)
	}
	if err := c.Reconnect(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if c.Session() == session || c.Stats().Sessions != 2 {
		t.Fatalf("session %s after a restart (was %s), stats %+v", c.Session(), session, c.Stats())
	}
	q, err := c.RequestPrompt(ctx(t))
	if err != nil || q.Step != p.Step || q.Task.ID != p.Task.ID {
		t.Fatalf("prompt after restart %+v %v, before %+v", q, err, p)
	}
	chk, err := c.ResendAnswered(ctx(t), 4)
	if err != nil || chk.Resent != 6 || chk.JudgedAgain+chk.Changed != 0 {
		t.Fatalf("resend after restart: %+v %v", chk, err)
	}
	checkClean(t, c)
}

func TestClient_logins(t *testing.T) {
	s := newSite(t, 1)
	if _, err := handheld.Dial(ctx(t), s.url(), handheld.Options{Badge: "NOPE"}); handheld.ErrorCode(err) != pickwave.EUNAUTHORIZED {
		t.Fatalf("unknown badge: %v", err)
	}
	if _, err := handheld.Dial(ctx(t), s.url(), handheld.Options{Token: "forged"}); handheld.ErrorCode(err) != pickwave.EUNAUTHORIZED {
		t.Fatalf("forged token on the upgrade: %v", err)
	}
	if _, err := handheld.Dial(ctx(t), s.url(), handheld.Options{Token: "forged", TokenInHello: true}); handheld.ErrorCode(err) != pickwave.EUNAUTHORIZED {
		t.Fatalf("forged token in hello: %v", err)
	}
	c := s.dial(t, handheld.Options{Username: "picker1", Password: demo.Password})
	token := c.Token()
	c.Close()
	if _, err := c.TakeCart(ctx(t)); !errors.Is(err, handheld.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	// The http URL of the server works too.
	for _, opts := range []handheld.Options{{Token: token}, {Token: token, TokenInHello: true}} {
		c, err := handheld.Dial(ctx(t), "http://"+s.addr, opts)
		if err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		if user, _ := c.User(); user != "picker1" {
			t.Fatalf("user %q", user)
		}
		c.Close()
	}
	packer, err := s.db.MintToken(context.Background(), "pat", pickwave.RolePacker, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// A packer logs in to work the dock, and may not pick.
	pc, err := handheld.Dial(ctx(t), s.url(), handheld.Options{Token: packer})
	if err != nil {
		t.Fatalf("packer: %v", err)
	}
	defer pc.Close()
	if _, err := pc.TakeCart(ctx(t)); handheld.ErrorCode(err) != pickwave.EFORBIDDEN {
		t.Fatalf("packer take_cart: %v", err)
	}
}

func TestClient_replacedByAnotherDevice(t *testing.T) {
	s := newSite(t, 1)
	first := s.dial(t, handheld.Options{})
	second := s.dial(t, handheld.Options{})
	err := first.WaitDisconnect(ctx(t))
	var ce *websocket.CloseError
	if !errors.Is(err, handheld.ErrReplaced) || !errors.As(err, &ce) || ce.Code != handheld.CloseReplaced || !first.Replaced() {
		t.Fatalf("replaced device: %v", err)
	}
	if _, err := second.TakeCart(ctx(t)); err != nil {
		t.Fatal(err)
	}
}

func TestClient_shutdownClosesGoingAway(t *testing.T) {
	s := newSite(t, 1)
	c := s.dial(t, handheld.Options{})
	s.srv.Close(context.Background())
	err := c.WaitDisconnect(ctx(t))
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("shutdown: %v, want close code %d", err, websocket.CloseGoingAway)
	}
}

// fakeServer speaks to the client with a script of server messages after
// the welcome, to check what the client makes of a faulty server.
func fakeServer(t *testing.T, script func(ws *websocket.Conn)) string {
	t.Helper()
	var up websocket.Upgrader
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		var hello handheld.ClientMessage
		if err := ws.ReadJSON(&hello); err != nil {
			return
		}
		_ = ws.WriteJSON(handheld.ServerMessage{Type: handheld.TypeWelcome, Session: "s1", User: "picker1", Role: pickwave.RolePicker})
		script(ws)
		for { // answer the close handshake
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}))
	t.Cleanup(hs.Close)
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

func TestClient_reportsAFaultyServer(t *testing.T) {
	ok := pickwave.Verdict{Code: pickwave.VerdictOK, Message: "ok"}
	verdict := func(seq uint64, id string, v pickwave.Verdict, replayed bool) handheld.ServerMessage {
		return handheld.ServerMessage{Type: handheld.TypeVerdict, Seq: seq, Result: &pickwave.ScanResult{ScanID: id, Verdict: v, Replayed: replayed}}
	}
	sent := make(chan []handheld.ClientMessage, 1)
	url := fakeServer(t, func(ws *websocket.Conn) {
		var got []handheld.ClientMessage
		for range 2 {
			var m handheld.ClientMessage
			if ws.ReadJSON(&m) != nil {
				return
			}
			got = append(got, m)
		}
		for _, m := range []handheld.ServerMessage{
			verdict(1, got[0].ID, ok, false),
			verdict(3, got[1].ID, ok, false),                                                // seq 2 skipped
			verdict(3, got[1].ID, ok, false),                                                // repeated
			verdict(4, got[0].ID, pickwave.Verdict{Code: pickwave.VerdictWrongItem}, false), // changed, judged again
			verdict(5, "never-sent", ok, false),                                             // unknown
			{Type: handheld.TypePrompt, Seq: 6, Prompt: &pickwave.Prompt{CartID: "C1"}},     // unsolicited
		} {
			_ = ws.WriteJSON(m)
		}
		sent <- got
	})
	c, err := handheld.Dial(ctx(t), url, handheld.Options{Token: "t", AckEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id1, _ := c.Submit(ctx(t), handheld.ClientMessage{Type: handheld.TypeScan, Data: "a"})
	id2, _ := c.Submit(ctx(t), handheld.ClientMessage{Type: handheld.TypeScan, Data: "b"})
	if got := <-sent; got[0].ID != id1 || got[1].ID != id2 || got[0].Device != "go-client" {
		t.Fatalf("sent %+v", got)
	}
	if err := c.WaitSeq(ctx(t), 6); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if st.Gaps != 1 || st.Repeats != 1 || st.Changed != 1 || st.JudgedAgain != 1 || st.Unknown != 1 || st.Answered != 2 {
		t.Fatalf("stats %+v", st)
	}
	if e, _ := c.Entry(id1); e.Verdict != ok || !e.Changed || !e.JudgedAgain || e.Answers != 2 {
		t.Fatalf("entry %+v", e)
	}
	if c.Err() == nil || c.Prompt().CartID != "C1" {
		t.Fatalf("err %v, prompt %+v", c.Err(), c.Prompt())
	}
}
