package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

func TestCreateOrder_allocatesFIFOAtPickLocations(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-4", Delta: 100}) // reserve: never allocated
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A02-05-1", Delta: 3})   // received first
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 10})

	o, created, err := db.CreateOrder(ctxAs("t"), orderInput("E1", line("MUG", 5)))
	if err != nil || !created {
		t.Fatalf("CreateOrder = %v, %v, %v", o, created, err)
	}
	if o.Status != pickwave.OrderAllocated || o.Lines[0].Allocated != 5 {
		t.Fatalf("order %s status %s allocated %d", o.ID, o.Status, o.Lines[0].Allocated)
	}
	want := []pickwave.Allocation{{Location: "A02-05-1", Qty: 3}, {Location: "A01-01-1", Qty: 2}}
	if got := o.Lines[0].Allocations; len(got) != 2 || got[0].Location != want[0].Location || got[0].Qty != 3 || got[1].Location != want[1].Location || got[1].Qty != 2 {
		t.Fatalf("allocations = %+v, want %+v (FIFO, pick bins only)", got, want)
	}
	if o.Lines[0].ID != o.ID+"-1" || len(o.Timeline) != 1 || o.Timeline[0].Actor != "t" {
		t.Fatalf("line id %s, timeline %+v", o.Lines[0].ID, o.Timeline)
	}
}

func TestCreateOrder_allocatesFEFOAndSkipsExpired(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	late, early, gone := t0.AddDate(0, 6, 0), t0.AddDate(0, 1, 0), t0.AddDate(0, 0, -1)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "TEA", Location: "A01-01-1", Lot: "LATE", Expiry: &late, Delta: 10})
	mustAdjust(t, db, pickwave.Adjustment{SKU: "TEA", Location: "A02-05-1", Lot: "GONE", Expiry: &gone, Delta: 10})
	mustAdjust(t, db, pickwave.Adjustment{SKU: "TEA", Location: "A02-05-1", Lot: "EARLY", Expiry: &early, Delta: 4})

	o, _, err := db.CreateOrder(ctxAs("t"), orderInput("E1", line("TEA", 6)))
	if err != nil {
		t.Fatal(err)
	}
	got := o.Lines[0].Allocations
	if len(got) != 2 || got[0].Lot != "EARLY" || got[0].Qty != 4 || got[1].Lot != "LATE" || got[1].Qty != 2 {
		t.Fatalf("allocations = %+v, want EARLY×4 then LATE×2 (FEFO, expired lot skipped)", got)
	}
	if got[0].Expiry == nil || !got[0].Expiry.Equal(early) {
		t.Fatalf("allocation carries expiry %v, want %v", got[0].Expiry, early)
	}
}

func TestCreateOrder_backorderedThenAllocatedOnReceipt(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 2})
	o, _, err := db.CreateOrder(ctxAs("t"), orderInput("E1", line("MUG", 5)))
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != pickwave.OrderBackordered || o.Lines[0].Allocated != 2 || o.Lines[0].Missing() != 3 {
		t.Fatalf("status %s allocated %d; want backordered with 2 reserved", o.Status, o.Lines[0].Allocated)
	}
	if !strings.Contains(o.Timeline[0].Note, "3 × MUG missing") {
		t.Fatalf("timeline note %q does not say what is missing", o.Timeline[0].Note)
	}
	// A reserve receipt does not allocate; a pick receipt does.
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-4", Delta: 50})
	if o, _ = db.Order(ctxAs("t"), o.ID); o.Status != pickwave.OrderBackordered {
		t.Fatalf("after reserve receipt: %s", o.Status)
	}
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A02-05-1", Delta: 10})
	o, _ = db.Order(ctxAs("t"), o.ID)
	if o.Status != pickwave.OrderAllocated || o.Lines[0].Allocated != 5 || len(o.Timeline) != 2 {
		t.Fatalf("after pick receipt: status %s allocated %d timeline %+v", o.Status, o.Lines[0].Allocated, o.Timeline)
	}
	_, err = db.AllocateOrder(ctxAs("t"), o.ID)
	mustCode(t, err, pickwave.ECONFLICT)
}

