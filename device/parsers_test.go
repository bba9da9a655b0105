package device

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

type parseCase struct {
	name  string
	in    string
	grams float64
	flags Flags
	err   bool
}

func checkParse(t *testing.T, parse func([]byte) (Reading, error), cases []parseCase) {
	t.Helper()
	for _, c := range cases {
		r, err := parse([]byte(c.in))
		if c.err {
			if err == nil {
				t.Errorf("%s: %q parsed as %v, want an error", c.name, c.in, r)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %q: %v", c.name, c.in, err)
			continue
		}
		if math.Abs(r.Grams-c.grams) > 1e-6 || r.Flags != c.flags {
			t.Errorf("%s: %q = %v g [%v], want %v g [%v]", c.name, c.in, r.Grams, r.Flags, c.grams, c.flags)
		}
		if !r.HasWeight() && r.Message == "" && r.Flags&FlagError != 0 {
			t.Errorf("%s: error reading without a message", c.name)
		}
	}
}

func TestParseMTSICS(t *testing.T) {
	checkParse(t, ParseMTSICS, []parseCase{
		{"stable g", "S S     100.00 g\r\n", 100, FlagStable, false},
		{"stable kg", "S S      0.256 kg\r\n", 256, FlagStable, false},
		{"dynamic", "S D     100.02 g\r\n", 100.02, FlagMotion, false},
		{"negative", "S S    -12.50 g", -12.5, FlagStable, false},
		{"lb", "S S 1.000 lb\r\n", 453.59237, FlagStable, false},
		{"not executable", "S I\r\n", 0, FlagError, false},
		{"overload", "S +\r\n", 0, FlagOverCapacity, false},
		{"underload", "S -\r\n", 0, FlagUnderZero, false},
		{"syntax error", "ES\r\n", 0, FlagError, false},
		{"transmission error", "ET\r\n", 0, FlagError, false},
		{"logical error", "EL\r\n", 0, FlagError, false},
		{"zero ack is no weight", "Z A\r\n", 0, 0, true},
		{"tare reply is no weight", "T S 10.00 g\r\n", 0, 0, true},
		{"unknown status", "S X 1.0 g", 0, 0, true},
		{"bad number", "S S 1.0.0 g", 0, 0, true},
		{"NaN", "S S NaN g", 0, 0, true},
		{"unknown unit", "S S 1.0 furlong", 0, 0, true},
		{"missing unit", "S S 1.0", 0, 0, true},
		{"empty", "\r\n", 0, 0, true},
	})
	_, err := ParseMTSICS([]byte("Z A"))
	if !errors.Is(err, ErrNotWeight) {
		t.Errorf("Z A: %v, want ErrNotWeight", err)
	}
}

func TestMTSICS_Replies(t *testing.T) {
	p := mtsics{}
	for in, want := range map[string]struct {
		reply   string
		refused bool
		general bool
	}{
		"Z A":           {"Z", false, false},
		"Z I":           {"Z", true, false},
		"Z +":           {"Z", true, false},
		"T S 10.00 g":   {"T", false, false},
		"T I":           {"T", true, false},
		"TAC A":         {"TAC", false, false},
		"ES":            {"", true, true},
		"S S 1.00 g":    {"S", false, false},
		"I4 A \"0123\"": {"I4", false, false},
	} {
		m := p.parse([]byte(in))
		if m.reply != want.reply || (m.err != nil) != want.refused || m.general != want.general || m.bad != nil {
			t.Errorf("%q: %+v, want %+v", in, m, want)
		}
	}
}

func TestParseNCI(t *testing.T) {
	checkParse(t, ParseNCI, []parseCase{
		{"stable lb", "\n0001.25lb\r\n00\r\x03", 566.9904625, FlagStable, false},
		{"kg upper case", "\n0002.50KG\r\n00\r\x03", 2500, FlagStable, false},
		{"motion", "\n0001.25lb\r\n10\r\x03", 566.9904625, FlagMotion, false},
		{"at zero", "\n0000.00lb\r\n20\r\x03", 0, FlagStable | FlagAtZero, false},
		{"under capacity", "\n-------LB\r\n01\r\x03", 0, FlagStable | FlagUnderZero, false},
		{"over capacity", "\n^^^^^^^LB\r\n02\r\x03", 0, FlagStable | FlagOverCapacity, false},
		{"ram error", "\n0001.00lb\r\n40\r\x03", 0, FlagStable | FlagError, false},
		{"eeprom error", "\n0001.00lb\r\n80\r\x03", 0, FlagStable | FlagError, false},
		{"bit 6 of byte 1 must be clear", "\n0001.00lb\r\np0\r\x03", 0, 0, true},
		{"three status bytes, net", "\n0001.00kg\r\n0p4\r\x03", 1000, FlagStable | FlagNet, false},
		{"scp-02 S before status", "\n01.250kg\r\nS00\r\x03", 1250, FlagStable, false},
		{"brecknell: no LF before status", "\n  1.25lb\r00\x03", 566.9904625, FlagStable, false},
		{"parity bits set", string([]byte{0x8a, '1', '.', '0', 'k', 0xe7, 0x0d, 0x0a, 0xb0, 0x30, 0x0d, 0x83}), 1000, FlagStable, false},
		{"lb oz", "\n 2lb  3.5oz\r\n00\r\x03", 1006.408071, FlagStable, false},
		{"garbage before frame", "junk\n\n0001.00kg\r\n00\r\x03", 1000, FlagStable, false},
		{"display text", "\nERR  1 LB\r\n00\r\x03", 0, FlagStable | FlagError, false},
		{"status only", "\n00\r\x03", 0, 0, true},
		{"unrecognised", "\n?\r\x03", 0, 0, true},
		{"bad status", "\n0001.00lb\r\nxx\r\x03", 0, 0, true},
		{"empty", "\n\x03", 0, 0, true},
	})
	// RAM, EEPROM, ROM and calibration errors set FlagError with a message.
	r, err := ParseNCI([]byte("\n0001.00lb\r\n44\r\x03"))
	if err != nil || r.Flags&FlagError == 0 || !strings.Contains(r.Message, "RAM") || !strings.Contains(r.Message, "ROM") {
		t.Errorf("errors: %+v %v", r, err)
	}
	_, err = ParseNCI([]byte("\n?\r\x03"))
	var re *ReplyError
	if !errors.As(err, &re) {
		t.Errorf("? reply: %v, want *ReplyError", err)
	}
	if _, err := ParseNCI([]byte("\n00\r\x03")); !errors.Is(err, ErrNotWeight) {
		t.Errorf("status only: %v, want ErrNotWeight", err)
	}
}

func TestParseToledo(t *testing.T) {
	kg := func(b []byte) (Reading, error) { return ParseToledo(b, "kg") }
	checkParse(t, kg, []parseCase{
		{"weight", "\x02  1.234\r", 1234, FlagStable, false},
		{"net", "\x02  1.234N\r", 1234, FlagStable | FlagNet, false},
		{"no spaces", "\x020.5\r", 500, FlagStable, false},
		{"parity bits", string([]byte{0x82, 0x31, 0xae, 0x35, 0x8d}), 1500, FlagStable, false},
		{"motion", "\x02?A\r", 0, FlagMotion | FlagNoWeight, false},
		{"over", "\x02?B\r", 0, FlagOverCapacity | FlagNoWeight, false},
		{"under (odoo's 'D')", "\x02?D\r", 0, FlagUnderZero | FlagNoWeight, false},
		{"outside zero range", "\x02?H\r", 0, FlagError | FlagNoWeight, false},
		{"status byte equal to CR", "\x02?\r\r", 0, FlagMotion | FlagUnderZero | FlagError | FlagNoWeight, false},
		{"status without condition", "\x02?@\r", 0, FlagError | FlagNoWeight, false},
		{"no stx", "1.234\r", 0, 0, true},
		{"no cr", "\x021.234", 0, 0, true},
		{"letters", "\x02abc\r", 0, 0, true},
		{"exponent", "\x021e3\r", 0, 0, true},
	})
	if _, err := ParseToledo([]byte("\x021.0\r"), "stone"); err == nil {
		t.Error("unknown unit accepted")
	}
}

// toledoFrame builds a continuous-output frame.
func toledoFrame(swa, swb, swc byte, weight, tare string, chk bool) string {
	f := []byte{stx, swa, swb, swc}
	f = append(f, weight...)
	f = append(f, tare...)
	f = append(f, '\r')
	if chk {
		sum := 0
		for _, c := range f {
			sum += int(c)
		}
		f = append(f, byte(-sum)&0x7f)
	}
	return string(f)
}

func TestParseToledoContinuous(t *testing.T) {
	const swa3 = 0x20 | 1<<3 | 5 // X.XXX
	checkParse(t, ParseToledoContinuous, []parseCase{
		{"kg with tare and checksum", toledoFrame(swa3, 0x30, 0x20, "001234", "000000", true), 1234, FlagStable, false},
		{"no checksum", toledoFrame(swa3, 0x30, 0x20, "001234", "000000", false), 1234, FlagStable, false},
		{"short", toledoFrame(swa3, 0x30, 0x20, "001234", "", false), 1234, FlagStable, false},
		{"short with checksum", toledoFrame(swa3, 0x30, 0x20, "001234", "", true), 1234, FlagStable, false},
		{"cardinal spaced tare", toledoFrame(swa3, 0x30, 0x20, "001234", " 000100", false), 1234, FlagStable, false},
		{"cardinal spaced tare, checksum", toledoFrame(swa3, 0x30, 0x20, "001234", " 000100", true), 1234, FlagStable, false},
		{"lb two decimals", toledoFrame(0x20|1<<3|4, 0x20, 0x20, "000150", "000000", true), 680.388555, FlagStable, false},
		{"xx00", toledoFrame(0x20|1<<3, 0x30, 0x20, "000012", "000000", true), 1200000, FlagStable, false},
		{"net", toledoFrame(swa3, 0x31, 0x20, "000500", "000100", true), 500, FlagStable | FlagNet, false},
		{"negative", toledoFrame(swa3, 0x32, 0x20, "000500", "000000", true), -500, FlagStable, false},
		{"motion", toledoFrame(swa3, 0x38, 0x20, "000500", "000000", true), 500, FlagMotion, false},
		{"over capacity", toledoFrame(swa3, 0x34, 0x20, "999999", "000000", true), 0, FlagStable | FlagOverCapacity, false},
		{"under zero", toledoFrame(swa3, 0x36, 0x20, "000010", "000000", true), 0, FlagStable | FlagUnderZero, false},
		{"power-up", toledoFrame(swa3, 0x70, 0x20, "000000", "000000", true), 0, FlagStable | FlagError, false},
		{"swb equal to CR", toledoFrame(swa3, 0x0d, 0x20, "000010", "000000", true), 0, FlagOverCapacity | FlagMotion | FlagNet, false},
		{"bad checksum", toledoFrame(swa3, 0x30, 0x20, "001234", "000000", false) + "\x01", 0, 0, true},
		{"letters in weight", toledoFrame(swa3, 0x30, 0x20, "00A234", "000000", false), 0, 0, true},
		{"cr misplaced", "\x02\x2d\x30\x20123\r", 0, 0, true},
		{"too long", toledoFrame(swa3, 0x30, 0x20, "001234", "000000", true) + "xx", 0, 0, true},
	})
}

func TestParseASCII(t *testing.T) {
	cas, err := NewASCIIParser("", "kg")
	if err != nil {
		t.Fatal(err)
	}
	checkParse(t, cas.Parse, []parseCase{
		{"stable gross", "ST,GS,+  1.500kg", 1500, FlagStable, false},
		{"unstable", "US,GS,+  1.502kg", 1502, FlagMotion, false},
		{"net", "ST,NT,+  0.250kg", 250, FlagStable | FlagNet, false},
		{"negative", "ST,GS,-  0.010kg", -10, FlagStable, false},
		{"overload", "OL,GS,+  0.000kg", 0, FlagOverCapacity, false},
		{"lb", "ST,GS,+  2.000lb", 907.18474, FlagStable, false},
		{"no unit uses default", "ST,GS,+  2.000", 2000, FlagStable, false},
		{"no match", "hello", 0, 0, true},
	})
	plain, err := NewASCIIParser(`(?P<weight>-?[0-9.]+)\s*(?P<unit>g|kg)`, "g")
	if err != nil {
		t.Fatal(err)
	}
	checkParse(t, plain.Parse, []parseCase{
		{"plain", "   12.5 g", 12.5, 0, false},
		{"plain kg", "0.5kg", 500, 0, false},
		{"two points", "1.2.3 g", 0, 0, true},
	})
	for _, bad := range []string{"(", "(?P<grams>[0-9]+)"} {
		if _, err := NewASCIIParser(bad, "g"); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
}

func TestParseHIDReport(t *testing.T) {
	checkParse(t, ParseHIDReport, []parseCase{
		{"sanmai sample: 144 g", "\x03\x04\x02\x00\x90\x00", 144, FlagStable, false},
		{"stable at zero", "\x03\x02\x02\x00\x00\x00", 0, FlagStable | FlagAtZero, false},
		{"motion", "\x03\x03\x02\x00\x90\x00", 144, FlagMotion, false},
		{"ounces tenths", "\x03\x04\x0b\xff\x64\x00", 283.49523125, FlagStable, false},
		{"kg exponent -3", "\x03\x04\x03\xfd\x10\x27", 10000, FlagStable, false},
		{"pounds", "\x03\x04\x0c\x00\x02\x00", 907.18474, FlagStable, false},
		{"little endian", "\x03\x04\x02\x00\x01\x01", 257, FlagStable, false},
		{"report id 4", "\x04\x04\x02\x00\x05\x00", 5, FlagStable, false},
		{"under zero", "\x03\x05\x02\x00\x00\x00", 0, FlagUnderZero, false},
		{"over limit", "\x03\x06\x02\x00\xff\xff", 0, FlagOverCapacity, false},
		{"fault", "\x03\x01\x00\x00\x00\x00", 0, FlagError | FlagNoWeight, false},
		{"calibrate", "\x03\x07\x02\x00\x00\x00", 0, FlagError | FlagNoWeight, false},
		{"re-zero", "\x03\x08\x02\x00\x00\x00", 0, FlagError | FlagNoWeight, false},
		{"wrong report id", "\x02\x04\x02\x00\x90\x00", 0, 0, true},
		{"unknown status", "\x03\x09\x02\x00\x90\x00", 0, 0, true},
		{"unknown unit", "\x03\x04\x0d\x00\x90\x00", 0, 0, true},
		{"short", "\x03\x04\x02", 0, 0, true},
	})
}

func TestFlagsJSON(t *testing.T) {
	r := Reading{Grams: 12, Flags: FlagStable | FlagNet}
	b, err := json.Marshal(r)
	if err != nil || !bytes.Contains(b, []byte(`"flags":["stable","net"]`)) {
		t.Fatalf("%s %v", b, err)
	}
	var back Reading
	if err := json.Unmarshal(b, &back); err != nil || back.Flags != r.Flags {
		t.Fatalf("%+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"flags":["levitating"]}`), &back); err == nil {
		t.Error("unknown flag accepted")
	}
}

func TestStableDetector(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	d := StableDetector{Readings: 3, Tolerance: 1, Window: time.Second}
	steps := []struct {
		grams  float64
		at     time.Duration
		stable bool
	}{
		{100, 0, false},
		{100.5, 100 * time.Millisecond, false}, // only two so far
		{100.2, 200 * time.Millisecond, true},
		{105, 300 * time.Millisecond, false}, // moved
		{105, 400 * time.Millisecond, false},
		{105.3, 500 * time.Millisecond, true}, // three within 1 g
		{105.3, 3 * time.Second, false},       // a long gap: the window is broken
	}
	for i, s := range steps {
		r := d.Add(Reading{Grams: s.grams, Time: t0.Add(s.at)})
		if r.Stable() != s.stable || (r.Flags&FlagMotion != 0) == s.stable {
			t.Errorf("step %d (%v g): flags %v, want stable=%v", i, s.grams, r.Flags, s.stable)
		}
	}
	if r := d.Add(Reading{Flags: FlagOverCapacity, Time: t0}); r.Flags != FlagOverCapacity {
		t.Errorf("overload changed to %v", r.Flags)
	}
	if r := d.Add(Reading{Grams: 1, Flags: FlagMotion, Time: t0}); r.Flags != FlagMotion {
		t.Errorf("flagged reading changed to %v", r.Flags)
	}
}

// fuzzScale checks a scale parser never panics and never returns a
// weight it should not.
func fuzzScale(f *testing.F, seeds []string, parse func([]byte) (Reading, error)) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parse(b)
		if err != nil {
			return
		}
		if math.IsNaN(r.Grams) || math.IsInf(r.Grams, 0) {
			t.Fatalf("%q: weight %v", b, r.Grams)
		}
		if !r.HasWeight() && r.Grams != 0 {
			t.Fatalf("%q: weight %v with flags %v", b, r.Grams, r.Flags)
		}
		_ = fmt.Sprint(r)
	})
}

