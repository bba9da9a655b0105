package device

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Scale protocols.
const (
	ProtocolMTSICS           = "mt-sics"           // Mettler Toledo MT-SICS, polled SI or streamed SIR
	ProtocolNCI              = "nci"               // NCI / Avery Weigh-Tronix SCP-01, polled W<CR>
	ProtocolToledo           = "toledo"            // Toledo 8217, polled W (7E1)
	ProtocolToledoContinuous = "toledo-continuous" // Toledo continuous output, STX + status words
	ProtocolASCII            = "ascii"             // any streamed text line, parsed by a regexp
	ProtocolHID              = "hid"               // USB HID POS scale through /dev/hidraw*
)

type scaleCmd int

const (
	cmdZero scaleCmd = iota
	cmdTare
	cmdClearTare
)

func (c scaleCmd) String() string { return [...]string{"zero", "tare", "clear tare"}[c] }

// scaleMsg is what a protocol makes of one frame.
type scaleMsg struct {
	reading    Reading
	hasReading bool
	reply      string // the request this answers ("S", "W", "Z"…); "" unsolicited
	err        error  // the device refused the request it answers
	general    bool   // err answers whatever request is pending (MT-SICS ES/ET/EL, NCI ?)
	bad        error  // the frame could not be parsed
}

// scaleProtocol is what a Scale needs from a protocol. Parsing is pure.
type scaleProtocol interface {
	splitter() splitter
	start() []byte                                            // sent once a session opens; nil for none
	poll() (req []byte, reply string)                         // the weight request; nil for streaming scales
	command(c scaleCmd) (req []byte, reply string, err error) // reply "" when the scale sends none
	parse(frame []byte) scaleMsg
}

// ScaleConfig configures a scale. Device, Protocol and OnReading are
// required; every other zero value is a working default.
type ScaleConfig struct {
	// Device is a path or a USB binding "usb:VID:PID[:SERIAL]".
	Device string `json:"device"`
	// Protocol is one of the Protocol constants.
	Protocol string `json:"protocol"`
	// Serial is the line setting (serial protocols). MT-SICS defaults to
	// 9600 8N1; Toledo and NCI scales are usually 9600 7E1.
	Serial SerialMode `json:"serial,omitempty"`
	// Unit is the unit of protocols that do not send one (Toledo 8217) and
	// the default for ASCII lines without a unit group; default "kg".
	Unit string `json:"unit,omitempty"`
	// PollInterval is how often a polled scale is asked; default 100 ms.
	PollInterval time.Duration `json:"poll_interval,omitempty"`
	// ReplyTimeout is how long to wait for an answer to a poll; default 1 s.
	ReplyTimeout time.Duration `json:"reply_timeout,omitempty"`
	// Stream makes an MT-SICS scale send every weight change by itself
	// (SIR) instead of being polled.
	Stream bool `json:"stream,omitempty"`
	// Checksum says a Toledo continuous scale sends a checksum byte after
	// CR (formats 2 and 3).
	Checksum bool `json:"checksum,omitempty"`
	// ASCII configures ProtocolASCII.
	ASCII ASCIIConfig `json:"ascii,omitempty"`
	// Stable decides stability for readings that carry no stable/motion
	// flag (ASCII lines without one).
	Stable StableDetector `json:"-"`

	// Open overrides how the device is opened (tests hand in a pipe).
	Open      Opener           `json:"-"`
	Backoff   Backoff          `json:"-"`
	OnReading func(Reading)    `json:"-"` // every reading, from the session goroutine; must not block
	OnError   func(error)      `json:"-"` // frames that could not be parsed; optional
	OnState   func(State)      `json:"-"` // online/offline; optional
	Logger    *slog.Logger     `json:"-"`
	Now       func() time.Time `json:"-"` // clock for Reading.Time and stability; default time.Now
}

// Scale reads weights from one scale, polls it when its protocol needs
// that, sends zero and tare commands, and survives unplugging.
type Scale struct {
	cfg    ScaleConfig
	proto  scaleProtocol
	sup    Supervisor
	log    *slog.Logger
	cmds   chan *scaleRequest
	online atomic.Bool

	mu     sync.Mutex
	last   Reading
	hasAny bool
	stable StableDetector
}

type scaleRequest struct {
	cmd  scaleCmd
	done chan error // buffered: the session never blocks on it
}

