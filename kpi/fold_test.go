package kpi_test

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/kpi"
)

// memState is the fold's stored state in memory, kept as JSON as the
// store keeps it, so that what a fold writes must survive a round trip.
type memState struct {
	buckets map[kpi.Period][]byte
	orders  map[string][]byte
	pickers map[string][]byte
	carts   map[string][]byte
}

func newMemState() *memState {
	return &memState{buckets: map[kpi.Period][]byte{}, orders: map[string][]byte{}, pickers: map[string][]byte{}, carts: map[string][]byte{}}
}

func load[T any](m map[string][]byte, k string) (*T, error) {
	data, ok := m[k]
	if !ok {
		return nil, nil
	}
	v := new(T)
	return v, json.Unmarshal(data, v)
}

func (s *memState) Bucket(p kpi.Period) (*kpi.Bucket, error) {
	data, ok := s.buckets[p]
	if !ok {
		return nil, nil
	}
	b := new(kpi.Bucket)
	return b, json.Unmarshal(data, b)
}
func (s *memState) Order(id string) (*kpi.Track, error) { return load[kpi.Track](s.orders, id) }
func (s *memState) Picker(n string) (*kpi.PickerTrack, error) {
	return load[kpi.PickerTrack](s.pickers, n)
}
func (s *memState) Cart(id string) (*kpi.CartTrack, error) { return load[kpi.CartTrack](s.carts, id) }

func save[T any](t *rapid.T, m map[string][]byte, k string, v *T) {
	if v == nil {
		delete(m, k)
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	m[k] = data
}

// commit writes a fold's changes back, as the store does with the cursor.
func (s *memState) commit(t *rapid.T, f *kpi.Fold) {
	for p, b := range f.Buckets {
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		s.buckets[p] = data
	}
	for k, v := range f.Orders {
		save(t, s.orders, k, v)
	}
	for k, v := range f.Pickers {
		save(t, s.pickers, k, v)
	}
	for k, v := range f.Carts {
		save(t, s.carts, k, v)
	}
}

func (s *memState) figures(t *rapid.T, from, to time.Time) kpi.Figures {
	total := new(kpi.Bucket)
	for _, p := range kpi.Periods(from, to) {
		b, err := s.Bucket(p)
		if err != nil {
			t.Fatal(err)
		}
		if b != nil {
			total.Add(b)
		}
	}
	return kpi.Summarize(total, from, to)
}

var t0 = time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)

// genLog draws an event log that follows the floor's rules: orders are
// created before they are picked and shipped, carts assigned before their
// tasks, scans by a few pickers; times only grow, with pauses from
// seconds to a day.
func genLog(t *rapid.T) []*pickwave.Event {
	var (
		log     []*pickwave.Event
		now     = t0
		orders  []string
		picked  = map[string]bool{}
		carts   []string
		pickers = []string{"ann", "bob", "cy"}
		waves   = []string{"W-000001", "W-000002"}
	)
	add := func(typ, actor string, payload map[string]any) {
		data, _ := json.Marshal(payload)
		log = append(log, &pickwave.Event{Seq: uint64(len(log) + 1), Type: typ, Time: now, Actor: actor, Payload: data})
	}
	n := rapid.IntRange(0, 120).Draw(t, "events")
	for i := range n {
		now = now.Add(time.Duration(rapid.SampledFrom([]int64{0, 1, 7, 45, 200, 301, 900, 4000, 90000}).Draw(t, "pause")) * time.Second)
		picker := rapid.SampledFrom(pickers).Draw(t, "picker")
		switch rapid.IntRange(0, 9).Draw(t, "kind") {
		case 0:
			id := fmt.Sprintf("O-%d", i)
			orders = append(orders, id)
			p := map[string]any{"id": id}
			if rapid.Bool().Draw(t, "ship_by") {
				p["ship_by"] = now.Add(time.Duration(rapid.IntRange(1, 48).Draw(t, "due")) * time.Hour)
			}
			add(pickwave.EventOrderCreated, "api", p)
		case 1, 2:
			if len(orders) == 0 {
				continue
			}
			id := rapid.SampledFrom(orders).Draw(t, "order")
			typ := rapid.SampledFrom([]string{pickwave.EventOrderPicked, pickwave.EventOrderPicked, pickwave.EventOrderShipped, pickwave.EventOrderCancelled}).Draw(t, "order event")
			if typ == pickwave.EventOrderShipped {
				add(typ, "dock", map[string]any{"order_id": id, "shipment_id": "SH-1"})
			} else {
				add(typ, "x", map[string]any{"id": id})
			}
			picked[id] = true
		case 3:
			cart := fmt.Sprintf("C-%d", i)
			carts = append(carts, cart)
			add(pickwave.EventCartAssigned, picker, map[string]any{"cart": cart, "wave": rapid.SampledFrom(waves).Draw(t, "wave"), "picker": picker})
		case 4, 5, 6:
			p := map[string]any{"picker": picker, "code": rapid.SampledFrom([]string{"ok", "ok", "ok", "wrong_item", "no_task", "wrong_location"}).Draw(t, "code")}
			if len(carts) > 0 {
				p["cart"] = rapid.SampledFrom(carts).Draw(t, "cart")
			}
			add(pickwave.EventScanJudged, picker, p)
		case 7:
			if len(carts) == 0 {
				continue
			}
			qty := rapid.IntRange(1, 5).Draw(t, "qty")
			pk := rapid.IntRange(0, qty).Draw(t, "picked")
			typ := pickwave.EventTaskPicked
			if pk < qty {
				typ = pickwave.EventTaskShort
			}
			p := map[string]any{"cart": rapid.SampledFrom(carts).Draw(t, "cart"), "wave": rapid.SampledFrom(waves).Draw(t, "wave"), "qty": qty, "picked": pk, "short": qty - pk}
			if rapid.Bool().Draw(t, "named") {
				p["picker"] = picker
			}
			add(typ, picker, p)
		case 8:
			if len(carts) == 0 {
				continue
			}
			add(pickwave.EventCartDone, picker, map[string]any{"cart": rapid.SampledFrom(carts).Draw(t, "cart"), "distance_m": float64(rapid.IntRange(0, 400).Draw(t, "m")) / 2})
		case 9:
			add(rapid.SampledFrom([]string{pickwave.EventPackScanned, pickwave.EventMispickAtPack, pickwave.EventStockAdjusted}).Draw(t, "pack"), "packer", map[string]any{"station_id": "PACK-1"})
		}
	}
	return log
}

