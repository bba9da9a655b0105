package client

import (
	"context"
)

// BarcodeElement is one GS1 element of a parsed scan. Value is typed as
// the API sends it: a date string, a decimal string, a number or text.
type BarcodeElement struct {
	AI    string `json:"ai"`
	Title string `json:"title"`
	Raw   string `json:"raw"`
	Value any    `json:"value"`
}

// BarcodeWarning is something odd about an element that did not stop the
// reading.
type BarcodeWarning struct {
	AI     string `json:"ai"`
	Reason string `json:"reason"`
}

// BarcodeReading is one way a scan can be read (POST
// /api/v1/barcodes/parse).
type BarcodeReading struct {
	Kind      string           `json:"kind"`
	Guess     bool             `json:"guess,omitempty"`
	Symbology string           `json:"symbology,omitempty"`
	AIM       string           `json:"aim,omitempty"`
	Form      string           `json:"form"`
	GTIN      string           `json:"gtin,omitempty"`
	Class     string           `json:"gtin_class,omitempty"`
	Elements  []BarcodeElement `json:"elements"`
	Warnings  []BarcodeWarning `json:"warnings,omitempty"`
	HRI       string           `json:"hri"`
}

// RefusedReading is a reading the scan most likely meant, and why it
// failed (a check digit, say).
type RefusedReading struct {
	Kind     string `json:"kind"`
	Reason   string `json:"reason"`
	Position int    `json:"position,omitempty"`
	AI       string `json:"ai,omitempty"`
}

// ParsedBarcode is what a scan carries: its most likely reading, every
// valid reading, and the refused ones.
type ParsedBarcode struct {
	BarcodeReading
	Readings []BarcodeReading `json:"readings"`
	Refused  []RefusedReading `json:"refused,omitempty"`
}

// ParseBarcode reads scanned data every way that fits: a GTIN, UPC-E,
// SSCC, GS1 element string or Digital Link. EINVALID when no reading is
// valid, with the position and AI in the details.
func (c *Client) ParseBarcode(ctx context.Context, data string) (*ParsedBarcode, error) {
	in := struct {
		Data string `json:"data"`
	}{data}
	var p ParsedBarcode
	if err := c.do(ctx, call{method: "POST", path: "/api/v1/barcodes/parse", in: in, out: &p}); err != nil {
		return nil, err
	}
	return &p, nil
}
