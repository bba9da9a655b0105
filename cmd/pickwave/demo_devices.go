package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/device"
)

// demoStation is the id of the demo pack station.
const demoStation = "PACK-1"

// demoDevices are the simulated devices --demo attaches to the demo pack
// station: a serial scanner and an MT-SICS scale on pseudo-terminals
// reachable at DATA/dev/scanner and DATA/dev/scale (links the station
// opens exactly as it opens real ports), and a ZPL printer on a loopback
// port. They live as long as the server.
type demoDevices struct {
	scanner *device.ScannerSim
	scale   *device.ScaleSim
	printer *device.PrinterSim
}

// openDemoDevices starts the simulators under dataDir/dev.
func openDemoDevices(dataDir string) (_ *demoDevices, err error) {
	dir, err := filepath.Abs(filepath.Join(dataDir, "dev"))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo devices: %w", err)
	}
	d := &demoDevices{}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.scanner, err = device.NewScannerSim(filepath.Join(dir, "scanner"), device.ScannerSimConfig{}); err != nil {
		return nil, fmt.Errorf("demo scanner: %w", err)
	}
	if d.scale, err = device.NewScaleSim(filepath.Join(dir, "scale"), device.ScaleSimConfig{Protocol: device.ProtocolMTSICS}); err != nil {
		return nil, fmt.Errorf("demo scale: %w", err)
	}
	if d.printer, err = device.NewPrinterSim("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("demo printer: %w", err)
	}
	return d, nil
}

// Close stops every simulator that was started.
func (d *demoDevices) Close() error {
	var errs []error
	if d.scanner != nil {
		errs = append(errs, d.scanner.Close())
	}
	if d.scale != nil {
		errs = append(errs, d.scale.Close())
	}
	if d.printer != nil {
		errs = append(errs, d.printer.Close())
	}
	return errors.Join(errs...)
}

// configure points a station's devices at the simulators.
func (d *demoDevices) configure(st *pickwave.Station) {
	st.Scanner = &pickwave.ScannerConfig{Port: d.scanner.Path(), Baud: 9600, Suffix: "cr"}
	st.Scale = &pickwave.ScaleConfig{Port: d.scale.Path(), Protocol: pickwave.ScaleMTSICS, Baud: 9600, DataBits: 8, Parity: "none"}
	st.Printer = &pickwave.PrinterConfig{URI: d.printer.URI(), DPI: 203}
}

// attachDemoDevices starts the simulators and attaches them to the demo
// station: created with the demo warehouse, and updated at every later
// --demo start, since the printer's port changes from run to run. Data
// that was not seeded by --demo and has no demo station gets none.
func (m *Main) attachDemoDevices(ctx context.Context, seeded bool) error {
	st, err := m.DB.Station(ctx, demoStation)
	exists := err == nil
	switch {
	case exists:
	case pickwave.ErrorCode(err) != pickwave.ENOTFOUND:
		return err
	case !seeded:
		m.Logger.Info("demo: no demo pack station in this data; no simulated devices attached")
		return nil
	}
	d, err := openDemoDevices(m.Config.Data)
	if err != nil {
		return err
	}
	m.demo = d
	actx := pickwave.WithActor(ctx, "demo")
	if exists {
		d.configure(st)
		if _, err := m.DB.UpdateStation(actx, st); err != nil {
			return fmt.Errorf("demo station: %w", err)
		}
	} else {
		st = &pickwave.Station{ID: demoStation, Name: "Pack station 1 (simulated devices)"}
		d.configure(st)
		if err := m.DB.CreateStation(actx, st); err != nil {
			return fmt.Errorf("demo station: %w", err)
		}
	}
	m.Logger.Info("demo: simulated devices attached", "station", demoStation,
		"scanner", d.scanner.Path(), "scale", d.scale.Path(), "printer", d.printer.URI())
	return nil
}
