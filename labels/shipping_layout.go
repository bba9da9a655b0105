package labels

import (
	"strconv"
	"strings"

	"github.com/boombuler/barcode/code128"
)

// The shipping label is laid out once, in hundredths of an inch, as a list
// of elements; the ZPL and PNG renderers both draw that list, turning
// hundredths into dots for the label's resolution.

type elemKind int

const (
	textElem    elemKind = iota
	ruleElem             // a horizontal line
	barcodeElem          // Code 128 or GS1-128 with its text below
)

// elem is one thing on the label. Positions and sizes are in hundredths of
// an inch, except module, which is in dots.
type elem struct {
	kind  elemKind
	x, y  int
	w, h  int // box width; font height (text), line thickness (rule), bar height (barcode)
	lines int // text: most lines the box holds
	text  string
	// Barcodes: zpl is the ^FD data, raw what the code128 encoder takes,
	// gs1 whether the ^BC is in mode D, module the narrow bar in dots.
	zpl, raw string
	gs1      bool
	module   int
}

const (
	labelW = 400 // 4 in
	labelH = 600 // 6 in
	margin = 10
	boxW   = labelW - 2*margin
)

// charsFit is how many characters of the font fit across w, all in
// hundredths: ^A0 averages about 0.6 of its height per character.
func charsFit(w, font int) int { return max(4, w*10/(font*6)) }

// layout places the label's elements for dpi. The model must be valid.
func (s Shipping) layout(dpi int) []elem {
	var es []elem
	text := func(x, y, font, lines int, t string) {
		es = append(es, elem{kind: textElem, x: x, y: y, w: boxW - (x - margin), h: font, lines: lines,
			text: cut(t, charsFit(boxW-(x-margin), font)*lines)})
	}
	rule := func(y int) { es = append(es, elem{kind: ruleElem, x: margin, y: y, w: boxW, h: 1}) }

	// Ship-from: small, at the top.
	text(margin, 8, 14, 1, "FROM: "+s.From.Name)
	for i, l := range addressLines(s.From) {
		text(margin, 26+16*i, 14, 1, l)
	}
	rule(96)
	// Ship-to: the largest text.
	text(margin, 102, 14, 1, "SHIP TO:")
	text(margin, 120, 30, 2, s.To.Name)
	for i, l := range addressLines(s.To) {
		text(margin, 186+26*i, 24, 1, l)
	}
	rule(292)
	text(margin, 298, 26, 1, strings.TrimSpace(s.Carrier+" "+s.Service))
	es = append(es, s.barcode(dpi, 330, 66, s.Tracking, s.Tracking, s.Tracking, false))
	y := 422
	for i, l := range s.infoLines() {
		if i == 3 && s.SSCC != "" {
			break // the GS1 block needs the room
		}
		text(margin, y, 16, 1, l)
		y += 18
	}
	if s.SSCC != "" {
		rule(486)
		text(margin, 490, 14, 1, "SSCC")
		es = append(es, s.barcode(dpi, 506, 64, s.gs1Data(), s.gs1Raw(), s.gs1HRI(), true))
	}
	return es
}

// barcode places a Code 128 barcode, with the widest narrow bar (at most
// 1/100 in) that keeps it inside the box.
func (s Shipping) barcode(dpi, y, h int, zpl, raw, hri string, gs1 bool) elem {
	modules := 0
	if bc, err := code128.Encode(raw); err == nil {
		modules = bc.Bounds().Dx()
	}
	module := max(1, dpi/100)
	for module > 1 && modules*module > boxW*dpi/100 {
		module--
	}
	return elem{kind: barcodeElem, x: margin, y: y, h: h, text: hri, zpl: zpl, raw: raw, gs1: gs1, module: module}
}

// ZPL returns the label as one ZPL format, ^XA to ^XZ, selecting UTF-8
// with ^CI28. Every text field goes through Field's escaping, so no data
// can end the label or add a command. It returns Validate's error for a
// model that is not valid.
func (s Shipping) ZPL() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	dpi := s.dpi()
	dots := func(h int) int { return h * dpi / 100 }
	b := make([]byte, 0, 2048)
	num := func(n int) { b = strconv.AppendInt(b, int64(n), 10) }
	b = append(b, "^XA^CI28^PW"...)
	num(dots(labelW))
	b = append(b, "^LL"...)
	num(dots(labelH))
	b = append(b, "^LH0,0\n"...)
	for _, e := range s.layout(dpi) {
		b = append(b, "^FO"...)
		num(dots(e.x))
		b = append(b, ',')
		num(dots(e.y))
		switch e.kind {
		case textElem:
			b = append(b, "^A0N,"...)
			num(dots(e.h))
			b = append(b, ',')
			num(dots(e.h))
			b = append(b, "^FB"...)
			num(dots(e.w))
			b = append(b, ',')
			num(e.lines)
			b = append(b, ",0,L,0"...)
			b = appendField(b, e.text)
		case ruleElem:
			b = append(b, "^GB"...)
			num(dots(e.w))
			b = append(b, ",0,"...)
			num(max(2, dpi/100))
			b = append(b, "^FS"...)
		case barcodeElem:
			b = append(b, "^BY"...)
			num(e.module)
			b = append(b, "^BCN,"...)
			num(dots(e.h))
			if e.gs1 {
				b = append(b, ",Y,N,N,D"...)
			} else {
				b = append(b, ",Y,N,N,A"...)
			}
			// Validated data needs no escapes; it still takes the one path.
			b = appendField(b, e.zpl)
		}
		b = append(b, '\n')
	}
	b = append(b, "^PQ1\n^XZ\n"...)
	return b, nil
}
