package pickwave_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

func TestParsePrinterURI(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		want pickwave.PrinterURI
	}{
		{"tcp://10.0.5.21", pickwave.PrinterURI{Scheme: "tcp", Addr: "10.0.5.21:9100", Timeout: 2 * time.Second, Status: true}},
		{"tcp://printer.local:6101/?timeout=500ms&status=off",
			pickwave.PrinterURI{Scheme: "tcp", Addr: "printer.local:6101", Timeout: 500 * time.Millisecond}},
		{"tcp://[::1]", pickwave.PrinterURI{Scheme: "tcp", Addr: "[::1]:9100", Timeout: 2 * time.Second, Status: true}},
		{"serial:///dev/ttyUSB0?baud=19200&databits=7&parity=E&stopbits=2&status=on",
			pickwave.PrinterURI{Scheme: "serial", Device: "/dev/ttyUSB0", Timeout: 2 * time.Second, Status: true,
				Baud: 19200, DataBits: 7, Parity: "even", StopBits: 2}},
		{"serial:usb:0A5F:0001:XYZ?baud=9600",
			pickwave.PrinterURI{Scheme: "serial", Device: "usb:0A5F:0001:XYZ", Timeout: 2 * time.Second, Baud: 9600}},
		{"file:///dev/usb/lp0", pickwave.PrinterURI{Scheme: "file", Device: "/dev/usb/lp0"}},
		// A file printer takes no parameters; they are ignored, as before.
		{"file:usb:0A5F:0001?status=whatever", pickwave.PrinterURI{Scheme: "file", Device: "usb:0A5F:0001"}},
		// Parameters another scheme takes are ignored.
		{"tcp://p?baud=fast", pickwave.PrinterURI{Scheme: "tcp", Addr: "p:9100", Timeout: 2 * time.Second, Status: true}},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			got, err := pickwave.ParsePrinterURI(tc.uri)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParsePrinterURI_Invalid(t *testing.T) {
	for _, tc := range []struct {
		uri    string
		reason string // in every problem's reason, in order
	}{
		{"", "required"},
		{"lpt://x", "must start with"},
		{"%zz", "not a URI"},
		{"tcp://", "tcp://host[:port]"},
		{"tcp://:9100", "tcp://host[:port]"},
		{"tcp://host/queue", "tcp://host[:port]"},
		{"tcp://host?timeout=abc", `timeout="abc"`},
		{"tcp://host?timeout=-1s", `timeout="-1s"`},
		{"tcp://host?timeout=0", `timeout="0"`},
		{"tcp://host?status=maybe", `status="maybe"`},
		{"serial://?baud=9600", "must name a device"},
		{"serial:ttyUSB0", "must name a device"},
		{"serial:usb:A5F:0001", "usb:VID:PID"},
		{"serial:///dev/ttyS0?baud=fast", `baud="fast"`},
		{"serial:///dev/ttyS0?baud=-1", `baud="-1"`},
		{"serial:///dev/ttyS0?baud=99999999", `baud="99999999"`},
		{"serial:///dev/ttyS0?databits=9", `databits="9"`},
		{"serial:///dev/ttyS0?stopbits=3", `stopbits="3"`},
		{"serial:///dev/ttyS0?parity=sometimes", `parity="sometimes"`},
		{"serial:///dev/ttyS0?status=yes", `status="yes"`},
		{"serial:///dev/ttyS0?timeout=soon&baud=fast", `timeout="soon"|baud="fast"`},
		{"file://", "must name a device"},
		{"tcp://host\n", "control characters"},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			_, err := pickwave.ParsePrinterURI(tc.uri)
			if pickwave.ErrorCode(err) != pickwave.EINVALID {
				t.Fatalf("err %v, want invalid", err)
			}
			details, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError)
			want := strings.Split(tc.reason, "|")
			if len(details) != len(want) {
				t.Fatalf("details %+v, want %d", details, len(want))
			}
			for i, d := range details {
				if d.Field != "uri" || !strings.Contains(d.Reason, want[i]) || !strings.Contains(pickwave.ErrorMessage(err), d.Reason) {
					t.Errorf("detail %+v (message %q), want field uri with %q", d, pickwave.ErrorMessage(err), want[i])
				}
			}
		})
	}
}
