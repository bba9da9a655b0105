package ordercsv_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/ordercsv"
)

const csvHeader = "external_id,customer_name,customer_email,customer_phone,ship_name,ship_address1,ship_address2,ship_city,ship_region,ship_postal_code,ship_country,carrier,service,ship_by,priority,sku,qty\n"

func csvRow(ext, sku, qty string) string {
	return ext + ",Ada Lovelace,ada@example.com,,Ada Lovelace,12 St James's Square,,London,,SW1Y 4JH,GB,UPS,Ground,2026-11-26T17:00:00Z,1," + sku + "," + qty + "\n"
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		csv    string
		orders int
		errs   []pickwave.FieldError // line and field of every problem, in order
	}{
		{name: "two orders, three lines", csv: csvHeader + csvRow("A", "MUG", "1") + csvRow("A", "TEA", "2") + csvRow("B", "MUG", "3"), orders: 2},
		{name: "columns in any order, minimal set",
			csv: "sku,qty,external_id,customer_name,ship_name,ship_address1,ship_city,ship_postal_code,ship_country,carrier,ship_by\nMUG,1,A,Ada,Ada,1 Road,Town,123,US,UPS,2026-11-26T17:00:00Z\n", orders: 1},
		{name: "BOM and CRLF", csv: "\ufeff" + strings.ReplaceAll(csvHeader+csvRow("A", "MUG", "1"), "\n", "\r\n"), orders: 1},
		{name: "empty file", csv: ""},
		{name: "header only", csv: csvHeader},
		{name: "unknown column", csv: strings.Replace(csvHeader, "qty", "quantity", 1) + csvRow("A", "MUG", "1"),
			errs: []pickwave.FieldError{{Line: 1, Field: "quantity"}, {Line: 1, Field: "qty"}}},
		{name: "bad numbers and time, every row reported",
			csv:  csvHeader + csvRow("A", "MUG", "one") + strings.Replace(csvRow("B", "MUG", "1"), "2026-11-26T17:00:00Z", "soon", 1) + csvRow("C", "MUG", "0"),
			errs: []pickwave.FieldError{{Line: 2, Field: "qty"}, {Line: 3, Field: "ship_by"}, {Line: 4, Field: "lines[0].qty"}}},
		{name: "order fields differ between rows",
			csv:  csvHeader + csvRow("A", "MUG", "1") + strings.Replace(csvRow("A", "TEA", "1"), "London", "Paris", 1),
			errs: []pickwave.FieldError{{Line: 3, Field: "ship_city"}}},
		{name: "short row", csv: csvHeader + "A,Ada\n", errs: []pickwave.FieldError{{Line: 2, Field: "(row)"}}},
		{name: "bare quote", csv: csvHeader + `A,"Ada` + "\n", errs: []pickwave.FieldError{{Line: 2, Field: "(row)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orders, err := ordercsv.Parse(strings.NewReader(tt.csv))
			if tt.orders > 0 {
				if err != nil || len(orders) != tt.orders {
					t.Fatalf("got %d orders, %v; want %d", len(orders), err, tt.orders)
				}
				for _, o := range orders {
					if len(o.Rows) != len(o.Input.Lines) {
						t.Fatalf("order %s: %d rows for %d lines", o.Input.ExternalID, len(o.Rows), len(o.Input.Lines))
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

func FuzzParse(f *testing.F) {
	f.Add(csvHeader + csvRow("A", "MUG", "1") + csvRow("A", "TEA", "2"))
	f.Add(csvHeader + "A,Ada\n")
	f.Add("sku,qty\n\"x\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, data string) {
		orders, err := ordercsv.Parse(strings.NewReader(data))
		if err != nil {
			if pickwave.ErrorCode(err) != pickwave.EINVALID {
				t.Fatalf("non-invalid error %v", err)
			}
			return
		}
		if len(orders) == 0 {
			t.Fatal("no error and no orders")
		}
		for _, o := range orders {
			if len(o.Rows) != len(o.Input.Lines) || len(o.Rows) == 0 {
				t.Fatalf("order %q: %d rows, %d lines", o.Input.ExternalID, len(o.Rows), len(o.Input.Lines))
			}
		}
	})
}

// TestParse_hostileFileGetsABoundedError is issue 13's first finding: one
// order whose first row has a 1 MB name, then 5,000 rows that differ from
// it. Each error quoted the whole first value, without bound, and the
// process ran out of memory. Now the error lists at most
// pickwave.MaxFieldErrors problems, each clipped, and counts the rest.
func TestParse_hostileFileGetsABoundedError(t *testing.T) {
	var b strings.Builder
	b.WriteString(csvHeader)
	huge := strings.Repeat("Ä", 512<<10) // 1 MB of two-byte characters
	b.WriteString("E1," + huge + ",,,Ada,1 Road,,Town,,123,US,UPS,,2026-11-26T17:00:00Z,,MUG,1\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "E1,Other %d,,,Ada,1 Road,,Town,,123,US,UPS,,2026-11-26T17:00:00Z,,MUG,1\n", i)
	}
	_, err := ordercsv.Parse(strings.NewReader(b.String()))
	var pe *pickwave.Error
	if !errors.As(err, &pe) || pe.Code != pickwave.EINVALID {
		t.Fatalf("err %v", err)
	}
	details := pe.Details.([]pickwave.FieldError)
	var more int
	if len(details) != pickwave.MaxFieldErrors+1 {
		t.Fatalf("%d details", len(details))
	}
	if _, err := fmt.Sscanf(details[len(details)-1].Reason, "and %d more", &more); err != nil || more < 4900 {
		t.Fatalf("%d details, the last %+v", len(details), details[len(details)-1])
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
