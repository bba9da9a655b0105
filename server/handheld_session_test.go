package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	hh "github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/server"
)

func TestHandheld_secondDeviceReplacesFirst(t *testing.T) {
	f := newFloor(t, 1)
	first := f.dial()
	first.login()
	second := f.dial()
	second.login()
	if m := first.expect("error"); m.Code != "conflict" {
		t.Fatalf("replaced device got %+v", m)
	}
	_ = first.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := first.ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != hh.CloseReplaced {
		t.Fatalf("replaced device closed with %v, want code %d", err, hh.CloseReplaced)
	}
	second.send(map[string]any{"type": "take_cart"})
	second.expect("prompt")
}

func TestHandheld_staleCookieAndTokenHello(t *testing.T) {
	f := newFloor(t, 1)
	url := "ws" + strings.TrimPrefix(f.http.URL, "http") + "/ws/handheld"
	// A stale cookie does not lock the picker out: the badge login works.
	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Cookie": []string{server.SessionCookie + "=stale"}})
	if err != nil {
		t.Fatalf("stale cookie refused at the door: %v", err)
	}
	h := &handheld{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	h.login()
	ws.Close()
	// A token in hello, for browsers that cannot set headers.
	token, err := f.db.MintToken(context.Background(), "picker1", pickwave.RolePicker, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h2 := f.dial()
	h2.send(map[string]any{"type": "hello", "token": "forged"})
	if m := h2.expect("error"); m.Code != "unauthorized" {
		t.Fatalf("forged token: %+v", m)
	}
	h2.send(map[string]any{"type": "hello", "token": token})
	if w := h2.expect("welcome"); w.Session == "" {
		t.Fatalf("welcome %+v", w)
	}
}

func TestLogout_clearsAStaleCookie(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/logout", nil)
	req.Header.Set("Cookie", server.SessionCookie+"=stale")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || !strings.Contains(res.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout with a stale cookie: %d %q", res.StatusCode, res.Header.Get("Set-Cookie"))
	}
}

// TestHandheld_helloAgainOnTheSameConnection checks that a handheld that
// says hello again without its session id (an app restarted its state)
// gets a new session on the same connection, rather than being closed as
// replaced by itself.
func TestHandheld_helloAgainOnTheSameConnection(t *testing.T) {
	f := newFloor(t, 2)
	h := f.dial()
	h.login()
	h.send(map[string]any{"type": "take_cart", "id": "t1"})
	h.expect("prompt")
	first := h.session
	h.send(map[string]any{"type": "hello"})
	w := h.expect("welcome")
	if w.Session == "" || w.Session == first {
		t.Fatalf("second hello: session %q, first %q", w.Session, first)
	}
	h.lastSeq = 0      // a new session numbers from 1
	h.expect("prompt") // the cart's prompt, sent with a new session
	h.send(map[string]any{"type": "prompt", "id": "p1"})
	if p := h.expect("prompt"); p.Prompt == nil || p.Prompt.CartID == "" {
		t.Fatalf("prompt on the same connection after a second hello: %+v", p)
	}
}
