package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
	"github.com/pickwave/pickwave/handheld"
)

// pickwave loadgen drives simulated handhelds against a running server
// over the real handheld websocket (docs/protocol.md), each a
// handheld.Client, and prints throughput, verdict round-trip percentiles,
// errors, and whether any scan was lost (sent, never answered), judged
// twice or applied twice.
//
// Each handheld logs in with a badge, takes a cart and works it: a tote
// into every slot, then per task the location, one scan per unit and the
// tote. A share of scans is deliberately wrong (each must be refused) and
// a share of scans is followed by a forced disconnect, right after the
// send or a moment later, before the verdict is read: the client
// reconnects, resumes its session from the last seq it processed and
// sends the unanswered scan again with the same id. The round trip is
// measured only for scans answered on the connection they were sent on,
// from the send to the first answer. When the run ends, every handheld
// sends every answered id of its ledger again: each must come back
// replayed with its first verdict. Then the units of the ok item scans
// the handhelds were answered are compared, task by task, with the units
// the server says were picked.
//
// With --token of an admin, loadgen creates the pickers it needs
// (load-0001... with badges LOAD-0001...) and plans and releases waves
// when no cart is free; without it, it uses existing badges PREFIX0001...
// (the demo's pickers have random badges, which loadgen cannot guess).
// Those HTTP API calls, and the SKU and cart lookups, go through package
// client, as an integrator's would.

// loadgen limits: the run is bounded in handhelds and time.
const (
	maxLoadHandhelds = 5000
	maxLoadDuration  = 2 * time.Hour
	// loadGrace is how long, after the run, in-flight scans may take to
	// be answered before they count as lost.
	loadGrace = 15 * time.Second
	// loadReadWait bounds the wait for one answer; a verdict that takes
	// longer is treated as a lost connection.
	loadReadWait = 15 * time.Second
	// loadDropWithin: a forced disconnect comes right after the send, or
	// half the time at a random moment within this of it.
	loadDropWithin = 5 * time.Millisecond
	// loadResendWindow is how many answered scans a handheld sends again
	// at once at the end; loadResendTime (and twice the run's duration)
	// bounds that phase.
	loadResendWindow = 8
	loadResendTime   = time.Minute
	// loadRetakeEvery is how often a handheld without a cart asks again,
	// unless a wave was released since it last asked.
	loadRetakeEvery = 10 * time.Second
	// maxLoadWaves bounds the waves one run plans.
	maxLoadWaves = 1000
)

// loadgenConfig is what `pickwave loadgen` is told.
type loadgenConfig struct {
	// URL is the first server; Servers the others of the site (the HA
	// pair's other node), which the handhelds and API calls fail over to.
	URL       *url.URL
	Servers   []*url.URL
	Handhelds int
	Duration  time.Duration
	// Warmup is the start of the run whose round trips are reported
	// apart from the rest.
	Warmup      time.Duration
	Wrong       float64
	Disconnect  float64
	Rate        float64
	Token       string
	BadgePrefix string
	AllowRemote bool
	Seed        int64
	// TLS trusts the server's pinned certificate (--tls-fingerprint);
	// nil trusts the system's roots.
	TLS *tls.Config
	// APIFlood clients read APIFloodPath beside the handhelds, with
	// Token (see loadgen_flood.go).
	APIFlood     int
	APIFloodPath string
}

