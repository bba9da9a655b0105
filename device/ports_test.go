package device

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.bug.st/serial/enumerator"
)

func TestIdentify(t *testing.T) {
	tests := []struct {
		vid, pid string
		kind     Kind
		vendor   string
	}{
		{"05E0", "1200", KindScanner, "Symbol/Zebra"},
		{"05e0", "0600", KindScanner, "Symbol/Zebra"},
		{"0C2E", "0CAA", KindScanner, "Honeywell"},
		{"05F9", "4204", KindScanner, "Datalogic"},
		{"0488", "5788", KindScanner, "Netum"},
		{"0488", "0001", KindUnknown, ""},
		{"0EB8", "F000", KindScale, "Mettler Toledo"},
		{"0922", "8003", KindScale, "Dymo"},
		{"0A5F", "000A", KindPrinter, "Zebra"},
		{"1A86", "7523", KindUSBSerial, "CH340"},
		{"FFFF", "0000", KindUnknown, ""},
	}
	for _, tt := range tests {
		kind, vendor := Identify(tt.vid, tt.pid)
		if kind != tt.kind || vendor != tt.vendor {
			t.Errorf("Identify(%s, %s) = %q %q, want %q %q", tt.vid, tt.pid, kind, vendor, tt.kind, tt.vendor)
		}
	}
}

// fakeSysfs builds the parts of /sys that ResolveClass reads: a USB
// device with IDs, an interface below it, and class entries whose device
// link points into the tree.
func fakeSysfs(t *testing.T) string {
	root := t.TempDir()
	usbDev := func(bus, vid, pid, serial string) string {
		d := filepath.Join(root, "devices", "pci0000:00", "usb1", bus)
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "idVendor"), []byte(strings.ToLower(vid)+"\n"), 0o644)
		os.WriteFile(filepath.Join(d, "idProduct"), []byte(strings.ToLower(pid)+"\n"), 0o644)
		if serial != "" {
			os.WriteFile(filepath.Join(d, "serial"), []byte(serial+"\n"), 0o644)
		}
		return d
	}
	entry := func(class, name, target string) {
		d := filepath.Join(root, "class", class, name)
		os.MkdirAll(d, 0o755)
		os.MkdirAll(target, 0o755)
		if err := os.Symlink(target, filepath.Join(d, "device")); err != nil {
			t.Fatal(err)
		}
	}
	scanner := usbDev("1-1", "05E0", "1200", "S123")
	entry("tty", "ttyACM0", filepath.Join(scanner, "1-1:1.0"))
	// Two identical scales without serial numbers, usb-serial style (two
	// levels below the device).
	a := usbDev("1-2", "1A86", "7523", "")
	entry("tty", "ttyUSB10", filepath.Join(a, "1-2:1.0", "ttyUSB10"))
	b := usbDev("1-3", "1A86", "7523", "")
	entry("tty", "ttyUSB2", filepath.Join(b, "1-3:1.0", "ttyUSB2"))
	// A Dymo on hidraw, and a keyboard-wedge scanner with two event nodes.
	dymo := usbDev("1-4", "0922", "8003", "")
	entry("hidraw", "hidraw3", filepath.Join(dymo, "1-4:1.0", "0003:0922:8003.0001"))
	wedge := usbDev("1-5", "0C2E", "0B01", "W9")
	entry("input", "event12", filepath.Join(wedge, "1-5:1.0", "input", "input12"))
	entry("input", "input12", filepath.Join(wedge, "1-5:1.0", "input", "input12"))
	entry("input", "event4", filepath.Join(wedge, "1-5:1.1", "input", "input4"))
	zebra := usbDev("1-6", "0A5F", "000A", "ZP1")
	entry("usbmisc", "lp0", filepath.Join(zebra, "1-6:1.0"))
	// A legacy port with no USB device above it.
	entry("tty", "ttyS0", filepath.Join(root, "devices", "platform", "serial8250", "tty", "ttyS0"))
	return root
}

