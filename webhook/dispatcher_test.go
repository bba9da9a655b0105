package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
	"github.com/pickwave/pickwave/webhook"
)

// receiver is a webhook endpoint that behaves as told: answers 500,
// hangs past the sender's timeout, or accepts. It checks every request's
// signature on its own (not with package webhook's Verify) and records
// what it received.
type receiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server

	mu        sync.Mutex
	mode      string            // "fail", "hang" or "ok"
	counts    map[string]int    // requests by answer: 500, hang, 204
	accepted  map[string]int    // event id → 2xx answers
	bodies    map[string]string // event id → body, first seen
	badSigs   []string
	requests  map[string]int // event id → requests
	mismatchs []string
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret, mode: "fail", counts: map[string]int{}, accepted: map[string]int{},
		bodies: map[string]string{}, requests: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setMode(m string) {
	r.mu.Lock()
	r.mode = m
	r.mu.Unlock()
}

func (r *receiver) count(what string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[what]
}

// verify is a receiver's signature check written from the Standard
// Webhooks spec: HMAC-SHA256 of "id.timestamp.body" keyed with the
// base64-decoded secret after whsec_, compared in constant time, with a
// five-minute window.
func (r *receiver) verify(h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.secret, "whsec_"))
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q", h.Get("webhook-timestamp"))
	}
	if d := time.Since(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %d is %s away", ts, d)
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.%s", h.Get("webhook-id"), ts, body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("signature %q, want %q", h.Get("webhook-signature"), want)
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var msg pickwave.WebhookBody
	_ = json.Unmarshal(body, &msg)
	id := req.Header.Get("webhook-id")

	r.mu.Lock()
	if err := r.verify(req.Header, body); err != nil {
		r.badSigs = append(r.badSigs, err.Error())
	}
	if msg.ID != id || req.Header.Get("Content-Type") != "application/json" || req.Method != http.MethodPost {
		r.mismatchs = append(r.mismatchs, fmt.Sprintf("%s %s id %q body id %q", req.Method, req.Header.Get("Content-Type"), id, msg.ID))
	}
	if first, ok := r.bodies[id]; ok && first != string(body) {
		r.mismatchs = append(r.mismatchs, fmt.Sprintf("event %s: body changed from %s to %s", id, first, body))
	}
	r.bodies[id] = string(body)
	r.requests[id]++
	mode := r.mode
	r.counts[mode]++
	if mode == "ok" {
		r.accepted[id]++
	}
	r.mu.Unlock()

	switch mode {
	case "fail":
		http.Error(w, "database is down", http.StatusInternalServerError)
	case "hang":
		<-req.Context().Done() // until the sender gives up on it
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// check fails the test for any bad signature or inconsistent request.
func (r *receiver) check() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.badSigs) > 0 {
		r.t.Errorf("%d requests with a bad signature, first: %s", len(r.badSigs), r.badSigs[0])
	}
	if len(r.mismatchs) > 0 {
		r.t.Errorf("inconsistent requests: %v", r.mismatchs)
	}
}

var ctx = pickwave.WithActor(context.Background(), "test")

// site stocks one SKU at one pick location.
func site(t *testing.T, db *store.DB) {
	t.Helper()
	if err := db.CreateLocation(ctx, &pickwave.Location{Code: "A01-01-1", Zone: "A", Aisle: 1, Bay: 1, Level: 1, Kind: pickwave.LocationPick}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSKU(ctx, &pickwave.SKU{Code: "MUG", Name: "Mug", Barcodes: []pickwave.Barcode{{Code: "036000291452", Qty: 1}}}); err != nil {
		t.Fatal(err)
	}
	receive(t, db, 3)
}

func receive(t *testing.T, db *store.DB, n int) {
	t.Helper()
	if _, err := db.AdjustStock(ctx, &pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: n, Reason: "receipt"}); err != nil {
		t.Fatal(err)
	}
}

// order creates an order for qty mugs: allocated or backordered.
func order(t *testing.T, db *store.DB, ext string, qty int) {
	t.Helper()
	_, _, err := db.CreateOrder(ctx, &pickwave.OrderInput{ExternalID: ext, Lines: []pickwave.LineInput{{SKU: "MUG", Qty: qty}},
		Customer: pickwave.Customer{Name: "Ada"}, ShipTo: pickwave.Address{Name: "Ada", Address1: "1 Road", City: "London", PostalCode: "N1", Country: "GB"},
		Carrier: "UPS", Service: "Ground", ShipBy: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
}

// wanted returns the ids of the log events the webhook should get.
func wanted(t *testing.T, db *store.DB, w *pickwave.Webhook) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	evs, err := db.Events(ctx, 0, store.MaxPageSize)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if typ, _, ok := pickwave.WebhookEventType(ev); ok && w.Wants(typ, ev.Seq) {
			out[pickwave.WebhookEventID(ev.Seq)] = true
		}
	}
	return out
}

