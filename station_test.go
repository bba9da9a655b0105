package pickwave_test

import (
	"slices"
	"testing"

	"github.com/pickwave/pickwave"
)

func goodStation() pickwave.Station {
	return pickwave.Station{
		ID: "PACK-1", Name: "Pack station 1",
		Scanner: &pickwave.ScannerConfig{Port: "/dev/ttyACM0", Baud: 9600, Suffix: "cr"},
		Scale:   &pickwave.ScaleConfig{Port: "usb:0EB8:F000:S123", Protocol: "mt-sics", Baud: 9600, DataBits: 8, Parity: "none"},
		Printer: &pickwave.PrinterConfig{URI: "tcp://10.0.5.21:9100", DPI: 203},
	}
}

func TestStation_Validate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(s *pickwave.Station)
		fields []string // the fields that must be named; none means valid
	}{
		{"good", func(s *pickwave.Station) {}, nil},
		{"no devices", func(s *pickwave.Station) { s.Scanner, s.Scale, s.Printer = nil, nil, nil }, nil},
		{"every scale protocol", func(s *pickwave.Station) { s.Scale.Protocol = "toledo-8217" }, nil},
		{"custom suffix", func(s *pickwave.Station) { s.Scanner.Suffix = "0x09" }, nil},
		{"serial printer by usb", func(s *pickwave.Station) { s.Printer.URI = "serial:usb:0A5F:0001?baud=9600" }, nil},
		{"file printer", func(s *pickwave.Station) { s.Printer.URI = "file:///dev/usb/lp0" }, nil},
		{"ascii pattern", func(s *pickwave.Station) {
			s.Scale.Protocol, s.Scale.Pattern = "ascii", `(?P<weight>[0-9.]+)\s*kg`
		}, nil},
		{"id and name", func(s *pickwave.Station) { s.ID, s.Name = "PACK 1", "" }, []string{"id", "name"}},
		{"relative port", func(s *pickwave.Station) { s.Scanner.Port = "ttyACM0" }, []string{"scanner.port"}},
		{"bad usb binding", func(s *pickwave.Station) { s.Scale.Port = "usb:EB8:F000" }, []string{"scale.port"}},
		{"control character in port", func(s *pickwave.Station) { s.Scanner.Port = "/dev/tty\nx" }, []string{"scanner.port"}},
		{"suffix", func(s *pickwave.Station) { s.Scanner.Suffix = "tab" }, []string{"scanner.suffix"}},
		{"protocol", func(s *pickwave.Station) { s.Scale.Protocol = "toledo" }, []string{"scale.protocol"}},
		{"line setting", func(s *pickwave.Station) { s.Scale.DataBits, s.Scale.Parity, s.Scale.Baud = 9, "even-ish", -1 },
			[]string{"scale.data_bits", "scale.parity", "scale.baud"}},
		{"pattern without weight", func(s *pickwave.Station) { s.Scale.Protocol, s.Scale.Pattern = "ascii", `[0-9]+` }, []string{"scale.pattern"}},
		{"pattern not a regexp", func(s *pickwave.Station) { s.Scale.Protocol, s.Scale.Pattern = "ascii", `(?P<weight>[` }, []string{"scale.pattern"}},
		{"pattern on mt-sics", func(s *pickwave.Station) { s.Scale.Pattern = `(?P<weight>\d+)` }, []string{"scale.pattern"}},
		{"stream on nci", func(s *pickwave.Station) { s.Scale.Protocol, s.Scale.Stream = "nci", true }, []string{"scale.stream"}},
		{"one port, two devices", func(s *pickwave.Station) { s.Scale.Port = s.Scanner.Port }, []string{"scale.port"}},
		{"printer scheme", func(s *pickwave.Station) { s.Printer.URI = "http://printer/" }, []string{"printer.uri"}},
		{"printer without host", func(s *pickwave.Station) { s.Printer.URI = "tcp://" }, []string{"printer.uri"}},
		{"printer file relative", func(s *pickwave.Station) { s.Printer.URI = "file:lp0" }, []string{"printer.uri"}},
		{"printer tcp without host", func(s *pickwave.Station) { s.Printer.URI = "tcp://:9100" }, []string{"printer.uri"}},
		{"printer timeout", func(s *pickwave.Station) { s.Printer.URI = "tcp://10.0.5.21?timeout=abc" }, []string{"printer.uri"}},
		{"printer status", func(s *pickwave.Station) { s.Printer.URI = "tcp://10.0.5.21?status=maybe" }, []string{"printer.uri"}},
		{"printer baud", func(s *pickwave.Station) { s.Printer.URI = "serial:///dev/ttyUSB0?baud=fast" }, []string{"printer.uri"}},
		{"printer parity", func(s *pickwave.Station) { s.Printer.URI = "serial:///dev/ttyUSB0?parity=sometimes" }, []string{"printer.uri"}},
		{"printer parameters", func(s *pickwave.Station) {
			s.Printer.URI = "serial:///dev/ttyUSB0?baud=19200&parity=even&timeout=1s&status=on"
		}, nil},
		{"dpi", func(s *pickwave.Station) { s.Printer.DPI = 250 }, []string{"printer.dpi"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := goodStation()
			tc.change(&s)
			err := s.Validate()
			if len(tc.fields) == 0 {
				if err != nil {
					t.Fatalf("valid station refused: %v %v", err, pickwave.ErrorDetails(err))
				}
				return
			}
			if pickwave.ErrorCode(err) != pickwave.EINVALID {
				t.Fatalf("error %v, want invalid", err)
			}
			var named []string
			for _, fe := range pickwave.ErrorDetails(err).([]pickwave.FieldError) {
				named = append(named, fe.Field)
			}
			for _, f := range tc.fields {
				if !slices.Contains(named, f) {
					t.Errorf("details %v do not name %s", named, f)
				}
			}
		})
	}
}

func TestPrintJob_Validate(t *testing.T) {
	ok := pickwave.PrintJob{StationID: "PACK-1", Kind: "test", RequestID: "r-1", ZPL: "^XA^XZ"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := pickwave.PrintJob{StationID: "", Kind: "a b", RequestID: "has space", ZPL: ""}
	err := bad.Validate()
	if pickwave.ErrorCode(err) != pickwave.EINVALID || len(pickwave.ErrorDetails(err).([]pickwave.FieldError)) != 4 {
		t.Fatalf("bad job: %v %v", err, pickwave.ErrorDetails(err))
	}
	if !pickwave.PrintPrinted.Done() || pickwave.PrintSending.Done() || pickwave.PrintQueued.Done() {
		t.Fatal("Done")
	}
}
