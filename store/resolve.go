package store

import (
	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
	"github.com/pickwave/pickwave/wave"
)

// resolveScan finds what a scan names: a location label, a product by any
// of its barcodes (with GS1 data parsed), and lot and serial facts
// relative to the task (nil when the picker is binding totes).
//
// raw comes trimmed of a scanner's whitespace (scan does it once, for
// every step). A location label wins. Otherwise every valid reading
// of the scan (gs1.Parser.Readings: a GTIN, a UPC-E, an SSCC, an element
// string...) is a candidate, and so is the scan as an internal barcode;
// the one that counts is the first whose barcode belongs to the task's
// SKU, else the first whose barcode belongs to any SKU. When none is
// known, f.Data is the most likely reading that is not a guess (a number
// of six or seven digits is not taken for a UPC-E unless some product has
// it, so it stays a good tote label), and f.ParseErr says why the scan's
// most likely reading was refused when it was meant as GS1 data.
func (t *txn) resolveScan(raw string, task *pickwave.Task) (wave.ScanFacts, error) {
	f := wave.ScanFacts{Raw: raw}
	scan := raw
	if scan == "" {
		return f, nil
	}
	if loc := t.Get(spaceLocations, []byte(scan)); loc != nil {
		f.Location = scan
		return f, nil
	}
	readings, rerr := (gs1.Parser{Now: t.now}).Readings(scan)
	f.Readings = readings

	// The barcodes the scan may be, the most likely first; reading is the
	// index of the reading that gives it, or -1 for the scan as an
	// internal barcode.
	type candidate struct {
		key     string
		reading int
	}
	cands := make([]candidate, 0, len(readings)+1)
	for i, r := range readings {
		if r.Data.GTIN != "" {
			cands = append(cands, candidate{r.Data.GTIN, i})
		}
	}
	if !isDigits(scan) { // digits are GTINs, among the readings when valid
		if key, err := gs1.NormalizeBarcode(scan); err == nil {
			cands = append(cands, candidate{key, -1})
		}
	}
	chosen, owner := -1, ""
	for i, c := range cands {
		o := t.Get(spaceBarcodes, []byte(c.key))
		if o == nil {
			continue
		}
		if task != nil && string(o) == task.SKU {
			chosen, owner = i, string(o)
			break
		}
		if chosen < 0 {
			chosen, owner = i, string(o)
		}
	}
	if chosen < 0 {
		if rerr != nil && (len(readings) > 0 || gs1.LooksGS1(scan)) {
			f.ParseErr = rerr
			return f, nil
		}
		for _, r := range readings {
			if !r.Guess {
				f.Data = r.Data
				break
			}
		}
		return f, nil // a product nobody stocks, or maybe a tote
	}
	barcode := cands[chosen].key
	if i := cands[chosen].reading; i >= 0 {
		f.Data = readings[i].Data
	}
	sku, err := t.sku(owner)
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

// gtinLength says whether n digits could be a GTIN (8, 12, 13 or 14).
func gtinLength(n int) bool { return n == 8 || n == 12 || n == 13 || n == 14 }