func parseLoadgenFlags(args []string, stderr io.Writer) (loadgenConfig, error) {
	var cfg loadgenConfig
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rawURL := fs.String("url", "http://127.0.0.1:8080", "server `URL`; a comma list names every server of an HA pair, tried in turn (first the one that answered last)")
	fs.IntVar(&cfg.Handhelds, "handhelds", 10, fmt.Sprintf("simulated handhelds (1 to %d)", maxLoadHandhelds))
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long to scan (at most "+maxLoadDuration.String()+")")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "report the round trips of the scans sent in this first part of the run apart, as the warm-up: every handheld asks for its cart at once at the start")
	fs.Float64Var(&cfg.Wrong, "wrong", 0.05, "share of scans that are deliberately wrong")
	fs.Float64Var(&cfg.Disconnect, "disconnect", 0.01, "share of scans followed by a forced disconnect before the verdict")
	fs.Float64Var(&cfg.Rate, "rate", 0, "scans per second of all handhelds together; 0 sends each scan as soon as the last is answered")
	fs.StringVar(&cfg.Token, "token", "", "bearer `token` of an admin: create the load pickers and plan waves as needed")
	fs.StringVar(&cfg.BadgePrefix, "badge-prefix", "", "badges are PREFIX0001 and on; without --token they must exist already")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", false, "allow a server that is not on this machine")
	fs.Int64Var(&cfg.Seed, "seed", 1, "random seed for the wrong scans and disconnects")
	fs.IntVar(&cfg.APIFlood, "api-flood", 0, "also flood the API with this many clients while the handhelds scan (needs --token)")
	fs.StringVar(&cfg.APIFloodPath, "api-flood-path", "/api/v1/orders?limit=100", "what the flood's clients read")
	fingerprint := fs.String("tls-fingerprint", "", "trust the https server whose certificate has this SHA-256 `fingerprint` (as serve logs it)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("loadgen takes no arguments, got %q", fs.Args())
	}
	if *fingerprint != "" {
		var err error
		if cfg.TLS, err = pinned(*fingerprint); err != nil {
			return cfg, err
		}
	}
	for i, raw := range strings.Split(*rawURL, ",") {
		raw = strings.TrimSpace(raw)
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cfg, fmt.Errorf("--url %q: want http://HOST:PORT or https://HOST:PORT, or a comma list of them", raw)
		}
		if i == 0 {
			cfg.URL = u
		} else {
			cfg.Servers = append(cfg.Servers, u)
		}
	}
	switch {
	case cfg.Handhelds < 1 || cfg.Handhelds > maxLoadHandhelds:
		return cfg, fmt.Errorf("--handhelds must be 1 to %d", maxLoadHandhelds)
	case cfg.Duration <= 0 || cfg.Duration > maxLoadDuration:
		return cfg, fmt.Errorf("--duration must be above 0 and at most %s", maxLoadDuration)
	case cfg.Warmup < 0 || cfg.Warmup >= cfg.Duration:
		return cfg, errors.New("--warmup must be 0 or more, and shorter than --duration")
	case !(cfg.Wrong >= 0 && cfg.Wrong <= 1):
		return cfg, errors.New("--wrong must be between 0 and 1")
	case !(cfg.Disconnect >= 0 && cfg.Disconnect <= 1):
		return cfg, errors.New("--disconnect must be between 0 and 1")
	case !(cfg.Rate >= 0 && cfg.Rate <= 1e6):
		return cfg, errors.New("--rate must be 0 or a number of scans per second")
	case cfg.APIFlood < 0 || cfg.APIFlood > maxLoadHandhelds:
		return cfg, fmt.Errorf("--api-flood must be 0 to %d", maxLoadHandhelds)
	case cfg.APIFlood > 0 && cfg.Token == "":
		return cfg, errors.New("--api-flood needs --token")
	case !strings.HasPrefix(cfg.APIFloodPath, "/"):
		return cfg, errors.New("--api-flood-path must start with /")
	}
	if cfg.BadgePrefix == "" {
		cfg.BadgePrefix = "LOAD-"
	}
	if len(cfg.BadgePrefix) > 32 {
		return cfg, errors.New("--badge-prefix is too long")
	}
	return cfg, nil
}

// checkLocal refuses a server that is not on this machine: loopback, or
// an address of one of its interfaces. A name must resolve only to such
// addresses.
func checkLocal(ctx context.Context, host string) error {
	if host == "localhost" {
		return nil
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", host, err)
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	ifaces, err := net.InterfaceAddrs()
	if err != nil {
		return fmt.Errorf("list this machine's addresses: %w", err)
	}
	for _, ip := range ips {
		local := ip.IsLoopback()
		for _, a := range ifaces {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				local = true
			}
		}
		if !local {
			return fmt.Errorf("%s (%s) is not this machine: loadgen drives only a local server unless --allow-remote", host, ip)
		}
	}
	return nil
}

func runLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseLoadgenFlags(args, stderr)
	if err != nil {
		return err
	}
	if !cfg.AllowRemote {
		for _, u := range append([]*url.URL{cfg.URL}, cfg.Servers...) {
			if err := checkLocal(ctx, u.Hostname()); err != nil {
				return err
			}
		}
	}
	lg := newLoadgen(cfg, stderr)
	rep, err := lg.run(ctx)
	if rep != nil {
		rep.print(stdout)
	}
	if err != nil {
		return err
	}
	return rep.verdict()
}

// loadgen is one run.
type loadgen struct {
	cfg loadgenConfig
	log io.Writer
	ws  string // the websocket URL
	// others are the other servers' websocket and base URLs (--url a,b).
	othersWS, othersHTTP []string

	// api calls the HTTP API with --token; lookups with the admin's
	// token, or a picker's when there is none (set before the handhelds
	// scan, read only after).
	api     *client.Client
	lookups *client.Client

	skuMu sync.Mutex
	skus  map[string]*skuLookup

	waveMu      sync.Mutex
	waveGen     int // carts were added this many times
	noMoreWaves bool
	waves       int
	waveErr     error
}

type skuLookup struct {
	once    sync.Once
	barcode string
	err     error
}

func newLoadgen(cfg loadgenConfig, log io.Writer) *loadgen {
	lg := &loadgen{cfg: cfg, log: log, ws: socketOf(cfg.URL), skus: map[string]*skuLookup{}}
	for _, u := range cfg.Servers {
		lg.othersWS = append(lg.othersWS, socketOf(u))
		lg.othersHTTP = append(lg.othersHTTP, u.String())
	}
	lg.api = lg.apiClient(cfg.Token)
	lg.lookups = lg.api
	return lg
}

// socketOf is the handheld websocket URL of a server's base URL.
func socketOf(base *url.URL) string {
	ws := *base
	ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[base.Scheme]
	ws.Path = strings.TrimSuffix(ws.Path, "/") + "/ws/handheld"
	return ws.String()
}

// apiClient is a client of the API with token, failing over to the other
// servers.
func (lg *loadgen) apiClient(token string) *client.Client {
	return client.New(lg.cfg.URL.String(), client.WithToken(token), client.WithHTTPClient(lg.cfg.httpClient()),
		client.WithServers(lg.othersHTTP...))
}

// httpClient is the API calls' client, trusting the pinned certificate.
func (cfg loadgenConfig) httpClient() *http.Client {
	hc := &http.Client{Timeout: 30 * time.Second}
	if cfg.TLS != nil {
		hc.Transport = &http.Transport{TLSClientConfig: cfg.TLS, MaxIdleConnsPerHost: 16}
	}
	return hc
}

