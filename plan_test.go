package pickwave_test

import (
	"slices"
	"testing"

	"github.com/pickwave/pickwave"
)

func TestWaveTemplate_Validate(t *testing.T) {
	err := pickwave.WaveTemplate{MaxOrders: -1}.Validate()
	if pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("got %v", err)
	}
	var fields []string
	for _, fe := range pickwave.ErrorDetails(err).([]pickwave.FieldError) {
		fields = append(fields, fe.Field)
	}
	if !slices.Equal(fields, []string{"max_orders", "totes_per_cart"}) {
		t.Fatalf("fields %v", fields)
	}
}
