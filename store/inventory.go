package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
)

// isDigits reports whether s is a non-empty string of ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// CreateSKU adds a SKU and indexes its barcodes.
func (db *DB) CreateSKU(ctx context.Context, sku *pickwave.SKU) error {
	if err := sku.Validate(); err != nil {
		return err
	}
	var fe pickwave.FieldErrors
	keys := make([]string, len(sku.Barcodes))
	for i, b := range sku.Barcodes {
		key, err := gs1.NormalizeBarcode(b.Code)
		if err != nil {
			fe.Add(fmt.Sprintf("barcodes[%d].code", i), "%v", err)
			continue
		}
		if j := slices.Index(keys[:i], key); j >= 0 {
			fe.Add(fmt.Sprintf("barcodes[%d].code", i), "is the same barcode as barcodes[%d]", j)
		}
		keys[i] = key
		sku.Barcodes[i].Code = key
	}
	if err := fe.Err("The SKU is not valid."); err != nil {
		return err
	}
	return db.update(ctx, func(t *txn) error {
		if t.Get(spaceSKUs, []byte(sku.Code)) != nil {
			return pickwave.Errorf(pickwave.ECONFLICT, "SKU %s already exists.", sku.Code)
		}
		for _, key := range keys {
			if owner := t.Get(spaceBarcodes, []byte(key)); owner != nil {
				return &pickwave.Error{Code: pickwave.ECONFLICT,
					Message: fmt.Sprintf("Barcode %s already belongs to SKU %s.", key, owner),
					Details: map[string]string{"barcode": key, "sku": string(owner)}}
			}
			if err := t.Put(spaceBarcodes, []byte(key), []byte(sku.Code)); err != nil {
				return err
			}
		}
		sku.CreatedAt, sku.UpdatedAt = t.now, t.now
		if err := t.putJSON(spaceSKUs, []byte(sku.Code), sku); err != nil {
			return err
		}
		_, err := t.appendEvent(pickwave.EventSKUCreated, "sku/"+sku.Code, sku)
		return err
	})
}

// SKU returns one SKU by code.
func (db *DB) SKU(ctx context.Context, code string) (*pickwave.SKU, error) {
	var sku *pickwave.SKU
	err := db.view(ctx, func(t *txn) (err error) {
		sku, err = t.sku(code)
		return err
	})
	return sku, err
}

func (t *txn) sku(code string) (*pickwave.SKU, error) {
	if s, ok := t.skus[code]; ok {
		return s, nil
	}
	s, err := getEntity[pickwave.SKU](t, spaceSKUs, code, "SKU")
	if err != nil {
		return nil, err
	}
	if t.skus == nil {
		t.skus = map[string]*pickwave.SKU{}
	}
	t.skus[code] = s
	return s, nil
}

// SKUByBarcode finds the SKU a scanned barcode belongs to, and the barcode
// entry with its pack quantity.
func (db *DB) SKUByBarcode(ctx context.Context, code string) (*pickwave.SKU, pickwave.Barcode, error) {
	key, err := gs1.NormalizeBarcode(code)
	if err != nil {
		return nil, pickwave.Barcode{}, pickwave.Errorf(pickwave.EINVALID, "Barcode %q is not valid: %v.", code, err)
	}
	var sku *pickwave.SKU
	err = db.view(ctx, func(t *txn) error {
		owner := t.Get(spaceBarcodes, []byte(key))
		if owner == nil {
			return notFound("No SKU has barcode %s.", code)
		}
		sku, err = t.sku(string(owner))
		return err
	})
	if err != nil {
		return nil, pickwave.Barcode{}, err
	}
	for _, b := range sku.Barcodes {
		if b.Code == key {
			return sku, b, nil
		}
	}
	return nil, pickwave.Barcode{}, fmt.Errorf("barcode index for %s points to SKU %s, which lacks it", key, sku.Code)
}

// SKUs lists SKUs in code order after the given code.
func (db *DB) SKUs(ctx context.Context, after string, limit int) ([]*pickwave.SKU, error) {
	return list[pickwave.SKU](ctx, db, spaceSKUs, after, limit)
}

