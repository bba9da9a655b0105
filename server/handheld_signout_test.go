package server_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
)

// TestHandheld_logoutEndsTheSocket is issue 13's finding that logout left
// an open handheld socket scanning: logging the session out through the
// API closes the socket with code 4003, and the token no longer opens one.
func TestHandheld_logoutEndsTheSocket(t *testing.T) {
	f := newFloor(t, 1)
	c := f.login(handheld.Options{}) // badge login: the welcome carries a token
	token := c.Token()
	if token == "" {
		t.Fatal("no token after a badge login")
	}
	req, _ := http.NewRequest("POST", f.http.URL+"/api/v1/logout", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %s", res.Status)
	}
	err = c.WaitDisconnect(testCtx(t))
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != handheld.CloseSignedOut {
		t.Fatalf("after logout the socket ended with %v, want code %d", err, handheld.CloseSignedOut)
	}
	_, err = handheld.Dial(context.Background(), f.wsURL(), handheld.Options{Token: token})
	if handheld.ErrorCode(err) != pickwave.EUNAUTHORIZED {
		t.Fatalf("dial with the logged-out token: %v", err)
	}
}