// badges returns the handhelds' badges, creating load pickers with an
// admin token where they do not exist yet.
func (lg *loadgen) badges(ctx context.Context) ([]string, error) {
	badges := make([]string, lg.cfg.Handhelds)
	for i := range badges {
		badges[i] = fmt.Sprintf("%s%04d", lg.cfg.BadgePrefix, i+1)
	}
	if lg.cfg.Token == "" {
		return badges, nil
	}
	me, err := lg.api.Me(ctx)
	if err != nil {
		return nil, fmt.Errorf("check --token: %w", err)
	}
	if me.Role != pickwave.RoleAdmin {
		return nil, fmt.Errorf("--token acts as %s, a %s: creating pickers needs an admin", me.User, me.Role)
	}
	users, err := lg.api.Users.Users(ctx)
	if err != nil {
		return nil, err
	}
	byBadge := map[string]*pickwave.User{}
	for _, u := range users {
		if u.Badge != "" {
			byBadge[u.Badge] = u
		}
	}
	var missing []int
	for i, b := range badges {
		u, ok := byBadge[b]
		switch {
		case !ok:
			missing = append(missing, i)
		case u.Role == pickwave.RolePacker:
			return nil, fmt.Errorf("badge %s belongs to %s, a packer, who may not pick", b, u.Name)
		}
	}
	if len(missing) == 0 {
		return badges, nil
	}
	// bcrypt makes each creation slow on the server: a few at a time.
	fmt.Fprintf(lg.log, "loadgen: creating %d pickers...\n", len(missing))
	errs := make([]error, len(missing))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for k, i := range missing {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			pw := make([]byte, 12)
			_, _ = rand.Read(pw)
			u := &pickwave.User{Name: strings.ToLower(badges[i]), Role: pickwave.RolePicker, Badge: badges[i]}
			if err := lg.api.Users.CreateUser(ctx, u, hex.EncodeToString(pw)); err != nil {
				errs[k] = fmt.Errorf("create picker for badge %s: %w", badges[i], err)
			}
		})
	}
	wg.Wait()
	return badges, errors.Join(errs...)
}

// barcode returns the single-unit barcode of a SKU, looked up once.
func (lg *loadgen) barcode(ctx context.Context, sku string) (string, error) {
	lg.skuMu.Lock()
	l := lg.skus[sku]
	if l == nil {
		l = &skuLookup{}
		lg.skus[sku] = l
	}
	lookups := lg.lookups
	lg.skuMu.Unlock()
	l.once.Do(func() {
		s, err := lookups.Inventory.SKU(ctx, sku)
		if l.err = err; err != nil {
			return
		}
		for _, b := range s.Barcodes {
			if b.Qty == 1 {
				l.barcode = b.Code
			}
		}
		if l.barcode == "" {
			l.err = fmt.Errorf("SKU %s has no single-unit barcode", sku)
		}
	})
	return l.barcode, l.err
}

// replenish plans and releases a wave when no cart was free at
// generation gen; it reports whether carts may now be free.
func (lg *loadgen) replenish(ctx context.Context, gen int) bool {
	if lg.cfg.Token == "" {
		return false
	}
	lg.waveMu.Lock()
	defer lg.waveMu.Unlock()
	if lg.waveGen != gen {
		return true // another handheld released a wave meanwhile
	}
	if lg.noMoreWaves {
		return false
	}
	if lg.waves >= maxLoadWaves {
		lg.noMoreWaves = true
		return false
	}
	for attempt := 0; attempt < 3; attempt++ {
		w, err := lg.api.Planner.PlanWave(ctx, pickwave.WaveTemplate{TotesPerCart: 8}, 0)
		if code := pickwave.ErrorCode(err); code == pickwave.ECONFLICT || code == pickwave.ENOTFOUND {
			lg.noMoreWaves = true // no order left to plan, or no layout
			if code == pickwave.ENOTFOUND {
				lg.waveErr = err
			}
			return false
		}
		if err != nil {
			if ctx.Err() == nil {
				lg.waveErr = err
			}
			return false
		}
		_, err = lg.api.Waves.ReleaseWave(ctx, w.ID)
		if pickwave.ErrorCode(err) == pickwave.ECONFLICT {
			continue // orders changed since planning: plan again
		}
		if err != nil {
			if ctx.Err() == nil {
				lg.waveErr = err
			}
			return false
		}
		lg.waves++
		lg.waveGen++
		return true
	}
	return false
}

func (lg *loadgen) generation() int {
	lg.waveMu.Lock()
	defer lg.waveMu.Unlock()
	return lg.waveGen
}

