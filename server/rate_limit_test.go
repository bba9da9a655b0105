package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
)

// clientFrom is an HTTP client whose connections come from the loopback
// address ip (Linux answers all of 127.0.0.0/8), so that a test can be
// two hosts.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// One address flooding the API gets its burst, then 429 with Retry-After
// in the Error shape, counted; another address is served meanwhile; the
// flooder is served again once its bucket refills; websockets and
// /healthz are not limited.
func TestRateLimit_floodFromOneAddress(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{NoSync: true})
	s := testenv.Server(db, nil)
	s.APIRate, s.APIBurst = 1, 10
	hs := httptest.NewServer(testenv.Checked(t, s.Handler()))
	t.Cleanup(hs.Close)
	ctx := context.Background()
	super, _ := db.MintToken(ctx, "sue", pickwave.RoleSupervisor, time.Hour)
	get := func(c *http.Client, path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+super)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	flooder, other := clientFrom("127.0.0.1"), clientFrom("127.0.0.2")

	ok, limited := 0, 0
	var refused *http.Response
	start := time.Now()
	for range 40 {
		switch res := get(flooder, "/api/v1/orders"); res.StatusCode {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
			refused = res
		default:
			t.Fatalf("flood: %s", res.Status)
		}
	}
	// The burst of 10, and one more a second while the 40 were sent.
	if most := 10 + int(time.Since(start).Seconds()) + 1; ok < 10 || ok > most || limited == 0 {
		t.Fatalf("40 requests in %s: %d served, %d limited; want 10 to %d served", time.Since(start), ok, limited, most)
	}
	if ra, err := strconv.Atoi(refused.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Fatalf("429 Retry-After %q", refused.Header.Get("Retry-After"))
	}
	var body struct{ Error pickwave.Error }
	if err := json.NewDecoder(refused.Body).Decode(&body); err != nil || body.Error.Code != pickwave.ETOOMANY {
		t.Fatalf("429 body: %+v, %v", body, err)
	}
	if res := get(other, "/api/v1/orders"); res.StatusCode != http.StatusOK {
		t.Fatalf("another address during the flood: %s", res.Status)
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		if res := get(flooder, path); res.StatusCode != http.StatusOK {
			t.Fatalf("%s from the flooder: %s", path, res.Status)
		}
	}
	if !strings.Contains(testenv.Metrics(t, hs.URL, super), fmt.Sprintf(`pickwave_shed_total{what="rate"} %d`, limited)) {
		t.Fatalf("pickwave_shed_total{what=\"rate\"} is not %d", limited)
	}
	time.Sleep(1100 * time.Millisecond) // a token at 1 a second
	if res := get(flooder, "/api/v1/orders"); res.StatusCode != http.StatusOK {
		t.Fatalf("the flooder after a pause: %s", res.Status)
	}
}

// A request refused for its address's rate is answered before its body
// is read: a client that declared a gigabyte and sent one byte gets its
// 429 at once, and the connection is closed rather than drained.
func TestRateLimit_refusesBeforeReadingTheBody(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{NoSync: true})
	s := testenv.Server(db, nil)
	s.APIRate, s.APIBurst = 1, 1
	// The server on its own listener, as in production: the contract
	// check would read the body that this test shows is never read.
	addr := openServer(t, s)
	super, _ := db.MintToken(context.Background(), "sue", pickwave.RoleSupervisor, time.Hour)
	if res, err := http.Get("http://" + addr + "/api/v1/me"); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close() // the one token
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{", super)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body: %v", err)
	}
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %s, want 429", res.Status)
	}
}
