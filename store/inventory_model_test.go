package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
)

// The invariant test of inventory on the floor: rapid drives random
// sequences of receipts (pallets by SSCC), putaways (to the suggestion
// or another location), orders picked on carts with random shorts, counts
// on demand confirmed at random quantities, moves, replenishments and
// adjustments through the store's public methods, and after every step
// checks that
//
//   - no stock row is negative, and reserved ≤ on hand on every row not
//     held for a count (a held row may show more reserved: the count
//     found fewer than the picks already on carts hold);
//   - every unit is accounted for: received + adjustments − picked = the
//     units on hand across the site;
//   - the event log alone (stock.adjusted, which a receipt logs too with
//     reason receipt, stock.moved and task.picked/task.short) replays to
//     every row's on-hand.
//
// Run more with: go test ./store -run TestInventoryModel -rapid.checks=500

// invSKU is one SKU of the model site with its each barcode.
type invSKU struct{ code, each string }

var invSKUs = []invSKU{{"MUG", "09506000134352"}, {"TEA", "09506000134369"}}

// invLocs are the site's locations: a dock, two pick faces, a plain pick
// location and two reserve locations.
var invLocs = []*pickwave.Location{
	{Code: "DOCK-1", Zone: "A", Aisle: 1, Bay: 1, Kind: pickwave.LocationReceiving},
	{Code: "A01-02-1", Zone: "A", Aisle: 1, Bay: 2, Level: 1, Kind: pickwave.LocationPick, Face: &pickwave.PickFace{SKU: "MUG", Min: 5, Max: 20}},
	{Code: "A01-04-1", Zone: "A", Aisle: 1, Bay: 4, Level: 1, Kind: pickwave.LocationPick, Face: &pickwave.PickFace{SKU: "TEA", Min: 3, Max: 12}},
	{Code: "A02-03-1", Zone: "A", Aisle: 2, Bay: 3, Level: 1, Kind: pickwave.LocationPick},
	{Code: "R01-03-2", Zone: "A", Aisle: 1, Bay: 3, Level: 2, Kind: pickwave.LocationReserve},
	{Code: "R02-06-2", Zone: "A", Aisle: 2, Bay: 6, Level: 2, Kind: pickwave.LocationReserve},
}

type invModel struct {
	t        *rapid.T
	db       *store.DB
	ctx      context.Context
	received int // units received at the dock
	adjusted int // units added (or taken, negative) by adjustments and counts
	pallets  []string
	serial   uint64
	ids      int
	orders   int
}

func (m *invModel) id() string {
	m.ids++
	return "m" + strconv.Itoa(m.ids)
}

func (m *invModel) work(user string, kind pickwave.WorkKind, data string, count int) *pickwave.WorkResult {
	res, err := m.db.Work(m.ctx, user, pickwave.WorkRequest{ID: m.id(), Device: "TC52", Kind: kind, Data: data, Count: count})
	if err != nil {
		m.t.Fatalf("%s %q: %v", kind, data, err)
	}
	return res
}

// cancel drops whatever work of the kind the user has in hand.
func (m *invModel) cancel(user string, kind pickwave.WorkKind) {
	if _, err := m.db.Work(m.ctx, user, pickwave.WorkRequest{ID: m.id(), Device: "TC52", Kind: kind, Action: pickwave.ActionCancel}); err != nil {
		m.t.Fatalf("cancel %s: %v", kind, err)
	}
}

func (m *invModel) receive(t *rapid.T) {
	sku := rapid.SampledFrom(invSKUs).Draw(t, "sku")
	qty := rapid.IntRange(1, 60).Draw(t, "qty")
	m.serial++
	sscc, err := gs1.BuildSSCC(0, "9506000", m.serial)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.db.CreateInbound(m.ctx, &pickwave.InboundInput{Supplier: "S", Reference: "ASN-" + strconv.FormatUint(m.serial, 10),
		Lines: []pickwave.InboundLineInput{{SKU: sku.code, Qty: qty, SSCC: sscc}}}); err != nil {
		t.Fatal(err)
	}
	label := fmt.Sprintf("(00)%s(02)%s(37)%d", sscc, sku.each, qty)
	if res := m.work("rita", pickwave.WorkReceive, label, 0); res.Verdict.Code != pickwave.VerdictOK || res.Verdict.Qty != qty {
		t.Fatalf("receive %s: %+v", label, res.Verdict)
	}
	m.received += qty
	m.pallets = append(m.pallets, sscc)
	// The notice is complete: the receiver is free for the next.
	if _, err := m.db.Work(m.ctx, "rita", pickwave.WorkRequest{ID: m.id(), Device: "TC52", Kind: pickwave.WorkReceive, Action: pickwave.ActionDone}); err != nil {
		t.Fatal(err)
	}
}

