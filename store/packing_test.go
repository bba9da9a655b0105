package store_test

import (
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

// packedSite is a store with a full cart picked (orders in totes
// TOTE-pete-1…) and station PACK-1 with packer pat signed in.
func packedSite(t *testing.T, db *store.DB) *pickwave.Wave {
	t.Helper()
	w := releasedCart(t, db, 3)
	p := &picker{t: t, db: db, name: "pete"}
	prompt, err := db.TakeCart(ctxAs("pete"), "pete")
	if err != nil {
		t.Fatal(err)
	}
	p.pickAll(prompt)
	mustStation(t, db, station("PACK-1", "", ""))
	if _, err := db.PackSignIn(ctxAs("pat"), "PACK-1", "pat"); err != nil {
		t.Fatal(err)
	}
	return w
}

var rules = pickwave.PackRules{Tolerance: pickwave.DefaultWeightTolerance,
	Cartons: []pickwave.Carton{{Code: "BOX", LengthMM: 400, WidthMM: 300, HeightMM: 300, TareG: 200}}}

func mustPackScan(t *testing.T, db *store.DB, id, data, code string) *pickwave.PackScanResult {
	t.Helper()
	res, err := db.PackScan(ctxAs("pat"), "PACK-1", pickwave.PackScanRequest{ID: id, Data: data}, rules)
	if err != nil || res.Verdict.Code != code {
		t.Fatalf("pack scan %q: %+v %v, want %s", data, res, err, code)
	}
	return res
}

// TestPack_storeFlow packs and ships an order through the store alone:
// tote, items (a wrong and an extra one refused and recorded), the label
// recorded with its print job, the order packed, then shipped by a dock
// scan of its SSCC.
func TestPack_storeFlow(t *testing.T) {
	db := mustOpen(t)
	packedSite(t, db)
	seq, _ := db.LastSeq(ctxAs("t"))
	res := mustPackScan(t, db, "1", "TOTE-pete-1", pickwave.PackOrder)
	o, err := db.Order(ctxAs("t"), res.Session.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	// Retried: answered from record, nothing changes.
	if again := mustPackScan(t, db, "1", "TOTE-pete-1", pickwave.PackOrder); again.Session.UpdatedAt != res.Session.UpdatedAt {
		t.Fatal("a retried scan changed the session")
	}
	if _, err := db.PackScan(ctxAs("pat"), "PACK-1", pickwave.PackScanRequest{ID: "1", Data: "TOTE-pete-2"}, rules); pickwave.ErrorCode(err) != pickwave.ECONFLICT {
		t.Fatalf("scan id reused for another barcode: %v", err)
	}
	mustPackScan(t, db, "2", "TOTE-pete-2", pickwave.PackRefused) // another order while one is on the bench
	other := ""
	for _, sku := range []string{"S0101", "S0102", "S0201", "S0202", "S0301"} {
		in := false
		for _, l := range o.Lines {
			in = in || l.SKU == sku
		}
		if !in {
			other = sku
			break
		}
	}
	mustPackScan(t, db, "3", barcodeOf(other), pickwave.PackWrong)
	n := 10
	var last *pickwave.PackScanResult
	for _, l := range o.Lines {
		for range l.Picked {
			n++
			last, err = db.PackScan(ctxAs("pat"), "PACK-1", pickwave.PackScanRequest{ID: string(rune('a' + n)), Data: barcodeOf(l.SKU)}, rules)
			if err != nil || (last.Verdict.Code != pickwave.PackOK && last.Verdict.Code != pickwave.PackComplete) {
				t.Fatalf("item %s: %+v %v", l.SKU, last, err)
			}
		}
	}
	s := last.Session
	if last.Verdict.Code != pickwave.PackComplete || s.Step != pickwave.PackWeigh || s.Carton == nil || s.Carton.Code != "BOX" {
		t.Fatalf("after the last item: %+v %+v", last.Verdict, s)
	}
	mustPackScan(t, db, "z", barcodeOf(o.Lines[0].SKU), pickwave.PackRefused) // weighing now
	want := 200
	for _, l := range s.Lines {
		want += l.WeightG * l.Qty
	}
	if s.ExpectedG != want || s.MinG >= float64(want) || s.MaxG <= float64(want) {
		t.Fatalf("expected %d g in %.0f–%.0f, want %d", s.ExpectedG, s.MinG, s.MaxG, want)
	}
	if got := eventTypes(t, db, seq); countOf(got, pickwave.EventMispickAtPack) != 1 {
		t.Fatalf("events %v: want one mispick", got)
	}

	// A weight outside, then the label.
	check := rules.Tolerance.Check(s.ExpectedG, float64(s.ExpectedG)*2)
	if _, err := db.PackWeighBlocked(ctxAs("pat"), "PACK-1", check); err != nil {
		t.Fatal(err)
	}
	sscc, _ := db.NextSSCC(ctxAs("pat"), "0614141", 0)
	next, sh, job, err := db.PackLabel(ctxAs("pat"), "PACK-1", pickwave.NewPackage{Package: 1, SSCC: sscc, Carrier: "local",
		Service: "LP", TrackingNumber: "LP000000015US", TrackingURL: "https://t/LP000000015US", WeightG: s.ExpectedG, Weighed: true, ZPL: "^XA^XZ"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if next.Step != pickwave.PackIdle || next.LastShipmentID != sh.ID || sh.Status != pickwave.ShipmentPacked || job.Kind != pickwave.PrintKindShipping || sh.Packages[0].PrintJobID != job.ID {
		t.Fatalf("labelled: %+v %+v %+v", next, sh, job)
	}
	// The same package again is refused: it is labelled.
	if _, _, _, err := db.PackLabel(ctxAs("pat"), "PACK-1", pickwave.NewPackage{Package: 1}, nil); pickwave.ErrorCode(err) != pickwave.ECONFLICT {
		t.Fatalf("second label: %v", err)
	}
	if o, _ = db.Order(ctxAs("t"), o.ID); o.Status != pickwave.OrderPacked {
		t.Fatalf("order %s", o.Status)
	}
	// The tote is forgotten with its order packed.
	mustPackScan(t, db, "again", "TOTE-pete-1", pickwave.PackUnknown)

	// The dock scans the SSCC as GS1-128 data.
	_, pk, err := db.DockScan(ctxAs("dock"), "]C100"+sscc)
	if err != nil || pk.Status != pickwave.PackageShipped {
		t.Fatalf("dock scan: %+v %v", pk, err)
	}
	if o, _ = db.Order(ctxAs("t"), o.ID); o.Status != pickwave.OrderShipped {
		t.Fatalf("order %s", o.Status)
	}
	tr, err := db.Track(ctxAs(""), "LP000000015US")
	if err != nil || tr.Status != pickwave.PackageShipped || len(tr.Events) != 2 || tr.Packages != 1 {
		t.Fatalf("tracking %+v %v", tr, err)
	}
	if _, err := db.VoidPackage(ctxAs("pat"), sh.ID, 1, "late"); pickwave.ErrorCode(err) != pickwave.ECONFLICT {
		t.Fatalf("void after shipping: %v", err)
	}
	list, err := db.Shipments(ctxAs("t"), pickwave.ShipmentFilter{Status: pickwave.ShipmentShipped})
	if err != nil || len(list) != 1 || list[0].ID != sh.ID {
		t.Fatalf("shipped shipments %+v %v", list, err)
	}
}

func countOf(list []string, v string) int {
	n := 0
	for _, x := range list {
		if x == v {
			n++
		}
	}
	return n
}
