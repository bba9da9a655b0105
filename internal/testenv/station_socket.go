package testenv

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
)

// StationWait bounds how long a test waits for a station message.
const StationWait = 15 * time.Second

// StationMessage is one message of /ws/station/{id}, with the time the
// test read it.
type StationMessage struct {
	Type  string                 `json:"type"`
	Seq   uint64                 `json:"seq"`
	State *pickwave.StationState `json:"state"`
	Scan  *pickwave.StationScan  `json:"scan"`
	// ID, Verdict and Error are those of pack_verdict and pack_error.
	ID      string                `json:"id"`
	Verdict *pickwave.PackVerdict `json:"verdict"`
	Error   *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	At time.Time `json:"-"`
}

// StationSocket is a websocket client of one station: it reads every
// message into a channel and fails the test when a seq does not grow.
type StationSocket struct {
	t    testing.TB
	conn *websocket.Conn
	msgs chan StationMessage
	done chan struct{}
	err  error // the read that ended the socket; set before done closes
}

// DialStation opens the station socket of the server at base (an http://
// URL) with header (credentials), closed when the test ends.
func DialStation(t testing.TB, base, id string, header http.Header) *StationSocket {
	t.Helper()
	url := "ws" + strings.TrimPrefix(base, "http") + "/ws/station/" + id
	conn, res, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", url, err, res)
	}
	ws := &StationSocket{t: t, conn: conn, msgs: make(chan StationMessage, 4096), done: make(chan struct{})}
	go ws.read()
	t.Cleanup(ws.Close)
	return ws
}

func (ws *StationSocket) read() {
	defer close(ws.done)
	defer close(ws.msgs)
	var last uint64
	for {
		_, data, err := ws.conn.ReadMessage()
		if err != nil {
			ws.err = err
			return
		}
		var m StationMessage
		if err := json.Unmarshal(data, &m); err != nil {
			ws.t.Errorf("station message %s: %v", data, err)
			return
		}
		m.At = time.Now()
		if m.Seq <= last && last != 0 {
			ws.t.Errorf("seq %d after %d", m.Seq, last)
		}
		last = m.Seq
		ws.msgs <- m
	}
}

// Send writes v as one JSON message (a pack scan).
func (ws *StationSocket) Send(v any) {
	ws.t.Helper()
	if err := ws.conn.WriteJSON(v); err != nil {
		ws.t.Fatalf("send %v: %v", v, err)
	}
}

// SendText writes data as one text message, as it is (bytes that are
// not UTF-8 included).
func (ws *StationSocket) SendText(data []byte) {
	ws.t.Helper()
	if err := ws.conn.WriteMessage(websocket.TextMessage, data); err != nil {
		ws.t.Fatalf("send %q: %v", data, err)
	}
}

// Done is closed when the socket has ended, by either side.
func (ws *StationSocket) Done() <-chan struct{} { return ws.done }

// Err is the read error that ended the socket (a *websocket.CloseError
// for a close frame); valid once Done is closed.
func (ws *StationSocket) Err() error {
	<-ws.done
	return ws.err
}

// Close closes the socket and waits for its reader.
func (ws *StationSocket) Close() {
	ws.conn.Close()
	<-ws.done
}

// Await reads messages until one matches, within StationWait.
func (ws *StationSocket) Await(what string, match func(StationMessage) bool) StationMessage {
	ws.t.Helper()
	deadline := time.NewTimer(StationWait)
	defer deadline.Stop()
	for {
		select {
		case m, ok := <-ws.msgs:
			if !ok {
				ws.t.Fatalf("socket closed waiting for %s", what)
			}
			if match(m) {
				return m
			}
		case <-deadline.C:
			ws.t.Fatalf("timed out after %v waiting for %s", StationWait, what)
		}
	}
}
