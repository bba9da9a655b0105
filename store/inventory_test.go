package store_test

import (
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

func TestCreateSKU_validation(t *testing.T) {
	db := mustOpen(t)
	mustSKU(t, db, pickwave.SKU{Code: "TAKEN", Name: "Taken", Barcodes: []pickwave.Barcode{{Code: "036000291452", Qty: 1}}})
	tests := []struct {
		name  string
		sku   pickwave.SKU
		code  string
		field string
	}{
		{"no code", pickwave.SKU{Name: "x"}, pickwave.EINVALID, "code"},
		{"space in code", pickwave.SKU{Code: "A B", Name: "x"}, pickwave.EINVALID, "code"},
		{"no name", pickwave.SKU{Code: "A"}, pickwave.EINVALID, "name"},
		{"negative weight", pickwave.SKU{Code: "A", Name: "x", WeightG: -1}, pickwave.EINVALID, "weight_g"},
		{"negative length", pickwave.SKU{Code: "A", Name: "x", LengthMM: -1}, pickwave.EINVALID, "length_mm"},
		{"expiry without lot", pickwave.SKU{Code: "A", Name: "x", ExpiryTracked: true}, pickwave.EINVALID, "expiry_tracked"},
		{"barcode qty 0", pickwave.SKU{Code: "A", Name: "x", Barcodes: []pickwave.Barcode{{Code: "96385074"}}}, pickwave.EINVALID, "barcodes[0].qty"},
		{"bad check digit", pickwave.SKU{Code: "A", Name: "x", Barcodes: []pickwave.Barcode{{Code: "96385075", Qty: 1}}}, pickwave.EINVALID, "barcodes[0].code"},
		{"same barcode twice", pickwave.SKU{Code: "A", Name: "x", Barcodes: []pickwave.Barcode{{Code: "96385074", Qty: 1}, {Code: "0000096385074", Qty: 2}}}, pickwave.EINVALID, "barcodes[1].code"},
		{"code taken", pickwave.SKU{Code: "TAKEN", Name: "x"}, pickwave.ECONFLICT, ""},
		{"barcode taken in EAN-13 form", pickwave.SKU{Code: "B", Name: "x", Barcodes: []pickwave.Barcode{{Code: "0036000291452", Qty: 1}}}, pickwave.ECONFLICT, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := db.LastSeq(ctxAs("t"))
			err := db.CreateSKU(ctxAs("t"), &tt.sku)
			mustCode(t, err, tt.code)
			if tt.field != "" && !hasField(err, tt.field) {
				t.Fatalf("details %v do not name field %q", pickwave.ErrorDetails(err), tt.field)
			}
			if after, _ := db.LastSeq(ctxAs("t")); after != before {
				t.Fatalf("a refused SKU wrote events %d..%d", before, after)
			}
		})
	}
}

func hasField(err error, field string) bool {
	fields, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError)
	for _, f := range fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func TestSKUByBarcode_everyGTINForm(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	for _, code := range []string{"036000291452", "0036000291452", "00036000291452"} {
		sku, bc, err := db.SKUByBarcode(ctxAs("t"), code)
		if err != nil || sku.Code != "MUG" || bc.Qty != 1 {
			t.Fatalf("SKUByBarcode(%s) = %v, %+v, %v; want MUG × 1", code, sku, bc, err)
		}
	}
	sku, bc, err := db.SKUByBarcode(ctxAs("t"), "10036000291459")
	if err != nil || sku.Code != "MUG" || bc.Qty != 12 {
		t.Fatalf("case barcode = %v, %+v, %v; want MUG × 12", sku, bc, err)
	}
	_, _, err = db.SKUByBarcode(ctxAs("t"), "96385074")
	mustCode(t, err, pickwave.ENOTFOUND)
	_, _, err = db.SKUByBarcode(ctxAs("t"), "036000291453")
	mustCode(t, err, pickwave.EINVALID)
}

