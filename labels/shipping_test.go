package labels

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

// sample is a full label: every optional field set, a long name to wrap
// and text that needs escaping.
func sample(dpi int) Shipping {
	return Shipping{
		From: pickwave.Address{Name: "Pickwave Fulfilment Ltd", Address1: "Unit 4, Canal Side", City: "Leeds", Region: "West Yorkshire", PostalCode: "LS11 5QR", Country: "GB"},
		To: pickwave.Address{Name: "Zoë O'Brien-Montgomery of the Very Long Name Household ^XZ ~JA", Address1: "12 St James's Square",
			Address2: "Flat 3_5E", City: "London", PostalCode: "SW1Y 4LB", Country: "GB"},
		Carrier: "Royal Mail", Service: "Tracked 24", Tracking: "1Z999AA10123456784",
		References: []string{"Order SO-1042", "Package PK-7"}, Package: 1, Packages: 2, WeightG: 1250,
		Date: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), DPI: dpi,
		SSCC: "106141411234567897", Consignment: "4012345ABC",
	}
}

// plain is the smallest valid label.
func plain() Shipping {
	return Shipping{
		From:    pickwave.Address{Name: "F", Address1: "A", City: "C", Country: "GB"},
		To:      pickwave.Address{Name: "T", Address1: "A", City: "C", Country: "GB"},
		Carrier: "C", Tracking: "1",
	}
}

func mustZPL(t testing.TB, s Shipping) []byte {
	t.Helper()
	b, err := s.ZPL()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestShipping_Golden(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Shipping
	}{
		{"shipping_203", sample(203)},
		{"shipping_300", sample(300)},
		{"shipping_plain_203", plain()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustZPL(t, tc.s)
			path := filepath.Join("testdata", tc.name+".zpl")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("label differs from %s (run with -update if intended):\n%s", path, got)
			}
			mustBeOneFormat(t, got)
		})
	}
}

func mustBeOneFormat(t testing.TB, zpl []byte) {
	t.Helper()
	s := string(zpl)
	if !strings.HasPrefix(s, "^XA") || !strings.HasSuffix(s, "^XZ\n") || strings.Count(s, "^XA") != 1 || strings.Count(s, "^XZ") != 1 {
		t.Fatalf("not one ^XA…^XZ format:\n%s", zpl)
	}
}

func TestShipping_Content(t *testing.T) {
	for _, tc := range []struct {
		dpi  int
		want []string
	}{
		{203, []string{"^CI28", "^PW812", "^LL1218", "^BY2^BCN,133,Y,N,N,A^FH_^FD1Z999AA10123456784^FS",
			"^BCN,129,Y,N,N,D^FH_^FD(00)106141411234567897(401)4012345ABC>8(420)SW1Y4LB^FS",
			"Package 1 of 2   1.250 kg   2026-11-26", "Ref: Order SO-1042", "^FDZo_C3_AB O'Brien"}},
		{300, []string{"^PW1200", "^LL1800", "^BY3^BCN,198,Y,N,N,A", "^BCN,192,Y,N,N,D"}},
	} {
		got := string(mustZPL(t, sample(tc.dpi)))
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("dpi %d: label lacks %q:\n%s", tc.dpi, w, got)
			}
		}
	}
	// The long name is cut to fit its two-line box, and the box says two lines.
	got := string(mustZPL(t, sample(203)))
	if strings.Contains(got, "JA") || !strings.Contains(got, "^A0N,60,60^FB771,2,0,L,0^FH_^FDZo") {
		t.Errorf("long name not cut into its box:\n%s", got)
	}
	// Without a consignment, (420) follows the fixed-length SSCC with no FNC1.
	s := sample(203)
	s.Consignment = ""
	if got := string(mustZPL(t, s)); !strings.Contains(got, "^FD(00)106141411234567897(420)SW1Y4LB^FS") {
		t.Errorf("SSCC without consignment:\n%s", got)
	}
}

func TestShipping_Validate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Shipping)
		field  string
	}{
		{"bad SSCC check digit", func(s *Shipping) { s.SSCC = "106141411234567898" }, "sscc"},
		{"SSCC too short", func(s *Shipping) { s.SSCC = "10614141123456789" }, "sscc"},
		{"tracking with a caret", func(s *Shipping) { s.Tracking = "1Z^XZ" }, "tracking_number"},
		{"tracking with >", func(s *Shipping) { s.Tracking = "12>5" }, "tracking_number"},
		{"no tracking", func(s *Shipping) { s.Tracking = "" }, "tracking_number"},
		{"no ship-to name", func(s *Shipping) { s.To.Name = " " }, "ship_to.name"},
		{"no carrier", func(s *Shipping) { s.Carrier = "" }, "carrier"},
		{"package past count", func(s *Shipping) { s.Package = 3 }, "package_number"},
		{"package without count", func(s *Shipping) { s.Packages = 0 }, "package_number"},
		{"dpi", func(s *Shipping) { s.DPI = 600 }, "dpi"},
		{"negative weight", func(s *Shipping) { s.WeightG = -1 }, "weight_g"},
		{"consignment without SSCC", func(s *Shipping) { s.SSCC = "" }, "consignment"},
		{"consignment with parenthesis", func(s *Shipping) { s.Consignment = "12(00)" }, "consignment"},
		{"too many references", func(s *Shipping) { s.References = make([]string, 5) }, "references"},
		{"long reference", func(s *Shipping) { s.References = []string{strings.Repeat("r", 201)} }, "references[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sample(203)
			tc.change(&s)
			err := s.Validate()
			var pe *pickwave.Error
			if !errors.As(err, &pe) || pe.Code != pickwave.EINVALID {
				t.Fatalf("Validate() = %v, want EINVALID", err)
			}
			fields := fieldErrors(pe.Details)
			if len(fields) == 0 || fields[0].Field != tc.field {
				t.Fatalf("details %+v, want field %s", pe.Details, tc.field)
			}
			if _, err := s.ZPL(); err == nil {
				t.Fatal("ZPL of an invalid model")
			}
		})
	}
	if err := sample(300).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestWeightText(t *testing.T) {
	for g, want := range map[int]string{1: "0.001 kg", 1250: "1.250 kg", 20000: "20.000 kg", 999: "0.999 kg"} {
		if got := weightText(g); got != want {
			t.Errorf("weightText(%d) = %q, want %q", g, got, want)
		}
	}
}