func (m *invModel) putaway(t *rapid.T) {
	if len(m.pallets) == 0 {
		t.Skip("nothing at the dock")
	}
	i := rapid.IntRange(0, len(m.pallets)-1).Draw(t, "pallet")
	res := m.work("pat", pickwave.WorkPutaway, "(00)"+m.pallets[i], 0)
	if res.Verdict.Code != pickwave.VerdictOK {
		m.pallets = append(m.pallets[:i], m.pallets[i+1:]...) // put away already
		return
	}
	to := res.Prompt.Suggested
	if rapid.Bool().Draw(t, "override") || to == "" {
		to = rapid.SampledFrom(invLocs[1:]).Draw(t, "to").Code
	}
	if res := m.work("pat", pickwave.WorkPutaway, to, 0); res.Verdict.Code != pickwave.VerdictOK {
		m.cancel("pat", pickwave.WorkPutaway)
	}
}

func (m *invModel) adjust(t *rapid.T) {
	sku := rapid.SampledFrom(invSKUs).Draw(t, "sku")
	loc := rapid.SampledFrom(invLocs[1:]).Draw(t, "location")
	delta := rapid.IntRange(-10, 30).Filter(func(n int) bool { return n != 0 }).Draw(t, "delta")
	_, err := m.db.AdjustStock(m.ctx, &pickwave.Adjustment{SKU: sku.code, Location: loc.Code, Delta: delta, Reason: "correction"})
	switch code := pickwave.ErrorCode(err); code {
	case "":
		m.adjusted += delta
	case pickwave.EINVALID, pickwave.ECONFLICT: // below zero or below reserved: refused, nothing changed
	default:
		t.Fatalf("adjust %+d %s at %s: %v", delta, sku.code, loc.Code, err)
	}
}

