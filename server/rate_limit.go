package server

import (
	"container/list"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
)

// API requests are limited per remote address, so that one host flooding
// the API (a runaway integration, a script in a loop, an attacker on the
// floor network) cannot take the CPU that handhelds' scans need: on a
// small floor server every API answer is computed on the same two cores
// as every verdict. Each address has a token bucket of APIRate requests
// a second, holding at most APIBurst; a request that finds it empty is
// refused at once with 429 too_many_requests and a Retry-After saying
// when the next token comes, before authentication and before its body
// is read, which costs a few microseconds. Websockets, /healthz and
// /metrics are not limited: the handheld and station sockets have their
// own login limits and connection caps.
//
// The limiter's memory is bounded like the login limiter's: at most
// maxRateKeys addresses are tracked, and the one seen longest ago makes
// room (a full bucket is all it knew).

// Default per-address API limits: far above what a supervisor's browser,
// a pack station or an order feed sends, far below what one host's loop
// can ask.
const (
	DefaultAPIRate  = 100 // requests a second per address
	DefaultAPIBurst = 200
)

// maxRateKeys bounds the addresses the limiter tracks.
const maxRateKeys = 1 << 16

// rateLimiter is a token bucket per address.
type rateLimiter struct {
	rate  float64 // tokens a second
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*list.Element // of *bucket
	order   *list.List               // least recently seen at the front
}

type bucket struct {
	key    string
	tokens float64
	at     time.Time // when tokens was right
}

func newRateLimiter(rate, burst int, now func() time.Time) *rateLimiter {
	if now == nil {
		now = time.Now
	}
	return &rateLimiter{rate: float64(rate), burst: float64(max(burst, 1)), now: now,
		buckets: map[string]*list.Element{}, order: list.New()}
}

// take takes a token from key's bucket, and when there is none says how
// long until there is.
func (l *rateLimiter) take(key string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var b *bucket
	if e, found := l.buckets[key]; found {
		l.order.MoveToBack(e)
		b = e.Value.(*bucket)
		b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
		b.at = now
	} else {
		if l.order.Len() >= maxRateKeys {
			oldest := l.order.Front()
			l.order.Remove(oldest)
			delete(l.buckets, oldest.Value.(*bucket).key)
		}
		b = &bucket{key: key, tokens: l.burst, at: now}
		l.buckets[key] = l.order.PushBack(b)
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// limitRate refuses an API request from an address whose bucket is empty.
func (s *Server) limitRate(c *gin.Context) {
	if s.rates == nil {
		c.Next()
		return
	}
	ok, wait := s.rates.take(remoteHost(c.Request.RemoteAddr))
	if ok {
		c.Next()
		return
	}
	s.metrics.shed.WithLabelValues("rate").Inc()
	secs := max(1, int(math.Ceil(wait.Seconds())))
	c.Header("Retry-After", strconv.Itoa(secs))
	// The body is left unread; net/http then closes the connection
	// rather than read a large body to reuse it.
	s.fail(c, &pickwave.Error{Code: pickwave.ETOOMANY,
		Message: fmt.Sprintf("Too many requests from this address (at most %d a second): nothing was done. Try again in %d s.", int(s.rates.rate), secs),
		Details: retryDetails{RetryAfter: secs}})
}
