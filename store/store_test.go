package store_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/etcdtest"
	"github.com/pickwave/pickwave/store"
	"golang.org/x/crypto/bcrypt"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// mustOpen opens a store in a temp dir; cleanup closes it and checks the
// file's consistency and the store's invariants.
func mustOpen(t testing.TB) *store.DB {
	t.Helper()
	return mustOpenDir(t, t.TempDir())
}

func mustOpenDir(t testing.TB, dir string) *store.DB {
	t.Helper()
	return mustOpenWith(t, dir, store.Options{Now: func() time.Time { return t0 }})
}

// mustOpenWith opens a store in dir with opts (logs discarded); cleanup
// closes it and checks the file. The store's tests open stores only
// through it (internal/testenv enforces that).
func mustOpenWith(t testing.TB, dir string, opts store.Options) *store.DB {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PasswordCost == 0 {
		opts.PasswordCost = bcrypt.MinCost // a default-cost hash takes a second under -race
	}
	db, verify, err := openOnEngine(t, dir, opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		mustCheck(t, dir)
		if err := verify(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// openOnEngine opens the store in dir on the engine the tests run on
// (etcdtest.EngineVar): the file alone, or as the leader of a site on a
// real etcd cluster, where verify replays the site's log and checks it
// equals the closed file.
func openOnEngine(t testing.TB, dir string, opts store.Options) (db *store.DB, verify func() error, err error) {
	if etcdtest.OnEtcd() {
		return etcdtest.OpenLeader(t, dir, opts)
	}
	db, err = store.Open(dir, opts)
	return db, func() error { return nil }, err
}

// mustCheck checks the closed store's file: bbolt's consistency and
// every invariant of store.Check.
func mustCheck(t testing.TB, dir string) {
	t.Helper()
	if err := store.CheckFile(dir); err != nil {
		t.Fatal(err)
	}
}

func ctxAs(actor string) context.Context {
	return pickwave.WithActor(context.Background(), actor)
}

// mustCode fails unless err carries the application code.
func mustCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := pickwave.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func mustSKU(t testing.TB, db *store.DB, sku pickwave.SKU) *pickwave.SKU {
	t.Helper()
	if err := db.CreateSKU(ctxAs("test"), &sku); err != nil {
		t.Fatalf("create SKU %s: %v", sku.Code, err)
	}
	return &sku
}

func mustLocation(t testing.TB, db *store.DB, code string, aisle, bay int, kind pickwave.LocationKind) {
	t.Helper()
	loc := &pickwave.Location{Code: code, Zone: "A", Aisle: aisle, Bay: bay, Level: 1, Kind: kind}
	if err := db.CreateLocation(ctxAs("test"), loc); err != nil {
		t.Fatalf("create location %s: %v", code, err)
	}
}

func mustAdjust(t testing.TB, db *store.DB, adj pickwave.Adjustment) *pickwave.Stock {
	t.Helper()
	if adj.Reason == "" {
		adj.Reason = "receipt"
	}
	st, err := db.AdjustStock(ctxAs("test"), &adj)
	if err != nil {
		t.Fatalf("adjust %+v: %v", adj, err)
	}
	return st
}

func orderInput(ext string, lines ...pickwave.LineInput) *pickwave.OrderInput {
	return &pickwave.OrderInput{
		ExternalID: ext,
		Customer:   pickwave.Customer{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+44 20 7946 0000"},
		ShipTo:     pickwave.Address{Name: "Ada Lovelace", Address1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"},
		Lines:      lines,
		Carrier:    "UPS", Service: "Ground",
		ShipBy:   t0.Add(8 * time.Hour),
		Priority: 1,
	}
}

func line(sku string, qty int) pickwave.LineInput { return pickwave.LineInput{SKU: sku, Qty: qty} }

// site is a small warehouse: two pick bins, one reserve bin, two SKUs.
func site(t testing.TB, db *store.DB) {
	t.Helper()
	mustLocation(t, db, "A01-01-1", 1, 1, pickwave.LocationPick)
	mustLocation(t, db, "A02-05-1", 2, 5, pickwave.LocationPick)
	mustLocation(t, db, "A01-01-4", 1, 1, pickwave.LocationReserve)
	mustSKU(t, db, pickwave.SKU{Code: "MUG", Name: "Mug", Barcodes: []pickwave.Barcode{{Code: "036000291452", Qty: 1}, {Code: "10036000291459", Qty: 12}}, WeightG: 300})
	mustSKU(t, db, pickwave.SKU{Code: "TEA", Name: "Green tea", Barcodes: []pickwave.Barcode{{Code: "4006381333931", Qty: 1}}, LotTracked: true, ExpiryTracked: true})
}
