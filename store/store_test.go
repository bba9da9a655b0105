package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
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
	now := t0
	db, err := store.Open(dir, store.Options{Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		mustCheck(t, dir)
	})
	return db
}

// mustCheck reopens the file read-only and checks bbolt's page consistency
// and that every reservation is accounted for by exactly the allocations of
// live orders.
func mustCheck(t testing.TB, dir string) {
	t.Helper()
	b, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("reopen for check: %v", err)
	}
	defer b.Close()
	err = b.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("bbolt check: %w", err)
		}
		reserved := map[string]int{}
		err := tx.Bucket([]byte("stock")).ForEach(func(k, v []byte) error {
			var st pickwave.Stock
			if err := json.Unmarshal(v, &st); err != nil {
				return err
			}
			// Only a row held for a count may hold more reservations
			// than stock: a confirmed count found fewer than the picks on
			// carts hold.
			if st.Reserved < 0 || (st.Reserved > st.OnHand && st.CountID == "") || st.OnHand < 0 {
				return fmt.Errorf("stock %q: on hand %d, reserved %d", k, st.OnHand, st.Reserved)
			}
			reserved[string(k)] = st.Reserved
			return nil
		})
		if err != nil {
			return err
		}
		allocated := map[string]int{}
		statuses := tx.Bucket([]byte("order_status"))
		err = tx.Bucket([]byte("orders")).ForEach(func(k, v []byte) error {
			var o pickwave.Order
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			if statuses.Get(append(append([]byte(o.Status), 0), k...)) == nil {
				return fmt.Errorf("order %s: status %s not indexed", o.ID, o.Status)
			}
			for _, l := range o.Lines {
				sum := 0
				for _, a := range l.Allocations {
					allocated[string(bytes.Join([][]byte{[]byte(l.SKU), []byte(a.Location), []byte(a.Lot)}, []byte{0}))] += a.Qty
					sum += a.Qty
				}
				if sum != l.Allocated || l.Allocated > l.Qty {
					return fmt.Errorf("order %s line %s: allocated %d, allocations sum %d, qty %d", o.ID, l.ID, l.Allocated, sum, l.Qty)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for k, n := range reserved {
			if allocated[k] != n {
				return fmt.Errorf("stock %q: reserved %d but orders allocate %d", k, n, allocated[k])
			}
		}
		for k, n := range allocated {
			if reserved[k] != n {
				return fmt.Errorf("stock %q: orders allocate %d but %d reserved", k, n, reserved[k])
			}
		}
		return nil
	})
	if err != nil {
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
