// Package demo seeds a believable demo warehouse through the same service
// interfaces the API uses: a rectangular site of aisles, bays and levels,
// SKUs with valid GTINs (some lot- and expiry-tracked, some with case
// barcodes), stock, open orders with skewed SKU popularity, and users.
//
// The data is a function of the seed and the start time, so two runs with
// the same inputs build the same warehouse; the pickers' badges are a
// function of Site.BadgeKey, random unless given. Only the order of the
// events differs: users, locations and SKUs with their stock are written
// sixteen at a time (orders one by one, in order, as their allocation
// depends on it).
package demo

import (
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
)

// Services are what seeding needs.
type Services interface {
	pickwave.InventoryService
	pickwave.OrderService
	pickwave.UserService
	CreateInbound(ctx context.Context, in *pickwave.InboundInput) (*pickwave.InboundNotice, bool, error)
	SetLayout(ctx context.Context, l pickwave.Layout) error
}

// Site is the shape of the demo warehouse.
type Site struct {
	Aisles, Bays, Levels int
	SKUs, Orders         int
	Seed                 int64
	Now                  time.Time
	// BadgeKey derives the pickers' badges (see Badge); nil means a new
	// random key, so that a demo site's badges cannot be guessed from
	// this source. Tests pass a key of their own to know the badges.
	BadgeKey []byte
}

// DefaultSite is what `pickwave serve --demo` seeds.
func DefaultSite(now time.Time) Site {
	return Site{Aisles: 10, Bays: 20, Levels: 4, SKUs: 500, Orders: 200, Seed: 1, Now: now}
}

// Password is every demo user's password.
const Password = "pickwave"

// DropOff is where the demo's finished carts are left: the staging lane
// in front of pack station PACK-1, at the depot (layout depot.drop_off).
const DropOff = "Pack staging lane 1, by PACK-1"

// Users are the demo logins; the README lists them. Seed gives each
// picker a badge (see Badge).
var Users = []pickwave.User{
	{Name: "admin", Role: pickwave.RoleAdmin},
	{Name: "supervisor", Role: pickwave.RoleSupervisor},
	{Name: "packer", Role: pickwave.RolePacker},
	{Name: "picker1", Role: pickwave.RolePicker},
	{Name: "picker2", Role: pickwave.RolePicker},
	{Name: "picker3", Role: pickwave.RolePicker},
}

// Badge is the badge Seed gives the picker user with key: "B" and twelve
// hex digits of an HMAC of the name. Badges used to be B0001, B0002...,
// which anyone on the floor network could guess in a second.
func Badge(key []byte, user string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(user))
	return "B" + strings.ToUpper(hex.EncodeToString(mac.Sum(nil)[:6]))
}

// LocationCode names the bin at an aisle, bay and level: A03-12-2.
func LocationCode(aisle, bay, level int) string {
	return fmt.Sprintf("A%02d-%02d-%d", aisle, bay, level)
}

