package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
)

// Helpers for load tests and benchmarks of the handheld websocket: a demo
// site with a released cart for every handheld, served for real with fsync
// on, and a handheld client that is safe to run in its own goroutine
// (it returns errors instead of failing the test) and checks that every
// sequenced message arrives once and in order.

// loadWaveOrders is how many orders a load wave takes: 8 carts of 8 totes.
// The wave record is rewritten on every picked unit, so its size is part
// of a scan's cost; see the note in handheld_bench_test.go.
const loadWaveOrders = 64

// loadTemplate builds, in dir, a demo warehouse (10 aisles × 20 bays × 4
// levels, 500 SKUs with stock topped up so nothing is backordered) with
// released waves holding at least carts carts of 8 orders each. The first
// started pickers (see loadPicker) each take a cart, bind its totes and
// get a few scans into it, so that a run starts mid-cart as on a working
// floor rather than with every handheld binding totes at once. It runs
// without fsync and closes the store, so copies of the file start from a
// clean state. It returns each SKU's each (single unit) barcode.
func loadTemplate(tb testing.TB, dir string, carts, started int) map[string]string {
	tb.Helper()
	ctx := pickwave.WithActor(context.Background(), "load")
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler), NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	site := demo.Site{Aisles: 10, Bays: 20, Levels: 4, SKUs: 500, Seed: 11, Now: floorNow}
	if err := demo.Seed(ctx, noUsers{db}, site); err != nil {
		tb.Fatal(err)
	}
	skus, err := db.SKUs(ctx, "", 1000)
	if err != nil {
		tb.Fatal(err)
	}
	barcodes := map[string]string{}
	var codes []string
	for _, s := range skus {
		for _, bc := range s.Barcodes {
			if bc.Qty == 1 {
				barcodes[s.Code] = bc.Code
			}
		}
		codes = append(codes, s.Code)
		// Top up every pick bin so that the orders below all allocate.
		rows, err := db.StockOf(ctx, s.Code)
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range rows {
			if strings.HasSuffix(r.Location, fmt.Sprintf("-%d", site.Levels)) {
				continue // reserve
			}
			adj := &pickwave.Adjustment{SKU: r.SKU, Location: r.Location, Lot: r.Lot, Expiry: r.Expiry, Delta: 100000, Reason: "receipt"}
			if _, err := db.AdjustStock(ctx, adj); err != nil {
				tb.Fatal(err)
			}
		}
	}
	// Orders of one to three lines, mostly single units, created
	// concurrently (group commit) a few waves at a time: planning reads
	// every order not yet in a wave, so a small pool keeps setup short.
	rng := rand.New(rand.NewSource(site.Seed))
	released, n := 0, 0
	for released < carts {
		inputs := make([]*pickwave.OrderInput, 8*loadWaveOrders)
		for i := range inputs {
			in := &pickwave.OrderInput{ExternalID: fmt.Sprintf("LOAD-%06d", n), Carrier: "UPS", Service: "Ground",
				Customer: pickwave.Customer{Name: "Load Test"},
				ShipTo:   pickwave.Address{Name: "Load Test", Address1: "1 Main St", City: "Columbus", Region: "OH", PostalCode: "43215", Country: "US"},
				ShipBy:   floorNow.Add(6 * time.Hour)}
			n++
			for range 1 + rng.Intn(3) {
				sku := codes[rng.Intn(len(codes))]
				if !slices.ContainsFunc(in.Lines, func(l pickwave.LineInput) bool { return l.SKU == sku }) {
					in.Lines = append(in.Lines, pickwave.LineInput{SKU: sku, Qty: 1 + rng.Intn(4)/3})
				}
			}
			inputs[i] = in
		}
		errs := make([]error, len(inputs))
		var wg sync.WaitGroup
		for i, in := range inputs {
			wg.Go(func() { _, _, errs[i] = db.CreateOrder(ctx, in) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			tb.Fatal(err)
		}
		for released < carts {
			w, err := db.PlanWave(ctx, pickwave.WaveTemplate{TotesPerCart: store.DefaultTotesPerCart, MaxOrders: loadWaveOrders}, 1)
			if pickwave.ErrorCode(err) == pickwave.ECONFLICT {
				break // the pool is empty
			}
			if err != nil {
				tb.Fatalf("plan a wave after %d carts: %v", released, err)
			}
			if w, err = db.ReleaseWave(ctx, w.ID); err != nil {
				tb.Fatal(err)
			}
			released += w.Progress.Carts
		}
	}
	errs := make([]error, started)
	var wg sync.WaitGroup
	for i := range started {
		wg.Go(func() { errs[i] = startCart(ctx, db, loadPicker(i), barcodes, 8+i%24) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	return barcodes
}

// startCart takes a cart for the picker and makes the first right scans.
func startCart(ctx context.Context, db *store.DB, picker string, barcodes map[string]string, scans int) error {
	p, err := db.TakeCart(ctx, picker)
	if err != nil {
		return fmt.Errorf("%s: take cart: %w", picker, err)
	}
	for k := 0; k < scans && !p.Done; k++ {
		data, _ := rightScan(p, barcodes)
		res, err := db.Scan(ctx, picker, pickwave.ScanRequest{ID: fmt.Sprintf("%s-start-%d", picker, k), Device: "setup", Data: data})
		if err != nil {
			return fmt.Errorf("%s: scan %q: %w", picker, data, err)
		}
		if !res.Verdict.OK() {
			return fmt.Errorf("%s: scan %q: %+v", picker, data, res.Verdict)
		}
		p = &res.Prompt
	}
	return nil
}

// rightScan returns the scan a prompt asks for, and the task whose units
// an ok answer counts when it is an item scan. Totes are labelled by cart
// and slot.
func rightScan(p *pickwave.Prompt, barcodes map[string]string) (data, itemTask string) {
	switch {
	case p == nil || p.Done:
		return "96385074", "" // nothing to scan for: any scan gets no_task
	case p.Step == pickwave.StepBindTote:
		return fmt.Sprintf("T-%s-%d", p.CartID, p.Slot), ""
	case p.Step == pickwave.StepLocation:
		return p.Task.Location, ""
	case p.Step == pickwave.StepItem:
		return barcodes[p.Task.SKU], p.Task.ID
	case p.Step == pickwave.StepTote:
		return fmt.Sprintf("T-%s-%d", p.CartID, p.Task.ToteSlot), ""
	}
	return "?", ""
}

// noUsers seeds no demo users: load tests mint tokens instead, which
// spares a bcrypt hash per user.
type noUsers struct{ *store.DB }

func (noUsers) CreateUser(context.Context, *pickwave.User, string) error { return nil }

// loadSite serves a copy of a load template with fsync on: in this
// process (httptest), or as the real `pickwave serve` in a process of
// its own (openLoadServer).
type loadSite struct {
	dir      string
	barcodes map[string]string
	base     string // http://host:port
	admin    string // an admin's token, for /metrics

	// In process.
	db   *store.DB
	srv  *server.Server
	http *httptest.Server

	// In a process of its own.
	cmd    *exec.Cmd
	exited chan error
}

// copyLoadSite opens the store on a copy of the template, with an
// admin's token minted.
func copyLoadSite(tb testing.TB, template string, barcodes map[string]string) *loadSite {
	tb.Helper()
	s := &loadSite{dir: tb.TempDir(), barcodes: barcodes}
	copyLoadFile(tb, filepath.Join(template, store.FileName), filepath.Join(s.dir, store.FileName))
	db, err := store.Open(s.dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	s.db = db
	s.admin = s.adminToken(tb)
	return s
}

func openLoadSite(tb testing.TB, template string, barcodes map[string]string) *loadSite {
	tb.Helper()
	s := copyLoadSite(tb, template, barcodes)
	db := s.db
	s.srv = &server.Server{Inventory: db, Orders: db, Events: db, Users: db, Waves: db, Planner: db, Picks: db, Logger: slog.New(slog.DiscardHandler)}
	s.http = httptest.NewServer(s.srv.Handler())
	s.base = s.http.URL
	tb.Cleanup(s.close)
	return s
}

// openLoadServer serves a copy of the template with the pickwave binary,
// `pickwave serve`, in a process of its own, as on the floor: its
// runtime (scheduler, garbage collector) is not shared with the load
// clients, which still share the machine's cores. It returns the site
// and the tokens of the first n load pickers, minted before the server
// takes the data directory.
func openLoadServer(tb testing.TB, template string, barcodes map[string]string, n int) (*loadSite, []string) {
	tb.Helper()
	bin := pickwaveBinary(tb)
	s := copyLoadSite(tb, template, barcodes)
	tokens := s.tokens(tb, n)
	if err := s.db.Close(); err != nil {
		tb.Fatal(err)
	}
	s.db = nil

	s.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", s.dir, "--log-format", "json")
	s.cmd.Stdout = io.Discard
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	s.exited = make(chan error, 1)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "pickwave serving" {
				addr <- rec.Addr
			}
		}
		s.exited <- s.cmd.Wait()
	}()
	tb.Cleanup(s.close)
	select {
	case s.base = <-addr:
	case err := <-s.exited:
		tb.Fatalf("pickwave serve exited before serving: %v", err)
	case <-time.After(time.Minute):
		tb.Fatal("pickwave serve did not start")
	}
	return s, tokens
}

var pickwaveBin struct {
	once sync.Once
	path string
	err  error
}

// pickwaveBinary builds cmd/pickwave once per test binary.
func pickwaveBinary(tb testing.TB) string {
	tb.Helper()
	pickwaveBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "pickwave-bin-")
		if err != nil {
			pickwaveBin.err = err
			return
		}
		pickwaveBin.path = filepath.Join(dir, "pickwave")
		out, err := exec.Command("go", "build", "-o", pickwaveBin.path, "github.com/pickwave/pickwave/cmd/pickwave").CombinedOutput()
		if err != nil {
			pickwaveBin.err = fmt.Errorf("build pickwave: %w\n%s", err, out)
		}
	})
	if pickwaveBin.err != nil {
		tb.Fatal(pickwaveBin.err)
	}
	return pickwaveBin.path
}

