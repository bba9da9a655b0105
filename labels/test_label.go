package labels

import (
	"strconv"
	"time"
)

// Test returns a 4 × 6 in test label for a station's printer, laid out for
// dpi (0 or less means 203): a border 0.2 in inside the label edge, the
// station's name, when it was printed, the resolution, a Code 128 barcode
// to try the scanner on, and half-inch ticks to check the scale. If the
// border is whole and centred, the printer's label size and dpi are right.
func Test(stationName string, dpi int, now time.Time) []byte {
	if dpi <= 0 {
		dpi = 203
	}
	// Positions and sizes are in tenths of an inch, turned into dots.
	dots := func(tenths int) int { return tenths * dpi / 10 }
	line := max(2, dpi/50)
	b := make([]byte, 0, 1024+3*len(stationName))
	cmd := func(parts ...any) {
		for _, p := range parts {
			switch v := p.(type) {
			case string:
				b = append(b, v...)
			case int:
				b = strconv.AppendInt(b, int64(v), 10)
			}
		}
	}
	at := func(x, y int) { cmd("^FO", dots(x), ",", dots(y)) }
	font := func(tenths int) { cmd("^A0N,", dots(tenths), ",", dots(tenths)) }

	cmd("^XA", "^CI28", "^PW", dots(40), "^LL", dots(60), "^LH0,0", "\n")
	at(2, 2)
	cmd("^GB", dots(36), ",", dots(56), ",", line, "^FS\n")
	at(4, 5)
	font(4)
	b = appendField(b, "Pickwave test label")
	cmd("\n")
	at(4, 11)
	font(3)
	cmd("^FB", dots(32), ",2,0,L,0")
	b = appendField(b, "Station: "+stationName)
	cmd("\n")
	at(4, 19)
	font(2)
	b = appendField(b, "Printed "+now.UTC().Format("2006-01-02 15:04:05")+" UTC")
	cmd("\n")
	at(4, 22)
	font(2)
	b = appendField(b, strconv.Itoa(dpi)+" dpi, 4 x 6 in = "+strconv.Itoa(dots(40))+" x "+strconv.Itoa(dots(60))+" dots")
	cmd("\n")
	at(4, 27)
	cmd("^BY", max(1, dpi/100), ",3,", dots(10), "^BCN,", dots(10), ",Y,N,N^FDPICKWAVE-TEST^FS\n")
	at(4, 42)
	font(2)
	cmd("^FB", dots(32), ",3,0,L,0")
	b = appendField(b, "A whole border with even margins means the label size and resolution are set right.")
	cmd("\n")
	for x := 5; x < 40; x += 5 { // a tick every half inch along the bottom
		at(x, 53)
		cmd("^GB", line, ",", dots(5)-line, ",", line, "^FS")
	}
	cmd("\n^PQ1\n^XZ\n")
	return b
}
