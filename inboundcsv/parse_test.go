package inboundcsv_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/inboundcsv"
)

const header = "supplier,reference,dock,sku,lot,expiry,qty,sscc\n"

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		notices []int                 // lines per notice
		errs    []pickwave.FieldError // line and field of every problem, in order
	}{
		{name: "two notices, three lines",
			csv: header + "Stoneware,ASN-1,DOCK-1,MUG,,,240,095060000000000015\n" + "Leafco,ASN-9,,TEA,L1,2027-03-31,10,\n" +
				"Stoneware,ASN-1,,TEA,L2,2027-04-01T00:00:00+02:00,5,\n",
			notices: []int{2, 1}},
		{name: "columns in any order, minimal set", csv: "qty,sku,reference,supplier\n3,MUG,R1,S\n", notices: []int{1}},
		{name: "BOM and CRLF", csv: "\ufeff" + strings.ReplaceAll(header+"S,R,,MUG,,,1,\n", "\n", "\r\n"), notices: []int{1}},
		{name: "empty file", csv: ""},
		{name: "header only", csv: header},
		{name: "unknown and missing column", csv: strings.Replace(header, "qty", "quantity", 1) + "S,R,,MUG,,,1,\n",
			errs: []pickwave.FieldError{{Line: 1, Field: "quantity"}, {Line: 1, Field: "qty"}}},
		{name: "repeated column", csv: "supplier,reference,sku,qty,SKU\nS,R,A,1,B\n", errs: []pickwave.FieldError{{Line: 1, Field: "sku"}}},
		{name: "bad numbers and dates, every row reported",
			csv:  header + "S,R,,MUG,,,one,\n" + "S,R,,MUG,L,31/03/2027,1,\n" + "S,R,,MUG,,,2,\n",
			errs: []pickwave.FieldError{{Line: 2, Field: "qty"}, {Line: 3, Field: "expiry"}}},
		{name: "dock differs between rows", csv: header + "S,R,DOCK-1,MUG,,,1,\n" + "S,R,DOCK-2,TEA,,,1,\n",
			errs: []pickwave.FieldError{{Line: 3, Field: "dock"}}},
		{name: "short row", csv: header + "S,R\n", errs: []pickwave.FieldError{{Line: 2, Field: "(row)"}}},
		{name: "bare quote", csv: header + `S,"R` + "\n", errs: []pickwave.FieldError{{Line: 2, Field: "(row)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			notices, err := inboundcsv.Parse(strings.NewReader(tt.csv))
			if tt.notices != nil {
				if err != nil || len(notices) != len(tt.notices) {
					t.Fatalf("got %d notices, %v; want %d", len(notices), err, len(tt.notices))
				}
				for i, n := range notices {
					if len(n.Rows) != len(n.Input.Lines) || len(n.Rows) != tt.notices[i] {
						t.Fatalf("notice %d: %d rows, %d lines, want %d", i, len(n.Rows), len(n.Input.Lines), tt.notices[i])
					}
				}
				return
			}
			if pickwave.ErrorCode(err) != pickwave.EINVALID {
				t.Fatalf("err = %v, want invalid", err)
			}
			got, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError)
			if len(got) != len(tt.errs) {
				t.Fatalf("details %+v, want %+v", got, tt.errs)
			}
			for i, want := range tt.errs {
				if got[i].Line != want.Line || got[i].Field != want.Field || got[i].Reason == "" {
					t.Errorf("detail %d = %+v, want line %d field %s", i, got[i], want.Line, want.Field)
				}
			}
		})
	}
}