// CreateLocation adds a location.
func (db *DB) CreateLocation(ctx context.Context, loc *pickwave.Location) error {
	if err := loc.Validate(); err != nil {
		return err
	}
	return db.update(ctx, func(t *txn) error {
		if t.Get(spaceLocations, []byte(loc.Code)) != nil {
			return pickwave.Errorf(pickwave.ECONFLICT, "Location %s already exists.", loc.Code)
		}
		loc.CreatedAt = t.now
		if err := t.putJSON(spaceLocations, []byte(loc.Code), loc); err != nil {
			return err
		}
		_, err := t.appendEvent(pickwave.EventLocationCreated, "location/"+loc.Code, loc)
		return err
	})
}

// Location returns one location by code.
func (db *DB) Location(ctx context.Context, code string) (*pickwave.Location, error) {
	var loc *pickwave.Location
	err := db.view(ctx, func(t *txn) (err error) {
		loc, err = t.location(code)
		return err
	})
	return loc, err
}

func (t *txn) location(code string) (*pickwave.Location, error) {
	return getEntity[pickwave.Location](t, spaceLocations, code, "Location")
}

// Locations lists locations in code order after the given code.
func (db *DB) Locations(ctx context.Context, after string, limit int) ([]*pickwave.Location, error) {
	return list[pickwave.Location](ctx, db, spaceLocations, after, limit)
}

// list pages through a space keyed by code.
func list[T any](ctx context.Context, db *DB, space, after string, limit int) ([]*T, error) {
	limit = pageSize(limit)
	var out []*T
	var from []byte
	if after != "" {
		from = []byte(after)
	}
	err := db.view(ctx, func(t *txn) error {
		return t.Scan(space, nil, from, func(k, v []byte) error {
			item := new(T)
			if err := decode(space, k, v, item); err != nil {
				return err
			}
			out = append(out, item)
			if len(out) == limit {
				return errStop
			}
			return nil
		})
	})
	return out, err
}

func stockKey(sku, location, lot string) []byte { return joinKey(sku, location, lot) }

// putStock stores a stock row, or drops it once nothing is on hand or
// reserved, so empty bins leave no rows behind.
func (t *txn) putStock(st *pickwave.Stock) error {
	key := stockKey(st.SKU, st.Location, st.Lot)
	if st.CountID != "" && st.Reserved <= st.OnHand {
		// The hold of a confirmed count lasts until the reservations fit.
		cc, err := t.count(st.CountID)
		if err != nil {
			return fmt.Errorf("stock %s/%s/%s held for %s: %w", st.SKU, st.Location, st.Lot, st.CountID, err)
		}
		if cc.Status == pickwave.CountConfirmed {
			st.CountID = ""
		}
	}
	if st.OnHand == 0 && st.Reserved == 0 && st.CountID == "" {
		return t.Delete(spaceStock, key)
	}
	return t.putJSON(spaceStock, key, st)
}

// AdjustStock applies a signed change to a SKU lot at a location. Stock
// may not go below zero or below what is reserved. A receipt into a pick
// location retries the allocation of backordered orders for the SKU.
func (db *DB) AdjustStock(ctx context.Context, adj *pickwave.Adjustment) (*pickwave.Stock, error) {
	if err := adj.Validate(); err != nil {
		return nil, err
	}
	var out *pickwave.Stock
	err := db.update(ctx, func(t *txn) (err error) {
		out, err = t.adjust(adj)
		return err
	})
	return out, err
}