// Seed fills empty services with the demo site.
func Seed(ctx context.Context, svc Services, site Site) error {
	actx := pickwave.WithActor(ctx, "demo")
	rng := rand.New(rand.NewSource(site.Seed))
	key := site.BadgeKey
	if key == nil {
		key = make([]byte, 32)
		if _, err := crand.Read(key); err != nil {
			return fmt.Errorf("seed badge key: %w", err)
		}
	}
	users := make([]pickwave.User, len(Users))
	for i, u := range Users {
		if u.Role == pickwave.RolePicker {
			u.Badge = Badge(key, u.Name)
		}
		users[i] = u
	}
	if err := each(actx, len(users), func(ctx context.Context, i int) error {
		if err := svc.CreateUser(ctx, &users[i], Password); err != nil {
			return fmt.Errorf("seed user %s: %w", users[i].Name, err)
		}
		return nil
	}); err != nil {
		return err
	}
	// Levels below the top are picked from; the top level holds reserve.
	var locs, picks []*pickwave.Location
	for a := 1; a <= site.Aisles; a++ {
		zone := "A"
		if a > (site.Aisles+1)/2 {
			zone = "B"
		}
		for b := 1; b <= site.Bays; b++ {
			for l := 1; l <= site.Levels; l++ {
				loc := &pickwave.Location{Code: LocationCode(a, b, l), Zone: zone, Aisle: a, Bay: b, Level: l, Kind: pickwave.LocationPick}
				if l == site.Levels && site.Levels > 1 {
					loc.Kind = pickwave.LocationReserve
				} else {
					picks = append(picks, loc)
				}
				locs = append(locs, loc)
			}
		}
	}
	if err := each(actx, len(locs), func(ctx context.Context, i int) error {
		if err := svc.CreateLocation(ctx, locs[i]); err != nil {
			return fmt.Errorf("seed location %s: %w", locs[i].Code, err)
		}
		return nil
	}); err != nil {
		return err
	}
	// Bays 1.3 m wide, aisles 3 m apart centre to centre, the depot (pack
	// area) at the front of aisle 1, where finished carts wait for PACK-1.
	layout := pickwave.Layout{Aisles: site.Aisles, BaysPerAisle: site.Bays, BayWidthM: 1.3, AislePitchM: 3,
		CrossAisles: 2, Depot: pickwave.Depot{Aisle: 1, End: pickwave.DepotFront, DropOff: DropOff}}
	if err := svc.SetLayout(actx, layout); err != nil {
		return fmt.Errorf("seed layout: %w", err)
	}
	rng.Shuffle(len(picks), func(i, j int) { picks[i], picks[j] = picks[j], picks[i] })

	skus := make([]*pickwave.SKU, site.SKUs)
	receipts := make([][]pickwave.Adjustment, site.SKUs)
	for i := range skus {
		sku, err := newSKU(rng, i)
		if err != nil {
			return err
		}
		skus[i], receipts[i] = sku, stock(rng, sku, picks[i%len(picks)], site)
	}
	if err := each(actx, len(skus), func(ctx context.Context, i int) error {
		if err := svc.CreateSKU(ctx, skus[i]); err != nil {
			return fmt.Errorf("seed SKU %s: %w", skus[i].Code, err)
		}
		for _, adj := range receipts[i] {
			if _, err := svc.AdjustStock(ctx, &adj); err != nil {
				return fmt.Errorf("seed stock of %s at %s: %w", adj.SKU, adj.Location, err)
			}
		}
		return nil
	}); err != nil {
		return err
	}

	// Popularity is skewed: a few SKUs are in most orders.
	zipf := rand.NewZipf(rng, 1.2, 8, uint64(len(skus)-1))
	for n := 0; n < site.Orders; n++ {
		in := newOrder(rng, n, site.Now)
		cs := Carriers[rng.Intn(len(Carriers))]
		in.Carrier, in.Service = cs.Carrier, cs.Service
		lines := LinesPerOrder(rng)
		seen := map[int]bool{}
		for len(in.Lines) < lines {
			k := int(zipf.Uint64())
			if seen[k] {
				continue
			}
			seen[k] = true
			qty := 1
			if rng.Intn(5) == 0 {
				qty = 2 + rng.Intn(3)
			}
			in.Lines = append(in.Lines, pickwave.LineInput{SKU: skus[k].Code, Qty: qty})
		}
		if _, _, err := svc.CreateOrder(actx, in); err != nil {
			return fmt.Errorf("seed order %s: %w", in.ExternalID, err)
		}
	}
	return seedInbound(actx, svc, site)
}

// LinesPerOrder follows a typical e-commerce mix: most orders have one
// or two lines, a few up to five.
func LinesPerOrder(rng *rand.Rand) int {
	switch p := rng.Intn(100); {
	case p < 45:
		return 1
	case p < 70:
		return 2
	case p < 85:
		return 3
	case p < 95:
		return 4
	}
	return 5
}

// Carriers are the carriers and services the demo's orders ship with.
var Carriers = []struct{ Carrier, Service string }{
	{"UPS", "Ground"}, {"UPS", "Next Day Air"}, {"FedEx", "Home Delivery"}, {"USPS", "Priority Mail"},
}

