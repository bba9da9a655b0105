package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/handheld"
)

// call sends a request with a bearer token and returns the status and
// body.
func call(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, data
}

// TestLocale_setByTheUserCarriedByMeAndTheWelcome: a picker sets their
// own locale over PATCH /api/v1/me; it is committed, GET /api/v1/me and
// the handheld socket's welcome carry it (after a restart too), a bad
// tag is refused with the field named, and "" clears it.
func TestLocale_setByTheUserCarriedByMeAndTheWelcome(t *testing.T) {
	f := newFloor(t, 1)
	ctx := testCtx(t)
	token, _, err := f.db.Login(ctx, "picker1", demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	me := func() map[string]any {
		t.Helper()
		code, body := call(t, "GET", f.http.URL+"/api/v1/me", token, "")
		if code != 200 {
			t.Fatalf("GET /me: %d %s", code, body)
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if loc, ok := me()["locale"]; ok {
		t.Fatalf("a new user has locale %v", loc)
	}
	code, body := call(t, "PATCH", f.http.URL+"/api/v1/me", token, `{"locale":"es-mx"}`)
	if code != 200 || !strings.Contains(string(body), `"locale":"es-MX"`) {
		t.Fatalf("PATCH es-mx: %d %s", code, body)
	}
	for _, bad := range []string{`{"locale":"español"}`, `{"locale":"e"}`, `{"locale":"` + strings.Repeat("a", 40) + `"}`, `{}`} {
		code, body := call(t, "PATCH", f.http.URL+"/api/v1/me", token, bad)
		if code != 400 || !strings.Contains(string(body), `"field":"locale"`) {
			t.Fatalf("PATCH %s: %d %s", bad, code, body)
		}
	}
	f.restart() // the locale was committed before the answer
	if got := me()["locale"]; got != "es-MX" {
		t.Fatalf("GET /me after a restart: locale %v", got)
	}
	w := f.wire(nil)
	w.send(handheld.ClientMessage{Type: handheld.TypeLogin, Badge: picker1Badge, ID: "l"})
	if m := w.expect(handheld.TypeWelcome); m.Locale != "es-MX" || m.User != "picker1" {
		t.Fatalf("welcome: %+v", m)
	}
	if code, body := call(t, "PATCH", f.http.URL+"/api/v1/me", token, `{"locale":""}`); code != 200 || strings.Contains(string(body), "locale") {
		t.Fatalf("PATCH \"\": %d %s", code, body)
	}
	if u, err := f.db.User(ctx, "picker1"); err != nil || u.Locale != "" {
		t.Fatalf("stored after clearing: %+v %v", u, err)
	}
}

// TestLocale_adminSetsItOnCreate: an admin gives a new user a locale; a
// malformed one is refused like any other bad field.
func TestLocale_adminSetsItOnCreate(t *testing.T) {
	f := newFloor(t, 1)
	ctx := testCtx(t)
	admin, err := f.db.MintToken(ctx, "boss", pickwave.RoleAdmin, 3600e9)
	if err != nil {
		t.Fatal(err)
	}
	code, body := call(t, "POST", f.http.URL+"/api/v1/users", admin, `{"name":"ana","role":"picker","password":"pick-ana","locale":"ES"}`)
	if code != 201 || !strings.Contains(string(body), `"locale":"es"`) {
		t.Fatalf("create: %d %s", code, body)
	}
	if u, err := f.db.User(ctx, "ana"); err != nil || u.Locale != "es" {
		t.Fatalf("stored: %+v %v", u, err)
	}
	code, body = call(t, "POST", f.http.URL+"/api/v1/users", admin, `{"name":"bo","role":"picker","password":"pick-bo","locale":"12"}`)
	if code != 400 || !strings.Contains(string(body), `"field":"locale"`) {
		t.Fatalf("create with a bad locale: %d %s", code, body)
	}
	// A `pickwave token` session names no user: no locale, and none to set.
	code, body = call(t, "GET", f.http.URL+"/api/v1/me", admin, "")
	if code != 200 || strings.Contains(string(body), "locale") {
		t.Fatalf("GET /me of a minted token: %d %s", code, body)
	}
	if code, body := call(t, "PATCH", f.http.URL+"/api/v1/me", admin, `{"locale":"es"}`); code != 404 {
		t.Fatalf("PATCH /me of a minted token: %d %s", code, body)
	}
}
