package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/device"
)

const simUsage = `Usage:
  pickwave sim scanner [--path P] [--suffix cr|lf|crlf|0xNN] [--prefix S]
  pickwave sim scale   [--path P] [--protocol mt-sics|nci|toledo-8217|toledo-continuous|ascii] [--unit U]
  pickwave sim printer [--addr 127.0.0.1:9100]
  pickwave sim scanner|scale|printer --station PACK-1 [--data ./data]

Runs one simulated device until Ctrl-C, speaking the real bytes, so a pack
station can be tried without hardware. The scanner and scale are
pseudo-terminals reachable at --path: configure it as the station device's
port. With --station, no device is started: the commands go to the
built-in simulated device of that station of a running
` + "`pickwave serve --demo`" + ` with data in --data, through its control socket
DATA/dev/control.sock. Commands come from standard input, one a line,
until Ctrl-C or the end of the input:
  scanner  a barcode to scan; <GS> stands for the GS1 separator (0x1D)
  scale    a weight in grams, or motion, steady, over, under, ok
  printer  paper-out, paper-in, head-open, head-closed, pause, resume,
           offline, online, unplug; received labels are printed here
`

// runSim runs one simulator until ctx ends. Commands come from stdin.
func runSim(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, simUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return errors.New("sim needs a device: scanner, scale or printer")
	}
	kind := args[0]
	stdout = &lockedWriter{w: stdout} // the printer's label watcher writes too
	fs := flag.NewFlagSet("sim "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, simUsage) }
	path := fs.String("path", filepath.Join(os.TempDir(), "pickwave-"+kind), "`path` of the link to the pseudo-terminal (scanner, scale)")
	addr := fs.String("addr", "127.0.0.1:9100", "`address` the printer listens on (printer)")
	protocol := fs.String("protocol", pickwave.ScaleMTSICS, "scale `protocol`")
	unit := fs.String("unit", "", "`unit` the scale reports in (default: g for mt-sics, lb for nci, kg otherwise)")
	suffix := fs.String("suffix", "cr", "what ends each barcode: cr, lf, crlf or 0xNN")
	prefix := fs.String("prefix", "", "sent before each barcode")
	station := fs.String("station", "", "feed this `station`'s built-in simulated device of a running --demo server")
	data := fs.String("data", DefaultConfig().Data, "data `directory` of the --demo server (with --station)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sim %s takes no arguments, got %q", kind, fs.Args())
	}
	if *station != "" {
		return simStation(ctx, stdin, stdout, *data, *station, kind)
	}
	var handle func(line string) (string, error)
	switch kind {
	case "scanner":
		sim, err := device.NewScannerSim(*path, device.ScannerSimConfig{Suffix: device.Suffix(*suffix), Prefix: *prefix})
		if err != nil {
			return fmt.Errorf("scanner simulator: %w", err)
		}
		defer sim.Close()
		fmt.Fprintf(stdout, "scanner simulator on %s (a pseudo-terminal; configure it as the station scanner's port)\ntype a barcode and Enter to scan it; Ctrl-C stops\n", sim.Path())
		handle = func(line string) (string, error) {
			code := strings.ReplaceAll(line, "<GS>", "\x1d")
			if code == "" {
				return "", nil
			}
			return fmt.Sprintf("scanned %q", code), sim.Scan(code)
		}
	case "scale":
		proto := *protocol
		if proto == pickwave.ScaleToledo8217 {
			proto = device.ProtocolToledo
		}
		sim, err := device.NewScaleSim(*path, device.ScaleSimConfig{Protocol: proto, Unit: *unit})
		if err != nil {
			return fmt.Errorf("scale simulator: %w", err)
		}
		defer sim.Close()
		fmt.Fprintf(stdout, "%s scale simulator on %s (a pseudo-terminal; configure it as the station scale's port)\ntype a weight in grams, or motion, steady, over, under, ok; Ctrl-C stops\n", *protocol, sim.Path())
		handle = func(line string) (string, error) { return scaleCommand(sim, line) }
	case "printer":
		sim, err := device.NewPrinterSim(*addr)
		if err != nil {
			return err
		}
		defer sim.Close()
		fmt.Fprintf(stdout, "printer simulator listening on %s (configure it as the station printer's uri)\ntype paper-out, paper-in, head-open, head-closed, pause, resume, offline, online or unplug; Ctrl-C stops\n", sim.URI())
		var wg sync.WaitGroup
		defer wg.Wait()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // before wg.Wait: ends the label watcher
		wg.Go(func() { printLabels(ctx, sim, stdout) })
		handle = func(line string) (string, error) { return printerCommand(sim, line) }
	default:
		fmt.Fprint(stderr, simUsage)
		return fmt.Errorf("sim: unknown device %q: want scanner, scale or printer", kind)
	}
	return simLoop(ctx, stdin, stdout, false, handle)
}