// run logs the handhelds in, runs them for the duration, has each send
// every answered scan again, and checks the store against what they were
// told.
func (lg *loadgen) run(ctx context.Context) (*loadReport, error) {
	badges, err := lg.badges(ctx)
	if err != nil {
		return nil, err
	}
	if lg.cfg.Token != "" {
		if _, err := lg.api.Planner.Layout(ctx); err != nil {
			fmt.Fprintf(lg.log, "loadgen: no layout, so no waves can be planned: %v\n", err)
		}
	}
	hs := make([]*simHandheld, len(badges))
	for i, b := range badges {
		hs[i] = &simHandheld{lg: lg, badge: b, rng: mrand.New(mrand.NewSource(lg.cfg.Seed + int64(i))),
			wrong: map[string]bool{}, itemTask: map[string]string{}, tasks: map[string]*taskBook{}}
	}
	defer closeAll(hs)
	// Log in a few at a time, then scan together.
	fmt.Fprintf(lg.log, "loadgen: logging in %d handhelds at %s...\n", len(hs), lg.ws)
	errs := make([]error, len(hs))
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i, h := range hs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = h.connect(ctx)
		})
	}
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		if len(failed) > 1 {
			return nil, fmt.Errorf("%w (and %d more handhelds failed to log in)", failed[0], len(failed)-1)
		}
		return nil, failed[0]
	}
	if lg.cfg.Token == "" {
		lg.skuMu.Lock()
		lg.lookups = lg.apiClient(hs[0].c.Token())
		lg.skuMu.Unlock()
	}
	fmt.Fprintf(lg.log, "loadgen: scanning for %s...\n", lg.cfg.Duration)
	runCtx, cancel := context.WithTimeout(ctx, lg.cfg.Duration)
	defer cancel()
	start := time.Now()
	var flood *floodReport
	if lg.cfg.APIFlood > 0 {
		wg.Go(func() { flood = lg.flood(runCtx) })
	}
	for i, h := range hs {
		wg.Go(func() { h.run(ctx, runCtx, start, i) })
	}
	wg.Wait()
	elapsed := time.Since(start)

	// Every answered id once more: each must come back replayed, with its
	// first verdict. A scan judged twice would also show in the store
	// check below, which comes after.
	fmt.Fprintf(lg.log, "loadgen: sending every answered scan again...\n")
	resendCtx, cancelResend := context.WithTimeout(ctx, loadResendTime+2*lg.cfg.Duration)
	defer cancelResend()
	for _, h := range hs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			h.resendAnswered(resendCtx)
		})
	}
	wg.Wait()

	rep := &loadReport{Handhelds: len(hs), Elapsed: elapsed, Waves: lg.waves, canPlan: lg.cfg.Token != "", flood: flood, warmup: lg.cfg.Warmup}
	if lg.waveErr != nil {
		rep.note(fmt.Sprintf("planning waves: %v", lg.waveErr))
	}
	for _, h := range hs {
		h.tally()
		rep.add(h)
	}
	checkCtx, cancelCheck := context.WithTimeout(context.Background(), time.Minute)
	defer cancelCheck()
	rep.check(checkCtx, lg, hs)
	return rep, nil
}

// closeAll closes the handhelds' clients, together: each waits for the
// server to answer its close frame.
func closeAll(hs []*simHandheld) {
	var wg sync.WaitGroup
	for _, h := range hs {
		if h.c != nil {
			wg.Go(func() { h.c.Close() })
		}
	}
	wg.Wait()
}

// taskBook is what one handheld saw of one task: the units picked when it
// first scanned for it, and the units of the ok item scans since.
type taskBook struct {
	cart  string
	base  int
	units int
}

// simHandheld is one simulated handheld: a handheld.Client, whose ledger
// keeps every scan id with its first answer, driven by one goroutine.
type simHandheld struct {
	lg    *loadgen
	badge string
	rng   *mrand.Rand
	c     *handheld.Client // nil until logged in
	end   time.Time        // when the run ends
	// warm is when the warm-up ends: scans sent before it are timed in
	// warmRTTs, the others in rtts.
	warm time.Time

	taken   time.Time // when it last asked for a cart
	takenAt int       // the wave generation it last asked at

	wrong    map[string]bool   // the ids of the scans meant to be wrong
	itemTask map[string]string // the task of each item scan sent
	tasks    map[string]*taskBook
	lost     []string // ids still unanswered when the handheld stopped

	rtts, warmRTTs []time.Duration
	forced         int
	unforced       int
	shed           int // scans the server shed as overload, sent again after its pause
	afterReconnect int
	resent         int // answered ids sent again at the end
	errCount       int
	errs           []string // the first few

	// Filled from the ledger by tally.
	scans, ok, refused, noTask int
	wrongAccepted              int
	rightRefused               int
	uncertain                  map[string]bool // tasks of item scans never answered
}

// errGaveUp ends a handheld that could not reconnect.
var errGaveUp = errors.New("could not reconnect")

func (h *simHandheld) fail(format string, args ...any) {
	h.errCount++
	if len(h.errs) < 5 {
		h.errs = append(h.errs, h.badge+": "+fmt.Sprintf(format, args...))
	}
}

// transient says err is a lost connection, an answer that did not come in
// time, or a server busy for now: the handheld reconnects and sends its
// unanswered scan again. Anything else ends it, a picker logged in on
// another device (another loadgen?) first: reconnecting would only take
// the session back and forth.
func transient(err error) bool {
	switch {
	case errors.Is(err, handheld.ErrReplaced), errors.Is(err, handheld.ErrClosed):
		return false
	case errors.Is(err, handheld.ErrDisconnected), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	code := handheld.ErrorCode(err)
	return code == pickwave.EUNAVAILABLE || code == pickwave.EINTERNAL
}

// connect logs in with the badge. The welcome carries a token, with which
// the client logs in again after a lost connection, resuming the session.
func (h *simHandheld) connect(ctx context.Context) error {
	opCtx, cancel := context.WithTimeout(ctx, loadReadWait)
	defer cancel()
	opts := handheld.Options{Badge: h.badge, Device: h.badge, Servers: h.lg.othersWS}
	if h.lg.cfg.TLS != nil {
		opts.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024, TLSClientConfig: h.lg.cfg.TLS}
	}
	c, err := handheld.Dial(opCtx, h.lg.ws, opts)
	if err != nil {
		if e, ok := errors.AsType[*handheld.Error](err); ok && e.Code == pickwave.EUNAUTHORIZED {
			return fmt.Errorf("badge %s: %s (pass --token of an admin to create load pickers)", h.badge, e.Message)
		}
		return fmt.Errorf("%s: log in: %w", h.badge, err)
	}
	h.c = c
	return nil
}

