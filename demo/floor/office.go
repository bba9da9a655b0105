package floor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
)

// The office: the web shop sending orders, goods receipt, and the
// supervisor who plans waves and settles cycle counts.

const (
	// superviseEvery is how often (floor time) the supervisor looks at
	// the carts out on the floor.
	superviseEvery = 15 * time.Second
	// countEvery is how often (floor time) the supervisor settles the
	// cycle counts shorts raised.
	countEvery = 2 * time.Minute
	// receiveExtra units come with each goods receipt beyond the missing.
	receiveExtra = 24
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// shop sends an order every OrderEvery of floor time, give or take half.
func (f *Floor) shop(ctx context.Context, rng *mrand.Rand) {
	zipf := mrand.NewZipf(rng, 1.2, 8, uint64(len(f.skus)-1))
	for n := 1; ; n++ {
		every := f.cfg.OrderEvery
		if !f.wait(ctx, every/2+time.Duration(rng.Int63n(int64(every)))) {
			return
		}
		in := demo.ShopOrder(rng, fmt.Sprintf("LIVE-%s-%05d", f.stamp, n), 200000+n, time.Now())
		cs := demo.Carriers[rng.Intn(len(demo.Carriers))]
		in.Carrier, in.Service = cs.Carrier, cs.Service
		seen := map[int]bool{}
		for lines := demo.LinesPerOrder(rng); len(in.Lines) < lines && len(seen) < len(f.skus); {
			k := int(zipf.Uint64())
			if seen[k] {
				continue
			}
			seen[k] = true
			qty := 1
			if rng.Intn(6) == 0 {
				qty = 2
			}
			in.Lines = append(in.Lines, pickwave.LineInput{SKU: f.skus[k], Qty: qty})
		}
		o, _, err := f.admin.Orders.CreateOrder(ctx, in)
		if err != nil {
			f.warn(ctx, "demo floor: the shop's order was not taken", "external_id", in.ExternalID, "err", err)
			continue
		}
		f.count(func(s *Stats) { s.Orders++ })
		if o.Status == pickwave.OrderBackordered {
			f.receive(ctx, o)
		}
	}
}

// allocatedMeanwhile reports whether err refused the allocation of an
// order that is no longer backordered.
func (f *Floor) allocatedMeanwhile(ctx context.Context, id string, err error) bool {
	if pickwave.ErrorCode(err) != pickwave.ECONFLICT {
		return false
	}
	o, err := f.admin.Orders.Order(ctx, id)
	return err == nil && o.Status != pickwave.OrderBackordered
}

// receive books goods in for a backordered order's missing units, at a
// location that holds the SKU, and allocates the order again.
func (f *Floor) receive(ctx context.Context, o *pickwave.Order) {
	for _, l := range o.Lines {
		if l.Missing() <= 0 {
			continue
		}
		rows, err := f.admin.Inventory.StockOf(ctx, l.SKU)
		if err != nil || len(rows) == 0 {
			f.warn(ctx, "demo floor: nowhere to receive", "sku", l.SKU, "err", err)
			return
		}
		row := rows[0]
		for _, r := range rows {
			if r.CountID == "" {
				row = r
				break
			}
		}
		adj := &pickwave.Adjustment{SKU: l.SKU, Location: row.Location, Lot: row.Lot, Expiry: row.Expiry,
			Delta: l.Missing() + receiveExtra, Reason: "receipt"}
		if _, err := f.admin.Inventory.AdjustStock(ctx, adj); err != nil {
			f.warn(ctx, "demo floor: goods receipt refused", "sku", l.SKU, "location", row.Location, "err", err)
			return
		}
	}
	// The receipt itself retries the SKU's backorders (store/inventory.go),
	// so the order is often allocated already; allocating it again is
	// refused then, and that is no fault.
	if _, err := f.admin.Orders.AllocateOrder(ctx, o.ID); err != nil && !f.allocatedMeanwhile(ctx, o.ID, err) {
		f.warn(ctx, "demo floor: allocate after goods receipt", "order", o.ID, "err", err)
		return
	}
	f.count(func(s *Stats) { s.Received++ })
}

// supervise keeps enough carts out for the pickers and SpareCarts more,
// and now and then settles the open cycle counts.
func (f *Floor) supervise(ctx context.Context) {
	lastCount := time.Now()
	for seed := uint64(1); ; seed++ {
		f.planIfShort(ctx, seed)
		if f.floorSince(lastCount) >= countEvery {
			lastCount = time.Now()
			f.settleCounts(ctx)
		}
		if !f.wait(ctx, superviseEvery) {
			return
		}
	}
}

// planIfShort plans and releases a wave when fewer carts are out (waiting
// or being picked) than pickers plus spares.
func (f *Floor) planIfShort(ctx context.Context, seed uint64) {
	waves, err := f.admin.Waves.Waves(ctx, 100)
	if err != nil {
		f.warn(ctx, "demo floor: list waves", "err", err)
		return
	}
	out := 0
	for _, w := range waves {
		if w.Status == pickwave.WaveReleased {
			out += w.Progress.Carts - w.Progress.CartsDone
		}
	}
	want := f.cfg.Pickers + f.cfg.SpareCarts
	if out >= want {
		return
	}
	tmpl := pickwave.WaveTemplate{Name: "demo floor", TotesPerCart: f.cfg.TotesPerCart, MaxCarts: want - out}
	w, err := f.admin.Planner.PlanWave(ctx, tmpl, seed)
	switch code := pickwave.ErrorCode(err); {
	case err == nil:
	case code == pickwave.ECONFLICT:
		return // no allocated order waits: the shop sends more
	default:
		f.warn(ctx, "demo floor: plan a wave", "err", err)
		return
	}
	if _, err := f.admin.Waves.ReleaseWave(ctx, w.ID); err != nil {
		if ctx.Err() == nil {
			// Orders changed since planning (someone released them):
			// the planned wave stays as a preview; plan again next time.
			f.log.Info("demo floor: wave not released", "wave", w.ID, "err", err)
		}
		return
	}
	f.count(func(s *Stats) { s.Waves++ })
	f.log.Info("demo floor: wave released", "wave", w.ID, "orders", len(w.Orders), "carts", len(w.Plan.Carts))
}

// settleCounts confirms the open cycle counts: the supervisor counted the
// shelf and found what the books said (a picker's short was a miss).
func (f *Floor) settleCounts(ctx context.Context) {
	counts, err := f.admin.Inventory.Counts(ctx, pickwave.CountFilter{Status: pickwave.CountOpen}, "", 50)
	if err != nil {
		f.warn(ctx, "demo floor: list cycle counts", "err", err)
		return
	}
	for _, c := range counts {
		counted := c.Expected
		if c.Found != nil {
			counted = *c.Found
		}
		conf := pickwave.CountConfirmation{Counted: &counted, Note: "demo floor: counted by the supervisor"}
		if _, err := f.admin.Inventory.ConfirmCount(ctx, c.ID, conf); err != nil {
			if ctx.Err() == nil {
				f.log.Info("demo floor: cycle count not settled", "count", c.ID, "err", err)
			}
			continue
		}
		f.count(func(s *Stats) { s.Counts++ })
	}
}