// recompute is the formulas of docs/kpis.md applied to the whole log at
// once, written without the fold: the model the fold must agree with.
func recompute(log []*pickwave.Event, from, to time.Time) kpi.Figures {
	type order struct {
		received time.Time
		shipBy   time.Time
		picked   bool
		closed   bool
	}
	var (
		b          kpi.Bucket
		orders     = map[string]*order{}
		lastScan   = map[string]time.Time{}
		cartWave   = map[string]string{}
		cartUnits  = map[string]int{}
		pickedDur  []time.Duration
		shippedDur []time.Duration
	)
	work := func(m *map[string]*kpi.Work, k string) *kpi.Work {
		if *m == nil {
			*m = map[string]*kpi.Work{}
		}
		if (*m)[k] == nil {
			(*m)[k] = &kpi.Work{}
		}
		return (*m)[k]
	}
	for _, ev := range log {
		var p struct {
			ID, Picker, Cart, Wave, Code string
			OrderID                      string    `json:"order_id"`
			ShipBy                       time.Time `json:"ship_by"`
			Picked, Short                int
			DistanceM                    float64 `json:"distance_m"`
		}
		json.Unmarshal(ev.Payload, &p)
		if p.OrderID == "" {
			p.OrderID = p.ID
		}
		in := !ev.Time.Before(from) && ev.Time.Before(to)
		picker := p.Picker
		if picker == "" {
			picker = ev.Actor
		}
		switch ev.Type {
		case pickwave.EventOrderCreated:
			orders[p.ID] = &order{received: ev.Time, shipBy: p.ShipBy}
		case pickwave.EventOrderPicked:
			if o := orders[p.ID]; o != nil && !o.closed && !o.picked {
				o.picked = true
				if in {
					pickedDur = append(pickedDur, ev.Time.Sub(o.received))
				}
			}
		case pickwave.EventOrderShipped:
			if o := orders[p.OrderID]; o != nil && !o.closed {
				o.closed = true
				if in {
					shippedDur = append(shippedDur, ev.Time.Sub(o.received))
					if !o.shipBy.IsZero() {
						b.ShippedDue++
						if !ev.Time.After(o.shipBy) {
							b.OnTime++
						}
					}
				}
			}
		case pickwave.EventOrderCancelled:
			if o := orders[p.ID]; o != nil {
				o.closed = true
			}
		case pickwave.EventScanJudged:
			var active int64
			if last, ok := lastScan[picker]; ok && ev.Time.Sub(last) > 0 && ev.Time.Sub(last) <= kpi.MaxGap {
				active = int64(ev.Time.Sub(last))
			}
			lastScan[picker] = ev.Time
			if !in {
				continue
			}
			b.PickScans++
			if p.Code != "ok" && p.Code != "no_task" {
				b.WrongScans++
			}
			w := work(&b.Pickers, picker)
			w.Scans++
			w.ActiveNS += active
			if wv := cartWave[p.Cart]; wv != "" {
				w := work(&b.Waves, wv)
				w.Scans++
				w.ActiveNS += active
			}
		case pickwave.EventTaskPicked, pickwave.EventTaskShort:
			if _, ok := cartWave[p.Cart]; ok {
				cartUnits[p.Cart] += p.Picked
			}
			if !in {
				continue
			}
			b.Picks++
			b.Units += p.Picked
			if p.Short > 0 || ev.Type == pickwave.EventTaskShort {
				b.ShortPicks++
				b.UnitsShort += p.Short
			}
			w := work(&b.Pickers, picker)
			w.Picks++
			w.Units += p.Picked
			w = work(&b.Waves, p.Wave)
			w.Picks++
			w.Units += p.Picked
		case pickwave.EventCartAssigned:
			cartWave[p.Cart] = p.Wave
		case pickwave.EventCartDone:
			units := cartUnits[p.Cart]
			delete(cartWave, p.Cart)
			delete(cartUnits, p.Cart)
			if in {
				b.WalkM += p.DistanceM
				b.WalkUnits += units
			}
		case pickwave.EventPackScanned:
			if in {
				b.PackScans++
			}
		case pickwave.EventMispickAtPack:
			if in {
				b.PackScans++
				b.PackMispicks++
			}
		}
	}
	for _, d := range pickedDur {
		b.Picked = addHist(b.Picked, d)
	}
	for _, d := range shippedDur {
		b.Shipped = addHist(b.Shipped, d)
	}
	return kpi.Summarize(&b, from, to)
}