// run scans until runCtx ends. ctx bounds the whole command: the last scan
// of the run is still waited for after runCtx ends.
func (h *simHandheld) run(ctx, runCtx context.Context, start time.Time, i int) {
	h.end = start.Add(h.lg.cfg.Duration)
	h.warm = start.Add(h.lg.cfg.Warmup)
	defer func() { h.lost = h.c.Unanswered() }()
	var interval time.Duration
	next := start
	if h.lg.cfg.Rate > 0 {
		interval = time.Duration(float64(h.lg.cfg.Handhelds) / h.lg.cfg.Rate * float64(time.Second))
		next = start.Add(interval * time.Duration(i) / time.Duration(h.lg.cfg.Handhelds))
	}
	for runCtx.Err() == nil {
		if interval > 0 {
			t := time.NewTimer(time.Until(next))
			select {
			case <-runCtx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			next = next.Add(interval)
		}
		if err := h.step(ctx, runCtx); err != nil {
			if !errors.Is(err, errGaveUp) {
				h.fail("%v", err)
			}
			return
		}
	}
}

// step makes one scan, maybe with a forced disconnect before its verdict
// is read.
func (h *simHandheld) step(ctx, runCtx context.Context) error {
	if err := h.takeCart(ctx, runCtx); err != nil {
		return err
	}
	wrong := h.rng.Float64() < h.lg.cfg.Wrong
	p := h.c.Prompt()
	data, task, err := h.nextScan(ctx, p, wrong)
	if err != nil {
		return err
	}
	id := h.c.NewID()
	if task != "" {
		h.itemTask[id] = task
		if h.tasks[task] == nil {
			h.tasks[task] = &taskBook{cart: p.CartID, base: p.Task.Picked}
		}
	}
	if wrong {
		h.wrong[id] = true
	}
	req := pickwave.ScanRequest{ID: id, Data: data}
	if h.rng.Float64() < h.lg.cfg.Disconnect {
		return h.dropAfter(ctx, req)
	}
	opCtx, cancel := context.WithTimeout(ctx, loadReadWait)
	sent := time.Now()
	_, err = h.c.Scan(opCtx, req)
	rtt := time.Since(sent)
	cancel()
	if err == nil {
		h.timed(sent, rtt)
		return nil
	}
	return h.recoverFrom(ctx, err, id)
}

// timed records the round trip of a scan sent at sent.
func (h *simHandheld) timed(sent time.Time, rtt time.Duration) {
	if sent.Before(h.warm) {
		h.warmRTTs = append(h.warmRTTs, rtt)
		return
	}
	h.rtts = append(h.rtts, rtt)
}

// dropAfter sends a scan and loses the connection, right after the send
// or a moment later, while the verdict may be on its way: the client then
// reconnects, resumes the session, sends the scan again with its id and
// waits for its answer, which may come with the resumed messages or as a
// replay.
func (h *simHandheld) dropAfter(ctx context.Context, req pickwave.ScanRequest) error {
	h.forced++
	opCtx, cancel := context.WithTimeout(ctx, loadReadWait)
	_, err := h.c.Submit(opCtx, handheld.ScanMessage(req))
	cancel()
	if err != nil && !transient(err) {
		return fmt.Errorf("scan %s: %w", req.ID, err)
	}
	if h.rng.Intn(2) == 0 {
		time.Sleep(time.Duration(h.rng.Int63n(int64(loadDropWithin))))
	}
	h.c.Drop()
	if !h.recover(ctx, req.ID) {
		return errGaveUp
	}
	return nil
}

// recoverFrom handles a scan's error: a refusal the client booked for good
// (the tally reports it), or a transient failure after which the handheld
// reconnects and waits for the scan's answer.
func (h *simHandheld) recoverFrom(ctx context.Context, err error, id string) error {
	if e, _ := h.c.Entry(id); e.Err != nil {
		return nil
	}
	// Shed as overload: nothing was done; wait as asked, then send the
	// same id again, as often as the server asks.
	for e, ok := errors.AsType[*handheld.Error](err); ok && e.RetryAfter > 0 && ctx.Err() == nil; e, ok = errors.AsType[*handheld.Error](err) {
		h.shed++
		select {
		case <-time.After(e.RetryAfter):
		case <-ctx.Done():
		}
		opCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadReadWait)
		sent := time.Now()
		_, err = h.c.Resend(opCtx, id)
		rtt := time.Since(sent)
		cancel()
		if err == nil {
			h.timed(sent, rtt)
			return nil
		}
	}
	if e, ok := errors.AsType[*handheld.Error](err); ok && e.RetryAfter > 0 {
		// Still shed when the run ended: its grace time gets the answer.
		if !h.recover(ctx, id) {
			return errGaveUp
		}
		return nil
	}
	if !transient(err) || ctx.Err() != nil {
		return fmt.Errorf("scan %s: %w", id, err)
	}
	h.unforced++
	if !h.recover(ctx, id) {
		return errGaveUp
	}
	return nil
}

// recover reconnects, resuming the session (the client sends every
// unanswered scan again with its id), and waits for the answer to scan id
// unless id is ""; false when it cannot within the run and its grace time.
func (h *simHandheld) recover(ctx context.Context, id string) bool {
	deadline := time.Now().Add(loadGrace)
	if end := h.end.Add(loadGrace); end.After(deadline) {
		deadline = end
	}
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 2*time.Second) {
		err := h.resume(ctx, id)
		if err == nil {
			return true
		}
		if !transient(err) || ctx.Err() != nil {
			h.fail("reconnect: %v", err)
			return false
		}
		if time.Now().Add(backoff).After(deadline) {
			h.fail("gave up reconnecting after %s: %v", loadGrace, err)
			return false
		}
		h.unforced++
		t := time.NewTimer(backoff) // backing off before reconnecting
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// resume reconnects and waits for the answer to id, if any.
func (h *simHandheld) resume(ctx context.Context, id string) error {
	opCtx, cancel := context.WithTimeout(ctx, loadReadWait)
	defer cancel()
	if err := h.c.Reconnect(opCtx); err != nil {
		return err
	}
	if id == "" {
		return nil
	}
	_, err := h.c.Await(opCtx, id)
	if err == nil {
		h.afterReconnect++
	}
	if e, _ := h.c.Entry(id); e.Err != nil {
		return nil // refused for good: the tally reports it
	}
	return err
}

// takeCart asks for a cart once in a while when the handheld has none,
// planning a wave when none is free and loadgen may.
func (h *simHandheld) takeCart(ctx, runCtx context.Context) error {
	if p := h.c.Prompt(); p != nil && !p.Done && p.CartID != "" {
		return nil
	}
	if !h.taken.IsZero() && time.Since(h.taken) < loadRetakeEvery && h.lg.generation() == h.takenAt {
		return nil // scans get no_task meanwhile
	}
	for attempt := 0; attempt < 2; attempt++ {
		gen := h.lg.generation()
		h.taken, h.takenAt = time.Now(), gen
		opCtx, cancel := context.WithTimeout(ctx, loadReadWait)
		_, err := h.c.TakeCart(opCtx)
		cancel()
		switch {
		case err == nil:
			return nil
		case handheld.ErrorCode(err) == pickwave.ENOTFOUND:
			// No cart waits: plan one below, when loadgen may.
		case transient(err) && ctx.Err() == nil:
			h.unforced++
			if !h.recover(ctx, "") {
				return errGaveUp
			}
			return nil
		case handheld.ErrorCode(err) != "":
			h.fail("take_cart: %v", err)
			return nil
		default:
			return fmt.Errorf("take_cart: %w", err)
		}
		if runCtx.Err() != nil || !h.lg.replenish(runCtx, gen) {
			return nil
		}
	}
	return nil
}

// resendAnswered sends every answered id of the ledger again, reconnecting
// first when the connection is gone; the ledger counts the answers that
// are not a replay of the first (Stats.JudgedAgain, Stats.Changed).
func (h *simHandheld) resendAnswered(ctx context.Context) {
	if h.c.Replaced() {
		return // reported already; taking the session back would not help
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if !h.c.Connected() {
			opCtx, cancel := context.WithTimeout(ctx, loadReadWait)
			err = h.c.Reconnect(opCtx)
			cancel()
			if err != nil {
				if !transient(err) || ctx.Err() != nil {
					break
				}
				continue
			}
		}
		var chk handheld.Check
		chk, err = h.c.ResendAnswered(ctx, loadResendWindow)
		if err == nil {
			h.resent = chk.Resent
			return
		}
		if !transient(err) || ctx.Err() != nil {
			break
		}
		h.c.Drop() // reconnect and start again
	}
	h.fail("send the answered scans again: %v", err)
}

// tally reads the ledger: each id's first answer, judged against what
// the scan was meant to be, and the ok item scans' units per task.
func (h *simHandheld) tally() {
	lost := map[string]bool{}
	for _, id := range h.lost {
		lost[id] = true
		if task := h.itemTask[id]; task != "" {
			// It may or may not have been applied: its task cannot be checked.
			if h.uncertain == nil {
				h.uncertain = map[string]bool{}
			}
			h.uncertain[task] = true
		}
	}
	for _, e := range h.c.Ledger() {
		switch {
		case lost[e.ID]:
			h.fail("scan %s never answered", e.ID)
			continue
		case e.Err != nil:
			h.fail("scan %s: %v", e.ID, e.Err)
			continue
		case !e.Answered:
			continue // answered after its handheld stopped: counted lost above
		}
		h.scans++
		v, wrong := e.Verdict, h.wrong[e.ID]
		switch {
		case v.OK():
			h.ok++
			if task := h.itemTask[e.ID]; task != "" {
				h.tasks[task].units += v.Qty
			}
		case v.Code == pickwave.VerdictNoTask:
			h.noTask++
		default:
			h.refused++
		}
		switch {
		case wrong && v.OK():
			h.wrongAccepted++
			h.fail("wrong scan %s accepted", e.ID)
		case !wrong && !v.OK() && v.Code != pickwave.VerdictNoTask:
			h.rightRefused++
			h.fail("right scan %s refused: %s %s", e.ID, v.Code, v.Message)
		}
	}
}

// nextScan returns the data of the next scan and, for an item scan, its
// task. A wrong scan is a valid EAN-8 that no SKU has: at every step it is
// not what the prompt asks for.
func (h *simHandheld) nextScan(ctx context.Context, p *pickwave.Prompt, wrong bool) (data, task string, err error) {
	switch {
	case wrong:
		data = wrongScan
	case p == nil || p.Done || p.CartID == "":
		data = wrongScan // no cart: answered no_task
	case p.Step == pickwave.StepBindTote:
		data = fmt.Sprintf("T-%s-%d", p.CartID, p.Slot)
	case p.Step == pickwave.StepLocation:
		data = p.Task.Location
	case p.Step == pickwave.StepItem:
		if data, err = h.lg.barcode(ctx, p.Task.SKU); err != nil {
			return "", "", err
		}
		task = p.Task.ID
	case p.Step == pickwave.StepTote:
		data = fmt.Sprintf("T-%s-%d", p.CartID, p.Task.ToteSlot)
	default:
		data = wrongScan
	}
	return data, task, nil
}

const wrongScan = "96385074"

// loadReport sums up a run.
type loadReport struct {
	Handhelds int
	Elapsed   time.Duration
	Waves     int
	canPlan   bool         // loadgen had a token to plan waves with
	flood     *floodReport // the API flood's, when there was one

	rtts, warmRTTs             []time.Duration
	warmup                     time.Duration
	scans, ok, refused, noTask int
	wrongSent, wrongAccepted   int
	rightRefused               int
	forced, unforced           int
	shed                       int
	afterReconnect             int
	newSessions                int
	repeats, gaps              int
	lost                       int
	resent                     int // answered ids sent again at the end
	judgedAgain, changed       int // ids judged twice; ids answered two ways
	errCount                   int
	errs                       []string

	tasksChecked, cartsChecked int
	twice, short               []string // tasks with more or fewer units picked than answered ok
	uncertain                  int
	notes                      []string
}

func (r *loadReport) note(s string) { r.notes = append(r.notes, s) }

// add sums up a handheld after its tally: its own counts, and what its
// client counted and saw wrong in the protocol.
func (r *loadReport) add(h *simHandheld) {
	st := h.c.Stats()
	r.rtts = append(r.rtts, h.rtts...)
	r.warmRTTs = append(r.warmRTTs, h.warmRTTs...)
	r.scans += h.scans
	r.ok += h.ok
	r.refused += h.refused
	r.noTask += h.noTask
	r.wrongSent += len(h.wrong)
	r.wrongAccepted += h.wrongAccepted
	r.rightRefused += h.rightRefused
	r.forced += h.forced
	r.unforced += h.unforced
	r.shed += h.shed
	r.afterReconnect += h.afterReconnect
	r.newSessions += max(st.Sessions-1, 0)
	r.repeats += st.Repeats
	r.gaps += st.Gaps
	r.lost += len(h.lost)
	r.resent += h.resent
	r.judgedAgain += st.JudgedAgain
	r.changed += st.Changed
	errs := h.errs
	r.errCount += h.errCount
	// The client's faults: sequence gaps and repeats, answers changed,
	// ids judged again, undecodable messages (the first few of each
	// handheld), and verdicts for ids it never sent.
	if err := h.c.Err(); err != nil {
		faults := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			faults = j.Unwrap()
		}
		r.errCount += len(faults)
		for _, f := range faults {
			errs = append(errs, h.badge+": "+f.Error())
		}
	}
	if st.Unknown > 0 {
		r.errCount += st.Unknown
		errs = append(errs, fmt.Sprintf("%s: %d verdicts for scans it never sent", h.badge, st.Unknown))
	}
	if len(r.errs) < 10 {
		r.errs = append(r.errs, errs[:min(len(errs), 5)]...)
	}
}

// check compares, task by task, the units the server says were picked
// with the units of the ok item scans the handhelds were answered.
func (r *loadReport) check(ctx context.Context, lg *loadgen, hs []*simHandheld) {
	byCart := map[string]map[string]int{} // cart → task → expected picked
	for _, h := range hs {
		for task, b := range h.tasks {
			if h.uncertain[task] {
				r.uncertain++
				continue
			}
			if byCart[b.cart] == nil {
				byCart[b.cart] = map[string]int{}
			}
			byCart[b.cart][task] = b.base + b.units
		}
	}
	carts := make([]string, 0, len(byCart))
	for c := range byCart {
		carts = append(carts, c)
	}
	slices.Sort(carts)
	for _, cart := range carts {
		tasks, err := lg.lookups.Waves.CartTasks(ctx, cart)
		if err != nil {
			r.note(fmt.Sprintf("could not check cart %s: %v", cart, err))
			continue
		}
		r.cartsChecked++
		picked := map[string]int{}
		for _, t := range tasks {
			picked[t.ID] = t.Picked
		}
		for task, want := range byCart[cart] {
			r.tasksChecked++
			switch have := picked[task]; {
			case have > want:
				r.twice = append(r.twice, fmt.Sprintf("%s: %d picked, %d answered ok", task, have, want))
			case have < want:
				r.short = append(r.short, fmt.Sprintf("%s: %d picked, %d answered ok", task, have, want))
			}
		}
	}
}