func TestCreateOrder_validation(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	tests := []struct {
		name   string
		mutate func(in *pickwave.OrderInput)
		field  string
	}{
		{"no external id", func(in *pickwave.OrderInput) { in.ExternalID = "" }, "external_id"},
		{"no customer name", func(in *pickwave.OrderInput) { in.Customer.Name = "" }, "customer.name"},
		{"bad email", func(in *pickwave.OrderInput) { in.Customer.Email = "not-an-email" }, "customer.email"},
		{"no ship-to name", func(in *pickwave.OrderInput) { in.ShipTo.Name = "" }, "ship_to.name"},
		{"no address", func(in *pickwave.OrderInput) { in.ShipTo.Address1 = "" }, "ship_to.address1"},
		{"no city", func(in *pickwave.OrderInput) { in.ShipTo.City = "" }, "ship_to.city"},
		{"no postal code", func(in *pickwave.OrderInput) { in.ShipTo.PostalCode = "" }, "ship_to.postal_code"},
		{"country name", func(in *pickwave.OrderInput) { in.ShipTo.Country = "Germany" }, "ship_to.country"},
		{"lower-case country", func(in *pickwave.OrderInput) { in.ShipTo.Country = "de" }, "ship_to.country"},
		{"control char in address", func(in *pickwave.OrderInput) { in.ShipTo.Address2 = "a\x00b" }, "ship_to.address2"},
		{"no carrier", func(in *pickwave.OrderInput) { in.Carrier = "" }, "carrier"},
		{"no ship-by", func(in *pickwave.OrderInput) { in.ShipBy = time.Time{} }, "ship_by"},
		{"priority too high", func(in *pickwave.OrderInput) { in.Priority = 10 }, "priority"},
		{"no lines", func(in *pickwave.OrderInput) { in.Lines = nil }, "lines"},
		{"zero qty", func(in *pickwave.OrderInput) { in.Lines[0].Qty = 0 }, "lines[0].qty"},
		{"huge qty", func(in *pickwave.OrderInput) { in.Lines[0].Qty = pickwave.MaxLineQty + 1 }, "lines[0].qty"},
		{"no sku", func(in *pickwave.OrderInput) { in.Lines[0].SKU = "" }, "lines[0].sku"},
		{"unknown sku", func(in *pickwave.OrderInput) { in.Lines[0].SKU = "NOPE" }, "lines[0].sku"},
		{"repeated sku", func(in *pickwave.OrderInput) { in.Lines = append(in.Lines, line("MUG", 1)) }, "lines[1].sku"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := orderInput("E-"+strings.ReplaceAll(tt.name, " ", "-"), line("MUG", 1))
			tt.mutate(in)
			_, _, err := db.CreateOrder(ctxAs("t"), in)
			mustCode(t, err, pickwave.EINVALID)
			if !hasField(err, tt.field) {
				t.Fatalf("details %v do not name field %q", pickwave.ErrorDetails(err), tt.field)
			}
		})
	}
	if orders, _ := db.Orders(ctxAs("t"), pickwave.OrderFilter{}); len(orders) != 0 {
		t.Fatalf("refused orders were stored: %d", len(orders))
	}
}

func TestCreateOrder_idempotentOnExternalID(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 10})
	in := orderInput("SHOP-1", line("MUG", 2))
	first, created, err := db.CreateOrder(ctxAs("t"), in)
	if err != nil || !created {
		t.Fatal(created, err)
	}
	// The same body, with the time in another zone, is the same order.
	again := orderInput("SHOP-1", line("MUG", 2))
	again.ShipBy = again.ShipBy.In(time.FixedZone("CET", 3600))
	second, created, err := db.CreateOrder(ctxAs("t"), again)
	if err != nil || created || second.ID != first.ID {
		t.Fatalf("retry = %v, created %v, %v; want the first order back", second.ID, created, err)
	}
	rows, _ := db.StockOf(ctxAs("t"), "MUG")
	if rows[0].Reserved != 2 {
		t.Fatalf("retry reserved again: %d reserved", rows[0].Reserved)
	}
	_, _, err = db.CreateOrder(ctxAs("t"), orderInput("SHOP-1", line("MUG", 3)))
	mustCode(t, err, pickwave.ECONFLICT)
}

