package device

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// scannerRig is a station scanner reading a simulated scanner through a
// real pty opened with go.bug.st/serial.
type scannerRig struct {
	sim    *ScannerSim
	scans  chan Scan
	errs   chan error
	states chan State
	stop   func()
}

func newScannerRig(t *testing.T, cfg ScannerConfig, sim ScannerSimConfig) *scannerRig {
	t.Helper()
	s, err := NewScannerSim(ptyPath(t, "scanner"), sim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r := &scannerRig{sim: s, scans: make(chan Scan, 100), errs: make(chan error, 100)}
	var onState func(State)
	r.states, onState = states()
	cfg.Device = s.Path()
	cfg.OnScan = func(sc Scan) { r.scans <- sc }
	cfg.OnError = func(err error) { r.errs <- err }
	cfg.OnState = onState
	cfg.Logger = quietLogger()
	sc, err := NewScanner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.stop = run(t, sc)
	awaitState(t, r.states, true, 2*time.Second)
	return r
}

func (r *scannerRig) write(t *testing.T, b string) {
	t.Helper()
	if _, err := r.sim.Write([]byte(b)); err != nil {
		t.Fatal(err)
	}
}

func (r *scannerRig) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		sc := recv(t, r.scans, 2*time.Second, "scan "+w)
		if got := sc.Symbology + sc.Data; got != w {
			t.Fatalf("scan %q, want %q", got, w)
		}
	}
}

func TestScanner_PTY_Frames(t *testing.T) {
	r := newScannerRig(t, ScannerConfig{Suffix: SuffixCR}, ScannerSimConfig{})
	t.Run("normal", func(t *testing.T) {
		if err := r.sim.Scan("4006381333931"); err != nil {
			t.Fatal(err)
		}
		r.expect(t, "4006381333931")
	})
	t.Run("aim and gs", func(t *testing.T) {
		r.sim.Scan("]d2011231231231233310ABC123\x1d99TESTING")
		sc := recv(t, r.scans, 2*time.Second, "gs1 scan")
		if sc.Symbology != "]d2" || sc.Data != "011231231231233310ABC123\x1d99TESTING" || !sc.GS1() {
			t.Fatalf("got %+v", sc)
		}
	})
	t.Run("split", func(t *testing.T) {
		for _, piece := range []string{"]C1", "0101234", "5678901", "2\r"} {
			r.write(t, piece)
		}
		r.expect(t, "]C1010123456789012")
	})
	t.Run("merged", func(t *testing.T) {
		r.write(t, "AAA\rBBB\rCCC\r")
		r.expect(t, "AAA", "BBB", "CCC")
	})
	t.Run("stray terminators between frames", func(t *testing.T) {
		r.write(t, "\r\n\r\r\nDDD\r\n\r\n")
		r.expect(t, "DDD")
		noValue(t, r.scans, 20*time.Millisecond)
	})
}

func TestScanner_PTY_PrefixSuffixDedup(t *testing.T) {
	r := newScannerRig(t,
		ScannerConfig{Suffix: SuffixCRLF, Prefix: "#", DedupWindow: time.Hour},
		ScannerSimConfig{Suffix: SuffixCRLF, Prefix: "#"})
	r.sim.Scan("]E04006381333931")
	r.sim.Scan("]E04006381333931") // double read: suppressed
	r.sim.Scan("12345")
	r.expect(t, "]E04006381333931", "12345")
	noValue(t, r.scans, 20*time.Millisecond)
}

// TestScanner_PTY_LongLine sends a 1 MB line without a terminator: the
// reader reports ErrFrameTooLong once, holds no more than MaxLen, and
// delivers the next barcode after the next terminator.
func TestScanner_PTY_LongLine(t *testing.T) {
	r := newScannerRig(t, ScannerConfig{MaxLen: 4096}, ScannerSimConfig{})
	junk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	done := make(chan error, 1)
	go func() {
		_, err := r.sim.Write(junk)
		done <- err
	}()
	err := recv(t, r.errs, 5*time.Second, "frame-too-long error")
	if !errors.Is(err, ErrFrameTooLong) || !strings.Contains(err.Error(), "4096") {
		t.Fatalf("error %v, want ErrFrameTooLong naming the limit", err)
	}
	t.Logf("reader said: %v", err)
	if err := recv(t, done, 10*time.Second, "1 MiB write"); err != nil {
		t.Fatal(err)
	}
	r.write(t, "\rAFTER\r")
	r.expect(t, "AFTER")
	runtime.ReadMemStats(&after)
	// The 1 MiB passed through a 4 KiB read buffer; allow slack for the
	// runtime and the test itself, far below the line's size.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 512<<10 {
		t.Errorf("allocated %d KiB while reading a 1 MiB line", grew>>10)
	}
	noValue(t, r.errs, 20*time.Millisecond)
}

