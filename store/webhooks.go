package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/pickwave/pickwave"
)

// The webhook outbox.
//
// Webhooks are fed from the event log, never written to by the code that
// changes orders: a pick, a shipment, an allocation commits its event as
// it always did, and the outbox follows the log behind it. The outbox
// keeps a cursor (the sequence of the last event it has turned into
// deliveries) in the meta space. DispatchWebhooks reads the events after
// the cursor and, in one transaction, writes a delivery per event and
// wanting webhook and moves the cursor past those events: a crash leaves
// either both or neither, so no event is skipped and none is turned into
// deliveries twice. Events that no webhook wants move the cursor without
// a write (the caller remembers how far it read); the cursor is written
// when a delivery is, or every cursorLag events, so a restart re-reads at
// most that many events, and finds again that nobody wants them.
//
// A webhook gets the events logged after its FromSeq (its creation or
// last enabling), so a dispatcher running behind never sends a new
// webhook the history, nor a re-enabled one what happened while it was
// off.
//
// Keys of the webhooks space: WH-0000000001 → the webhook (JSON, with its
// secret). Keys of webhook_deliveries:
//
//	D-0000000042                         the delivery (JSON, with its body)
//	q\x00<due, unix ns>\x00D-0000000042   pending deliveries of enabled webhooks, by due time
//	w\x00WH-0000000001\x00D-0000000042    every delivery of a webhook
//
// A delivery's next_attempt_at always equals its queue key's time, so the
// sender finds what is due by scanning the queue from its start and
// stopping at the first key in the future.

// Key spaces of webhooks (see kv.go for the others).
const (
	spaceWebhooks   = "webhooks"           // webhook id → the webhook, with its secret
	spaceDeliveries = "webhook_deliveries" // deliveries, their due queue and per-webhook index
)

const (
	webhookKeyPrefix  = "WH-"
	deliveryKeyPrefix = "D-"
	// cursorLag is how many events nobody wants the cursor may stay behind.
	cursorLag = 1024
)

var keyWebhookCursor = []byte("webhook_cursor")

func webhookID(seq uint64) string  { return fmt.Sprintf("WH-%010d", seq) }
func deliveryID(seq uint64) string { return fmt.Sprintf("D-%010d", seq) }

func queueKey(due time.Time, id string) []byte {
	k := append([]byte("q\x00"), binary.BigEndian.AppendUint64(nil, uint64(due.UnixNano()))...)
	return append(append(k, 0), id...)
}

func webhookDeliveryKey(webhook, id string) []byte { return joinKey("w", webhook, id) }

// webhookEventPayload is what webhook events carry: never the secret.
type webhookEventPayload struct {
	ID         string   `json:"id"`
	URL        string   `json:"url,omitempty"`
	EventTypes []string `json:"event_types,omitempty"`
	Enabled    bool     `json:"enabled"`
}

// deliveryEventPayload is what delivery events carry: never the body.
type deliveryEventPayload struct {
	ID         string                  `json:"id"`
	WebhookID  string                  `json:"webhook_id"`
	EventID    string                  `json:"event_id"`
	Status     pickwave.DeliveryStatus `json:"status"`
	Attempts   int                     `json:"attempts"`
	StatusCode int                     `json:"status_code,omitempty"`
	Error      string                  `json:"error,omitempty"`
}

func (t *txn) deliveryEvent(typ string, d *pickwave.WebhookDelivery) error {
	_, err := t.appendEvent(typ, "webhook_delivery/"+d.ID, deliveryEventPayload{ID: d.ID, WebhookID: d.WebhookID,
		EventID: d.EventID, Status: d.Status, Attempts: d.Attempts, StatusCode: d.LastStatusCode, Error: d.LastError})
	return err
}

func (t *txn) webhookEvent(typ string, w *pickwave.Webhook) error {
	_, err := t.appendEvent(typ, "webhook/"+w.ID, webhookEventPayload{ID: w.ID, URL: w.URL, EventTypes: w.EventTypes, Enabled: w.Enabled})
	return err
}

