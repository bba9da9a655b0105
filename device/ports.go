package device

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.bug.st/serial/enumerator"
)

// Kind is what a device is, as far as its USB IDs tell.
type Kind string

// Device kinds.
const (
	KindUnknown   Kind = ""
	KindScanner   Kind = "scanner"
	KindScale     Kind = "scale"
	KindPrinter   Kind = "printer"
	KindUSBSerial Kind = "usb-serial" // a bridge cable: the device behind it could be anything
)

type knownVendor struct {
	vid, pid string // pid "" matches the whole vendor
	kind     Kind
	name     string
}

// known lists the scanner, scale and printer makers whose USB IDs we
// recognise (see docs/hardware.md). A product entry wins over its vendor.
var known = []knownVendor{
	{"05E0", "", KindScanner, "Symbol/Zebra"},
	{"0C2E", "", KindScanner, "Honeywell"},
	{"0536", "", KindScanner, "Hand Held Products"},
	{"05F9", "", KindScanner, "Datalogic"},
	{"1EAB", "", KindScanner, "Newland"},
	{"067E", "", KindScanner, "Intermec"},
	{"0488", "5788", KindScanner, "Netum"},
	{"1FBB", "3850", KindScanner, "Cino"},
	{"0A5F", "", KindPrinter, "Zebra"},
	{"0922", "", KindScale, "Dymo"},
	{"6096", "0158", KindScale, "Sanford Dymo"},
	{"0EB8", "", KindScale, "Mettler Toledo"},
	{"0B67", "", KindScale, "Fairbanks"},
	{"1446", "", KindScale, "Stamps.com"},
	{"2474", "", KindScale, "Stamps.com"},
	{"7B7C", "0100", KindScale, "USPS/Elane"},
	{"0D8F", "0200", KindScale, "Pitney Bowes"},
	{"1A86", "7523", KindUSBSerial, "CH340"},
	{"10C4", "EA60", KindUSBSerial, "Silicon Labs CP210x"},
	{"067B", "2303", KindUSBSerial, "Prolific PL2303"},
	{"0403", "6001", KindUSBSerial, "FTDI"},
}

// Identify returns the kind and maker of a USB device from its vendor and
// product IDs (hex, any case), or KindUnknown and "".
func Identify(vid, pid string) (Kind, string) {
	vid, pid = strings.ToUpper(vid), strings.ToUpper(pid)
	var best *knownVendor
	for i, k := range known {
		if k.vid != vid || (k.pid != "" && k.pid != pid) {
			continue
		}
		if best == nil || k.pid != "" {
			best = &known[i]
		}
	}
	if best == nil {
		return KindUnknown, ""
	}
	return best.kind, best.name
}

