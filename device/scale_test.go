package device

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

// scaleRig is a station Scale reading a device through a real pty opened
// with go.bug.st/serial.
type scaleRig struct {
	scale    *Scale
	readings chan Reading
	errs     chan error
	states   chan State
}

func newScaleRig(t testing.TB, cfg ScaleConfig) *scaleRig {
	t.Helper()
	r := &scaleRig{readings: make(chan Reading, 1000), errs: make(chan error, 100)}
	var onState func(State)
	r.states, onState = states()
	cfg.OnReading = func(rd Reading) {
		select {
		case r.readings <- rd:
		default: // a benchmark may not read them all
		}
	}
	cfg.OnError = func(err error) { r.errs <- err }
	cfg.OnState = onState
	cfg.Logger = quietLogger()
	s, err := NewScale(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.scale = s
	run(t, s)
	return r
}

// until waits for a reading that match accepts.
func (r *scaleRig) until(t testing.TB, what string, match func(Reading) bool) Reading {
	t.Helper()
	return recvUntil(t, r.readings, 3*time.Second, what, match)
}

func grams(g float64) func(Reading) bool {
	return func(r Reading) bool { return r.HasWeight() && math.Abs(r.Grams-g) < 0.01 }
}

func stableGrams(g float64) func(Reading) bool {
	return func(r Reading) bool { return r.Stable() && math.Abs(r.Grams-g) < 0.01 }
}

func flagged(f Flags) func(Reading) bool {
	return func(r Reading) bool { return r.Flags&f == f }
}

// newSimScale starts a simulated scale and a station Scale on it.
func newSimScale(t *testing.T, sim ScaleSimConfig, cfg ScaleConfig) (*ScaleSim, *scaleRig) {
	t.Helper()
	s, err := NewScaleSim(ptyPath(t, "scale"), sim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg.Device, cfg.Protocol = s.Path(), sim.Protocol
	r := newScaleRig(t, cfg)
	awaitState(t, r.states, true, 2*time.Second)
	return s, r
}

func TestScale_MTSICS_Sim(t *testing.T) {
	sim, r := newSimScale(t, ScaleSimConfig{Protocol: ProtocolMTSICS}, ScaleConfig{PollInterval: 20 * time.Millisecond})
	ctx := context.Background()
	sim.SetWeight(100)
	r.until(t, "100 g stable", stableGrams(100))

	sim.SetMotion(true)
	r.until(t, "motion (S D)", func(rd Reading) bool { return rd.Flags&FlagMotion != 0 && math.Abs(rd.Grams-100) < 0.01 })
	err := r.scale.Zero(ctx)
	var re *ReplyError
	if !errors.As(err, &re) || re.Reply != "Z I" {
		t.Fatalf("zero while moving: %v, want Z I", err)
	}
	sim.SetMotion(false)

	sim.SetOverload(true)
	r.until(t, "overload (S +)", flagged(FlagOverCapacity))
	sim.SetOverload(false)
	sim.SetUnderload(true)
	r.until(t, "underload (S -)", flagged(FlagUnderZero))
	sim.SetUnderload(false)

	if err := r.scale.Zero(ctx); err != nil {
		t.Fatalf("zero: %v", err)
	}
	r.until(t, "0 g after zero", stableGrams(0))
	sim.SetWeight(350) // 250 g on top of the zeroed 100 g
	r.until(t, "250 g", stableGrams(250))
	if err := r.scale.Tare(ctx); err != nil {
		t.Fatalf("tare: %v", err)
	}
	if sim.Tare() != 250 {
		t.Errorf("sim tare %v, want 250", sim.Tare())
	}
	sim.SetWeight(500)
	r.until(t, "150 g net", stableGrams(150))
	if err := r.scale.ClearTare(ctx); err != nil {
		t.Fatalf("clear tare: %v", err)
	}
	r.until(t, "400 g gross", stableGrams(400))

	sim.SetSilent(true)
	r.until(t, "no-reply error", func(rd Reading) bool { return rd.Flags&FlagError != 0 && strings.Contains(rd.Message, "no reply") })
	sim.SetSilent(false)
	r.until(t, "readings again", stableGrams(400))

	got := strings.Join(sim.Received(), " ")
	for _, cmd := range []string{"SI", "Z", "T", "TAC"} {
		if !strings.Contains(" "+got+" ", " "+cmd+" ") {
			t.Errorf("scale never got %s", cmd)
		}
	}
	if last, ok := r.scale.Last(); !ok || last.Time.IsZero() {
		t.Errorf("Last() = %+v, %v", last, ok)
	}
}

// rawPeer plays a device on a pty by hand: the test writes the exact
// bytes; requests from the station are recorded.
type rawPeer struct {
	*PtyDevice
	mu  sync.Mutex
	got bytes.Buffer
}

func newRawPeer(t testing.TB) *rawPeer {
	p := &rawPeer{}
	d, err := NewPtyDevice(ptyPath(t, "raw"), func(b []byte) {
		p.mu.Lock()
		p.got.Write(b)
		p.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	p.PtyDevice = d
	t.Cleanup(func() { d.Close() })
	return p
}

func (p *rawPeer) received() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got.String()
}

func (p *rawPeer) send(t testing.TB, chunks ...string) {
	t.Helper()
	for _, c := range chunks {
		if _, err := p.Write([]byte(c)); err != nil {
			t.Fatal(err)
		}
	}
}

// newRawScale connects a station Scale to a raw peer. Polls are rare and
// never time out, so every frame the test sends is what the scale reads.
func newRawScale(t *testing.T, cfg ScaleConfig) (*rawPeer, *scaleRig) {
	t.Helper()
	p := newRawPeer(t)
	cfg.Device = p.Path()
	cfg.PollInterval, cfg.ReplyTimeout = time.Hour, time.Hour
	r := newScaleRig(t, cfg)
	awaitState(t, r.states, true, 2*time.Second)
	return p, r
}

// frameCase is one exchange of a raw protocol test.
type frameCase struct {
	name   string
	chunks []string             // written in this order, each a separate write
	want   []func(Reading) bool // readings expected, in order
	bad    int                  // frames expected to be refused (OnError)
}

func runFrames(t *testing.T, p *rawPeer, r *scaleRig, cases []frameCase) {
	t.Helper()
	for _, c := range cases {
		p.send(t, c.chunks...)
		for i, w := range c.want {
			rd := recv(t, r.readings, 3*time.Second, c.name)
			if !w(rd) {
				t.Errorf("%s: reading %d = %v", c.name, i, rd)
			}
		}
		for range c.bad {
			err := recv(t, r.errs, 3*time.Second, c.name+": refused frame")
			t.Logf("%s: refused: %v", c.name, err)
		}
	}
	noValue(t, r.readings, 20*time.Millisecond)
	noValue(t, r.errs, 0)
}

func TestScale_MTSICS_Frames(t *testing.T) {
	p, r := newRawScale(t, ScaleConfig{Protocol: ProtocolMTSICS, Stream: true})
	waitFor(t, 2*time.Second, "SIR", func() bool { return p.received() == "SIR\r\n" })
	errReading := func(msg string) func(Reading) bool {
		return func(rd Reading) bool { return rd.Flags&FlagError != 0 && strings.Contains(rd.Message, msg) }
	}
	runFrames(t, p, r, []frameCase{
		{"stable", []string{"S S     100.00 g\r\n"}, []func(Reading) bool{stableGrams(100)}, 0},
		{"dynamic", []string{"S D      0.257 kg\r\n"}, []func(Reading) bool{func(rd Reading) bool { return rd.Flags == FlagMotion && rd.Grams == 257 }}, 0},
		{"not executable", []string{"S I\r\n"}, []func(Reading) bool{errReading("not executable")}, 0},
		{"overload", []string{"S +\r\n"}, []func(Reading) bool{flagged(FlagOverCapacity)}, 0},
		{"underload", []string{"S -\r\n"}, []func(Reading) bool{flagged(FlagUnderZero)}, 0},
		{"split", []string{"S S", "    12", ".5", "0 g\r", "\n"}, []func(Reading) bool{stableGrams(12.5)}, 0},
		{"merged", []string{"S S 1.00 g\r\nS S 2.00 g\r\nS D 3.00 g\r\n"}, []func(Reading) bool{stableGrams(1), stableGrams(2), grams(3)}, 0},
		{"garbage between frames", []string{"\x00\xff\x13noise\r\nS S 4.00 g\r\n#@!\r\n\r\nS S 5.00 g\r\n"}, []func(Reading) bool{stableGrams(4), stableGrams(5)}, 2},
	})
	// ES, ET, EL answer a request; unsolicited, they are logged and
	// skipped (the Zero test below sees one answer a request).
	p.send(t, "ES\r\nET\r\nEL\r\n")
	noValue(t, r.readings, 20*time.Millisecond)

	// A command: the scale answers ES, which fails it.
	done := make(chan error, 1)
	go func() { done <- r.scale.Zero(context.Background()) }()
	waitFor(t, 2*time.Second, "Z sent", func() bool { return strings.Contains(p.received(), "Z\r\n") })
	p.send(t, "ES\r\n")
	err := recv(t, done, 2*time.Second, "zero result")
	var re *ReplyError
	if !errors.As(err, &re) || re.Reply != "ES" {
		t.Fatalf("zero answered ES: %v", err)
	}
	// Streaming resumes after a command.
	waitFor(t, 2*time.Second, "SIR again", func() bool { return strings.Count(p.received(), "SIR") == 2 })
}

// TestScale_MTSICS_PollErrors answers polls with the general errors.
func TestScale_MTSICS_PollErrors(t *testing.T) {
	p, r := newRawScale(t, ScaleConfig{Protocol: ProtocolMTSICS})
	waitFor(t, 2*time.Second, "first poll", func() bool { return p.received() == "SI\r\n" })
	p.send(t, "ET\r\n")
	rd := recv(t, r.readings, 2*time.Second, "error reading")
	if rd.Flags != FlagError || !strings.Contains(rd.Message, "transmission error") {
		t.Fatalf("ET to a poll: %v", rd)
	}
	for _, e := range []string{"ES", "EL"} {
		// Unsolicited now: no reading, just a log line.
		p.send(t, e+"\r\n")
	}
	noValue(t, r.readings, 20*time.Millisecond)
}

func TestScale_MTSICS_LongLine(t *testing.T) {
	p, r := newRawScale(t, ScaleConfig{Protocol: ProtocolMTSICS, Stream: true})
	done := make(chan error, 1)
	go func() {
		_, err := p.Write(bytes.Repeat([]byte("S S 1"), 1<<20/5))
		done <- err
	}()
	err := recv(t, r.errs, 5*time.Second, "too-long error")
	if !errors.Is(err, ErrFrameTooLong) {
		t.Fatalf("%v, want ErrFrameTooLong", err)
	}
	if err := recv(t, done, 10*time.Second, "1 MiB write"); err != nil {
		t.Fatal(err)
	}
	p.send(t, "\r\nS S 7.00 g\r\n")
	r.until(t, "resync", stableGrams(7))
}

func TestScale_NCI_Sim(t *testing.T) {
	sim, r := newSimScale(t, ScaleSimConfig{Protocol: ProtocolNCI}, ScaleConfig{PollInterval: 20 * time.Millisecond, Serial: SerialMode{DataBits: 7, Parity: "even"}})
	sim.SetWeight(566.99) // 1.25 lb
	r.until(t, "1.25 lb", stableGrams(566.99))
	sim.SetMotion(true)
	r.until(t, "motion", flagged(FlagMotion))
	sim.SetMotion(false)
	sim.SetOverload(true)
	r.until(t, "over", flagged(FlagOverCapacity))
	sim.SetOverload(false)
	sim.SetUnderload(true)
	r.until(t, "under", flagged(FlagUnderZero))
	sim.SetUnderload(false)
	if err := r.scale.Zero(context.Background()); err != nil {
		t.Fatalf("zero: %v", err)
	}
	r.until(t, "at zero", func(rd Reading) bool { return rd.Flags&FlagAtZero != 0 && rd.Grams == 0 })
	if err := r.scale.Tare(context.Background()); !errors.Is(err, ErrUnsupported) {
		t.Errorf("NCI tare: %v, want ErrUnsupported", err)
	}
}

func TestScale_NCI_Frames(t *testing.T) {
	p, r := newRawScale(t, ScaleConfig{Protocol: ProtocolNCI})
	waitFor(t, 2*time.Second, "first poll", func() bool { return p.received() == "W\r" })
	runFrames(t, p, r, []frameCase{
		{"weight", []string{"\n0001.25lb\r\n00\r\x03"}, []func(Reading) bool{stableGrams(566.99)}, 0},
		{"motion", []string{"\n0001.25lb\r\n10\r\x03"}, []func(Reading) bool{flagged(FlagMotion)}, 0},
		{"under", []string{"\n-------LB\r\n01\r\x03"}, []func(Reading) bool{flagged(FlagUnderZero)}, 0},
		{"over", []string{"\n^^^^^^^LB\r\n02\r\x03"}, []func(Reading) bool{flagged(FlagOverCapacity)}, 0},
		{"errors", []string{"\n0001.00lb\r\n4<\r\x03"}, []func(Reading) bool{func(rd Reading) bool {
			return rd.Flags&FlagError != 0 && strings.Contains(rd.Message, "faulty calibration")
		}}, 0},
		{"split", []string{"\n00", "02.0", "0kg\r", "\n00\r", "\x03"}, []func(Reading) bool{stableGrams(2000)}, 0},
		{"merged", []string{"\n0001.00kg\r\n00\r\x03\n0003.00kg\r\n00\r\x03"}, []func(Reading) bool{stableGrams(1000), stableGrams(3000)}, 0},
		{"garbage between frames", []string{"xx\x00\xfe\x03\n0004.00kg\r\n00\r\x03zz\r\x03"}, []func(Reading) bool{stableGrams(4000)}, 0},
		{"7E1 parity bits", []string{string([]byte{0x8a, '5', '.', '0', 'k', 0xe7, 0x0d, 0x0a, 0xb0, 0x30, 0x0d, 0x83})}, []func(Reading) bool{stableGrams(5000)}, 0},
		{"brecknell variant", []string{"\n  6.00kg\r00\x03"}, []func(Reading) bool{stableGrams(6000)}, 0},
		{"bad status", []string{"\n0001.00kg\r\nxy\r\x03"}, nil, 1},
		{"status frame unsolicited", []string{"\n00\r\x03"}, nil, 0},
	})
}

func TestScale_Toledo_Sim(t *testing.T) {
	sim, r := newSimScale(t, ScaleSimConfig{Protocol: ProtocolToledo},
		ScaleConfig{PollInterval: 20 * time.Millisecond, Serial: SerialMode{DataBits: 7, Parity: "even"}})
	sim.SetWeight(1234)
	r.until(t, "1.234 kg", stableGrams(1234))
	sim.SetMotion(true)
	r.until(t, "motion status", func(rd Reading) bool { return rd.Flags&FlagMotion != 0 && !rd.HasWeight() })
	sim.SetMotion(false)
	sim.SetOverload(true)
	r.until(t, "over", flagged(FlagOverCapacity))
	sim.SetOverload(false)
	if err := r.scale.Tare(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.until(t, "net zero", func(rd Reading) bool { return rd.Stable() && rd.Flags&FlagNet != 0 && rd.Grams == 0 })
	if err := r.scale.ClearTare(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.until(t, "gross", stableGrams(1234))
	if err := r.scale.Zero(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.until(t, "zeroed", stableGrams(0))
}

func TestScale_Toledo_Frames(t *testing.T) {
	p, r := newRawScale(t, ScaleConfig{Protocol: ProtocolToledo, Unit: "lb"})
	runFrames(t, p, r, []frameCase{
		{"weight", []string{"\x02  2.000\r"}, []func(Reading) bool{stableGrams(907.18)}, 0},
		{"net", []string{"\x02  1.000N\r"}, []func(Reading) bool{flagged(FlagNet | FlagStable)}, 0},
		{"motion", []string{"\x02?A\r"}, []func(Reading) bool{flagged(FlagMotion | FlagNoWeight)}, 0},
		{"over", []string{"\x02?B\r"}, []func(Reading) bool{flagged(FlagOverCapacity)}, 0},
		{"under", []string{"\x02?D\r"}, []func(Reading) bool{flagged(FlagUnderZero)}, 0},
		{"status equal to CR", []string{"\x02?\r\r"}, []func(Reading) bool{flagged(FlagMotion | FlagUnderZero | FlagError)}, 0},
		{"split", []string{"\x02 ", " 1.", "5", "00\r"}, []func(Reading) bool{stableGrams(680.39)}, 0},
		{"merged", []string{"\x021.000\r\x02?A\r\x023.000\r"}, []func(Reading) bool{stableGrams(453.59), flagged(FlagMotion), stableGrams(1360.78)}, 0},
		{"garbage and a cut frame", []string{"noise\x00\x02 9.9\x02 4.000\r\r\n"}, []func(Reading) bool{stableGrams(1814.37)}, 0},
		{"bad weight", []string{"\x02abc\r"}, nil, 1},
	})
}

func TestScale_ToledoContinuous_Sim(t *testing.T) {
	sim, r := newSimScale(t, ScaleSimConfig{Protocol: ProtocolToledoContinuous, Checksum: true, Interval: 10 * time.Millisecond},
		ScaleConfig{Checksum: true, Serial: SerialMode{DataBits: 7, Parity: "even"}})
	sim.SetWeight(2500)
	r.until(t, "2.5 kg", stableGrams(2500))
	sim.SetMotion(true)
	r.until(t, "motion", func(rd Reading) bool { return rd.Flags&FlagMotion != 0 && rd.Grams == 2500 })
	sim.SetMotion(false)
	sim.SetOverload(true)
	r.until(t, "over", flagged(FlagOverCapacity))
	sim.SetOverload(false)
	sim.SetUnderload(true)
	r.until(t, "under", flagged(FlagUnderZero))
	sim.SetUnderload(false)
	if err := r.scale.Tare(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.until(t, "net zero", func(rd Reading) bool { return rd.Flags&FlagNet != 0 && rd.Grams == 0 && rd.Stable() })
	sim.SetWeight(2000)
	r.until(t, "net negative", func(rd Reading) bool { return rd.Flags&FlagNet != 0 && rd.Grams == -500 })
}

func TestScale_ToledoContinuous_Frames(t *testing.T) {
	p, r := newRawScale(t, ScaleConfig{Protocol: ProtocolToledoContinuous, Checksum: true})
	f := func(swb byte, w string) string { return toledoFrame(0x2d, swb, 0x20, w, "000000", true) }
	good := f(0x30, "001000")
	runFrames(t, p, r, []frameCase{
		{"weight", []string{good}, []func(Reading) bool{stableGrams(1000)}, 0},
		{"swb equal to STX and CR", []string{f(0x02, "000001") + f(0x0d, "000002")}, []func(Reading) bool{grams(-0.45), flagged(FlagMotion | FlagOverCapacity)}, 0},
		{"split", []string{good[:3], good[3:9], good[9:]}, []func(Reading) bool{stableGrams(1000)}, 0},
		{"merged", []string{good + f(0x38, "002000")}, []func(Reading) bool{stableGrams(1000), flagged(FlagMotion)}, 0},
		{"garbage between frames", []string{"\x00\xff\r\r" + good + "junk" + good}, []func(Reading) bool{stableGrams(1000), stableGrams(1000)}, 0},
		{"bad checksum", []string{good[:len(good)-1] + "\x00"}, nil, 1},
	})
}

func TestScale_ASCII_Sim(t *testing.T) {
	sim, r := newSimScale(t, ScaleSimConfig{Protocol: ProtocolASCII, Interval: 10 * time.Millisecond}, ScaleConfig{})
	sim.SetWeight(1500)
	r.until(t, "1.5 kg", stableGrams(1500))
	sim.SetMotion(true)
	r.until(t, "US", flagged(FlagMotion))
	sim.SetMotion(false)
	sim.SetOverload(true)
	r.until(t, "OL", flagged(FlagOverCapacity))
}

// TestScale_ASCII_StableDetector uses a scale that streams bare numbers:
// stability comes from the detector.
func TestScale_ASCII_StableDetector(t *testing.T) {
	now := time.Unix(1700000000, 0)
	var mu sync.Mutex
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(50 * time.Millisecond)
		return now
	}
	p, r := newRawScale(t, ScaleConfig{Protocol: ProtocolASCII, Unit: "g", Now: clock,
		ASCII:  ASCIIConfig{Pattern: `^\s*(?P<weight>-?[0-9.]+)\s*(?P<unit>g|kg)?\s*$`, Suffix: SuffixCR},
		Stable: StableDetector{Readings: 3, Tolerance: 1, Window: time.Second}})
	motion, stable := flagged(FlagMotion), func(rd Reading) bool { return rd.Stable() }
	runFrames(t, p, r, []frameCase{
		{"settling", []string{"  10.0 g\r  55.0 g\r 100.2 g\r 100.0 g\r 100.4 g\r"},
			[]func(Reading) bool{motion, motion, motion, motion, stable}, 0},
		{"garbage line", []string{"E-- \r"}, nil, 1},
	})
}

// hidRig gives a Scale pipes: it reads reports from one and writes
// output reports (zero) to another.
func TestScale_HID_Pipe(t *testing.T) {
	type dev struct {
		w    *os.File // the test writes reports here
		outR *os.File // the test reads what the scale writes
	}
	devs := make(chan dev, 1)
	conns := make(chan io.ReadWriteCloser, 1)
	newDev := func() dev {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		outR, outW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		conns <- hidConn{pipeRWC{File: r, w: outW}, outW}
		d := dev{w: w, outR: outR}
		t.Cleanup(func() { w.Close(); outR.Close() })
		return d
	}
	open := func(ctx context.Context) (io.ReadWriteCloser, error) {
		select {
		case c := <-conns:
			return c, nil
		default:
			return nil, os.ErrNotExist
		}
	}
	devs <- newDev()
	d := <-devs
	r := newScaleRig(t, ScaleConfig{Device: "usb:0922:8003", Protocol: ProtocolHID, Open: open})
	awaitState(t, r.states, true, 2*time.Second)
	// Two reports and a half, then the rest: split and merged.
	reports := []byte("\x03\x03\x02\x00\x80\x00\x03\x04\x02\x00\x90\x00\x03\x04")
	d.w.Write(reports)
	d.w.Write([]byte("\x0b\xff\x64\x00"))
	r.until(t, "motion", flagged(FlagMotion))
	r.until(t, "144 g", stableGrams(144))
	r.until(t, "10.0 oz", stableGrams(283.5))
	d.w.Write([]byte("\x03\x06\x02\x00\xff\xff"))
	r.until(t, "over", flagged(FlagOverCapacity))

	if err := r.scale.Zero(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 2)
	if _, err := io.ReadFull(d.outR, out); err != nil || !bytes.Equal(out, []byte{2, 2}) {
		t.Fatalf("zero report % x %v, want 02 02", out, err)
	}
	if err := r.scale.Tare(context.Background()); !errors.Is(err, ErrUnsupported) {
		t.Errorf("HID tare: %v", err)
	}
	// A bad report: the reader skips it and goes on.
	d.w.Write([]byte("\x03\x09\x02\x00\x00\x00\x03\x04\x02\x00\x05\x00"))
	recv(t, r.errs, 2*time.Second, "bad report")
	r.until(t, "5 g", stableGrams(5))

	// Unplug (the hidraw node goes away: EOF) and replug.
	d.w.Close()
	awaitState(t, r.states, false, 2*time.Second)
	d = newDev()
	awaitState(t, r.states, true, 2*time.Second)
	d.w.Write([]byte("\x03\x04\x02\x00\x07\x00"))
	r.until(t, "7 g after replug", stableGrams(7))
}

type hidConn struct {
	pipeRWC
	out *os.File
}

func (h hidConn) Close() error {
	h.out.Close()
	return h.pipeRWC.Close()
}

// TestScale_Replug unplugs a polled scale and plugs it back: readings
// must flow again within 2 s of its return.
func TestScale_Replug(t *testing.T) {
	sim, r := newSimScale(t, ScaleSimConfig{Protocol: ProtocolMTSICS}, ScaleConfig{PollInterval: 20 * time.Millisecond})
	sim.SetWeight(42)
	r.until(t, "42 g", stableGrams(42))
	if err := sim.Unplug(); err != nil {
		t.Fatal(err)
	}
	awaitState(t, r.states, false, 2*time.Second)
	err := r.scale.Zero(context.Background())
	if !errors.Is(err, ErrOffline) || pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE {
		t.Errorf("zero while unplugged: %v (code %q), want ErrOffline/unavailable", err, pickwave.ErrorCode(err))
	}
	// Let the backoff reach its cap: the worst case for coming back.
	away := time.Now().Add(2 * time.Second)
	waitFor(t, 3*time.Second, "time away", func() bool { return time.Now().After(away) })
	sim.SetWeight(43)
	start := time.Now()
	if err := sim.Replug(); err != nil {
		t.Fatal(err)
	}
	r.until(t, "43 g after replug", stableGrams(43))
	took := time.Since(start)
	t.Logf("scale back in service %v after replug (stable reading on the station)", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("took %v, want ≤ 2 s", took)
	}
}

func TestNewScale_Invalid(t *testing.T) {
	ok := func(Reading) {}
	for name, cfg := range map[string]ScaleConfig{
		"no device":        {Protocol: ProtocolMTSICS, OnReading: ok},
		"no callback":      {Device: "/dev/null", Protocol: ProtocolMTSICS},
		"unknown protocol": {Device: "/dev/null", Protocol: "morse", OnReading: ok},
		"unknown unit":     {Device: "/dev/null", Protocol: ProtocolToledo, Unit: "stone", OnReading: ok},
		"bad regexp":       {Device: "/dev/null", Protocol: ProtocolASCII, ASCII: ASCIIConfig{Pattern: "("}, OnReading: ok},
		"bad stop bits":    {Device: "/dev/null", Protocol: ProtocolNCI, Serial: SerialMode{StopBits: 3}, OnReading: ok},
	} {
		if _, err := NewScale(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func BenchmarkParseMTSICS(b *testing.B) {
	line := []byte("S S     100.00 g\r\n")
	for b.Loop() {
		if _, err := ParseMTSICS(line); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScaleLineToReading measures the path behind "a stable weight
// on screen ≤ 100 ms after the scale sends it": from the moment a weight
// line is written to the pty until OnReading has it.
func BenchmarkScaleLineToReading(b *testing.B) {
	p := newRawPeer(b)
	got := make(chan time.Time, 1)
	s, err := NewScale(ScaleConfig{Device: p.Path(), Protocol: ProtocolMTSICS, Stream: true, Logger: quietLogger(),
		OnReading: func(Reading) { got <- time.Now() }})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	waitFor(b, 2*time.Second, "SIR", func() bool { return strings.Contains(p.received(), "SIR") })
	line := []byte("S S     100.00 g\r\n")
	var lat []time.Duration
	runtime.GC()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := p.Write(line); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-got).Sub(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	b.ReportMetric(float64(pct(0.5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// TestScale_Protocols_LongFrameAndReplug runs, for every serial scale
// protocol, a 1 MiB frame without its terminator (bounded memory, one
// ErrFrameTooLong, resync) and an unplug and replug through the pty.
func TestScale_Protocols_LongFrameAndReplug(t *testing.T) {
	mb := func(start string, fill byte) []byte {
		return append([]byte(start), bytes.Repeat([]byte{fill}, 1<<20)...)
	}
	tests := []struct {
		protocol string
		cfg      ScaleConfig
		junk     []byte // 1 MiB that opens a frame and never ends it
		end      string // what ends the junk frame
		good     string
		grams    float64
	}{
		{ProtocolMTSICS, ScaleConfig{}, mb("S S ", '9'), "\r\n", "S S 12.00 g\r\n", 12},
		{ProtocolNCI, ScaleConfig{}, mb("\n", '9'), "\x03", "\n0012.00kg\r\n00\r\x03", 12000},
		{ProtocolToledo, ScaleConfig{}, mb("\x02", '9'), "\r", "\x02 12.000\r", 12000},
		{ProtocolToledoContinuous, ScaleConfig{Checksum: true}, mb("\x02", '9'), "\r\x00", toledoFrame(0x2d, 0x30, 0x20, "012000", "000000", true), 12000},
		{ProtocolASCII, ScaleConfig{}, mb("ST,GS,+", '9'), "\r\n", "ST,GS,+ 12.000kg\r\n", 12000},
	}
	for _, tt := range tests {
		t.Run(tt.protocol, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Protocol = tt.protocol
			p, r := newRawScale(t, cfg)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			done := make(chan error, 1)
			go func() {
				_, err := p.Write(tt.junk)
				done <- err
			}()
			if err := recv(t, r.errs, 5*time.Second, "too-long error"); !errors.Is(err, ErrFrameTooLong) {
				t.Fatalf("%v, want ErrFrameTooLong", err)
			}
			if err := recv(t, done, 10*time.Second, "1 MiB write"); err != nil {
				t.Fatal(err)
			}
			p.send(t, tt.end, tt.good)
			r.until(t, "resync", grams(tt.grams))
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 512<<10 {
				t.Errorf("allocated %d KiB while reading a 1 MiB frame", grew>>10)
			}

			if err := p.Unplug(); err != nil {
				t.Fatal(err)
			}
			awaitState(t, r.states, false, 2*time.Second)
			start := time.Now()
			if err := p.Replug(); err != nil {
				t.Fatal(err)
			}
			p.send(t, tt.good) // waits in the new pty until the station opens it
			r.until(t, "reading after replug", grams(tt.grams))
			took := time.Since(start)
			t.Logf("%s: back in service %v after replug", tt.protocol, took.Round(time.Millisecond))
			if took > 2*time.Second {
				t.Errorf("took %v, want ≤ 2 s", took)
			}
		})
	}
}