var (
	adjectives = []string{"Classic", "Compact", "Deluxe", "Eco", "Heavy-duty", "Mini", "Pro", "Soft", "Travel", "Ultra"}
	products   = []struct {
		name    string
		weightG int
		dims    [3]int
		perish  bool
		caseQty int
	}{
		{"water bottle 750 ml", 320, [3]int{75, 75, 260}, false, 12},
		{"coffee beans 1 kg", 1010, [3]int{120, 80, 250}, true, 6},
		{"phone case", 60, [3]int{90, 20, 170}, false, 0},
		{"LED desk lamp", 900, [3]int{150, 150, 420}, false, 0},
		{"vitamin C tablets 60", 120, [3]int{50, 50, 100}, true, 24},
		{"hand cream 75 ml", 95, [3]int{40, 30, 150}, true, 12},
		{"notebook A5", 250, [3]int{150, 15, 210}, false, 10},
		{"USB-C cable 1 m", 45, [3]int{100, 20, 150}, false, 20},
		{"yoga mat", 1100, [3]int{120, 120, 620}, false, 0},
		{"dog treats 500 g", 520, [3]int{160, 60, 240}, true, 8},
		{"running socks", 80, [3]int{100, 30, 200}, false, 0},
		{"kitchen scissors", 180, [3]int{90, 20, 230}, false, 0},
		{"green tea 40 bags", 110, [3]int{130, 70, 80}, true, 12},
		{"bluetooth speaker", 540, [3]int{180, 70, 70}, false, 0},
		{"sunscreen SPF 50", 210, [3]int{55, 40, 170}, true, 12},
	}
)

// companyPrefix is GS1's documented example company prefix.
const companyPrefix = "0614141"

func newSKU(rng *rand.Rand, i int) (*pickwave.SKU, error) {
	p := products[i%len(products)]
	adj := adjectives[(i/len(products))%len(adjectives)]
	body := fmt.Sprintf("%s%04d", companyPrefix, i+1)
	cd, err := gs1.CheckDigit(body)
	if err != nil {
		return nil, fmt.Errorf("check digit for %s: %w", body, err)
	}
	upc := body + string(cd)
	sku := &pickwave.SKU{
		Code:     fmt.Sprintf("SKU-%04d", i+1),
		Name:     fmt.Sprintf("%s %s", adj, p.name),
		Barcodes: []pickwave.Barcode{{Code: upc, Qty: 1}},
		WeightG:  p.weightG + rng.Intn(p.weightG/10+1),
		LengthMM: p.dims[0], WidthMM: p.dims[1], HeightMM: p.dims[2],
	}
	if p.perish {
		sku.LotTracked, sku.ExpiryTracked = true, true
	} else if i%20 == 7 {
		sku.LotTracked = true // e.g. electronics tracked by production batch
	}
	if p.caseQty > 0 && i%3 == 0 {
		caseBody := "1" + ("0" + upc)[:12]
		cd, err := gs1.CheckDigit(caseBody)
		if err != nil {
			return nil, fmt.Errorf("check digit for %s: %w", caseBody, err)
		}
		sku.Barcodes = append(sku.Barcodes, pickwave.Barcode{Code: caseBody + string(cd), Qty: p.caseQty})
	}
	return sku, nil
}

