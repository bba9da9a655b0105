package server

import (
	"fmt"
	"testing"
	"time"
)

// A bucket holds the burst, refills at the rate, and says how long until
// its next token.
func TestRateLimiter_tokenBucket(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	l := newRateLimiter(10, 3, clock.Now)
	for i := range 3 {
		if ok, _ := l.take("a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.take("a")
	if ok || wait != 100*time.Millisecond {
		t.Fatalf("past the burst: %v, wait %s; want refused, 100ms", ok, wait)
	}
	if ok, _ := l.take("b"); !ok {
		t.Fatal("another address refused")
	}
	clock.add(250 * time.Millisecond)
	for i := range 2 {
		if ok, _ := l.take("a"); !ok {
			t.Fatalf("refilled token %d refused", i+1)
		}
	}
	if ok, _ := l.take("a"); ok {
		t.Fatal("a third token after 250 ms at 10 a second")
	}
	clock.add(time.Hour)
	for range 3 {
		l.take("a")
	}
	if ok, _ := l.take("a"); ok {
		t.Fatal("an hour's quiet filled the bucket past its burst")
	}
}

// The limiter's memory is bounded whatever number of addresses sends.
func TestRateLimiter_boundedUnder100kAddresses(t *testing.T) {
	l := newRateLimiter(10, 10, nil)
	for i := range 100_000 {
		l.take(fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255))
		if n := len(l.buckets); n > maxRateKeys {
			t.Fatalf("%d addresses tracked, bound %d", n, maxRateKeys)
		}
	}
	if len(l.buckets) != l.order.Len() {
		t.Fatalf("%d buckets, %d in the order", len(l.buckets), l.order.Len())
	}
}