// NewWebhookSecret returns a new random secret in Standard Webhooks form.
func NewWebhookSecret() string {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand since Go 1.24)
	return pickwave.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(key)
}

func (t *txn) webhook(id string) (*pickwave.Webhook, error) {
	if !bytes.HasPrefix([]byte(id), []byte(webhookKeyPrefix)) {
		return nil, notFound("Webhook %s does not exist.", pickwave.Clip(id))
	}
	w := new(pickwave.Webhook)
	ok, err := t.getJSON(spaceWebhooks, []byte(id), w)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("Webhook %s does not exist.", pickwave.Clip(id))
	}
	return w, nil
}

func (t *txn) delivery(id string) (*pickwave.WebhookDelivery, error) {
	if !bytes.HasPrefix([]byte(id), []byte(deliveryKeyPrefix)) {
		return nil, notFound("Webhook delivery %s does not exist.", pickwave.Clip(id))
	}
	d := new(pickwave.WebhookDelivery)
	ok, err := t.getJSON(spaceDeliveries, []byte(id), d)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("Webhook delivery %s does not exist.", pickwave.Clip(id))
	}
	return d, nil
}

func withoutSecret(w *pickwave.Webhook) *pickwave.Webhook {
	c := *w
	c.Secret = ""
	c.EventTypes = slices.Clone(w.EventTypes)
	return &c
}

// Webhooks lists webhooks in creation order, without their secrets.
func (db *DB) Webhooks(ctx context.Context, after string, limit int) ([]*pickwave.Webhook, error) {
	limit = pageSize(limit)
	var out []*pickwave.Webhook
	err := db.view(ctx, func(t *txn) error {
		var from []byte
		if after != "" {
			from = []byte(after)
		}
		return t.Scan(spaceWebhooks, []byte(webhookKeyPrefix), from, func(k, v []byte) error {
			w := new(pickwave.Webhook)
			if err := decode(spaceWebhooks, k, v, w); err != nil {
				return err
			}
			out = append(out, withoutSecret(w))
			if len(out) == limit {
				return errStop
			}
			return nil
		})
	})
	return out, err
}

