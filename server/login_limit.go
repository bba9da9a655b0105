package server

import (
	"container/list"
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/pickwave/pickwave"
)

// Failed logins are limited, so that badges and passwords cannot be
// guessed from the floor network: a key (a remote address, an account, a
// badge) that fails LoginLimits.Failures times within LoginLimits.Window
// is locked out, first for LoginLimits.Lockout and then for twice as long
// each time it is locked out again, up to LoginLimits.MaxLockout. While
// any key of an attempt is locked out the attempt is refused without its
// credentials being checked, so the right password during a lockout is
// refused too. A successful login forgets the account's failures (not the
// address's: one good login must not reset a guesser's count).
//
// The limiter's memory is bounded: it tracks at most LoginLimits.MaxKeys
// keys and forgets the one touched longest ago to make room, so a flood of
// distinct addresses costs a fixed amount of memory. An account under
// attack is touched by every guess and so is never the oldest.

// LoginLimits configure the failed-login limiter. A zero field takes its
// default (DefaultLoginLimits).
type LoginLimits struct {
	// Failures within Window that lock a key out.
	Failures int
	// Window is how long failures are counted together.
	Window time.Duration
	// Lockout is the first lockout's length; each further lockout of the
	// same key doubles it, up to MaxLockout.
	Lockout, MaxLockout time.Duration
	// MaxKeys bounds how many keys are tracked.
	MaxKeys int
	// Now is the clock; nil means time.Now. Tests pass their own.
	Now func() time.Time
}

// DefaultLoginLimits: 5 failures in a minute lock a key out for 30 s, then
// 1, 2, 4 minutes, at most 5; 65,536 keys are tracked (a few MB).
var DefaultLoginLimits = LoginLimits{Failures: 5, Window: time.Minute, Lockout: 30 * time.Second,
	MaxLockout: 5 * time.Minute, MaxKeys: 1 << 16}

// loginLimiter counts failed logins per key; see LoginLimits.
type loginLimiter struct {
	limits LoginLimits

	mu    sync.Mutex
	keys  map[string]*list.Element // of *loginKey
	order *list.List               // least recently touched at the front
	ended chan struct{}            // closed and replaced when a checked attempt ends
}

// loginKey is what the limiter knows of one key.
type loginKey struct {
	key      string
	failures int       // within the window that began at first
	first    time.Time // the first failure counted
	lockouts int       // lockouts in a row, which set the next one's length
	until    time.Time // locked out until then
	checking int       // attempts being checked now (see begin)
}

func newLoginLimiter(l LoginLimits) *loginLimiter {
	d := DefaultLoginLimits
	if l.Failures <= 0 {
		l.Failures = d.Failures
	}
	if l.Window <= 0 {
		l.Window = d.Window
	}
	if l.Lockout <= 0 {
		l.Lockout = d.Lockout
	}
	if l.MaxLockout <= 0 {
		l.MaxLockout = d.MaxLockout
	}
	if l.MaxLockout < l.Lockout {
		l.MaxLockout = l.Lockout
	}
	if l.MaxKeys <= 0 {
		l.MaxKeys = d.MaxKeys
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	return &loginLimiter{limits: l, keys: map[string]*list.Element{}, order: list.New(), ended: make(chan struct{})}
}

// locked returns how long the longest lockout of keys has left; zero when
// none is locked out.
func (l *loginLimiter) locked(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.limits.Now()
	var wait time.Duration
	for _, k := range keys {
		if e, ok := l.keys[k]; ok {
			wait = max(wait, e.Value.(*loginKey).until.Sub(now))
		}
	}
	return wait
}

// busyWait is the pause asked of an attempt that waited longest for the
// attempts of its keys being checked to end.
const busyWait = time.Second

// maxBusyWait bounds how long begin holds an attempt in line.
const maxBusyWait = 10 * time.Second

// begin admits an attempt to be checked, or says how long to wait before
// another. An attempt counts against its keys from here until end:
// without that, a guesser sending many at once would have them all
// checked before the first failure was counted. So no more attempts of a
// key are checked at once than the failures it has left before a
// lockout; more wait in line (shift start: thirty handhelds behind one
// access point log in together) until those end, and are then admitted
// or, once the failures locked the key out, refused.
func (l *loginLimiter) begin(ctx context.Context, keys ...string) time.Duration {
	deadline := time.NewTimer(maxBusyWait)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		now := l.limits.Now()
		var wait time.Duration
		busy := false
		for _, k := range keys {
			if e, ok := l.keys[k]; ok {
				lk := e.Value.(*loginKey)
				wait = max(wait, lk.until.Sub(now))
				busy = busy || lk.recent(now, l.limits.Window)+lk.checking >= l.limits.Failures
			}
		}
		if wait > 0 {
			l.mu.Unlock()
			return wait
		}
		if !busy {
			for _, k := range keys {
				l.touch(k).checking++
			}
			l.mu.Unlock()
			return 0
		}
		ended := l.ended
		l.mu.Unlock()
		select {
		case <-ended:
		case <-deadline.C:
			return busyWait
		case <-ctx.Done():
			return busyWait
		}
	}
}

