package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
	"github.com/pickwave/pickwave/webhook"
)

// webhookView is a webhook as the API shows it.
type webhookView struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	EventTypes  []string `json:"event_types"`
	Description string   `json:"description"`
	Enabled     bool     `json:"enabled"`
	Secret      string   `json:"secret"`
}

type deliveryPage struct {
	Items []pickwave.WebhookDelivery `json:"items"`
	Next  string                     `json:"next"`
}

func TestWebhooksAPI_manageAndRoles(t *testing.T) {
	e := newEnv(t)
	in := map[string]any{"url": "https://shop.example/hooks", "event_types": []string{"order.shipped", "order.short_shipped"}, "description": "Shop"}

	mustStatus(t, e.json("POST", "/api/v1/webhooks", e.super, in), 403)
	mustStatus(t, e.json("GET", "/api/v1/webhooks", e.pick, nil), 403)
	r := e.json("POST", "/api/v1/webhooks", e.admin, in)
	mustStatus(t, r, 201)
	var w webhookView
	r.decode(t, &w)
	if !strings.HasPrefix(w.Secret, "whsec_") || !w.Enabled || w.URL != in["url"] || len(w.EventTypes) != 2 {
		t.Fatalf("created %s", r.body)
	}

	// The secret is shown once.
	r = e.json("GET", "/api/v1/webhooks/"+w.ID, e.super, nil)
	mustStatus(t, r, 200)
	if strings.Contains(string(r.body), "secret") {
		t.Fatalf("GET shows the secret: %s", r.body)
	}
	r = e.json("GET", "/api/v1/webhooks?limit=1", e.super, nil)
	mustStatus(t, r, 200)
	var list struct {
		Items []webhookView `json:"items"`
		Next  string        `json:"next"`
	}
	r.decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Secret != "" || list.Next != w.ID {
		t.Fatalf("list %s", r.body)
	}

	mustErrorField(t, e.json("POST", "/api/v1/webhooks", e.admin, map[string]any{"url": "ftp://x", "event_types": []string{"order.shipped"}}), "invalid", "url")
	mustErrorField(t, e.json("POST", "/api/v1/webhooks", e.admin, map[string]any{"url": "https://x.example", "event_types": []string{"scan.judged"}}), "invalid", "event_types[0]")
	mustErrorField(t, e.json("POST", "/api/v1/webhooks", e.admin, map[string]any{"url": "https://x.example", "event_types": []string{"order.shipped"}, "token": "x"}), "invalid", "token")
	mustStatus(t, e.json("GET", "/api/v1/webhooks/WH-404", e.super, nil), 404)

	r = e.json("PUT", "/api/v1/webhooks/"+w.ID, e.admin, map[string]any{"url": "https://mail.example/in", "event_types": []string{"order.picked"}, "enabled": false})
	mustStatus(t, r, 200)
	var up webhookView
	r.decode(t, &up)
	if up.Enabled || up.URL != "https://mail.example/in" || up.Secret != "" {
		t.Fatalf("updated %s", r.body)
	}
	mustStatus(t, e.json("PUT", "/api/v1/webhooks/"+w.ID, e.super, map[string]any{}), 403)
	mustStatus(t, e.json("PUT", "/api/v1/webhooks/WH-404", e.admin, in), 404)

	mustStatus(t, e.json("DELETE", "/api/v1/webhooks/"+w.ID, e.super, nil), 403)
	r = e.json("DELETE", "/api/v1/webhooks/"+w.ID, e.admin, nil)
	mustStatus(t, r, 204)
	if len(r.body) != 0 {
		t.Fatalf("204 with a body: %s", r.body)
	}
	mustStatus(t, e.json("GET", "/api/v1/webhooks/"+w.ID, e.super, nil), 404)
	mustStatus(t, e.json("DELETE", "/api/v1/webhooks/"+w.ID, e.admin, nil), 404)
}

