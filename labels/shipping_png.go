package labels

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"

	"github.com/boombuler/barcode/code128"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// palette is black and white: the PNG is written with one bit a pixel.
var palette = color.Palette{color.White, color.Black}

const black = 1

// Image draws the label as the printer would, roughly: the same layout at
// the label's resolution, the barcodes exact (bar for bar, from the
// code128 encoder), the text in a scaled bitmap font. It returns
// Validate's error for a model that is not valid.
func (s Shipping) Image() (*image.Paletted, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	dpi := s.dpi()
	dots := func(h int) int { return h * dpi / 100 }
	img := image.NewPaletted(image.Rect(0, 0, dots(labelW), dots(labelH)), palette)
	for _, e := range s.layout(dpi) {
		x, y := dots(e.x), dots(e.y)
		switch e.kind {
		case textElem:
			drawText(img, x, y, dots(e.w), dots(e.h), e.lines, e.text)
		case ruleElem:
			fill(img, image.Rect(x, y, x+dots(e.w), y+max(2, dpi/100)))
		case barcodeElem:
			bc, err := code128.Encode(e.raw)
			if err != nil {
				// Validated data always encodes; refuse rather than draw a lie.
				return nil, err
			}
			h := dots(e.h)
			for m := 0; m < bc.Bounds().Dx(); m++ {
				if r, _, _, _ := bc.At(m, 0).RGBA(); r == 0 {
					fill(img, image.Rect(x+m*e.module, y, x+(m+1)*e.module, y+h))
				}
			}
			drawText(img, x, y+h+dots(3), dots(boxW), dots(14), 1, e.text)
		}
	}
	return img, nil
}

// WritePNG writes the label's Image to w as a PNG.
func (s Shipping) WritePNG(w io.Writer) error {
	img, err := s.Image()
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(w, img)
}

func fill(img *image.Paletted, r image.Rectangle) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := range row {
			row[i] = black
		}
	}
}

// drawText draws t in a box w dots wide at (x, y): basicfont's 7 × 13
// glyphs scaled to about height h, wrapped at spaces to at most lines
// lines, cut at the box's edge.
func drawText(img *image.Paletted, x, y, w, h, lines int, t string) {
	face := basicfont.Face7x13
	k := max(1, (h+6)/13)
	perLine := max(1, w/(7*k))
	// Glyphs are drawn once at 7 × 13 into a mask, then scaled by k.
	for _, line := range wrap(t, perLine, lines) {
		mask := image.NewAlpha(image.Rect(0, 0, 7*len([]rune(line)), 13))
		d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.P(0, 11)}
		d.DrawString(line)
		for my := 0; my < 13; my++ {
			for mx := 0; mx < mask.Rect.Dx(); mx++ {
				if mask.AlphaAt(mx, my).A >= 0x80 {
					fill(img, image.Rect(x+mx*k, y+my*k, x+(mx+1)*k, y+(my+1)*k).Intersect(image.Rect(x, y, x+w, y+13*k*lines)))
				}
			}
		}
		y += 13 * k
	}
}

// wrap splits t into at most lines lines of at most n characters, at
// spaces where it can.
func wrap(t string, n, lines int) []string {
	var out []string
	words := strings.Fields(t)
	cur := []rune{}
	for _, w := range words {
		r := []rune(w)
		for len(r) > 0 {
			switch {
			case len(cur) == 0 && len(r) <= n:
				cur, r = append(cur, r...), nil
			case len(cur) > 0 && len(cur)+1+len(r) <= n:
				cur = append(append(cur, ' '), r...)
				r = nil
			case len(cur) > 0:
				out, cur = append(out, string(cur)), cur[:0:0]
			default: // a word longer than a line
				cur, r = append(cur, r[:n]...), r[n:]
				out, cur = append(out, string(cur)), cur[:0:0]
			}
		}
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out[:min(len(out), lines)]
}
