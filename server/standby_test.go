package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
)

// A standby answers /healthz with its state and the leader, and every
// other request — API reads and writes, /readyz, pages, websocket
// upgrades — with 503, Retry-After and the leader's URL, all as the
// contract documents them.
func TestStandby_answers(t *testing.T) {
	var leader atomic.Value
	leader.Store("")
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "pickwave_standby_test_total", Help: "A test counter."}))
	withMetrics := httptest.NewServer(testenv.Checked(t, &server.Standby{Leader: func() string { return leader.Load().(string) }, Metrics: reg}))
	t.Cleanup(withMetrics.Close)
	bare := httptest.NewServer(testenv.Checked(t, &server.Standby{}))
	t.Cleanup(bare.Close)

	do := func(base, method, path, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer whatever")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(data)
	}
	health := func(base string) map[string]string {
		t.Helper()
		res, body := do(base, "GET", "/healthz", "")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("healthz: %d %s", res.StatusCode, body)
		}
		var h map[string]string
		if err := json.Unmarshal([]byte(body), &h); err != nil {
			t.Fatal(err)
		}
		return h
	}

	// The leader is not known yet: 503 without the header.
	if h := health(withMetrics.URL); h["status"] != "standby" || h["leader"] != "" {
		t.Errorf("healthz without a leader = %v", h)
	}
	res, body := do(withMetrics.URL, "GET", "/api/v1/skus", "")
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get(server.LeaderHeader) != "" ||
		res.Header.Get("Retry-After") != "1" || !strings.Contains(body, `"code":"unavailable"`) || !strings.Contains(body, "not known") {
		t.Errorf("API without a leader: %d %v %s", res.StatusCode, res.Header, body)
	}

	leader.Store("http://10.0.0.2:8080")
	if h := health(withMetrics.URL); h["status"] != "standby" || h["leader"] != "http://10.0.0.2:8080" {
		t.Errorf("healthz with a leader = %v", h)
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/readyz", ""},
		{"GET", "/api/v1/skus", ""},
		{"GET", "/api/v1/me", ""},
		{"POST", "/api/v1/orders", `{"external_id":"X-1","lines":[{"sku":"SKU-1","qty":1}]}`},
		{"POST", "/api/v1/login", `{"username":"sue","password":"secret"}`},
		{"GET", "/handheld.html", ""},
		{"GET", "/", ""},
	} {
		res, body := do(withMetrics.URL, c.method, c.path, c.body)
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get(server.LeaderHeader) != "http://10.0.0.2:8080" ||
			res.Header.Get("Retry-After") != "1" || !strings.Contains(body, `"code":"unavailable"`) || !strings.Contains(body, "http://10.0.0.2:8080") {
			t.Errorf("%s %s: %d %v %s", c.method, c.path, res.StatusCode, res.Header, body)
		}
	}

	// A websocket upgrade is refused before it happens, with the leader.
	ws := "ws" + strings.TrimPrefix(withMetrics.URL, "http") + "/ws/handheld"
	conn, res, err := websocket.DefaultDialer.Dial(ws, nil)
	if err == nil {
		conn.Close()
		t.Fatal("a standby upgraded a handheld socket")
	}
	if res == nil || res.StatusCode != http.StatusServiceUnavailable || res.Header.Get(server.LeaderHeader) != "http://10.0.0.2:8080" {
		t.Errorf("handheld upgrade on a standby: %v %v", err, res)
	}

	// /metrics: the standby's own registry when it has one, else 503.
	if res, body := do(withMetrics.URL, "GET", "/metrics", ""); res.StatusCode != http.StatusOK || !strings.Contains(body, "pickwave_standby_test_total 0") {
		t.Errorf("metrics with a registry: %d %s", res.StatusCode, body)
	}
	if res, _ := do(bare.URL, "GET", "/metrics", ""); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("metrics without a registry: %d", res.StatusCode)
	}
	if h := health(bare.URL); h["status"] != "standby" || len(h) != 1 {
		t.Errorf("healthz of a standby with no leader func = %v", h)
	}
}

// A node that serves is ready.
func TestStandby_servingNodeIsReady(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{NoSync: true})
	hs := httptest.NewServer(testenv.Checked(t, testenv.Server(db, nil).Handler()))
	t.Cleanup(hs.Close)
	res, err := http.Get(hs.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"status":"ready"}` {
		t.Errorf("readyz: %d %s", res.StatusCode, body)
	}
}
