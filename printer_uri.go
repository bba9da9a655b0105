package pickwave

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PrinterURI is a printer URI (PrinterConfig.URI) taken apart. It is the
// one reading of the form: Station.Validate refuses what ParsePrinterURI
// refuses, and device.OpenPrinter opens what it returns, so a URI that was
// stored opens, and one that would not open is refused at the API.
//
//	tcp://host[:9100][?timeout=2s&status=on]
//	serial:///dev/ttyUSB0[?baud=9600&databits=8&parity=none&stopbits=1&timeout=2s&status=off]
//	serial:usb:VID:PID[:SERIAL][?…]
//	file:///dev/usb/lp0   or   file:usb:VID:PID[:SERIAL]
//
// Each scheme's parameters are checked; parameters a scheme does not take
// are ignored, as they always were.
type PrinterURI struct {
	// Scheme is "tcp", "serial" or "file".
	Scheme string
	// Addr is a TCP printer's host:port; the port is 9100 when the URI
	// names none.
	Addr string
	// Device is a serial or file printer's device: an absolute path or a
	// USB binding usb:VID:PID[:SERIAL].
	Device string
	// Timeout bounds each status reply: the timeout parameter, or
	// DefaultPrinterTimeout.
	Timeout time.Duration
	// Status says whether the printer is asked for its status before and
	// after each job: the status parameter (on, off, 1, 0, true, false),
	// by default on for TCP and off for serial, where many cables carry no
	// reply. A file printer reports what the USB printer class tells and
	// takes no status parameter.
	Status bool
	// Baud, DataBits, Parity and StopBits are a serial printer's line
	// setting; zero values (and "") mean 9600 8N1. Parity is spelled out:
	// none, odd, even, mark or space.
	Baud, DataBits, StopBits int
	Parity                   string
}

// Printer URI defaults.
const (
	// DefaultPrinterPort is the raw TCP port of a printer URI without one.
	DefaultPrinterPort = "9100"
	// DefaultPrinterTimeout bounds a status reply; Zebra printers reply
	// in milliseconds.
	DefaultPrinterTimeout = 2 * time.Second
)

// printerParity maps the parity spellings a printer URI takes to the
// word; the one-letter forms were always accepted when the printer opened.
var printerParity = map[string]string{
	"": "", "none": "none", "n": "none", "odd": "odd", "o": "odd", "even": "even", "e": "even",
	"mark": "mark", "m": "mark", "space": "space", "s": "space",
}

// ParsePrinterURI parses and checks a printer URI. A bad one is an
// EINVALID *Error whose details name field "uri" once per problem.
func ParsePrinterURI(uri string) (PrinterURI, error) {
	var fe FieldErrors
	p := parsePrinterURI(&fe, "uri", uri)
	if len(fe) == 0 {
		return p, nil
	}
	reasons := make([]string, len(fe))
	for i, f := range fe {
		reasons[i] = f.Reason
	}
	return PrinterURI{}, &Error{Code: EINVALID, Details: []FieldError(fe),
		Message: fmt.Sprintf("The printer URI %q is not valid: it %s.", uri, strings.Join(reasons, "; it "))}
}

// parsePrinterURI adds every problem of v to fe under field and returns
// what it could read.
func parsePrinterURI(fe *FieldErrors, field, v string) PrinterURI {
	var p PrinterURI
	if v == "" {
		fe.Add(field, "is required")
		return p
	}
	if len(v) > MaxPortLen || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		fe.Add(field, "must be at most %d bytes without control characters", MaxPortLen)
		return p
	}
	u, err := url.Parse(v)
	if err != nil {
		fe.Add(field, "is not a URI: %v", err)
		return p
	}
	p.Scheme = u.Scheme
	q := u.Query()
	switch u.Scheme {
	case "tcp":
		if u.Hostname() == "" || u.Path != "" && u.Path != "/" {
			fe.Add(field, "must be tcp://host[:port]")
			return p
		}
		p.Addr = u.Host
		if u.Port() == "" {
			p.Addr = net.JoinHostPort(u.Hostname(), DefaultPrinterPort)
		}
		p.Timeout = printerTimeout(fe, field, q)
		p.Status = printerStatus(fe, field, q, true)
	case "serial", "file":
		p.Device = u.Path
		if u.Opaque != "" {
			p.Device = u.Opaque
		}
		switch {
		case strings.HasPrefix(p.Device, "usb:"):
			if !usbBinding.MatchString(p.Device) {
				fe.Add(field, "has a bad usb:VID:PID[:SERIAL] binding")
			}
		case !strings.HasPrefix(p.Device, "/"):
			fe.Add(field, "must name a device: %s:///dev/… or %s:usb:VID:PID", u.Scheme, u.Scheme)
		}
		if u.Scheme == "file" {
			return p
		}
		p.Timeout = printerTimeout(fe, field, q)
		p.Status = printerStatus(fe, field, q, false)
		p.Baud = printerInt(fe, field, q, "baud", 0, maxBaud, "between 0 (9600) and %d", maxBaud)
		p.DataBits = printerInt(fe, field, q, "databits", 5, 8, "between 5 and 8")
		p.StopBits = printerInt(fe, field, q, "stopbits", 1, 2, "1 or 2")
		parity, ok := printerParity[strings.ToLower(q.Get("parity"))]
		if !ok {
			fe.Add(field, "has parity=%q: must be none, odd, even, mark or space", q.Get("parity"))
		}
		p.Parity = parity
	default:
		fe.Add(field, "must start with tcp://, serial: or file:")
	}
	return p
}

func printerTimeout(fe *FieldErrors, field string, q url.Values) time.Duration {
	v := q.Get("timeout")
	if v == "" {
		return DefaultPrinterTimeout
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		fe.Add(field, "has timeout=%q: must be a positive duration such as 2s or 500ms", v)
		return DefaultPrinterTimeout
	}
	return d
}

func printerStatus(fe *FieldErrors, field string, q url.Values, def bool) bool {
	switch v := q.Get("status"); v {
	case "":
		return def
	case "on", "1", "true":
		return true
	case "off", "0", "false":
		return false
	default:
		fe.Add(field, "has status=%q: must be on or off", v)
		return def
	}
}

// printerInt reads an optional whole-number parameter: absent or 0 is 0
// (the default), anything else must be within lo..hi.
func printerInt(fe *FieldErrors, field string, q url.Values, key string, lo, hi int, want string, args ...any) int {
	v := q.Get(key)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n != 0 && (n < lo || n > hi) {
		fe.Add(field, "has %s=%q: must be %s", key, v, fmt.Sprintf(want, args...))
		return 0
	}
	return n
}
