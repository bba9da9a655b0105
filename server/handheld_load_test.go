package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/testenv"
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
	db := testenv.OpenStore(tb, dir, store.Options{NoSync: true})
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
	db := testenv.OpenStore(tb, s.dir, store.Options{})
	s.db = db
	s.admin = s.adminToken(tb)
	return s
}

func openLoadSite(tb testing.TB, template string, barcodes map[string]string) *loadSite {
	tb.Helper()
	s := copyLoadSite(tb, template, barcodes)
	db := s.db
	s.srv = testenv.Server(db, nil)
	s.http = httptest.NewServer(testenv.Checked(tb, s.srv.Handler()))
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

// loadDialer keeps client buffers small, like a handheld's.
var loadDialer = websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}

// loadClient is one simulated handheld, a handheld.Client driven by one
// goroutine: it authenticates with a bearer token and hello, resumes its
// session after a reconnect, and its ledger keeps the first answer to
// every scan id; a sequenced message seen twice or skipped is a fault
// (Client.Err).
type loadClient struct {
	url, token, name string
	barcodes         map[string]string
	*handheld.Client // nil until the first connect

	// itemTask names the task of each item scan sent, whose units an ok
	// answer counts.
	itemTask map[string]string
}

func newLoadClient(url, token, name string, barcodes map[string]string) *loadClient {
	return &loadClient{url: url, token: token, name: name, barcodes: barcodes, itemTask: map[string]string{}}
}

// readWait bounds the wait for one answer.
const readWait = 30 * time.Second

// connect dials and says hello the first time; after that it reconnects,
// resuming the session and sending the unanswered scans again.
func (c *loadClient) connect() error {
	ctx, cancel := context.WithTimeout(context.Background(), readWait)
	defer cancel()
	if c.Client != nil {
		return c.Reconnect(ctx)
	}
	cl, err := handheld.Dial(ctx, c.url, handheld.Options{Token: c.token, Device: c.name, IDPrefix: c.name, Dialer: &loadDialer})
	if err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	c.Client = cl
	return nil
}

// drop loses the connection abruptly, as a handheld walking out of Wi-Fi.
func (c *loadClient) drop() {
	if c.Client != nil {
		c.Drop()
	}
}

// isConnError says the connection failed, after which a handheld
// reconnects; any other error breaks the protocol.
func isConnError(err error) bool { return errors.Is(err, handheld.ErrDisconnected) }

// takeCart asks for a cart; false when none is left.
func (c *loadClient) takeCart() (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), readWait)
	defer cancel()
	_, err := c.TakeCart(ctx)
	switch {
	case handheld.ErrorCode(err) == pickwave.ENOTFOUND:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("%s: take_cart: %w", c.name, err)
	}
	return true, nil
}

// nextScan makes up the next scan for the current prompt: the right one,
// or with wrong set one that must be refused (a valid EAN-8 that no SKU
// has: at every step it is not what was asked for). It returns the data
// and the task an ok answer counts units for ("" unless an item scan).
func (c *loadClient) nextScan(wrong bool) (data, itemTask string) {
	if wrong {
		return "96385074", ""
	}
	return rightScan(c.Prompt(), c.barcodes)
}

// scan sends a scan and waits for its verdict; itemTask names the task
// when it is an item scan.
func (c *loadClient) scan(id, data, itemTask string) (*pickwave.ScanResult, error) {
	if itemTask != "" {
		c.itemTask[id] = itemTask
	}
	ctx, cancel := context.WithTimeout(context.Background(), readWait)
	defer cancel()
	res, err := c.Scan(ctx, pickwave.ScanRequest{ID: id, Data: data})
	if err != nil {
		return nil, fmt.Errorf("%s: scan %s: %w", c.name, id, err)
	}
	return res, nil
}

// submit sends a scan without waiting for its verdict.
func (c *loadClient) submit(id, data, itemTask string) error {
	if itemTask != "" {
		c.itemTask[id] = itemTask
	}
	ctx, cancel := context.WithTimeout(context.Background(), readWait)
	defer cancel()
	_, err := c.Submit(ctx, handheld.ClientMessage{Type: handheld.TypeScan, ID: id, Data: data})
	return err
}

// await waits for the first answer to scan id.
func (c *loadClient) await(id string) (*pickwave.ScanResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), readWait)
	defer cancel()
	res, err := c.Await(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("%s: scan %s: %w", c.name, id, err)
	}
	return res, nil
}

// units counts, per task, the units of the ok item scans answered, each
// scan id once (its first answer).
func (c *loadClient) units() map[string]int {
	units := map[string]int{}
	for _, e := range c.Ledger() {
		if task := c.itemTask[e.ID]; task != "" && e.Answered && e.Verdict.OK() {
			units[task] += e.Verdict.Qty
		}
	}
	return units
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
