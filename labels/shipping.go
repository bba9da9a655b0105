package labels

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
)

// Resolutions a shipping label is laid out for, in dots per inch.
const (
	DPI203 = 203
	DPI300 = 300
)

// Field limits: longer text is refused by Validate rather than cut, so a
// wrong import is noticed; text that fits the limit but not its box is
// wrapped or cut on the label.
const (
	maxText       = 200 // any text field
	maxReferences = 4
	maxTracking   = 40
)

// Shipping is one 4 × 6 in shipping label. With an SSCC it is also a GS1
// logistic (carton) label: the SSCC as GS1-128 with its (00) text, and the
// consignment (401) and ship-to postal code (420) where known. The zero
// value of every optional field leaves its line off the label.
type Shipping struct {
	From, To         pickwave.Address
	Carrier, Service string
	// Tracking is the carrier's tracking number, printed as Code 128 with
	// its text: letters, digits and "-" only.
	Tracking string
	// References are order and package references, one line each.
	References []string
	// Package and Packages print as "Package n of m" when both are set.
	Package, Packages int
	// WeightG is the weight in grams, printed in kg; 0 leaves it off.
	WeightG int
	// Date is printed as YYYY-MM-DD; the zero time leaves it off.
	Date time.Time
	// DPI is DPI203 or DPI300; 0 means DPI203.
	DPI int
	// SSCC is an SSCC-18 with a valid check digit, or "".
	SSCC string
	// Consignment is the GS1 consignment number (AI 401), printed in the
	// GS1-128 beside the SSCC; it needs an SSCC.
	Consignment string
}

// Validate returns nil or an EINVALID *pickwave.Error whose details name
// every field that is wrong. Field names are those of the JSON request of
// POST /api/v1/labels/render.
func (s Shipping) Validate() error {
	var fe pickwave.FieldErrors
	text := func(field, v string, required bool) {
		switch {
		case required && strings.TrimSpace(v) == "":
			fe.Add(field, "is required")
		case utf8.RuneCountInString(v) > maxText:
			fe.Add(field, "is longer than %d characters", maxText)
		}
	}
	addr := func(prefix string, a pickwave.Address) {
		text(prefix+".name", a.Name, true)
		text(prefix+".address1", a.Address1, true)
		text(prefix+".address2", a.Address2, false)
		text(prefix+".city", a.City, true)
		text(prefix+".region", a.Region, false)
		text(prefix+".postal_code", a.PostalCode, false)
		text(prefix+".country", a.Country, true)
	}
	addr("ship_from", s.From)
	addr("ship_to", s.To)
	text("carrier", s.Carrier, true)
	text("service", s.Service, false)
	switch {
	case s.Tracking == "":
		fe.Add("tracking_number", "is required")
	case len(s.Tracking) > maxTracking:
		fe.Add("tracking_number", "is longer than %d characters", maxTracking)
	case !allIn(s.Tracking, isTrackingByte):
		fe.Add("tracking_number", "may hold only letters, digits and \"-\"")
	}
	if len(s.References) > maxReferences {
		fe.Add("references", "has more than %d references", maxReferences)
	}
	for i, r := range s.References {
		text("references["+strconv.Itoa(i)+"]", r, false)
	}
	switch {
	case s.Package < 0 || s.Packages < 0:
		fe.Add("package_number", "must not be negative")
	case (s.Package == 0) != (s.Packages == 0):
		fe.Add("package_number", "needs both the package number and the package count")
	case s.Package > s.Packages:
		fe.Add("package_number", "is greater than the package count")
	case s.Packages > 9999:
		fe.Add("package_count", "is more than 9999")
	}
	if s.WeightG < 0 || s.WeightG > 1_000_000 {
		fe.Add("weight_g", "must be between 0 and 1000000 grams")
	}
	if s.DPI != 0 && s.DPI != DPI203 && s.DPI != DPI300 {
		fe.Add("dpi", "must be 203 or 300")
	}
	if s.SSCC != "" {
		if err := gs1.ValidSSCC(s.SSCC); err != nil {
			fe.Add("sscc", "%s", strings.TrimPrefix(err.Error(), "gs1: "))
		}
	}
	if s.Consignment != "" {
		switch {
		case s.SSCC == "":
			fe.Add("consignment", "needs an SSCC")
		case len(s.Consignment) > 30 || !allIn(s.Consignment, isGS1Byte):
			fe.Add("consignment", "must be up to 30 letters, digits and \"-./\"")
		}
	}
	return fe.Err("The label cannot be made as asked.")
}