func TestCreateOrder_concurrentNeverOversells(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 10})
	const racers = 50
	var wg sync.WaitGroup
	errs := make(chan error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := db.CreateOrder(ctxAs("t"), orderInput("RACE-"+string(rune('A'+i/26))+string(rune('a'+i%26)), line("MUG", 1)))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	allocated, err := db.Orders(ctxAs("t"), pickwave.OrderFilter{Status: pickwave.OrderAllocated})
	if err != nil {
		t.Fatal(err)
	}
	backordered, _ := db.Orders(ctxAs("t"), pickwave.OrderFilter{Status: pickwave.OrderBackordered})
	if len(allocated) != 10 || len(backordered) != racers-10 {
		t.Fatalf("%d allocated, %d backordered; want exactly 10 and %d", len(allocated), len(backordered), racers-10)
	}
	rows, _ := db.StockOf(ctxAs("t"), "MUG")
	if rows[0].Reserved != 10 || rows[0].OnHand != 10 {
		t.Fatalf("stock %+v; want 10 on hand, 10 reserved", rows[0])
	}
}

func TestCancelOrder_releasesReservations(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 3})
	o, _, err := db.CreateOrder(ctxAs("t"), orderInput("E1", line("MUG", 3)))
	if err != nil {
		t.Fatal(err)
	}
	waiting, _, _ := db.CreateOrder(ctxAs("t"), orderInput("E2", line("MUG", 1)))
	if waiting.Status != pickwave.OrderBackordered {
		t.Fatalf("second order %s", waiting.Status)
	}
	c, err := db.CancelOrder(ctxAs("t"), o.ID, "customer changed mind")
	if err != nil || c.Status != pickwave.OrderCancelled || c.Lines[0].Allocated != 0 {
		t.Fatalf("cancel = %+v, %v", c, err)
	}
	rows, _ := db.StockOf(ctxAs("t"), "MUG")
	if rows[0].Reserved != 0 {
		t.Fatalf("reserved %d after cancel", rows[0].Reserved)
	}
	// Cancelling twice is a retry.
	if _, err := db.CancelOrder(ctxAs("t"), o.ID, ""); err != nil {
		t.Fatal(err)
	}
	_, err = db.CancelOrder(ctxAs("t"), "O-9999999999", "")
	mustCode(t, err, pickwave.ENOTFOUND)
	// The freed units go to the backordered order when asked.
	w, err := db.AllocateOrder(ctxAs("t"), waiting.ID)
	if err != nil || w.Status != pickwave.OrderAllocated {
		t.Fatalf("AllocateOrder = %v, %v", w, err)
	}
}

