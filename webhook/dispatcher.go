package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pickwave/pickwave"
)

// Defaults of the Dispatcher's options.
const (
	// DefaultMaxAttempts with the default backoff spreads the attempts
	// over about a day: waits of 10 s doubling to 2 h (2.8 h for the
	// first ten), then 2 h each; 31 h in all before jitter, which draws
	// each wait between half and all of it (23 h on average).
	DefaultMaxAttempts = 25
	DefaultBackoffMin  = 10 * time.Second
	DefaultBackoffMax  = 2 * time.Hour
	// DefaultTimeout bounds one attempt, connecting to reading the answer.
	DefaultTimeout = 10 * time.Second
	// DefaultWorkers is how many attempts run at once.
	DefaultWorkers = 4
	// DefaultPollInterval is how often the dispatcher looks at the log and
	// the queue without being woken, in case a signal was missed.
	DefaultPollInterval = 5 * time.Second
)

// maxAnswer bounds what is read of a receiver's answer.
const maxAnswer = 4 << 10

// dispatchBatch is how many log events one outbox transaction covers.
const dispatchBatch = 500

// maxGather is how long the tail lets the log gather commits after a
// change before it reads them: a webhook may be that much later, and the
// scan path is spared a read per commit.
const maxGather = 100 * time.Millisecond

// UserAgent is the User-Agent of every delivery.
const UserAgent = "Pickwave-Webhooks/1"

// Dispatcher follows the event log into the webhook outbox and sends the
// outbox's deliveries. Set Outbox, then call Run. Zero options take the
// defaults above.
type Dispatcher struct {
	Outbox pickwave.WebhookOutbox
	// MaxAttempts is the number of attempts after which a delivery fails
	// (it can be replayed through the API).
	MaxAttempts int
	// BackoffMin is the wait after the first failed attempt; it doubles
	// with each further one up to BackoffMax. Each wait is drawn between
	// half and all of it (jitter), so that deliveries failed together
	// are not retried together.
	BackoffMin, BackoffMax time.Duration
	// Timeout bounds one attempt.
	Timeout time.Duration
	// Workers bounds the attempts running at once.
	Workers int
	// PollInterval is how often the log and the queue are read without a
	// signal.
	PollInterval time.Duration
	// Retention is how long delivered and failed deliveries stay listed
	// (and replayable) after they were created; zero keeps them for good.
	// Older ones are deleted hourly; pending ones never are.
	Retention time.Duration
	// Client sends the requests; nil means a client of its own that does
	// not follow redirects. Its own Timeout, if any, is kept too.
	Client *http.Client
	// Metrics counts the attempts' outcomes; nil counts nothing.
	Metrics *Metrics
	// Logger receives the dispatcher's logs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	kick chan struct{}
	log  *slog.Logger
}

func (d *Dispatcher) defaults() {
	d.MaxAttempts = orDefault(d.MaxAttempts, DefaultMaxAttempts)
	d.BackoffMin = orDefault(d.BackoffMin, DefaultBackoffMin)
	d.BackoffMax = max(orDefault(d.BackoffMax, DefaultBackoffMax), d.BackoffMin)
	d.Timeout = orDefault(d.Timeout, DefaultTimeout)
	d.Workers = orDefault(d.Workers, DefaultWorkers)
	d.PollInterval = orDefault(d.PollInterval, DefaultPollInterval)
	if d.Client == nil {
		d.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	d.log = d.Logger
	if d.log == nil {
		d.log = slog.Default()
	}
	d.log = d.log.With("component", "webhooks")
	d.kick = make(chan struct{}, 1)
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Run follows the log and sends deliveries until ctx ends, then waits for
// the attempts in flight (cancelled with ctx) and returns.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.Outbox == nil {
		return errors.New("webhook dispatcher: no outbox")
	}
	d.defaults()
	var wg sync.WaitGroup
	wg.Go(func() { d.guard(ctx, "tail", d.tail) })
	wg.Go(func() { d.guard(ctx, "send", d.send) })
	if d.Retention > 0 {
		wg.Go(func() { d.guard(ctx, "retention", d.forget) })
	}
	wg.Wait()
	return nil
}