func allIn(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isTrackingByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-'
}

// isGS1Byte is the part of the GS1 character set that means nothing to
// ZPL's Code 128 mode D, which reads "(", ")" and ">" itself.
func isGS1Byte(c byte) bool {
	return isTrackingByte(c) || c == '.' || c == '/'
}

// dpi is the resolution the label is laid out for.
func (s Shipping) dpi() int {
	if s.DPI == DPI300 {
		return DPI300
	}
	return DPI203
}

// shipToPostal is the (420) value: the ship-to postal code when it is
// GS1 data (20 characters of the safe set; spaces are dropped, as
// carriers do), else "".
func (s Shipping) shipToPostal() string {
	p := strings.ReplaceAll(s.To.PostalCode, " ", "")
	if p == "" || len(p) > 20 || !allIn(p, isGS1Byte) {
		return ""
	}
	return p
}

// gs1Data is the SSCC element string in the form of ZPL's Code 128 mode D:
// AIs in parentheses, ">8" (FNC1) after a variable-length element that is
// followed by another.
func (s Shipping) gs1Data() string {
	d := "(00)" + s.SSCC
	postal := s.shipToPostal()
	if s.Consignment != "" {
		d += "(401)" + s.Consignment
		if postal != "" {
			d += ">8"
		}
	}
	if postal != "" {
		d += "(420)" + postal
	}
	return d
}

// gs1HRI is the human-readable text of the GS1-128: gs1Data without the
// FNC1 invocations.
func (s Shipping) gs1HRI() string { return strings.ReplaceAll(s.gs1Data(), ">8", "") }

// gs1Raw is the GS1-128 content for the code128 encoder: FNC1 first, each
// AI without parentheses, FNC1 after a variable-length element that is
// followed by another.
func (s Shipping) gs1Raw() string {
	const fnc1 = "\u00f1"
	d := fnc1 + "00" + s.SSCC
	postal := s.shipToPostal()
	if s.Consignment != "" {
		d += "401" + s.Consignment
		if postal != "" {
			d += fnc1
		}
	}
	if postal != "" {
		d += "420" + postal
	}
	return d
}

// weightText prints grams as kilograms with three decimals.
func weightText(g int) string {
	return strconv.Itoa(g/1000) + "." + strconv.Itoa(1000 + g%1000)[1:] + " kg"
}

// addressLines are the printed lines of an address, empty ones left out.
func addressLines(a pickwave.Address) []string {
	lines := []string{a.Address1}
	if a.Address2 != "" {
		lines = append(lines, a.Address2)
	}
	city := a.City
	if a.Region != "" {
		city += ", " + a.Region
	}
	if a.PostalCode != "" {
		city += " " + a.PostalCode
	}
	return append(lines, city, a.Country)
}

// infoLines are the lines under the tracking barcode: package n of m,
// weight, date and the references.
func (s Shipping) infoLines() []string {
	var first []string
	if s.Packages > 0 {
		first = append(first, "Package "+strconv.Itoa(s.Package)+" of "+strconv.Itoa(s.Packages))
	}
	if s.WeightG > 0 {
		first = append(first, weightText(s.WeightG))
	}
	if !s.Date.IsZero() {
		first = append(first, s.Date.Format("2006-01-02"))
	}
	var lines []string
	if len(first) > 0 {
		lines = append(lines, strings.Join(first, "   "))
	}
	for _, r := range s.References {
		if r != "" {
			lines = append(lines, "Ref: "+r)
		}
	}
	return lines
}

// cut returns s cut to at most n characters, ending in "..." when cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for i < len(s) && k < n-3 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		k++
	}
	return s[:i] + "..."
}
