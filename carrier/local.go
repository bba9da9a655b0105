package carrier

import (
	"context"
	"fmt"
	"strings"

	"github.com/pickwave/pickwave"
)

// Serials hands out serial numbers that are never handed out again.
type Serials interface {
	Next(ctx context.Context) (uint64, error)
}

// SerialsFunc adapts a function to Serials, for example
//
//	carrier.SerialsFunc(func(ctx context.Context) (uint64, error) {
//		return db.NextTrackingSerial(ctx, "local")
//	})
type SerialsFunc func(ctx context.Context) (uint64, error)

// Next calls f.
func (f SerialsFunc) Next(ctx context.Context) (uint64, error) { return f(ctx) }

// DefaultTrackingURL is the tracking page template Local uses when none is
// set; {tracking} is replaced by the tracking number.
const DefaultTrackingURL = "https://track.example/{tracking}"

// Local is the own fleet or a collection service: nothing to call, so it
// numbers its shipments itself in UPU S10 form from Serials.
//
// Local returns no label: the shipment's label is rendered by package
// labels from the shipment and its tracking number, like every label
// Pickwave draws itself, so there is one template and one escaping path.
// Void and CloseManifest check that the numbers are Local's and keep no
// state: the record of a void or a manifest is the caller's.
type Local struct {
	// Name is the carrier's name in rates and shipments; zero: "local".
	Name string
	// Service is the S10 service indicator, two capital letters (required).
	Service string
	// Country is the issuing country, ISO 3166 alpha-2 (required).
	Country string
	// Serials issues the serials (required); one past S10MaxSerial ends
	// the series with EINVALID.
	Serials Serials
	// TrackingURL is the tracking page template; zero: DefaultTrackingURL.
	TrackingURL string
	// Amount and Currency are the flat price Rate quotes; zero: free.
	Amount   int64
	Currency string
	// TransitDays is what Rate quotes for delivery time.
	TransitDays int
}

var _ pickwave.Carrier = (*Local)(nil)

func (l *Local) name() string {
	if l.Name == "" {
		return "local"
	}
	return l.Name
}

// Rate quotes Local's one flat-priced service. It returns EINVALID for
// an invalid request.
func (l *Local) Rate(ctx context.Context, req *pickwave.ShipmentRequest) ([]pickwave.Rate, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return []pickwave.Rate{{
		Carrier: l.name(), Service: l.Service, Amount: l.Amount,
		Currency: l.Currency, TransitDays: l.TransitDays,
	}}, nil
}

// CreateShipment numbers the shipment with the next serial. It returns
// EINVALID for an invalid request, a misconfigured Local or a used-up
// series, and whatever Serials returns (EUNAVAILABLE while the store
// shuts down).
func (l *Local) CreateShipment(ctx context.Context, req *pickwave.ShipmentRequest) (*pickwave.Shipment, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if l.Serials == nil {
		return nil, pickwave.Errorf(pickwave.EINVALID, "Carrier %s has no serial source.", l.name())
	}
	if !twoLetters(l.Service) || !twoLetters(l.Country) {
		// Check before taking a serial, so a misconfiguration burns none.
		_, err := S10(l.Service, 0, l.Country)
		return nil, err
	}
	n, err := l.Serials.Next(ctx)
	if err != nil {
		return nil, fmt.Errorf("carrier %s: next serial: %w", l.name(), err)
	}
	number, err := S10(l.Service, n, l.Country)
	if err != nil {
		return nil, err
	}
	tmpl := l.TrackingURL
	if tmpl == "" {
		tmpl = DefaultTrackingURL
	}
	return &pickwave.Shipment{
		Carrier: l.name(), Service: l.Service, TrackingNumber: number,
		TrackingURL: TrackingURL(tmpl, number),
	}, nil
}

// Void accepts any valid number of Local's series: nothing was bought, so
// nothing is refunded. It returns EINVALID for a number that is not a
// valid S10 number of Local's service and country.
func (l *Local) Void(ctx context.Context, trackingNumber string) error {
	return l.own(trackingNumber)
}

// CloseManifest returns a manifest whose id is the carrier's name and
// the date, and whose document is a plain-text list of the numbers. It
// returns EINVALID for an empty or oversized list or a number not of
// Local's series.
func (l *Local) CloseManifest(ctx context.Context, req *pickwave.ManifestRequest) (*pickwave.Manifest, error) {
	if len(req.TrackingNumbers) == 0 || len(req.TrackingNumbers) > pickwave.MaxManifestItems {
		return nil, pickwave.Errorf(pickwave.EINVALID, "A manifest lists 1 to %d shipments.", pickwave.MaxManifestItems)
	}
	if req.Date.IsZero() {
		return nil, pickwave.Errorf(pickwave.EINVALID, "A manifest needs its date.")
	}
	var doc strings.Builder
	id := l.name() + "-" + req.Date.Format("20060102")
	fmt.Fprintf(&doc, "Manifest %s, %d shipments\n", id, len(req.TrackingNumbers))
	for _, n := range req.TrackingNumbers {
		if err := l.own(n); err != nil {
			return nil, err
		}
		doc.WriteString(n + "\n")
	}
	return &pickwave.Manifest{
		ID: id, TrackingNumbers: append([]string(nil), req.TrackingNumbers...),
		Document: []byte(doc.String()), ContentType: "text/plain; charset=utf-8",
	}, nil
}

// own checks that s is a valid number of Local's service and country.
func (l *Local) own(s string) error {
	if err := ValidS10(s); err != nil {
		return err
	}
	if s[:2] != l.Service || s[11:] != l.Country {
		return pickwave.Errorf(pickwave.EINVALID, "%s is not a %s tracking number.", s, l.name())
	}
	return nil
}