// stock is how the SKU is received into its pick location (two lots with
// different expiries for expiry-tracked SKUs) and, for some, a reserve
// pallet.
func stock(rng *rand.Rand, sku *pickwave.SKU, pick *pickwave.Location, site Site) []pickwave.Adjustment {
	receipt := func(loc, lot string, expiry *time.Time, qty int) pickwave.Adjustment {
		return pickwave.Adjustment{SKU: sku.Code, Location: loc, Lot: lot, Expiry: expiry, Delta: qty, Reason: "receipt"}
	}
	day := site.Now.UTC().Truncate(24 * time.Hour)
	switch {
	case sku.ExpiryTracked:
		var out []pickwave.Adjustment
		for k, days := range []int{45 + rng.Intn(30), 180 + rng.Intn(120)} {
			exp := day.AddDate(0, 0, days)
			out = append(out, receipt(pick.Code, fmt.Sprintf("L%s%02d", exp.Format("0601"), k+1), &exp, 10+rng.Intn(40)))
		}
		return out
	case sku.LotTracked:
		return []pickwave.Adjustment{receipt(pick.Code, fmt.Sprintf("B%s", day.AddDate(0, -2, 0).Format("060102")), nil, 20+rng.Intn(80))}
	}
	out := []pickwave.Adjustment{receipt(pick.Code, "", nil, 20+rng.Intn(100))}
	if rng.Intn(2) == 0 && site.Levels > 1 {
		// A reserve pallet on the top level above the pick bin.
		out = append(out, receipt(LocationCode(pick.Aisle, pick.Bay, site.Levels), "", nil, 100+rng.Intn(200)))
	}
	return out
}

// seedWorkers is how many records Seed writes at once: independent
// writes share the store's group commits, so the demo is seeded in a few
// hundred commits instead of a few thousand (each one fsync, or one
// append to a replicated log).
const seedWorkers = 16

// each runs fn for 0..n-1 on seedWorkers goroutines and returns the
// first error; after one, the rest are not started.
func each(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(seedWorkers)
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(ctx, i) })
	}
	return g.Wait()
}

var (
	firstNames = []string{"Ava", "Ben", "Chloe", "Diego", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jonas", "Kira", "Liam", "Maya", "Noah", "Olivia", "Priya"}
	lastNames  = []string{"Anderson", "Brown", "Chen", "Dubois", "Evans", "Garcia", "Hansen", "Ito", "Johnson", "Kowalski", "Lopez", "Miller", "Nguyen", "Okafor", "Patel", "Rossi"}
	streets    = []string{"Maple St", "Oak Ave", "Pine Rd", "Cedar Ln", "Elm St", "Lake Dr", "Hill Rd", "River Rd"}
	cities     = []struct{ city, region, postal string }{
		{"Columbus", "OH", "43215"}, {"Austin", "TX", "78701"}, {"Denver", "CO", "80202"}, {"Portland", "OR", "97204"},
		{"Atlanta", "GA", "30303"}, {"Madison", "WI", "53703"}, {"Raleigh", "NC", "27601"}, {"Tucson", "AZ", "85701"},
	}
)

func newOrder(rng *rand.Rand, n int, now time.Time) *pickwave.OrderInput {
	return ShopOrder(rng, fmt.Sprintf("WEB-%06d", 100001+n), 100001+n, now)
}

// ShopOrder is an order as the demo's web shop sends it, without lines,
// carrier or service: a customer with an address in one of a few cities,
// a carrier cutoff later today or tomorrow, a priority. customer numbers
// the customer's e-mail address.
func ShopOrder(rng *rand.Rand, externalID string, customer int, now time.Time) *pickwave.OrderInput {
	name := firstNames[rng.Intn(len(firstNames))] + " " + lastNames[rng.Intn(len(lastNames))]
	c := cities[rng.Intn(len(cities))]
	// Carrier cutoffs later today, a few tomorrow.
	cutoff := now.UTC().Truncate(time.Hour).Add(time.Duration(2+rng.Intn(30)) * time.Hour)
	return &pickwave.OrderInput{
		ExternalID: externalID,
		Customer:   pickwave.Customer{Name: name, Email: fmt.Sprintf("customer%d@example.com", customer), Phone: fmt.Sprintf("+1-555-01%02d", rng.Intn(100))},
		ShipTo: pickwave.Address{Name: name, Address1: fmt.Sprintf("%d %s", 1+rng.Intn(9000), streets[rng.Intn(len(streets))]),
			City: c.city, Region: c.region, PostalCode: c.postal, Country: "US"},
		ShipBy:   cutoff,
		Priority: []int{0, 0, 0, 0, 1, 1, 2}[rng.Intn(7)],
	}
}
