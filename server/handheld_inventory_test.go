package server_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
)

// dockSite is a small site for floor work: a dock, a pick face for MUG
// (min 5, max 20) and reserve locations at growing distance from the
// dock, served over HTTP and the handheld socket with the real store.
type dockSite struct {
	t                 *testing.T
	db                *store.DB
	http              *httptest.Server
	case12, each, tea string // barcodes: MUG case of 12, MUG each, TEA each
}

func newDockSite(t *testing.T) *dockSite {
	t.Helper()
	db := testenv.OpenStore(t, t.TempDir(), store.Options{NoSync: true})
	srv := testenv.Server(db, nil)
	s := &dockSite{t: t, db: db, http: httptest.NewServer(testenv.Checked(t, srv.Handler())),
		each: "09506000134352", case12: "19506000134359", tea: "09506000134369"}
	t.Cleanup(func() { srv.Close(context.Background()); s.http.Close(); db.Close() })
	ctx := context.Background()
	for _, sku := range []*pickwave.SKU{
		{Code: "MUG", Name: "Mug", Barcodes: []pickwave.Barcode{{Code: s.each, Qty: 1}, {Code: s.case12, Qty: 12}}},
		{Code: "TEA", Name: "Tea", Barcodes: []pickwave.Barcode{{Code: s.tea, Qty: 1}}},
	} {
		if err := db.CreateSKU(ctx, sku); err != nil {
			t.Fatal(err)
		}
	}
	for _, loc := range []*pickwave.Location{
		{Code: "DOCK-1", Zone: "A", Aisle: 1, Bay: 1, Kind: pickwave.LocationReceiving},
		{Code: "A01-02-1", Zone: "A", Aisle: 1, Bay: 2, Level: 1, Kind: pickwave.LocationPick, Face: &pickwave.PickFace{SKU: "MUG", Min: 5, Max: 20}},
		{Code: "R01-03-2", Zone: "A", Aisle: 1, Bay: 3, Level: 2, Kind: pickwave.LocationReserve},
		{Code: "R03-09-2", Zone: "A", Aisle: 3, Bay: 9, Level: 2, Kind: pickwave.LocationReserve},
	} {
		if err := db.CreateLocation(ctx, loc); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetLayout(ctx, pickwave.Layout{Aisles: 3, BaysPerAisle: 10, BayWidthM: 1.2, AislePitchM: 3, Depot: pickwave.Depot{Aisle: 1}}); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *dockSite) dial(user string, role pickwave.Role) *handheld.Client {
	s.t.Helper()
	token, err := s.db.MintToken(context.Background(), user, role, time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	url := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/ws/handheld"
	c, err := handheld.Dial(testCtx(s.t), url, handheld.Options{Token: token, Device: "TC52-" + user})
	if err != nil {
		s.t.Fatalf("dial %s: %v", user, err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

func sscc(t *testing.T, serial uint64) string {
	t.Helper()
	code, err := gs1.BuildSSCC(0, "9506000", serial)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func (s *dockSite) work(c *handheld.Client, req pickwave.WorkRequest, want string) *pickwave.WorkResult {
	s.t.Helper()
	res, err := c.WorkScan(testCtx(s.t), req)
	if err != nil {
		s.t.Fatalf("%s %q: %v", req.Kind, req.Data, err)
	}
	if res.Verdict.Code != want {
		s.t.Fatalf("%s %q: verdict %+v, want %s", req.Kind, req.Data, res.Verdict, want)
	}
	return res
}

func (s *dockSite) stock(sku, loc string) pickwave.Stock {
	s.t.Helper()
	rows, err := s.db.StockOf(context.Background(), sku)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, r := range rows {
		if r.Location == loc {
			return *r
		}
	}
	return pickwave.Stock{}
}

// TestHandheldWork_receivePutawayReplenish is issue 14's floor, over a
// real websocket with the real store: a pallet received in one scan of
// its SSCC label (and a resend answered from record), a mis-receipt
// refused with a clear verdict, a putaway override recorded, and a
// replenishment released ahead of the wave that needs it.
func TestHandheldWork_receivePutawayReplenish(t *testing.T) {
	s := newDockSite(t)
	ctx := context.Background()
	p1, p2 := sscc(t, 1), sscc(t, 2)
	n, created, err := s.db.CreateInbound(ctx, &pickwave.InboundInput{Supplier: "Stoneware Ltd", Reference: "ASN-77",
		Lines: []pickwave.InboundLineInput{{SKU: "MUG", Qty: 240, SSCC: p1}, {SKU: "MUG", Qty: 120, SSCC: p2}}})
	if err != nil || !created || n.Dock != "DOCK-1" {
		t.Fatalf("notice %+v, %v", n, err)
	}
	// An order for 10 mugs waits: nothing is allocatable yet.
	o, _, err := s.db.CreateOrder(ctx, orderFor("WEB-1", "MUG", 10))
	if err != nil || o.Status != pickwave.OrderBackordered {
		t.Fatalf("order %+v, %v", o, err)
	}

	rec := s.dial("rita", pickwave.RolePacker)
	label := "(00)" + p1 + "(02)" + s.case12 + "(37)20"
	res := s.work(rec, pickwave.WorkRequest{ID: "r1", Kind: pickwave.WorkReceive, Data: label}, pickwave.VerdictOK)
	if res.Verdict.Qty != 240 || res.Prompt.Notice != n.ID {
		t.Fatalf("pallet verdict %+v", res)
	}
	if st := s.stock("MUG", "DOCK-1"); st.OnHand != 240 || st.Available() != 240 {
		t.Fatalf("dock stock %+v", st)
	}
	if o, _ := s.db.Order(ctx, o.ID); o.Status != pickwave.OrderBackordered {
		t.Fatalf("stock at a dock was allocated: %+v", o)
	}
	// The same id again is answered from record; nothing is received twice.
	again := s.work(rec, pickwave.WorkRequest{ID: "r1", Kind: pickwave.WorkReceive, Data: label}, pickwave.VerdictOK)
	if !again.Replayed || again.Verdict.Message != res.Verdict.Message {
		t.Fatalf("resend %+v", again)
	}
	s.work(rec, pickwave.WorkRequest{ID: "r2", Kind: pickwave.WorkReceive, Data: label}, pickwave.VerdictAlreadyReceived)
	if st := s.stock("MUG", "DOCK-1"); st.OnHand != 240 {
		t.Fatalf("dock stock after resends %+v", st)
	}

	// Pallet 2's label says tea: refused, recorded, nothing received.
	mis := s.work(rec, pickwave.WorkRequest{ID: "r3", Kind: pickwave.WorkReceive, Data: "(00)" + p2 + "(02)" + s.tea + "(37)120"}, pickwave.VerdictMisReceipt)
	if !strings.Contains(mis.Verdict.Message, "expects MUG") || !strings.Contains(mis.Verdict.Message, "nothing was received") {
		t.Fatalf("mis-receipt message %q", mis.Verdict.Message)
	}
	n, _ = s.db.Inbound(ctx, n.ID)
	if len(n.Discrepancies) != 1 || n.Discrepancies[0].Kind != pickwave.DiscrepancyMis || n.Discrepancies[0].Reason != "wrong_item" || n.Lines[1].Received != 0 {
		t.Fatalf("notice after the mis-receipt %+v", n)
	}
	if st := s.stock("TEA", "DOCK-1"); st.OnHand != 0 {
		t.Fatalf("tea received %+v", st)
	}

	// Putaway: the face holds 20 at most, so the nearest empty reserve
	// location is suggested; the operator puts it elsewhere.
	put := s.dial("pat", pickwave.RolePacker)
	res = s.work(put, pickwave.WorkRequest{ID: "p1", Kind: pickwave.WorkPutaway, Data: "(00)" + p1}, pickwave.VerdictOK)
	if res.Prompt.Step != pickwave.StepPutawayTo || res.Prompt.Suggested != "R01-03-2" || res.Prompt.Qty != 240 {
		t.Fatalf("putaway prompt %+v", res.Prompt)
	}
	s.work(put, pickwave.WorkRequest{ID: "p2", Kind: pickwave.WorkPutaway, Data: "DOCK-1"}, pickwave.VerdictNotAllowed)
	res = s.work(put, pickwave.WorkRequest{ID: "p3", Kind: pickwave.WorkPutaway, Data: "R03-09-2"}, pickwave.VerdictOK)
	if !strings.Contains(res.Verdict.Message, "override recorded") || res.Prompt.Step != pickwave.StepPutawayItem {
		t.Fatalf("override verdict %+v", res)
	}
	if st := s.stock("MUG", "R03-09-2"); st.OnHand != 240 {
		t.Fatalf("reserve stock %+v", st)
	}
	if st := s.stock("MUG", "DOCK-1"); st.OnHand != 0 {
		t.Fatalf("dock stock after putaway %+v", st)
	}
	events, _ := s.db.Events(ctx, 0, 1000)
	var override bool
	for _, ev := range events {
		if ev.Type == pickwave.EventStockMoved && strings.Contains(string(ev.Payload), `"override":true`) &&
			strings.Contains(string(ev.Payload), `"suggested":"R01-03-2"`) {
			override = true
		}
	}
	if !override {
		t.Fatal("no stock.moved event records the override")
	}

	// The backordered order needs the face: a replenishment is due, and
	// no wave can take the order until it is done.
	if _, err := s.db.PlanWave(ctx, pickwave.WaveTemplate{}, 1); pickwave.ErrorCode(err) != pickwave.ECONFLICT {
		t.Fatalf("a wave before the replenishment: %v", err)
	}
	picker := s.dial("pete", pickwave.RolePicker)
	p, err := picker.Work(testCtx(t), pickwave.WorkReplenish)
	if err != nil || p.Step != pickwave.StepReplenishFrom || p.From != "R03-09-2" || p.To != "A01-02-1" || p.Qty != 20 {
		t.Fatalf("replenishment prompt %+v, %v", p, err)
	}
	s.work(picker, pickwave.WorkRequest{ID: "f1", Kind: pickwave.WorkReplenish, Data: "R01-03-2"}, pickwave.VerdictWrongLocation)
	s.work(picker, pickwave.WorkRequest{ID: "f2", Kind: pickwave.WorkReplenish, Data: "R03-09-2"}, pickwave.VerdictOK)
	s.work(picker, pickwave.WorkRequest{ID: "f3", Kind: pickwave.WorkReplenish, Data: "A01-02-1"}, pickwave.VerdictOK)
	if st := s.stock("MUG", "A01-02-1"); st.OnHand != 20 || st.Reserved != 10 {
		t.Fatalf("face after replenishment %+v", st)
	}
	if o, _ := s.db.Order(ctx, o.ID); o.Status != pickwave.OrderAllocated {
		t.Fatalf("order after replenishment %+v", o)
	}
	w, err := s.db.PlanWave(ctx, pickwave.WaveTemplate{}, 1)
	if err != nil || len(w.Orders) != 1 {
		t.Fatalf("wave after the replenishment %+v, %v", w, err)
	}
}

// TestHandheldWork_blindCountWithRecount: the counter never sees the
// books; a count beyond the tolerance goes to someone else, whose count
// is accepted, adjusts stock and releases the hold.
func TestHandheldWork_blindCountWithRecount(t *testing.T) {
	s := newDockSite(t)
	ctx := context.Background()
	if _, err := s.db.AdjustStock(ctx, &pickwave.Adjustment{SKU: "MUG", Location: "A01-02-1", Delta: 12, Reason: "correction"}); err != nil {
		t.Fatal(err)
	}
	cc, _, err := s.db.RequestCount(ctx, pickwave.CountRequest{Location: "A01-02-1", SKU: "MUG"})
	if err != nil || s.stock("MUG", "A01-02-1").CountID != cc.ID {
		t.Fatalf("count %+v, %v", cc, err)
	}
	ann := s.dial("ann", pickwave.RolePicker)
	p, err := ann.Work(testCtx(t), pickwave.WorkCount)
	if err != nil || p.Count != cc.ID || p.Step != pickwave.StepCountLocation || p.Qty != 0 || strings.Contains(p.Say, "12") {
		t.Fatalf("count prompt %+v, %v", p, err)
	}
	s.work(ann, pickwave.WorkRequest{ID: "c1", Kind: pickwave.WorkCount, Data: "R01-03-2"}, pickwave.VerdictWrongLocation)
	s.work(ann, pickwave.WorkRequest{ID: "c2", Kind: pickwave.WorkCount, Data: "A01-02-1"}, pickwave.VerdictOK)
	s.work(ann, pickwave.WorkRequest{ID: "c3", Kind: pickwave.WorkCount, Data: s.case12}, pickwave.VerdictOK)
	s.work(ann, pickwave.WorkRequest{ID: "c4", Kind: pickwave.WorkCount, Data: s.each, Count: 2}, pickwave.VerdictOK)
	res := s.work(ann, pickwave.WorkRequest{ID: "c5", Kind: pickwave.WorkCount, Action: pickwave.ActionDone}, pickwave.VerdictOK)
	if !strings.Contains(res.Verdict.Message, "someone else") || res.Prompt.Step != pickwave.StepIdle {
		t.Fatalf("first count (14, books 12) %+v", res)
	}
	if st := s.stock("MUG", "A01-02-1"); st.OnHand != 12 || st.CountID != cc.ID {
		t.Fatalf("stock changed by a count beyond tolerance %+v", st)
	}
	// Ann may not recount her own count; Ben does, and finds 11.
	ben := s.dial("ben", pickwave.RolePicker)
	if p, err := ben.Work(testCtx(t), pickwave.WorkCount); err != nil || p.Count != cc.ID {
		t.Fatalf("recount prompt %+v, %v", p, err)
	}
	s.work(ben, pickwave.WorkRequest{ID: "c1", Kind: pickwave.WorkCount, Data: "A01-02-1"}, pickwave.VerdictOK)
	res = s.work(ben, pickwave.WorkRequest{ID: "c2", Kind: pickwave.WorkCount, Action: pickwave.ActionDone, Count: 11}, pickwave.VerdictOK)
	if !strings.Contains(res.Verdict.Message, "accepted") {
		t.Fatalf("recount %+v", res)
	}
	if st := s.stock("MUG", "A01-02-1"); st.OnHand != 11 || st.CountID != "" || st.Available() != 11 {
		t.Fatalf("stock after the recount %+v", st)
	}
	got, _ := s.db.Count(ctx, cc.ID)
	if got.Status != pickwave.CountConfirmed || len(got.Attempts) != 2 || got.Delta != -1 || got.RightFirst == nil || *got.RightFirst {
		t.Fatalf("count after the recount %+v", got)
	}
	if a, _ := s.db.Accuracy(ctx); a.Counted != 1 || a.RightFirst != 0 || a.Accuracy != 0 {
		t.Fatalf("accuracy %+v", a)
	}
}

func orderFor(ext, sku string, qty int) *pickwave.OrderInput {
	return &pickwave.OrderInput{ExternalID: ext, Customer: pickwave.Customer{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+44 20 7946 0000"},
		ShipTo: pickwave.Address{Name: "Ada Lovelace", Address1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"},
		Lines:  []pickwave.LineInput{{SKU: sku, Qty: qty}}, Carrier: "UPS", Service: "Ground",
		ShipBy: time.Now().Add(8 * time.Hour), Priority: 1}
}
