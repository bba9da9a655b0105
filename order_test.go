package pickwave_test

import (
	"testing"

	"github.com/pickwave/pickwave"
)

func TestOrderStatus_transitions(t *testing.T) {
	tests := []struct {
		from, to pickwave.OrderStatus
		ok       bool
	}{
		{pickwave.OrderBackordered, pickwave.OrderAllocated, true},
		{pickwave.OrderAllocated, pickwave.OrderReleased, true},
		{pickwave.OrderReleased, pickwave.OrderAllocated, true}, // wave cancelled
		{pickwave.OrderReleased, pickwave.OrderPicking, true},
		{pickwave.OrderPicking, pickwave.OrderPicked, true},
		{pickwave.OrderPicked, pickwave.OrderPacked, true},
		{pickwave.OrderPacked, pickwave.OrderShipped, true},
		{pickwave.OrderAllocated, pickwave.OrderCancelled, true},
		{pickwave.OrderPicking, pickwave.OrderCancelled, false},
		{pickwave.OrderShipped, pickwave.OrderCancelled, false},
		{pickwave.OrderCancelled, pickwave.OrderAllocated, false},
		{pickwave.OrderAllocated, pickwave.OrderShipped, false},
	}
	for _, tt := range tests {
		if got := tt.from.CanMoveTo(tt.to); got != tt.ok {
			t.Errorf("%s → %s = %v, want %v", tt.from, tt.to, got, tt.ok)
		}
	}
	for _, s := range pickwave.OrderStatuses {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
	}
	if pickwave.OrderStatus("lost").Valid() {
		t.Error("unknown status valid")
	}
}

func TestImportOrder_ValidateNamesRows(t *testing.T) {
	io := pickwave.ImportOrder{
		Input: &pickwave.OrderInput{ExternalID: "E1", Lines: []pickwave.LineInput{{SKU: "A", Qty: 1}, {SKU: "B", Qty: 0}}},
		Rows:  []int{7, 9},
	}
	lines := map[string]int{}
	for _, f := range io.Validate() {
		lines[f.Field] = f.Line
	}
	if lines["lines[1].qty"] != 9 {
		t.Errorf("lines[1].qty on line %d, want 9", lines["lines[1].qty"])
	}
	if lines["customer.name"] != 7 {
		t.Errorf("customer.name on line %d, want the order's first row 7", lines["customer.name"])
	}
}

func TestErrorHelpers(t *testing.T) {
	var fe pickwave.FieldErrors
	if fe.Err("x") != nil {
		t.Fatal("empty field errors is an error")
	}
	fe.Add("qty", "must be %d or more", 1)
	err := fe.Err("Bad.")
	if pickwave.ErrorCode(err) != pickwave.EINVALID || pickwave.ErrorMessage(err) != "Bad." {
		t.Fatalf("%v", err)
	}
	if d := pickwave.ErrorDetails(err).([]pickwave.FieldError); d[0].Reason != "must be 1 or more" {
		t.Fatalf("%+v", d)
	}
	if pickwave.ErrorCode(nil) != "" || pickwave.ErrorCode(errPlain{}) != pickwave.EINTERNAL || pickwave.ErrorMessage(errPlain{}) != "Internal error." {
		t.Fatal("plain errors must be internal and hidden")
	}
}

type errPlain struct{}

func (errPlain) Error() string { return "disk on fire" }
