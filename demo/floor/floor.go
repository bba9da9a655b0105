package floor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
)

// Scale is the station's scale as a packer uses it: put a package on it,
// take it off. The demo's simulated scale (device.ScaleSim) is one.
type Scale interface {
	SetWeight(grams float64)
}

// Config says what floor to run. Only URL and Tokens are required.
type Config struct {
	// URL is the server, e.g. http://127.0.0.1:8080.
	URL string
	// Tokens returns a bearer token acting as user with role; the floor
	// asks for an admin token for itself and one for each of its people.
	Tokens func(ctx context.Context, user string, role pickwave.Role) (string, error)
	// HTTPClient calls the API; nil: a client with a 30 s timeout and a
	// transport of its own.
	HTTPClient *http.Client

	// Pickers is how many simulated pickers work; 0: 3.
	Pickers int
	// SpareCarts is how many released carts are kept waiting beyond one
	// per picker, for people to take; 0: 2, negative: none.
	SpareCarts int
	// TotesPerCart is the waves' cart size; 0: 6.
	TotesPerCart int
	// OrderEvery is the floor time between two new orders; 0: 30 s.
	OrderEvery time.Duration
	// Station is the pack station the packer works at, with Scale its
	// scale; "" or a nil Scale: nobody packs.
	Station string
	Scale   Scale

	// Speed runs floor time this many times faster than the clock; 0: 1.
	Speed float64
	// WalkSpeed is the pickers' walking speed in m/s; 0: 1.
	WalkSpeed float64
	// WrongScans is the share of scans that scan the wrong thing first
	// (a location or an item); 0: 0.04, negative: none.
	WrongScans float64
	// Shorts is the share of tasks a picker reports short; 0: 0.02,
	// negative: none.
	Shorts float64
	// Seed seeds the people's choices; 0: from the clock.
	Seed int64
	// Logger gets the floor's log; nil: discarded.
	Logger *slog.Logger
}

// Stats are what the floor's people did, and the floor time they took.
type Stats struct {
	Orders      int           // orders sent by the shop
	Received    int           // orders helped by a goods receipt
	Waves       int           // waves released
	Counts      int           // cycle counts settled
	Carts       int           // carts finished by the pickers
	Tasks       int           // tasks finished: picked in full or short
	Units       int           // units picked
	Scans       int           // scans and shorts answered
	Wrong       int           // scans refused (wrong location, item...)
	Shorts      int           // shorts reported
	Packed      int           // orders packed and labelled
	FloorTime   time.Duration // floor time since the start
	PickerTime  time.Duration // floor time of all pickers together: pickers × FloorTime
	WalkedM     float64       // metres walked by the pickers
	StartedWall time.Time
}

// PicksPerMinute is the tasks finished per picker and floor minute: how
// fast one simulated picker works.
func (s Stats) PicksPerMinute() float64 {
	if s.PickerTime <= 0 {
		return 0
	}
	return float64(s.Tasks) / s.PickerTime.Minutes()
}

// Floor is one running floor. Make it with New, run it with Run.
type Floor struct {
	cfg   Config
	log   *slog.Logger
	wsURL string
	start time.Time
	stamp string // labels this run's totes and ids

	admin  *client.Client
	layout pickwave.Layout

	skuMu    sync.Mutex
	barcodes map[string]string // SKU → its single-unit barcode
	skus     []string          // SKUs with one, for the shop's orders

	toPack chan string   // totes of finished carts, on their way to packing
	totes  atomic.Uint64 // totes taken from the stack so far

	mu    sync.Mutex
	stats Stats
}