func FuzzParseMTSICS(f *testing.F) {
	fuzzScale(f, []string{"S S     100.00 g\r\n", "S D 1 kg", "S I", "S +", "ES", "Z A", "S S -0.5 lb"}, ParseMTSICS)
}

func FuzzParseNCI(f *testing.F) {
	fuzzScale(f, []string{"\n0001.25lb\r\n00\r\x03", "\n?\r\x03", "\n00\r\x03", "\n 2lb 3.5oz\r\n0p4\r\x03", "\n1lb\r00\x03"}, ParseNCI)
}

func FuzzParseToledo(f *testing.F) {
	fuzzScale(f, []string{"\x02  1.234\r", "\x02?D\r", "\x021.0N\r"}, func(b []byte) (Reading, error) { return ParseToledo(b, "kg") })
}

func FuzzParseToledoContinuous(f *testing.F) {
	fuzzScale(f, []string{
		toledoFrame(0x2d, 0x30, 0x20, "001234", "000000", true),
		toledoFrame(0x2d, 0x0d, 0x20, "001234", "", false),
		toledoFrame(0x28, 0x36, 0x20, "001234", " 000001", true),
	}, ParseToledoContinuous)
}

func FuzzParseASCII(f *testing.F) {
	p, err := NewASCIIParser("", "kg")
	if err != nil {
		f.Fatal(err)
	}
	fuzzScale(f, []string{"ST,GS,+  1.500kg", "OL,GS,+", "US,NT,- 0.1g"}, p.Parse)
}

func FuzzParseHIDReport(f *testing.F) {
	fuzzScale(f, []string{"\x03\x04\x02\x00\x90\x00", "\x03\x04\x0b\xff\x64\x00", "\x03\x06\x02\x80\xff\xff"}, ParseHIDReport)
}

// FuzzScaleFraming runs every scale protocol's framer and parser over the
// same stream: no panic, bounded frames.
func FuzzScaleFraming(f *testing.F) {
	f.Add([]byte("S S 1.00 g\r\n\x02  1.0\r\n0001.00lb\r\n00\r\x03"))
	f.Add([]byte(toledoFrame(0x2d, 0x30, 0x20, "001234", "000000", true)))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _ := NewASCIIParser("", "kg")
		for _, proto := range []scaleProtocol{mtsics{}, nci{}, toledo{unit: "kg"}, toledoContinuous{checksum: true}, toledoContinuous{}, asciiProto{p: p}, hidScale{}} {
			proto.splitter().feed(b, func(fr []byte, err error) {
				if len(fr) > 256 {
					t.Fatalf("%T: frame of %d bytes", proto, len(fr))
				}
				if err == nil {
					proto.parse(fr)
				}
			})
		}
	})
}