// TestScanner_PTY_Replug unplugs the scanner (closes the pty pair, the
// link disappears) and plugs it back (a new pty behind the same link):
// the station must be back in service within 2 s.
func TestScanner_PTY_Replug(t *testing.T) {
	r := newScannerRig(t, ScannerConfig{}, ScannerSimConfig{})
	r.sim.Scan("BEFORE")
	r.expect(t, "BEFORE")
	var worst time.Duration
	// The last one stays away long enough for the backoff to reach its
	// 1 s cap: the worst case.
	for i, away := range []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond, 2500 * time.Millisecond} {
		if err := r.sim.Unplug(); err != nil {
			t.Fatal(err)
		}
		st := awaitState(t, r.states, false, 2*time.Second)
		if st.Err == nil {
			t.Error("offline state without a reason")
		}
		// Stay away a varying while so replug lands at different points
		// of the backoff.
		awayUntil := time.Now().Add(away)
		waitFor(t, away+time.Second, "time away", func() bool { return !time.Now().Before(awayUntil) })
		start := time.Now()
		if err := r.sim.Replug(); err != nil {
			t.Fatal(err)
		}
		awaitState(t, r.states, true, 2*time.Second)
		r.sim.Scan("AFTER")
		r.expect(t, "AFTER")
		took := time.Since(start)
		worst = max(worst, took)
		t.Logf("replug %d (away %v): back in service after %v", i, away, took.Round(time.Millisecond))
	}
	if worst > 2*time.Second {
		t.Errorf("worst reconnect %v, want ≤ 2 s", worst)
	}
}

// TestScanner_NoDevice checks a scanner whose path does not exist yet
// reports offline and comes online when the device appears.
func TestScanner_NoDevice(t *testing.T) {
	path := ptyPath(t, "later")
	ch, onState := states()
	scans := make(chan Scan, 10)
	sc, err := NewScanner(ScannerConfig{Device: path, OnScan: func(s Scan) { scans <- s },
		OnState: onState, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	run(t, sc)
	st := awaitState(t, ch, false, 2*time.Second)
	if !errors.Is(st.Err, os.ErrNotExist) {
		t.Errorf("offline because %v, want not-exist", st.Err)
	}
	sim, err := NewScannerSim(path, ScannerSimConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	awaitState(t, ch, true, 2*time.Second)
	sim.Scan("HELLO")
	if s := recv(t, scans, 2*time.Second, "scan"); s.Data != "HELLO" {
		t.Fatalf("got %+v", s)
	}
}

func TestNewScanner_Invalid(t *testing.T) {
	ok := func(Scan) {}
	for name, cfg := range map[string]ScannerConfig{
		"no device":     {OnScan: ok},
		"no callback":   {Device: "/dev/null"},
		"bad suffix":    {Device: "/dev/null", OnScan: ok, Suffix: "semicolon"},
		"bad transport": {Device: "/dev/null", OnScan: ok, Transport: "bluetooth"},
		"bad parity":    {Device: "/dev/null", OnScan: ok, Serial: SerialMode{Parity: "sometimes"}},
	} {
		if _, err := NewScanner(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestConfigJSON checks the configs can live in a config file.
func TestConfigJSON(t *testing.T) {
	for _, v := range []any{
		ScannerConfig{Device: "usb:05E0:1200", Suffix: SuffixCRLF, DedupWindow: time.Second, OnScan: func(Scan) {}},
		ScaleConfig{Device: "/dev/ttyUSB0", Protocol: ProtocolNCI, Serial: SerialMode{Baud: 9600, DataBits: 7, Parity: "even"}, OnReading: func(Reading) {}},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		t.Logf("%s", b)
	}
	if s := (SerialMode{DataBits: 7, Parity: "even"}).String(); s != "9600 7E1" {
		t.Errorf("mode %q", s)
	}
}
