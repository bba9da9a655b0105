package device

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

const hsReady = "\x02030,0,0,1234,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,1,2,4,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n"

func TestParseHostStatus(t *testing.T) {
	hs := func(s1, s2 string) string {
		return "\x02" + s1 + "\x03\r\n\x02" + s2 + "\x03\r\n\x021234,0\x03\r\n"
	}
	tests := []struct {
		name  string
		in    string
		state string
		ready bool
		check func(PrinterStatus) bool
		err   bool
	}{
		{"reference sample: ready", hsReady, "ready", true, func(s PrinterStatus) bool { return s.LabelLength == 1234 && s.ThermalTransfer }, false},
		{"paper out", hs("030,1,0,1234,000,0,0,0,000,0,0,0", "001,0,0,0,1,2,4,0,00000000,1,000"), "paper out", false, func(s PrinterStatus) bool { return s.PaperOut }, false},
		{"paused", hs("030,0,1,1234,000,0,0,0,000,0,0,0", "001,0,0,0,1,2,4,0,00000000,1,000"), "paused", false, func(s PrinterStatus) bool { return s.Paused }, false},
		{"formats waiting", hs("030,0,0,1234,003,0,0,0,000,0,0,0", "001,0,0,0,1,2,4,0,00000002,1,000"), "printing", true, func(s PrinterStatus) bool { return s.FormatsInBuffer == 3 && s.LabelsRemaining == 2 }, false},
		{"buffer full", hs("030,0,0,1234,099,1,0,0,000,0,0,0", "001,0,0,0,1,2,4,0,00000000,1,000"), "receive buffer full", false, nil, false},
		{"head open and ribbon out", hs("030,0,0,1234,000,0,0,0,000,0,0,0", "001,0,1,1,1,2,4,0,00000000,1,000"), "ribbon out, head open", false, func(s PrinterStatus) bool { return s.HeadOpen && s.RibbonOut }, false},
		{"over temperature", hs("030,0,0,1234,000,0,0,0,000,0,0,1", "001,0,0,0,1,2,4,0,00000000,1,000"), "over temperature", false, nil, false},
		{"under temperature and corrupt ram are warnings", hs("030,0,0,1234,000,0,0,0,000,1,1,0", "001,0,0,0,1,2,4,0,00000000,1,000"), "ready", true, func(s PrinterStatus) bool {
			return s.UnderTemp && s.CorruptRAM && strings.Contains(s.String(), "under temperature")
		}, false},
		{"everything", hs("030,1,1,1234,000,1,0,0,000,0,0,1", "001,0,1,1,1,2,4,0,00000000,1,000"), "paper out, ribbon out, head open, paused, receive buffer full, over temperature", false, nil, false},
		{"leading junk and spaces", "xx" + hs("030, 0, 0, 1234, 000, 0, 0, 0, 000, 0, 0, 0", "001,0,0,0,1,2,4,0,00000000,1,000"), "ready", true, nil, false},
		{"extra fields from newer firmware", hs("030,0,0,1234,000,0,0,0,000,0,0,0,9,9", "001,0,0,0,1,2,4,0,00000000,1,000,7"), "ready", true, nil, false},
		{"third string missing", "\x02030,0,0,1234,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,1,2,4,0,00000000,1,000\x03\r\n", "ready", true, nil, false},
		{"one string", "\x02030,0,0,1234,000,0,0,0,000,0,0,0\x03\r\n", "", false, nil, true},
		{"too few fields", hs("030,0", "001"), "", false, nil, true},
		{"flag not 0 or 1", hs("030,2,0,1234,000,0,0,0,000,0,0,0", "001,0,0,0,1,2,4,0,00000000,1,000"), "", false, nil, true},
		{"count not a number", hs("030,0,0,1234,abc,0,0,0,000,0,0,0", "001,0,0,0,1,2,4,0,00000000,1,000"), "", false, nil, true},
		{"no etx", "\x02030,0,0", "", false, nil, true},
	}
	for _, tt := range tests {
		st, err := ParseHostStatus([]byte(tt.in))
		if tt.err {
			if err == nil {
				t.Errorf("%s: parsed as %+v, want an error", tt.name, st)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if st.State() != tt.state || st.Ready() != tt.ready || (tt.check != nil && !tt.check(st)) {
			t.Errorf("%s: state %q ready %v (%+v), want %q ready %v", tt.name, st.State(), st.Ready(), st, tt.state, tt.ready)
		}
	}
	if (PrinterStatus{}).State() != "unknown" || (PrinterStatus{}).Ready() {
		t.Error("zero status should be unknown and not ready")
	}
}

func TestParseExtendedStatus(t *testing.T) {
	hq := func(errs, warns string) string {
		return "\x02\r\n  PRINTER STATUS\r\n     ERRORS:         " + errs + "\r\n     WARNINGS:       " + warns + "\r\n\x03\r\n"
	}
	tests := []struct {
		name, in, state string
		warnings        int
		err             bool
	}{
		{"clear", hq("0 00000000 00000000", "0 00000000 00000000"), "ready", 0, false},
		{"media out and head open (5)", hq("1 00000000 00000005", "0 00000000 00000000"), "paper out, head open", 0, false},
		{"ribbon out", hq("1 00000000 00000002", "0 00000000 00000000"), "ribbon out", 0, false},
		{"cutter and hex nibble", hq("1 00000000 0000000A", "0 00000000 00000000"), "ribbon out, cutter fault", 0, false},
		{"printhead over temperature", hq("1 00000000 00000010", "0 00000000 00000000"), "over temperature", 0, false},
		{"paper jam and unnamed bit", hq("1 00000001 00001000", "0 00000000 00000000"), "paper jam during retract, errors bit 0 of nibble 9", 0, false},
		{"warnings only", hq("0 00000000 00000000", "1 00000000 00000003"), "ready", 2, false},
		{"bad group", hq("1 0000 0005", "0 00000000 00000000"), "", 0, true},
		{"not hex", hq("1 00000000 0000000G", "0 00000000 00000000"), "", 0, true},
		{"no lines", "PRINTER STATUS\r\n", "", 0, true},
	}
	for _, tt := range tests {
		st, err := ParseExtendedStatus([]byte(tt.in))
		if tt.err {
			if err == nil {
				t.Errorf("%s: parsed as %+v", tt.name, st)
			}
			continue
		}
		if err != nil || st.State() != tt.state || len(st.Warnings) != tt.warnings {
			t.Errorf("%s: %q warnings %v (%v), want %q and %d warnings", tt.name, st.State(), st.Warnings, err, tt.state, tt.warnings)
		}
	}
}

func FuzzParseHostStatus(f *testing.F) {
	f.Add([]byte(hsReady))
	f.Add([]byte("\x02030,1,0,1234,000,0,0,0,000,0,0,0\x03\x02001,0,1\x03"))
	f.Add([]byte("\x02,,,,,,\x03\x02,,,,\x03"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseHostStatus(b)
		if err == nil && (!st.Known || st.FormatsInBuffer < 0 || st.LabelsRemaining < 0) {
			t.Fatalf("%q: %+v", b, st)
		}
		_ = st.String()
	})
}

func FuzzParseExtendedStatus(f *testing.F) {
	f.Add([]byte("ERRORS: 1 00000000 00000005\r\nWARNINGS: 0 00000000 00000000\r\n"))
	f.Add([]byte("ERRORS: 1 FFFFFFFF FFFFFFFF\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseExtendedStatus(b)
		if err == nil && !st.Known {
			t.Fatalf("%q: %+v", b, st)
		}
		_ = st.String()
	})
}

func newPrinterSim(t *testing.T) *PrinterSim {
	t.Helper()
	p, err := NewPrinterSim("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func openPrinter(t *testing.T, uri string) Printer {
	t.Helper()
	pr, err := OpenPrinter(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	return pr
}

func label(n int) []byte { return fmt.Appendf(nil, "^XA^FO50,50^FDlabel %d^FS^XZ", n) }

func TestPrinter_TCP_Print(t *testing.T) {
	sim := newPrinterSim(t)
	pr := openPrinter(t, sim.URI()+"?timeout=500ms")
	ctx := context.Background()
	st, err := pr.Status(ctx)
	if err != nil || !st.Ready() || st.State() != "ready" {
		t.Fatalf("status %+v %v", st, err)
	}
	// Two formats and a control command in one job.
	job := append(append(label(1), "\r\n~HS"...), label(2)...)
	if err := pr.Print(ctx, job); err != nil {
		t.Fatal(err)
	}
	if err := sim.WaitLabels(ctx, 2); err != nil {
		t.Fatal(err)
	}
	got := sim.Labels()
	if !bytes.Equal(got[0], label(1)) || !bytes.Equal(got[1], label(2)) {
		t.Fatalf("labels %q", got)
	}
	if err := pr.Print(ctx, nil); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Errorf("empty job: %v", err)
	}
}

// TestPrinter_TCP_OfflineThenBack is the print queue's path: the printer
// is off, Print fails with nothing sent (Retryable), the queue backs off
// and retries, and the label prints exactly once when the printer returns.
func TestPrinter_TCP_OfflineThenBack(t *testing.T) {
	sim := newPrinterSim(t)
	pr := openPrinter(t, sim.URI()+"?timeout=500ms")
	ctx := context.Background()
	if err := sim.SetOnline(false); err != nil {
		t.Fatal(err)
	}
	err := pr.Print(ctx, label(7))
	var pe *PrintError
	if !errors.As(err, &pe) || pe.Stage != "connect" || pe.Sent != 0 || !Retryable(err) {
		t.Fatalf("offline print: %v, want a retryable connect error", err)
	}
	if pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE {
		t.Errorf("code %q, want unavailable", pickwave.ErrorCode(err))
	}
	t.Logf("offline: %v", err)
	if _, err := pr.Status(ctx); pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE {
		t.Errorf("offline status: %v", err)
	}

	// The queue: retry with backoff; the printer comes back after the
	// second failure.
	b := Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	attempts := 0
	for {
		err := pr.Print(ctx, label(7))
		attempts++
		if err == nil {
			break
		}
		if !Retryable(err) {
			t.Fatalf("attempt %d: %v is not retryable", attempts, err)
		}
		if attempts == 2 {
			if err := sim.SetOnline(true); err != nil {
				t.Fatal(err)
			}
		}
		if attempts > 10 {
			t.Fatal("printer never came back")
		}
		b.Wait(ctx, attempts-1)
	}
	if err := sim.WaitLabels(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := len(sim.Labels()); n != 1 || attempts != 3 {
		t.Fatalf("%d labels after %d attempts, want 1 after 3", n, attempts)
	}
}

func TestPrinter_TCP_PaperOut(t *testing.T) {
	for _, silent := range []bool{false, true} {
		t.Run(fmt.Sprintf("silent=%v", silent), func(t *testing.T) {
			sim := newPrinterSim(t)
			sim.SetSilentOnError(silent)
			pr := openPrinter(t, sim.URI()+"?timeout=200ms")
			ctx := context.Background()
			sim.SetPaperOut(true)
			st, err := pr.Status(ctx)
			if err != nil || !st.Known || !st.PaperOut || st.Ready() {
				t.Fatalf("status %+v %v, want paper out", st, err)
			}
			t.Logf("status: %s", st)
			err = pr.Print(ctx, label(1))
			var pe *PrintError
			if !errors.As(err, &pe) || !errors.Is(err, ErrPrinterNotReady) || pe.Sent != 0 || pe.Status == nil || !pe.Status.PaperOut {
				t.Fatalf("print with paper out: %v", err)
			}
			if !Retryable(err) || sim.Held() != 0 || len(sim.Labels()) != 0 {
				t.Fatalf("job was sent: held %d printed %d", sim.Held(), len(sim.Labels()))
			}
			t.Logf("refused: %v", err)
			sim.SetPaperOut(false)
			if err := pr.Print(ctx, label(1)); err != nil {
				t.Fatal(err)
			}
			if n := len(sim.Labels()); n != 1 {
				t.Fatalf("%d labels", n)
			}
		})
	}
}

// fakePrinter is a raw TCP peer with a scripted reply for each ~HS.
func fakePrinter(t *testing.T, serve func(c net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { defer c.Close(); serve(c) })
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return "tcp://" + ln.Addr().String() + "?timeout=200ms"
}

// readUntilHS reads until the next ~HS and returns what came before it.
func readUntilHS(c net.Conn) ([]byte, error) {
	var buf []byte
	tmp := make([]byte, 1024)
	for !bytes.Contains(buf, []byte("~HS")) {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			return buf, err
		}
	}
	return buf[:bytes.Index(buf, []byte("~HS"))], nil
}

func TestPrinter_TCP_HeldAtPrinter(t *testing.T) {
	paperOut := strings.Replace(hsReady, "030,0,0", "030,1,0", 1)
	uri := fakePrinter(t, func(c net.Conn) {
		readUntilHS(c)
		c.Write([]byte(hsReady)) // ready before the job
		readUntilHS(c)
		c.Write([]byte(paperOut)) // ran out while taking it
	})
	err := openPrinter(t, uri).Print(context.Background(), label(1))
	var pe *PrintError
	if !errors.Is(err, ErrHeldAtPrinter) || !errors.As(err, &pe) || pe.Sent != pe.Total || Retryable(err) {
		t.Fatalf("%v, want held at printer, not retryable", err)
	}
	t.Logf("%v", err)
}

func TestPrinter_TCP_Unconfirmed(t *testing.T) {
	uri := fakePrinter(t, func(c net.Conn) {
		readUntilHS(c)
		c.Write([]byte(hsReady))
		readUntilHS(c) // takes the job, then the cable is pulled
	})
	err := openPrinter(t, uri).Print(context.Background(), label(1))
	if !errors.Is(err, ErrUnconfirmed) || Retryable(err) {
		t.Fatalf("%v, want unconfirmed, not retryable", err)
	}
	t.Logf("%v", err)
}

func TestPrinter_TCP_Unplugged(t *testing.T) {
	sim := newPrinterSim(t)
	pr := openPrinter(t, sim.URI()+"?timeout=200ms")
	sim.Unplug()
	if err := pr.Print(context.Background(), label(1)); !Retryable(err) {
		t.Fatalf("unplugged: %v", err)
	}
	if err := sim.SetOnline(true); err != nil {
		t.Fatal(err)
	}
	if err := pr.Print(context.Background(), label(2)); err != nil {
		t.Fatal(err)
	}
}

func TestPrinter_TCP_Cancel(t *testing.T) {
	uri := fakePrinter(t, func(c net.Conn) { io.Copy(io.Discard, c) }) // never answers
	ctx, cancel := context.WithCancel(context.Background())
	pr, _ := OpenPrinter(ctx, strings.Replace(uri, "200ms", "10s", 1))
	done := make(chan error, 1)
	go func() { done <- pr.Print(ctx, label(1)) }()
	cancel()
	err := recv(t, done, 2*time.Second, "cancelled print")
	if !errors.Is(err, context.Canceled) || !Retryable(err) {
		t.Fatalf("%v, want canceled and retryable", err)
	}
}

func TestPrinter_File(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lp0")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pr := openPrinter(t, "file://"+path)
	ctx := context.Background()
	if err := pr.Print(ctx, label(1)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, label(1)) {
		t.Fatalf("file holds %q", b)
	}
	st, err := pr.Status(ctx)
	if err != nil || st.Known || st.State() != "unknown" {
		t.Fatalf("status of a plain file: %+v %v, want unknown", st, err)
	}
	missing := openPrinter(t, "file://"+filepath.Join(dir, "lp9"))
	err = missing.Print(ctx, label(1))
	if !Retryable(err) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing device: %v", err)
	}
}

func TestPrinter_Serial(t *testing.T) {
	peer := newRawPeer(t)
	pr := openPrinter(t, "serial://"+peer.Path()+"?baud=19200&parity=none")
	ctx := context.Background()
	if err := pr.Print(ctx, label(1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "label on the wire", func() bool { return peer.received() == string(label(1)) })
	if st, err := pr.Status(ctx); err != nil || st.Known {
		t.Fatalf("serial status without status=on: %+v %v", st, err)
	}
}

// TestPrinter_Serial_Status answers ~HS on a pty, XOFF/XON included.
func TestPrinter_Serial_Status(t *testing.T) {
	var peer *PtyDevice
	var mu sync.Mutex
	var got []byte
	d, err := NewPtyDevice(ptyPath(t, "zebra"), func(b []byte) {
		mu.Lock()
		got = append(got, b...)
		n := bytes.Count(got, []byte("~HS"))
		got = bytes.ReplaceAll(got, []byte("~HS"), nil)
		p := peer
		mu.Unlock()
		for range n {
			p.Write([]byte("\x13" + hsReady + "\x11"))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	peer = d
	mu.Unlock()
	defer peer.Close()
	pr := openPrinter(t, "serial://"+peer.Path()+"?status=on&timeout=1s")
	st, err := pr.Status(context.Background())
	if err != nil || !st.Ready() {
		t.Fatalf("%+v %v", st, err)
	}
	if err := pr.Print(context.Background(), label(3)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "label", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return bytes.Contains(got, label(3))
	})
}

func TestOpenPrinter_Invalid(t *testing.T) {
	for _, uri := range []string{
		"lpt://x", "tcp://", "tcp://host?timeout=soon", "tcp://host?status=maybe",
		"serial://?baud=9600", "serial:///dev/ttyS0?baud=fast", "serial:///dev/ttyS0?parity=sometimes", "file://", "%zz",
		"tcp://:9100", "serial:///dev/ttyS0?databits=9",
	} {
		_, err := OpenPrinter(context.Background(), uri)
		if pickwave.ErrorCode(err) != pickwave.EINVALID {
			t.Errorf("%q: %v, want invalid", uri, err)
		}
	}
	pr, err := OpenPrinter(context.Background(), "tcp://printer.local")
	if err != nil || pr.(*tcpPrinter).addr != "printer.local:9100" {
		t.Errorf("default port: %v", err)
	}
	if pr, err := OpenPrinter(context.Background(), "serial:usb:0A5F:0001?baud=9600"); err != nil || pr == nil {
		t.Errorf("usb binding: %v", err)
	}
}

// TestOpenPrinter_Parameters checks that the printer gets what
// pickwave.ParsePrinterURI read: the one parser of the URI.
func TestOpenPrinter_Parameters(t *testing.T) {
	pr, err := OpenPrinter(context.Background(), "tcp://printer.local:6101?timeout=500ms&status=off")
	if err != nil {
		t.Fatal(err)
	}
	if tp := pr.(*tcpPrinter); tp.addr != "printer.local:6101" || tp.timeout != 500*time.Millisecond || tp.check {
		t.Errorf("tcp printer %+v", tp)
	}
	pr, err = OpenPrinter(context.Background(), "serial:///dev/ttyUSB0?baud=19200&parity=e&status=on&timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	if sp := pr.(*serialPrinter); sp.timeout != time.Second || !sp.check {
		t.Errorf("serial printer %+v", sp)
	}
	if pr, err = OpenPrinter(context.Background(), "serial:///dev/ttyUSB0"); err != nil || pr.(*serialPrinter).check {
		t.Errorf("serial printer asks its status by default: %v", err)
	}
}
