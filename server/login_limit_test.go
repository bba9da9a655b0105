package server

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestLoginLimiter_backsOffExponentially(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	l := newLoginLimiter(LoginLimits{Now: clock.Now})
	failN := func(n int) []lockout {
		var out []lockout
		for range n {
			out = append(out, l.fail("addr:10.0.0.9", "user:admin")...)
		}
		return out
	}
	for i, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute} {
		if lo := failN(4); len(lo) != 0 || l.locked("user:admin") != 0 {
			t.Fatalf("round %d: 4 failures locked %v", i+1, lo)
		}
		lo := failN(1)
		if len(lo) != 2 || lo[0].wait != want || lo[1].wait != want {
			t.Fatalf("lockout %d: %+v, want %s for both keys", i+1, lo, want)
		}
		if got := l.locked("user:admin"); got != want {
			t.Fatalf("lockout %d: locked for %s, want %s", i+1, got, want)
		}
		if l.locked("user:other") != 0 {
			t.Fatal("another account is locked out")
		}
		clock.add(want)
		if got := l.locked("addr:10.0.0.9", "user:admin"); got != 0 {
			t.Fatalf("after the lockout still locked for %s", got)
		}
	}
	// A success forgets the account's failures and lockouts, not the address's.
	failN(4)
	l.succeed("user:admin")
	if lo := l.fail("user:admin"); len(lo) != 0 {
		t.Fatalf("a failure after a success locked %v", lo)
	}
	if lo := l.fail("addr:10.0.0.9"); len(lo) != 1 || lo[0].wait != 5*time.Minute {
		t.Fatalf("the address's count was reset: %+v", lo)
	}
	// A quiet spell forgives past lockouts.
	clock.add(time.Hour)
	if lo := failN(5); len(lo) != 2 || lo[0].wait != 30*time.Second {
		t.Fatalf("after an hour's quiet: %+v", lo)
	}
}

func TestLoginLimiter_failuresOutsideTheWindowDoNotAddUp(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	l := newLoginLimiter(LoginLimits{Now: clock.Now})
	for range 20 {
		if lo := l.fail("user:pat"); len(lo) != 0 {
			t.Fatalf("slow failures locked out: %+v", lo)
		}
		clock.add(16 * time.Second) // four a minute
	}
}

func TestLoginLimiter_boundedUnder100kAddresses(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	l := newLoginLimiter(LoginLimits{Now: clock.Now})
	for i := range 100_000 {
		l.fail(fmt.Sprintf("addr:10.%d.%d.%d", i>>16, i>>8&255, i&255), "badge:B0001")
		if n := l.size(); n > DefaultLoginLimits.MaxKeys {
			t.Fatalf("%d keys tracked after %d addresses, want at most %d", n, i+1, DefaultLoginLimits.MaxKeys)
		}
	}
	if l.size() != DefaultLoginLimits.MaxKeys {
		t.Fatalf("%d keys tracked, want the cap %d", l.size(), DefaultLoginLimits.MaxKeys)
	}
	// The badge under attack is touched by every guess: never evicted.
	if l.locked("badge:B0001") == 0 {
		t.Fatal("the guessed badge is not locked out")
	}
	if l.locked("addr:10.0.0.0") != 0 {
		t.Fatal("the oldest address was not evicted")
	}
}
