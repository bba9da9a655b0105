package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/device"
)

const (
	// demoStation is the id of the demo pack station.
	demoStation = "PACK-1"
	// floorStation is the pack station of the demo floor's packers, so
	// that PACK-1 stays free for a person.
	floorStation = "PACK-9"
	// demoControl is the name, in DATA/dev, of the unix socket through
	// which `pickwave sim DEVICE --station ID` feeds the built-in
	// simulators of a running --demo server.
	demoControl = "control.sock"
	// maxControlLine bounds one line on the control socket.
	maxControlLine = 8 << 10
)

// benchDevices are one station's simulated devices: a serial scanner and
// an MT-SICS scale on pseudo-terminals, and a ZPL printer on a loopback
// port.
type benchDevices struct {
	scanner *device.ScannerSim
	scale   *device.ScaleSim
	printer *device.PrinterSim
}

// demoDevices are the simulated devices --demo attaches to the demo pack
// stations, with the control socket that lets a person type into them.
// PACK-1's scanner and scale are reachable at DATA/dev/scanner and
// DATA/dev/scale (links the station opens exactly as it opens real
// ports), another station's at DATA/dev/ID-scanner and DATA/dev/ID-scale.
// They live as long as the server.
//
// The control socket, DATA/dev/control.sock (mode 0600 in a 0700
// directory: only the server's own user), speaks lines: the client sends
// "STATION DEVICE" (DEVICE: scanner, scale or printer), the server
// answers "ok ..." or "error: ..."; then each line the client sends is one
// command of `pickwave sim DEVICE` (a barcode, a weight, paper-out...),
// answered with one line.
type demoDevices struct {
	dir     string
	benches map[string]*benchDevices
	log     *slog.Logger

	ctl   net.Listener
	wg    sync.WaitGroup // the accept loop and one goroutine per connection
	mu    sync.Mutex
	conns map[net.Conn]bool
}

// openDemoDevices starts the simulators of the stations under dataDir/dev,
// and the control socket.
func openDemoDevices(dataDir string, stations []string, log *slog.Logger) (_ *demoDevices, err error) {
	dir, err := filepath.Abs(filepath.Join(dataDir, "dev"))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo devices: %w", err)
	}
	d := &demoDevices{dir: dir, benches: map[string]*benchDevices{}, log: log, conns: map[net.Conn]bool{}}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	for _, id := range stations {
		b := &benchDevices{}
		d.benches[id] = b
		prefix := ""
		if id != demoStation {
			prefix = id + "-"
		}
		if b.scanner, err = device.NewScannerSim(filepath.Join(dir, prefix+"scanner"), device.ScannerSimConfig{}); err != nil {
			return nil, fmt.Errorf("demo scanner of %s: %w", id, err)
		}
		if b.scale, err = device.NewScaleSim(filepath.Join(dir, prefix+"scale"), device.ScaleSimConfig{Protocol: device.ProtocolMTSICS}); err != nil {
			return nil, fmt.Errorf("demo scale of %s: %w", id, err)
		}
		if b.printer, err = device.NewPrinterSim("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("demo printer of %s: %w", id, err)
		}
	}
	path := filepath.Join(dir, demoControl)
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("demo control socket: %w", err)
	}
	if d.ctl, err = net.Listen("unix", path); err != nil {
		return nil, fmt.Errorf("demo control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("demo control socket: %w", err)
	}
	d.wg.Go(d.accept)
	return d, nil
}

// Close stops the control socket and every simulator that was started.
func (d *demoDevices) Close() error {
	var errs []error
	if d.ctl != nil {
		errs = append(errs, d.ctl.Close()) // removes the socket file too
		d.mu.Lock()
		for c := range d.conns {
			c.Close()
		}
		d.mu.Unlock()
		d.wg.Wait()
	}
	for _, b := range d.benches {
		if b.scanner != nil {
			errs = append(errs, b.scanner.Close())
		}
		if b.scale != nil {
			errs = append(errs, b.scale.Close())
		}
		if b.printer != nil {
			errs = append(errs, b.printer.Close())
		}
	}
	return errors.Join(errs...)
}

// configure points a station's devices at its simulators.
func (b *benchDevices) configure(st *pickwave.Station) {
	st.Scanner = &pickwave.ScannerConfig{Port: b.scanner.Path(), Baud: 9600, Suffix: "cr"}
	st.Scale = &pickwave.ScaleConfig{Port: b.scale.Path(), Protocol: pickwave.ScaleMTSICS, Baud: 9600, DataBits: 8, Parity: "none"}
	st.Printer = &pickwave.PrinterConfig{URI: b.printer.URI(), DPI: 203}
}

// accept serves the control socket until it is closed.
func (d *demoDevices) accept() {
	for {
		c, err := d.ctl.Accept()
		if err != nil {
			return // closed
		}
		d.mu.Lock()
		d.conns[c] = true
		d.mu.Unlock()
		d.wg.Go(func() {
			defer func() {
				d.mu.Lock()
				delete(d.conns, c)
				d.mu.Unlock()
				c.Close()
			}()
			d.serveControl(c)
		})
	}
}

