package device

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime/debug"
	"time"
)

// Backoff spaces out retries: Min after the first failure, doubling up to
// Max. It is pure; the caller counts attempts and waits.
type Backoff struct {
	Min time.Duration // first delay; 0 means 100 ms
	Max time.Duration // largest delay; 0 means 1 s
}

// Delay returns how long to wait before retry number attempt (0-based).
func (b Backoff) Delay(attempt int) time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = 100 * time.Millisecond
	}
	if hi <= 0 {
		hi = time.Second
	}
	if hi < lo {
		hi = lo
	}
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}

// Wait sleeps for Delay(attempt) or until ctx ends, returning ctx.Err()
// in that case.
func (b Backoff) Wait(ctx context.Context, attempt int) error {
	t := time.NewTimer(b.Delay(attempt))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// State is a device's connection state, reported on every change.
type State struct {
	Device string    `json:"device"`          // the configured binding: a path or usb:VID:PID[:SERIAL]
	Online bool      `json:"online"`          // the device is open and its reader running
	Err    error     `json:"-"`               // why it went offline; nil when online or stopped
	Reason string    `json:"error,omitempty"` // Err as text, for JSON
	Since  time.Time `json:"since"`
}

// Supervisor owns one device: it opens it, runs a reader on it, reports
// online and offline, and when the reader fails (unplug: read error, EOF,
// the path gone) closes it and reopens it with backoff until ctx ends.
// The default backoff (100 ms doubling to 1 s) puts a device back in
// service at most about a second after it returns.
type Supervisor struct {
	Device string // for State and logs
	Open   Opener
	// Serve runs one session on an open device and returns when reading
	// fails. It may close rwc to end the session early; the Supervisor
	// closes rwc when Serve returns and when ctx ends, which is how a
	// blocked read is interrupted.
	Serve   func(ctx context.Context, rwc io.ReadWriteCloser) error
	OnState func(State) // called from the Run goroutine; must not block
	Backoff Backoff
	// Logger receives online/offline logs; nil means slog.Default() with
	// a "device" attribute. A logger given here should already name the
	// device (Scanner and Scale pass theirs), so it is used as it is.
	Logger *slog.Logger
}

// Run supervises the device until ctx ends, then returns nil. It leaves no
// goroutine or file descriptor behind.
func (s *Supervisor) Run(ctx context.Context) error {
	log := s.Logger
	if log == nil {
		log = slog.Default().With("device", s.Device)
	}
	online := false
	reported := false
	report := func(on bool, err error) {
		if reported && on == online {
			return // one report per change: not one per failed open
		}
		online, reported = on, true
		st := State{Device: s.Device, Online: on, Err: err, Since: time.Now()}
		if err != nil {
			st.Reason = err.Error()
		}
		if on {
			log.Info("device online")
		} else if err != nil {
			log.Warn("device offline", "err", err)
		}
		if s.OnState != nil {
			s.OnState(st)
		}
	}
	attempt := 0
	for ctx.Err() == nil {
		rwc, err := s.Open(ctx)
		if err != nil {
			report(false, err)
			log.Debug("open failed", "err", err, "attempt", attempt)
			if s.Backoff.Wait(ctx, attempt) != nil {
				break
			}
			attempt++
			continue
		}
		attempt = 0
		report(true, nil)
		err = s.session(ctx, rwc, log)
		if ctx.Err() != nil {
			break
		}
		if err == nil {
			err = io.EOF
		}
		report(false, err)
		// A device that opens but fails at once must not spin.
		if s.Backoff.Wait(ctx, 0) != nil {
			break
		}
	}
	if online {
		report(false, nil)
	}
	return nil
}

// session runs Serve on rwc and closes rwc however Serve ends.
func (s *Supervisor) session(ctx context.Context, rwc io.ReadWriteCloser, log *slog.Logger) (err error) {
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		rwc.Close()
		close(closed)
	})
	defer func() {
		if stop() {
			rwc.Close()
		} else {
			<-closed
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			log.Error("device reader panicked", "panic", r, "stack", string(debug.Stack()))
			err = errors.New("device reader panicked")
		}
	}()
	return s.Serve(ctx, rwc)
}
