package server_test

import (
	"fmt"
	"strings"
	"testing"
)

// csvHeader and csvRow build imports; ordercsv tests the format itself.
const csvHeader = "external_id,customer_name,customer_email,customer_phone,ship_name,ship_address1,ship_address2,ship_city,ship_region,ship_postal_code,ship_country,carrier,service,ship_by,priority,sku,qty\n"

func csvRow(ext, sku, qty string) string {
	return ext + ",Ada Lovelace,ada@example.com,,Ada Lovelace,12 St James's Square,,London,,SW1Y 4JH,GB,UPS,Ground,2026-11-26T17:00:00Z,1," + sku + "," + qty + "\n"
}

func TestImportOrders_overHTTP(t *testing.T) {
	e := newEnv(t)
	e.seed()
	bad := csvHeader + csvRow("A", "MUG", "1") + csvRow("B", "NOPE", "1")
	r := e.do("POST", "/api/v1/orders/import", e.super, "text/csv", strings.NewReader(bad))
	mustStatus(t, r, 400)
	if !strings.Contains(string(r.body), `"line":3`) || !strings.Contains(string(r.body), "lines[0].sku") {
		t.Fatalf("import errors %s do not name line 3's sku", r.body)
	}
	r = e.json("GET", "/api/v1/orders", e.super, nil)
	if strings.Contains(string(r.body), `"external_id":"A"`) {
		t.Fatalf("a failed import kept order A: %s", r.body)
	}
	good := csvHeader + csvRow("A", "MUG", "1") + csvRow("B", "MUG", "2")
	r = e.do("POST", "/api/v1/orders/import", e.super, "text/csv", strings.NewReader(good))
	mustStatus(t, r, 200)
	if !strings.Contains(string(r.body), `"created":2`) {
		t.Fatalf("import %s", r.body)
	}
	r = e.do("POST", "/api/v1/orders/import", e.super, "text/csv", strings.NewReader(good))
	if !strings.Contains(string(r.body), `"created":0,"existing":2`) {
		t.Fatalf("re-import %s", r.body)
	}
	mustStatus(t, e.do("POST", "/api/v1/orders/import", e.pick, "text/csv", strings.NewReader(good)), 403)
}

// TestImport_hostileFileGetsABoundedAnswer sends issue 13's import: one
// order whose first row carries a 1 MB name and 5,000 rows that differ
// from it. The answer is a 400 of bounded size, and the server lives on.
func TestImport_hostileFileGetsABoundedAnswer(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("external_id,customer_name,ship_name,ship_address1,ship_city,ship_postal_code,ship_country,carrier,ship_by,sku,qty\n")
	b.WriteString("E1," + strings.Repeat("x", 1<<20) + ",Ada,1 Road,Town,123,US,UPS,2026-11-26T17:00:00Z,MUG,1\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "E1,Other %d,Ada,1 Road,Town,123,US,UPS,2026-11-26T17:00:00Z,MUG,1\n", i)
	}
	r := e.do("POST", "/api/v1/orders/import", e.super, "text/csv", strings.NewReader(b.String()))
	if r.status != 400 && r.status != 413 {
		t.Fatalf("status %d", r.status)
	}
	if len(r.body) > 64<<10 {
		t.Fatalf("the answer is %d bytes", len(r.body))
	}
	mustStatus(t, e.json("GET", "/api/v1/me", e.super, nil), 200)
}
