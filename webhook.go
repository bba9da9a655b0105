package pickwave

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Webhooks tell a shop or mail system what happened to its orders, so
// that it can tell the customer. An admin subscribes a URL to some of the
// webhook event types; every matching entry of the event log becomes a
// delivery in a durable outbox, sent signed and retried until the
// receiver answers 2xx or the attempts run out. docs/webhooks.md is the
// receiver's side of the contract.

// Webhook event log entries: every change to a webhook or a delivery.
const (
	EventWebhookCreated   = "webhook.created"
	EventWebhookUpdated   = "webhook.updated"
	EventWebhookDeleted   = "webhook.deleted"
	EventWebhookDelivered = "webhook.delivered" // the receiver answered 2xx
	EventWebhookRetrying  = "webhook.retrying"  // an attempt failed; another is due
	EventWebhookFailed    = "webhook.failed"    // the attempts ran out
	EventWebhookReplayed  = "webhook.replayed"
)

// WebhookEventTypes are the event types a webhook may subscribe to, in
// the order of an order's life: the names a delivery's body carries. They
// are the event log's names; WebhookEventType maps the log onto them.
var WebhookEventTypes = []string{
	EventOrderAllocated, EventOrderBackordered, EventOrderPicked,
	EventOrderPacked, EventOrderShipped, EventOrderShortShipped,
	EventReorderSuggested, // about a SKU: its order_id is empty
}

// WebhookEventType returns the webhook event type of a log event and the
// order it concerns; false when the event is not one webhooks send.
//
// An order allocated or backordered at intake is logged once, as
// order.created with its status; that entry is sent as order.allocated or
// order.backordered, so a receiver hears of every allocation the same way.
func WebhookEventType(ev *Event) (typ, orderID string, ok bool) {
	// Most of the log is scans and stock: tell by the type alone first.
	if ev.Type != EventOrderCreated && !slices.Contains(WebhookEventTypes, ev.Type) {
		return "", "", false
	}
	var p struct {
		ID      string      `json:"id"`
		OrderID string      `json:"order_id"`
		Status  OrderStatus `json:"status"`
	}
	// A payload that is not an object leaves p empty; the entity still
	// names the order.
	_ = json.Unmarshal(ev.Payload, &p)
	typ = ev.Type
	if ev.Type == EventOrderCreated {
		switch p.Status {
		case OrderAllocated:
			typ = EventOrderAllocated
		case OrderBackordered:
			typ = EventOrderBackordered
		default:
			return "", "", false
		}
	}
	if !slices.Contains(WebhookEventTypes, typ) {
		return "", "", false
	}
	orderID = p.OrderID
	if orderID == "" {
		if id, found := strings.CutPrefix(ev.Entity, "order/"); found {
			orderID = id
		} else {
			orderID = p.ID
		}
	}
	return typ, orderID, true
}

// WebhookEventID is the id a delivery of the log event with this sequence
// carries in its body and its webhook-id header: the same on every retry
// and replay, so that a receiver can drop a message it already has.
func WebhookEventID(seq uint64) string { return fmt.Sprintf("evt_%d", seq) }

// WebhookBody is the JSON body of every delivery.
type WebhookBody struct {
	// ID is WebhookEventID of the log event: the receiver's key for
	// dropping duplicates.
	ID   string `json:"id"`
	Type string `json:"type"`
	// CreatedAt is when the event happened (the log entry's time), not
	// when this attempt was made.
	CreatedAt time.Time `json:"created_at"`
	OrderID   string    `json:"order_id"`
	// Data is the log event's payload as logged: for order events the
	// order's id, external id, status and counts; for packed and shipped
	// the shipment, its carrier, service, tracking numbers and URLs. It
	// holds no more personal data than the event.
	Data json.RawMessage `json:"data"`
}

// Webhook is a subscription: where to send which event types.
type Webhook struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	EventTypes  []string `json:"event_types"`
	Description string   `json:"description"`
	// Enabled webhooks get deliveries. A disabled one gets none for the
	// events logged while it is disabled, and its pending deliveries wait
	// until it is enabled again.
	Enabled bool `json:"enabled"`
	// Secret signs every delivery (Standard Webhooks: whsec_ and the
	// base64 of the key). The API shows it once, in the answer to the
	// POST that created it; it is never logged.
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// FromSeq is the event sequence from which the webhook gets events:
	// those logged after its creation or its last enabling.
	FromSeq uint64 `json:"from_seq"`
}

// Wants reports whether the webhook gets a delivery of an event of type
// typ logged at seq.
func (w *Webhook) Wants(typ string, seq uint64) bool {
	return w.Enabled && seq > w.FromSeq && slices.Contains(w.EventTypes, typ)
}

