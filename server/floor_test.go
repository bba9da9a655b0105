package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	live "github.com/pickwave/pickwave/floor"
	"github.com/pickwave/pickwave/handheld"
)

// floorWire is a supervisor's floor socket that checks the numbering:
// each sequenced message must be one above the last.
type floorWire struct {
	t       *testing.T
	ws      *websocket.Conn
	session string
	lastSeq uint64
	seen    []live.ServerMessage
}

func (f *floor) dialFloor(t *testing.T, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(f.http.URL, "http")+"/ws/floor", hdr)
}

func (f *floor) floorWire(t *testing.T) *floorWire {
	t.Helper()
	w := &floorWire{t: t}
	w.connect(f, "", 0)
	return w
}

func (w *floorWire) connect(f *floor, session string, last uint64) live.ServerMessage {
	w.t.Helper()
	hdr := http.Header{"Authorization": {"Bearer " + mustToken(w.t, f)}}
	ws, _, err := f.dialFloor(w.t, hdr)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { ws.Close() })
	w.ws = ws
	if err := ws.WriteJSON(live.ClientMessage{Type: live.TypeHello, Session: session, LastSeq: last}); err != nil {
		w.t.Fatal(err)
	}
	m := w.next()
	if m.Type != live.TypeWelcome {
		w.t.Fatalf("first message %s, want welcome", m.Type)
	}
	if m.Session != session {
		w.lastSeq = 0 // a new session numbers from 1
	}
	w.session = m.Session
	return m
}

func (w *floorWire) next() live.ServerMessage {
	w.t.Helper()
	w.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m live.ServerMessage
	if err := w.ws.ReadJSON(&m); err != nil {
		w.t.Fatalf("read: %v", err)
	}
	if m.Sequenced() {
		if m.Seq != w.lastSeq+1 {
			w.t.Fatalf("%s with seq %d after %d: lost or repeated", m.Type, m.Seq, w.lastSeq)
		}
		w.lastSeq = m.Seq
		w.seen = append(w.seen, m)
	}
	return m
}

// until reads until cond holds for a message, and returns it.
func (w *floorWire) until(what string, cond func(m live.ServerMessage) bool) live.ServerMessage {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := w.next(); cond(m) {
			return m
		}
	}
	w.t.Fatalf("no %s within 10 s", what)
	return live.ServerMessage{}
}

func (w *floorWire) ack() {
	w.t.Helper()
	if err := w.ws.WriteJSON(live.ClientMessage{Type: live.TypeAck, Seq: w.lastSeq}); err != nil {
		w.t.Fatal(err)
	}
}

