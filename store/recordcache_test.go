package store

import (
	"testing"

	"github.com/pickwave/pickwave"
)

// TestRecordCache_neverStale checks the cache's one promise: a value comes
// out only for the very bytes it was decoded from, and as a copy.
func TestRecordCache_neverStale(t *testing.T) {
	c := newRecordCache()
	cart := &pickwave.Cart{ID: "C1", Totes: []pickwave.CartTote{{Slot: 1}}, Tasks: []string{"T1"}}
	c.store(spaceCarts, []byte("C1"), []byte(`{"id":"C1"}`), true, cart)
	cart.Totes[0].Tote = "changed after storing"

	var got pickwave.Cart
	if c.load(spaceCarts, []byte("C1"), []byte(`{"id":"C1","status":"done"}`), &got) {
		t.Fatal("loaded a value for other bytes")
	}
	if c.load(spaceCarts, []byte("C2"), []byte(`{"id":"C1"}`), &got) {
		t.Fatal("loaded a value for another key")
	}
	if !c.load(spaceCarts, []byte("C1"), []byte(`{"id":"C1"}`), &got) {
		t.Fatal("no value for the bytes stored")
	}
	if got.Totes[0].Tote != "" {
		t.Fatalf("cached value shares the caller's slice: %+v", got.Totes)
	}
	got.Tasks[0] = "changed after loading"
	var again pickwave.Cart
	c.load(spaceCarts, []byte("C1"), []byte(`{"id":"C1"}`), &again)
	if again.Tasks[0] != "T1" {
		t.Fatalf("a loaded copy changed the cache: %+v", again.Tasks)
	}

	// Types it does not know are not cached.
	c.store(spaceOrders, []byte("O1"), []byte(`{}`), true, &pickwave.Order{ID: "O1"})
	if c.load(spaceOrders, []byte("O1"), []byte(`{}`), &pickwave.Order{}) {
		t.Fatal("an order was cached")
	}
}

// TestRecordCache_bounded checks the cache starts over past its bound.
func TestRecordCache_bounded(t *testing.T) {
	c := newRecordCache()
	for i := range recordCacheMax + 10 {
		c.store(spacePickers, []byte{byte(i), byte(i >> 8), byte(i >> 16)}, []byte("{}"), true, &pickerState{})
	}
	if c.n > recordCacheMax {
		t.Fatalf("%d records kept, bound %d", c.n, recordCacheMax)
	}
}

// TestRecordCache_orders checks orders come out as deep copies: lines,
// allocations and the timeline.
func TestRecordCache_orders(t *testing.T) {
	c := newRecordCache()
	o := &pickwave.Order{ID: "O1", Lines: []pickwave.OrderLine{{ID: "O1-1", Allocations: []pickwave.Allocation{{Location: "A", Qty: 2}}}},
		Timeline: []pickwave.StatusChange{{Status: pickwave.OrderAllocated}}}
	c.store(spaceOrders, []byte("O1"), []byte("v1"), true, storedOrder{Order: o, InputHash: "h"})
	var got storedOrder
	if !c.load(spaceOrders, []byte("O1"), []byte("v1"), &got) || got.ID != "O1" || got.InputHash != "h" {
		t.Fatalf("loaded %+v", got)
	}
	got.Lines[0].Allocations[0].Qty = 0
	got.Timeline[0].Note = "changed"
	var again storedOrder
	c.load(spaceOrders, []byte("O1"), []byte("v1"), &again)
	if again.Lines[0].Allocations[0].Qty != 2 || again.Timeline[0].Note != "" || o.Lines[0].Allocations[0].Qty != 2 {
		t.Fatalf("a loaded copy changed the cache: %+v", again.Order)
	}
}
