package store_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

func hookInput(url string, types ...string) pickwave.WebhookInput {
	return pickwave.WebhookInput{URL: url, EventTypes: types, Description: "shop"}
}

func mustWebhook(t *testing.T, db *store.DB, in pickwave.WebhookInput) *pickwave.Webhook {
	t.Helper()
	w, err := db.CreateWebhook(ctxAs("admin"), in)
	if err != nil {
		t.Fatalf("create webhook: %v", err)
	}
	return w
}

// dispatchAll runs the outbox over the whole log and returns how many
// deliveries it created.
func dispatchAll(t *testing.T, db *store.DB) int {
	t.Helper()
	var after uint64
	total := 0
	for {
		reached, n, err := db.DispatchWebhooks(ctxAs("webhooks"), after, 0)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if reached == after {
			return total
		}
		after = reached
	}
}

func TestWebhooks_createListUpdateDelete(t *testing.T) {
	db := mustOpen(t)
	w := mustWebhook(t, db, hookInput("https://shop.example/hooks", pickwave.EventOrderShipped))
	if !strings.HasPrefix(w.Secret, "whsec_") || !w.Enabled || w.ID != "WH-0000000001" {
		t.Fatalf("created %+v: want an enabled WH-0000000001 with a whsec_ secret", w)
	}
	if _, err := pickwave.WebhookKey(w.Secret); err != nil {
		t.Fatalf("generated secret %q: %v", w.Secret, err)
	}
	got, err := db.Webhook(ctxAs("t"), w.ID)
	if err != nil || got.Secret != "" || got.URL != w.URL {
		t.Fatalf("get: %+v, %v: want it without its secret", got, err)
	}
	if ws, err := db.WebhookWithSecret(ctxAs("t"), w.ID); err != nil || ws.Secret != w.Secret {
		t.Fatalf("with secret: %+v, %v", ws, err)
	}
	list, err := db.Webhooks(ctxAs("t"), "", 0)
	if err != nil || len(list) != 1 || list[0].Secret != "" {
		t.Fatalf("list: %+v, %v", list, err)
	}

	off := false
	in := hookInput("http://mail.example:8080/in", pickwave.EventOrderPicked, pickwave.EventOrderPacked)
	in.Enabled = &off
	up, err := db.UpdateWebhook(ctxAs("admin"), w.ID, in)
	if err != nil || up.Enabled || up.URL != in.URL || len(up.EventTypes) != 2 || up.Secret != "" {
		t.Fatalf("update: %+v, %v", up, err)
	}
	if ws, _ := db.WebhookWithSecret(ctxAs("t"), w.ID); ws.Secret != w.Secret {
		t.Fatal("an update without a secret changed the secret")
	}

	if err := db.DeleteWebhook(ctxAs("admin"), w.ID); err != nil {
		t.Fatal(err)
	}
	_, err = db.Webhook(ctxAs("t"), w.ID)
	mustCode(t, err, pickwave.ENOTFOUND)
	mustCode(t, db.DeleteWebhook(ctxAs("admin"), w.ID), pickwave.ENOTFOUND)

	evs, _ := db.Events(ctxAs("t"), 0, 0)
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
		if strings.Contains(string(ev.Payload), "whsec_") {
			t.Fatalf("event %s carries the secret: %s", ev.Type, ev.Payload)
		}
	}
	if strings.Join(types, " ") != "webhook.created webhook.updated webhook.deleted" {
		t.Fatalf("events %v", types)
	}
}

func TestWebhooks_validation(t *testing.T) {
	db := mustOpen(t)
	for _, tc := range []struct {
		name  string
		in    pickwave.WebhookInput
		field string
	}{
		{"no url", hookInput("", pickwave.EventOrderShipped), "url"},
		{"ftp", hookInput("ftp://shop.example/", pickwave.EventOrderShipped), "url"},
		{"relative", hookInput("/hooks", pickwave.EventOrderShipped), "url"},
		{"user info", hookInput("https://u:p@shop.example/", pickwave.EventOrderShipped), "url"},
		{"too long", hookInput("https://shop.example/"+strings.Repeat("a", 2000), pickwave.EventOrderShipped), "url"},
		{"no types", hookInput("https://shop.example/"), "event_types"},
		{"unknown type", hookInput("https://shop.example/", "stock.adjusted"), "event_types[0]"},
		{"twice", hookInput("https://shop.example/", pickwave.EventOrderShipped, pickwave.EventOrderShipped), "event_types[1]"},
		{"description", pickwave.WebhookInput{URL: "https://shop.example/", EventTypes: []string{pickwave.EventOrderShipped},
			Description: strings.Repeat("x", 501)}, "description"},
		{"secret", pickwave.WebhookInput{URL: "https://shop.example/", EventTypes: []string{pickwave.EventOrderShipped},
			Secret: "whsec_c2hvcnQ="}, "secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.CreateWebhook(ctxAs("admin"), tc.in)
			mustCode(t, err, pickwave.EINVALID)
			var pe *pickwave.Error
			details, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError)
			if len(details) == 0 || details[0].Field != tc.field {
				t.Fatalf("details %+v (%v), want field %s", details, pe, tc.field)
			}
		})
	}
}

