package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
)

// FuzzHandheldMessage sends any bytes as a handheld message on a logged-in
// websocket and checks what the server promises for bad input: a
// structured answer (never an internal error, never a closed connection),
// or for a frame over the read limit a close with 1009; and either way
// the server goes on serving: a probe on the same or a new connection is
// answered within 3 s.
//
//	go test ./server -run '^$' -fuzz FuzzHandheldMessage -fuzztime 60s
func FuzzHandheldMessage(f *testing.F) {
	for _, seed := range []string{
		`{"type":"hello"}`,
		`{"type":"take_cart","id":"t1"}`,
		`{"type":"prompt","id":"p1"}`,
		`{"type":"scan","id":"s1","device":"TC52","data":"A01-01-1"}`,
		`{"type":"scan","id":"s2","device":"TC52","data":"]C1010061414100014110230101\u001d10LOT-7"}`,
		`{"type":"scan","id":"s3","device":"TC52","data":"TOTE-1","count":3}`,
		`{"type":"scan","id":"s4","device":"TC52","data":"x","count":-1}`,
		`{"type":"short","id":"h1","device":"TC52","reason":"empty","found":0}`,
		`{"type":"short","id":"h2","reason":"lost"}`,
		`{"type":"ack","seq":99999999999}`,
		`{"type":"login","badge":"B9999"}`,
		`{"type":"login","username":"picker1","password":""}`,
		`{"type":"hello","session":"nope","last_seq":-1}`,
		`{"type":["scan"]}`,
		`{"type":"scan","id":"` + strings.Repeat("9", 70) + `","data":"` + strings.Repeat("^XZ", 2000) + `"}`,
		`null`, `[]`, `{`, "\x00\xff", ``,
	} {
		f.Add([]byte(seed))
	}
	fl := newFloor(f, 4)
	token, err := fl.db.MintToken(context.Background(), "picker1", pickwave.RolePicker, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	url := "ws" + strings.TrimPrefix(fl.http.URL, "http") + "/ws/handheld"
	dial := func() (*websocket.Conn, error) {
		ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": []string{"Bearer " + token}})
		if err != nil {
			return nil, err
		}
		if err := ws.WriteJSON(handheld.ClientMessage{Type: handheld.TypeHello}); err != nil {
			ws.Close()
			return nil, err
		}
		return ws, nil
	}
	var ws *websocket.Conn
	f.Cleanup(func() {
		if ws != nil {
			ws.Close()
		}
	})
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		if ws == nil {
			if ws, err = dial(); err != nil {
				t.Fatal(err)
			}
		}
		n++
		probe := fmt.Sprintf("probe-%d", n)
		err := ws.WriteMessage(websocket.TextMessage, data)
		if err == nil {
			err = answerProbe(ws, probe)
		}
		if ce := (*websocket.CloseError)(nil); errors.As(err, &ce) && ce.Code == websocket.CloseMessageTooBig {
			// Closed for this input, an oversized frame: the server must
			// still serve a new connection.
			ws.Close()
			if ws, err = dial(); err != nil {
				t.Fatalf("after %q: redial: %v", data, err)
			}
			err = answerProbe(ws, probe)
		}
		if err != nil {
			t.Fatalf("after %q: %v", data, err)
		}
	})
}

var errConnGone = errors.New("connection closed")

// answerProbe asks for the prompt and reads until the answer to it,
// failing on an internal error among the messages read.
func answerProbe(ws *websocket.Conn, probe string) error {
	if err := ws.WriteJSON(handheld.ClientMessage{Type: handheld.TypePrompt, ID: probe}); err != nil {
		return errConnGone
	}
	for {
		_ = ws.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, raw, err := ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("%w: %w", errConnGone, err)
		}
		var m handheld.ServerMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("server sent %q: %v", raw, err)
		}
		switch {
		case m.Type == handheld.TypeError && m.Code == pickwave.EINTERNAL:
			return fmt.Errorf("internal error: %s", raw)
		case m.Type == handheld.TypeError && m.Ref == probe:
			return nil // no cart yet, say: an answer
		case m.Type == handheld.TypePrompt:
			return nil
		}
	}
}