func (s *loadSite) close() {
	switch {
	case s.cmd != nil:
		// SIGINT: serve drains and closes the store as an operator's
		// Ctrl-C would.
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		s.cmd = nil
	case s.http != nil:
		s.srv.Close(context.Background())
		s.http.Close()
		s.db.Close()
		s.http = nil
	}
}

func (s *loadSite) wsURL() string {
	return "ws" + strings.TrimPrefix(s.base, "http") + "/ws/handheld"
}

func (s *loadSite) adminToken(tb testing.TB) string {
	tb.Helper()
	token, err := s.db.MintToken(context.Background(), "load-admin", pickwave.RoleAdmin, 4*time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return token
}

// verdictQuantile reads the server's histogram of scan verdict times
// (pickwave_scan_verdict_seconds) from /metrics and returns the upper
// bound of the bucket that holds quantile q, in seconds, and the count.
func (s *loadSite) verdictQuantile(q float64) (float64, int, error) {
	req, _ := http.NewRequest("GET", s.base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+s.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	type bucket struct {
		le    float64
		count int
	}
	var buckets []bucket
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		var b bucket
		if _, err := fmt.Sscanf(sc.Text(), "pickwave_scan_verdict_seconds_bucket{le=%q} %d", new(string), &b.count); err != nil {
			continue
		}
		le := strings.TrimSuffix(strings.TrimPrefix(sc.Text(), `pickwave_scan_verdict_seconds_bucket{le="`), "\"} "+strconv.Itoa(b.count))
		if b.le, err = strconv.ParseFloat(le, 64); err != nil {
			b.le = math.Inf(1)
		}
		buckets = append(buckets, b)
	}
	if len(buckets) == 0 {
		return 0, 0, fmt.Errorf("no pickwave_scan_verdict_seconds in /metrics (%s)", res.Status)
	}
	total := buckets[len(buckets)-1].count
	for _, b := range buckets {
		if float64(b.count) >= q*float64(total) {
			return b.le, total, nil
		}
	}
	return math.Inf(1), total, nil
}

// tokens mints a picker token for each of the first n load pickers.
func (s *loadSite) tokens(tb testing.TB, n int) []string {
	tb.Helper()
	out := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			out[i], errs[i] = s.db.MintToken(context.Background(), loadPicker(i), pickwave.RolePicker, 4*time.Hour)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
	return out
}

// loadPicker names the i-th load picker, from 0.
func loadPicker(i int) string { return fmt.Sprintf("lp%04d", i+1) }

func copyLoadFile(tb testing.TB, from, to string) {
	tb.Helper()
	src, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		tb.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		tb.Fatal(err)
	}
}

