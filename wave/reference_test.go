package wave

import (
	"math"
	"math/rand/v2"
	"slices"
)

// referencePlan is the plain planner the batching target is measured
// against (reference/wave-routing.md): carts seeded by the orders' mean
// position, then random swap/move local search with exact routing.
//
// Seeding: the unassigned order whose mean pick position is farthest from
// the depot (rectilinear) seeds a cart; the unassigned orders whose mean
// positions are nearest the cart's mean join while they fit. Search: tries
// times, pick two carts at random and a random order of the first; with
// even odds move it to the second (if it fits) or swap it with a random
// order of the second (if both fit); keep the change when the summed exact
// route length drops.
func referencePlan(r *Router, units []unit, capT int, seed uint64, tries int) [][]int32 {
	n := len(units)
	mx, my := make([]float64, n), make([]float64, n)
	for i, u := range units {
		for _, k := range u.keys {
			s := r.f.keySpot(k)
			mx[i] += float64(s.aisle-1) * r.f.pitch
			my[i] += s.y
		}
		mx[i] /= float64(len(u.keys))
		my[i] /= float64(len(u.keys))
	}
	dx := float64(r.f.depot-1) * r.f.pitch
	assigned := make([]bool, n)
	var carts [][]int32
	for left := n; left > 0; {
		seedU, far := -1, -1.0
		for i := range n {
			if d := math.Abs(mx[i]-dx) + my[i]; !assigned[i] && d > far {
				seedU, far = i, d
			}
		}
		cart := []int32{int32(seedU)}
		assigned[seedU] = true
		left--
		load := len(units[seedU].totes)
		cx, cy := mx[seedU], my[seedU]
		for load < capT && left > 0 {
			best, bd := -1, math.Inf(1)
			for i := range n {
				if assigned[i] || load+len(units[i].totes) > capT {
					continue
				}
				if d := math.Abs(mx[i]-cx) + math.Abs(my[i]-cy); d < bd {
					best, bd = i, d
				}
			}
			if best < 0 {
				break
			}
			cart = append(cart, int32(best))
			assigned[best] = true
			left--
			load += len(units[best].totes)
			cx, cy = 0, 0
			for _, u := range cart {
				cx += mx[u]
				cy += my[u]
			}
			cx /= float64(len(cart))
			cy /= float64(len(cart))
		}
		carts = append(carts, cart)
	}

	loads := make([]int, len(carts))
	costs := make([]float64, len(carts))
	var keys []uint32
	cost := func(c []int32) float64 {
		keys = keys[:0]
		for _, u := range c {
			keys = append(keys, units[u].keys...)
		}
		slices.Sort(keys)
		return r.length(keys)
	}
	for i, c := range carts {
		costs[i] = cost(c)
		for _, u := range c {
			loads[i] += len(units[u].totes)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 77))
	if len(carts) < 2 {
		return carts
	}
	for range tries {
		a := rng.IntN(len(carts))
		b := rng.IntN(len(carts) - 1)
		if b >= a {
			b++
		}
		if len(carts[a]) == 0 {
			continue
		}
		i := rng.IntN(len(carts[a]))
		u := carts[a][i]
		su := len(units[u].totes)
		if rng.IntN(2) == 0 {
			if loads[b]+su > capT {
				continue
			}
			na := slices.Delete(slices.Clone(carts[a]), i, i+1)
			nb := append(slices.Clone(carts[b]), u)
			ca, cb := cost(na), cost(nb)
			if ca+cb < costs[a]+costs[b]-1e-9 {
				carts[a], carts[b] = na, nb
				costs[a], costs[b] = ca, cb
				loads[a] -= su
				loads[b] += su
			}
			continue
		}
		if len(carts[b]) == 0 {
			continue
		}
		j := rng.IntN(len(carts[b]))
		v := carts[b][j]
		sv := len(units[v].totes)
		if loads[a]-su+sv > capT || loads[b]-sv+su > capT {
			continue
		}
		na, nb := slices.Clone(carts[a]), slices.Clone(carts[b])
		na[i], nb[j] = v, u
		ca, cb := cost(na), cost(nb)
		if ca+cb < costs[a]+costs[b]-1e-9 {
			carts[a], carts[b] = na, nb
			costs[a], costs[b] = ca, cb
			loads[a] += sv - su
			loads[b] += su - sv
		}
	}
	return slices.DeleteFunc(carts, func(c []int32) bool { return len(c) == 0 })
}
