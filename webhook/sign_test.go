package webhook_test

import (
	"errors"
	"net/http"
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
