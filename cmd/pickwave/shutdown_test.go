package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
	"github.com/pickwave/pickwave/internal/testenv"
)

// TestServe_shutdownFinishesInFlight starts a CSV import, sends SIGTERM's
// equivalent while the body is still arriving, and checks the import is
// answered in full before serve returns and the store closes.
func TestServe_shutdownFinishesInFlight(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "--data", dir, "--role", "supervisor"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json"}, io.Discard, logs)
	}()
	base := waitForLog(t, logs, "pickwave serving", "addr")
	api := client.New(base, client.WithToken(token))
	if err := api.Inventory.CreateSKU(ctx, &pickwave.SKU{Code: "MUG", Name: "Mug"}); err != nil {
		t.Fatal(err)
	}
	if err := api.Inventory.CreateLocation(ctx, &pickwave.Location{Code: "A01-01-1", Aisle: 1, Bay: 1, Level: 1, Kind: pickwave.LocationPick}); err != nil {
		t.Fatal(err)
	}
	must(api.Inventory.AdjustStock(ctx, &pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 5, Reason: "receipt"})).of(t)

	idle := inflight(t, base, token)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", base+"/api/v1/orders/import", pr)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/csv")
	type result struct {
		status int
		body   string
		err    error
	}
	answered := make(chan result, 1)
	// A connection of its own: a reused keep-alive connection that the server
	// has not yet read from counts as idle, and shutdown may close it.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		res, err := client.Do(req)
		if err != nil {
			answered <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		answered <- result{status: res.StatusCode, body: string(b)}
	}()
	// The header row is padded (column names are trimmed) past the
	// client's 4 KB write buffer, so the request head reaches the server
	// now, not when the body ends: net/http drops a request whose head it
	// reads after shutdown began.
	header := "external_id,customer_name,ship_name,ship_address1,ship_city,ship_postal_code,ship_country,carrier,ship_by,sku,qty" +
		strings.Repeat(" ", 16<<10) + "\n"
	if _, err := pw.Write([]byte(header)); err != nil {
		t.Fatal(err)
	}
	// Shut down only once the import is in its handler, reading the body:
	// a request whose head the server has not read when shutdown begins is
	// dropped, and an accepted connection is not yet a read head.
	testenv.Eventually(t, 20*time.Second, "the import to be served", func() bool {
		return inflight(t, base, token) > idle
	})
	cancel() // what SIGINT/SIGTERM do
	// Wait until the server stops taking new connections: shutdown has begun.
	addr := strings.TrimPrefix(base, "http://")
	testenv.Eventually(t, 20*time.Second, "the server to stop accepting connections", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	if _, err := pw.Write([]byte("E1,Ada,Ada,1 Road,Town,123,US,UPS,2026-11-26T17:00:00Z,MUG,2\n")); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-answered
	if r.err != nil || r.status != 200 || !strings.Contains(r.body, `"created":1`) {
		t.Fatalf("in-flight import: %d %s %v", r.status, r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// inflight reads pickwave_http_inflight, the API requests being served,
// from /metrics (its own request among them).
func inflight(t *testing.T, base, token string) float64 {
	t.Helper()
	for line := range strings.Lines(testenv.Metrics(t, base, token)) {
		if v, ok := strings.CutPrefix(line, "pickwave_http_inflight "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no pickwave_http_inflight in /metrics")
	return 0
}
