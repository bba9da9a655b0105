package pickwave_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/pickwave/pickwave"
)

func TestWebhookEventType(t *testing.T) {
	for _, tc := range []struct {
		name              string
		ev                pickwave.Event
		wantType, wantOrd string
		ok                bool
	}{
		{"allocated at intake", pickwave.Event{Type: pickwave.EventOrderCreated, Entity: "order/O-1", Payload: json.RawMessage(`{"id":"O-1","status":"allocated"}`)},
			pickwave.EventOrderAllocated, "O-1", true},
		{"backordered at intake", pickwave.Event{Type: pickwave.EventOrderCreated, Entity: "order/O-2", Payload: json.RawMessage(`{"id":"O-2","status":"backordered"}`)},
			pickwave.EventOrderBackordered, "O-2", true},
		{"allocated later", pickwave.Event{Type: pickwave.EventOrderAllocated, Entity: "order/O-3", Payload: json.RawMessage(`{"id":"O-3","status":"allocated"}`)},
			pickwave.EventOrderAllocated, "O-3", true},
		{"picked", pickwave.Event{Type: pickwave.EventOrderPicked, Entity: "order/O-4", Payload: json.RawMessage(`{"id":"O-4"}`)},
			pickwave.EventOrderPicked, "O-4", true},
		{"shipped: the order from the payload", pickwave.Event{Type: pickwave.EventOrderShipped, Entity: "shipment/S-1",
			Payload: json.RawMessage(`{"shipment_id":"S-1","order_id":"O-5","tracking_numbers":["1Z999"],"tracking_urls":["https://t.example/1Z999"]}`)},
			pickwave.EventOrderShipped, "O-5", true},
		{"short shipped", pickwave.Event{Type: pickwave.EventOrderShortShipped, Entity: "order/O-6", Payload: json.RawMessage(`{"order_id":"O-6"}`)},
			pickwave.EventOrderShortShipped, "O-6", true},
		{"packed", pickwave.Event{Type: pickwave.EventOrderPacked, Entity: "order/O-7", Payload: json.RawMessage(`{"order_id":"O-7"}`)},
			pickwave.EventOrderPacked, "O-7", true},
		{"created but neither (never happens)", pickwave.Event{Type: pickwave.EventOrderCreated, Entity: "order/O-8", Payload: json.RawMessage(`{"status":"cancelled"}`)}, "", "", false},
		{"not an order event", pickwave.Event{Type: pickwave.EventScanJudged, Entity: "scan/1", Payload: json.RawMessage(`{}`)}, "", "", false},
		{"a webhook's own event", pickwave.Event{Type: pickwave.EventWebhookDelivered, Entity: "webhook_delivery/D-1", Payload: json.RawMessage(`{}`)}, "", "", false},
		{"payload not an object", pickwave.Event{Type: pickwave.EventOrderPicked, Entity: "order/O-9", Payload: json.RawMessage(`[1]`)},
			pickwave.EventOrderPicked, "O-9", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ, order, ok := pickwave.WebhookEventType(&tc.ev)
			if typ != tc.wantType || order != tc.wantOrd || ok != tc.ok {
				t.Fatalf("got %q %q %v, want %q %q %v", typ, order, ok, tc.wantType, tc.wantOrd, tc.ok)
			}
		})
	}
}

func TestWebhook_Wants(t *testing.T) {
	w := &pickwave.Webhook{Enabled: true, FromSeq: 10, EventTypes: []string{pickwave.EventOrderShipped}}
	switch {
	case w.Wants(pickwave.EventOrderShipped, 10):
		t.Fatal("wants an event from before it was created")
	case !w.Wants(pickwave.EventOrderShipped, 11):
		t.Fatal("does not want an event after")
	case w.Wants(pickwave.EventOrderPicked, 11):
		t.Fatal("wants a type it did not choose")
	}
	w.Enabled = false
	if w.Wants(pickwave.EventOrderShipped, 11) {
		t.Fatal("a disabled webhook wants an event")
	}
}

func TestValidateWebhookURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://shop.example/hooks?key=1": true,
		"http://10.0.0.5:8080/in":          true,
		"https://[::1]:9/x":                true,
		"":                                 false,
		"shop.example/hooks":               false,
		"https://":                         false,
		"https://shop.example/#frag":       false,
		"https://shop.example/a b":         false,
		"javascript:alert(1)":              false,
		"https://user@shop.example/":       false,
	} {
		if got := pickwave.ValidateWebhookURL(u) == ""; got != ok {
			t.Errorf("%q: valid %v, want %v (%s)", u, got, ok, pickwave.ValidateWebhookURL(u))
		}
	}
}

// FuzzWebhookInput: no input makes Validate panic or answer unbounded,
// and what it accepts is an http(s) URL with known event types.
func FuzzWebhookInput(f *testing.F) {
	f.Add(`{"url":"https://shop.example/h","event_types":["order.shipped"]}`)
	f.Add(`{"url":"http://[::1]:80/x?y#z","event_types":["order.picked","order.picked"],"secret":"whsec_AAAA"}`)
	f.Add(`{"url":"javascript:1","event_types":["x","y","z"],"description":"\u0000"}`)
	f.Fuzz(func(t *testing.T, data string) {
		var in pickwave.WebhookInput
		if json.Unmarshal([]byte(data), &in) != nil {
			return
		}
		err := in.Validate()
		if err == nil {
			u, perr := url.Parse(in.URL)
			if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || len(in.URL) > pickwave.MaxWebhookURL {
				t.Fatalf("accepted URL %q", in.URL)
			}
			for _, typ := range in.EventTypes {
				if !slices.Contains(pickwave.WebhookEventTypes, typ) {
					t.Fatalf("accepted type %q", typ)
				}
			}
			return
		}
		details, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError)
		if len(details) > pickwave.MaxFieldErrors+1 {
			t.Fatalf("%d field errors", len(details))
		}
		for _, d := range details {
			if len(d.Reason) > pickwave.MaxEcho || len(d.Field) > pickwave.MaxEcho {
				t.Fatalf("unbounded detail %q", d.Reason)
			}
		}
	})
}