// TestDispatchWebhooks_outbox follows an order from backordered to
// allocated through the outbox: one delivery per event and webhook,
// never two, with the event's id and payload, and the webhook's
// creation as its start.
func TestDispatchWebhooks_outbox(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDir(t, dir)
	site(t, db)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 2})
	if _, _, err := db.CreateOrder(ctxAs("t"), orderInput("BEFORE", line("MUG", 1))); err != nil {
		t.Fatal(err)
	}
	all := mustWebhook(t, db, hookInput("https://shop.example/a", pickwave.WebhookEventTypes...))
	shipped := mustWebhook(t, db, hookInput("https://shop.example/s", pickwave.EventOrderShipped))
	o, _, err := db.CreateOrder(ctxAs("t"), orderInput("E1", line("MUG", 5)))
	if err != nil || o.Status != pickwave.OrderBackordered {
		t.Fatalf("order: %+v, %v", o, err)
	}
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A02-05-1", Delta: 10})

	if n := dispatchAll(t, db); n != 2 {
		t.Fatalf("dispatch created %d deliveries, want 2 (backordered, allocated; nothing from before the webhook)", n)
	}
	if n := dispatchAll(t, db); n != 0 {
		t.Fatalf("dispatching again created %d deliveries", n)
	}
	ds, err := db.WebhookDeliveries(ctxAs("t"), pickwave.DeliveryFilter{WebhookID: all.ID})
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries: %d, %v", len(ds), err)
	}
	// Newest first.
	if ds[0].EventType != pickwave.EventOrderAllocated || ds[1].EventType != pickwave.EventOrderBackordered {
		t.Fatalf("types %s, %s", ds[0].EventType, ds[1].EventType)
	}
	var body pickwave.WebhookBody
	if err := json.Unmarshal(ds[1].Body, &body); err != nil {
		t.Fatal(err)
	}
	var data struct {
		ExternalID string `json:"external_id"`
		Missing    int    `json:"missing"`
	}
	_ = json.Unmarshal(body.Data, &data)
	if body.ID != ds[1].EventID || body.ID != pickwave.WebhookEventID(ds[1].EventSeq) || body.Type != "order.backordered" ||
		body.OrderID != o.ID || data.ExternalID != "E1" || data.Missing != 4 || !body.CreatedAt.Equal(t0) {
		t.Fatalf("body %s", ds[1].Body)
	}
	if strings.Contains(string(ds[1].Body), "Lovelace") || strings.Contains(string(ds[1].Body), "example.com") {
		t.Fatalf("the body carries the customer's personal data: %s", ds[1].Body)
	}
	if ds, _ := db.WebhookDeliveries(ctxAs("t"), pickwave.DeliveryFilter{WebhookID: shipped.ID}); len(ds) != 0 {
		t.Fatalf("the shipped-only webhook got %d deliveries", len(ds))
	}

	// Paging: one a page, newest first, then the older one.
	page, _ := db.WebhookDeliveries(ctxAs("t"), pickwave.DeliveryFilter{WebhookID: all.ID, Limit: 1})
	rest, _ := db.WebhookDeliveries(ctxAs("t"), pickwave.DeliveryFilter{WebhookID: all.ID, Limit: 1, After: page[0].ID})
	if len(page) != 1 || len(rest) != 1 || rest[0].ID != ds[1].ID {
		t.Fatalf("paging: %v then %v", page, rest)
	}
	_, err = db.WebhookDeliveries(ctxAs("t"), pickwave.DeliveryFilter{WebhookID: all.ID, Status: "lost"})
	mustCode(t, err, pickwave.EINVALID)
	_, err = db.WebhookDeliveries(ctxAs("t"), pickwave.DeliveryFilter{WebhookID: "WH-9"})
	mustCode(t, err, pickwave.ENOTFOUND)

	// A restart neither loses nor repeats: the cursor was committed with
	// the deliveries.
	db.Close()
	db = mustOpenDir(t, dir)
	if n := dispatchAll(t, db); n != 0 {
		t.Fatalf("dispatching after a restart created %d deliveries", n)
	}
	due, _, err := db.DueWebhookDeliveries(ctxAs("t"), t0, 0)
	if err != nil || len(due) != 2 || due[0].ID > due[1].ID {
		t.Fatalf("due after restart: %v, %v", due, err)
	}
}