func TestCreateLocation_validation(t *testing.T) {
	db := mustOpen(t)
	mustLocation(t, db, "A01-01-1", 1, 1, pickwave.LocationPick)
	tests := []struct {
		name  string
		loc   pickwave.Location
		code  string
		field string
	}{
		{"no code", pickwave.Location{Aisle: 1, Bay: 1, Kind: "pick"}, pickwave.EINVALID, "code"},
		{"slash in code", pickwave.Location{Code: "A/1", Aisle: 1, Bay: 1, Kind: "pick"}, pickwave.EINVALID, "code"},
		{"aisle 0", pickwave.Location{Code: "X", Aisle: 0, Bay: 1, Kind: "pick"}, pickwave.EINVALID, "aisle"},
		{"bay 0", pickwave.Location{Code: "X", Aisle: 1, Bay: 0, Kind: "pick"}, pickwave.EINVALID, "bay"},
		{"negative level", pickwave.Location{Code: "X", Aisle: 1, Bay: 1, Level: -1, Kind: "pick"}, pickwave.EINVALID, "level"},
		{"bad kind", pickwave.Location{Code: "X", Aisle: 1, Bay: 1, Kind: "floor"}, pickwave.EINVALID, "kind"},
		{"taken", pickwave.Location{Code: "A01-01-1", Aisle: 1, Bay: 1, Kind: "pick"}, pickwave.ECONFLICT, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.CreateLocation(ctxAs("t"), &tt.loc)
			mustCode(t, err, tt.code)
			if tt.field != "" && !hasField(err, tt.field) {
				t.Fatalf("details %v do not name field %q", pickwave.ErrorDetails(err), tt.field)
			}
		})
	}
}

func TestAdjustStock(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	exp := t0.AddDate(0, 3, 0)
	st := mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 10})
	if st.OnHand != 10 || st.Reserved != 0 {
		t.Fatalf("after receipt: %+v", st)
	}
	st = mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: -3, Reason: "damage"})
	if st.OnHand != 7 {
		t.Fatalf("after damage: %+v", st)
	}
	mustAdjust(t, db, pickwave.Adjustment{SKU: "TEA", Location: "A01-01-1", Lot: "L1", Expiry: &exp, Delta: 5})

	other := exp.AddDate(0, 1, 0)
	tests := []struct {
		name  string
		adj   pickwave.Adjustment
		code  string
		field string
	}{
		{"zero delta", pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Reason: "count"}, pickwave.EINVALID, "delta"},
		{"bad reason", pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 1, Reason: "because"}, pickwave.EINVALID, "reason"},
		{"below zero", pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: -8, Reason: "count"}, pickwave.EINVALID, "delta"},
		{"unknown SKU", pickwave.Adjustment{SKU: "NOPE", Location: "A01-01-1", Delta: 1, Reason: "receipt"}, pickwave.ENOTFOUND, ""},
		{"unknown location", pickwave.Adjustment{SKU: "MUG", Location: "Z99", Delta: 1, Reason: "receipt"}, pickwave.ENOTFOUND, ""},
		{"lot on untracked SKU", pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Lot: "L1", Delta: 1, Reason: "receipt"}, pickwave.EINVALID, "lot"},
		{"no lot on tracked SKU", pickwave.Adjustment{SKU: "TEA", Location: "A01-01-1", Expiry: &exp, Delta: 1, Reason: "receipt"}, pickwave.EINVALID, "lot"},
		{"no expiry on receipt", pickwave.Adjustment{SKU: "TEA", Location: "A01-01-1", Lot: "L2", Delta: 1, Reason: "receipt"}, pickwave.EINVALID, "expiry"},
		{"expiry on untracked SKU", pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Expiry: &exp, Delta: 1, Reason: "receipt"}, pickwave.EINVALID, "expiry"},
		{"lot changes expiry", pickwave.Adjustment{SKU: "TEA", Location: "A01-01-1", Lot: "L1", Expiry: &other, Delta: 1, Reason: "receipt"}, pickwave.EINVALID, "expiry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.AdjustStock(ctxAs("t"), &tt.adj)
			mustCode(t, err, tt.code)
			if tt.field != "" && !hasField(err, tt.field) {
				t.Fatalf("details %v do not name field %q", pickwave.ErrorDetails(err), tt.field)
			}
		})
	}
	rows, err := db.StockOf(ctxAs("t"), "MUG")
	if err != nil || len(rows) != 1 || rows[0].OnHand != 7 {
		t.Fatalf("StockOf(MUG) = %v, %v; want one row with 7 on hand", rows, err)
	}
}

