package client

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/pickwave/pickwave"
)

// InboundService takes in inbound notices and lists receipts over the
// API.
type InboundService struct{ c *Client }

var _ pickwave.InboundService = (*InboundService)(nil)

// CreateInbound stores a notice; created is false when the same supplier
// and reference with the same content was stored before. EINVALID,
// ECONFLICT.
func (s *InboundService) CreateInbound(ctx context.Context, in *pickwave.InboundInput) (*pickwave.InboundNotice, bool, error) {
	var (
		n      pickwave.InboundNotice
		status int
	)
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/inbound", in: in, out: &n, status: &status}); err != nil {
		return nil, false, err
	}
	return &n, status == http.StatusCreated, nil
}

// inboundHeader is the header ImportInbound writes: every column of the
// import format.
var inboundHeader = []string{"supplier", "reference", "dock", "sku", "lot", "expiry", "qty", "sscc"}

// ImportInbound writes the notices as a CSV file, one row per line, and
// imports it with ImportInboundCSV. The lines of the errors are mapped
// back to each notice's Rows.
func (s *InboundService) ImportInbound(ctx context.Context, notices []pickwave.ImportInbound) ([]*pickwave.InboundNotice, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(inboundHeader)
	lineOf := []int{0, 1}
	for _, imp := range notices {
		in := imp.Input
		if in == nil {
			continue
		}
		lines := in.Lines
		if len(lines) == 0 {
			lines = []pickwave.InboundLineInput{{}} // one row, so the server reports the missing lines
		}
		for j, l := range lines {
			expiry := ""
			if l.Expiry != nil {
				expiry = l.Expiry.Format(time.RFC3339Nano)
			}
			w.Write([]string{in.Supplier, in.Reference, in.Dock, l.SKU, l.Lot, expiry, strconv.Itoa(l.Qty), l.SSCC})
			line := len(lineOf)
			if j < len(imp.Rows) && imp.Rows[j] > 0 {
				line = imp.Rows[j]
			}
			lineOf = append(lineOf, line)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("write notices as CSV: %w", err)
	}
	out, err := s.ImportInboundCSV(ctx, &buf)
	if err != nil {
		return nil, mapLines(err, lineOf)
	}
	return out, nil
}

// ImportInboundCSV sends a CSV file of notices as it is (the format of
// POST /api/v1/inbound/import). All or nothing: EINVALID with every
// problem and its line.
func (s *InboundService) ImportInboundCSV(ctx context.Context, r io.Reader) ([]*pickwave.InboundNotice, error) {
	var res struct {
		Notices []*pickwave.InboundNotice `json:"notices"`
	}
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/inbound/import", body: r, contentType: "text/csv", out: &res}); err != nil {
		return nil, err
	}
	return res.Notices, nil
}

// Inbound returns one notice; ENOTFOUND.
func (s *InboundService) Inbound(ctx context.Context, id string) (*pickwave.InboundNotice, error) {
	var n pickwave.InboundNotice
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/inbound/" + seg(id), out: &n}); err != nil {
		return nil, err
	}
	return &n, nil
}

// Inbounds lists one page of notices, oldest first. EINVALID for an
// unknown status.
func (s *InboundService) Inbounds(ctx context.Context, f pickwave.InboundFilter) ([]*pickwave.InboundNotice, error) {
	q := pageQuery(f.After, f.Limit)
	if f.Status != "" {
		q.Set("status", string(f.Status))
	}
	var p pageOf[*pickwave.InboundNotice]
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/inbound", query: q, out: &p}); err != nil {
		return nil, err
	}
	return p.Items, nil
}

// CloseInbound closes a notice, recording short lines with the reason.
// EINVALID without a reason when a line is short, ENOTFOUND, ECONFLICT
// when it is closed already.
func (s *InboundService) CloseInbound(ctx context.Context, id string, c pickwave.InboundClose) (*pickwave.InboundNotice, error) {
	var n pickwave.InboundNotice
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/inbound/" + seg(id) + "/close", in: c, out: &n}); err != nil {
		return nil, err
	}
	return &n, nil
}

// Receipts lists one page of receipts waiting for putaway (all: every
// receipt).
func (s *InboundService) Receipts(ctx context.Context, all bool, after string, limit int) ([]*pickwave.Receipt, error) {
	q := pageQuery(after, limit)
	if all {
		q.Set("all", "true")
	}
	var p pageOf[*pickwave.Receipt]
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/receipts", query: q, out: &p}); err != nil {
		return nil, err
	}
	return p.Items, nil
}
