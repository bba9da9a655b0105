package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/webhook"
)

func TestServe_countFlagsAndConfig(t *testing.T) {
	def, err := parseServeFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d := pickwave.DefaultCountSchedule
	if def.Counts.Tolerance != 0 || time.Duration(def.Counts.EveryA) != d.EveryA || time.Duration(def.Counts.EveryB) != d.EveryB ||
		time.Duration(def.Counts.EveryC) != d.EveryC || def.Counts.MaxPerRun != d.MaxPerRun || time.Duration(def.Counts.RunEvery) != 24*time.Hour {
		t.Fatalf("count defaults %+v", def.Counts)
	}
	cfgPath := filepath.Join(t.TempDir(), "pickwave.json")
	if err := os.WriteFile(cfgPath, []byte(`{"counts": {"tolerance": 2, "every_a": "168h", "share_a": 0.7}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseServeFlags([]string{"--config", cfgPath, "--count-every-c", "4380h", "--count-schedule-max", "0", "--count-tolerance", "1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Counts
	if c.Tolerance != 1 || time.Duration(c.EveryA) != 7*24*time.Hour || c.ShareA != 0.7 || time.Duration(c.EveryC) != 4380*time.Hour ||
		c.MaxPerRun != 0 || time.Duration(c.EveryB) != d.EveryB {
		t.Fatalf("count config %+v", c)
	}
	for _, bad := range [][]string{
		{"--count-tolerance", "-1"},
		{"--count-every-a", "1h"},
		{"--count-every-a", "2000h", "--count-every-b", "1000h"},
		{"--count-schedule-max", "-1"},
	} {
		if _, err := parseServeFlags(bad, io.Discard); err == nil || !strings.Contains(err.Error(), "counts") {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// TestServe_reorderSuggestedWebhook runs `pickwave serve` with a shop's
// webhook for reorder.suggested: a reorder point set through the API
// above what an order leaves available sends the event, signed, with
// the SKU and the quantity to order; it is not sent again while stock
// stays below.
func TestServe_reorderSuggestedWebhook(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "--data", dir, "--role", "admin"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	var (
		mu       sync.Mutex
		secret   string
		received []map[string]any
		badSigs  []error
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.Verify(secret, r.Header, body, time.Now()); err != nil {
			badSigs = append(badSigs, err)
		}
		var msg map[string]any
		json.Unmarshal(body, &msg)
		received = append(received, msg)
	}))
	defer rcv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json"}, io.Discard, logs)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	base := waitForLog(t, logs, "pickwave serving", "addr")
	call := func(method, path string, body any, want int) []byte {
		t.Helper()
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		got, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, got)
		}
		return got
	}
	var hook struct{ ID, Secret string }
	json.Unmarshal(call("POST", "/api/v1/webhooks", map[string]any{"url": rcv.URL, "event_types": []string{"reorder.suggested"}}, 201), &hook)
	mu.Lock()
	secret = hook.Secret
	mu.Unlock()
	call("POST", "/api/v1/skus", map[string]any{"code": "MUG", "name": "Mug", "barcodes": []map[string]any{{"code": "036000291452", "qty": 1}}}, 201)
	call("POST", "/api/v1/locations", map[string]any{"code": "A01-01-1", "zone": "A", "aisle": 1, "bay": 1, "level": 1, "kind": "pick"}, 201)
	call("POST", "/api/v1/stock/adjust", map[string]any{"sku": "MUG", "location": "A01-01-1", "delta": 30, "reason": "receipt"}, 200)
	call("PUT", "/api/v1/skus/MUG/reorder", map[string]any{"reorder_point": 20, "reorder_qty": 144}, 200)
	order := func(ext string, qty int) {
		call("POST", "/api/v1/orders", map[string]any{"external_id": ext, "lines": []map[string]any{{"sku": "MUG", "qty": qty}},
			"customer": map[string]any{"name": "Ada"}, "ship_to": map[string]any{"name": "Ada", "address1": "1 Road", "city": "London", "postal_code": "N1", "country": "GB"},
			"carrier": "UPS", "service": "Ground", "ship_by": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, 201)
	}
	order("E1", 5)  // 25 left: above the point
	order("E2", 12) // 13 left: below
	order("E3", 1)  // still below: no second suggestion
	testenv.Eventually(t, 10*time.Second, "reorder.suggested delivered", func() bool {
		raw := call("GET", "/api/v1/webhooks/"+hook.ID+"/deliveries?status=delivered", nil, 200)
		return strings.Count(string(raw), `"event_id"`) == 1
	})
	mu.Lock()
	defer mu.Unlock()
	if len(badSigs) > 0 {
		t.Fatalf("bad signatures: %v", badSigs)
	}
	if len(received) != 1 {
		t.Fatalf("received %d messages: %v", len(received), received)
	}
	body, _ := json.Marshal(received[0])
	for _, want := range []string{`"reorder.suggested"`, `"sku":"MUG"`, `"available":13`, `"reorder_qty":144`} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("message %s lacks %s", body, want)
		}
	}
}