// WebhookInput is what an admin sends to create or replace a webhook.
// Secret is optional: empty on create generates one, empty on replace
// keeps the current one.
type WebhookInput struct {
	URL         string   `json:"url"`
	EventTypes  []string `json:"event_types"`
	Description string   `json:"description"`
	Enabled     *bool    `json:"enabled"`
	Secret      string   `json:"secret"`
}

// Webhook bounds.
const (
	MaxWebhookURL         = 2000
	MaxWebhookDescription = 500
	// WebhookSecretPrefix starts every secret, as Standard Webhooks
	// writes them.
	WebhookSecretPrefix = "whsec_"
	// MinWebhookKey and MaxWebhookKey bound a secret's key, in bytes.
	MinWebhookKey = 24
	MaxWebhookKey = 64
)

// Validate checks the input, naming every bad field.
func (in *WebhookInput) Validate() error {
	var fe FieldErrors
	if err := ValidateWebhookURL(in.URL); err != "" {
		fe.Add("url", "%s", err)
	}
	if len(in.EventTypes) == 0 {
		fe.Add("event_types", "must name at least one of %v", WebhookEventTypes)
	}
	for i, typ := range in.EventTypes {
		switch {
		case !slices.Contains(WebhookEventTypes, typ):
			fe.Add(fmt.Sprintf("event_types[%d]", i), "%q is not one of %v", Clip(typ), WebhookEventTypes)
		case slices.Index(in.EventTypes, typ) < i:
			fe.Add(fmt.Sprintf("event_types[%d]", i), "%s is listed twice", typ)
		}
	}
	if n := utf8.RuneCountInString(in.Description); n > MaxWebhookDescription || !utf8.ValidString(in.Description) {
		fe.Add("description", "must be valid text of at most %d characters", MaxWebhookDescription)
	}
	if in.Secret != "" {
		if _, err := WebhookKey(in.Secret); err != nil {
			fe.Add("secret", "%s", err)
		}
	}
	return fe.Err("The webhook is not valid.")
}

// ValidateWebhookURL returns why u cannot be a webhook URL, "" when it can:
// an absolute http or https URL with a host, without user information or
// fragment, of at most MaxWebhookURL bytes.
func ValidateWebhookURL(u string) string {
	if u == "" {
		return "is required"
	}
	if len(u) > MaxWebhookURL {
		return fmt.Sprintf("must be at most %d bytes", MaxWebhookURL)
	}
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return "is not a URL"
	case p.Scheme != "http" && p.Scheme != "https":
		return "must start with http:// or https://"
	case p.Host == "" || p.Hostname() == "":
		return "must name a host"
	case p.User != nil:
		return "must not carry a user name or password; the signature authenticates Pickwave"
	case p.Fragment != "" || strings.Contains(u, "#"):
		return "must not have a fragment (#...)"
	case strings.ContainsAny(u, " \t\r\n"):
		return "must not contain spaces or line breaks"
	}
	return ""
}

// WebhookKey decodes a secret (whsec_ and base64) into its HMAC key.
func WebhookKey(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, WebhookSecretPrefix)
	if !ok {
		return nil, fmt.Errorf("must start with %s", WebhookSecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("must be %s and standard base64", WebhookSecretPrefix)
	}
	if len(key) < MinWebhookKey || len(key) > MaxWebhookKey {
		return nil, fmt.Errorf("must hold a key of %d to %d bytes, not %d", MinWebhookKey, MaxWebhookKey, len(key))
	}
	return key, nil
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// Delivery states. A delivery is pending until the receiver answers 2xx
// (delivered) or the attempts run out (failed). A replay puts a delivered
// or failed delivery back to pending, with the same event id and body.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryFailed    DeliveryStatus = "failed"
)

// DeliveryStatuses lists every state, for checking filters.
var DeliveryStatuses = []DeliveryStatus{DeliveryPending, DeliveryDelivered, DeliveryFailed}

