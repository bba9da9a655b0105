package store

import (
	"strings"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
	"github.com/pickwave/pickwave/wave"
)

// resolveScan finds what a scan names: a location label, a product by any
// of its barcodes (with GS1 data parsed), and lot and serial facts
// relative to the task.
func (t *txn) resolveScan(raw string, task *pickwave.Task) (wave.ScanFacts, error) {
	f := wave.ScanFacts{Raw: raw}
	if raw == "" {
		return f, nil
	}
	if loc := t.Get(spaceLocations, []byte(raw)); loc != nil {
		f.Location = raw
		return f, nil
	}
	data, perr := (gs1.Parser{Now: t.now}).Parse(raw)
	var barcode string
	switch {
	case perr == nil && data.GTIN != "":
		f.Data, barcode = data, data.GTIN
	case perr != nil && looksGS1(raw):
		f.ParseErr = perr
		return f, nil
	default:
		key, err := NormalizeBarcode(raw)
		if err != nil {
			return f, nil // not a barcode of ours: maybe a tote
		}
		barcode = key
	}
	owner := t.Get(spaceBarcodes, []byte(barcode))
	if owner == nil {
		return f, nil
	}
	sku, err := t.sku(string(owner))
	if err != nil {
		return f, err
	}
	f.SKU, f.SKUName, f.PackQty = sku.Code, sku.Name, 1
	for _, b := range sku.Barcodes {
		if b.Code == barcode {
			f.PackQty = b.Qty
		}
	}
	if task != nil {
		if lot := f.Data.Lot(); lot != "" {
			st := new(pickwave.Stock)
			ok, err := t.getJSON(spaceStock, stockKey(sku.Code, task.Location, lot), st)
			if err != nil {
				return f, err
			}
			f.LotHere = ok && st.OnHand > 0
		}
		if serial := f.Data.Serial(); serial != "" {
			f.SerialSeen = t.Get(spaceSerials, joinKey(f.Data.GTIN, serial)) != nil
		}
	}
	return f, nil
}

// looksGS1 says whether a scan that failed to parse was meant as GS1 data
// (all digits, an AIM GS1 identifier, brackets or a Digital Link), so its
// failure is a bad barcode rather than an unknown one.
func looksGS1(raw string) bool {
	if isDigits(raw) {
		return true
	}
	for _, p := range []string{"]C1", "]d2", "]Q3", "]e0", "]E0", "]E4", "(0", "http://", "https://"} {
		if strings.HasPrefix(raw, p) {
			return true
		}
	}
	return strings.ContainsRune(raw, gs1.GS)
}

// gtinLength says whether n digits could be a GTIN (8, 12, 13 or 14).
func gtinLength(n int) bool { return n == 8 || n == 12 || n == 13 || n == 14 }
