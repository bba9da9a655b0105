package wave

import (
	"fmt"
	"github.com/pickwave/pickwave"
	"math/rand/v2"
	"time"
)

// instance is one generated planning problem.
type instance struct {
	name   string
	layout pickwave.Layout
	orders []Demand
	opts   Options
}

var t0 = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

// genInstance makes a site of aisles × bays (bays 1.3 m, pitch 3 m, depot at
// aisle 1 front), one SKU per location (two sides, two levels per bay)
// slotted at random, SKU popularity Zipf-like (weight 1/rank), and orders of
// 1–5 distinct lines of 1–3 units. Units are 50–250 mm a side and totes
// 600×400×300 mm filled to 80 %, so a few large orders need two totes.
func genInstance(aisles, bays, nOrders int, seed uint64) instance {
	rng := rand.New(rand.NewPCG(seed, uint64(aisles*1000+bays)))
	l := pickwave.Layout{Aisles: aisles, BaysPerAisle: bays, BayWidthM: 1.3, AislePitchM: 3, CrossAisles: 2, Depot: pickwave.Depot{Aisle: 1, End: pickwave.DepotFront}}
	type sku struct {
		id   string
		loc  string
		pos  Position
		dims pickwave.Dims
	}
	var skus []sku
	for a := 1; a <= aisles; a++ {
		for b := 1; b <= bays; b++ {
			for _, side := range []string{"L", "R"} {
				for lvl := 1; lvl <= 2; lvl++ {
					skus = append(skus, sku{
						loc: fmt.Sprintf("A%02d-%02d-%s%d", a, b, side, lvl), pos: Position{a, b},
						dims: pickwave.Dims{LengthMM: 50 + 200*rng.Float64(), WidthMM: 50 + 200*rng.Float64(), HeightMM: 50 + 200*rng.Float64()},
					})
				}
			}
		}
	}
	rng.Shuffle(len(skus), func(i, j int) { skus[i], skus[j] = skus[j], skus[i] })
	cum := make([]float64, len(skus))
	acc := 0.0
	for i := range skus {
		skus[i].id = fmt.Sprintf("SKU%05d", i)
		acc += 1 / float64(i+1)
		cum[i] = acc
	}
	draw := func() int {
		x := rng.Float64() * acc
		lo, hi := 0, len(cum)-1
		for lo < hi {
			m := (lo + hi) / 2
			if cum[m] < x {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return lo
	}
	orders := make([]Demand, nOrders)
	for i := range orders {
		o := Demand{
			ID: fmt.Sprintf("O%05d", i+1), Status: pickwave.OrderAllocated, Carrier: []string{"ups", "dhl", "fedex"}[rng.IntN(3)],
			Service: "ground", CreatedAt: t0.Add(time.Duration(i) * time.Minute),
			ShipBy: t0.Add(time.Duration(4+rng.IntN(8)) * time.Hour), Priority: rng.IntN(3),
		}
		nl := 1 + rng.IntN(5)
		used := map[int]bool{}
		for len(o.Lines) < nl {
			s := draw()
			if used[s] {
				continue
			}
			used[s] = true
			k := skus[s]
			o.Lines = append(o.Lines, Line{SKU: k.id, Qty: 1 + rng.IntN(3), Location: k.loc, Aisle: k.pos.Aisle, Bay: k.pos.Bay,
				Zone: fmt.Sprintf("Z%d", 1+(k.pos.Aisle-1)*2/aisles), Unit: k.dims})
		}
		orders[i] = o
	}
	return instance{
		name:   fmt.Sprintf("%dx%d/%d", aisles, bays, nOrders),
		layout: l,
		orders: orders,
		opts:   Options{TotesPerCart: 8, Tote: pickwave.ToteCapacity{Inner: pickwave.Dims{LengthMM: 600, WidthMM: 400, HeightMM: 300}, FillFactor: 0.8}, Seed: seed},
	}
}

// cartsLength sums the exact route lengths of carts given as unit lists.
func cartsLength(r *Router, units []unit, carts [][]int32) float64 {
	total := 0.0
	var keys []uint32
	for _, c := range carts {
		keys = keys[:0]
		for _, u := range c {
			keys = append(keys, units[u].keys...)
		}
		sortKeys(keys)
		total += r.length(keys)
	}
	return total
}

func sortKeys(k []uint32) {
	for i := 1; i < len(k); i++ {
		for j := i; j > 0 && k[j] < k[j-1]; j-- {
			k[j], k[j-1] = k[j-1], k[j]
		}
	}
}

func pct(a, b float64) float64 { return 100 * (1 - a/b) }
