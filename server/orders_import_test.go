package server_test

import (
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
