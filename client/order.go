package client

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/pickwave/pickwave"
)

// OrderService takes in and manages orders over the API.
type OrderService struct{ c *Client }

var _ pickwave.OrderService = (*OrderService)(nil)

// CreateOrder sends an order (POST /api/v1/orders); created is false when
// the same order was taken in before. EINVALID, ECONFLICT.
func (s *OrderService) CreateOrder(ctx context.Context, in *pickwave.OrderInput) (*pickwave.Order, bool, error) {
	var o pickwave.Order
	var status int
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/orders", in: in, out: &o, status: &status}); err != nil {
		return nil, false, err
	}
	return &o, status == http.StatusCreated, nil
}

// Order returns one order; ENOTFOUND.
func (s *OrderService) Order(ctx context.Context, id string) (*pickwave.Order, error) {
	var o pickwave.Order
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/orders/" + seg(id), out: &o}); err != nil {
		return nil, err
	}
	return &o, nil
}

// Orders lists one page of orders in id order.
func (s *OrderService) Orders(ctx context.Context, f pickwave.OrderFilter) ([]*pickwave.Order, error) {
	q := pageQuery(f.After, f.Limit)
	if f.Status != "" {
		q.Set("status", string(f.Status))
	}
	var p pageOf[*pickwave.Order]
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/orders", query: q, out: &p}); err != nil {
		return nil, err
	}
	return p.Items, nil
}

// CancelOrder cancels an order; ENOTFOUND, ECONFLICT when it is too late.
func (s *OrderService) CancelOrder(ctx context.Context, id, reason string) (*pickwave.Order, error) {
	var o pickwave.Order
	in := struct {
		Reason string `json:"reason"`
	}{reason}
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/orders/" + seg(id) + "/cancel", in: in, out: &o}); err != nil {
		return nil, err
	}
	return &o, nil
}

// AllocateOrder retries the allocation of a backordered order.
func (s *OrderService) AllocateOrder(ctx context.Context, id string) (*pickwave.Order, error) {
	var o pickwave.Order
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/orders/" + seg(id) + "/allocate", out: &o}); err != nil {
		return nil, err
	}
	return &o, nil
}

// ImportCSV sends a CSV file of orders (POST /api/v1/orders/import, the
// format of package ordercsv): all are stored or none. EINVALID lists
// every problem with its line of the file.
func (s *OrderService) ImportCSV(ctx context.Context, file io.Reader) (*pickwave.ImportResult, error) {
	var res struct {
		Created  int               `json:"created"`
		Existing int               `json:"existing"`
		Orders   []*pickwave.Order `json:"orders"`
	}
	err := s.c.do(ctx, call{method: "POST", path: "/api/v1/orders/import", body: file, contentType: "text/csv", out: &res})
	if err != nil {
		return nil, err
	}
	if res.Created < 0 || res.Created > len(res.Orders) {
		return nil, fmt.Errorf("POST /api/v1/orders/import: %d created of %d orders", res.Created, len(res.Orders))
	}
	return &pickwave.ImportResult{Created: res.Orders[:res.Created:res.Created], Existing: res.Orders[res.Created:]}, nil
}

// csvHeader is the header ImportOrders writes: every column of the
// import format.
var csvHeader = []string{
	"external_id", "customer_name", "customer_email", "customer_phone",
	"ship_name", "ship_address1", "ship_address2", "ship_city", "ship_region",
	"ship_postal_code", "ship_country", "carrier", "service", "ship_by", "priority",
	"sku", "qty",
}

// ImportOrders writes the orders as a CSV file, one row per order line,
// and imports it with ImportCSV. The lines of the errors are mapped back
// to each order's Rows, so they name the caller's own input lines (or the
// line of the written file, for an order without Rows).
func (s *OrderService) ImportOrders(ctx context.Context, orders []pickwave.ImportOrder) (*pickwave.ImportResult, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(csvHeader)
	lineOf := []int{0, 1} // written line → caller's line; the header is line 1
	for _, io := range orders {
		in := io.Input
		if in == nil {
			continue
		}
		shipBy := ""
		if !in.ShipBy.IsZero() {
			shipBy = in.ShipBy.Format(time.RFC3339Nano)
		}
		order := []string{in.ExternalID, in.Customer.Name, in.Customer.Email, in.Customer.Phone,
			in.ShipTo.Name, in.ShipTo.Address1, in.ShipTo.Address2, in.ShipTo.City, in.ShipTo.Region,
			in.ShipTo.PostalCode, in.ShipTo.Country, in.Carrier, in.Service, shipBy, strconv.Itoa(in.Priority)}
		lines := in.Lines
		if len(lines) == 0 {
			lines = []pickwave.LineInput{{}} // one row, so the server reports the missing lines
		}
		for j, l := range lines {
			row := make([]string, len(csvHeader))
			if j == 0 {
				copy(row, order)
			} else {
				row[0] = in.ExternalID // later rows leave the order's fields empty
			}
			row[len(row)-2], row[len(row)-1] = l.SKU, strconv.Itoa(l.Qty)
			w.Write(row)
			line := io.Row(j)
			if line == 0 {
				line = len(lineOf)
			}
			lineOf = append(lineOf, line)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("write orders as CSV: %w", err)
	}
	res, err := s.ImportCSV(ctx, &buf)
	if err != nil {
		return nil, mapLines(err, lineOf)
	}
	return res, nil
}

// mapLines rewrites the lines of an import error's field errors with
// lineOf. Fields of the header (line 1) keep their line.
func mapLines(err error, lineOf []int) error {
	e, ok := errors.AsType[*pickwave.Error](err)
	if !ok {
		return err
	}
	fields, ok := e.Details.([]pickwave.FieldError)
	if !ok {
		return err
	}
	mapped := make([]pickwave.FieldError, len(fields))
	for i, f := range fields {
		if f.Line > 1 && f.Line < len(lineOf) {
			f.Line = lineOf[f.Line]
		}
		mapped[i] = f
	}
	return fmt.Errorf("POST /api/v1/orders/import: %w", &pickwave.Error{Code: e.Code, Message: e.Message, Details: mapped})
}