// TestFloor_liveProgressExceptionsAndResume watches a cart picked with a
// wrong scan and a short: the snapshot has the wave, progress and the
// picker come live, the exceptions appear as they happen; the floor
// connection is cut in the middle, the picking goes on, and the resumed
// session gets exactly the messages it missed, none twice.
func TestFloor_liveProgressExceptionsAndResume(t *testing.T) {
	f := newFloor(t, 4)
	w := f.floorWire(t)
	snap := w.until("snapshot", func(m live.ServerMessage) bool { return m.Type == live.TypeSnapshot })
	if len(snap.Floor.Waves) != 1 || snap.Floor.Waves[0].Progress.TasksDone != 0 || snap.Floor.Waves[0].Progress.Tasks == 0 {
		t.Fatalf("snapshot waves %+v, want the released wave, nothing done", snap.Floor.Waves)
	}
	waveID := snap.Floor.Waves[0].ID

	h := f.login(handheld.Options{})
	p := takeCart(t, h)
	w.until("picker1 on the cart, its handheld online", func(m live.ServerMessage) bool {
		return m.Type == live.TypePicker && m.Picker.Name == "picker1" && m.Picker.Cart == p.CartID && m.Picker.Wave == waveID && m.Picker.Online
	})
	// Bind the totes, then a wrong location.
	for p.Step == pickwave.StepBindTote {
		mustScan(t, h, f.right(p), "ok")
		p = h.Prompt()
	}
	mustScan(t, h, "NOT-A-LOCATION", "wrong_location")
	ex := w.until("the wrong scan", func(m live.ServerMessage) bool { return m.Type == live.TypeException })
	if ex.Exception.Kind != live.ExWrongScan || ex.Exception.Picker != "picker1" || ex.Exception.Code != "wrong_location" || ex.Exception.Cart != p.CartID {
		t.Fatalf("exception %+v", ex.Exception)
	}
	// Pick the first task fully: the wave's progress moves.
	for p.Task != nil && p.Task.Seq == 1 && !p.Done {
		mustScan(t, h, f.right(p), "ok")
		p = h.Prompt()
	}
	w.until("one task done", func(m live.ServerMessage) bool {
		return m.Type == live.TypeWave && m.Wave.ID == waveID && m.Wave.Progress.TasksDone == 1 && m.Wave.Progress.UnitsPicked > 0
	})
	w.ack()

	// Cut the floor connection; meanwhile a short and more picks.
	lastBefore := w.lastSeq
	w.ws.UnderlyingConn().Close()
	if p.Step == pickwave.StepLocation {
		mustScan(t, h, f.right(p), "ok")
		p = h.Prompt()
	}
	res, err := h.Short(testCtx(t), pickwave.ShortRequest{Reason: pickwave.ShortEmpty})
	if err != nil || res.Verdict.Code != "ok" {
		t.Fatalf("short: %v %+v", err, res)
	}
	p = h.Prompt()
	for !p.Done {
		mustScan(t, h, f.right(p), "ok")
		p = h.Prompt()
	}
	clean(t, h)

	welcome := w.connect(f, w.session, lastBefore)
	if !welcome.Resumed || welcome.Session != snap.Session && welcome.Session != w.session {
		t.Fatalf("welcome %+v, want the same session resumed", welcome)
	}
	shortEx := w.until("the short, sent while away", func(m live.ServerMessage) bool {
		return m.Type == live.TypeException && m.Exception.Kind == live.ExShort
	})
	if shortEx.Exception.Picker != "picker1" || shortEx.Exception.Order == "" {
		t.Fatalf("short exception %+v", shortEx.Exception)
	}
	done := w.until("the wave completed", func(m live.ServerMessage) bool {
		return m.Type == live.TypeWave && m.Wave.ID == waveID && m.Wave.Status == pickwave.WaveCompleted
	})
	if done.Wave.Progress.UnitsShort == 0 || done.Wave.Progress.TasksDone != done.Wave.Progress.Tasks {
		t.Fatalf("completed wave %+v", done.Wave.Progress)
	}
	// Every exception came once: the wrong scan before the cut, the short after.
	kinds := map[uint64]int{}
	for _, m := range w.seen {
		if m.Type == live.TypeException && m.Exception.EventSeq != 0 {
			kinds[m.Exception.EventSeq]++
		}
	}
	for seq, n := range kinds {
		if n != 1 {
			t.Fatalf("exception of event %d came %d times", seq, n)
		}
	}
	if len(kinds) != 2 {
		t.Fatalf("%d exceptions from events, want the wrong scan and the short", len(kinds))
	}

	// A session id it does not have (or a gap it no longer holds) starts
	// a new session with a snapshot.
	w2 := &floorWire{t: t}
	m := w2.connect(f, "no-such-session", 7)
	if m.Resumed || m.Session == "no-such-session" {
		t.Fatalf("welcome %+v for an unknown session", m)
	}
	snap2 := w2.until("snapshot", func(m live.ServerMessage) bool { return m.Type == live.TypeSnapshot })
	if snap2.Seq != 1 || len(snap2.Floor.Exceptions) != 2 {
		t.Fatalf("new snapshot %d with %d exceptions", snap2.Seq, len(snap2.Floor.Exceptions))
	}
	if ps := snap2.Floor.Pickers; len(ps) != 1 || !ps[0].Online || ps[0].Cart != "" || ps[0].Picks == 0 {
		t.Fatalf("pickers %+v, want picker1 online without a cart", ps)
	}
}

func TestFloor_refusals(t *testing.T) {
	f := newFloor(t, 1)
	token := mustToken(t, f)
	pickerToken, err := f.db.MintToken(t.Context(), "picker1", pickwave.RolePicker, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		hdr  http.Header
		want int
	}{
		{"no session", http.Header{}, 401},
		{"a picker", http.Header{"Authorization": {"Bearer " + pickerToken}}, 403},
		{"another origin", http.Header{"Authorization": {"Bearer " + token}, "Origin": {"https://evil.example"}}, 403},
	} {
		_, res, err := f.dialFloor(t, c.hdr)
		if err == nil || res == nil || res.StatusCode != c.want {
			t.Errorf("%s: %v %v, want %d", c.name, err, res, c.want)
		}
	}
	// Not a hello: an error, and the connection stays.
	ws, _, err := f.dialFloor(t, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"scan"}`))
	var m live.ServerMessage
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&m); err != nil || m.Type != live.TypeError || m.Code != "invalid" {
		t.Fatalf("%v %+v", err, m)
	}
	// A message over the size limit closes the connection.
	ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","session":"`+strings.Repeat("x", live.MaxMessageSize)+`"}`))
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) && err == nil {
		t.Fatalf("after an oversized message: %v", err)
	}
}