// New checks the configuration and fills in its defaults.
func New(cfg Config) (*Floor, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("demo floor: server URL %q: want http://HOST:PORT", cfg.URL)
	}
	if cfg.Tokens == nil {
		return nil, errors.New("demo floor: no way to get tokens")
	}
	def := func(v *float64, d float64) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0
		}
	}
	if cfg.Pickers <= 0 {
		cfg.Pickers = 3
	}
	switch {
	case cfg.SpareCarts == 0:
		cfg.SpareCarts = 2
	case cfg.SpareCarts < 0:
		cfg.SpareCarts = 0
	}
	if cfg.TotesPerCart <= 0 {
		cfg.TotesPerCart = 6
	}
	if cfg.OrderEvery <= 0 {
		cfg.OrderEvery = 30 * time.Second
	}
	if cfg.Speed <= 0 {
		cfg.Speed = 1
	}
	if cfg.WalkSpeed <= 0 {
		cfg.WalkSpeed = 1
	}
	def(&cfg.WrongScans, 0.04)
	def(&cfg.Shorts, 0.02)
	if cfg.Seed == 0 {
		cfg.Seed = time.Now().UnixNano()
	}
	if cfg.HTTPClient == nil {
		// A transport of its own, whose connections Run closes at the end.
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ws := *u
	ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	ws.Path = strings.TrimSuffix(ws.Path, "/") + "/ws/handheld"
	now := time.Now()
	return &Floor{cfg: cfg, log: log.With("component", "demo-floor"), wsURL: ws.String(), start: now,
		stamp: strings.ToUpper(strconv.FormatInt(now.Unix(), 36)), barcodes: map[string]string{},
		toPack: make(chan string, 1024)}, nil
}

// Stats returns what the floor did so far.
func (f *Floor) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.StartedWall = f.start
	s.FloorTime = f.floorSince(f.start)
	s.PickerTime = time.Duration(f.cfg.Pickers) * s.FloorTime
	return s
}

func (f *Floor) count(fn func(s *Stats)) {
	f.mu.Lock()
	fn(&f.stats)
	f.mu.Unlock()
}

// warn logs a fault of the floor's, unless ctx ended: a call cut off
// because the floor is stopping is no fault.
func (f *Floor) warn(ctx context.Context, msg string, args ...any) {
	if ctx.Err() == nil {
		f.log.Warn(msg, args...)
	}
}

// floorSince is the floor time since a wall-clock time.
func (f *Floor) floorSince(t time.Time) time.Duration {
	return time.Duration(float64(time.Since(t)) * f.cfg.Speed)
}

// wait lets d of floor time pass; false when ctx ended first.
func (f *Floor) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(time.Duration(float64(d) / f.cfg.Speed))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// api returns an API client acting as user with role.
func (f *Floor) api(ctx context.Context, user string, role pickwave.Role) (*client.Client, error) {
	tok, err := f.cfg.Tokens(ctx, user, role)
	if err != nil {
		return nil, fmt.Errorf("token for %s: %w", user, err)
	}
	return client.New(f.cfg.URL, client.WithToken(tok), client.WithHTTPClient(f.cfg.HTTPClient)), nil
}

// Run sets the floor up (its people, the layout, the SKUs) and runs it
// until ctx ends; every goroutine it starts has returned when it returns.
// It returns an error only when the floor cannot start.
func (f *Floor) Run(ctx context.Context) error {
	defer f.cfg.HTTPClient.CloseIdleConnections()
	admin, err := f.api(ctx, "demo-floor", pickwave.RoleAdmin)
	if err != nil {
		return err
	}
	f.admin = admin
	if f.layout, err = admin.Planner.Layout(ctx); err != nil {
		return fmt.Errorf("demo floor: layout: %w", err)
	}
	if err := f.loadSKUs(ctx); err != nil {
		return err
	}
	pickers := make([]*picker, f.cfg.Pickers)
	for i := range pickers {
		pickers[i] = &picker{f: f, name: fmt.Sprintf("floor-picker-%d", i+1),
			rng: rand.New(rand.NewSource(f.cfg.Seed + int64(i) + 1))}
	}
	names := []string{}
	for _, p := range pickers {
		names = append(names, p.name)
	}
	if err := f.ensureUsers(ctx, names); err != nil {
		return err
	}
	f.log.Info("demo floor running", "pickers", len(pickers), "station", f.cfg.Station, "speed", f.cfg.Speed,
		"order_every", f.cfg.OrderEvery)

	var wg sync.WaitGroup
	wg.Go(func() { f.shop(ctx, rand.New(rand.NewSource(f.cfg.Seed))) })
	wg.Go(func() { f.supervise(ctx) })
	for _, p := range pickers {
		wg.Go(func() { p.run(ctx) })
	}
	if f.cfg.Station != "" && f.cfg.Scale != nil {
		wg.Go(func() { (&packer{f: f, name: "floor-packer", rng: rand.New(rand.NewSource(f.cfg.Seed - 1))}).run(ctx) })
	}
	wg.Go(func() { f.report(ctx) })
	wg.Wait()
	s := f.Stats()
	f.log.Info("demo floor stopped", "orders", s.Orders, "waves", s.Waves, "carts", s.Carts, "picks", s.Tasks,
		"packed", s.Packed, "picks_per_min", fmt.Sprintf("%.2f", s.PicksPerMinute()))
	return nil
}

