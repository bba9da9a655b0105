package demo_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/ordercsv"
	"github.com/pickwave/pickwave/store"
)

func TestSeed_believableSite(t *testing.T) {
	db := testenv.OpenStore(t, t.TempDir(), store.Options{NoSync: true})
	defer db.Close()
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	site := demo.DefaultSite(now)
	if err := demo.Seed(ctx, db, site); err != nil {
		t.Fatal(err)
	}
	locs, _ := db.Locations(ctx, "", 1000)
	if len(locs) != site.Aisles*site.Bays*site.Levels+1 { // and the dock
		t.Fatalf("%d locations", len(locs))
	}
	// The dock waits for the notice's two pallets, each received by one
	// scan of its label.
	notices, _ := db.Inbounds(ctx, pickwave.InboundFilter{Status: pickwave.InboundOpen})
	pallets, err := demo.Pallets()
	if err != nil || len(notices) != 1 || notices[0].Dock != demo.Dock.Code || len(notices[0].Lines) != len(pallets) || len(pallets) != 2 {
		t.Fatalf("notices %+v, pallets %+v, %v", notices, pallets, err)
	}
	for i, p := range pallets {
		l := notices[0].Lines[i]
		if l.SSCC != p.SSCC || l.SKU != p.SKU || l.Qty != p.Qty {
			t.Fatalf("line %+v, pallet %+v", l, p)
		}
		if sku, bc, err := db.SKUByBarcode(ctx, p.GTIN); err != nil || sku.Code != p.SKU || bc.Qty != 1 {
			t.Fatalf("pallet %s content GTIN %s: %v %+v %v", p.SSCC, p.GTIN, sku, bc, err)
		}
	}
	skus, _ := db.SKUs(ctx, "", 1000)
	if len(skus) != site.SKUs {
		t.Fatalf("%d SKUs", len(skus))
	}
	var lot, expiry, cases int
	for _, s := range skus {
		if s.LotTracked {
			lot++
		}
		if s.ExpiryTracked {
			expiry++
		}
		if len(s.Barcodes) > 1 && s.Barcodes[1].Qty > 1 {
			cases++
		}
		// Every barcode is a valid GTIN that finds its SKU.
		for _, b := range s.Barcodes {
			got, _, err := db.SKUByBarcode(ctx, b.Code)
			if err != nil || got.Code != s.Code {
				t.Fatalf("barcode %s of %s: %v, %v", b.Code, s.Code, got, err)
			}
		}
	}
	if lot == 0 || expiry == 0 || cases == 0 {
		t.Fatalf("lot-tracked %d, expiry-tracked %d, with case barcode %d: want some of each", lot, expiry, cases)
	}
	all, _ := db.Orders(ctx, pickwave.OrderFilter{Limit: 1000})
	allocated, _ := db.Orders(ctx, pickwave.OrderFilter{Status: pickwave.OrderAllocated, Limit: 1000})
	if len(all) != site.Orders || len(allocated) < site.Orders*9/10 {
		t.Fatalf("%d orders, %d allocated", len(all), len(allocated))
	}
	for _, u := range demo.Users {
		if _, _, err := db.Login(ctx, u.Name, demo.Password); err != nil {
			t.Fatalf("demo login %s: %v", u.Name, err)
		}
	}
}

// TestOrdersCSV_importsIntoTheDemo checks the README's sample file,
// demo/orders.csv: it parses, every row is valid against the demo's SKUs,
// and it imports all its orders, allocated; sent again, they are existing.
func TestOrdersCSV_importsIntoTheDemo(t *testing.T) {
	db := testenv.OpenStore(t, t.TempDir(), store.Options{NoSync: true})
	defer db.Close()
	ctx := pickwave.WithActor(context.Background(), "test")
	if err := demo.Seed(ctx, db, demo.DefaultSite(time.Now())); err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 2; round++ {
		f, err := os.Open("orders.csv")
		if err != nil {
			t.Fatal(err)
		}
		orders, err := ordercsv.Parse(f)
		f.Close()
		if err != nil {
			t.Fatalf("orders.csv: %v", err)
		}
		res, err := db.ImportOrders(ctx, orders)
		if err != nil {
			t.Fatalf("round %d: import: %v", round, err)
		}
		if len(orders) != 3 {
			t.Fatalf("orders.csv has %d orders, the README says 3", len(orders))
		}
		got := res.Created
		if round == 2 {
			got = res.Existing
		}
		if len(got) != 3 || len(res.Created)+len(res.Existing) != 3 {
			t.Fatalf("round %d: %d created, %d existing", round, len(res.Created), len(res.Existing))
		}
		for _, o := range got {
			if o.Status != pickwave.OrderAllocated {
				t.Fatalf("round %d: order %s is %s", round, o.ExternalID, o.Status)
			}
		}
	}
}