func TestRecordWebhookAttempt_retryDeliverFailReplay(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	w := mustWebhook(t, db, hookInput("https://shop.example/a", pickwave.EventOrderBackordered))
	for _, ext := range []string{"E1", "E2"} {
		if _, _, err := db.CreateOrder(ctxAs("t"), orderInput(ext, line("MUG", 5))); err != nil {
			t.Fatal(err)
		}
	}
	if n := dispatchAll(t, db); n != 2 {
		t.Fatalf("%d deliveries, want 2", n)
	}
	due, _, _ := db.DueWebhookDeliveries(ctxAs("t"), t0, 0)
	a, b := due[0], due[1]

	// A failed attempt with a retry: pending, not due until then.
	retry := t0.Add(time.Minute)
	d, err := db.RecordWebhookAttempt(ctxAs("t"), a.ID, pickwave.WebhookAttempt{At: t0, StatusCode: 500, Error: "HTTP 500", RetryAt: retry})
	if err != nil || d.Status != pickwave.DeliveryPending || d.Attempts != 1 || !d.NextAttemptAt.Equal(retry) || d.LastStatusCode != 500 {
		t.Fatalf("after a retry: %+v, %v", d, err)
	}
	due, next, _ := db.DueWebhookDeliveries(ctxAs("t"), t0, 0)
	if len(due) != 1 || due[0].ID != b.ID || !next.Equal(retry) {
		t.Fatalf("due %v next %v: want only %s, next at %v", due, next, b.ID, retry)
	}
	if due, _, _ := db.DueWebhookDeliveries(ctxAs("t"), retry, 0); len(due) != 2 {
		t.Fatalf("at the retry time %d are due, want 2", len(due))
	}

	// Delivered ends it; a second outcome is a conflict.
	d, err = db.RecordWebhookAttempt(ctxAs("t"), a.ID, pickwave.WebhookAttempt{At: retry, StatusCode: 204, Delivered: true})
	if err != nil || d.Status != pickwave.DeliveryDelivered || d.Attempts != 2 || d.NextAttemptAt != nil || d.DeliveredAt == nil || d.LastError != "" {
		t.Fatalf("delivered: %+v, %v", d, err)
	}
	_, err = db.RecordWebhookAttempt(ctxAs("t"), a.ID, pickwave.WebhookAttempt{At: retry, Delivered: true})
	mustCode(t, err, pickwave.ECONFLICT)

	// No retry time gives up.
	d, err = db.RecordWebhookAttempt(ctxAs("t"), b.ID, pickwave.WebhookAttempt{At: t0, Error: "timeout"})
	if err != nil || d.Status != pickwave.DeliveryFailed || d.NextAttemptAt != nil {
		t.Fatalf("failed: %+v, %v", d, err)
	}
	if due, next, _ := db.DueWebhookDeliveries(ctxAs("t"), retry.Add(time.Hour), 0); len(due) != 0 || !next.IsZero() {
		t.Fatalf("due after both ended: %v, next %v", due, next)
	}
	failed, _ := db.WebhookDeliveries(ctxAs("t"), pickwave.DeliveryFilter{WebhookID: w.ID, Status: pickwave.DeliveryFailed})
	if len(failed) != 1 || failed[0].ID != b.ID {
		t.Fatalf("failed filter: %v", failed)
	}

	// Replay: pending again, due now, same event id and body.
	r, err := db.ReplayWebhookDelivery(ctxAs("admin"), b.ID)
	if err != nil || r.Status != pickwave.DeliveryPending || r.Attempts != 0 || r.Replays != 1 || r.EventID != b.EventID || string(r.Body) != string(b.Body) {
		t.Fatalf("replay: %+v, %v", r, err)
	}
	if due, _, _ := db.DueWebhookDeliveries(ctxAs("t"), t0, 0); len(due) != 1 || due[0].ID != b.ID {
		t.Fatalf("due after replay: %v", due)
	}
	if _, err := db.ReplayWebhookDelivery(ctxAs("admin"), a.ID); err != nil {
		t.Fatalf("replay of a delivered one: %v", err)
	}
	_, err = db.ReplayWebhookDelivery(ctxAs("admin"), "D-42")
	mustCode(t, err, pickwave.ENOTFOUND)

	// Deleting the webhook takes its deliveries with it.
	if err := db.DeleteWebhook(ctxAs("admin"), w.ID); err != nil {
		t.Fatal(err)
	}
	if due, _, _ := db.DueWebhookDeliveries(ctxAs("t"), retry, 0); len(due) != 0 {
		t.Fatalf("due after delete: %v", due)
	}
	_, err = db.RecordWebhookAttempt(ctxAs("t"), b.ID, pickwave.WebhookAttempt{At: t0, Delivered: true})
	mustCode(t, err, pickwave.ENOTFOUND)
}

