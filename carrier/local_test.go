package carrier

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

// counter is a Serials that counts up from one, as the store's does.
type counter struct {
	mu sync.Mutex
	n  uint64
}

func (c *counter) Next(context.Context) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n, nil
}

func shipmentRequest() *pickwave.ShipmentRequest {
	return &pickwave.ShipmentRequest{
		ShipFrom:   pickwave.Address{Name: "Pickwave DC", Address1: "1 Dock Rd", City: "Leeds", PostalCode: "LS1 1AA", Country: "GB"},
		ShipTo:     pickwave.Address{Name: "Ann Smith", Address1: "2 High St", City: "York", PostalCode: "YO1 7HH", Country: "GB"},
		Parcels:    []pickwave.Parcel{{WeightGrams: 1250, LengthMM: 300, WidthMM: 200, HeightMM: 150}},
		References: []string{"O-0000000001"},
		ShipDate:   time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC),
	}
}

func TestLocal_CreateShipment(t *testing.T) {
	l := &Local{Service: "LA", Country: "GB", Serials: &counter{}}
	seen := map[string]bool{}
	for i := range 3 {
		s, err := l.CreateShipment(context.Background(), shipmentRequest())
		if err != nil {
			t.Fatal(err)
		}
		if err := ValidS10(s.TrackingNumber); err != nil {
			t.Fatal(err)
		}
		if n, _ := S10Serial(s.TrackingNumber); n != uint64(i+1) {
			t.Fatalf("shipment %d has serial %d", i, n)
		}
		if seen[s.TrackingNumber] {
			t.Fatalf("number %s issued twice", s.TrackingNumber)
		}
		seen[s.TrackingNumber] = true
		if s.Carrier != "local" || s.Label != nil || s.TrackingURL != "https://track.example/"+s.TrackingNumber {
			t.Fatalf("shipment %+v", s)
		}
	}
}

func TestLocal_Errors(t *testing.T) {
	ctx := context.Background()
	serials := &counter{}
	bad := shipmentRequest()
	bad.Parcels[0].WeightGrams = 0
	bad.ShipTo.Country = "gb"
	l := &Local{Service: "LA", Country: "GB", Serials: serials}
	if _, err := l.CreateShipment(ctx, bad); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("invalid request: %v", err)
	}
	if details, _ := pickwave.ErrorDetails(mustErr(l.CreateShipment(ctx, bad))).([]pickwave.FieldError); len(details) != 2 {
		t.Fatalf("details %+v, want weight and country", details)
	}
	misconfigured := &Local{Service: "L", Country: "GB", Serials: serials}
	if _, err := misconfigured.CreateShipment(ctx, shipmentRequest()); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("bad service: %v", err)
	}
	if serials.n != 0 {
		t.Fatalf("refused requests took %d serials", serials.n)
	}
	usedUp := &Local{Service: "LA", Country: "GB", Serials: SerialsFunc(func(context.Context) (uint64, error) { return S10MaxSerial + 1, nil })}
	if _, err := usedUp.CreateShipment(ctx, shipmentRequest()); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("used-up series: %v", err)
	}
	down := &Local{Service: "LA", Country: "GB", Serials: SerialsFunc(func(context.Context) (uint64, error) {
		return 0, pickwave.Errorf(pickwave.EUNAVAILABLE, "The store is shutting down.")
	})}
	if _, err := down.CreateShipment(ctx, shipmentRequest()); pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE {
		t.Fatalf("serials down: %v", err)
	}
}

func mustErr(_ *pickwave.Shipment, err error) error { return err }

func TestLocal_VoidAndManifest(t *testing.T) {
	ctx := context.Background()
	l := &Local{Service: "LA", Country: "GB", Serials: &counter{}, Amount: 450, Currency: "GBP", TransitDays: 1}
	rates, err := l.Rate(ctx, shipmentRequest())
	if err != nil || len(rates) != 1 || rates[0].Amount != 450 || rates[0].Carrier != "local" {
		t.Fatalf("rates %+v, %v", rates, err)
	}
	a, _ := l.CreateShipment(ctx, shipmentRequest())
	b, _ := l.CreateShipment(ctx, shipmentRequest())
	if err := l.Void(ctx, a.TrackingNumber); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"RR123456785GB", "LA123456785DE", "LA123456784GB"} {
		if err := l.Void(ctx, n); pickwave.ErrorCode(err) != pickwave.EINVALID {
			t.Fatalf("void %s: %v", n, err)
		}
	}
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	m, err := l.CloseManifest(ctx, &pickwave.ManifestRequest{Date: day, TrackingNumbers: []string{b.TrackingNumber}})
	if err != nil || m.ID != "local-20261202" || len(m.TrackingNumbers) != 1 || len(m.Document) == 0 {
		t.Fatalf("manifest %+v, %v", m, err)
	}
	if _, err := l.CloseManifest(ctx, &pickwave.ManifestRequest{Date: day}); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("empty manifest: %v", err)
	}
	if _, err := l.CloseManifest(ctx, &pickwave.ManifestRequest{Date: day, TrackingNumbers: []string{"RR123456785GB"}}); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("foreign number in manifest: %v", err)
	}
}
