package labels

import (
	"io"
	"strconv"
	"testing"

	"github.com/boombuler/barcode/code128"
)

// code128Modules is the module pattern the encoder makes for raw.
func code128Modules(t testing.TB, raw string) string {
	t.Helper()
	bc, err := code128.Encode(raw)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, bc.Bounds().Dx())
	for i := range b {
		b[i] = '0'
		if r, _, _, _ := bc.At(i, 0).RGBA(); r == 0 {
			b[i] = '1'
		}
	}
	return string(b)
}

func BenchmarkShippingLabelZPL(b *testing.B) {
	for _, dpi := range []int{DPI203, DPI300} {
		b.Run(strconv.Itoa(dpi)+"dpi", func(b *testing.B) {
			s := sample(dpi)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.ZPL(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "labels/s")
		})
	}
}

func BenchmarkShippingLabelPNG(b *testing.B) {
	for _, dpi := range []int{DPI203, DPI300} {
		b.Run(strconv.Itoa(dpi)+"dpi", func(b *testing.B) {
			s := sample(dpi)
			b.ReportAllocs()
			for b.Loop() {
				if err := s.WritePNG(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/preview")
		})
	}
}
