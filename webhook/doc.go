// Package webhook sends the webhook outbox: it turns the event log into
// deliveries and posts them, signed, to the subscribed URLs, retrying with
// backoff until the receiver answers 2xx or the attempts run out. The
// store keeps the outbox (pickwave.WebhookOutbox); this package holds the
// goroutines and the HTTP side. docs/webhooks.md is the receiver's view.
//
// # Goroutines and who owns them
//
// Dispatcher.Run owns everything and returns only when all of it has
// ended:
//
//   - the tail goroutine follows the event log. It waits for the store's
//     Changed signal (or a poll tick), lets commits gather for up to
//     100 ms (the log changes with every scan under load), then calls
//     DispatchWebhooks until it has caught up. Events of types no webhook
//     wants are skipped in a read, without a write. Each call writes the deliveries of a batch of
//     events and the outbox's cursor in one transaction, so the tail can
//     stop or crash at any point without losing or doubling a delivery.
//     It wakes the sender after every round.
//   - the send loop reads the deliveries that are due, earliest first,
//     and starts a worker goroutine for each, at most Workers at once; it
//     waits for them before it returns. It sleeps until the next delivery
//     is due, a worker finishes, the tail wakes it, or a poll tick.
//   - a worker makes one attempt: it reads the webhook (URL and secret),
//     signs the stored body with a fresh timestamp, posts it with a
//     timeout, reads at most 4 KiB of the answer, and records the
//     outcome: delivered on 2xx, else a retry at the next backoff (or the
//     receiver's Retry-After, when longer), or failed once MaxAttempts is
//     reached. Redirects are not followed: a 3xx is a failed attempt.
//   - with a Retention, the retention goroutine deletes delivered and
//     failed deliveries older than it, hourly, a thousand at a time.
//
// Each goroutine recovers a panic and logs it with its stack; a panicking
// attempt counts as an attempt that may be retried.
//
// # Guarantees
//
// At least once: a delivery stays pending in the store until an attempt
// is recorded, so one interrupted by a stop or a crash is sent again
// after the restart, and a receiver may see it twice. Every attempt and
// every replay carries the same event id (webhook-id header and the
// body's id), which is the receiver's key for dropping duplicates. An
// outcome is recorded even when the dispatcher is stopping, so a
// delivered message is not sent again after a clean stop.
//
// # Caveats
//
//   - Order is not guaranteed: deliveries are started earliest due first,
//     but Workers of them run at once, a retried one goes behind newer
//     ones, and a replay comes whenever it is asked for. A receiver orders
//     by the body's created_at and the order's own state, never by
//     arrival.
//   - Only one Dispatcher may run on a store: the send loop's in-flight set
//     is in memory. bbolt's file lock already gives one process per store.
//   - The URL is an admin's choice; Pickwave posts to it from the server's
//     network. Give the admin role only to people trusted with that.
package webhook
