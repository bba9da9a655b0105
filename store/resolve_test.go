package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

// scanSite is a site for scans without symbology identifiers: PEG, whose
// GTIN 00065100004327 is printed as the UPC-E 0 654321 7, and TEA, lot-
// and expiry-tracked, with lot L1 good until 2027-11-30. It releases a
// wave of orders (one for pegs and tea, then more for pegs only) and
// gives the picker its cart.
func scanSite(t *testing.T, orders int) (*picker, *pickwave.Prompt) {
	t.Helper()
	db := mustOpen(t)
	if err := db.SetLayout(ctxAs("t"), testLayout); err != nil {
		t.Fatal(err)
	}
	mustLocation(t, db, "A01-01-1", 1, 1, pickwave.LocationPick)
	mustLocation(t, db, "A01-02-1", 1, 2, pickwave.LocationPick)
	mustSKU(t, db, pickwave.SKU{Code: "PEG", Name: "Clothes pegs", Barcodes: []pickwave.Barcode{{Code: "065100004327", Qty: 1}}})
	mustSKU(t, db, pickwave.SKU{Code: "TEA", Name: "Green tea", Barcodes: []pickwave.Barcode{{Code: "09506000134352", Qty: 1}},
		LotTracked: true, ExpiryTracked: true})
	exp := time.Date(2027, 11, 30, 0, 0, 0, 0, time.UTC)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "PEG", Location: "A01-01-1", Delta: 50})
	mustAdjust(t, db, pickwave.Adjustment{SKU: "TEA", Location: "A01-02-1", Lot: "L1", Expiry: &exp, Delta: 50})
	for i := range orders {
		lines := []pickwave.LineInput{line("PEG", 3)}
		if i == 0 {
			lines = append(lines, line("TEA", 3))
		}
		if _, _, err := db.CreateOrder(ctxAs("t"), orderInput(fmt.Sprintf("S%d", i), lines...)); err != nil {
			t.Fatal(err)
		}
	}
	w, err := db.PlanWave(ctxAs("t"), pickwave.WaveTemplate{TotesPerCart: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReleaseWave(ctxAs("t"), w.ID); err != nil {
		t.Fatal(err)
	}
	prompt, err := db.TakeCart(ctxAs("pete"), "pete")
	if err != nil {
		t.Fatal(err)
	}
	return &picker{t: t, db: db, name: "pete"}, prompt
}

// TestPick_scansWithoutSymbologyIdentifier picks by a UPC-E, by GS1
// element strings without AIM identifiers, and by scans with a scanner's
// whitespace around them.
func TestPick_scansWithoutSymbologyIdentifier(t *testing.T) {
	p, prompt := scanSite(t, 1)
	for prompt.Step == pickwave.StepBindTote {
		prompt = &p.mustScan(fmt.Sprintf("TOTE-%d", prompt.Slot), "ok").Prompt
	}
	// Per SKU: the item scans, each with its verdict.
	scans := map[string][][2]string{
		"PEG": {
			{"06543217", "ok"},          // UPC-E: number system, six digits, check digit
			{" 065100004327\r\n", "ok"}, // UPC-A with a space before and CRLF after
			{"\t654321\n", "ok"},        // UPC-E of six digits: a guess, but PEG has it
		},
		"TEA": {
			{"(01)09506000134352(17)271130(10)L9", "lot_not_here"},
			{"01095060001343521727113010L1", "ok"},           // raw, no AIM identifier, no GS needed
			{"(01)09506000134352(17)271130(10)L1\r\n", "ok"}, // bracketed, CRLF suffix
			{" 0109506000134352\x1d10L1\x1d17271130", "ok"},  // raw with GS, a leading space
		},
	}
	done := map[string]bool{}
	for guard := 0; !prompt.Done; guard++ {
		if guard > 50 {
			t.Fatal("cart never finishes")
		}
		switch prompt.Step {
		case pickwave.StepLocation:
			prompt = &p.mustScan(" "+prompt.Task.Location+"\r\n", "ok").Prompt
		case pickwave.StepItem:
			task := prompt.Task
			for _, s := range scans[task.SKU] {
				res := p.mustScan(s[0], s[1])
				prompt = &res.Prompt
			}
			done[task.SKU] = true
			if prompt.Step != pickwave.StepTote {
				t.Fatalf("after the scans of %s: %+v", task.SKU, prompt)
			}
		case pickwave.StepTote:
			prompt = &p.mustScan(fmt.Sprintf("TOTE-%d", prompt.Task.ToteSlot), "ok").Prompt
		default:
			t.Fatalf("prompt %+v", prompt)
		}
	}
	if !done["PEG"] || !done["TEA"] {
		t.Fatalf("picked %v", done)
	}
	rows, _ := p.db.StockOf(ctxAs("t"), "TEA")
	if len(rows) != 1 || rows[0].Lot != "L1" || rows[0].OnHand != 47 {
		t.Fatalf("tea stock after picking %+v", rows)
	}
}

// TestPick_itemScanReadings checks item scans that read several ways: the
// reading that names the task's product counts, and a misread product
// barcode is a bad barcode whatever else its digits spell.
func TestPick_itemScanReadings(t *testing.T) {
	p, prompt := scanSite(t, 2)
	for prompt.Step == pickwave.StepBindTote {
		prompt = &p.mustScan(fmt.Sprintf("TOTE-%d", prompt.Slot), "ok").Prompt
	}
	if prompt.Task.SKU != "PEG" { // the route starts at PEG's bin, next to the depot
		t.Fatalf("first task is %s, want PEG", prompt.Task.SKU)
	}
	p.mustScan(prompt.Task.Location, "ok")
	p.mustScan("06543218", "bad_barcode")               // UPC-E with a bad check digit
	p.mustScan("4006381333932", "bad_barcode")          // EAN-13 misread: not the element string (400)
	p.mustScan("17261130", "bad_barcode")               // a date alone, eight digits failing as a GTIN-8
	p.mustScan("106141411234567897", "unknown_barcode") // an SSCC names no product
	p.mustScan("123456", "unknown_barcode")             // a UPC-E guess nobody stocks
	p.mustScan("1654321", "unknown_barcode")            // both seven-digit UPC-E readings unknown
	res := p.mustScan("01095060001343521727113010L1", "wrong_item")
	if res.Verdict.Expected != "PEG" {
		t.Fatalf("verdict %+v", res.Verdict)
	}
	res = p.mustScan("0654321", "ok") // UPC-E: number system and six digits
	if res.Verdict.Qty != 1 {
		t.Fatalf("verdict %+v", res.Verdict)
	}
}

// TestPick_toteLabelsAmongReadings binds totes by labels that read several
// ways: a number that is only a UPC-E guess, or an SSCC, is a good tote;
// a product's barcode, by any reading, is not.
func TestPick_toteLabelsAmongReadings(t *testing.T) {
	p, prompt := scanSite(t, 4)
	if prompt.Step != pickwave.StepBindTote {
		t.Fatalf("first prompt %+v", prompt)
	}
	p.mustScan("06543217", "wrong_tote")       // PEG's UPC-E
	p.mustScan("654321", "wrong_tote")         // PEG's UPC-E of six digits
	p.mustScan("4006381333932", "bad_barcode") // a misread EAN-13
	p.mustScan("17261130", "bad_barcode")      // eight digits failing as a GTIN-8
	var bound []string
	for _, label := range []string{"123456", "106141411234567897", "TOTE-0001"} {
		res := p.mustScan(label, "ok")
		bound = append(bound, label)
		if res.Prompt.Step != pickwave.StepBindTote {
			break
		}
	}
	if len(bound) < 2 {
		t.Fatalf("bound %q only", bound)
	}
}
