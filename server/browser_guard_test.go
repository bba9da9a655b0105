package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/server"
)

// TestBrowserGuard_cookieStateChanges checks issue 13 finding 3: a state
// change authenticated by the session cookie must come from our own
// origin with the body its route takes; a bearer token is no browser's
// and passes as before.
func TestBrowserGuard_cookieStateChanges(t *testing.T) {
	e := newEnv(t)
	e.seed()
	host := strings.TrimPrefix(e.srv.URL, "http://")
	const json, plain = "application/json", "text/plain"
	tests := []struct {
		name        string
		path        string // after /api/v1/orders/{id}; "" is /cancel
		cookie      bool   // the session cookie, else a bearer token
		contentType string
		header      map[string]string
		want        int
		code        string
	}{
		{name: "cross-origin port", cookie: true, contentType: json, header: map[string]string{"Origin": "http://" + strings.Split(host, ":")[0] + ":9999"}, want: 403, code: pickwave.EFORBIDDEN},
		{name: "cross-origin host", cookie: true, contentType: json, header: map[string]string{"Origin": "http://evil.example"}, want: 403, code: pickwave.EFORBIDDEN},
		{name: "cross-origin scheme", cookie: true, contentType: json, header: map[string]string{"Origin": "https://" + host}, want: 403, code: pickwave.EFORBIDDEN},
		{name: "same-site fetch", cookie: true, contentType: json, header: map[string]string{"Sec-Fetch-Site": "same-site"}, want: 403, code: pickwave.EFORBIDDEN},
		{name: "cross-site fetch", cookie: true, contentType: json, header: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403, code: pickwave.EFORBIDDEN},
		{name: "text/plain form", cookie: true, contentType: plain, want: 415, code: pickwave.EINVALID},
		{name: "form-encoded", cookie: true, contentType: "application/x-www-form-urlencoded", want: 415, code: pickwave.EINVALID},
		{name: "body without type", cookie: true, want: 415, code: pickwave.EINVALID},
		{name: "body on a route without one", path: "/allocate", cookie: true, contentType: json, want: 400, code: pickwave.EINVALID},
		{name: "own page", cookie: true, contentType: json + "; charset=utf-8", header: map[string]string{"Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"}, want: 200},
		{name: "no browser headers", cookie: true, contentType: json, want: 200},
		{name: "bearer cross-origin", contentType: json, header: map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, want: 200},
		{name: "bearer text/plain", contentType: plain, want: 415, code: pickwave.EINVALID},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.json("POST", "/api/v1/orders", e.super, orderBody("CSRF-"+string(rune('A'+i)), 1))
			mustStatus(t, r, 201)
			var o pickwave.Order
			r.decode(t, &o)
			path := tt.path
			if path == "" {
				path = "/cancel"
			}
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/orders/"+o.ID+path, strings.NewReader(`{"reason":"forged"}`))
			if tt.path == "/allocate" {
				req, _ = http.NewRequest("POST", e.srv.URL+"/api/v1/orders/"+o.ID+path, strings.NewReader(`{}`))
			}
			if tt.cookie {
				req.AddCookie(&http.Cookie{Name: server.SessionCookie, Value: e.super})
			} else {
				req.Header.Set("Authorization", "Bearer "+e.super)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
			if tt.code != "" {
				if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Fatalf("refusal is %s, not the JSON error shape", ct)
				}
			}
			var now pickwave.Order
			e.json("GET", "/api/v1/orders/"+o.ID, e.super, nil).decode(t, &now)
			if cancelled := now.Status == pickwave.OrderCancelled; cancelled != (tt.want == 200 && tt.path == "") {
				t.Fatalf("order %s after the request, status %d", now.Status, res.StatusCode)
			}
		})
	}
}

// TestBrowserGuard_csvImportKeepsTextCSV checks that the CSV import takes
// text/csv from the browser, and nothing else.
func TestBrowserGuard_csvImportKeepsTextCSV(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		contentType string
		want        int
	}{{"text/csv", 400}, {"text/plain", 415}, {"application/json", 415}} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/orders/import", strings.NewReader("not,a,header\n"))
		req.AddCookie(&http.Cookie{Name: server.SessionCookie, Value: e.super})
		req.Header.Set("Content-Type", tt.contentType)
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want { // 400: the CSV itself is refused
			t.Errorf("%s: status %d, want %d", tt.contentType, res.StatusCode, tt.want)
		}
	}
}

// TestFrameHeaders checks that every answer forbids framing.
func TestFrameHeaders(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/api/v1/me", "/api/v1/nothing", "/index.html"} {
		r := e.do("GET", path, "", "", nil)
		if got := r.header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", path, got)
		}
		if got := r.header.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, got)
		}
	}
}