// guard runs fn until ctx ends, starting it again after a panic.
func (d *Dispatcher) guard(ctx context.Context, name string, fn func(context.Context)) {
	for ctx.Err() == nil {
		func() {
			defer func() {
				if r := recover(); r != nil {
					d.log.Error("webhook "+name+" loop panicked; restarting it", "panic", r, "stack", string(debug.Stack()))
				}
			}()
			fn(ctx)
		}()
		select {
		case <-ctx.Done():
		case <-time.After(d.BackoffMin):
		}
	}
}

func (d *Dispatcher) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// tail turns new log events into deliveries.
func (d *Dispatcher) tail(ctx context.Context) {
	poll := time.NewTicker(d.PollInterval)
	defer poll.Stop()
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	defer gather.Stop()
	var after uint64 // 0: the store starts from its cursor
	for {
		changed := d.Outbox.Changed() // before reading, so no signal is missed
		for ctx.Err() == nil {
			reached, _, err := d.Outbox.DispatchWebhooks(ctx, after, dispatchBatch)
			if err != nil {
				if ctx.Err() == nil {
					d.log.Error("webhook outbox: dispatch", "err", err)
				}
				break
			}
			if reached == after {
				break
			}
			after = reached
		}
		// Replays, enabled webhooks and new deliveries all come with a
		// log entry: the sender looks at the queue after each.
		d.wake()
		select {
		case <-ctx.Done():
			return
		case <-changed:
			// Under load the log changes with every commit: gather a
			// few commits into one read rather than read after each.
			gather.Reset(min(maxGather, d.PollInterval))
			select {
			case <-ctx.Done():
				return
			case <-gather.C:
			}
		case <-poll.C:
		}
	}
}

// send starts attempts at due deliveries and waits for them on return.
func (d *Dispatcher) send(ctx context.Context) {
	var (
		wg       sync.WaitGroup
		inflight = map[string]bool{}
		// Each worker sends on done once, and at most Workers are not
		// yet received: a send never blocks.
		done = make(chan string, d.Workers)
	)
	defer wg.Wait()
	timer := time.NewTimer(d.PollInterval)
	defer timer.Stop()
	for {
		if free := d.Workers - len(inflight); free > 0 {
			due, next, err := d.Outbox.DueWebhookDeliveries(ctx, d.Now(), free+len(inflight))
			if err != nil && ctx.Err() == nil {
				d.log.Error("webhook outbox: read due deliveries", "err", err)
			}
			for _, dl := range due {
				if inflight[dl.ID] || len(inflight) == d.Workers {
					continue
				}
				inflight[dl.ID] = true
				wg.Go(func() {
					defer func() { done <- dl.ID }()
					d.attempt(ctx, dl)
				})
			}
			wait := d.PollInterval
			if !next.IsZero() {
				wait = min(wait, max(next.Sub(d.Now()), time.Millisecond))
			}
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return
		case id := <-done:
			delete(inflight, id)
		case <-d.kick:
		case <-timer.C:
		}
	}
}

// attempt makes one attempt at a delivery and records its outcome.
func (d *Dispatcher) attempt(ctx context.Context, dl *pickwave.WebhookDelivery) {
	log := d.log.With("delivery", dl.ID, "webhook", dl.WebhookID, "event", dl.EventID, "attempt", dl.Attempts+1)
	var (
		code   int
		reason string
		after  time.Duration // the receiver's Retry-After
	)
	func() {
		defer func() {
			if r := recover(); r != nil {
				log.Error("webhook attempt panicked", "panic", r, "stack", string(debug.Stack()))
				reason = fmt.Sprintf("internal error in Pickwave: %v", r)
			}
		}()
		code, after, reason = d.post(ctx, dl)
	}()
	if ctx.Err() != nil && code == 0 {
		return // stopped: the delivery stays due and goes after the restart
	}
	now := d.Now()
	a := pickwave.WebhookAttempt{At: now, StatusCode: code, Error: reason, Delivered: code >= 200 && code < 300 && reason == ""}
	outcome := "delivered"
	if !a.Delivered {
		outcome = "failed"
		if dl.Attempts+1 < d.MaxAttempts {
			outcome = "retry"
			a.RetryAt = now.Add(max(d.backoff(dl.Attempts+1), min(after, d.BackoffMax)))
		}
	}
	// The outcome is written even when the dispatcher is stopping, so a
	// delivered message is not sent again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := d.Outbox.RecordWebhookAttempt(rctx, dl.ID, a); err != nil {
		if code := pickwave.ErrorCode(err); code == pickwave.ENOTFOUND || code == pickwave.ECONFLICT {
			log.Info("webhook delivery changed during the attempt; outcome not recorded", "reason", pickwave.ErrorMessage(err))
		} else {
			log.Error("webhook outbox: record attempt", "err", err)
		}
		return
	}
	d.Metrics.count(outcome)
	switch outcome {
	case "delivered":
		log.Info("webhook delivered", "status", code)
	case "retry":
		log.Warn("webhook attempt failed; retrying", "status", code, "err", reason, "retry_at", a.RetryAt)
	default:
		log.Error("webhook delivery failed after its last attempt; replay it through the API", "status", code, "err", reason)
	}
}