// report logs what the floor did every floor minute... of wall time: once
// a minute of the clock, whatever the speed.
func (f *Floor) report(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s := f.Stats()
		f.log.Info("demo floor", "floor_time", s.FloorTime.Round(time.Second), "orders", s.Orders, "waves", s.Waves,
			"carts", s.Carts, "picks", s.Tasks, "units", s.Units, "wrong_scans", s.Wrong, "shorts", s.Shorts,
			"packed", s.Packed, "picks_per_min", fmt.Sprintf("%.2f", s.PicksPerMinute()))
	}
}

// ensureUsers makes the floor's people as users, once: pickers with a
// badge, the packer, each with a random password nobody keeps.
func (f *Floor) ensureUsers(ctx context.Context, pickers []string) error {
	users, err := f.admin.Users.Users(ctx)
	if err != nil {
		return fmt.Errorf("demo floor: users: %w", err)
	}
	have := map[string]bool{}
	for _, u := range users {
		have[u.Name] = true
	}
	want := map[string]pickwave.Role{"floor-packer": pickwave.RolePacker}
	for _, n := range pickers {
		want[n] = pickwave.RolePicker
	}
	for name, role := range want {
		if have[name] {
			continue
		}
		u := &pickwave.User{Name: name, Role: role}
		if role == pickwave.RolePicker {
			u.Badge = "FLOOR-" + randomHex(6)
		}
		if err := f.admin.Users.CreateUser(ctx, u, randomHex(16)); err != nil && pickwave.ErrorCode(err) != pickwave.ECONFLICT {
			return fmt.Errorf("demo floor: create %s: %w", name, err)
		}
	}
	return nil
}

// loadSKUs reads the catalog: each SKU's single-unit barcode.
func (f *Floor) loadSKUs(ctx context.Context) error {
	after := ""
	for {
		page, err := f.admin.Inventory.SKUs(ctx, after, 500)
		if err != nil {
			return fmt.Errorf("demo floor: SKUs: %w", err)
		}
		for _, s := range page {
			for _, b := range s.Barcodes {
				if b.Qty == 1 {
					f.barcodes[s.Code] = b.Code
					f.skus = append(f.skus, s.Code)
					break
				}
			}
			after = s.Code
		}
		if len(page) == 0 {
			break
		}
	}
	if len(f.skus) == 0 {
		return errors.New("demo floor: no SKU has a single-unit barcode")
	}
	return nil
}

// barcode returns a SKU's single-unit barcode, looking up SKUs made since
// the start.
func (f *Floor) barcode(ctx context.Context, sku string) (string, error) {
	f.skuMu.Lock()
	b, ok := f.barcodes[sku]
	f.skuMu.Unlock()
	if ok {
		return b, nil
	}
	s, err := f.admin.Inventory.SKU(ctx, sku)
	if err != nil {
		return "", err
	}
	for _, bc := range s.Barcodes {
		if bc.Qty == 1 {
			f.skuMu.Lock()
			f.barcodes[sku] = bc.Code
			f.skuMu.Unlock()
			return bc.Code, nil
		}
	}
	return "", fmt.Errorf("SKU %s has no single-unit barcode", sku)
}

// otherBarcode returns the barcode of a SKU other than sku: what a picker
// grabs from the neighbouring bin.
func (f *Floor) otherBarcode(rng *rand.Rand, sku string) string {
	f.skuMu.Lock()
	defer f.skuMu.Unlock()
	for {
		s := f.skus[rng.Intn(len(f.skus))]
		if s != sku || len(f.skus) == 1 {
			return f.barcodes[s]
		}
	}
}
