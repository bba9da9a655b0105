package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
)

// parseRequest is the body of POST /api/v1/barcodes/parse.
type parseRequest struct {
	Data string `json:"data"`
}

// parsedElement is one AI of a parsed scan, its value typed for JSON:
// dates as YYYY-MM-DD (date-times as RFC 3339), decimals and amounts as
// exact decimal strings, counts as numbers, text as text.
type parsedElement struct {
	AI    string `json:"ai"`
	Title string `json:"title"`
	Raw   string `json:"raw"`
	Value any    `json:"value"`
}

type parsedWarning struct {
	AI     string `json:"ai"`
	Reason string `json:"reason"`
}

// parsedReading describes one reading of a scan.
type parsedReading struct {
	Kind      string          `json:"kind"`                // GTIN, UPC-E, SSCC, element string, Digital Link
	Guess     bool            `json:"guess,omitempty"`     // no check digit confirms it
	Symbology string          `json:"symbology,omitempty"` // e.g. "GS1-128"
	AIM       string          `json:"aim,omitempty"`       // e.g. "]C1"
	Form      string          `json:"form"`
	GTIN      string          `json:"gtin,omitempty"`
	Class     string          `json:"gtin_class,omitempty"`
	Elements  []parsedElement `json:"elements"`
	Warnings  []parsedWarning `json:"warnings,omitempty"`
	HRI       string          `json:"hri"`
}

// refusedReading says why a reading the scan most likely meant failed.
type refusedReading struct {
	Kind     string `json:"kind"`
	Reason   string `json:"reason"`
	Position int    `json:"position,omitempty"`
	AI       string `json:"ai,omitempty"`
}

// parseResponse describes what a scan carries: its most likely reading at
// the top level, as before readings were listed, then every valid reading.
type parseResponse struct {
	parsedReading
	Readings []parsedReading  `json:"readings"`
	Refused  []refusedReading `json:"refused,omitempty"`
}

// parseBarcode reads a scan's data every way that fits (gs1.Readings): a
// GTIN, a UPC-E, an SSCC, a GS1 element string (raw with GS separators,
// with or without an AIM identifier, or bracketed) or a GS1 Digital Link
// URI. It answers 400 only when no reading is valid.
func (s *Server) parseBarcode(c *gin.Context) {
	var req parseRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Data == "" {
		s.fail(c, &pickwave.Error{Code: pickwave.EINVALID, Message: "Send the scanned data.",
			Details: []pickwave.FieldError{{Field: "data", Reason: "is required"}}})
		return
	}
	readings, err := (gs1.Parser{Now: time.Now()}).Readings(req.Data)
	if len(readings) == 0 {
		s.fail(c, barcodeError(err))
		return
	}
	res := parseResponse{Readings: make([]parsedReading, 0, len(readings))}
	for _, r := range readings {
		res.Readings = append(res.Readings, describeReading(r))
	}
	res.parsedReading = res.Readings[0]
	// The scan most likely meant a number whose check failed: say so
	// beside the readings that are valid.
	var re *gs1.ReadError
	if errors.As(err, &re) {
		for _, f := range re.Failed {
			d := detailOf(f.Err)
			res.Refused = append(res.Refused, refusedReading{Kind: f.Kind.String(), Reason: d.Reason, Position: d.Position, AI: d.AI})
		}
	}
	c.JSON(http.StatusOK, res)
}

func describeReading(r gs1.Reading) parsedReading {
	d := r.Data
	out := parsedReading{Kind: r.Kind.String(), Guess: r.Guess, Symbology: d.Symbology.Name, AIM: d.Symbology.AIM,
		Form: d.Form.String(), GTIN: d.GTIN, HRI: d.HRI(), Elements: make([]parsedElement, 0, len(d.Elements))}
	if d.GTIN != "" {
		out.Class = d.Class().String()
	}
	for _, e := range d.Elements {
		out.Elements = append(out.Elements, parsedElement{AI: e.AI, Title: e.Title, Raw: e.Raw, Value: jsonValue(e.Value)})
	}
	for _, w := range d.Warnings {
		out.Warnings = append(out.Warnings, parsedWarning{AI: w.AI, Reason: w.Reason})
	}
	return out
}

func jsonValue(v any) any {
	switch v := v.(type) {
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 {
			return v.Format("2006-01-02")
		}
		return v.Format(time.RFC3339)
	case []time.Time:
		out := make([]any, len(v))
		for i, t := range v {
			out[i] = jsonValue(t)
		}
		return out
	case fmt.Stringer:
		return v.String()
	}
	return v
}

// barcodeDetail says where and what is wrong with a scan.
type barcodeDetail struct {
	Field    string `json:"field"`
	Reason   string `json:"reason"`
	Position int    `json:"position,omitempty"`
	AI       string `json:"ai,omitempty"`
}

// detailOf takes a GS1 error apart: the 1-based position, the AI, the
// reason.
func detailOf(err error) barcodeDetail {
	d := barcodeDetail{Field: "data", Reason: err.Error()}
	var pe *gs1.ParseError
	var ge *gs1.GTINError
	switch {
	case errors.As(err, &pe):
		d.Reason, d.Position, d.AI = pe.Reason, pe.Pos, pe.AI
	case errors.As(err, &ge):
		d.Reason, d.Position = ge.Reason, ge.Pos
	}
	return d
}

// barcodeError turns a GS1 parse error into an EINVALID error whose
// details say where and what: the 1-based position, the AI, the reason.
func barcodeError(err error) error {
	return &pickwave.Error{Code: pickwave.EINVALID, Message: "The barcode data is not valid: " + err.Error() + ".", Details: []barcodeDetail{detailOf(err)}}
}
