package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave/device"
	"github.com/pickwave/pickwave/internal/testenv"
)

func TestDevices_listsPorts(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"devices"}, &out, &errOut); err != nil {
		t.Fatalf("devices: %v (%s)", err, errOut.String())
	}
	header := strings.SplitN(out.String(), "\n", 2)[0]
	for _, col := range []string{"PATH", "KIND", "VID:PID", "SERIAL", "MATCH"} {
		if !strings.Contains(header, col) {
			t.Fatalf("header %q lacks %s", header, col)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"devices", "--json"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var ports []device.PortInfo
	if err := json.Unmarshal(out.Bytes(), &ports); err != nil {
		t.Fatalf("devices --json: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"devices", "extra"}, io.Discard, io.Discard); err == nil {
		t.Fatal("devices with an argument accepted")
	}
}

// simulator runs `pickwave sim ...` with stdin from a pipe until the test
// ends, and returns its output and stdin.
func simulator(t *testing.T, args ...string) (*testenv.Buffer, io.Writer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in, stdin := io.Pipe()
	out := &testenv.Buffer{}
	done := make(chan error, 1)
	go func() { done <- runSim(ctx, args, in, out, out) }()
	t.Cleanup(func() {
		stdin.Close() // end of input, as Ctrl-D
		cancel()      // Ctrl-C
		if err := <-done; err != nil {
			t.Errorf("sim %v: %v", args, err)
		}
	})
	return out, stdin
}

// waitOutput polls the output until re matches, and returns the match.
func waitOutput(t *testing.T, out *testenv.Buffer, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	var m []string
	testenv.Eventually(t, 10*time.Second, fmt.Sprintf("output matching %q", re), func() bool {
		m = rx.FindStringSubmatch(out.String())
		return m != nil
	})
	return m
}

func TestSim_printer(t *testing.T) {
	out, stdin := simulator(t, "printer", "--addr", "127.0.0.1:0")
	uri := waitOutput(t, out, `listening on (tcp://127\.0\.0\.1:\d+)`)[1]
	p, err := device.OpenPrinter(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Print(context.Background(), []byte("^XA^FDhello^FS^XZ")); err != nil {
		t.Fatalf("print to the simulator: %v", err)
	}
	waitOutput(t, out, `label 1 \(\d+ bytes\):\n\^XA\^FDhello\^FS\^XZ`)

	io.WriteString(stdin, "paper-out\n")
	waitOutput(t, out, "ok: paper-out")
	st, err := p.Status(context.Background())
	if err != nil || !st.PaperOut {
		t.Fatalf("status after paper-out: %+v %v", st, err)
	}
	io.WriteString(stdin, "jam\n")
	waitOutput(t, out, `error: unknown printer command "jam"`)
}

func TestSim_scannerAndScale(t *testing.T) {
	dir := t.TempDir()
	out, stdin := simulator(t, "scanner", "--path", filepath.Join(dir, "scanner"))
	waitOutput(t, out, "scanner simulator on")
	scans := make(chan device.Scan, 4)
	online := make(chan struct{})
	sc, err := device.NewScanner(device.ScannerConfig{Device: filepath.Join(dir, "scanner"), Logger: quiet(),
		OnScan: func(s device.Scan) { scans <- s },
		OnState: func(st device.State) {
			if st.Online {
				close(online)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	stopScanner := runDevice(t, sc)
	select {
	case <-online:
	case <-time.After(10 * time.Second):
		t.Fatal("scanner never opened the simulator")
	}
	io.WriteString(stdin, "]C1010950600013435210AB<GS>17261231\n")
	select {
	case s := <-scans:
		if s.Data != "010950600013435210AB\x1d17261231" || s.Symbology != "]C1" {
			t.Fatalf("scan %+v", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no scan")
	}
	stopScanner()

	out, stdin = simulator(t, "scale", "--path", filepath.Join(dir, "scale"), "--protocol", "mt-sics")
	waitOutput(t, out, "mt-sics scale simulator on")
	readings := make(chan device.Reading, 64)
	sl, err := device.NewScale(device.ScaleConfig{Device: filepath.Join(dir, "scale"), Protocol: device.ProtocolMTSICS,
		OnReading: func(r device.Reading) {
			select {
			case readings <- r:
			default:
			}
		}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	runDevice(t, sl)
	io.WriteString(stdin, "1500\n")
	waitOutput(t, out, "weight 1500 g")
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-readings:
			if r.Stable() && r.Grams == 1500 {
				return
			}
		case <-deadline:
			t.Fatal("no stable 1500 g reading")
		}
	}
}

func TestSim_badArguments(t *testing.T) {
	for _, args := range [][]string{{}, {"toaster"}, {"scale", "--protocol", "smoke-signals", "--path", filepath.Join(t.TempDir(), "s")}, {"printer", "extra"}} {
		if err := runSim(context.Background(), args, strings.NewReader(""), io.Discard, io.Discard); err == nil {
			t.Errorf("sim %q accepted", args)
		}
	}
}

// runDevice runs a scanner or scale until the returned stop (or the end
// of the test).
func runDevice(t *testing.T, d interface{ Run(context.Context) error }) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	stop := func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return stop
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }
