package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
)

// api is a Go client of the dock site's server with a token of the role.
func (s *dockSite) api(user string, role pickwave.Role) *client.Client {
	s.t.Helper()
	token, err := s.db.MintToken(context.Background(), user, role, time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	return client.New(s.http.URL, client.WithToken(token))
}

// TestInboundAPI drives the inbound routes through the Go client: a
// notice by JSON (sent twice: one notice), one by CSV, a bad CSV reported
// by line with nothing stored, a pallet received on a handheld, the
// receipt listed until put away, and the notice closed short with a
// reason.
func TestInboundAPI(t *testing.T) {
	s := newDockSite(t)
	ctx := testCtx(t)
	sup := s.api("sue", pickwave.RoleSupervisor)
	p1, p2 := sscc(t, 1), sscc(t, 2)
	in := &pickwave.InboundInput{Supplier: "Stoneware Ltd", Reference: "ASN-1", Lines: []pickwave.InboundLineInput{
		{SKU: "MUG", Qty: 24, SSCC: p1}, {SKU: "TEA", Qty: 10}}}
	n, created, err := sup.Inbound.CreateInbound(ctx, in)
	if err != nil || !created || n.Dock != "DOCK-1" || n.Status != pickwave.InboundOpen || len(n.Lines) != 2 {
		t.Fatalf("create %+v %v %v", n, created, err)
	}
	if again, created, err := sup.Inbound.CreateInbound(ctx, in); err != nil || created || again.ID != n.ID {
		t.Fatalf("create again %+v %v %v", again, created, err)
	}
	in2 := *in
	in2.Lines = in.Lines[:1]
	if _, _, err := sup.Inbound.CreateInbound(ctx, &in2); pickwave.ErrorCode(err) != pickwave.ECONFLICT {
		t.Fatalf("same reference, other content: %v", err)
	}
	// A picker may not announce shipments.
	if _, _, err := s.api("pete", pickwave.RolePicker).Inbound.CreateInbound(ctx, in); pickwave.ErrorCode(err) != pickwave.EFORBIDDEN {
		t.Fatalf("picker: %v", err)
	}

	// CSV: one good notice; then a file with a bad quantity and an
	// unknown SKU, refused whole, each problem on its line.
	good := "supplier,reference,dock,sku,lot,expiry,qty,sscc\nLeafco,ASN-9,DOCK-1,TEA,,,30," + p2 + "\n"
	list, err := sup.Inbound.ImportInboundCSV(ctx, strings.NewReader(good))
	if err != nil || len(list) != 1 || list[0].Lines[0].SSCC != p2 {
		t.Fatalf("import %+v %v", list, err)
	}
	if again, err := sup.Inbound.ImportInboundCSV(ctx, strings.NewReader(good)); err != nil || again[0].ID != list[0].ID {
		t.Fatalf("import again %+v %v", again, err)
	}
	bad := "supplier,reference,sku,qty\nLeafco,ASN-10,TEA,x\nLeafco,ASN-11,NOPE,1\n"
	_, err = sup.Inbound.ImportInboundCSV(ctx, strings.NewReader(bad))
	if d, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError); len(d) != 1 || d[0].Line != 2 || d[0].Field != "qty" {
		t.Fatalf("bad CSV: %v %+v", err, d)
	}
	bad = "supplier,reference,sku,qty\nLeafco,ASN-10,TEA,1\nLeafco,ASN-11,NOPE,1\n"
	_, err = sup.Inbound.ImportInboundCSV(ctx, strings.NewReader(bad))
	if d, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError); len(d) != 1 || d[0].Line != 3 || d[0].Field != "lines[0].sku" {
		t.Fatalf("unknown SKU: %v %+v", err, d)
	}
	if open, err := sup.Inbound.Inbounds(ctx, pickwave.InboundFilter{Status: pickwave.InboundOpen}); err != nil || len(open) != 2 {
		t.Fatalf("open notices %d, %v (a refused import stored something?)", len(open), err)
	}
	// The client's own import maps lines back to the caller's rows.
	_, err = sup.Inbound.ImportInbound(ctx, []pickwave.ImportInbound{{Input: &pickwave.InboundInput{Supplier: "X", Reference: "R",
		Lines: []pickwave.InboundLineInput{{SKU: "NOPE", Qty: 1}}}, Rows: []int{41}}})
	if d, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError); len(d) != 1 || d[0].Line != 41 {
		t.Fatalf("client import: %v %+v", err, d)
	}

	// A pallet received on a handheld waits as a receipt until put away.
	rec := s.dial("rita", pickwave.RolePacker)
	s.work(rec, pickwave.WorkRequest{ID: "r1", Kind: pickwave.WorkReceive, Data: "(00)" + p1 + "(02)" + s.case12 + "(37)2"}, pickwave.VerdictOK)
	rcpts, err := sup.Inbound.Receipts(ctx, false, "", 0)
	if err != nil || len(rcpts) != 1 || rcpts[0].SSCC != p1 || rcpts[0].Left() != 24 {
		t.Fatalf("receipts %+v %v", rcpts, err)
	}
	// Closing with TEA short needs a reason.
	if _, err := sup.Inbound.CloseInbound(ctx, n.ID, pickwave.InboundClose{}); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("close without a reason: %v", err)
	}
	closed, err := sup.Inbound.CloseInbound(ctx, n.ID, pickwave.InboundClose{Reason: "supplier_short"})
	if err != nil || closed.Status != pickwave.InboundClosed || closed.ClosedBy != "sue" || len(closed.Discrepancies) != 1 ||
		closed.Discrepancies[0].Kind != pickwave.DiscrepancyUnder || closed.Discrepancies[0].Qty != 10 {
		t.Fatalf("closed %+v %v", closed, err)
	}
	if _, err := sup.Inbound.CloseInbound(ctx, n.ID, pickwave.InboundClose{Reason: "other"}); pickwave.ErrorCode(err) != pickwave.ECONFLICT {
		t.Fatalf("close twice: %v", err)
	}
	if got, err := sup.Inbound.Inbound(ctx, n.ID); err != nil || got.Lines[0].Received != 24 {
		t.Fatalf("get %+v %v", got, err)
	}
	if _, err := sup.Inbound.Inbound(ctx, "IN-99999999"); pickwave.ErrorCode(err) != pickwave.ENOTFOUND {
		t.Fatalf("unknown notice: %v", err)
	}
	allEventsOverHTTP(t, s)
}