// end counts an attempt that begin admitted as done; failed counts its
// failure (see fail), else its account's failures are forgotten. Either
// way the attempts in line are told to look again.
func (l *loginLimiter) end(failed bool, keys ...string) []lockout {
	var out []lockout
	if failed {
		out = l.fail(keys...)
	}
	l.mu.Lock()
	for _, k := range keys {
		if e, ok := l.keys[k]; ok {
			if lk := e.Value.(*loginKey); lk.checking > 0 {
				lk.checking--
			}
		}
	}
	close(l.ended)
	l.ended = make(chan struct{})
	l.mu.Unlock()
	return out
}

// recent is how many failures of the key count now.
func (lk *loginKey) recent(now time.Time, window time.Duration) int {
	if lk.failures == 0 || now.Sub(lk.first) > window {
		return 0
	}
	return lk.failures
}

// lockout is a key that a failure locked out.
type lockout struct {
	key  string
	wait time.Duration
}

// fail counts a failed login against each key and returns the keys it
// locked out.
func (l *loginLimiter) fail(keys ...string) []lockout {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.limits.Now()
	var out []lockout
	for _, k := range keys {
		lk := l.touch(k)
		if lk.failures == 0 || now.Sub(lk.first) > l.limits.Window {
			// A quiet spell as long as the longest lockout forgives
			// the lockouts before it.
			if !lk.until.IsZero() && now.Sub(lk.until) > l.limits.MaxLockout {
				lk.lockouts = 0
			}
			lk.failures, lk.first = 0, now
		}
		lk.failures++
		if lk.failures < l.limits.Failures {
			continue
		}
		d := l.limits.MaxLockout
		if lk.lockouts < 30 { // beyond, the shift overflows
			d = min(l.limits.Lockout<<lk.lockouts, l.limits.MaxLockout)
		}
		lk.lockouts++
		lk.failures = 0
		lk.until = now.Add(d)
		out = append(out, lockout{key: k, wait: d})
	}
	return out
}

// succeed forgets the failures of key.
func (l *loginLimiter) succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.keys[key]
	if !ok {
		return
	}
	if lk := e.Value.(*loginKey); lk.checking > 0 {
		*lk = loginKey{key: key, checking: lk.checking} // others still being checked
		return
	}
	l.order.Remove(e)
	delete(l.keys, key)
}

// touch returns the record of key, made the most recently touched, adding
// it (and forgetting the oldest when full) when it is new. The caller
// holds l.mu.
func (l *loginLimiter) touch(key string) *loginKey {
	if e, ok := l.keys[key]; ok {
		l.order.MoveToBack(e)
		return e.Value.(*loginKey)
	}
	for len(l.keys) >= l.limits.MaxKeys {
		oldest := l.order.Front()
		l.order.Remove(oldest)
		delete(l.keys, oldest.Value.(*loginKey).key)
	}
	lk := &loginKey{key: key}
	l.keys[key] = l.order.PushBack(lk)
	return lk
}

// size is how many keys are tracked.
func (l *loginLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// The reasons of pickwave_login_refused_total: a fixed set, so the
// metric's labels stay bounded whatever is sent.
const (
	refusedBadCredentials = "bad_credentials"
	refusedLockedOut      = "locked_out"
)

// loginAttempt is one login to check: where from and as whom.
type loginAttempt struct {
	remote  string // the remote address's host
	account string // "user:NAME" or "badge:BADGE"
}

// accountKey bounds what a login names to a key: no user name or badge is
// longer, so clipping only ever merges keys that cannot log in anyway.
func accountKey(kind, name string) string {
	return kind + ":" + truncate(name, 2*pickwave.MaxCodeLen)
}

// remoteHost is the host of a request's remote address. Forwarding
// headers are not trusted: a guesser would write a new address into each
// request.
func remoteHost(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

// guardLogin runs login unless the attempt's address or account is locked
// out, and counts its failure. A refused attempt gets an ETOOMANY error
// whose message says when to try again, and the wait itself for the
// Retry-After header; its credentials are not checked.
func (s *Server) guardLogin(ctx context.Context, a loginAttempt, login func() (string, *pickwave.Session, error)) (string, *pickwave.Session, time.Duration, error) {
	keys := []string{"addr:" + a.remote, a.account}
	if wait := s.logins.begin(ctx, keys...); wait > 0 {
		s.metrics.loginsRefused.WithLabelValues(refusedLockedOut).Inc()
		secs := int((wait + time.Second - 1) / time.Second)
		return "", nil, time.Duration(secs) * time.Second, &pickwave.Error{Code: pickwave.ETOOMANY,
			Message: fmt.Sprintf("Too many failed logins: try again in %d seconds.", secs),
			Details: retryDetails{RetryAfter: secs}}
	}
	token, sess, err := login()
	if err == nil {
		s.logins.end(false, keys...)
		s.logins.succeed(a.account)
		return token, sess, 0, nil
	}
	failed := pickwave.ErrorCode(err) == pickwave.EUNAUTHORIZED
	lockouts := s.logins.end(failed, keys...)
	if failed {
		s.metrics.loginsRefused.WithLabelValues(refusedBadCredentials).Inc()
		for _, lo := range lockouts {
			// The key names the address or the account (a user name or
			// badge tried); never the password.
			s.logger.Warn("login locked out after failures", "key", lo.key, "remote", a.remote, "for", lo.wait)
		}
	}
	return "", nil, 0, err
}

// retryDetails are the details of an ETOOMANY error.
type retryDetails struct {
	RetryAfter int `json:"retry_after_s"`
}