// verdict is nil when the run showed no fault.
func (r *loadReport) verdict() error {
	var faults []string
	if r.lost > 0 {
		faults = append(faults, fmt.Sprintf("%d scans lost", r.lost))
	}
	if len(r.twice) > 0 {
		faults = append(faults, fmt.Sprintf("%d tasks with scans applied twice", len(r.twice)))
	}
	if len(r.short) > 0 {
		faults = append(faults, fmt.Sprintf("%d tasks missing units answered ok", len(r.short)))
	}
	if r.repeats+r.gaps > 0 {
		faults = append(faults, fmt.Sprintf("%d messages repeated and %d skipped", r.repeats, r.gaps))
	}
	if r.judgedAgain > 0 {
		faults = append(faults, fmt.Sprintf("%d scans judged again", r.judgedAgain))
	}
	if r.changed > 0 {
		faults = append(faults, fmt.Sprintf("%d answers changed", r.changed))
	}
	if r.errCount > 0 {
		faults = append(faults, fmt.Sprintf("%d errors", r.errCount))
	}
	if len(faults) > 0 {
		return errors.New("load run failed: " + strings.Join(faults, ", "))
	}
	return nil
}

// percentile is the q-th quantile of sorted round trips, in ms.
func percentile(sorted []time.Duration, q float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	i := min(max(int(math.Ceil(q*float64(len(sorted))))-1, 0), len(sorted)-1)
	return fmt.Sprintf("%.1f ms", float64(sorted[i])/float64(time.Millisecond))
}

func (r *loadReport) print(w io.Writer) {
	slices.Sort(r.rtts)
	slices.Sort(r.warmRTTs)
	pct := func(q float64) string { return percentile(r.rtts, q) }
	secs := r.Elapsed.Seconds()
	fmt.Fprintf(w, "handhelds      %d for %s\n", r.Handhelds, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "scans          %d answered, %.1f scans/s (ok %d, refused %d, no_task %d)\n", r.scans, float64(r.scans)/secs, r.ok, r.refused, r.noTask)
	fmt.Fprintf(w, "wrong scans    %d sent, %d accepted; right scans refused: %d\n", r.wrongSent, r.wrongAccepted, r.rightRefused)
	fmt.Fprintf(w, "round trip     p50 %s  p95 %s  p99 %s  max %s  (%d scans; %d more answered after a reconnect)\n",
		pct(0.50), pct(0.95), pct(0.99), pct(1), len(r.rtts), r.afterReconnect)
	if r.warmup > 0 {
		fmt.Fprintf(w, "warm-up        the first %s, not in the round trip above: p50 %s  p95 %s  p99 %s  max %s  (%d scans)\n",
			r.warmup, percentile(r.warmRTTs, 0.50), percentile(r.warmRTTs, 0.95), percentile(r.warmRTTs, 0.99), percentile(r.warmRTTs, 1), len(r.warmRTTs))
	}
	fmt.Fprintf(w, "disconnects    %d forced, %d unforced; %d sessions not resumed (server restarted?)\n", r.forced, r.unforced, r.newSessions)
	fmt.Fprintf(w, "shed           %d scans refused as overload and sent again after the server's pause (%.1f %% of answered)\n",
		r.shed, 100*float64(r.shed)/float64(max(r.scans, 1)))
	if r.flood != nil {
		r.flood.print(w, secs)
	}
	fmt.Fprintf(w, "waves          %d planned and released\n", r.Waves)
	fmt.Fprintf(w, "sequence       %d messages repeated, %d skipped\n", r.repeats, r.gaps)
	fmt.Fprintf(w, "lost scans     %d (sent, never answered)\n", r.lost)
	fmt.Fprintf(w, "resent         %d answered scans, each once more at the end: %d judged again, %d answers changed\n",
		r.resent, r.judgedAgain, r.changed)
	fmt.Fprintf(w, "applied twice  %d tasks (store picked more units than answered ok); %d tasks short of it; %d tasks in %d carts checked",
		len(r.twice), len(r.short), r.tasksChecked, r.cartsChecked)
	if r.uncertain > 0 {
		fmt.Fprintf(w, ", %d left out (a scan of theirs was never answered)", r.uncertain)
	}
	fmt.Fprintln(w)
	for _, s := range append(r.twice, r.short...) {
		fmt.Fprintf(w, "  %s\n", s)
	}
	fmt.Fprintf(w, "errors         %d\n", r.errCount)
	for _, e := range r.errs {
		fmt.Fprintf(w, "  %s\n", e)
	}
	for _, n := range r.notes {
		fmt.Fprintf(w, "note           %s\n", n)
	}
	if r.scans > 0 && r.noTask > r.scans/2 {
		if r.canPlan {
			fmt.Fprintf(w, "note           %d of %d scans were answered no_task: no cart was free and no allocated order was left for a wave\n", r.noTask, r.scans)
		} else {
			fmt.Fprintf(w, "note           %d of %d scans were answered no_task: no cart was free (pass --token of an admin to plan and release waves)\n", r.noTask, r.scans)
		}
	}
	if err := r.verdict(); err != nil {
		fmt.Fprintf(w, "result         FAIL: %v\n", err)
	} else {
		fmt.Fprintln(w, "result         OK")
	}
}
