package pickwave

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Carrier is a shipping carrier as the pack station needs it: what it
// costs, a shipment with its tracking number and label, taking an unused
// label back, and the end-of-day manifest. Package carrier implements it
// for the own fleet (Local) and for a carrier reached over HTTP.
//
// A shipment has one tracking number and one label however many parcels it
// holds; a carrier that numbers each parcel is called once per parcel.
type Carrier interface {
	// Rate quotes the carrier's services for the request. It returns
	// EINVALID for a request that breaks a rule or that the carrier
	// refuses, and EUNAVAILABLE when the carrier cannot be reached or
	// fails.
	Rate(ctx context.Context, req *ShipmentRequest) ([]Rate, error)
	// CreateShipment books the shipment and returns its tracking number
	// and, when the carrier renders one, its label. It returns EINVALID
	// for a request that breaks a rule or that the carrier refuses, and
	// EUNAVAILABLE when the carrier cannot be reached, fails, or answers
	// with something unreadable; the shipment may then exist at the
	// carrier, so a retry should carry the same references.
	CreateShipment(ctx context.Context, req *ShipmentRequest) (*Shipment, error)
	// Void takes back an unused label. It returns EINVALID for a tracking
	// number that is malformed, not the carrier's, or that the carrier
	// will not void (already scanned, past its window), and EUNAVAILABLE
	// when the carrier cannot be reached or fails.
	Void(ctx context.Context, trackingNumber string) error
	// CloseManifest closes the day's shipments for one pickup. It returns
	// EINVALID for an empty list or a tracking number that is not the
	// carrier's, and EUNAVAILABLE when the carrier cannot be reached or
	// fails.
	CloseManifest(ctx context.Context, req *ManifestRequest) (*Manifest, error)
}

// Parcel is one package of a shipment. Weight is in grams and the
// dimensions, the outer ones, in millimetres.
type Parcel struct {
	WeightGrams int `json:"weight_g"`
	LengthMM    int `json:"length_mm"`
	WidthMM     int `json:"width_mm"`
	HeightMM    int `json:"height_mm"`
	// SSCC is the parcel's logistic unit number, when it has one.
	SSCC string `json:"sscc,omitempty"`
}

// Limits on a shipment request.
const (
	MaxParcels       = 99
	MaxParcelGrams   = 1_000_000 // one tonne: a pallet
	MaxParcelMM      = 10_000
	MaxReferences    = 4
	MaxReferenceLen  = 35 // the common carrier limit for a reference field
	MaxManifestItems = 10_000
)

// ShipmentRequest is what a carrier needs to rate or book a shipment.
type ShipmentRequest struct {
	// Service is the carrier's service code; empty for its default.
	Service  string   `json:"service,omitempty"`
	ShipFrom Address  `json:"ship_from"`
	ShipTo   Address  `json:"ship_to"`
	Parcels  []Parcel `json:"parcels"`
	// References are printed on the label and returned on tracking
	// events: the order id first, then anything the customer asked for.
	References []string `json:"references,omitempty"`
	// LabelFormat is the label wanted; empty means ZPL.
	LabelFormat LabelFormat `json:"label_format,omitempty"`
	ShipDate    time.Time   `json:"ship_date"`
}

// Validate checks the request field by field; it returns nil or an
// EINVALID *Error listing every field at fault.
func (r *ShipmentRequest) Validate() error {
	var fe FieldErrors
	checkText(&fe, "service", r.Service, false)
	checkAddress(&fe, "ship_from", &r.ShipFrom)
	checkAddress(&fe, "ship_to", &r.ShipTo)
	switch {
	case len(r.Parcels) == 0:
		fe.Add("parcels", "must have at least one parcel")
	case len(r.Parcels) > MaxParcels:
		fe.Add("parcels", "has more than %d parcels", MaxParcels)
	}
	for i, p := range r.Parcels {
		if p.WeightGrams < 1 || p.WeightGrams > MaxParcelGrams {
			fe.Add(indexed("parcels", i, "weight_g"), "must be between 1 and %d grams", MaxParcelGrams)
		}
		for _, d := range []struct {
			field string
			mm    int
		}{{"length_mm", p.LengthMM}, {"width_mm", p.WidthMM}, {"height_mm", p.HeightMM}} {
			if d.mm < 1 || d.mm > MaxParcelMM {
				fe.Add(indexed("parcels", i, d.field), "must be between 1 and %d mm", MaxParcelMM)
			}
		}
	}
	if len(r.References) > MaxReferences {
		fe.Add("references", "has more than %d references", MaxReferences)
	}
	for i, ref := range r.References {
		if ref == "" || len(ref) > MaxReferenceLen || strings.TrimSpace(ref) != ref || hasControl(ref) {
			fe.Add("references["+strconv.Itoa(i)+"]", "must be 1 to %d printable characters without surrounding spaces", MaxReferenceLen)
		}
	}
	if r.LabelFormat != "" && !r.LabelFormat.Valid() {
		fe.Add("label_format", "must be %q or %q", LabelZPL, LabelPNG)
	}
	if r.ShipDate.IsZero() {
		fe.Add("ship_date", "is required (RFC 3339 time)")
	}
	return fe.Err("The shipment is not valid.")
}

func checkAddress(fe *FieldErrors, field string, a *Address) {
	checkText(fe, field+".name", a.Name, true)
	checkText(fe, field+".address1", a.Address1, true)
	checkText(fe, field+".address2", a.Address2, false)
	checkText(fe, field+".city", a.City, true)
	checkText(fe, field+".region", a.Region, false)
	checkText(fe, field+".postal_code", a.PostalCode, true)
	if c := a.Country; len(c) != 2 || strings.ToUpper(c) != c || !isLetters(c) {
		fe.Add(field+".country", "must be a two-letter ISO 3166 code such as \"US\"")
	}
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// LabelFormat is how a label's bytes are encoded.
type LabelFormat string

// Label formats.
const (
	LabelZPL LabelFormat = "zpl" // ZPL II for a thermal printer, 203 dpi
	LabelPNG LabelFormat = "png" // an image, for previews and office printers
)

// Valid reports whether f is a known label format.
func (f LabelFormat) Valid() bool { return f == LabelZPL || f == LabelPNG }

// Label is a carrier's label as it came; it is printed unchanged.
type Label struct {
	Format LabelFormat `json:"format"`
	Data   []byte      `json:"data"`
}

// Rate is one service a carrier offers for a shipment. Amount is in the
// currency's minor unit (cents).
type Rate struct {
	Carrier     string `json:"carrier"`
	Service     string `json:"service"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	TransitDays int    `json:"transit_days"`
}

// Shipment is a booked shipment.
type Shipment struct {
	Carrier        string `json:"carrier"`
	Service        string `json:"service"`
	TrackingNumber string `json:"tracking_number"`
	TrackingURL    string `json:"tracking_url,omitempty"`
	// Label is nil when the carrier renders none and Pickwave prints its
	// own (package labels).
	Label *Label `json:"label,omitempty"`
}

// ManifestRequest lists the shipments one pickup takes.
type ManifestRequest struct {
	Date            time.Time `json:"date"`
	TrackingNumbers []string  `json:"tracking_numbers"`
}

// Manifest is a closed manifest: the carrier's id for it and the
// document the driver signs, when the carrier gives one.
type Manifest struct {
	ID              string   `json:"id"`
	TrackingNumbers []string `json:"tracking_numbers"`
	// Document is the manifest to print (often a PDF); nil when the
	// carrier keeps it.
	Document    []byte `json:"document,omitempty"`
	ContentType string `json:"content_type,omitempty"`
}
