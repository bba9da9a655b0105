package demo

import (
	"context"
	"fmt"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
)

// The demo's dock and its inbound notice: a supplier has announced two
// pallets, each with an SSCC label that also says what is on it, so a
// receiver on the handheld page receives a whole pallet with one scan of
// its label (the README lists the labels to type or print).

// Dock is the demo's receiving location, at the front of aisle 1.
var Dock = pickwave.Location{Code: "DOCK-1", Zone: "A", Aisle: 1, Bay: 1, Level: 0, Kind: pickwave.LocationReceiving}

// Pallet is one announced pallet of the demo notice: its SSCC, what it
// carries, and the text of its GS1-128 label, (00) SSCC, (02) content
// GTIN, (37) count, as a scanner sends it.
type Pallet struct {
	SSCC  string
	SKU   string
	GTIN  string
	Qty   int
	Label string
}

// InboundSupplier and InboundReference name the demo's notice.
const (
	InboundSupplier  = "Northwind Supply"
	InboundReference = "ASN-DEMO-1"
)

// supplierPrefix numbers the supplier's pallets (its GS1 company prefix;
// extension digit 3), apart from the SSCCs of the site's own parcels.
const supplierPrefix = "0614141"

// Pallets are the demo notice's two pallets: 48 units of SKU-0001 and
// 60 of SKU-0003, two plain SKUs every demo site has.
func Pallets() ([]Pallet, error) {
	var out []Pallet
	for i, p := range []struct {
		sku int
		qty int
	}{{1, 48}, {3, 60}} {
		sscc, err := gs1.BuildSSCC(3, supplierPrefix, uint64(i+1))
		if err != nil {
			return nil, fmt.Errorf("demo pallet SSCC: %w", err)
		}
		body := fmt.Sprintf("%s%04d", companyPrefix, p.sku)
		cd, err := gs1.CheckDigit(body)
		if err != nil {
			return nil, fmt.Errorf("demo pallet GTIN: %w", err)
		}
		gtin := "00" + body + string(cd)
		out = append(out, Pallet{SSCC: sscc, SKU: fmt.Sprintf("SKU-%04d", p.sku), GTIN: gtin, Qty: p.qty,
			Label: fmt.Sprintf("(00)%s(02)%s(37)%d", sscc, gtin, p.qty)})
	}
	return out, nil
}

// seedInbound makes the dock and announces the pallets.
func seedInbound(ctx context.Context, svc Services, site Site) error {
	if site.SKUs < 3 {
		return nil // the pallets' SKUs are not there
	}
	dock := Dock
	if err := svc.CreateLocation(ctx, &dock); err != nil {
		return fmt.Errorf("seed dock: %w", err)
	}
	pallets, err := Pallets()
	if err != nil {
		return err
	}
	in := &pickwave.InboundInput{Supplier: InboundSupplier, Reference: InboundReference, Dock: dock.Code}
	for _, p := range pallets {
		in.Lines = append(in.Lines, pickwave.InboundLineInput{SKU: p.SKU, Qty: p.Qty, SSCC: p.SSCC})
	}
	if _, _, err := svc.CreateInbound(ctx, in); err != nil {
		return fmt.Errorf("seed inbound notice: %w", err)
	}
	return nil
}