func addHist(h kpi.Hist, d time.Duration) kpi.Hist {
	if h == nil {
		h = kpi.Hist{}
	}
	h[kpi.Bin(d)]++
	return h
}

// TestFold_model folds a random log in random batches, through the
// stored form, and checks every figure of random whole-hour ranges
// against a recomputation from the whole log.
func TestFold_model(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		log := genLog(t)
		state := newMemState()
		for i := 0; i < len(log); {
			n := rapid.IntRange(1, 20).Draw(t, "batch")
			f := kpi.NewFold(state)
			for _, ev := range log[i:min(i+n, len(log))] {
				if err := f.Apply(ev); err != nil {
					t.Fatal(err)
				}
			}
			state.commit(t, f)
			i += n
		}
		end := t0.Add(24 * 8 * time.Hour)
		if len(log) > 0 {
			end = log[len(log)-1].Time.Truncate(time.Hour).Add(time.Hour)
		}
		span := int(end.Sub(t0) / time.Hour)
		a := rapid.IntRange(0, span).Draw(t, "from")
		z := rapid.IntRange(a+1, span+1).Draw(t, "to")
		from, to := t0.Add(time.Duration(a)*time.Hour), t0.Add(time.Duration(z)*time.Hour)
		got, want := state.figures(t, from, to), recompute(log, from, to)
		if !reflect.DeepEqual(got, want) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			t.Fatalf("range %s..%s:\nfold      %s\nrecompute %s", from, to, gj, wj)
		}
	})
}

func TestHist_binsAndPercentiles(t *testing.T) {
	for _, s := range []float64{0, 0.5, 1, 1.04, 1.05, 2, 59, 60, 61, 3600, 86400 * 30} {
		d := time.Duration(s * float64(time.Second))
		b := kpi.Bin(d)
		if b > 0 && (s < math.Pow(1.05, float64(b-1)) || s >= math.Pow(1.05, float64(b))) {
			t.Errorf("%gs in bin %d [%g, %g)", s, b, math.Pow(1.05, float64(b-1)), math.Pow(1.05, float64(b)))
		}
		if up := kpi.BinUpper(b); float64(up) < s || float64(up) > s*1.05+1 {
			t.Errorf("%gs: bin %d reports %d s", s, b, up)
		}
	}
	h := kpi.Hist{}
	for _, s := range []int{60, 120, 180, 240, 300, 360, 420, 480, 540, 3600} {
		h[kpi.Bin(time.Duration(s)*time.Second)]++
	}
	p50, _ := h.Percentile(0.5) // the 5th of 10: 300 s
	p90, _ := h.Percentile(0.9) // the 9th: 540 s
	if p50 < 300 || p50 > 316 || p90 < 540 || p90 > 568 {
		t.Fatalf("p50 %d, p90 %d; want 300 and 540 s within 5 %%", p50, p90)
	}
	if _, ok := (kpi.Hist{}).Percentile(0.5); ok {
		t.Fatal("an empty histogram has a percentile")
	}
}

func TestPeriods_daysInsideHoursAtTheEnds(t *testing.T) {
	from := time.Date(2026, 11, 1, 22, 0, 0, 0, time.UTC)
	to := time.Date(2026, 11, 4, 2, 0, 0, 0, time.UTC)
	ps := kpi.Periods(from, to)
	var hours, days int
	covered := time.Duration(0)
	for _, p := range ps {
		if p.Day {
			days++
			covered += 24 * time.Hour
		} else {
			hours++
			covered += time.Hour
		}
	}
	if days != 2 || hours != 4 || covered != to.Sub(from) {
		t.Fatalf("%d days and %d hours covering %s, want 2, 4 and %s", days, hours, covered, to.Sub(from))
	}
}