// loadMsg is any server message.
type loadMsg struct {
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

// loadDialer keeps client buffers small, like a handheld's.
var loadDialer = websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}

// loadClient is one simulated handheld: one goroutine drives it. It
// authenticates with a bearer token and hello, resumes its session after a
// reconnect, and treats a sequenced message seen twice or skipped as an
// error.
type loadClient struct {
	url, token, name string
	barcodes         map[string]string

	ws      *websocket.Conn
	session string
	lastSeq uint64
	acked   uint64
	prompt  *pickwave.Prompt
	n       int

	// answers holds the first verdict of every scan id; itemTask names the
	// task of each item scan sent; units counts the units of ok item scans
	// per task, each scan id once.
	answers  map[string]*pickwave.Verdict
	itemTask map[string]string
	units    map[string]int
	// sessions counts the sessions seen (more than one: the server lost it).
	sessions int
}

func newLoadClient(url, token, name string, barcodes map[string]string) *loadClient {
	return &loadClient{url: url, token: token, name: name, barcodes: barcodes,
		answers: map[string]*pickwave.Verdict{}, itemTask: map[string]string{}, units: map[string]int{}}
}

// readWait bounds the wait for one server message.
const readWait = 30 * time.Second

// connect dials and says hello, resuming the session when there is one,
// and returns once the welcome has arrived.
func (c *loadClient) connect() error {
	if c.ws != nil {
		c.ws.Close()
	}
	ws, _, err := loadDialer.Dial(c.url, http.Header{"Authorization": []string{"Bearer " + c.token}})
	if err != nil {
		return connError{fmt.Errorf("%s: dial: %w", c.name, err)}
	}
	c.ws = ws
	if err := c.send(map[string]any{"type": "hello", "session": c.session, "last_seq": c.lastSeq}); err != nil {
		return err
	}
	for {
		m, err := c.read()
		if err != nil {
			return err
		}
		if m.Type == "error" {
			return fmt.Errorf("%s: hello: %s %s", c.name, m.Code, m.Message)
		}
		if m.Type == "welcome" {
			return nil
		}
	}
}

