package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pickwave/pickwave"
)

// Headers of every delivery, as Standard Webhooks 1.0 names them.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Tolerance is how far a timestamp may be from the receiver's clock
// before Verify refuses it, as Standard Webhooks advises.
const Tolerance = 5 * time.Minute

// Sign returns the webhook-signature header value of a message:
// "v1," and the base64 HMAC-SHA256, keyed with the secret's key, of
// "<id>.<timestamp>.<body>".
func Sign(secret, id string, timestamp int64, body []byte) (string, error) {
	key, err := pickwave.WebhookKey(secret)
	if err != nil {
		return "", fmt.Errorf("webhook secret %w", err)
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, timestamp, body)), nil
}

func mac(key []byte, id string, timestamp int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(strconv.FormatInt(timestamp, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Errors of Verify.
var (
	// ErrNoSignature is returned when a header is missing or malformed.
	ErrNoSignature = errors.New("webhook: missing or malformed webhook headers")
	// ErrTimestamp is returned when the timestamp is further than
	// Tolerance from now: a replayed or badly delayed message.
	ErrTimestamp = errors.New("webhook: timestamp outside the tolerance")
	// ErrSignature is returned when no signature matches.
	ErrSignature = errors.New("webhook: no matching signature")
)

// Verify checks a received message the way a receiver should: the
// timestamp within Tolerance of now, and one of the space-separated
// signatures equal, compared in constant time, to the message's. It is
// here for Go receivers and tests; any Standard Webhooks library does the
// same.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := pickwave.WebhookKey(secret)
	if err != nil {
		return fmt.Errorf("webhook secret %w", err)
	}
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	t, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || sigs == "" || err != nil {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(t, 0)); d > Tolerance || d < -Tolerance {
		return ErrTimestamp
	}
	want := mac(key, id, t, body)
	for _, s := range strings.Fields(sigs) {
		b64, ok := strings.CutPrefix(s, "v1,")
		if !ok {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignature
}