// simStation feeds a station's built-in simulated device through the
// demo server's control socket, one command a line, each answered.
func simStation(ctx context.Context, stdin io.Reader, stdout io.Writer, data, station, kind string) error {
	switch kind {
	case "scanner", "scale", "printer":
	default:
		return fmt.Errorf("sim: unknown device %q: want scanner, scale or printer", kind)
	}
	c, r, greeting, err := dialDemoControl(ctx, data, station, kind)
	if err != nil {
		return err
	}
	defer c.Close()
	help := map[string]string{
		"scanner": "type a barcode and Enter to scan it (<GS> for the GS1 separator)",
		"scale":   "type a weight in grams, or motion, steady, over, under, ok",
		"printer": "type paper-out, paper-in, head-open, head-closed, pause, resume, offline, online or unplug",
	}[kind]
	fmt.Fprintf(stdout, "%s of the running server\n%s; Ctrl-C or Ctrl-D stops\n", strings.TrimPrefix(greeting, "ok "), help)
	return simLoop(ctx, stdin, stdout, true, func(line string) (string, error) {
		if line == "" {
			return "", nil
		}
		if _, err := fmt.Fprintln(c, line); err != nil {
			return "", fmt.Errorf("the server went away: %w", err)
		}
		answer, err := r.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("the server went away: %w", err)
		}
		answer = strings.TrimSpace(answer)
		if msg, ok := strings.CutPrefix(answer, "error: "); ok {
			return "", errors.New(msg)
		}
		return answer, nil
	})
}

// simLoop hands each line of stdin to handle until ctx ends.
//
// The goroutine reading stdin ends at end of input. A read of a terminal
// cannot be interrupted, so for the process's own stdin it is not waited
// for: the process exits right after. Other readers are waited for.
//
// A simulator keeps serving at the end of input (it may run in the
// background, its stdin at /dev/null) until ctx ends; a client of the
// control socket (untilEOF) has nothing more to do and returns.
func simLoop(ctx context.Context, stdin io.Reader, stdout io.Writer, untilEOF bool, handle func(string) (string, error)) error {
	lines := make(chan string)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			select {
			case lines <- strings.TrimSpace(sc.Text()):
			case <-ctx.Done():
				return
			}
		}
	}()
	if stdin != io.Reader(os.Stdin) {
		defer func() { <-done }()
	}
	eof := done
	if !untilEOF {
		eof = nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-eof:
			return nil
		case line := <-lines:
			msg, err := handle(line)
			if err != nil {
				fmt.Fprintln(stdout, "error:", err)
			} else if msg != "" {
				fmt.Fprintln(stdout, msg)
			}
		}
	}
}

func scaleCommand(sim *device.ScaleSim, line string) (string, error) {
	switch strings.ToLower(line) {
	case "":
		return "", nil
	case "motion":
		sim.SetMotion(true)
	case "steady":
		sim.SetMotion(false)
	case "over":
		sim.SetOverload(true)
	case "under":
		sim.SetUnderload(true)
	case "ok":
		sim.SetOverload(false)
		sim.SetUnderload(false)
	default:
		g, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(line), "g"), 64)
		if err != nil {
			return "", fmt.Errorf("%q is neither a weight in grams nor motion, steady, over, under or ok", line)
		}
		sim.SetWeight(g)
		return fmt.Sprintf("weight %g g", g), nil
	}
	return "ok: " + line, nil
}

func printerCommand(sim *device.PrinterSim, line string) (string, error) {
	switch strings.ToLower(line) {
	case "":
		return "", nil
	case "paper-out", "paper-in":
		sim.SetPaperOut(line == "paper-out")
	case "head-open", "head-closed":
		sim.SetHeadOpen(line == "head-open")
	case "pause", "resume":
		sim.SetPaused(line == "pause")
	case "offline", "online":
		if err := sim.SetOnline(line == "online"); err != nil {
			return "", err
		}
	case "unplug":
		sim.Unplug()
	default:
		return "", fmt.Errorf("unknown printer command %q", line)
	}
	return "ok: " + line, nil
}

// printLabels writes each label the printer receives until ctx ends.
func printLabels(ctx context.Context, sim *device.PrinterSim, stdout io.Writer) {
	for n := 1; sim.WaitLabels(ctx, n) == nil; n++ {
		labels := sim.Labels()
		fmt.Fprintf(stdout, "label %d (%d bytes):\n%s\n", n, len(labels[n-1]), labels[n-1])
	}
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
