package inboundcsv

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

// The columns: noticeColumns belong to the notice, which every row of it
// repeats or leaves empty; lineColumns to the row's expected line.
var (
	noticeColumns = []string{"supplier", "reference", "dock"}
	lineColumns   = []string{"sku", "lot", "expiry", "qty", "sscc"}
	columns       = slices.Concat(noticeColumns, lineColumns)
	required      = []string{"supplier", "reference", "sku", "qty"}
)

// MaxRows bounds the rows of one import.
const MaxRows = 100000

// header maps a column name to its field index in a row.
type header map[string]int

// row is one record read with its header: cells by column name.
type row struct {
	h    header
	rec  []string
	line int
}

func (r row) get(name string) string {
	if i, ok := r.h[name]; ok {
		return strings.TrimSpace(r.rec[i])
	}
	return ""
}

// Parse reads an inbound import and returns its notices in file order,
// each with the input line of every line, or an EINVALID error listing
// every bad row by line and column.
func Parse(r io.Reader) ([]pickwave.ImportInbound, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	first, err := cr.Read()
	if err != nil {
		return nil, readError(err)
	}
	var p pickwave.BoundedErrors
	h := readHeader(first, &p)
	if err := p.Err("The CSV header is not valid; nothing was imported."); err != nil {
		return nil, err
	}
	width := len(first)

	var (
		notices []pickwave.ImportInbound
		byRef   = map[string]int{}    // supplier and reference → index in notices
		docks   = map[string]string{} // supplier and reference → dock of its first row
	)
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			p.Add(readErrorField(err))
			return nil, p.Err("The CSV file could not be read; nothing was imported.")
		}
		if n >= MaxRows {
			return nil, pickwave.Errorf(pickwave.EINVALID, "The file has more than %d rows; split it.", MaxRows)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != width {
			p.Add(pickwave.FieldError{Line: line, Field: "(row)", Reason: fmt.Sprintf("has %d fields, the header has %d", len(rec), width)})
			continue
		}
		rw := row{h: h, rec: rec, line: line}
		l, ok := readLine(rw, &p)
		ref := rw.get("supplier") + "\x00" + rw.get("reference")
		idx, seen := byRef[ref]
		switch {
		case !seen:
			idx = len(notices)
			byRef[ref] = idx
			docks[ref] = rw.get("dock")
			notices = append(notices, pickwave.ImportInbound{Input: &pickwave.InboundInput{
				Supplier: rw.get("supplier"), Reference: rw.get("reference"), Dock: rw.get("dock")}})
		case rw.get("dock") != "" && rw.get("dock") != docks[ref]:
			p.Add(pickwave.FieldError{Line: line, Field: "dock", Reason: fmt.Sprintf(
				"differs from line %d of the same notice (%q)", notices[idx].Rows[0], pickwave.Clip(docks[ref]))})
		}
		if !ok {
			continue
		}
		nt := &notices[idx]
		if len(nt.Input.Lines) >= pickwave.MaxInboundLines {
			p.Add(pickwave.FieldError{Line: line, Field: "(row)", Reason: fmt.Sprintf(
				"makes the notice longer than %d lines; split it", pickwave.MaxInboundLines)})
			continue
		}
		nt.Input.Lines = append(nt.Input.Lines, l)
		nt.Rows = append(nt.Rows, line)
	}
	if err := p.Err("The import is not valid; nothing was imported."); err != nil {
		return nil, err
	}
	if len(notices) == 0 {
		return nil, pickwave.Errorf(pickwave.EINVALID, "The file has a header but no rows.")
	}
	return notices, nil
}

// readHeader maps the header's columns, reporting unknown, repeated and
// missing ones.
func readHeader(rec []string, p *pickwave.BoundedErrors) header {
	h := header{}
	for i, name := range rec {
		col := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		switch {
		case !slices.Contains(columns, col):
			p.Add(pickwave.FieldError{Line: 1, Field: name, Reason: "is not a known column; columns are " + strings.Join(columns, ", ")})
		case hasCol(h, col):
			p.Add(pickwave.FieldError{Line: 1, Field: col, Reason: "appears twice"})
		default:
			h[col] = i
		}
	}
	for _, col := range required {
		if !hasCol(h, col) {
			p.Add(pickwave.FieldError{Line: 1, Field: col, Reason: "column is missing"})
		}
	}
	return h
}

func hasCol(h header, col string) bool {
	_, ok := h[col]
	return ok
}

// readLine reads a row's expected line; ok is false when a cell could not
// be read (reported in p). The notice rules (codes, ranges, SSCC check
// digits) are the store's, applied to the whole import.
func readLine(r row, p *pickwave.BoundedErrors) (l pickwave.InboundLineInput, ok bool) {
	ok = true
	l = pickwave.InboundLineInput{SKU: r.get("sku"), Lot: r.get("lot"), SSCC: r.get("sscc")}
	qty, err := strconv.Atoi(r.get("qty"))
	if err != nil {
		p.Add(pickwave.FieldError{Line: r.line, Field: "qty", Reason: "must be a whole number"})
		ok = false
	}
	l.Qty = qty
	if v := r.get("expiry"); v != "" {
		e, err := parseExpiry(v)
		if err != nil {
			p.Add(pickwave.FieldError{Line: r.line, Field: "expiry", Reason: "must be a date such as 2027-03-31 or an RFC 3339 time"})
			ok = false
		}
		l.Expiry = e
	}
	return l, ok
}

func parseExpiry(v string) (*time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return &t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, err
	}
	t = t.UTC()
	return &t, nil
}

func readErrorField(err error) pickwave.FieldError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pickwave.FieldError{Line: pe.Line, Field: "(row)", Reason: pe.Err.Error()}
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return pickwave.FieldError{Field: "(file)", Reason: fmt.Sprintf("is larger than %d bytes; split it", maxErr.Limit)}
	}
	return pickwave.FieldError{Field: "(file)", Reason: err.Error()}
}

func readError(err error) error {
	var maxErr *http.MaxBytesError
	switch {
	case err == io.EOF:
		return pickwave.Errorf(pickwave.EINVALID, "The file is empty; send a CSV header row and the notice's lines.")
	case errors.As(err, &maxErr):
		return pickwave.Errorf(pickwave.EINVALID, "The file is larger than %d bytes; split it.", maxErr.Limit)
	}
	return &pickwave.Error{Code: pickwave.EINVALID, Message: "The CSV file could not be read; nothing was imported.",
		Details: []pickwave.FieldError{readErrorField(err)}}
}