// pick takes an order through a wave and a cart, reporting a short at
// random stops.
func (m *invModel) pick(t *rapid.T) {
	sku := rapid.SampledFrom(invSKUs).Draw(t, "sku")
	m.orders++
	in := &pickwave.OrderInput{ExternalID: "O" + strconv.Itoa(m.orders), Customer: pickwave.Customer{Name: "Ada"},
		ShipTo:  pickwave.Address{Name: "Ada", Address1: "1 Road", City: "Town", PostalCode: "1", Country: "GB"},
		Carrier: "UPS", ShipBy: time.Now().Add(time.Hour), Lines: []pickwave.LineInput{{SKU: sku.code, Qty: rapid.IntRange(1, 15).Draw(t, "qty")}}}
	if _, _, err := m.db.CreateOrder(m.ctx, in); err != nil {
		t.Fatal(err)
	}
	w, err := m.db.PlanWave(m.ctx, pickwave.WaveTemplate{TotesPerCart: 4}, 1)
	if pickwave.ErrorCode(err) == pickwave.ECONFLICT {
		return // nothing allocated to pick (backordered)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.db.ReleaseWave(m.ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	barcode := map[string]string{}
	for _, s := range invSKUs {
		barcode[s.code] = s.each
	}
	for {
		p, err := m.db.TakeCart(m.ctx, "pia")
		if pickwave.ErrorCode(err) == pickwave.ENOTFOUND || pickwave.ErrorCode(err) == pickwave.ECONFLICT {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for steps := 0; !p.Done; steps++ {
			if steps > 200 {
				t.Fatalf("cart never ends: %+v", p)
			}
			var res *pickwave.ScanResult
			switch {
			case p.Step == pickwave.StepItem && rapid.IntRange(0, 5).Draw(t, "short") == 0:
				found := rapid.IntRange(0, 3).Draw(t, "found")
				res, err = m.db.Short(m.ctx, "pia", pickwave.ShortRequest{ID: m.id(), Reason: pickwave.ShortEmpty, Found: &found})
			default:
				var data string
				switch p.Step {
				case pickwave.StepBindTote:
					data = "TOTE-" + strconv.Itoa(p.Slot)
				case pickwave.StepLocation:
					data = p.Task.Location
				case pickwave.StepItem:
					data = barcode[p.Task.SKU]
				case pickwave.StepTote:
					data = "TOTE-" + strconv.Itoa(p.Task.ToteSlot)
				default:
					t.Fatalf("step %+v", p)
				}
				res, err = m.db.Scan(m.ctx, "pia", pickwave.ScanRequest{ID: m.id(), Data: data})
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict.Code != pickwave.VerdictOK {
				t.Fatalf("at %+v: %+v", p, res.Verdict)
			}
			p = &res.Prompt
		}
	}
}

// stockRows lists every stock row of the site.
func (m *invModel) stockRows() []*pickwave.Stock {
	var rows []*pickwave.Stock
	for _, s := range invSKUs {
		r, err := m.db.StockOf(m.ctx, s.code)
		if err != nil {
			m.t.Fatal(err)
		}
		rows = append(rows, r...)
	}
	return rows
}

func (m *invModel) count(t *rapid.T) {
	var rows []*pickwave.Stock
	for _, r := range m.stockRows() {
		if r.OnHand > 0 {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		t.Skip("nothing to count")
	}
	r := rapid.SampledFrom(rows).Draw(t, "row")
	cc, _, err := m.db.RequestCount(m.ctx, pickwave.CountRequest{Location: r.Location, SKU: r.SKU, Lot: r.Lot})
	if err != nil {
		t.Fatal(err)
	}
	counted := rapid.IntRange(max(0, r.OnHand-4), r.OnHand+4).Draw(t, "counted")
	done, err := m.db.ConfirmCount(m.ctx, cc.ID, pickwave.CountConfirmation{Counted: &counted})
	if err != nil {
		t.Fatalf("confirm %+v: %v", cc, err)
	}
	m.adjusted += done.Delta
}

func (m *invModel) move(t *rapid.T) {
	var rows []*pickwave.Stock
	for _, r := range m.stockRows() {
		if r.CountID == "" && r.OnHand-r.Reserved > 0 && r.Location != "DOCK-1" {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		t.Skip("nothing free to move")
	}
	r := rapid.SampledFrom(rows).Draw(t, "row")
	each := map[string]string{"MUG": invSKUs[0].each, "TEA": invSKUs[1].each}[r.SKU]
	m.work("mo", pickwave.WorkMove, r.Location, 0)
	n := rapid.IntRange(1, r.OnHand-r.Reserved).Draw(t, "units")
	if res := m.work("mo", pickwave.WorkMove, each, n); res.Verdict.Code != pickwave.VerdictOK {
		t.Fatalf("move %d × %s from %s: %+v", n, r.SKU, r.Location, res.Verdict)
	}
	to := rapid.SampledFrom(invLocs[1:]).Draw(t, "to")
	if res := m.work("mo", pickwave.WorkMove, to.Code, 0); res.Verdict.Code != pickwave.VerdictOK {
		m.cancel("mo", pickwave.WorkMove) // onto itself, or a held row: refused, nothing moved
	}
}

func (m *invModel) replenish(t *rapid.T) {
	p, err := m.db.WorkPrompt(m.ctx, "rob", pickwave.WorkReplenish)
	if err != nil {
		t.Fatal(err)
	}
	if p.Step != pickwave.StepReplenishFrom {
		t.Skip("no replenishment due")
	}
	if res := m.work("rob", pickwave.WorkReplenish, p.From, 0); res.Verdict.Code != pickwave.VerdictOK {
		t.Fatalf("replenish from %s: %+v", p.From, res.Verdict)
	}
	if res := m.work("rob", pickwave.WorkReplenish, p.To, 0); res.Verdict.Code != pickwave.VerdictOK {
		m.cancel("rob", pickwave.WorkReplenish) // the face is held for a count, or the reserve moved
	}
}

// check is the invariants after every step.
func (m *invModel) check(t *rapid.T) {
	onHand := 0
	books := map[string]int{}
	for _, r := range m.stockRows() {
		if r.OnHand < 0 || r.Reserved < 0 {
			t.Fatalf("negative stock %+v", r)
		}
		if r.CountID == "" && r.Reserved > r.OnHand {
			t.Fatalf("reserved above on hand on a row not held %+v", r)
		}
		onHand += r.OnHand
		if r.OnHand != 0 {
			books[r.SKU+"/"+r.Location+"/"+r.Lot] = r.OnHand
		}
	}
	replayed, picked, found := m.replay(t)
	if got := m.received + m.adjusted + found - picked; got != onHand {
		t.Fatalf("units unaccounted for: received %d + adjusted %d + found at pick %d − picked %d = %d, on hand %d",
			m.received, m.adjusted, found, picked, got, onHand)
	}
	for k, v := range books {
		if replayed[k] != v {
			t.Fatalf("row %s: on hand %d, the event log replays %d", k, v, replayed[k])
		}
	}
	for k, v := range replayed {
		if v != 0 && books[k] != v {
			t.Fatalf("row %s: the event log replays %d, on hand %d", k, v, books[k])
		}
	}
}

// replay rebuilds every row's on-hand from the event log alone, and
// totals the units picked and those a pick found beyond the books.
func (m *invModel) replay(t *rapid.T) (rows map[string]int, picked, found int) {
	rows = map[string]int{}
	key := func(sku, loc, lot string) string { return sku + "/" + loc + "/" + lot }
	var after uint64
	for {
		evs, err := m.db.Events(m.ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return rows, picked, found
		}
		for _, ev := range evs {
			after = ev.Seq
			var p struct {
				SKU      string `json:"sku"`
				Location string `json:"location"`
				Lot      string `json:"lot"`
				Delta    int    `json:"delta"`
				Reason   string `json:"reason"`
				From     string `json:"from"`
				To       string `json:"to"`
				Qty      int    `json:"qty"`
				Picked   int    `json:"picked"`
			}
			switch ev.Type {
			case pickwave.EventStockAdjusted, pickwave.EventStockMoved, pickwave.EventTaskPicked, pickwave.EventTaskShort:
				if err := json.Unmarshal(ev.Payload, &p); err != nil {
					t.Fatalf("event %d %s: %v", ev.Seq, ev.Type, err)
				}
			default:
				continue
			}
			switch ev.Type {
			case pickwave.EventStockAdjusted:
				rows[key(p.SKU, p.Location, p.Lot)] += p.Delta
				if p.Reason == "found_at_pick" {
					found += p.Delta
				}
			case pickwave.EventStockMoved:
				rows[key(p.SKU, p.From, p.Lot)] -= p.Qty
				rows[key(p.SKU, p.To, p.Lot)] += p.Qty
			default: // task.picked, task.short
				rows[key(p.SKU, p.Location, p.Lot)] -= p.Picked
				picked += p.Picked
			}
		}
	}
}

// modelChecks is how many sequences `make test` runs of each model of
// this package (TestInventoryModel, TestCarts_model); -rapid.checks runs
// more.
const modelChecks = 30

func TestInventoryModel(t *testing.T) {
	testenv.RapidChecks(t, modelChecks)
	rapid.Check(t, func(rt *rapid.T) {
		db := testenv.OpenStore(t, "", store.Options{NoSync: true})
		defer db.Close()
		ctx := context.Background()
		for _, s := range invSKUs {
			if err := db.CreateSKU(ctx, &pickwave.SKU{Code: s.code, Name: s.code, Barcodes: []pickwave.Barcode{{Code: s.each, Qty: 1}}, ReorderPoint: 10, ReorderQty: 50}); err != nil {
				rt.Fatal(err)
			}
		}
		for _, l := range invLocs {
			loc := *l
			if err := db.CreateLocation(ctx, &loc); err != nil {
				rt.Fatal(err)
			}
		}
		if err := db.SetLayout(ctx, pickwave.Layout{Aisles: 2, BaysPerAisle: 8, BayWidthM: 1.2, AislePitchM: 3, Depot: pickwave.Depot{Aisle: 1}}); err != nil {
			rt.Fatal(err)
		}
		m := &invModel{t: rt, db: db, ctx: ctx}
		rt.Repeat(map[string]func(*rapid.T){
			"receive":   m.receive,
			"putaway":   m.putaway,
			"adjust":    m.adjust,
			"pick":      m.pick,
			"count":     m.count,
			"move":      m.move,
			"replenish": m.replenish,
			"":          m.check,
		})
	})
}
