package client

import (
	"context"
	"net/http"

	"github.com/pickwave/pickwave"
)

// LabelRequest is a shipping label to render, with a GS1 carton label
// when SSCC is set (POST /api/v1/labels/render).
type LabelRequest struct {
	ShipFrom       pickwave.Address `json:"ship_from"`
	ShipTo         pickwave.Address `json:"ship_to"`
	Carrier        string           `json:"carrier"`
	Service        string           `json:"service,omitempty"`
	TrackingNumber string           `json:"tracking_number,omitempty"`
	References     []string         `json:"references,omitempty"`
	WeightG        int              `json:"weight_g,omitempty"`
	DPI            int              `json:"dpi,omitempty"`
	PackageNumber  int              `json:"package_number,omitempty"`
	PackageCount   int              `json:"package_count,omitempty"`
	Date           string           `json:"date,omitempty"` // YYYY-MM-DD; today (UTC) when empty
	SSCC           string           `json:"sscc,omitempty"`
	Consignment    string           `json:"consignment,omitempty"`
}

// Label formats RenderLabel can ask for.
const (
	LabelZPL = "application/zpl"
	LabelPNG = "image/png"
)

// RenderLabel renders a label as ZPL (format LabelZPL) or as a PNG
// preview (LabelPNG), for packers, supervisors and admins. EINVALID.
func (c *Client) RenderLabel(ctx context.Context, req LabelRequest, format string) ([]byte, error) {
	var out []byte
	h := http.Header{}
	h.Set("Accept", format)
	if err := c.do(ctx, call{method: "POST", path: "/api/v1/labels/render", in: req, header: h, raw: &out}); err != nil {
		return nil, err
	}
	return out, nil
}