// drop closes the socket abruptly, as a handheld walking out of Wi-Fi.
func (c *loadClient) drop() {
	if c.ws != nil {
		c.ws.Close()
		c.ws = nil
	}
}

func (c *loadClient) send(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(readWait))
	if err := c.ws.WriteMessage(websocket.TextMessage, data); err != nil {
		return connError{fmt.Errorf("%s: write: %w", c.name, err)}
	}
	return nil
}

// connError is a failure of the connection, after which a handheld
// reconnects; any other error breaks the protocol.
type connError struct{ error }

func (e connError) Unwrap() error { return e.error }

func isConnError(err error) bool { return errors.As(err, new(connError)) }

// read reads one message and keeps the books: sequenced messages must
// come once and in order; the first answer to each scan id counts.
func (c *loadClient) read() (loadMsg, error) {
	var m loadMsg
	_ = c.ws.SetReadDeadline(time.Now().Add(readWait))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return m, connError{fmt.Errorf("%s: read: %w", c.name, err)}
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s: %q: %w", c.name, data, err)
	}
	switch m.Type {
	case "welcome":
		if m.Session != c.session {
			c.session, c.lastSeq, c.acked = m.Session, 0, 0
			c.sessions++
		}
	case "prompt", "verdict":
		if m.Seq != c.lastSeq+1 {
			return m, fmt.Errorf("%s: %s with seq %d after %d: %s", c.name, m.Type, m.Seq, c.lastSeq, map[bool]string{true: "repeated", false: "lost"}[m.Seq <= c.lastSeq])
		}
		c.lastSeq = m.Seq
		if m.Prompt != nil {
			c.prompt = m.Prompt
		}
		if r := m.Result; r != nil {
			if first := c.answers[r.ScanID]; first != nil {
				if first.Code != r.Verdict.Code || first.Qty != r.Verdict.Qty {
					return m, fmt.Errorf("%s: scan %s answered %s, then %s", c.name, r.ScanID, first.Code, r.Verdict.Code)
				}
			} else {
				// The verdict alone is kept, not the result and its prompt:
				// a long run keeps every scan's.
				v := r.Verdict
				c.answers[r.ScanID] = &v
				c.prompt = &r.Prompt
				if task := c.itemTask[r.ScanID]; task != "" && r.Verdict.OK() {
					c.units[task] += r.Verdict.Qty
				}
			}
		}
		if c.lastSeq-c.acked >= 8 {
			c.acked = c.lastSeq
			if err := c.send(map[string]any{"type": "ack", "seq": c.lastSeq}); err != nil {
				return m, err
			}
		}
	}
	return m, nil
}