// TestParse_values: the cells become the notice as written, the expiry a
// UTC time, and the rows keep their file lines (a quoted cell spanning
// two lines counts at its first).
func TestParse_values(t *testing.T) {
	notices, err := inboundcsv.Parse(strings.NewReader(header +
		"\"Stoneware\nLtd\",ASN-1,DOCK-1, MUG ,,,240,095060000000000015\n" +
		"\"Stoneware\nLtd\",ASN-1,,TEA,L2,2027-03-31T22:00:00-02:00,5,\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := notices[0].Input
	if in.Supplier != "Stoneware\nLtd" || in.Dock != "DOCK-1" || in.Lines[0].SKU != "MUG" || in.Lines[0].Qty != 240 ||
		in.Lines[0].SSCC != "095060000000000015" || in.Lines[1].Lot != "L2" {
		t.Fatalf("notice %+v", in)
	}
	if e := in.Lines[1].Expiry; e == nil || e.Location().String() != "UTC" || e.Day() != 1 {
		t.Fatalf("expiry %v", e)
	}
	if rows := notices[0].Rows; rows[0] != 2 || rows[1] != 4 {
		t.Fatalf("rows %v", rows)
	}
}

// TestParse_hostileFileGetsABoundedError: 1,000 bad rows each with a
// 20 KB cell get an error of at most pickwave.MaxFieldErrors problems,
// each clipped, and a count of the rest.
func TestParse_hostileFileGetsABoundedError(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	huge := strings.Repeat("Ä", 10<<10)
	for range 1000 {
		fmt.Fprintf(&b, "S,R,,MUG,,,%s,\n", huge)
	}
	_, err := inboundcsv.Parse(strings.NewReader(b.String()))
	var pe *pickwave.Error
	if !errors.As(err, &pe) || pe.Code != pickwave.EINVALID {
		t.Fatalf("err %v", err)
	}
	details := pe.Details.([]pickwave.FieldError)
	if len(details) != pickwave.MaxFieldErrors+1 {
		t.Fatalf("%d details", len(details))
	}
	var more int
	if _, err := fmt.Sscanf(details[len(details)-1].Reason, "and %d more", &more); err != nil || more != 1000-pickwave.MaxFieldErrors {
		t.Fatalf("the last detail %+v", details[len(details)-1])
	}
	body, _ := json.Marshal(details)
	if len(body) > 64<<10 {
		t.Fatalf("the error is %d bytes", len(body))
	}
	for _, d := range details {
		if !utf8.ValidString(d.Reason) || len(d.Reason) > pickwave.MaxEcho {
			t.Fatalf("detail %q", d.Reason)
		}
	}
}

// TestParse_tooManyLines: a notice over pickwave.MaxInboundLines is
// refused by row, not stored half.
func TestParse_tooManyLines(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for range pickwave.MaxInboundLines + 2 {
		b.WriteString("S,R,,MUG,,,1,\n")
	}
	_, err := inboundcsv.Parse(strings.NewReader(b.String()))
	got, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError)
	if len(got) != 2 || got[0].Line != pickwave.MaxInboundLines+2 || got[0].Field != "(row)" {
		t.Fatalf("err %v details %+v", err, got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(header + "Stoneware,ASN-1,DOCK-1,MUG,,,240,095060000000000015\nStoneware,ASN-1,,TEA,L,2027-03-31,5,\n")
	f.Add(header + "S,R\n")
	f.Add("qty,sku\n\"x\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, data string) {
		notices, err := inboundcsv.Parse(strings.NewReader(data))
		if err != nil {
			if pickwave.ErrorCode(err) != pickwave.EINVALID {
				t.Fatalf("non-invalid error %v", err)
			}
			if d, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError); len(d) > pickwave.MaxFieldErrors+1 {
				t.Fatalf("%d details", len(d))
			}
			return
		}
		if len(notices) == 0 {
			t.Fatal("no error and no notices")
		}
		for _, n := range notices {
			if len(n.Rows) != len(n.Input.Lines) || len(n.Rows) == 0 || len(n.Rows) > pickwave.MaxInboundLines {
				t.Fatalf("notice %q: %d rows, %d lines", n.Input.Reference, len(n.Rows), len(n.Input.Lines))
			}
		}
	})
}