// serveControl runs one control connection: the device it names, then
// one answer per command.
func (d *demoDevices) serveControl(c net.Conn) {
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 512), maxControlLine)
	w := bufio.NewWriter(c)
	reply := func(s string) bool {
		w.WriteString(strings.ReplaceAll(s, "\n", " ") + "\n")
		return w.Flush() == nil
	}
	if !sc.Scan() {
		return
	}
	station, kind, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
	b := d.benches[station]
	if b == nil {
		ids := slices.Sorted(func(yield func(string) bool) {
			for id := range d.benches {
				if !yield(id) {
					return
				}
			}
		})
		reply(fmt.Sprintf("error: station %q has no built-in simulated devices; these have: %s", pickwave.Clip(station), strings.Join(ids, ", ")))
		return
	}
	var handle func(line string) (string, error)
	switch kind {
	case "scanner":
		handle = func(line string) (string, error) {
			code := strings.ReplaceAll(line, "<GS>", "\x1d")
			if code == "" {
				return "", nil
			}
			return fmt.Sprintf("scanned %q", code), b.scanner.Scan(code)
		}
	case "scale":
		handle = func(line string) (string, error) { return scaleCommand(b.scale, line) }
	case "printer":
		handle = func(line string) (string, error) { return printerCommand(b.printer, line) }
	default:
		reply(fmt.Sprintf("error: unknown device %q: want scanner, scale or printer", pickwave.Clip(kind)))
		return
	}
	if !reply(fmt.Sprintf("ok %s's built-in %s", station, kind)) {
		return
	}
	d.log.Info("demo: a person feeds a built-in simulator", "station", station, "device", kind)
	for sc.Scan() {
		msg, err := handle(strings.TrimSpace(sc.Text()))
		if err != nil {
			msg = "error: " + err.Error()
		}
		if msg == "" {
			msg = "ok"
		}
		if !reply(msg) {
			return
		}
	}
}

// demoBench is one demo station: its id, its name when created, and
// whether to create it when the data does not have it.
type demoBench struct {
	id, name string
	create   bool
}

// attachDemoDevices starts the simulators and attaches them to the demo
// stations: PACK-1, created with the demo warehouse, and PACK-9, created
// for the demo floor's packers with the first --demo-floor start. An
// existing one is updated at every later --demo start, since the
// printer's port changes from run to run. Data that was not seeded by
// --demo and has no PACK-1 gets no PACK-1.
func (m *Main) attachDemoDevices(ctx context.Context, seeded bool) error {
	benches := []demoBench{
		{id: demoStation, name: "Pack station 1 (simulated devices)", create: seeded},
		{id: floorStation, name: "Pack station 9 (the demo floor's packers)", create: m.Config.DemoFloor.Enabled},
	}
	var attach []demoBench
	exists := map[string]*pickwave.Station{}
	for _, b := range benches {
		st, err := m.DB.Station(ctx, b.id)
		switch {
		case err == nil:
			exists[b.id] = st
		case pickwave.ErrorCode(err) != pickwave.ENOTFOUND:
			return err
		case !b.create:
			if b.id == demoStation {
				m.Logger.Info("demo: no demo pack station in this data; no simulated devices attached", "station", b.id)
			}
			continue
		}
		attach = append(attach, b)
	}
	if len(attach) == 0 {
		return nil
	}
	ids := make([]string, len(attach))
	for i, b := range attach {
		ids[i] = b.id
	}
	d, err := openDemoDevices(m.Config.Data, ids, m.Logger)
	if err != nil {
		return err
	}
	m.demo = d
	actx := pickwave.WithActor(ctx, "demo")
	for _, b := range attach {
		dev := d.benches[b.id]
		if st := exists[b.id]; st != nil {
			dev.configure(st)
			if _, err := m.DB.UpdateStation(actx, st); err != nil {
				return fmt.Errorf("demo station %s: %w", b.id, err)
			}
		} else {
			st = &pickwave.Station{ID: b.id, Name: b.name}
			dev.configure(st)
			if err := m.DB.CreateStation(actx, st); err != nil {
				return fmt.Errorf("demo station %s: %w", b.id, err)
			}
		}
		m.Logger.Info("demo: simulated devices attached", "station", b.id,
			"scanner", dev.scanner.Path(), "scale", dev.scale.Path(), "printer", dev.printer.URI(),
			"control", filepath.Join(d.dir, demoControl))
	}
	return nil
}

// dialDemoControl connects to a running --demo server's control socket
// and names the device; it returns the connection and the server's
// greeting.
func dialDemoControl(ctx context.Context, dataDir, station, kind string) (net.Conn, *bufio.Reader, string, error) {
	path, err := filepath.Abs(filepath.Join(dataDir, "dev", demoControl))
	if err != nil {
		return nil, nil, "", err
	}
	var dialer net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := dialer.DialContext(dctx, "unix", path)
	if err != nil {
		return nil, nil, "", fmt.Errorf("no running `pickwave serve --demo` with data in %s (%v)", dataDir, err)
	}
	r := bufio.NewReaderSize(c, 1024)
	if _, err := fmt.Fprintf(c, "%s %s\n", station, kind); err != nil {
		c.Close()
		return nil, nil, "", err
	}
	greeting, err := r.ReadString('\n')
	if err != nil {
		c.Close()
		return nil, nil, "", fmt.Errorf("demo control socket: %w", err)
	}
	greeting = strings.TrimSpace(greeting)
	if msg, ok := strings.CutPrefix(greeting, "error: "); ok {
		c.Close()
		return nil, nil, "", errors.New(msg)
	}
	return c, r, greeting, nil
}