// takeCart asks for a cart; false when none is left.
func (c *loadClient) takeCart() (bool, error) {
	if err := c.send(map[string]any{"type": "take_cart", "id": "take"}); err != nil {
		return false, err
	}
	for {
		m, err := c.read()
		switch {
		case err != nil:
			return false, err
		case m.Type == "prompt":
			return true, nil
		case m.Type == "error" && m.Code == pickwave.ENOTFOUND:
			return false, nil
		case m.Type == "error":
			return false, fmt.Errorf("%s: take_cart: %s %s", c.name, m.Code, m.Message)
		}
	}
}

// nextScan makes up the next scan for the current prompt: the right one,
// or with wrong set one that must be refused (a valid EAN-8 that no SKU
// has: at every step it is not what was asked for). It returns the data
// and the task an ok answer counts units for ("" unless an item scan).
func (c *loadClient) nextScan(wrong bool) (data, itemTask string) {
	if wrong {
		return "96385074", ""
	}
	return rightScan(c.prompt, c.barcodes)
}

// sendScan sends a scan; itemTask names the task when it is an item scan,
// whose units an ok answer counts. A retry sends the same id again.
func (c *loadClient) sendScan(id, data, itemTask string) error {
	if itemTask != "" {
		c.itemTask[id] = itemTask
	}
	return c.send(map[string]any{"type": "scan", "id": id, "device": c.name, "data": data})
}

// scan sends a scan and waits for its verdict.
func (c *loadClient) scan(id, data, itemTask string) (*pickwave.ScanResult, error) {
	if err := c.sendScan(id, data, itemTask); err != nil {
		return nil, err
	}
	return c.await(id)
}

// await reads until the first answer to scan id.
func (c *loadClient) await(id string) (*pickwave.ScanResult, error) {
	if v := c.answers[id]; v != nil {
		// It came with the messages resumed on reconnecting; the prompt
		// since is the handheld's.
		return &pickwave.ScanResult{ScanID: id, Verdict: *v, Prompt: *c.prompt}, nil
	}
	for {
		m, err := c.read()
		if err != nil {
			return nil, err
		}
		if m.Type == "error" {
			return nil, fmt.Errorf("%s: scan %s: %s %s", c.name, id, m.Code, m.Message)
		}
		if m.Result != nil && m.Result.ScanID == id && c.answers[id] != nil {
			return m.Result, nil
		}
	}
}

// newID returns a scan id unique for this picker.
func (c *loadClient) newID() string {
	c.n++
	return fmt.Sprintf("%s-%d", c.name, c.n)
}

// latencies collects round trips from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

// percentile returns the q-quantile (0..1), nearest rank, after sort.
func (l *latencies) percentile(q float64) time.Duration {
	if len(l.d) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(l.d)))) - 1
	return l.d[min(max(i, 0), len(l.d)-1)]
}

func (l *latencies) sort() { slices.Sort(l.d) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