// TestWebhooksAPI_deliveriesAndReplay runs the dispatcher against a
// receiver and reads and replays its deliveries through the API.
func TestWebhooksAPI_deliveriesAndReplay(t *testing.T) {
	e := newEnv(t)
	e.seed()
	var (
		mu   sync.Mutex
		hits = map[string]int{}
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.Header.Get(webhook.HeaderID)]++
		mu.Unlock()
	}))
	defer rcv.Close()
	r := e.json("POST", "/api/v1/webhooks", e.admin, map[string]any{"url": rcv.URL, "event_types": []string{"order.allocated", "order.backordered"}})
	mustStatus(t, r, 201)
	var w webhookView
	r.decode(t, &w)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	d := &webhook.Dispatcher{Outbox: e.db, BackoffMin: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
		Timeout: time.Second, PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	mustStatus(t, e.json("POST", "/api/v1/orders", e.super, orderBody("E1", 1)), 201)
	mustStatus(t, e.json("POST", "/api/v1/orders", e.super, orderBody("E2", 50)), 201)
	var page deliveryPage
	testenv.Eventually(t, 5*time.Second, "two deliveries delivered", func() bool {
		r := e.json("GET", "/api/v1/webhooks/"+w.ID+"/deliveries?status=delivered", e.super, nil)
		mustStatus(t, r, 200)
		r.decode(t, &page)
		return len(page.Items) == 2
	})
	first := page.Items[1] // newest first
	if first.EventType != "order.allocated" || first.Attempts != 1 || first.LastStatusCode != 200 || first.DeliveredAt == nil {
		t.Fatalf("delivery %+v", first)
	}

	r = e.json("GET", "/api/v1/webhooks/"+w.ID+"/deliveries?limit=1", e.super, nil)
	mustStatus(t, r, 200)
	r.decode(t, &page)
	if len(page.Items) != 1 || page.Next == "" {
		t.Fatalf("first page %s", r.body)
	}
	r = e.json("GET", "/api/v1/webhooks/"+w.ID+"/deliveries?limit=1&after="+page.Next, e.super, nil)
	mustStatus(t, r, 200)
	r.decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != first.ID {
		t.Fatalf("second page %s", r.body)
	}
	mustErrorField(t, e.json("GET", "/api/v1/webhooks/"+w.ID+"/deliveries?status=lost", e.super, nil), "invalid", "status")
	mustStatus(t, e.json("GET", "/api/v1/webhooks/WH-404/deliveries", e.super, nil), 404)

	r = e.json("GET", "/api/v1/webhook-deliveries/"+first.ID, e.super, nil)
	mustStatus(t, r, 200)
	var got pickwave.WebhookDelivery
	r.decode(t, &got)
	if got.ID != first.ID || !strings.Contains(string(got.Body), `"id":"`+first.EventID+`"`) {
		t.Fatalf("delivery %s", r.body)
	}
	mustStatus(t, e.json("GET", "/api/v1/webhook-deliveries/D-404", e.super, nil), 404)

	mustStatus(t, e.json("POST", "/api/v1/webhook-deliveries/"+first.ID+"/replay", e.super, nil), 403)
	r = e.json("POST", "/api/v1/webhook-deliveries/"+first.ID+"/replay", e.admin, nil)
	mustStatus(t, r, 200)
	r.decode(t, &got)
	if got.Replays != 1 || got.EventID != first.EventID {
		t.Fatalf("replayed %s", r.body)
	}
	testenv.Eventually(t, 5*time.Second, "the replay sent", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return hits[first.EventID] == 2
	})
	mustStatus(t, e.json("POST", "/api/v1/webhook-deliveries/D-404/replay", e.admin, nil), 404)
}

func TestWebhooksAPI_unavailableWithoutService(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{})
	s := testenv.Server(db, nil)
	s.Webhooks = nil
	hs := httptest.NewServer(testenv.Checked(t, s.Handler()))
	defer hs.Close()
	token, _ := db.MintToken(context.Background(), "ann", pickwave.RoleAdmin, time.Hour)
	e := &env{t: t, db: db, srv: hs}
	mustStatus(t, e.json("GET", "/api/v1/webhooks", token, nil), 503)
}

func TestWebhooksAPI_metrics(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{})
	s := testenv.Server(db, nil)
	s.Collectors = append(s.Collectors, webhook.NewMetrics())
	hs := httptest.NewServer(testenv.Checked(t, s.Handler()))
	defer hs.Close()
	token, _ := db.MintToken(context.Background(), "sue", pickwave.RoleSupervisor, time.Hour)
	e := &env{t: t, db: db, srv: hs}
	r := e.do("GET", "/metrics", token, "", nil)
	mustStatus(t, r, 200)
	if !strings.Contains(string(r.body), `pickwave_webhook_deliveries_total{status="failed"} 0`) {
		t.Fatalf("metrics lack the webhook counters:\n%.3000s", r.body)
	}
}