func TestAdjustStock_cannotTakeReservedStock(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 5})
	if _, _, err := db.CreateOrder(ctxAs("t"), orderInput("E1", line("MUG", 4))); err != nil {
		t.Fatal(err)
	}
	_, err := db.AdjustStock(ctxAs("t"), &pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: -2, Reason: "damage"})
	mustCode(t, err, pickwave.ECONFLICT)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: -1, Reason: "damage"})
}

func TestEvents_everyWriteAppendsOne(t *testing.T) {
	db := mustOpen(t)
	site(t, db) // 3 locations + 2 SKUs
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 5})
	events, err := db.Events(ctxAs("t"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := []string{"location.created", "location.created", "location.created", "sku.created", "sku.created", "stock.adjusted"}
	if len(events) != len(wantTypes) {
		t.Fatalf("got %d events, want %d", len(events), len(wantTypes))
	}
	for i, ev := range events {
		if ev.Seq != uint64(i+1) || ev.Type != wantTypes[i] || ev.Actor != "test" || !ev.Time.Equal(t0) {
			t.Errorf("event %d = seq %d type %s actor %s time %v", i, ev.Seq, ev.Type, ev.Actor, ev.Time)
		}
	}
	page, err := db.Events(ctxAs("t"), 4, 1)
	if err != nil || len(page) != 1 || page[0].Seq != 5 {
		t.Fatalf("Events(after 4, limit 1) = %v, %v", page, err)
	}
	if last, _ := db.LastSeq(ctxAs("t")); last != 6 {
		t.Fatalf("LastSeq = %d, want 6", last)
	}
	if tail, _ := db.Events(ctxAs("t"), 6, 10); len(tail) != 0 {
		t.Fatalf("events after the last: %v", tail)
	}
}

func TestChanged_signalsAfterCommit(t *testing.T) {
	db := mustOpen(t)
	ch := db.Changed()
	select {
	case <-ch:
		t.Fatal("signalled before any write")
	default:
	}
	mustLocation(t, db, "A01-01-1", 1, 1, pickwave.LocationPick)
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no signal after a write")
	}
}

// TestBounds_quantitiesAndTokens refuses what issue 13 found accepted: a
// delta that sets on-hand near 2^63, and a token that expired before it
// was made.
func TestBounds_quantitiesAndTokens(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	_, err := db.AdjustStock(ctxAs("t"), &pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 1<<63 - 1, Reason: "receipt"})
	mustCode(t, err, pickwave.EINVALID)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: pickwave.MaxStock})
	_, err = db.AdjustStock(ctxAs("t"), &pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 1, Reason: "receipt"})
	mustCode(t, err, pickwave.EINVALID)
	_, err = db.MintToken(ctxAs("t"), "x", pickwave.RoleAdmin, -time.Hour)
	mustCode(t, err, pickwave.EINVALID)
	err = db.CreateLocation(ctxAs("t"), &pickwave.Location{Code: "FAR", Aisle: 1 << 31, Bay: 1, Kind: pickwave.LocationPick})
	mustCode(t, err, pickwave.EINVALID)
	in := orderInput("Y0", line("MUG", 1))
	in.ShipBy = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	_, _, err = db.CreateOrder(ctxAs("t"), in)
	mustCode(t, err, pickwave.EINVALID)
}