// NewScale checks cfg and returns a Scale; Run starts it.
func NewScale(cfg ScaleConfig) (*Scale, error) {
	if cfg.Device == "" && cfg.Open == nil {
		return nil, errors.New("scale: no device")
	}
	if cfg.OnReading == nil {
		return nil, errors.New("scale: no OnReading")
	}
	if cfg.Unit == "" {
		cfg.Unit = "kg"
	}
	if _, err := toGrams(1, cfg.Unit); err != nil {
		return nil, fmt.Errorf("scale %s: %w", cfg.Device, err)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 100 * time.Millisecond
	}
	if cfg.ReplyTimeout <= 0 {
		cfg.ReplyTimeout = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Scale{cfg: cfg, cmds: make(chan *scaleRequest), stable: cfg.Stable}
	s.log = cfg.Logger.With("device", cfg.Device, "kind", "scale", "protocol", cfg.Protocol)
	var err error
	open := cfg.Open
	switch cfg.Protocol {
	case ProtocolMTSICS:
		s.proto = mtsics{stream: cfg.Stream}
	case ProtocolNCI:
		s.proto = nci{}
	case ProtocolToledo:
		s.proto = toledo{unit: cfg.Unit}
	case ProtocolToledoContinuous:
		s.proto = toledoContinuous{checksum: cfg.Checksum}
	case ProtocolASCII:
		var p *ASCIIParser
		if p, err = NewASCIIParser(cfg.ASCII.Pattern, cfg.Unit); err != nil {
			return nil, fmt.Errorf("scale %s: %w", cfg.Device, err)
		}
		s.proto = asciiProto{p: p, cfg: cfg.ASCII}
	case ProtocolHID:
		s.proto = hidScale{}
		if open == nil {
			open = fileOpener(cfg.Device, ClassHidraw, os.O_RDWR, nil)
		}
	default:
		return nil, fmt.Errorf("scale %s: protocol %q: want mt-sics, nci, toledo, toledo-continuous, ascii or hid", cfg.Device, cfg.Protocol)
	}
	if open == nil {
		if open, err = SerialOpener(cfg.Device, cfg.Serial); err != nil {
			return nil, fmt.Errorf("scale: %w", err)
		}
	}
	s.sup = Supervisor{Device: cfg.Device, Open: open, Serve: s.serve, Backoff: cfg.Backoff, Logger: s.log}
	s.sup.OnState = func(st State) {
		s.online.Store(st.Online)
		if cfg.OnState != nil {
			cfg.OnState(st)
		}
	}
	return s, nil
}

// Run reads the scale until ctx ends, reopening it whenever it goes away.
// It returns nil when ctx ends.
func (s *Scale) Run(ctx context.Context) error { return s.sup.Run(ctx) }

// Last returns the latest reading, and false before the first one.
func (s *Scale) Last() (Reading, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.hasAny
}

// Zero sets the scale's zero point. It returns when the scale confirms
// (MT-SICS, NCI), or once the command is sent to scales that do not
// answer. Errors: ErrOffline (code unavailable) when the scale is not
// connected, *ReplyError when it refuses (e.g. "Z I", not stable),
// ErrNoReply, ErrUnsupported, or ctx's error.
func (s *Scale) Zero(ctx context.Context) error { return s.do(ctx, cmdZero) }

// Tare takes the current weight as tare, so readings become net. Errors as
// for Zero; HID and NCI scales return ErrUnsupported.
func (s *Scale) Tare(ctx context.Context) error { return s.do(ctx, cmdTare) }

// ClearTare removes the tare. Errors as for Zero.
func (s *Scale) ClearTare(ctx context.Context) error { return s.do(ctx, cmdClearTare) }

func (s *Scale) do(ctx context.Context, c scaleCmd) error {
	if _, _, err := s.proto.command(c); err != nil {
		return fmt.Errorf("scale %s: %s: %w", s.cfg.Device, c, err)
	}
	if !s.online.Load() {
		return unavailable(ErrOffline, "scale %s: %s", s.cfg.Device, c)
	}
	req := &scaleRequest{cmd: c, done: make(chan error, 1)}
	// The scale may have gone away since the check above: give up if no
	// session takes the command soon.
	wait := time.NewTimer(s.cfg.ReplyTimeout + s.cfg.PollInterval)
	defer wait.Stop()
	select {
	case s.cmds <- req:
	case <-wait.C:
		return unavailable(ErrOffline, "scale %s: %s", s.cfg.Device, c)
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		if err != nil {
			return fmt.Errorf("scale %s: %s: %w", s.cfg.Device, c, err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// emit stamps, completes and delivers one reading.
func (s *Scale) emit(r Reading) {
	r.Time = s.cfg.Now()
	s.mu.Lock()
	r = s.stable.Add(r)
	s.last, s.hasAny = r, true
	s.mu.Unlock()
	s.cfg.OnReading(r)
}

func (s *Scale) badFrame(err error) {
	s.log.Warn("scale frame dropped", "err", err)
	if s.cfg.OnError != nil {
		s.cfg.OnError(err)
	}
}

// serve runs one session: this goroutine reads and parses frames, a
// second one (control) writes polls and commands and matches replies.
func (s *Scale) serve(ctx context.Context, rwc io.ReadWriteCloser) error {
	ctx, cancel := context.WithCancel(ctx)
	msgs := make(chan scaleMsg, 16)
	var ctlErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer cancel()
		if ctlErr = s.control(ctx, rwc, msgs); ctlErr != nil {
			rwc.Close() // interrupts the read below
		}
	})
	sp := s.proto.splitter()
	err := readFrames(rwc, sp, func(frame []byte, err error) {
		if err != nil {
			s.badFrame(err)
			return
		}
		m := s.proto.parse(frame)
		if m.bad != nil {
			s.badFrame(m.bad)
			return
		}
		select {
		case msgs <- m:
		case <-ctx.Done():
		}
	})
	cancel()
	wg.Wait()
	if ctlErr != nil {
		return ctlErr
	}
	return err
}

// control owns the write side of a session: the start command, polls,
// commands, and which request a reply answers. One request is outstanding
// at a time, so a slow scale is never flooded.
func (s *Scale) control(ctx context.Context, w io.Writer, msgs <-chan scaleMsg) error {
	type pending struct {
		reply    string
		req      *scaleRequest // nil for a poll
		deadline time.Time
	}
	var cur *pending
	silent := false
	finish := func(err error) {
		if cur != nil && cur.req != nil {
			cur.req.done <- err
		}
		cur = nil
	}
	defer func() { finish(ErrOffline) }()
	write := func(b []byte) error {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("write to scale: %w", err)
		}
		return nil
	}
	if b := s.proto.start(); b != nil {
		if err := write(b); err != nil {
			return err
		}
	}
	tick := time.NewTicker(min(s.cfg.PollInterval, 100*time.Millisecond))
	defer tick.Stop()
	nextPoll := time.Now()
	for {
		var cmds chan *scaleRequest
		if cur == nil {
			cmds = s.cmds // take a command only between requests
		}
		select {
		case <-ctx.Done():
			return nil
		case m := <-msgs:
			silent = false
			if m.hasReading {
				s.emit(m.reading)
			}
			switch {
			case cur == nil:
				if m.err != nil {
					s.log.Warn("scale reply to no request", "err", m.err)
				}
			case m.general || m.reply == cur.reply:
				if cur.req == nil && m.general {
					s.emit(m.reading)
				}
				wasCmd := cur.req != nil
				finish(m.err)
				if wasCmd && s.proto.start() != nil {
					// A command ends MT-SICS streaming; start it again.
					if err := write(s.proto.start()); err != nil {
						return err
					}
				}
			}
		case req := <-cmds:
			b, reply, err := s.proto.command(req.cmd)
			if err != nil {
				req.done <- err
				continue
			}
			if err := write(b); err != nil {
				req.done <- unavailable(err, "scale %s", s.cfg.Device)
				return err
			}
			if reply == "" {
				req.done <- nil
				continue
			}
			cur = &pending{reply: reply, req: req, deadline: time.Now().Add(max(s.cfg.ReplyTimeout, 5*time.Second))}
		case now := <-tick.C:
			if cur != nil && now.After(cur.deadline) {
				if cur.req == nil && !silent {
					silent = true
					s.emit(Reading{Flags: FlagError, Message: "no reply from scale"})
				}
				finish(ErrNoReply)
			}
			req, reply := s.proto.poll()
			if cur != nil || req == nil || now.Before(nextPoll) {
				continue
			}
			if err := write(req); err != nil {
				return err
			}
			nextPoll = now.Add(s.cfg.PollInterval - time.Millisecond)
			cur = &pending{reply: reply, deadline: now.Add(s.cfg.ReplyTimeout)}
		}
	}
}