// Webhook returns one webhook without its secret.
func (db *DB) Webhook(ctx context.Context, id string) (*pickwave.Webhook, error) {
	var w *pickwave.Webhook
	err := db.view(ctx, func(t *txn) (err error) {
		w, err = t.webhook(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return withoutSecret(w), nil
}

// WebhookWithSecret returns a webhook with its secret, for signing.
func (db *DB) WebhookWithSecret(ctx context.Context, id string) (*pickwave.Webhook, error) {
	var w *pickwave.Webhook
	err := db.view(ctx, func(t *txn) (err error) {
		w, err = t.webhook(id)
		return err
	})
	return w, err
}

// CreateWebhook stores a new webhook and returns it with its secret.
func (db *DB) CreateWebhook(ctx context.Context, in pickwave.WebhookInput) (*pickwave.Webhook, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	secret := in.Secret
	if secret == "" {
		secret = NewWebhookSecret() // here, not in the transaction, which may run twice
	}
	var out *pickwave.Webhook
	err := db.update(ctx, func(t *txn) error {
		seq, err := t.NextSeq(spaceWebhooks)
		if err != nil {
			return err
		}
		w := &pickwave.Webhook{ID: webhookID(seq), URL: in.URL, EventTypes: slices.Clone(in.EventTypes),
			Description: in.Description, Enabled: in.Enabled == nil || *in.Enabled, Secret: secret,
			CreatedAt: t.now, UpdatedAt: t.now}
		// Its own creation event is the last it does not get.
		if err := t.webhookEvent(pickwave.EventWebhookCreated, w); err != nil {
			return err
		}
		w.FromSeq, err = t.lastEventSeq()
		if err != nil {
			return err
		}
		if err := t.putJSON(spaceWebhooks, []byte(w.ID), w); err != nil {
			return err
		}
		out = w
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lastEventSeq is the sequence of the newest event in this transaction.
func (t *txn) lastEventSeq() (uint64, error) {
	var seq uint64
	err := t.ScanReverse(spaceEvents, nil, func(k, _ []byte) error {
		seq = binary.BigEndian.Uint64(k)
		return errStop
	})
	return seq, err
}

// UpdateWebhook replaces a webhook's settings. Disabling it takes its
// pending deliveries out of the queue; enabling it puts them back, due
// now, and it gets the events logged from then on.
func (db *DB) UpdateWebhook(ctx context.Context, id string, in pickwave.WebhookInput) (*pickwave.Webhook, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *pickwave.Webhook
	err := db.update(ctx, func(t *txn) error {
		w, err := t.webhook(id)
		if err != nil {
			return err
		}
		enabled := in.Enabled == nil || *in.Enabled
		wasEnabled := w.Enabled
		w.URL, w.EventTypes, w.Description, w.Enabled, w.UpdatedAt = in.URL, slices.Clone(in.EventTypes), in.Description, enabled, t.now
		if in.Secret != "" {
			w.Secret = in.Secret
		}
		if err := t.webhookEvent(pickwave.EventWebhookUpdated, w); err != nil {
			return err
		}
		if enabled && !wasEnabled {
			if w.FromSeq, err = t.lastEventSeq(); err != nil {
				return err
			}
		}
		if enabled != wasEnabled {
			if err := t.requeue(w, enabled); err != nil {
				return err
			}
		}
		if err := t.putJSON(spaceWebhooks, []byte(w.ID), w); err != nil {
			return err
		}
		out = withoutSecret(w)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// requeue takes a webhook's pending deliveries out of the queue (enabled
// false) or puts them back due now (true).
func (t *txn) requeue(w *pickwave.Webhook, enabled bool) error {
	var pending []*pickwave.WebhookDelivery
	err := t.webhookDeliveries(w.ID, func(d *pickwave.WebhookDelivery) error {
		if d.Status == pickwave.DeliveryPending {
			pending = append(pending, d)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range pending {
		if enabled {
			now := t.now
			d.NextAttemptAt = &now
			if err := t.Put(spaceDeliveries, queueKey(now, d.ID), nil); err != nil {
				return err
			}
			if err := t.putJSON(spaceDeliveries, []byte(d.ID), d); err != nil {
				return err
			}
		} else if d.NextAttemptAt != nil {
			if err := t.Delete(spaceDeliveries, queueKey(*d.NextAttemptAt, d.ID)); err != nil {
				return err
			}
		}
	}
	return nil
}

// webhookDeliveries calls fn with each of a webhook's deliveries, oldest first.
func (t *txn) webhookDeliveries(webhook string, fn func(d *pickwave.WebhookDelivery) error) error {
	prefix := append(joinKey("w", webhook), 0)
	return t.Scan(spaceDeliveries, prefix, nil, func(k, _ []byte) error {
		d, err := t.delivery(string(k[len(prefix):]))
		if err != nil {
			return err
		}
		return fn(d)
	})
}

// DeleteWebhook removes a webhook and all its deliveries.
func (db *DB) DeleteWebhook(ctx context.Context, id string) error {
	return db.update(ctx, func(t *txn) error {
		w, err := t.webhook(id)
		if err != nil {
			return err
		}
		var ds []*pickwave.WebhookDelivery
		if err := t.webhookDeliveries(w.ID, func(d *pickwave.WebhookDelivery) error {
			ds = append(ds, d)
			return nil
		}); err != nil {
			return err
		}
		for _, d := range ds {
			if d.Status == pickwave.DeliveryPending && d.NextAttemptAt != nil {
				if err := t.Delete(spaceDeliveries, queueKey(*d.NextAttemptAt, d.ID)); err != nil {
					return err
				}
			}
			if err := t.Delete(spaceDeliveries, webhookDeliveryKey(w.ID, d.ID)); err != nil {
				return err
			}
			if err := t.Delete(spaceDeliveries, []byte(d.ID)); err != nil {
				return err
			}
		}
		if err := t.Delete(spaceWebhooks, []byte(w.ID)); err != nil {
			return err
		}
		w.Enabled = false
		return t.webhookEvent(pickwave.EventWebhookDeleted, w)
	})
}

// WebhookDeliveries lists a webhook's deliveries, newest first.
func (db *DB) WebhookDeliveries(ctx context.Context, f pickwave.DeliveryFilter) ([]*pickwave.WebhookDelivery, error) {
	if f.Status != "" && !slices.Contains(pickwave.DeliveryStatuses, f.Status) {
		return nil, &pickwave.Error{Code: pickwave.EINVALID, Message: "Unknown delivery status.",
			Details: []pickwave.FieldError{{Field: "status", Reason: fmt.Sprintf("must be one of %v", pickwave.DeliveryStatuses)}}}
	}
	limit := pageSize(f.Limit)
	var out []*pickwave.WebhookDelivery
	err := db.view(ctx, func(t *txn) error {
		if _, err := t.webhook(f.WebhookID); err != nil {
			return err
		}
		prefix := append(joinKey("w", f.WebhookID), 0)
		return t.ScanReverse(spaceDeliveries, prefix, func(k, _ []byte) error {
			id := string(k[len(prefix):])
			if f.After != "" && id >= f.After {
				return nil
			}
			d, err := t.delivery(id)
			if err != nil {
				return err
			}
			if f.Status != "" && d.Status != f.Status {
				return nil
			}
			out = append(out, d)
			if len(out) == limit {
				return errStop
			}
			return nil
		})
	})
	return out, err
}

// WebhookDelivery returns one delivery.
func (db *DB) WebhookDelivery(ctx context.Context, id string) (*pickwave.WebhookDelivery, error) {
	var d *pickwave.WebhookDelivery
	err := db.view(ctx, func(t *txn) (err error) {
		d, err = t.delivery(id)
		return err
	})
	return d, err
}

// ReplayWebhookDelivery makes a delivery pending and due now, with its
// attempts reset, the same event id and body.
func (db *DB) ReplayWebhookDelivery(ctx context.Context, id string) (*pickwave.WebhookDelivery, error) {
	var out *pickwave.WebhookDelivery
	err := db.update(ctx, func(t *txn) error {
		d, err := t.delivery(id)
		if err != nil {
			return err
		}
		w, err := t.webhook(d.WebhookID)
		if err != nil {
			return err
		}
		if d.Status == pickwave.DeliveryPending && d.NextAttemptAt != nil {
			if err := t.Delete(spaceDeliveries, queueKey(*d.NextAttemptAt, d.ID)); err != nil {
				return err
			}
		}
		now := t.now
		d.Status, d.Attempts, d.Replays, d.NextAttemptAt, d.UpdatedAt = pickwave.DeliveryPending, 0, d.Replays+1, &now, now
		if w.Enabled {
			if err := t.Put(spaceDeliveries, queueKey(now, d.ID), nil); err != nil {
				return err
			}
		}
		if err := t.putJSON(spaceDeliveries, []byte(d.ID), d); err != nil {
			return err
		}
		out = d
		return t.deliveryEvent(pickwave.EventWebhookReplayed, d)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DispatchWebhooks turns the events after the cursor (and after after)
// into deliveries; see the top of this file.
func (db *DB) DispatchWebhooks(ctx context.Context, after uint64, limit int) (uint64, int, error) {
	limit = pageSize(limit)
	// Most events are wanted by nobody (scans, stock): find that out in a
	// read, so that following the log costs the committer nothing.
	var (
		reached, cursor uint64
		wanted          bool
	)
	err := db.view(ctx, func(t *txn) error {
		var err error
		cursor = t.webhookCursor()
		reached, wanted, err = t.walkEvents(max(after, cursor), limit, func(*pickwave.Webhook, *pickwave.Event, string, string) error {
			return nil
		})
		return err
	})
	if err != nil {
		return after, 0, err
	}
	if !wanted && reached-min(cursor, reached) < cursorLag {
		return reached, 0, nil
	}
	var created int
	err = db.update(ctx, func(t *txn) error {
		created = 0
		from := max(after, t.webhookCursor())
		var err error
		reached, _, err = t.walkEvents(from, limit, func(w *pickwave.Webhook, ev *pickwave.Event, typ, orderID string) error {
			created++
			return t.newDelivery(w, ev, typ, orderID)
		})
		if err != nil {
			return err
		}
		if reached > t.webhookCursor() {
			return t.Put(spaceMeta, keyWebhookCursor, u64key(reached))
		}
		return nil
	})
	if err != nil {
		return after, 0, err
	}
	return reached, created, nil
}

func (t *txn) webhookCursor() uint64 {
	if v := t.Get(spaceMeta, keyWebhookCursor); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// enabledWebhooks lists the webhooks that get events.
func (t *txn) enabledWebhooks() ([]*pickwave.Webhook, error) {
	var hooks []*pickwave.Webhook
	err := t.Scan(spaceWebhooks, []byte(webhookKeyPrefix), nil, func(k, v []byte) error {
		w := new(pickwave.Webhook)
		if err := decode(spaceWebhooks, k, v, w); err != nil {
			return err
		}
		if w.Enabled {
			hooks = append(hooks, w)
		}
		return nil
	})
	return hooks, err
}

// walkEvents calls fn for each pair of a log event after after (up to
// limit events) and an enabled webhook that wants it, and returns the
// last sequence read and whether fn was called.
func (t *txn) walkEvents(after uint64, limit int, fn func(w *pickwave.Webhook, ev *pickwave.Event, typ, orderID string) error) (uint64, bool, error) {
	hooks, err := t.enabledWebhooks()
	if err != nil {
		return after, false, err
	}
	if len(hooks) == 0 {
		// Nobody wants anything: skip to the end of the log unread.
		last, err := t.lastEventSeq()
		return max(after, last), false, err
	}
	reached, n, wanted := after, 0, false
	err = t.Scan(spaceEvents, nil, u64key(after), func(_, v []byte) error {
		ev := new(pickwave.Event)
		if err := decode(spaceEvents, nil, v, ev); err != nil {
			return err
		}
		reached = ev.Seq
		if typ, orderID, ok := pickwave.WebhookEventType(ev); ok {
			for _, w := range hooks {
				if w.Wants(typ, ev.Seq) {
					wanted = true
					if err := fn(w, ev, typ, orderID); err != nil {
						return err
					}
				}
			}
		}
		if n++; n == limit {
			return errStop
		}
		return nil
	})
	return reached, wanted, err
}

// newDelivery writes a pending delivery of ev to w, due now.
func (t *txn) newDelivery(w *pickwave.Webhook, ev *pickwave.Event, typ, orderID string) error {
	data := ev.Payload
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	body, err := json.Marshal(pickwave.WebhookBody{ID: pickwave.WebhookEventID(ev.Seq), Type: typ,
		CreatedAt: ev.Time.UTC(), OrderID: orderID, Data: data})
	if err != nil {
		return fmt.Errorf("encode webhook body of event %d: %w", ev.Seq, err)
	}
	seq, err := t.NextSeq(spaceDeliveries)
	if err != nil {
		return err
	}
	now := t.now
	d := &pickwave.WebhookDelivery{ID: deliveryID(seq), WebhookID: w.ID, EventID: pickwave.WebhookEventID(ev.Seq),
		EventSeq: ev.Seq, EventType: typ, OrderID: orderID, Status: pickwave.DeliveryPending,
		NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now, Body: body}
	if err := t.putJSON(spaceDeliveries, []byte(d.ID), d); err != nil {
		return err
	}
	if err := t.Put(spaceDeliveries, queueKey(now, d.ID), nil); err != nil {
		return err
	}
	return t.Put(spaceDeliveries, webhookDeliveryKey(w.ID, d.ID), nil)
}

// DueWebhookDeliveries returns pending deliveries due at now, earliest
// first, and when the next one is due.
func (db *DB) DueWebhookDeliveries(ctx context.Context, now time.Time, limit int) ([]*pickwave.WebhookDelivery, time.Time, error) {
	limit = pageSize(limit)
	var (
		out  []*pickwave.WebhookDelivery
		next time.Time
	)
	err := db.view(ctx, func(t *txn) error {
		prefix := []byte("q\x00")
		return t.Scan(spaceDeliveries, prefix, nil, func(k, _ []byte) error {
			due := time.Unix(0, int64(binary.BigEndian.Uint64(k[len(prefix):len(prefix)+8])))
			if due.After(now) || len(out) == limit {
				next = due
				return errStop
			}
			d, err := t.delivery(string(k[len(prefix)+9:]))
			if err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	})
	return out, next, err
}

// RecordWebhookAttempt records the outcome of one attempt.
func (db *DB) RecordWebhookAttempt(ctx context.Context, id string, a pickwave.WebhookAttempt) (*pickwave.WebhookDelivery, error) {
	var out *pickwave.WebhookDelivery
	err := db.update(ctx, func(t *txn) error {
		d, err := t.delivery(id)
		if err != nil {
			return err
		}
		if d.Status != pickwave.DeliveryPending {
			return pickwave.Errorf(pickwave.ECONFLICT, "Webhook delivery %s is %s.", d.ID, d.Status)
		}
		w, err := t.webhook(d.WebhookID)
		if err != nil {
			return err
		}
		if d.NextAttemptAt != nil {
			if err := t.Delete(spaceDeliveries, queueKey(*d.NextAttemptAt, d.ID)); err != nil {
				return err
			}
		}
		at := a.At.UTC()
		d.Attempts++
		d.LastAttemptAt, d.LastStatusCode, d.LastError, d.UpdatedAt = &at, a.StatusCode, clip(a.Error), t.now
		event := pickwave.EventWebhookRetrying
		switch {
		case a.Delivered:
			d.Status, d.DeliveredAt, d.NextAttemptAt, d.LastError = pickwave.DeliveryDelivered, &at, nil, ""
			event = pickwave.EventWebhookDelivered
		case a.RetryAt.IsZero():
			d.Status, d.NextAttemptAt = pickwave.DeliveryFailed, nil
			event = pickwave.EventWebhookFailed
		default:
			next := a.RetryAt.UTC()
			d.NextAttemptAt = &next
			// A disabled webhook's pending deliveries wait outside the
			// queue until it is enabled.
			if w.Enabled {
				if err := t.Put(spaceDeliveries, queueKey(next, d.ID), nil); err != nil {
					return err
				}
			}
		}
		if err := t.putJSON(spaceDeliveries, []byte(d.ID), d); err != nil {
			return err
		}
		out = d
		return t.deliveryEvent(event, d)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkWebhooks checks the outbox's invariants (see Check).
func (c *checker) checkWebhooks() {
	if c.tx.Bucket([]byte(spaceDeliveries)) == nil {
		return // before the migration
	}
	hooks := map[string]*pickwave.Webhook{}
	each(c, spaceWebhooks, func(k []byte, w *pickwave.Webhook) {
		if string(k) != w.ID {
			c.fail("webhook %q: stored under %q", w.ID, k)
		}
		hooks[w.ID] = w
	})
	queued := map[string]bool{}
	b := c.tx.Bucket([]byte(spaceDeliveries))
	_ = b.ForEach(func(k, v []byte) error {
		switch {
		case bytes.HasPrefix(k, []byte(deliveryKeyPrefix)):
			d := new(pickwave.WebhookDelivery)
			if err := json.Unmarshal(v, d); err != nil {
				c.fail("delivery %q: %v", k, err)
				return nil
			}
			w := hooks[d.WebhookID]
			switch {
			case w == nil:
				c.fail("delivery %s: webhook %s does not exist", d.ID, d.WebhookID)
			case b.Get(webhookDeliveryKey(d.WebhookID, d.ID)) == nil:
				c.fail("delivery %s: not in webhook %s's index", d.ID, d.WebhookID)
			}
			pending := d.Status == pickwave.DeliveryPending
			if pending != (d.NextAttemptAt != nil) {
				c.fail("delivery %s: %s with next attempt %v", d.ID, d.Status, d.NextAttemptAt)
			}
			if pending && d.NextAttemptAt != nil && w != nil && w.Enabled {
				if b.Get(queueKey(*d.NextAttemptAt, d.ID)) == nil {
					c.fail("delivery %s: pending but not queued at %s", d.ID, d.NextAttemptAt)
				}
				queued[string(queueKey(*d.NextAttemptAt, d.ID))] = true
			}
		case bytes.HasPrefix(k, []byte("q\x00")):
			if !queued[string(k)] {
				c.fail("delivery queue: entry %q is not a pending delivery of an enabled webhook due then", k)
			}
		case bytes.HasPrefix(k, []byte("w\x00")):
			parts := bytes.Split(k, []byte{0})
			if len(parts) != 3 || b.Get(parts[2]) == nil {
				c.fail("delivery index: entry %q names no delivery", k)
			}
		default:
			c.fail("webhook_deliveries: unknown key %q", k)
		}
		return nil
	})
	var last uint64
	if k, _ := c.tx.Bucket([]byte(spaceEvents)).Cursor().Last(); k != nil {
		last = binary.BigEndian.Uint64(k)
	}
	if v := c.get(spaceMeta, keyWebhookCursor); v != nil && binary.BigEndian.Uint64(v) > last {
		c.fail("webhook cursor %d is past the event log's end %d", binary.BigEndian.Uint64(v), last)
	}
}

// ForgetWebhookDeliveries deletes up to limit delivered or failed
// deliveries created before the given time, oldest first, in one
// transaction, and reports how many it deleted and whether older ones
// may remain. Pending deliveries are kept whatever their age. Like
// ForgetScans, callers loop in small chunks.
func (db *DB) ForgetWebhookDeliveries(ctx context.Context, before time.Time, limit int) (n int, more bool, err error) {
	if limit <= 0 {
		limit = 1000
	}
	err = db.update(ctx, func(t *txn) error {
		n, more = 0, false
		var done []*pickwave.WebhookDelivery
		if err := t.Scan(spaceDeliveries, []byte(deliveryKeyPrefix), nil, func(k, v []byte) error {
			d := new(pickwave.WebhookDelivery)
			if err := decode(spaceDeliveries, k, v, d); err != nil {
				return err
			}
			// Ids sort by creation: the first one young enough ends it.
			if !d.CreatedAt.Before(before) {
				return errStop
			}
			if d.Status == pickwave.DeliveryPending {
				return nil
			}
			if len(done) == limit {
				more = true
				return errStop
			}
			done = append(done, d)
			return nil
		}); err != nil {
			return err
		}
		for _, d := range done {
			if err := t.Delete(spaceDeliveries, webhookDeliveryKey(d.WebhookID, d.ID)); err != nil {
				return err
			}
			if err := t.Delete(spaceDeliveries, []byte(d.ID)); err != nil {
				return err
			}
		}
		n = len(done)
		return nil
	})
	return n, more, err
}