func TestOrders_listByStatusWithPaging(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 3})
	var ids []string
	for i := range 5 {
		o, _, err := db.CreateOrder(ctxAs("t"), orderInput("P"+string(rune('0'+i)), line("MUG", 1)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	page1, _ := db.Orders(ctxAs("t"), pickwave.OrderFilter{Limit: 2})
	page2, _ := db.Orders(ctxAs("t"), pickwave.OrderFilter{Limit: 2, After: page1[1].ID})
	if len(page1) != 2 || len(page2) != 2 || page1[0].ID != ids[0] || page2[0].ID != ids[2] {
		t.Fatalf("pages %v %v", page1, page2)
	}
	back, _ := db.Orders(ctxAs("t"), pickwave.OrderFilter{Status: pickwave.OrderBackordered})
	if len(back) != 2 || back[0].ID != ids[3] {
		t.Fatalf("backordered = %v", back)
	}
	back2, _ := db.Orders(ctxAs("t"), pickwave.OrderFilter{Status: pickwave.OrderBackordered, After: ids[3]})
	if len(back2) != 1 || back2[0].ID != ids[4] {
		t.Fatalf("backordered after %s = %v", ids[3], back2)
	}
	_, err := db.Orders(ctxAs("t"), pickwave.OrderFilter{Status: "lost"})
	mustCode(t, err, pickwave.EINVALID)
}

func TestImportOrders_allOrNothing(t *testing.T) {
	db := mustOpen(t)
	site(t, db)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 10})
	good := pickwave.ImportOrder{Input: orderInput("IMP-1", line("MUG", 1)), Rows: []int{2}}
	bad := pickwave.ImportOrder{Input: orderInput("IMP-2", line("MUG", 1), line("NOPE", 1)), Rows: []int{3, 4}}
	_, err := db.ImportOrders(ctxAs("t"), []pickwave.ImportOrder{good, bad})
	mustCode(t, err, pickwave.EINVALID)
	fields := pickwave.ErrorDetails(err).([]pickwave.FieldError)
	if len(fields) != 1 || fields[0].Line != 4 || fields[0].Field != "lines[1].sku" {
		t.Fatalf("details = %+v; want line 4 lines[1].sku", fields)
	}
	if orders, _ := db.Orders(ctxAs("t"), pickwave.OrderFilter{}); len(orders) != 0 {
		t.Fatalf("a failed import stored %d orders", len(orders))
	}
	if rows, _ := db.StockOf(ctxAs("t"), "MUG"); rows[0].Reserved != 0 {
		t.Fatalf("a failed import reserved %d", rows[0].Reserved)
	}
	res, err := db.ImportOrders(ctxAs("t"), []pickwave.ImportOrder{good})
	if err != nil || len(res.Created) != 1 {
		t.Fatalf("import = %+v, %v", res, err)
	}
	res, err = db.ImportOrders(ctxAs("t"), []pickwave.ImportOrder{good})
	if err != nil || len(res.Created) != 0 || len(res.Existing) != 1 {
		t.Fatalf("re-import = %+v, %v; want it recognised as existing", res, err)
	}
}

func TestOpen_restartKeepsOrdersAndStock(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenWith(t, dir, store.Options{})
	site(t, db)
	mustAdjust(t, db, pickwave.Adjustment{SKU: "MUG", Location: "A01-01-1", Delta: 7})
	o, _, err := db.CreateOrder(ctxAs("t"), orderInput("E1", line("MUG", 2)))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenDir(t, dir)
	got, err := db.Order(ctxAs("t"), o.ID)
	if err != nil || got.Status != pickwave.OrderAllocated || got.Lines[0].Allocated != 2 {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
	rows, _ := db.StockOf(ctxAs("t"), "MUG")
	if rows[0].OnHand != 7 || rows[0].Reserved != 2 {
		t.Fatalf("stock after restart: %+v", rows[0])
	}
	// Sequences continue: no id is reused.
	o2, _, err := db.CreateOrder(ctxAs("t"), orderInput("E2", line("MUG", 1)))
	if err != nil || o2.ID <= o.ID {
		t.Fatalf("second order id %v after %s, %v", o2, o.ID, err)
	}
}

func TestOpen_secondProcessGetsClearError(t *testing.T) {
	dir := t.TempDir()
	mustOpenDir(t, dir)
	start := time.Now()
	_, err := store.Open(dir, store.Options{LockTimeout: 200 * time.Millisecond}) // unchecked: must fail, the store is open
	mustCode(t, err, pickwave.EUNAVAILABLE)
	if msg := pickwave.ErrorMessage(err); !strings.Contains(msg, "in use by another pickwave process") {
		t.Fatalf("message %q", msg)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Open waited %v", d)
	}
}

func TestOpen_fileModeAndSchemaVersion(t *testing.T) {
	dir := t.TempDir()
	mustOpenDir(t, dir)
	fi, err := os.Stat(filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	if store.SchemaVersion() < 1 {
		t.Fatal("no schema version")
	}
}
