package server

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/labels"
)

// labelRequest is the body of POST /api/v1/labels/render: a shipping
// label, and a GS1 carton label when sscc is set.
type labelRequest struct {
	ShipFrom       pickwave.Address `json:"ship_from"`
	ShipTo         pickwave.Address `json:"ship_to"`
	Carrier        string           `json:"carrier"`
	Service        string           `json:"service"`
	TrackingNumber string           `json:"tracking_number"`
	References     []string         `json:"references"`
	WeightG        int              `json:"weight_g"`
	DPI            int              `json:"dpi"`
	PackageNumber  int              `json:"package_number"`
	PackageCount   int              `json:"package_count"`
	Date           string           `json:"date"` // YYYY-MM-DD; today (UTC) when absent
	SSCC           string           `json:"sscc"`
	Consignment    string           `json:"consignment"`
}

// renderLabel answers the label as ZPL, or as a PNG preview when the
// client accepts image/png.
func (s *Server) renderLabel(c *gin.Context) {
	var req labelRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	date := time.Now().UTC().Truncate(24 * time.Hour)
	if req.Date != "" {
		d, err := time.Parse(time.DateOnly, req.Date)
		if err != nil {
			s.fail(c, &pickwave.Error{Code: pickwave.EINVALID, Message: "The date is not in YYYY-MM-DD form.",
				Details: []pickwave.FieldError{{Field: "date", Reason: "must be YYYY-MM-DD"}}})
			return
		}
		date = d
	}
	label := labels.Shipping{
		From: req.ShipFrom, To: req.ShipTo, Carrier: req.Carrier, Service: req.Service,
		Tracking: req.TrackingNumber, References: req.References, Package: req.PackageNumber,
		Packages: req.PackageCount, WeightG: req.WeightG, Date: date, DPI: req.DPI,
		SSCC: req.SSCC, Consignment: req.Consignment,
	}
	if strings.Contains(c.GetHeader("Accept"), "image/png") {
		var buf bytes.Buffer
		if err := label.WritePNG(&buf); err != nil {
			s.fail(c, err)
			return
		}
		c.Data(http.StatusOK, "image/png", buf.Bytes())
		return
	}
	zpl, err := label.ZPL()
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/zpl; charset=utf-8", zpl)
}