// post sends the delivery once and returns the receiver's status (0 when
// it did not answer), its Retry-After and why the attempt failed.
func (d *Dispatcher) post(ctx context.Context, dl *pickwave.WebhookDelivery) (int, time.Duration, string) {
	w, err := d.Outbox.WebhookWithSecret(ctx, dl.WebhookID)
	if err != nil {
		return 0, 0, "reading the webhook: " + pickwave.ErrorMessage(err)
	}
	ts := d.Now().Unix()
	sig, err := Sign(w.Secret, dl.EventID, ts, dl.Body)
	if err != nil {
		return 0, 0, err.Error()
	}
	actx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, w.URL, bytes.NewReader(dl.Body))
	if err != nil {
		return 0, 0, "bad URL: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderID, dl.EventID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, sig)
	res, err := d.Client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return 0, 0, fmt.Sprintf("no answer within %s", d.Timeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is the webhook's, and may hold a token
		}
		return 0, 0, "request failed: " + err.Error()
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil && res.StatusCode/100 != 2 {
		return res.StatusCode, 0, fmt.Sprintf("HTTP %d; reading the answer: %v", res.StatusCode, err)
	}
	if res.StatusCode/100 == 2 {
		return res.StatusCode, 0, ""
	}
	return res.StatusCode, retryAfter(res.Header.Get("Retry-After")),
		fmt.Sprintf("HTTP %d: %s", res.StatusCode, printable(answer, 200))
}

// forgetEvery is how often old deliveries are deleted.
const forgetEvery = time.Hour

// forget deletes deliveries older than the retention, at once and then
// every forgetEvery, in chunks of a thousand, each its own transaction.
func (d *Dispatcher) forget(ctx context.Context) {
	tick := time.NewTicker(forgetEvery)
	defer tick.Stop()
	for {
		before, total := d.Now().Add(-d.Retention), 0
		for {
			n, more, err := d.Outbox.ForgetWebhookDeliveries(ctx, before, 1000)
			total += n
			if err != nil {
				if ctx.Err() == nil {
					d.log.Error("webhook outbox: forget old deliveries", "err", err)
				}
				break
			}
			if !more {
				break
			}
		}
		if total > 0 {
			d.log.Info("old webhook deliveries deleted", "count", total, "before", before)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// backoff is the wait after the n-th failed attempt, with jitter.
func (d *Dispatcher) backoff(n int) time.Duration {
	wait := d.BackoffMin
	for i := 1; i < n && wait < d.BackoffMax; i++ {
		wait *= 2
	}
	wait = min(wait, d.BackoffMax)
	return wait/2 + rand.N(wait/2+1)
}

// retryAfter reads a Retry-After header given in seconds; 0 otherwise.
func retryAfter(v string) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || s <= 0 {
		return 0
	}
	return time.Duration(min(s, 24*3600)) * time.Second
}

// printable is the start of a receiver's answer, safe for a log or an API
// field: at most n bytes of valid text on one line.
func printable(b []byte, n int) string {
	s := strings.ToValidUTF8(string(b[:min(len(b), n)]), "")
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
