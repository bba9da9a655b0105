package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/pickwave/pickwave"
)

// InventoryService keeps SKUs, locations, stock and cycle counts over the
// API.
type InventoryService struct{ c *Client }

var _ pickwave.InventoryService = (*InventoryService)(nil)

// CreateSKU adds a SKU and fills sku in as stored (its times).
// EINVALID, ECONFLICT.
func (s *InventoryService) CreateSKU(ctx context.Context, sku *pickwave.SKU) error {
	return s.c.do(ctx, call{method: "POST", path: "/api/v1/skus", in: sku, out: sku})
}

// SKU returns one SKU by code; ENOTFOUND.
func (s *InventoryService) SKU(ctx context.Context, code string) (*pickwave.SKU, error) {
	var sku pickwave.SKU
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/skus/" + seg(code), out: &sku}); err != nil {
		return nil, err
	}
	return &sku, nil
}

// SKUByBarcode finds the SKU of a scanned code in any GTIN form;
// ENOTFOUND.
func (s *InventoryService) SKUByBarcode(ctx context.Context, code string) (*pickwave.SKU, pickwave.Barcode, error) {
	var res struct {
		SKU     *pickwave.SKU    `json:"sku"`
		Barcode pickwave.Barcode `json:"barcode"`
	}
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/barcodes/" + seg(code), out: &res}); err != nil {
		return nil, pickwave.Barcode{}, err
	}
	return res.SKU, res.Barcode, nil
}

// SKUs lists one page of SKUs in code order after the given code.
func (s *InventoryService) SKUs(ctx context.Context, after string, limit int) ([]*pickwave.SKU, error) {
	var p pageOf[*pickwave.SKU]
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/skus", query: pageQuery(after, limit), out: &p}); err != nil {
		return nil, err
	}
	return p.Items, nil
}

// CreateLocation adds a location and fills loc in as stored. EINVALID,
// ECONFLICT.
func (s *InventoryService) CreateLocation(ctx context.Context, loc *pickwave.Location) error {
	return s.c.do(ctx, call{method: "POST", path: "/api/v1/locations", in: loc, out: loc})
}

// Location returns one location; ENOTFOUND.
func (s *InventoryService) Location(ctx context.Context, code string) (*pickwave.Location, error) {
	var loc pickwave.Location
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/locations/" + seg(code), out: &loc}); err != nil {
		return nil, err
	}
	return &loc, nil
}

// Locations lists one page of locations in code order after the given
// code.
func (s *InventoryService) Locations(ctx context.Context, after string, limit int) ([]*pickwave.Location, error) {
	var p pageOf[*pickwave.Location]
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/locations", query: pageQuery(after, limit), out: &p}); err != nil {
		return nil, err
	}
	return p.Items, nil
}

// AdjustStock applies an adjustment and returns the stock row it left.
// EINVALID, ENOTFOUND.
func (s *InventoryService) AdjustStock(ctx context.Context, adj *pickwave.Adjustment) (*pickwave.Stock, error) {
	var st pickwave.Stock
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/stock/adjust", in: adj, out: &st}); err != nil {
		return nil, err
	}
	return &st, nil
}

// StockOf lists a SKU's stock rows; ENOTFOUND for an unknown SKU.
func (s *InventoryService) StockOf(ctx context.Context, sku string) ([]*pickwave.Stock, error) {
	var res struct {
		Items []*pickwave.Stock `json:"items"`
	}
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/stock", query: url.Values{"sku": {sku}}, out: &res}); err != nil {
		return nil, err
	}
	return res.Items, nil
}

// Counts lists one page of cycle counts in the order they were raised.
// EINVALID for an unknown status.
func (s *InventoryService) Counts(ctx context.Context, f pickwave.CountFilter, after string, limit int) ([]*pickwave.CycleCount, error) {
	q := pageQuery(after, limit)
	if f.Status != "" {
		q.Set("status", string(f.Status))
	}
	var p pageOf[*pickwave.CycleCount]
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/counts", query: q, out: &p}); err != nil {
		return nil, err
	}
	return p.Items, nil
}

// Count returns one cycle count; ENOTFOUND.
func (s *InventoryService) Count(ctx context.Context, id string) (*pickwave.CycleCount, error) {
	var cc pickwave.CycleCount
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/counts/" + seg(id), out: &cc}); err != nil {
		return nil, err
	}
	return &cc, nil
}

// ConfirmCount sets the stock to the counted units. EINVALID, ENOTFOUND,
// ECONFLICT when confirmed already.
func (s *InventoryService) ConfirmCount(ctx context.Context, id string, conf pickwave.CountConfirmation) (*pickwave.CycleCount, error) {
	var cc pickwave.CycleCount
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/counts/" + seg(id) + "/confirm", in: conf, out: &cc}); err != nil {
		return nil, err
	}
	return &cc, nil
}

// SetPickFace makes a pick location the face of a SKU with its min/max,
// or clears it (face nil). EINVALID, ENOTFOUND, ECONFLICT when another
// location is the SKU's face.
func (s *InventoryService) SetPickFace(ctx context.Context, location string, face *pickwave.PickFace) (*pickwave.Location, error) {
	var loc pickwave.Location
	r := call{method: "DELETE", path: "/api/v1/locations/" + seg(location) + "/face", out: &loc}
	if face != nil {
		r.method, r.in = "PUT", face
	}
	if err := s.c.do(ctx, r); err != nil {
		return nil, err
	}
	return &loc, nil
}

// SetReorder changes a SKU's reorder point and quantity. EINVALID,
// ENOTFOUND.
func (s *InventoryService) SetReorder(ctx context.Context, sku string, r pickwave.Reorder) (*pickwave.SKU, error) {
	var out pickwave.SKU
	if err := s.c.do(ctx, call{method: "PUT", path: "/api/v1/skus/" + seg(sku) + "/reorder", in: r, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// RequestCount raises a count on demand; created is false when the row
// had an open count, which is returned. EINVALID, ENOTFOUND.
func (s *InventoryService) RequestCount(ctx context.Context, r pickwave.CountRequest) (*pickwave.CycleCount, bool, error) {
	var (
		cc     pickwave.CycleCount
		status int
	)
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/counts", in: r, out: &cc, status: &status}); err != nil {
		return nil, false, err
	}
	return &cc, status == http.StatusCreated, nil
}

// Accuracy is the inventory accuracy KPI.
func (s *InventoryService) Accuracy(ctx context.Context) (*pickwave.InventoryAccuracy, error) {
	var a pickwave.InventoryAccuracy
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/counts/accuracy", out: &a}); err != nil {
		return nil, err
	}
	return &a, nil
}