// run starts a dispatcher with millisecond backoffs and returns its stop.
func run(t *testing.T, db *store.DB, maxAttempts int) (stop func()) {
	t.Helper()
	return runWith(t, &webhook.Dispatcher{Outbox: db, MaxAttempts: maxAttempts})
}

func runWith(t *testing.T, d *webhook.Dispatcher) (stop func()) {
	t.Helper()
	d.BackoffMin, d.BackoffMax, d.Timeout, d.PollInterval, d.Workers = 5*time.Millisecond, 40*time.Millisecond, 150*time.Millisecond, 50*time.Millisecond, 3
	d.Logger = slog.New(slog.DiscardHandler)
	c, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(c) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("dispatcher: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("dispatcher did not stop within 5 s")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func deliveries(t *testing.T, db *store.DB, w *pickwave.Webhook) []*pickwave.WebhookDelivery {
	t.Helper()
	ds, err := db.WebhookDeliveries(ctx, pickwave.DeliveryFilter{WebhookID: w.ID, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestDispatcher_failingHangingRecoveringReceiverAcrossRestart: the
// receiver fails with 500, then hangs past the timeout, while the store
// and the dispatcher are stopped and reopened in the middle with events
// logged while nothing ran; once it recovers, every event the webhook
// wants has been accepted, every request was signed right, and every
// delivery is recorded as delivered.
func TestDispatcher_failingHangingRecoveringReceiverAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	db := testenv.OpenStore(t, dir, store.Options{})
	site(t, db)
	secret := store.NewWebhookSecret()
	rcv := newReceiver(t, secret)
	w, err := db.CreateWebhook(ctx, pickwave.WebhookInput{URL: rcv.srv.URL + "/hooks", EventTypes: pickwave.WebhookEventTypes, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}

	stop := run(t, db, 1000)
	order(t, db, "E1", 1) // allocated
	order(t, db, "E2", 5) // backordered
	testenv.Eventually(t, 5*time.Second, "the receiver failing several attempts", func() bool { return rcv.count("fail") >= 6 })

	rcv.setMode("hang")
	order(t, db, "E3", 1)
	testenv.Eventually(t, 5*time.Second, "attempts timing out", func() bool {
		for _, d := range deliveries(t, db, w) {
			if strings.HasPrefix(d.LastError, "no answer within") {
				return true
			}
		}
		return false
	})

	// Stop in the middle of hanging attempts, close the file, log events
	// while nothing sends, reopen.
	stop()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = testenv.OpenStore(t, dir, store.Options{})
	receive(t, db, 10) // allocates E2 and E3's missing units
	order(t, db, "E4", 2)
	w, _ = db.Webhook(ctx, w.ID)
	want := wanted(t, db, w)
	if len(want) < 5 {
		t.Fatalf("only %d events for the webhook: %v", len(want), want)
	}

	rcv.setMode("ok")
	run(t, db, 1000)
	testenv.Eventually(t, 10*time.Second, "every delivery delivered", func() bool {
		ds := deliveries(t, db, w)
		for _, d := range ds {
			if d.Status != pickwave.DeliveryDelivered {
				return false
			}
		}
		return len(ds) == len(want)
	})

	rcv.mu.Lock()
	for id := range want {
		if rcv.accepted[id] == 0 {
			t.Errorf("event %s was never accepted by the receiver", id)
		}
	}
	for id := range rcv.requests {
		if !want[id] {
			t.Errorf("the receiver got event %s, which the webhook does not want", id)
		}
	}
	rcv.mu.Unlock()
	rcv.check()
	if rcv.count("fail") == 0 || rcv.count("hang") == 0 {
		t.Fatalf("the receiver never failed (%d) or hung (%d): the test proves nothing", rcv.count("fail"), rcv.count("hang"))
	}
	seen := map[string]bool{}
	for _, d := range deliveries(t, db, w) {
		if seen[d.EventID] {
			t.Errorf("event %s has two deliveries", d.EventID)
		}
		seen[d.EventID] = true
		if d.Attempts < 1 || d.DeliveredAt == nil || d.LastStatusCode != http.StatusNoContent {
			t.Errorf("delivery %+v", d)
		}
	}
}

// TestDispatcher_givesUpThenReplay: after MaxAttempts failures a delivery
// fails; a replay sends it again with the same id and body.
func TestDispatcher_givesUpThenReplay(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{})
	site(t, db)
	secret := store.NewWebhookSecret()
	rcv := newReceiver(t, secret)
	w, err := db.CreateWebhook(ctx, pickwave.WebhookInput{URL: rcv.srv.URL, EventTypes: []string{pickwave.EventOrderBackordered}, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	run(t, db, 3)
	order(t, db, "E1", 5)
	var d *pickwave.WebhookDelivery
	testenv.Eventually(t, 5*time.Second, "the delivery failing", func() bool {
		ds := deliveries(t, db, w)
		if len(ds) == 1 && ds[0].Status == pickwave.DeliveryFailed {
			d = ds[0]
			return true
		}
		return false
	})
	if d.Attempts != 3 || d.LastStatusCode != 500 || !strings.Contains(d.LastError, "database is down") {
		t.Fatalf("failed delivery %+v: want 3 attempts, the status and the answer", d)
	}
	if n := rcv.count("fail"); n != 3 {
		t.Fatalf("the receiver got %d requests, want 3", n)
	}

	rcv.setMode("ok")
	if _, err := db.ReplayWebhookDelivery(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, "the replay delivered", func() bool {
		got, _ := db.WebhookDelivery(ctx, d.ID)
		return got.Status == pickwave.DeliveryDelivered
	})
	rcv.mu.Lock()
	if rcv.accepted[d.EventID] != 1 || rcv.requests[d.EventID] != 4 {
		t.Errorf("event %s: %d accepted of %d requests, want 1 of 4", d.EventID, rcv.accepted[d.EventID], rcv.requests[d.EventID])
	}
	rcv.mu.Unlock()
	rcv.check() // the same body on every attempt and the replay
}

// TestDispatcher_redirectIsAFailure: a 3xx is not followed.
func TestDispatcher_redirectIsAFailure(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{})
	site(t, db)
	var followed sync.Mutex
	hits := 0
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		followed.Lock()
		hits++
		followed.Unlock()
	}))
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer redirect.Close()
	w, err := db.CreateWebhook(ctx, pickwave.WebhookInput{URL: redirect.URL, EventTypes: []string{pickwave.EventOrderAllocated}})
	if err != nil {
		t.Fatal(err)
	}
	run(t, db, 1)
	order(t, db, "E1", 1)
	testenv.Eventually(t, 5*time.Second, "the delivery failing", func() bool {
		ds := deliveries(t, db, w)
		return len(ds) == 1 && ds[0].Status == pickwave.DeliveryFailed && ds[0].LastStatusCode == http.StatusTemporaryRedirect
	})
	followed.Lock()
	defer followed.Unlock()
	if hits != 0 {
		t.Fatalf("the redirect was followed %d times", hits)
	}
}

// TestDispatcher_retention: delivered deliveries older than the
// retention are deleted when the dispatcher starts; pending ones stay.
func TestDispatcher_retention(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{})
	site(t, db)
	secret := store.NewWebhookSecret()
	rcv := newReceiver(t, secret)
	rcv.setMode("ok")
	w, err := db.CreateWebhook(ctx, pickwave.WebhookInput{URL: rcv.srv.URL, EventTypes: []string{pickwave.EventOrderAllocated}, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, db, 5)
	order(t, db, "E1", 1)
	testenv.Eventually(t, 5*time.Second, "the delivery delivered", func() bool {
		ds := deliveries(t, db, w)
		return len(ds) == 1 && ds[0].Status == pickwave.DeliveryDelivered
	})
	stop()
	rcv.setMode("fail")
	order(t, db, "E2", 1) // pending: it stays
	runWith(t, &webhook.Dispatcher{Outbox: db, MaxAttempts: 1000, Retention: time.Nanosecond})
	testenv.Eventually(t, 5*time.Second, "the delivered one deleted", func() bool {
		ds := deliveries(t, db, w)
		return len(ds) == 1 && ds[0].Status == pickwave.DeliveryPending
	})
}

// TestDispatcher_largeAnswerIsBounded: a receiver answering a megabyte
// fails the attempt like any refusal, and the delivery keeps only the
// start of the answer.
func TestDispatcher_largeAnswerIsBounded(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{})
	site(t, db)
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(strings.Repeat("x", 1<<20)))
	}))
	defer big.Close()
	w, err := db.CreateWebhook(ctx, pickwave.WebhookInput{URL: big.URL, EventTypes: []string{pickwave.EventOrderAllocated}})
	if err != nil {
		t.Fatal(err)
	}
	run(t, db, 1)
	order(t, db, "E1", 1)
	var d *pickwave.WebhookDelivery
	testenv.Eventually(t, 5*time.Second, "the delivery failing", func() bool {
		ds := deliveries(t, db, w)
		if len(ds) == 1 && ds[0].Status == pickwave.DeliveryFailed {
			d = ds[0]
			return true
		}
		return false
	})
	if d.LastStatusCode != http.StatusBadGateway || !strings.HasPrefix(d.LastError, "HTTP 502: xxx") || len(d.LastError) > 220 {
		t.Fatalf("last error %d bytes: %.80q", len(d.LastError), d.LastError)
	}
}
