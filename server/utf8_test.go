package server_test

import (
	"testing"

	"github.com/gorilla/websocket"
	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
)

// TestJSON_notUTF8IsRefused is issue 13's finding that text which is not
// UTF-8 was silently replaced: such a body is now a 400, and nothing is
// created from it.
func TestJSON_notUTF8IsRefused(t *testing.T) {
	e := newEnv(t)
	body := "{\"code\":\"BAD\",\"name\":\"Caf\xe9\",\"barcodes\":[]}"
	r := e.json("POST", "/api/v1/skus", e.super, body)
	mustStatus(t, r, 400)
	mustStatus(t, e.json("GET", "/api/v1/skus/BAD", e.super, nil), 404)
}

// TestHandheld_notUTF8IsRefused: a handheld frame that is not UTF-8 gets
// an invalid error, and the connection goes on.
func TestHandheld_notUTF8IsRefused(t *testing.T) {
	f := newFloor(t, 1)
	w := f.wire(nil)
	if err := w.ws.WriteMessage(websocket.TextMessage, []byte("{\"type\":\"login\",\"badge\":\"B\xff\"}")); err != nil {
		t.Fatal(err)
	}
	if m := w.expect(handheld.TypeError); m.Code != pickwave.EINVALID {
		t.Fatalf("error %+v", m)
	}
	w.send(handheld.ClientMessage{Type: handheld.TypeLogin, Badge: picker1Badge})
	w.expect(handheld.TypeWelcome)
}