// TestUpdateWebhook_disableHoldsDeliveries: a disabled webhook's pending
// deliveries leave the queue and come back when it is enabled; events
// logged while it was disabled are not sent to it.
func TestUpdateWebhook_disableHoldsDeliveries(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	in := hookInput("https://shop.example/a", pickwave.EventOrderBackordered)
	w := mustWebhook(t, db, in)
	if _, _, err := db.CreateOrder(ctxAs("t"), orderInput("E1", line("MUG", 5))); err != nil {
		t.Fatal(err)
	}
	dispatchAll(t, db)
	off, on := false, true
	in.Enabled = &off
	if _, err := db.UpdateWebhook(ctxAs("admin"), w.ID, in); err != nil {
		t.Fatal(err)
	}
	if due, _, _ := db.DueWebhookDeliveries(ctxAs("t"), t0, 0); len(due) != 0 {
		t.Fatalf("a disabled webhook's delivery is due: %v", due)
	}
	if _, _, err := db.CreateOrder(ctxAs("t"), orderInput("E2", line("MUG", 5))); err != nil {
		t.Fatal(err)
	}
	if n := dispatchAll(t, db); n != 0 {
		t.Fatalf("a disabled webhook got %d deliveries", n)
	}
	in.Enabled = &on
	if _, err := db.UpdateWebhook(ctxAs("admin"), w.ID, in); err != nil {
		t.Fatal(err)
	}
	if n := dispatchAll(t, db); n != 0 {
		t.Fatalf("re-enabling sent %d deliveries of events logged while it was off", n)
	}
	if due, _, _ := db.DueWebhookDeliveries(ctxAs("t"), t0, 0); len(due) != 1 {
		t.Fatalf("after enabling, %d due, want the one held", len(due))
	}
	if _, _, err := db.CreateOrder(ctxAs("t"), orderInput("E3", line("MUG", 5))); err != nil {
		t.Fatal(err)
	}
	if n := dispatchAll(t, db); n != 1 {
		t.Fatalf("after enabling, a new event made %d deliveries", n)
	}
}

func TestForgetWebhookDeliveries_keepsPendingAndYoung(t *testing.T) {
	now := t0
	db := mustOpenWith(t, t.TempDir(), store.Options{Now: func() time.Time { return now }})
	site(t, db)
	w := mustWebhook(t, db, hookInput("https://shop.example/a", pickwave.EventOrderBackordered))
	for _, ext := range []string{"E1", "E2", "E3"} {
		if _, _, err := db.CreateOrder(ctxAs("t"), orderInput(ext, line("MUG", 5))); err != nil {
			t.Fatal(err)
		}
	}
	dispatchAll(t, db) // three deliveries created at t0
	due, _, _ := db.DueWebhookDeliveries(ctxAs("t"), t0, 0)
	if _, err := db.RecordWebhookAttempt(ctxAs("t"), due[0].ID, pickwave.WebhookAttempt{At: t0, Delivered: true, StatusCode: 200}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordWebhookAttempt(ctxAs("t"), due[1].ID, pickwave.WebhookAttempt{At: t0, Error: "HTTP 500"}); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(time.Hour)
	if _, _, err := db.CreateOrder(ctxAs("t"), orderInput("E4", line("MUG", 5))); err != nil {
		t.Fatal(err)
	}
	dispatchAll(t, db) // a fourth, created an hour later
	d4, _ := db.WebhookDeliveries(ctxAs("t"), pickwave.DeliveryFilter{WebhookID: w.ID, Limit: 1})
	if _, err := db.RecordWebhookAttempt(ctxAs("t"), d4[0].ID, pickwave.WebhookAttempt{At: now, Delivered: true, StatusCode: 200}); err != nil {
		t.Fatal(err)
	}

	n, more, err := db.ForgetWebhookDeliveries(ctxAs("t"), t0.Add(time.Minute), 1)
	if err != nil || n != 1 || !more {
		t.Fatalf("first chunk: %d, more %v, %v", n, more, err)
	}
	n, more, err = db.ForgetWebhookDeliveries(ctxAs("t"), t0.Add(time.Minute), 1)
	if err != nil || n != 1 || more {
		t.Fatalf("second chunk: %d, more %v, %v", n, more, err)
	}
	left, _ := db.WebhookDeliveries(ctxAs("t"), pickwave.DeliveryFilter{WebhookID: w.ID})
	if len(left) != 2 || left[0].ID != d4[0].ID || left[1].ID != due[2].ID || left[1].Status != pickwave.DeliveryPending {
		t.Fatalf("left %v: want the young delivered one and the old pending one", left)
	}
}
