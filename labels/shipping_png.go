package labels

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
	"strings"
	"sync"

	"github.com/boombuler/barcode/code128"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The image is 8-bit grey holding only black and white; WritePNG packs it
// to one bit a pixel.
const black = 0

// Image draws the label as the printer would, roughly: the same layout at
// the label's resolution, the barcodes exact (bar for bar, from the
// code128 encoder), the text in a scaled bitmap font. It returns
// Validate's error for a model that is not valid.
func (s Shipping) Image() (*image.Gray, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	dpi := s.dpi()
	img := image.NewGray(image.Rect(0, 0, labelW*dpi/100, labelH*dpi/100))
	if err := s.draw(img, dpi); err != nil {
		return nil, err
	}
	return img, nil
}

// draw draws the valid label on img, which is the label's size.
func (s Shipping) draw(img *image.Gray, dpi int) error {
	dots := func(h int) int { return h * dpi / 100 }
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
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
				return err
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
	return nil
}

// WritePNG writes the label's Image to w as a one-bit greyscale PNG.
func (s Shipping) WritePNG(w io.Writer) error {
	if err := s.Validate(); err != nil {
		return err
	}
	dpi := s.dpi()
	// A preview is megabytes of pixels: reuse them rather than make the
	// garbage collector clear them for every request.
	buf := pngBuffers.Get().(*pngBuffer)
	defer pngBuffers.Put(buf)
	r := image.Rect(0, 0, labelW*dpi/100, labelH*dpi/100)
	if buf.img == nil || buf.img.Rect != r {
		buf.img = image.NewGray(r)
	}
	if err := s.draw(buf.img, dpi); err != nil {
		return err
	}
	return buf.write(w)
}

// pngBuffer holds what writing one preview needs.
type pngBuffer struct {
	img    *image.Gray
	raw    []byte
	z, out bytes.Buffer
	zw     *zlib.Writer
}

var pngBuffers = sync.Pool{New: func() any { return new(pngBuffer) }}

// write writes buf.img, whose pixels are all 0 or 0xff, as a PNG of one
// bit a pixel. image/png would write it at eight bits a pixel with per-row
// filtering, which takes longer than drawing the label.
func (buf *pngBuffer) write(w io.Writer) error {
	img := buf.img
	width, height := img.Rect.Dx(), img.Rect.Dy()
	raw := buf.raw[:0]
	for y := 0; y < height; y++ {
		raw = append(raw, 0) // filter type None
		row := img.Pix[y*img.Stride : y*img.Stride+width]
		for x := 0; x < width; x += 8 {
			var packed byte
			for bit := 0; bit < 8; bit++ {
				packed <<= 1
				if x+bit < width && row[x+bit] != black {
					packed |= 1
				}
			}
			raw = append(raw, packed)
		}
	}
	buf.raw = raw
	z := &buf.z
	z.Reset()
	if buf.zw == nil {
		zw, err := zlib.NewWriterLevel(z, zlib.BestSpeed)
		if err != nil {
			return err
		}
		buf.zw = zw
	} else {
		buf.zw.Reset(z)
	}
	zw := buf.zw
	if _, err := zw.Write(raw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 1, 0 // bit depth 1, greyscale; compression, filter, interlace 0
	out := &buf.out
	out.Reset()
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(name string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		out.Write(n[:])
		crc := crc32.NewIEEE()
		crc.Write([]byte(name))
		crc.Write(data)
		out.WriteString(name)
		out.Write(data)
		binary.BigEndian.PutUint32(n[:], crc.Sum32())
		out.Write(n[:])
	}
	chunk("IHDR", ihdr[:])
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	_, err := w.Write(out.Bytes())
	return err
}

func fill(img *image.Gray, r image.Rectangle) {
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
func drawText(img *image.Gray, x, y, w, h, lines int, t string) {
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
