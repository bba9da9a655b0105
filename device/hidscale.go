package device

import (
	"fmt"
	"math"
)

// HIDReportSize is the size of a HID POS scale data report.
const HIDReportSize = 6

// hidUnits are the HID POS weight units, by code.
var hidUnits = [...]string{
	1: "mg", 2: "g", 3: "kg", 4: "ct", 5: "taels", 6: "gn", 7: "dwt",
	8: "t", 9: "ton", 10: "ozt", 11: "oz", 12: "lb",
}

// hidGrams are the units hidUnits names that toGrams does not know.
var hidGrams = map[string]float64{"taels": 37.799364167, "ton": 907184.74}

// ParseHIDReport parses one USB HID POS scale data report as read from
// /dev/hidraw* (Dymo, Stamps.com, Fairbanks, Mettler USB):
//
//	byte 0   report ID 3 (4 is accepted too)
//	byte 1   status: 1 fault, 2 stable at zero, 3 in motion, 4 stable,
//	         5 under zero, 6 over weight limit, 7 needs calibration,
//	         8 needs re-zeroing
//	byte 2   unit: 1 mg, 2 g, 3 kg, 4 ct, 5 taels, 6 grains,
//	         7 pennyweight, 8 metric ton, 9 avoir ton, 10 troy oz, 11 oz, 12 lb
//	byte 3   scaling exponent, signed: weight × 10^exp
//	byte 4–5 weight, unsigned little-endian
//
// The weight is unsigned: below zero comes as status 5 instead. An
// exponent beyond ±9 is refused.
func ParseHIDReport(report []byte) (Reading, error) {
	if len(report) != HIDReportSize {
		return Reading{}, fmt.Errorf("hid scale report % x: %d bytes, want %d", report, len(report), HIDReportSize)
	}
	if report[0] != 3 && report[0] != 4 {
		return Reading{}, fmt.Errorf("hid scale report % x: report ID %d, want 3", report, report[0])
	}
	var r Reading
	switch report[1] {
	case 1:
		r.Flags, r.Message = FlagError|FlagNoWeight, "scale fault"
	case 2:
		r.Flags = FlagStable | FlagAtZero
	case 3:
		r.Flags = FlagMotion
	case 4:
		r.Flags = FlagStable
	case 5:
		r.Flags, r.Message = FlagUnderZero, "under zero"
	case 6:
		r.Flags, r.Message = FlagOverCapacity, "over weight limit"
	case 7:
		r.Flags, r.Message = FlagError|FlagNoWeight, "scale needs calibration"
	case 8:
		r.Flags, r.Message = FlagError|FlagNoWeight, "scale needs re-zeroing"
	default:
		return Reading{}, fmt.Errorf("hid scale report % x: unknown status %d", report, report[1])
	}
	code := int(report[2])
	if code < 1 || code >= len(hidUnits) {
		if r.HasWeight() {
			return Reading{}, fmt.Errorf("hid scale report % x: unknown unit %d", report, code)
		}
		return r, nil
	}
	r.Unit = hidUnits[code]
	exp := int(int8(report[3]))
	if exp < -9 || exp > 9 {
		return Reading{}, fmt.Errorf("hid scale report % x: scaling exponent %d out of range", report, exp)
	}
	raw := float64(uint16(report[4]) | uint16(report[5])<<8)
	r.Value = math.Round(raw*math.Pow10(exp)*1e9) / 1e9
	if !r.HasWeight() {
		return r, nil
	}
	if f, ok := hidGrams[r.Unit]; ok {
		r.Grams = math.Round(r.Value*f*1e6) / 1e6
		return r, nil
	}
	g, err := toGrams(r.Value, r.Unit)
	if err != nil {
		return Reading{}, err
	}
	r.Grams = g
	return r, nil
}

// hidScale is the HID POS protocol for a Scale: fixed 6-byte reports;
// zero is output report 2 with "zero scale" set. HID POS has no tare.
type hidScale struct{}

func (hidScale) splitter() splitter { return newFixedSplitter(HIDReportSize) }

func (hidScale) start() []byte { return nil }

func (hidScale) poll() ([]byte, string) { return nil, "" }

func (hidScale) command(c scaleCmd) ([]byte, string, error) {
	if c == cmdZero {
		return []byte{0x02, 0x02}, "", nil
	}
	return nil, "", ErrUnsupported
}

func (hidScale) parse(frame []byte) scaleMsg {
	r, err := ParseHIDReport(frame)
	if err != nil {
		return scaleMsg{bad: err}
	}
	return scaleMsg{reading: r, hasReading: true}
}
