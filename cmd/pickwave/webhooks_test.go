package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/webhook"
)

func TestServe_webhookFlagsAndConfig(t *testing.T) {
	def, err := parseServeFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if def.Webhooks.MaxAttempts != webhook.DefaultMaxAttempts || time.Duration(def.Webhooks.Timeout) != webhook.DefaultTimeout ||
		time.Duration(def.Webhooks.BackoffMin) != webhook.DefaultBackoffMin || time.Duration(def.Webhooks.BackoffMax) != webhook.DefaultBackoffMax ||
		def.Webhooks.Workers != webhook.DefaultWorkers || time.Duration(def.Webhooks.Retention) != 30*24*time.Hour {
		t.Fatalf("webhook defaults %+v", def.Webhooks)
	}
	cfgPath := filepath.Join(t.TempDir(), "pickwave.json")
	if err := os.WriteFile(cfgPath, []byte(`{"webhooks": {"max_attempts": 5, "timeout": "2s"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseServeFlags([]string{"--config", cfgPath, "--webhook-workers", "2", "--webhook-backoff-max", "1h", "--webhook-retention", "0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Webhooks
	if w.MaxAttempts != 5 || time.Duration(w.Timeout) != 2*time.Second || w.Workers != 2 || time.Duration(w.BackoffMax) != time.Hour ||
		time.Duration(w.BackoffMin) != webhook.DefaultBackoffMin || w.Retention != 0 {
		t.Fatalf("webhook config %+v", w)
	}
	for _, bad := range [][]string{
		{"--webhook-max-attempts", "0"},
		{"--webhook-timeout", "0s"},
		{"--webhook-backoff-min", "1m", "--webhook-backoff-max", "10s"},
		{"--webhook-workers", "0"},
		{"--webhook-retention", "-1h"},
	} {
		if _, err := parseServeFlags(bad, io.Discard); err == nil || !strings.Contains(err.Error(), "webhook") {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// TestServe_webhooksAcrossRestart runs `pickwave serve`, subscribes a
// failing receiver, logs orders, stops the program, makes the receiver
// well and starts the program again: every event arrives, signed, and
// the API shows every delivery delivered.
func TestServe_webhooksAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "--data", dir, "--role", "admin"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())

	var (
		mu       sync.Mutex
		ok       bool
		secret   string
		fails    int
		accepted = map[string]bool{}
		badSigs  []error
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.Verify(secret, r.Header, body, time.Now()); err != nil {
			badSigs = append(badSigs, err)
		}
		if !ok {
			fails++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		accepted[r.Header.Get(webhook.HeaderID)] = true
	}))
	defer rcv.Close()

	serve := func() (base string, stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		logs := &testenv.Buffer{}
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json",
				"--webhook-backoff-min", "10ms", "--webhook-backoff-max", "50ms", "--webhook-timeout", "1s"}, io.Discard, logs)
		}()
		return waitForLog(t, logs, "pickwave serving", "addr"), func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("serve: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not stop")
			}
		}
	}
	call := func(base, method, path string, body any, want int) []byte {
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

	base, stop := serve()
	var hook struct{ ID, Secret string }
	json.Unmarshal(call(base, "POST", "/api/v1/webhooks", map[string]any{"url": rcv.URL, "event_types": []string{"order.allocated", "order.backordered"}}, 201), &hook)
	mu.Lock()
	secret = hook.Secret
	mu.Unlock()
	call(base, "POST", "/api/v1/skus", map[string]any{"code": "MUG", "name": "Mug", "barcodes": []map[string]any{{"code": "036000291452", "qty": 1}}}, 201)
	call(base, "POST", "/api/v1/locations", map[string]any{"code": "A01-01-1", "zone": "A", "aisle": 1, "bay": 1, "level": 1, "kind": "pick"}, 201)
	call(base, "POST", "/api/v1/stock/adjust", map[string]any{"sku": "MUG", "location": "A01-01-1", "delta": 2, "reason": "receipt"}, 200)
	for i, qty := range []int{1, 5} {
		call(base, "POST", "/api/v1/orders", map[string]any{"external_id": fmt.Sprintf("E%d", i), "lines": []map[string]any{{"sku": "MUG", "qty": qty}},
			"customer": map[string]any{"name": "Ada"}, "ship_to": map[string]any{"name": "Ada", "address1": "1 Road", "city": "London", "postal_code": "N1", "country": "GB"},
			"carrier": "UPS", "service": "Ground", "ship_by": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, 201)
	}
	testenv.Eventually(t, 10*time.Second, "the receiver failing attempts", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return fails >= 4
	})
	stop()

	mu.Lock()
	ok = true
	mu.Unlock()
	base, stop = serve()
	defer stop()
	var page struct {
		Items []struct {
			EventID string `json:"event_id"`
		} `json:"items"`
	}
	testenv.Eventually(t, 10*time.Second, "both deliveries delivered after the restart", func() bool {
		raw := call(base, "GET", "/api/v1/webhooks/"+hook.ID+"/deliveries?status=delivered", nil, 200)
		json.Unmarshal(raw, &page)
		return len(page.Items) == 2
	})
	mu.Lock()
	for _, d := range page.Items {
		if d.EventID == "" || !accepted[d.EventID] {
			t.Errorf("event %s delivered but not accepted", d.EventID)
		}
	}
	if len(badSigs) > 0 {
		t.Errorf("bad signatures: %v", badSigs)
	}
	mu.Unlock()
	// The counter moves just after the outcome is recorded.
	testenv.Eventually(t, 5*time.Second, "metrics counting the two deliveries", func() bool {
		return strings.Contains(string(call(base, "GET", "/metrics", nil, 200)), `pickwave_webhook_deliveries_total{status="delivered"} 2`)
	})
}
