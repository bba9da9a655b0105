package webhook_test

import (
	"errors"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/pickwave/pickwave/webhook"
)

// TestSign_standardWebhooksVector checks Sign against the example of
// the Standard Webhooks libraries' tests.
func TestSign_standardWebhooksVector(t *testing.T) {
	sig, err := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; sig != want {
		t.Fatalf("signature %s, want %s", sig, want)
	}
}

func TestVerify(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	now := time.Unix(1614265330, 0)
	body := []byte(`{"id":"evt_1"}`)
	sig, _ := webhook.Sign(secret, "evt_1", now.Unix(), body)
	headers := func(id, ts, sig string) http.Header {
		h := http.Header{}
		h.Set(webhook.HeaderID, id)
		h.Set(webhook.HeaderTimestamp, ts)
		h.Set(webhook.HeaderSignature, sig)
		return h
	}
	for _, tc := range []struct {
		name string
		h    http.Header
		body string
		now  time.Time
		want error
	}{
		{"good", headers("evt_1", "1614265330", sig), string(body), now, nil},
		{"rotated: one of several", headers("evt_1", "1614265330", "v1,AAAA "+sig), string(body), now, nil},
		{"body changed", headers("evt_1", "1614265330", sig), `{"id":"evt_2"}`, now, webhook.ErrSignature},
		{"id changed", headers("evt_2", "1614265330", sig), string(body), now, webhook.ErrSignature},
		{"timestamp changed", headers("evt_1", "1614265331", sig), string(body), now, webhook.ErrSignature},
		{"too old", headers("evt_1", "1614265330", sig), string(body), now.Add(6 * time.Minute), webhook.ErrTimestamp},
		{"from the future", headers("evt_1", "1614265330", sig), string(body), now.Add(-6 * time.Minute), webhook.ErrTimestamp},
		{"no signature", headers("evt_1", "1614265330", ""), string(body), now, webhook.ErrNoSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := webhook.Verify(secret, tc.h, []byte(tc.body), tc.now); !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestVerify_docsExample keeps the signed message in docs/webhooks.md
// right: receivers try their check on it.
func TestVerify_docsExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	field := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `: (\S+)$`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("docs/webhooks.md has no %s header", name)
		}
		return m[1]
	}
	body := regexp.MustCompile(`(?m)^\{"id":"evt_.*\}$`).FindString(text)
	secret := regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`).FindString(text)
	h := http.Header{}
	h.Set(webhook.HeaderID, field("webhook-id"))
	h.Set(webhook.HeaderTimestamp, field("webhook-timestamp"))
	h.Set(webhook.HeaderSignature, field("webhook-signature"))
	ts, _ := strconv.ParseInt(h.Get(webhook.HeaderTimestamp), 10, 64)
	if err := webhook.Verify(secret, h, []byte(body), time.Unix(ts, 0)); err != nil || body == "" {
		t.Fatalf("the example does not verify: %v (body %q, secret %q)", err, body, secret)
	}
}
