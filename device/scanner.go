package device

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

// Scanner transports.
const (
	TransportSerial = "serial" // RS-232 or USB CDC-ACM through go.bug.st/serial
	TransportEvdev  = "evdev"  // USB HID keyboard wedge through /dev/input/event*
)

// ScannerConfig configures a barcode scanner. Only Device and OnScan are
// required; every other zero value is a working default.
type ScannerConfig struct {
	// Device is a path or a USB binding "usb:VID:PID[:SERIAL]".
	Device string `json:"device"`
	// Transport is TransportSerial (default) or TransportEvdev.
	Transport string     `json:"transport,omitempty"`
	Serial    SerialMode `json:"serial,omitempty"`
	// Suffix ends each barcode on a serial scanner; default SuffixCR.
	// Keyboard-wedge scanners end with Enter.
	Suffix Suffix `json:"suffix,omitempty"`
	// Prefix is stripped from the start of each barcode when present.
	Prefix string `json:"prefix,omitempty"`
	// MaxLen bounds a barcode in bytes; default 8192. A longer run without
	// a terminator is dropped with ErrFrameTooLong.
	MaxLen int `json:"max_len,omitempty"`
	// DedupWindow drops a repeat of the same barcode within this time of
	// the previous read; 0 keeps every read.
	DedupWindow time.Duration `json:"dedup_window,omitempty"`
	// NoGrab leaves an evdev scanner shared with the desktop. By default
	// the reader grabs it (EVIOCGRAB) so scans do not type into other
	// programs.
	NoGrab bool `json:"no_grab,omitempty"`

	// Open overrides how the device is opened (tests hand in a pipe).
	Open    Opener           `json:"-"`
	Backoff Backoff          `json:"-"`
	OnScan  func(Scan)       `json:"-"` // called for each scan from the reader goroutine; must not block
	OnError func(error)      `json:"-"` // called for a frame that could not be delivered; optional
	OnState func(State)      `json:"-"` // online/offline; optional
	Logger  *slog.Logger     `json:"-"`
	Now     func() time.Time `json:"-"` // clock for Scan.Time and dedup; default time.Now
}

// Scanner reads barcodes from one scanner and survives unplugging.
type Scanner struct {
	cfg ScannerConfig
	sup Supervisor
	log *slog.Logger
}

// NewScanner checks cfg and returns a Scanner; Run starts it.
func NewScanner(cfg ScannerConfig) (*Scanner, error) {
	if cfg.Device == "" && cfg.Open == nil {
		return nil, errors.New("scanner: no device")
	}
	if cfg.OnScan == nil {
		return nil, errors.New("scanner: no OnScan")
	}
	if cfg.MaxLen <= 0 {
		cfg.MaxLen = 8192
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if _, err := newLineSplitter(cfg.Suffix, 1); err != nil {
		return nil, fmt.Errorf("scanner %s: %w", cfg.Device, err)
	}
	s := &Scanner{cfg: cfg, log: cfg.Logger.With("device", cfg.Device, "kind", "scanner")}
	open := cfg.Open
	switch cfg.Transport {
	case "", TransportSerial:
		s.sup.Serve = s.serveSerial
		if open == nil {
			var err error
			if open, err = SerialOpener(cfg.Device, cfg.Serial); err != nil {
				return nil, fmt.Errorf("scanner: %w", err)
			}
		}
	case TransportEvdev:
		s.sup.Serve = s.serveEvdev
		if open == nil {
			var grab func(*os.File) error
			if !cfg.NoGrab {
				grab = GrabInput
			}
			open = fileOpener(cfg.Device, ClassInput, 0, grab)
		}
	default:
		return nil, fmt.Errorf("scanner %s: transport %q: want serial or evdev", cfg.Device, cfg.Transport)
	}
	s.sup.Device, s.sup.Open, s.sup.OnState = cfg.Device, open, cfg.OnState
	s.sup.Backoff, s.sup.Logger = cfg.Backoff, s.log
	return s, nil
}

// Run reads scans until ctx ends, reopening the scanner whenever it goes
// away. It returns nil when ctx ends.
func (s *Scanner) Run(ctx context.Context) error { return s.sup.Run(ctx) }

// scanSink is the end of both scanner pipelines: it gets one frame
// without its suffix, or a framing error.
type scanSink struct {
	cfg   *ScannerConfig
	log   *slog.Logger
	dedup Dedup
}

func (k *scanSink) frame(frame []byte, err error) {
	if err != nil {
		k.log.Warn("scanner frame dropped", "err", err)
		if k.cfg.OnError != nil {
			k.cfg.OnError(err)
		}
		return
	}
	sc := ParseScan(frame, k.cfg.Prefix)
	sc.Time = k.cfg.Now()
	if !k.dedup.Allow(sc) {
		k.log.Debug("duplicate scan suppressed", "data", sc.Data)
		return
	}
	k.cfg.OnScan(sc)
}

func (s *Scanner) serveSerial(ctx context.Context, rwc io.ReadWriteCloser) error {
	sp, err := newLineSplitter(s.cfg.Suffix, s.cfg.MaxLen)
	if err != nil {
		return err
	}
	sink := &scanSink{cfg: &s.cfg, log: s.log, dedup: Dedup{Window: s.cfg.DedupWindow}}
	return readFrames(rwc, sp, sink.frame)
}

func (s *Scanner) serveEvdev(ctx context.Context, rwc io.ReadWriteCloser) error {
	sink := &scanSink{cfg: &s.cfg, log: s.log, dedup: Dedup{Window: s.cfg.DedupWindow}}
	kd := newKeySplitter(s.cfg.MaxLen)
	return readFrames(rwc, newFixedSplitter(InputEventSize), func(rec []byte, _ error) {
		ev, err := ParseInputEvent(rec)
		if err != nil {
			return // cannot happen: the splitter hands out whole records
		}
		kd.event(ev, sink.frame)
	})
}