// adjust applies a validated adjustment in t: see AdjustStock.
func (t *txn) adjust(adj *pickwave.Adjustment) (*pickwave.Stock, error) {
	sku, err := t.sku(adj.SKU)
	if err != nil {
		return nil, err
	}
	loc, err := t.location(adj.Location)
	if err != nil {
		return nil, err
	}
	if err := lotFits(sku, adj.Lot, adj.Expiry, adj.Delta > 0); err != nil {
		return nil, err
	}
	key := stockKey(adj.SKU, adj.Location, adj.Lot)
	st := new(pickwave.Stock)
	found, err := t.getJSON(spaceStock, key, st)
	if err != nil {
		return nil, err
	}
	if !found {
		st = &pickwave.Stock{SKU: adj.SKU, Location: adj.Location, Lot: adj.Lot, Expiry: adj.Expiry}
	}
	if err := expiryFits(st, found, adj.Expiry); err != nil {
		return nil, err
	}
	next := st.OnHand + adj.Delta
	if next < 0 {
		return nil, &pickwave.Error{Code: pickwave.EINVALID, Message: fmt.Sprintf(
			"Only %d of %s on hand at %s; cannot remove %d.", st.OnHand, adj.SKU, adj.Location, -adj.Delta),
			Details: []pickwave.FieldError{{Field: "delta", Reason: "would take stock below zero"}}}
	}
	if next > pickwave.MaxStock {
		return nil, &pickwave.Error{Code: pickwave.EINVALID, Message: fmt.Sprintf(
			"%d of %s at %s would be more than %d, the most a location holds.", next, adj.SKU, adj.Location, pickwave.MaxStock),
			Details: []pickwave.FieldError{{Field: "delta", Reason: "would take stock above the most a location holds"}}}
	}
	if next < st.Reserved {
		return nil, &pickwave.Error{Code: pickwave.ECONFLICT, Message: fmt.Sprintf(
			"%d of %s at %s are reserved for orders; on hand cannot go below that.", st.Reserved, adj.SKU, adj.Location),
			Details: []pickwave.FieldError{{Field: "delta", Reason: "would take stock below what is reserved"}}}
	}
	st.OnHand = next
	seq, err := t.appendEvent(pickwave.EventStockAdjusted, "sku/"+adj.SKU, adj)
	if err != nil {
		return nil, err
	}
	if !found {
		st.ReceivedSeq = seq
	}
	if err := t.putStock(st); err != nil {
		return nil, err
	}
	if adj.Delta > 0 && loc.Kind == pickwave.LocationPick {
		if err := t.retryBackorders(adj.SKU); err != nil {
			return nil, err
		}
	}
	if adj.Delta < 0 {
		if err := t.stockDropped(adj.SKU, adj.Location); err != nil {
			return nil, err
		}
	} else if err := t.checkReorder(adj.SKU); err != nil {
		return nil, err
	}
	return st, nil
}

// lotFits checks a lot and expiry against what the SKU tracks; adding
// says units come in, which need their expiry.
func lotFits(sku *pickwave.SKU, lot string, expiry *time.Time, adding bool) error {
	var fe pickwave.FieldErrors
	switch {
	case sku.LotTracked && lot == "":
		fe.Add("lot", "is required: SKU %s is lot-tracked", sku.Code)
	case !sku.LotTracked && lot != "":
		fe.Add("lot", "must be empty: SKU %s is not lot-tracked", sku.Code)
	}
	if sku.ExpiryTracked && expiry == nil && adding {
		fe.Add("expiry", "is required: SKU %s is expiry-tracked", sku.Code)
	}
	if !sku.ExpiryTracked && expiry != nil {
		fe.Add("expiry", "must be empty: SKU %s is not expiry-tracked", sku.Code)
	}
	return fe.Err("The adjustment is not valid.")
}

// expiryFits refuses a second expiry date for a lot at a location.
func expiryFits(st *pickwave.Stock, found bool, expiry *time.Time) error {
	if found && expiry != nil && st.Expiry != nil && !expiry.Equal(*st.Expiry) {
		return &pickwave.Error{Code: pickwave.EINVALID, Message: "The adjustment is not valid.",
			Details: []pickwave.FieldError{{Field: "expiry", Reason: fmt.Sprintf(
				"lot %s at %s already expires on %s", st.Lot, st.Location, st.Expiry.Format("2006-01-02"))}}}
	}
	return nil
}

// StockOf lists a SKU's stock rows by location and lot.
func (db *DB) StockOf(ctx context.Context, sku string) ([]*pickwave.Stock, error) {
	var out []*pickwave.Stock
	err := db.view(ctx, func(t *txn) error {
		if _, err := t.sku(sku); err != nil {
			return err
		}
		rows, err := t.stockOf(sku)
		out = rows
		return err
	})
	return out, err
}

func (t *txn) stockOf(sku string) ([]*pickwave.Stock, error) {
	var out []*pickwave.Stock
	err := t.Scan(spaceStock, append([]byte(sku), 0), nil, func(k, v []byte) error {
		st := new(pickwave.Stock)
		if err := decode(spaceStock, k, v, st); err != nil {
			return err
		}
		out = append(out, st)
		return nil
	})
	return out, err
}

// allocationOrder sorts stock rows in the order allocation takes them:
// earliest expiry first for expiry-tracked SKUs (FEFO), then first received
// (FIFO).
func allocationOrder(rows []*pickwave.Stock, fefo bool) {
	slices.SortStableFunc(rows, func(a, b *pickwave.Stock) int {
		if fefo && a.Expiry != nil && b.Expiry != nil {
			if c := a.Expiry.Compare(*b.Expiry); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ReceivedSeq, b.ReceivedSeq)
	})
}
