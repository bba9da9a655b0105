package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
	"github.com/pickwave/pickwave/handheld"
)

// pickwave loadgen drives simulated handhelds against a running server
// over the real handheld websocket (docs/protocol.md) and prints
// throughput, verdict round-trip percentiles, errors, and whether any
// scan was lost (sent, never answered) or applied twice.
//
// Each handheld logs in with a badge, takes a cart and works it: a tote
// into every slot, then per task the location, one scan per unit and the
// tote. A share of scans is deliberately wrong (each must be refused) and
// a share of scans is followed by a forced disconnect before the verdict
// is read: the handheld reconnects, resumes its session from the last
// seq it saw and sends the unanswered scan again with the same id. When
// the run ends, the units of the ok item scans the handhelds counted are
// compared, task by task, with the units the server says were picked.
//
// With --token of an admin, loadgen creates the pickers it needs
// (load-0001... with badges LOAD-0001...) and plans and releases waves
// when no cart is free; without it, it uses existing badges (the demo's
// pickers have B0001 to B0003).

// loadgen limits: the run is bounded in handhelds and time.
const (
	maxLoadHandhelds = 5000
	maxLoadDuration  = 2 * time.Hour
	// loadGrace is how long, after the run, in-flight scans may take to
	// be answered before they count as lost.
	loadGrace = 15 * time.Second
	// loadReadWait bounds the wait for one server message; a verdict that
	// takes longer is treated as a lost connection.
	loadReadWait = 15 * time.Second
	// loadRetakeEvery is how often a handheld without a cart asks again,
	// unless a wave was released since it last asked.
	loadRetakeEvery = 10 * time.Second
	// maxLoadWaves bounds the waves one run plans.
	maxLoadWaves = 1000
)

// loadgenConfig is what `pickwave loadgen` is told.
type loadgenConfig struct {
	URL         *url.URL
	Handhelds   int
	Duration    time.Duration
	Wrong       float64
	Disconnect  float64
	Rate        float64
	Token       string
	BadgePrefix string
	AllowRemote bool
	Seed        int64
}

