package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/server"
)

// TestHandheld_secondDeviceReplacesFirst: the first device is told it was
// replaced (an error conflict) and then sees close code 4001.
func TestHandheld_secondDeviceReplacesFirst(t *testing.T) {
	f := newFloor(t, 1)
	var mu sync.Mutex
	var codes []string
	first := f.login(handheld.Options{OnMessage: func(m handheld.ServerMessage) {
		if m.Type == handheld.TypeError {
			mu.Lock()
			codes = append(codes, m.Code)
			mu.Unlock()
		}
	}})
	second := f.login(handheld.Options{})
	err := first.WaitDisconnect(testCtx(t))
	var ce *websocket.CloseError
	if !errors.Is(err, handheld.ErrReplaced) || !errors.As(err, &ce) || ce.Code != handheld.CloseReplaced {
		t.Fatalf("replaced device closed with %v, want code %d", err, handheld.CloseReplaced)
	}
	mu.Lock()
	if len(codes) != 1 || codes[0] != "conflict" {
		t.Fatalf("replaced device got errors %v, want one conflict before the close", codes)
	}
	mu.Unlock()
	takeCart(t, second)
}

// TestHandheld_shutdownClosesGoingAway: a server that stops closes every
// handheld with a close frame of code 1001 before the socket.
func TestHandheld_shutdownClosesGoingAway(t *testing.T) {
	f := newFloor(t, 1)
	h := f.login(handheld.Options{})
	takeCart(t, h)
	f.srv.Close(context.Background())
	err := h.WaitDisconnect(testCtx(t))
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("shutdown closed the handheld with %v, want close code %d", err, websocket.CloseGoingAway)
	}
}

func TestHandheld_staleCookieAndTokenHello(t *testing.T) {
	f := newFloor(t, 1)
	// A stale cookie does not lock the picker out: the badge login works.
	h := f.login(handheld.Options{Header: http.Header{"Cookie": []string{server.SessionCookie + "=stale"}}})
	h.Close()
	// A token in hello, for browsers that cannot set headers.
	token, err := f.db.MintToken(context.Background(), "picker1", pickwave.RolePicker, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	w := f.wire(nil)
	w.send(handheld.ClientMessage{Type: handheld.TypeHello, Token: "forged"})
	if m := w.expect(handheld.TypeError); m.Code != "unauthorized" {
		t.Fatalf("forged token: %+v", m)
	}
	w.send(handheld.ClientMessage{Type: handheld.TypeHello, Token: token})
	if m := w.expect(handheld.TypeWelcome); m.Session == "" {
		t.Fatalf("welcome %+v", m)
	}
	h2 := f.login(handheld.Options{Token: token, TokenInHello: true})
	if user, _ := h2.User(); user != "picker1" {
		t.Fatalf("token in hello: user %q", user)
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
	h := f.wire(nil)
	h.send(handheld.ClientMessage{Type: handheld.TypeLogin, Badge: picker1Badge})
	first := h.expect(handheld.TypeWelcome).Session
	h.send(handheld.ClientMessage{Type: handheld.TypeTakeCart, ID: "t1"})
	if m := h.expect(handheld.TypePrompt); m.Ref != "t1" {
		t.Fatalf("take_cart answered %+v, want ref t1", m)
	}
	h.send(handheld.ClientMessage{Type: handheld.TypeHello})
	w := h.expect(handheld.TypeWelcome)
	if w.Session == "" || w.Session == first {
		t.Fatalf("second hello: session %q, first %q", w.Session, first)
	}
	h.lastSeq = 0                 // a new session numbers from 1
	h.expect(handheld.TypePrompt) // the cart's prompt, sent with a new session
	h.send(handheld.ClientMessage{Type: handheld.TypePrompt, ID: "p1"})
	if p := h.expect(handheld.TypePrompt); p.Prompt == nil || p.Prompt.CartID == "" || p.Ref != "p1" {
		t.Fatalf("prompt on the same connection after a second hello: %+v", p)
	}
}