// TestStockSettingsAPI: a pick face set after creation raises its
// replenishment at once, a second face for the SKU is refused, a face is
// cleared; a reorder point set above the available stock suggests a
// reorder at once; a count on demand is raised (201) once (then 200) and
// the accuracy KPI is served.
func TestStockSettingsAPI(t *testing.T) {
	s := newDockSite(t)
	ctx := testCtx(t)
	sup := s.api("sue", pickwave.RoleSupervisor)
	if err := s.db.CreateLocation(ctx, &pickwave.Location{Code: "A02-01-1", Zone: "A", Aisle: 2, Bay: 1, Level: 1, Kind: pickwave.LocationPick}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.AdjustStock(ctx, &pickwave.Adjustment{SKU: "TEA", Location: "R01-03-2", Delta: 50, Reason: "receipt"}); err != nil {
		t.Fatal(err)
	}
	loc, err := sup.Inventory.SetPickFace(ctx, "A02-01-1", &pickwave.PickFace{SKU: "TEA", Min: 4, Max: 12})
	if err != nil || loc.Face == nil || loc.Face.SKU != "TEA" {
		t.Fatalf("set face %+v %v", loc, err)
	}
	p, err := s.dial("pete", pickwave.RolePicker).Work(ctx, pickwave.WorkReplenish)
	if err != nil || p.To != "A02-01-1" || p.From != "R01-03-2" || p.Qty != 12 {
		t.Fatalf("replenishment of the new face %+v %v", p, err)
	}
	if _, err := sup.Inventory.SetPickFace(ctx, "A01-02-1", &pickwave.PickFace{SKU: "TEA", Min: 1, Max: 5}); pickwave.ErrorCode(err) != pickwave.ECONFLICT {
		t.Fatalf("a second face for TEA: %v", err)
	}
	if _, err := sup.Inventory.SetPickFace(ctx, "R01-03-2", &pickwave.PickFace{SKU: "MUG", Min: 1, Max: 5}); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("a face on reserve: %v", err)
	}
	if _, err := sup.Inventory.SetPickFace(ctx, "A01-02-1", &pickwave.PickFace{SKU: "NOPE", Min: 1, Max: 5}); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("a face for an unknown SKU: %v", err)
	}
	if loc, err := sup.Inventory.SetPickFace(ctx, "A01-02-1", nil); err != nil || loc.Face != nil {
		t.Fatalf("clear face %+v %v", loc, err)
	}

	sku, err := sup.Inventory.SetReorder(ctx, "TEA", pickwave.Reorder{Point: 100, Qty: 500})
	if err != nil || sku.ReorderPoint != 100 || sku.ReorderQty != 500 {
		t.Fatalf("set reorder %+v %v", sku, err)
	}
	if _, err := sup.Inventory.SetReorder(ctx, "TEA", pickwave.Reorder{Point: 10}); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("a point without a quantity: %v", err)
	}
	events, err := s.db.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var suggested int
	for _, ev := range events {
		if ev.Type == pickwave.EventReorderSuggested && strings.Contains(string(ev.Payload), `"reorder_qty":500`) {
			suggested++
		}
	}
	if suggested != 1 {
		t.Fatalf("%d reorder.suggested events, want 1", suggested)
	}

	cc, created, err := sup.Inventory.RequestCount(ctx, pickwave.CountRequest{Location: "R01-03-2", SKU: "TEA"})
	if err != nil || !created || cc.Source != pickwave.CountFromDemand || cc.Expected != 50 {
		t.Fatalf("request count %+v %v %v", cc, created, err)
	}
	if again, created, err := sup.Inventory.RequestCount(ctx, pickwave.CountRequest{Location: "R01-03-2", SKU: "TEA"}); err != nil || created || again.ID != cc.ID {
		t.Fatalf("request again %+v %v %v", again, created, err)
	}
	if _, _, err := sup.Inventory.RequestCount(ctx, pickwave.CountRequest{Location: "A01-02-1", SKU: "TEA"}); pickwave.ErrorCode(err) != pickwave.ENOTFOUND {
		t.Fatalf("count of no stock: %v", err)
	}
	if a, err := sup.Inventory.Accuracy(ctx); err != nil || a.Counted != 0 || a.Accuracy != 1 {
		t.Fatalf("accuracy %+v %v", a, err)
	}
}