func parseLoadgenFlags(args []string, stderr io.Writer) (loadgenConfig, error) {
	var cfg loadgenConfig
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rawURL := fs.String("url", "http://127.0.0.1:8080", "server `URL`")
	fs.IntVar(&cfg.Handhelds, "handhelds", 10, fmt.Sprintf("simulated handhelds (1 to %d)", maxLoadHandhelds))
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long to scan (at most "+maxLoadDuration.String()+")")
	fs.Float64Var(&cfg.Wrong, "wrong", 0.05, "share of scans that are deliberately wrong")
	fs.Float64Var(&cfg.Disconnect, "disconnect", 0.01, "share of scans followed by a forced disconnect before the verdict")
	fs.Float64Var(&cfg.Rate, "rate", 0, "scans per second of all handhelds together; 0 sends each scan as soon as the last is answered")
	fs.StringVar(&cfg.Token, "token", "", "bearer `token` of an admin: create the load pickers and plan waves as needed")
	fs.StringVar(&cfg.BadgePrefix, "badge-prefix", "", "badges are PREFIX0001 and on (default LOAD- with --token, else B: the demo pickers)")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", false, "allow a server that is not on this machine")
	fs.Int64Var(&cfg.Seed, "seed", 1, "random seed for the wrong scans and disconnects")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("loadgen takes no arguments, got %q", fs.Args())
	}
	u, err := url.Parse(*rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("--url %q: want http://HOST:PORT or https://HOST:PORT", *rawURL)
	}
	cfg.URL = u
	switch {
	case cfg.Handhelds < 1 || cfg.Handhelds > maxLoadHandhelds:
		return cfg, fmt.Errorf("--handhelds must be 1 to %d", maxLoadHandhelds)
	case cfg.Duration <= 0 || cfg.Duration > maxLoadDuration:
		return cfg, fmt.Errorf("--duration must be above 0 and at most %s", maxLoadDuration)
	case !(cfg.Wrong >= 0 && cfg.Wrong <= 1):
		return cfg, errors.New("--wrong must be between 0 and 1")
	case !(cfg.Disconnect >= 0 && cfg.Disconnect <= 1):
		return cfg, errors.New("--disconnect must be between 0 and 1")
	case !(cfg.Rate >= 0 && cfg.Rate <= 1e6):
		return cfg, errors.New("--rate must be 0 or a number of scans per second")
	}
	if cfg.BadgePrefix == "" {
		cfg.BadgePrefix = "B"
		if cfg.Token != "" {
			cfg.BadgePrefix = "LOAD-"
		}
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
		if err := checkLocal(ctx, cfg.URL.Hostname()); err != nil {
			return err
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
	cfg  loadgenConfig
	http *http.Client
	log  io.Writer
	ws   string // the websocket URL

	apiToken string // for lookups: the admin's, or a picker's

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
	ws := *cfg.URL
	ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[cfg.URL.Scheme]
	ws.Path = strings.TrimSuffix(ws.Path, "/") + "/ws/handheld"
	return &loadgen{cfg: cfg, http: &http.Client{Timeout: 30 * time.Second}, log: log, ws: ws.String(),
		apiToken: cfg.Token, skus: map[string]*skuLookup{}}
}

// apiError is the server's JSON error.
type apiError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// call sends a JSON request to the API and decodes the answer into out.
func (lg *loadgen) call(ctx context.Context, method, path, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	u := *lg.cfg.URL
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := lg.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if res.StatusCode >= 300 {
		var e struct {
			Error apiError `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		e.Error.Status = res.StatusCode
		return fmt.Errorf("%s %s: %w", method, path, &e.Error)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

func apiCode(err error) string {
	var e *apiError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
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
	var me pickwave.Session
	if err := lg.call(ctx, "GET", "/api/v1/me", lg.cfg.Token, nil, &me); err != nil {
		return nil, fmt.Errorf("check --token: %w", err)
	}
	if me.Role != pickwave.RoleAdmin {
		return nil, fmt.Errorf("--token acts as %s, a %s: creating pickers needs an admin", me.User, me.Role)
	}
	var list struct {
		Users []pickwave.User `json:"users"`
	}
	if err := lg.call(ctx, "GET", "/api/v1/users", lg.cfg.Token, nil, &list); err != nil {
		return nil, err
	}
	byBadge := map[string]pickwave.User{}
	for _, u := range list.Users {
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
			u := map[string]any{"name": strings.ToLower(badges[i]), "role": pickwave.RolePicker, "badge": badges[i], "password": hex.EncodeToString(pw)}
			if err := lg.call(ctx, "POST", "/api/v1/users", lg.cfg.Token, u, nil); err != nil {
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
	token := lg.apiToken
	lg.skuMu.Unlock()
	l.once.Do(func() {
		var s pickwave.SKU
		if l.err = lg.call(ctx, "GET", "/api/v1/skus/"+url.PathEscape(sku), token, nil, &s); l.err != nil {
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
		var w pickwave.Wave
		err := lg.call(ctx, "POST", "/api/v1/waves", lg.cfg.Token, map[string]any{"template": map[string]any{"totes_per_cart": 8}}, &w)
		if apiCode(err) == pickwave.ECONFLICT || apiCode(err) == pickwave.ENOTFOUND {
			lg.noMoreWaves = true // no order left to plan, or no layout
			if apiCode(err) == pickwave.ENOTFOUND {
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
		err = lg.call(ctx, "POST", "/api/v1/waves/"+url.PathEscape(w.ID)+"/release", lg.cfg.Token, nil, &w)
		if apiCode(err) == pickwave.ECONFLICT {
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

// run logs the handhelds in, runs them for the duration, and checks the
// store against what they were told.
func (lg *loadgen) run(ctx context.Context) (*loadReport, error) {
	badges, err := lg.badges(ctx)
	if err != nil {
		return nil, err
	}
	if lg.cfg.Token != "" {
		var layout json.RawMessage
		if err := lg.call(ctx, "GET", "/api/v1/layout", lg.cfg.Token, nil, &layout); err != nil {
			fmt.Fprintf(lg.log, "loadgen: no layout, so no waves can be planned: %v\n", err)
		}
	}
	hs := make([]*simHandheld, len(badges))
	for i, b := range badges {
		hs[i] = &simHandheld{lg: lg, badge: b, rng: mrand.New(mrand.NewSource(lg.cfg.Seed + int64(i))),
			answers: map[string]pickwave.Verdict{}, itemTask: map[string]string{}, tasks: map[string]*taskBook{}}
	}
	// Log in a few at a time, then scan together.
	fmt.Fprintf(lg.log, "loadgen: logging in %d handhelds at %s...\n", len(hs), lg.ws)
	errs := make([]error, len(hs))
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i, h := range hs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = h.connect()
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
		for _, h := range hs {
			h.close()
		}
		if len(failed) > 1 {
			return nil, fmt.Errorf("%w (and %d more handhelds failed to log in)", failed[0], len(failed)-1)
		}
		return nil, failed[0]
	}
	if lg.apiToken == "" {
		lg.apiToken = hs[0].token
	}
	fmt.Fprintf(lg.log, "loadgen: scanning for %s...\n", lg.cfg.Duration)
	runCtx, cancel := context.WithTimeout(ctx, lg.cfg.Duration)
	defer cancel()
	start := time.Now()
	for i, h := range hs {
		wg.Go(func() { h.run(runCtx, start, i) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, h := range hs {
		h.close()
	}
	rep := &loadReport{Handhelds: len(hs), Elapsed: elapsed, Waves: lg.waves, canPlan: lg.cfg.Token != ""}
	if lg.waveErr != nil {
		rep.note(fmt.Sprintf("planning waves: %v", lg.waveErr))
	}
	for _, h := range hs {
		rep.add(h)
	}
	checkCtx, cancelCheck := context.WithTimeout(context.Background(), time.Minute)
	defer cancelCheck()
	rep.check(checkCtx, lg, hs)
	return rep, nil
}

// taskBook is what one handheld saw of one task: the units picked when it
// first scanned for it, and the units of the ok item scans since.
type taskBook struct {
	cart  string
	base  int
	units int
}

// simHandheld is one simulated handheld, driven by one goroutine.
type simHandheld struct {
	lg    *loadgen
	badge string
	rng   *mrand.Rand

	ws      *websocket.Conn
	token   string
	session string
	lastSeq uint64
	acked   uint64
	prompt  *pickwave.Prompt
	n       int
	taken   time.Time // when it last asked for a cart
	takenAt int       // the wave generation it last asked at

	answers  map[string]pickwave.Verdict // the first answer to each scan id
	itemTask map[string]string           // the task of each item scan sent
	tasks    map[string]*taskBook

	// pending is the scan sent and not answered yet, kept for a resend.
	pending      string
	pendingData  string
	pendingWrong bool
	uncertain    map[string]bool // tasks of item scans never answered

	rtts           []time.Duration
	scans          int // answered, each id once
	ok, refused    int
	noTask         int
	wrongSent      int
	wrongAccepted  int
	rightRefused   int
	forced         int
	unforced       int
	afterReconnect int
	sessions       int
	repeats, gaps  int
	lost           int
	errCount       int
	errs           []string // the first few
}

// hhMsg is any message from the server.
type hhMsg struct {
	Type    string               `json:"type"`
	Seq     uint64               `json:"seq"`
	Session string               `json:"session"`
	Token   string               `json:"token"`
	Prompt  *pickwave.Prompt     `json:"prompt"`
	Result  *pickwave.ScanResult `json:"result"`
	Code    string               `json:"code"`
	Message string               `json:"message"`
	Ref     string               `json:"ref"`
}

// errGaveUp ends a handheld that could not reconnect.
var errGaveUp = errors.New("could not reconnect")

// errConn is a failed connection: the handheld reconnects.
type errConn struct{ error }

func (e errConn) Unwrap() error { return e.error }

var loadDialer = websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}

func (h *simHandheld) fail(format string, args ...any) {
	h.errCount++
	if len(h.errs) < 5 {
		h.errs = append(h.errs, h.badge+": "+fmt.Sprintf(format, args...))
	}
}

// connect logs in: the first time with the badge; after that with the
// token it got, asking to resume the session from the last seq seen.
func (h *simHandheld) connect() error {
	h.close()
	var hdr http.Header
	hello := map[string]any{"type": "login", "badge": h.badge, "id": "login"}
	if h.token != "" {
		hdr = http.Header{"Authorization": []string{"Bearer " + h.token}}
		hello = map[string]any{"type": "hello", "id": "hello"}
	}
	if h.session != "" {
		hello["session"], hello["last_seq"] = h.session, h.lastSeq
	}
	ws, res, err := loadDialer.Dial(h.lg.ws, hdr)
	if err != nil {
		if res != nil && res.StatusCode == http.StatusUnauthorized && h.token != "" {
			h.token = "" // the session expired: log in with the badge again
			return h.connect()
		}
		return errConn{fmt.Errorf("%s: connect: %w", h.badge, err)}
	}
	h.ws = ws
	if err := h.send(hello); err != nil {
		return err
	}
	for {
		m, err := h.read()
		if err != nil {
			return err
		}
		switch m.Type {
		case "error":
			if m.Code == pickwave.EUNAUTHORIZED && m.Ref == "login" {
				return fmt.Errorf("badge %s: %s (pass --token of an admin to create load pickers)", h.badge, m.Message)
			}
			return fmt.Errorf("%s: %s: %s %s", h.badge, hello["type"], m.Code, m.Message)
		case "welcome":
			if m.Token != "" {
				h.token = m.Token
			}
			return nil
		}
	}
}

func (h *simHandheld) close() {
	if h.ws != nil {
		h.ws.Close()
		h.ws = nil
	}
}

func (h *simHandheld) send(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_ = h.ws.SetWriteDeadline(time.Now().Add(loadReadWait))
	if err := h.ws.WriteMessage(websocket.TextMessage, data); err != nil {
		return errConn{fmt.Errorf("%s: write: %w", h.badge, err)}
	}
	return nil
}

// read reads one message and keeps the books: sequenced messages must
// come once and in order, and the first answer to each scan id counts.
func (h *simHandheld) read() (hhMsg, error) {
	var m hhMsg
	_ = h.ws.SetReadDeadline(time.Now().Add(loadReadWait))
	_, data, err := h.ws.ReadMessage()
	if websocket.IsCloseError(err, handheld.CloseReplaced) {
		// The picker logged in on another device (another loadgen?):
		// reconnecting would only take the session back and forth.
		return m, fmt.Errorf("%s: signed out: the picker logged in on another device", h.badge)
	}
	if err != nil {
		return m, errConn{fmt.Errorf("%s: read: %w", h.badge, err)}
	}
	if err := json.Unmarshal(data, &m); err != nil {
		h.fail("undecodable message %.80q", data)
		return m, nil
	}
	switch m.Type {
	case "welcome":
		if m.Session != h.session {
			// A new session: the first, or the server lost the old one
			// (restarted). Its seqs start again.
			h.session, h.lastSeq, h.acked = m.Session, 0, 0
			h.sessions++
		}
	case "prompt", "verdict":
		switch {
		case m.Seq <= h.lastSeq:
			h.repeats++
			h.fail("%s with seq %d after %d: repeated", m.Type, m.Seq, h.lastSeq)
			return m, nil
		case m.Seq > h.lastSeq+1:
			h.gaps++
			h.fail("%s with seq %d after %d: %d lost", m.Type, m.Seq, h.lastSeq, m.Seq-h.lastSeq-1)
		}
		h.lastSeq = m.Seq
		if m.Prompt != nil {
			h.prompt = m.Prompt
		}
		if r := m.Result; r != nil {
			h.answer(r)
		}
		if h.lastSeq-h.acked >= 8 {
			h.acked = h.lastSeq
			if err := h.send(map[string]any{"type": "ack", "seq": h.lastSeq}); err != nil {
				return m, err
			}
		}
	}
	return m, nil
}

// answer books the first answer to a scan id and checks later ones.
func (h *simHandheld) answer(r *pickwave.ScanResult) {
	if first, ok := h.answers[r.ScanID]; ok {
		if first.Code != r.Verdict.Code || first.Qty != r.Verdict.Qty {
			h.fail("scan %s answered %s, then %s", r.ScanID, first.Code, r.Verdict.Code)
		}
		return
	}
	h.answers[r.ScanID] = r.Verdict
	h.prompt = &r.Prompt
	h.scans++
	switch v := r.Verdict; {
	case v.OK():
		h.ok++
		if task := h.itemTask[r.ScanID]; task != "" {
			h.tasks[task].units += v.Qty
		}
	case v.Code == pickwave.VerdictNoTask:
		h.noTask++
	default:
		h.refused++
	}
}

// await reads until the first answer to scan id.
func (h *simHandheld) await(id string) error {
	for {
		if _, ok := h.answers[id]; ok {
			return nil
		}
		m, err := h.read()
		if err != nil {
			return err
		}
		if m.Type == "error" && m.Ref == id {
			// Refused outright (not judged): nothing was applied.
			h.answers[id] = pickwave.Verdict{Code: "error:" + m.Code}
			h.fail("scan %s: %s %s", id, m.Code, m.Message)
			return nil
		}
	}
}

// takeCart asks for a cart once in a while when the handheld has none,
// planning a wave when none is free and loadgen may.
func (h *simHandheld) takeCart(ctx context.Context) error {
	if p := h.prompt; p != nil && !p.Done && p.CartID != "" {
		return nil
	}
	if !h.taken.IsZero() && time.Since(h.taken) < loadRetakeEvery && h.lg.generation() == h.takenAt {
		return nil // scans get no_task meanwhile
	}
	for attempt := 0; attempt < 2; attempt++ {
		gen := h.lg.generation()
		h.taken, h.takenAt = time.Now(), gen
		if err := h.send(map[string]any{"type": "take_cart", "id": "take"}); err != nil {
			return err
		}
		for got := false; !got; {
			m, err := h.read()
			if err != nil {
				return err
			}
			switch {
			case m.Type == "prompt":
				return nil
			case m.Type == "error" && m.Ref == "take" && m.Code == pickwave.ENOTFOUND:
				got = true
			case m.Type == "error" && m.Ref == "take":
				h.fail("take_cart: %s %s", m.Code, m.Message)
				return nil
			}
		}
		if ctx.Err() != nil || !h.lg.replenish(ctx, gen) {
			return nil
		}
	}
	return nil
}

// run scans until ctx ends, then waits for the last answer.
func (h *simHandheld) run(ctx context.Context, start time.Time, i int) {
	defer h.close()
	var interval time.Duration
	next := start
	if h.lg.cfg.Rate > 0 {
		interval = time.Duration(float64(h.lg.cfg.Handhelds) / h.lg.cfg.Rate * float64(time.Second))
		next = start.Add(interval * time.Duration(i) / time.Duration(h.lg.cfg.Handhelds))
	}
	for ctx.Err() == nil {
		if interval > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(next)):
			}
			next = next.Add(interval)
		}
		if err := h.step(ctx); err != nil {
			var ce errConn
			switch {
			case errors.Is(err, errGaveUp):
				return
			case !errors.As(err, &ce):
				h.fail("%v", err)
				return
			}
			h.unforced++
			if !h.recover(ctx) {
				return
			}
		}
	}
	if h.pending != "" {
		h.recover(ctx)
	}
}

// step makes one scan, maybe with a forced disconnect before its verdict.
func (h *simHandheld) step(ctx context.Context) error {
	if err := h.takeCart(ctx); err != nil {
		return err
	}
	wrong := h.rng.Float64() < h.lg.cfg.Wrong
	data, task, err := h.nextScan(ctx, wrong)
	if err != nil {
		return err
	}
	h.n++
	id := fmt.Sprintf("%s-%d-%d", h.badge, time.Now().UnixNano(), h.n)
	if task != "" {
		h.itemTask[id] = task
		if h.tasks[task] == nil {
			h.tasks[task] = &taskBook{cart: h.prompt.CartID, base: h.prompt.Task.Picked}
		}
	}
	if wrong {
		h.wrongSent++
	}
	h.pending, h.pendingData, h.pendingWrong = id, data, wrong
	sent := time.Now()
	if err := h.send(map[string]any{"type": "scan", "id": id, "device": h.badge, "data": data}); err != nil {
		return err
	}
	if h.rng.Float64() < h.lg.cfg.Disconnect {
		h.forced++
		h.close()
		if !h.recover(ctx) {
			return errGaveUp
		}
		return nil
	}
	if err := h.await(id); err != nil {
		return err
	}
	h.pending = ""
	h.rtts = append(h.rtts, time.Since(sent))
	h.judge(id, wrong)
	return nil
}

// judge checks an answer against what the scan was meant to be.
func (h *simHandheld) judge(id string, wrong bool) {
	v := h.answers[id]
	switch {
	case strings.HasPrefix(v.Code, "error:"):
	case wrong && v.OK():
		h.wrongAccepted++
		h.fail("wrong scan %s accepted", id)
	case !wrong && !v.OK() && v.Code != pickwave.VerdictNoTask:
		h.rightRefused++
		h.fail("right scan %s refused: %s %s", id, v.Code, v.Message)
	}
}

// recover reconnects after a lost connection, resuming the session, and
// sends the unanswered scan again with the same id until it is answered;
// false when it cannot within the run and its grace time.
func (h *simHandheld) recover(ctx context.Context) bool {
	deadline := time.Now().Add(loadGrace)
	if d, ok := ctx.Deadline(); ok && d.Add(loadGrace).After(deadline) {
		deadline = d.Add(loadGrace)
	}
	for backoff := 50 * time.Millisecond; time.Now().Before(deadline); backoff = min(2*backoff, 2*time.Second) {
		err := h.connect()
		if err == nil && h.pending != "" {
			id := h.pending
			if _, answered := h.answers[id]; !answered {
				err = h.resend(id)
			}
			if err == nil {
				err = h.await(id)
			}
			if err == nil {
				h.afterReconnect++
				h.judge(id, h.pendingWrong)
				h.pending = ""
			}
		}
		if err == nil {
			return true
		}
		if !errors.As(err, new(errConn)) {
			h.fail("%v", err)
			return false
		}
		h.unforced++
		time.Sleep(backoff) // backing off before reconnecting
	}
	if h.pending != "" {
		h.lost++
		h.fail("scan %s never answered", h.pending)
		if task := h.itemTask[h.pending]; task != "" {
			// It may or may not have been applied: its task cannot be checked.
			if h.uncertain == nil {
				h.uncertain = map[string]bool{}
			}
			h.uncertain[task] = true
		}
		h.pending = ""
	}
	return false
}

// resend sends the unanswered scan again, with the same id and data.
func (h *simHandheld) resend(id string) error {
	return h.send(map[string]any{"type": "scan", "id": id, "device": h.badge, "data": h.pendingData})
}

// nextScan returns the data of the next scan and, for an item scan, its
// task. A wrong scan is a valid EAN-8 that no SKU has: at every step it is
// not what the prompt asks for.
func (h *simHandheld) nextScan(ctx context.Context, wrong bool) (data, task string, err error) {
	p := h.prompt
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
	canPlan   bool // loadgen had a token to plan waves with

	rtts                       []time.Duration
	scans, ok, refused, noTask int
	wrongSent, wrongAccepted   int
	rightRefused               int
	forced, unforced, resumed  int
	afterReconnect             int
	newSessions                int
	repeats, gaps              int
	lost                       int
	errCount                   int
	errs                       []string

	tasksChecked, cartsChecked int
	twice, short               []string // tasks with more or fewer units picked than answered ok
	uncertain                  int
	notes                      []string
}

func (r *loadReport) note(s string) { r.notes = append(r.notes, s) }

func (r *loadReport) add(h *simHandheld) {
	r.rtts = append(r.rtts, h.rtts...)
	r.scans += h.scans
	r.ok += h.ok
	r.refused += h.refused
	r.noTask += h.noTask
	r.wrongSent += h.wrongSent
	r.wrongAccepted += h.wrongAccepted
	r.rightRefused += h.rightRefused
	r.forced += h.forced
	r.unforced += h.unforced
	r.afterReconnect += h.afterReconnect
	r.newSessions += max(h.sessions-1, 0)
	r.repeats += h.repeats
	r.gaps += h.gaps
	r.lost += h.lost
	r.errCount += h.errCount
	if len(r.errs) < 10 {
		r.errs = append(r.errs, h.errs...)
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
		var got struct {
			Tasks []pickwave.Task `json:"tasks"`
		}
		if err := lg.call(ctx, "GET", "/api/v1/carts/"+url.PathEscape(cart), lg.apiToken, nil, &got); err != nil {
			r.note(fmt.Sprintf("could not check cart %s: %v", cart, err))
			continue
		}
		r.cartsChecked++
		picked := map[string]int{}
		for _, t := range got.Tasks {
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
	if r.errCount > 0 {
		faults = append(faults, fmt.Sprintf("%d errors", r.errCount))
	}
	if len(faults) > 0 {
		return errors.New("load run failed: " + strings.Join(faults, ", "))
	}
	return nil
}

func (r *loadReport) print(w io.Writer) {
	slices.Sort(r.rtts)
	pct := func(q float64) string {
		if len(r.rtts) == 0 {
			return "-"
		}
		i := min(max(int(math.Ceil(q*float64(len(r.rtts))))-1, 0), len(r.rtts)-1)
		return fmt.Sprintf("%.1f ms", float64(r.rtts[i])/float64(time.Millisecond))
	}
	secs := r.Elapsed.Seconds()
	fmt.Fprintf(w, "handhelds      %d for %s\n", r.Handhelds, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "scans          %d answered, %.1f scans/s (ok %d, refused %d, no_task %d)\n", r.scans, float64(r.scans)/secs, r.ok, r.refused, r.noTask)
	fmt.Fprintf(w, "wrong scans    %d sent, %d accepted; right scans refused: %d\n", r.wrongSent, r.wrongAccepted, r.rightRefused)
	fmt.Fprintf(w, "round trip     p50 %s  p95 %s  p99 %s  max %s  (%d scans; %d more answered after a reconnect)\n",
		pct(0.50), pct(0.95), pct(0.99), pct(1), len(r.rtts), r.afterReconnect)
	fmt.Fprintf(w, "disconnects    %d forced, %d unforced; %d sessions not resumed (server restarted?)\n", r.forced, r.unforced, r.newSessions)
	fmt.Fprintf(w, "waves          %d planned and released\n", r.Waves)
	fmt.Fprintf(w, "sequence       %d messages repeated, %d skipped\n", r.repeats, r.gaps)
	fmt.Fprintf(w, "lost scans     %d (sent, never answered)\n", r.lost)
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
