package ordercsv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pickwave/pickwave"
)

// The columns. Each row is one order line; rows with the same external_id
// make one order and must agree on the order's fields.
var (
	// orderColumns are the order's fields, which every row of an order
	// repeats or leaves empty.
	orderColumns = []string{
		"external_id", "customer_name", "customer_email", "customer_phone",
		"ship_name", "ship_address1", "ship_address2", "ship_city", "ship_region",
		"ship_postal_code", "ship_country", "carrier", "service", "ship_by", "priority",
	}
	// lineColumns are the line's fields, one line per row.
	lineColumns = []string{"sku", "qty"}
	columns     = slices.Concat(orderColumns, lineColumns)
	required    = []string{
		"external_id", "customer_name", "ship_name", "ship_address1", "ship_city",
		"ship_postal_code", "ship_country", "carrier", "ship_by", "sku", "qty",
	}
)

// MaxRows bounds the rows of one import.
const MaxRows = 100000

// Parse reads an order import: a header row naming the columns (any
// order, case-insensitive; unknown columns are an error), then one row per
// order line. It returns the orders with the line of every row, or an
// EINVALID error listing every bad row by line and field.
func Parse(r io.Reader) ([]pickwave.ImportOrder, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, readError(err, 1)
	}
	col := map[string]int{}
	var fe pickwave.BoundedErrors
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(columns, name) {
			fe.Add(pickwave.FieldError{Line: 1, Field: h, Reason: fmt.Sprintf("is not a known column; columns are %s", strings.Join(columns, ", "))})
			continue
		}
		if _, dup := col[name]; dup {
			fe.Add(pickwave.FieldError{Line: 1, Field: name, Reason: "appears twice"})
		}
		col[name] = i
	}
	for _, name := range required {
		if _, ok := col[name]; !ok {
			fe.Add(pickwave.FieldError{Line: 1, Field: name, Reason: "column is missing"})
		}
	}
	if err := fe.Err("The CSV header is not valid; nothing was imported."); err != nil {
		return nil, err
	}

	var (
		orders []pickwave.ImportOrder
		byExt  = map[string]int{}      // external id → index in orders
		first  = map[string][]string{} // external id → the order fields of its first row
	)
	line := 1 // of the last row read
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		// FieldPos is only defined for a row that was read; a read error
		// carries its own line (csv.ParseError) or is about the file.
		if err == nil {
			line, _ = cr.FieldPos(0)
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				continue // cannot happen with FieldsPerRecord = -1
			}
			fe.Add(readErrorField(err, line))
			return nil, fe.Err("The CSV file could not be read; nothing was imported.")
		}
		if n >= MaxRows {
			return nil, pickwave.Errorf(pickwave.EINVALID, "The file has more than %d rows; split it.", MaxRows)
		}
		if len(rec) != len(header) {
			fe.Add(pickwave.FieldError{Line: line, Field: "(row)", Reason: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(header))})
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		ext := get("external_id")
		qty, err := strconv.Atoi(get("qty"))
		if err != nil {
			fe.Add(pickwave.FieldError{Line: line, Field: "qty", Reason: "must be a whole number"})
		}
		idx, seen := byExt[ext]
		if seen {
			// Later rows of an order must repeat its fields or leave them empty.
			for k, name := range orderColumns {
				if v := get(name); v != "" && v != first[ext][k] {
					fe.Add(pickwave.FieldError{Line: line, Field: name, Reason: fmt.Sprintf(
						"differs from line %d of the same order (%q)", orders[idx].Rows[0], pickwave.Clip(first[ext][k]))})
				}
			}
		} else {
			in := &pickwave.OrderInput{
				ExternalID: ext,
				Customer:   pickwave.Customer{Name: get("customer_name"), Email: get("customer_email"), Phone: get("customer_phone")},
				ShipTo: pickwave.Address{Name: get("ship_name"), Address1: get("ship_address1"), Address2: get("ship_address2"),
					City: get("ship_city"), Region: get("ship_region"), PostalCode: get("ship_postal_code"), Country: get("ship_country")},
				Carrier: get("carrier"), Service: get("service"),
			}
			if v := get("ship_by"); v != "" {
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					fe.Add(pickwave.FieldError{Line: line, Field: "ship_by", Reason: "must be an RFC 3339 time such as 2026-11-26T17:00:00Z"})
				}
				in.ShipBy = t
			}
			if v := get("priority"); v != "" {
				p, err := strconv.Atoi(v)
				if err != nil {
					fe.Add(pickwave.FieldError{Line: line, Field: "priority", Reason: "must be a whole number"})
				}
				in.Priority = p
			}
			vals := make([]string, len(orderColumns))
			for k, name := range orderColumns {
				vals[k] = get(name)
			}
			first[ext] = vals
			idx = len(orders)
			byExt[ext] = idx
			orders = append(orders, pickwave.ImportOrder{Input: in})
		}
		o := &orders[idx]
		o.Input.Lines = append(o.Input.Lines, pickwave.LineInput{SKU: get("sku"), Qty: qty})
		o.Rows = append(o.Rows, line)
	}
	if len(orders) == 0 && fe.Empty() {
		return nil, pickwave.Errorf(pickwave.EINVALID, "The file has a header but no rows.")
	}
	if !fe.Empty() {
		// Report rule violations too, so one round trip shows every problem.
		for _, o := range orders {
			for _, f := range o.Validate() {
				if !listed(&fe, f) {
					fe.Add(f)
				}
			}
		}
		return nil, fe.Err("The import is not valid; nothing was imported.")
	}
	return orders, nil
}

// listed reports whether a problem with the same line and field is already
// listed, so a bad number is not reported twice.
func listed(p *pickwave.BoundedErrors, f pickwave.FieldError) bool {
	field := f.Field
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		field = field[i+1:]
	}
	for _, e := range p.Listed() {
		if e.Line == f.Line && (e.Field == field || e.Field == f.Field) {
			return true
		}
	}
	return false
}

func readErrorField(err error, line int) pickwave.FieldError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pickwave.FieldError{Line: pe.Line, Field: "(row)", Reason: pe.Err.Error()}
	}
	return pickwave.FieldError{Line: line, Field: "(file)", Reason: err.Error()}
}

func readError(err error, line int) error {
	var maxErr *http.MaxBytesError
	switch {
	case err == io.EOF:
		return pickwave.Errorf(pickwave.EINVALID, "The file is empty; send a CSV header row and order lines.")
	case errors.As(err, &maxErr):
		return pickwave.Errorf(pickwave.EINVALID, "The file is larger than %d bytes; split it.", maxErr.Limit)
	}
	return &pickwave.Error{Code: pickwave.EINVALID, Message: "The CSV file could not be read; nothing was imported.",
		Details: []pickwave.FieldError{readErrorField(err, line)}}
}