// FuzzShipping puts fuzzed text in every text field of the label: whatever
// it holds, the label is one ^XA…^XZ format with exactly the commands of a
// plain label of the same shape.
func FuzzShipping(f *testing.F) {
	for _, s := range []string{"x", "^XZ^XA^FO0,0^GB800,800,800^FS", "~JA", "evil_5EXZ", "\x00\x02\x03", "Zoë", `\&`, strings.Repeat("W", 300)} {
		f.Add(s, s+"2", "1Z-"+strconv.Itoa(len(s)), "106141411234567897", "401X", 203)
	}
	f.Add("a", "b", "1", "", "", 300)
	f.Add("a", "b", "1", "106141411234567897", "(420)>8^XZ", 300)
	f.Fuzz(func(t *testing.T, a, b, tracking, sscc, consignment string, dpi int) {
		dpi = []int{203, 300}[uint(dpi)%2]
		fill := func(s *Shipping, a, b string) {
			s.From = pickwave.Address{Name: a, Address1: b, Address2: a, City: b, Region: a, PostalCode: b, Country: a}
			s.To = pickwave.Address{Name: b, Address1: a, Address2: b, City: a, Region: b, PostalCode: a, Country: b}
			s.Carrier, s.Service = a, b
			s.References = []string{a, b, a + b}
			s.Package, s.Packages, s.WeightG, s.DPI = 1, 1, 1, dpi
			s.Date = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
			s.Tracking = tracking
			s.SSCC, s.Consignment = sscc, consignment
		}
		var s, p Shipping
		fill(&s, a, b)
		got, err := s.ZPL()
		if err != nil {
			return // Validate refused the data; it never reaches a label
		}
		mustBeOneFormat(t, got)
		fill(&p, "x", "y")
		p.Tracking = "1"
		if s.SSCC != "" {
			p.SSCC = "106141411234567897" // the GS1 block has commands of its own; its data has none
		}
		p.To.PostalCode = s.To.PostalCode // decides whether (420) is printed, which has no command of its own
		want := mustZPL(t, p)
		if g, w := commands(got), commands(want); !slices.Equal(g, w) {
			t.Fatalf("data changes the label's commands:\n got %v\nwant %v\n%s", g, w, got)
		}
	})
}

func TestShipping_PNG(t *testing.T) {
	for _, tc := range []struct{ dpi, w, h int }{{203, 812, 1218}, {300, 1200, 1800}} {
		t.Run(strconv.Itoa(tc.dpi), func(t *testing.T) {
			s := sample(tc.dpi)
			var buf bytes.Buffer
			if err := s.WritePNG(&buf); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("PNG is %v, want %d × %d", b, tc.w, tc.h)
			}
			// The one-bit PNG holds exactly the pixels of Image.
			want, err := s.Image()
			if err != nil {
				t.Fatal(err)
			}
			dark := 0
			for y := range tc.h {
				for x := range tc.w {
					r, _, _, _ := img.At(x, y).RGBA()
					if (r == 0) != (want.GrayAt(x, y).Y == 0) {
						t.Fatalf("pixel %d,%d differs from Image", x, y)
					}
					if r == 0 {
						dark++
					}
				}
			}
			if dark < tc.w*tc.h/50 {
				t.Fatalf("only %d dark pixels", dark)
			}
			// Read the tracking barcode back: one row through its middle,
			// as bar and space widths in modules, must be the Code 128
			// of the tracking number.
			var es []elem
			for _, e := range s.layout(tc.dpi) {
				if e.kind == barcodeElem {
					es = append(es, e)
				}
			}
			for _, e := range es {
				y := (e.y + e.h/2) * tc.dpi / 100
				x0 := e.x * tc.dpi / 100
				var row []bool
				for x := x0; x < tc.w; x++ {
					r, _, _, _ := img.At(x, y).RGBA()
					row = append(row, r == 0)
				}
				got := modulesOf(row, e.module)
				want := code128Modules(t, e.raw)
				if got != want {
					t.Fatalf("barcode %q reads\n%s\nwant\n%s", e.raw, got, want)
				}
			}
		})
	}
}

// modulesOf turns a pixel row into "1" and "0" modules of width module,
// from the first dark pixel to the last.
func modulesOf(row []bool, module int) string {
	first, last := slices.Index(row, true), len(row)-1
	for last >= 0 && !row[last] {
		last--
	}
	if first < 0 {
		return ""
	}
	var b strings.Builder
	for x := first; x <= last; x += module {
		if row[x] {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

func fieldErrors(d any) []pickwave.FieldError {
	switch d := d.(type) {
	case pickwave.FieldErrors:
		return d
	case []pickwave.FieldError:
		return d
	}
	return nil
}
