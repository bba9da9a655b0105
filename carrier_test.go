package pickwave_test

import (
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

func TestShipmentRequest_Validate(t *testing.T) {
	good := func() *pickwave.ShipmentRequest {
		return &pickwave.ShipmentRequest{
			ShipFrom:   pickwave.Address{Name: "DC", Address1: "1 Dock Rd", City: "Leeds", PostalCode: "LS1 1AA", Country: "GB"},
			ShipTo:     pickwave.Address{Name: "Ann", Address1: "2 High St", City: "York", PostalCode: "YO1 7HH", Country: "GB"},
			Parcels:    []pickwave.Parcel{{WeightGrams: 1, LengthMM: 1, WidthMM: 1, HeightMM: 1}},
			References: []string{"O-0000000001"},
			ShipDate:   time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC),
		}
	}
	tests := []struct {
		name   string
		change func(r *pickwave.ShipmentRequest)
		fields []string
	}{
		{"valid", func(r *pickwave.ShipmentRequest) {}, nil},
		{"PNG label", func(r *pickwave.ShipmentRequest) { r.LabelFormat = pickwave.LabelPNG }, nil},
		{"no parcels", func(r *pickwave.ShipmentRequest) { r.Parcels = nil }, []string{"parcels"}},
		{"weightless, flat parcel", func(r *pickwave.ShipmentRequest) { r.Parcels[0].WeightGrams, r.Parcels[0].HeightMM = 0, 0 },
			[]string{"parcels[0].weight_g", "parcels[0].height_mm"}},
		{"bad ship-from country", func(r *pickwave.ShipmentRequest) { r.ShipFrom.Country = "GBR" }, []string{"ship_from.country"}},
		{"ship-to without city", func(r *pickwave.ShipmentRequest) { r.ShipTo.City = "" }, []string{"ship_to.city"}},
		{"reference with a newline", func(r *pickwave.ShipmentRequest) { r.References = []string{"a\nb"} }, []string{"references[0]"}},
		{"unknown label format", func(r *pickwave.ShipmentRequest) { r.LabelFormat = "pdf" }, []string{"label_format"}},
		{"no ship date", func(r *pickwave.ShipmentRequest) { r.ShipDate = time.Time{} }, []string{"ship_date"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good()
			tt.change(r)
			err := r.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if pickwave.ErrorCode(err) != pickwave.EINVALID {
				t.Fatalf("Validate = %v, want invalid", err)
			}
			details, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError)
			if len(details) != len(tt.fields) {
				t.Fatalf("fields %+v, want %v", details, tt.fields)
			}
			for i, f := range tt.fields {
				if details[i].Field != f {
					t.Fatalf("field %d is %s, want %s", i, details[i].Field, f)
				}
			}
		})
	}
}