func TestResolveClass(t *testing.T) {
	old := sysRoot
	sysRoot = fakeSysfs(t)
	t.Cleanup(func() { sysRoot = old })
	tests := []struct {
		class      Class
		match      string
		want       string
		err        error
		errContain string
	}{
		{ClassTTY, "/dev/ttyS0", "/dev/ttyS0", nil, ""},
		{ClassTTY, "usb:05e0:1200", "/dev/ttyACM0", nil, ""},
		{ClassTTY, "usb:05E0:1200:S123", "/dev/ttyACM0", nil, ""},
		{ClassTTY, "usb:05E0:1200:OTHER", "", os.ErrNotExist, ""},
		{ClassTTY, "usb:1A86:7523", "", nil, "2 tty devices match (/dev/ttyUSB2, /dev/ttyUSB10)"},
		{ClassTTY, "usb:0922:8003", "", os.ErrNotExist, ""}, // the Dymo is not a serial port
		{ClassHidraw, "usb:0922:8003", "/dev/hidraw3", nil, ""},
		{ClassInput, "usb:0c2e:0b01:W9", "", nil, "2 input devices match (/dev/input/event4, /dev/input/event12)"},
		{ClassLP, "usb:0A5F:000A", "/dev/usb/lp0", nil, ""},
		{ClassTTY, "usb:05E0", "", nil, "want usb:VID:PID"},
		{ClassTTY, "usb:5E0:1200", "", nil, "want usb:VID:PID"},
	}
	for _, tt := range tests {
		got, err := ResolveClass(tt.class, tt.match)
		switch {
		case tt.err != nil && !errors.Is(err, tt.err):
			t.Errorf("%s %s: %v, want %v", tt.class, tt.match, err, tt.err)
		case tt.errContain != "" && (err == nil || !strings.Contains(err.Error(), tt.errContain)):
			t.Errorf("%s %s: %v, want an error containing %q", tt.class, tt.match, err, tt.errContain)
		case tt.err == nil && tt.errContain == "" && (err != nil || got != tt.want):
			t.Errorf("%s %s = %q %v, want %q", tt.class, tt.match, got, err, tt.want)
		}
	}
	if got, err := Resolve("usb:05E0:1200"); got != "/dev/ttyACM0" || err != nil {
		t.Errorf("Resolve: %q %v", got, err)
	}
}

func TestPortInfos(t *testing.T) {
	got := portInfos([]*enumerator.PortDetails{
		{Name: "/dev/ttyACM0", IsUSB: true, VID: "05E0", PID: "1200", SerialNumber: "S1", Product: "Symbol Bar Code Scanner"},
		{Name: "/dev/ttyUSB0", IsUSB: true, VID: "1A86", PID: "7523"},
		{Name: "/dev/ttyS0"},
	})
	want := []PortInfo{
		{Path: "/dev/ttyACM0", USB: true, VID: "05E0", PID: "1200", Serial: "S1", Product: "Symbol Bar Code Scanner",
			Kind: KindScanner, Vendor: "Symbol/Zebra", Match: "usb:05E0:1200:S1"},
		{Path: "/dev/ttyUSB0", USB: true, VID: "1A86", PID: "7523", Kind: KindUSBSerial, Vendor: "CH340", Match: "usb:1A86:7523"},
		{Path: "/dev/ttyS0", Match: "/dev/ttyS0"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d ports", len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("port %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestListPorts runs the real enumerator. It opens every /dev/ttyS* (and
// so resets a legacy port's settings), so it runs only when asked:
// PICKWAVE_LIST_PORTS=1.
func TestListPorts(t *testing.T) {
	if os.Getenv("PICKWAVE_LIST_PORTS") == "" {
		t.Skip("set PICKWAVE_LIST_PORTS=1 to enumerate this machine's serial ports")
	}
	ports, err := ListPorts()
	if err != nil {
		t.Skipf("enumerator unavailable here: %v", err)
	}
	for _, p := range ports {
		t.Logf("%+v", p)
		if p.USB && !strings.HasPrefix(p.Match, "usb:") || !p.USB && p.Match != p.Path {
			t.Errorf("port %+v: bad match", p)
		}
	}
}
