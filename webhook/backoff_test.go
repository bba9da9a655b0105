package webhook

import (
	"testing"
	"time"
)

func TestBackoff_doublesWithJitterUpToMax(t *testing.T) {
	d := &Dispatcher{BackoffMin: 10 * time.Second, BackoffMax: 2 * time.Hour}
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 5: 160 * time.Second,
		10: 5120 * time.Second, 11: 2 * time.Hour, 25: 2 * time.Hour} {
		for range 200 {
			if got := d.backoff(n); got < want/2 || got > want {
				t.Fatalf("backoff(%d) = %s, want between %s and %s", n, got, want/2, want)
			}
		}
	}
	// Jitter spreads retries: 200 draws are not all the same.
	seen := map[time.Duration]bool{}
	for range 200 {
		seen[d.backoff(3)] = true
	}
	if len(seen) < 50 {
		t.Fatalf("only %d distinct waits in 200 draws", len(seen))
	}
}

func TestRetryAfter(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 0, "120": 2 * time.Minute, " 5 ": 5 * time.Second, "-1": 0, "soon": 0,
		"Wed, 21 Oct 2026 07:28:00 GMT": 0, "99999999": 24 * time.Hour} {
		if got := retryAfter(v); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", v, got, want)
		}
	}
}

func TestPrintable(t *testing.T) {
	if got := printable([]byte("line one\r\nline\x00two \xff"), 200); got != "line one  line two" {
		t.Fatalf("printable = %q", got)
	}
	if got := printable([]byte("abcdef"), 3); got != "abc" {
		t.Fatalf("printable cut = %q", got)
	}
}
