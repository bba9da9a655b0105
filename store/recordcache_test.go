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

	// A value of another type under the same key is a miss, not a panic.
	var st pickerState
	if c.load(spaceCarts, []byte("C1"), []byte(`{"id":"C1"}`), &st) {
		t.Fatal("a cart was loaded into a picker state")
	}

	// Types it does not know are not cached.
	c.store(spaceOrders, []byte("O1"), []byte(`{}`), true, &pickwave.Order{ID: "O1"})
	if c.load(spaceOrders, []byte("O1"), []byte(`{}`), &pickwave.Order{}) {
		t.Fatal("an order was cached")
	}
}

// TestRecordCache_bounded checks the cache keeps at most two generations
// and that a record used again survives a generation change.
func TestRecordCache_bounded(t *testing.T) {
	c := newRecordCache()
	hot := []byte("hot")
	c.store(spacePickers, hot, []byte(`{"cart_id":"C1"}`), true, &pickerState{CartID: "C1"})
	for i := range 3 * recordCacheGen {
		c.store(spacePickers, []byte{byte(i), byte(i >> 8), byte(i >> 16)}, []byte("{}"), true, &pickerState{})
		if i%(recordCacheGen/2) == 0 {
			var st pickerState
			if !c.load(spacePickers, hot, []byte(`{"cart_id":"C1"}`), &st) || st.CartID != "C1" {
				t.Fatalf("hot record lost after %d others", i)
			}
		}
	}
	if n := c.len(); n > 2*recordCacheGen {
		t.Fatalf("%d records kept, bound %d", n, 2*recordCacheGen)
	}
}