// PortInfo describes one serial port.
type PortInfo struct {
	Path         string `json:"path"`
	USB          bool   `json:"usb"`
	VID          string `json:"vid,omitempty"` // upper-case hex, e.g. "05E0"
	PID          string `json:"pid,omitempty"`
	Serial       string `json:"serial,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Product      string `json:"product,omitempty"`
	Kind         Kind   `json:"kind,omitempty"`
	Vendor       string `json:"vendor,omitempty"` // the maker we recognise from VID/PID
	// Match is the binding to put in a configuration so the device is found
	// again after it re-enumerates: "usb:VID:PID[:SERIAL]", or the path.
	Match string `json:"match"`
}

// ListPorts lists the serial ports with their USB IDs and the kind we
// recognise. It uses go.bug.st/serial's enumerator, which opens every
// /dev/ttyS* to see whether it exists and so resets a legacy port another
// program has open: call it on request (pickwave devices), never on a
// timer. Resolve does not have this problem.
func ListPorts() ([]PortInfo, error) {
	list, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("list serial ports: %w", err)
	}
	return portInfos(list), nil
}

// portInfos converts the enumerator's details and recognises the kinds.
func portInfos(list []*enumerator.PortDetails) []PortInfo {
	ports := make([]PortInfo, 0, len(list))
	for _, d := range list {
		p := PortInfo{Path: d.Name, USB: d.IsUSB, VID: d.VID, PID: d.PID, Serial: d.SerialNumber,
			Manufacturer: d.Manufacturer, Product: d.Product, Match: d.Name}
		if d.IsUSB {
			p.Kind, p.Vendor = Identify(d.VID, d.PID)
			p.Match = "usb:" + d.VID + ":" + d.PID
			if d.SerialNumber != "" {
				p.Match += ":" + d.SerialNumber
			}
		}
		ports = append(ports, p)
	}
	return ports
}

// Class is a Linux device class a USB binding is looked up in.
type Class string

// Device classes.
const (
	ClassTTY    Class = "tty"     // serial ports: /dev/ttyACM*, /dev/ttyUSB*
	ClassHidraw Class = "hidraw"  // HID POS scales: /dev/hidraw*
	ClassInput  Class = "input"   // keyboard-wedge scanners: /dev/input/event*
	ClassLP     Class = "usbmisc" // USB printers: /dev/usb/lp*
)

// sysRoot is where sysfs is; tests point it at a fake tree.
var sysRoot = "/sys"

// Resolve turns a serial device binding into a path: a path is returned as
// is, "usb:VID:PID[:SERIAL]" is looked up among the serial ports in sysfs
// (without opening any). It is ResolveClass(ClassTTY, match).
func Resolve(match string) (string, error) { return ResolveClass(ClassTTY, match) }

// ResolveClass turns a binding into a device path: a path is returned as
// is; "usb:VID:PID[:SERIAL]" (hex IDs, any case) is looked up among the
// devices of class in sysfs. It fails with an error wrapping os.ErrNotExist
// when nothing matches, and when several devices match without a serial
// number to tell them apart (bind those by /dev/serial/by-path instead).
func ResolveClass(class Class, match string) (string, error) {
	rest, ok := strings.CutPrefix(match, "usb:")
	if !ok {
		return match, nil
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) < 2 || len(parts[0]) != 4 || len(parts[1]) != 4 {
		return "", fmt.Errorf("device %q: want usb:VID:PID[:SERIAL] with 4-digit hex IDs", match)
	}
	vid, pid := strings.ToUpper(parts[0]), strings.ToUpper(parts[1])
	serial := ""
	if len(parts) == 3 {
		serial = parts[2]
	}
	dir := filepath.Join(sysRoot, "class", string(class))
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return "", fmt.Errorf("resolve %s: %w", match, err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if class == ClassInput && !strings.HasPrefix(e.Name(), "event") {
			continue
		}
		names = append(names, e.Name())
	}
	sort.Slice(names, func(i, j int) bool { return natLess(names[i], names[j]) })
	var found []string
	for _, name := range names {
		attrs, ok := usbAttrs(filepath.Join(dir, name, "device"))
		if !ok || attrs["idVendor"] != vid || attrs["idProduct"] != pid {
			continue
		}
		if serial != "" && attrs["serial"] != serial {
			continue
		}
		found = append(found, devPath(class, name))
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("resolve %s: no %s device with that USB ID is plugged in: %w", match, class, os.ErrNotExist)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("resolve %s: %d %s devices match (%s); bind by serial number or by /dev/serial/by-path",
		match, len(found), class, strings.Join(found, ", "))
}

func devPath(class Class, name string) string {
	switch class {
	case ClassInput:
		return "/dev/input/" + name
	case ClassLP:
		return "/dev/usb/" + name
	}
	return "/dev/" + name
}

// usbAttrs walks up from a sysfs device link to the USB device that holds
// idVendor, and returns its IDs (upper case) and serial number.
func usbAttrs(link string) (map[string]string, bool) {
	d, err := filepath.EvalSymlinks(link)
	if err != nil {
		return nil, false
	}
	for i := 0; i < 8 && d != "/" && d != "."; i++ {
		if v, err := os.ReadFile(filepath.Join(d, "idVendor")); err == nil {
			p, _ := os.ReadFile(filepath.Join(d, "idProduct"))
			s, _ := os.ReadFile(filepath.Join(d, "serial"))
			return map[string]string{
				"idVendor":  strings.ToUpper(strings.TrimSpace(string(v))),
				"idProduct": strings.ToUpper(strings.TrimSpace(string(p))),
				"serial":    strings.TrimSpace(string(s)),
			}, true
		}
		d = filepath.Dir(d)
	}
	return nil, false
}

// natLess orders "ttyACM2" before "ttyACM10".
func natLess(a, b string) bool {
	ta, na := splitNum(a)
	tb, nb := splitNum(b)
	if ta != tb {
		return ta < tb
	}
	return na < nb
}

func splitNum(s string) (string, int) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	n, _ := strconv.Atoi(s[i:])
	return s[:i], n
}
