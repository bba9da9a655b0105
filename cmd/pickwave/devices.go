package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/pickwave/pickwave/device"
)

// runDevices lists the serial ports with their USB ids and the kind of
// device recognised from them. MATCH is what to configure as a station
// device's port, so the device is found again after it re-enumerates.
func runDevices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the ports as a JSON array")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: pickwave devices [--json]\n\nLists serial ports with USB VID:PID, serial number and the kind recognised.\nNote: it opens every legacy /dev/ttyS* port, which resets its settings.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("devices takes no arguments, got %q", fs.Args())
	}
	ports, err := device.ListPorts()
	if err != nil {
		return fmt.Errorf("list serial ports: %w", err)
	}
	if *asJSON {
		if ports == nil {
			ports = []device.PortInfo{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ports)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tKIND\tVENDOR\tVID:PID\tSERIAL\tPRODUCT\tMATCH")
	for _, p := range ports {
		ids := "-"
		if p.USB {
			ids = p.VID + ":" + p.PID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Path, dash(string(p.Kind)), dash(p.Vendor), ids,
			dash(p.Serial), dash(p.Product), p.Match)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(ports) == 0 {
		fmt.Fprintln(stdout, "(no serial ports found)")
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