// WebhookDelivery is one event on its way to one webhook.
type WebhookDelivery struct {
	ID        string         `json:"id"`
	WebhookID string         `json:"webhook_id"`
	EventID   string         `json:"event_id"`
	EventSeq  uint64         `json:"event_seq"`
	EventType string         `json:"event_type"`
	OrderID   string         `json:"order_id"`
	Status    DeliveryStatus `json:"status"`
	// Attempts counts the attempts since the delivery was created or last
	// replayed; Replays counts the replays.
	Attempts int `json:"attempts"`
	Replays  int `json:"replays"`
	// NextAttemptAt is when a pending delivery is tried next; nil once
	// it is done.
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	LastAttemptAt *time.Time `json:"last_attempt_at"`
	// LastStatusCode is the receiver's HTTP status at the last attempt,
	// 0 when it did not answer.
	LastStatusCode int        `json:"last_status_code"`
	LastError      string     `json:"last_error"`
	DeliveredAt    *time.Time `json:"delivered_at"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// Body is the exact JSON sent (a WebhookBody), the same on every
	// attempt.
	Body json.RawMessage `json:"body"`
}

// WebhookAttempt is the outcome of one attempt to send a delivery.
type WebhookAttempt struct {
	At         time.Time
	StatusCode int    // 0 when the receiver did not answer
	Error      string // why it failed; empty when delivered
	Delivered  bool
	// RetryAt is when to try again after a failure; zero gives up, and
	// the delivery fails.
	RetryAt time.Time
}

// DeliveryFilter selects a webhook's deliveries, newest first; After is
// the id of the last delivery of the previous page.
type DeliveryFilter struct {
	WebhookID string
	Status    DeliveryStatus
	After     string
	Limit     int
}

// WebhookService manages webhooks and their deliveries, for the API.
// Every change appends an event to the log in its transaction.
type WebhookService interface {
	// Webhooks lists webhooks in creation order, after the id after,
	// without their secrets.
	Webhooks(ctx context.Context, after string, limit int) ([]*Webhook, error)
	// Webhook returns one webhook without its secret; ENOTFOUND.
	Webhook(ctx context.Context, id string) (*Webhook, error)
	// CreateWebhook stores a webhook, enabled unless the input says not,
	// and returns it with its secret (generated when the input has none).
	// EINVALID.
	CreateWebhook(ctx context.Context, in WebhookInput) (*Webhook, error)
	// UpdateWebhook replaces a webhook's URL, event types, description and
	// enabled flag (enabled unless said), and its secret when one is
	// given. EINVALID, ENOTFOUND.
	UpdateWebhook(ctx context.Context, id string, in WebhookInput) (*Webhook, error)
	// DeleteWebhook removes a webhook with every delivery it has; its
	// pending deliveries are never sent. ENOTFOUND.
	DeleteWebhook(ctx context.Context, id string) error
	// WebhookDeliveries lists a webhook's deliveries, newest first.
	// ENOTFOUND for an unknown webhook, EINVALID for an unknown status.
	WebhookDeliveries(ctx context.Context, f DeliveryFilter) ([]*WebhookDelivery, error)
	// WebhookDelivery returns one delivery; ENOTFOUND.
	WebhookDelivery(ctx context.Context, id string) (*WebhookDelivery, error)
	// ReplayWebhookDelivery makes a delivery pending again, due now, with
	// its attempts reset; its event id and body do not change. A pending
	// delivery is just made due now. ENOTFOUND.
	ReplayWebhookDelivery(ctx context.Context, id string) (*WebhookDelivery, error)
}

// WebhookOutbox is the durable outbox the webhook sender works from.
type WebhookOutbox interface {
	// DispatchWebhooks turns the log events after the sequence after (at
	// most limit of them) into deliveries for the webhooks that want
	// them, and returns the sequence it reached and how many deliveries
	// it created. The deliveries and the outbox's own cursor commit
	// together, so no event is turned into deliveries twice or skipped,
	// whatever after says: after only saves reading events already seen.
	DispatchWebhooks(ctx context.Context, after uint64, limit int) (reached uint64, created int, err error)
	// DueWebhookDeliveries returns up to limit pending deliveries due at
	// now, the earliest due first, and when the next one not yet due is
	// due (zero when none is).
	DueWebhookDeliveries(ctx context.Context, now time.Time, limit int) ([]*WebhookDelivery, time.Time, error)
	// RecordWebhookAttempt records an attempt's outcome. ENOTFOUND when
	// the delivery is gone (its webhook was deleted); ECONFLICT when it
	// is no longer pending.
	RecordWebhookAttempt(ctx context.Context, id string, a WebhookAttempt) (*WebhookDelivery, error)
	// WebhookWithSecret returns a webhook with its secret, for sending;
	// ENOTFOUND.
	WebhookWithSecret(ctx context.Context, id string) (*Webhook, error)
	// ForgetWebhookDeliveries deletes up to limit delivered or failed
	// deliveries created before the time, oldest first, and says whether
	// more may remain; pending ones are kept.
	ForgetWebhookDeliveries(ctx context.Context, before time.Time, limit int) (n int, more bool, err error)
	// Changed is closed after the next commit that appends to the log.
	Changed() <-chan struct{}
}
