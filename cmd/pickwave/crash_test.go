package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/testenv"
)

// TestCrash_killUnderLoad is the DESIGN.md crash target: `kill -9` under
// load loses no acknowledged scan and applies none twice.
//
// It builds the pickwave binary, serves a demo warehouse from a temp data
// directory as a child process, and runs handhelds (handheld.Client)
// scanning as fast as their verdicts come back; each client's ledger keeps
// every scan id it sent and the first verdict it got. Mid-load the server
// is killed with SIGKILL and started again on the same data and address.
// Then:
//   - each handheld reconnects, which sends every scan it has no answer
//     for again with its id: each must now be answered (applied before the
//     crash or not, but once);
//   - every answered id of the ledger, the oldest as the newest, is sent
//     again: each must come back replayed with its first verdict (0 judged
//     again, 0 answers changed), twice over;
//   - the store's totals equal the ledger's: per task, the units picked
//     are the units of its distinct ok item scans; the tasks confirmed by
//     an ok tote scan are the wave's tasks done, their units the wave's
//     units picked, each order line's picked units, and what left the
//     stock at each location.
//
// SIGKILL ends the process, not the machine: what was written survives in
// the page cache even without fsync. The test shows the protocol and the
// store's commit order are right (nothing acknowledged before its commit,
// retries applied once); surviving power loss rests on bbolt's fsync.
func TestCrash_killUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server")
	}
	t.Parallel()
	bin := testenv.BuildBinary(t)
	data := t.TempDir()
	const handhelds = 12
	// Tokens are minted offline, before the server holds the directory.
	tokens := make([]string, handhelds+1)
	for i := range tokens {
		role, user := "picker", fmt.Sprintf("crash%02d", i)
		if i == handhelds {
			role, user = "admin", "crash-admin"
		}
		var out bytes.Buffer
		if err := run(context.Background(), []string{"token", "--data", data, "--role", role, "--user", user}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		tokens[i] = strings.TrimSpace(out.String())
	}
	admin := tokens[handhelds]

	srv := testenv.ServeBinary(t, bin, "serve", "--demo", "--addr", "127.0.0.1:0", "--data", data)
	api := &crashAPI{t: t, c: client.New(srv.Base, client.WithToken(admin))}
	ctx := t.Context()
	w := must(api.c.Planner.PlanWave(ctx, pickwave.WaveTemplate{TotesPerCart: 8}, 0)).of(t)
	must(api.c.Waves.ReleaseWave(ctx, w.ID)).of(t)
	stockBefore := api.stock()

	// Load until enough scans are acknowledged, then kill.
	var acked atomic.Int64
	killed := make(chan struct{})
	clients := make([]*crashClient, handhelds)
	var wg sync.WaitGroup
	for i := range clients {
		c := &crashClient{name: fmt.Sprintf("crash%02d", i), token: tokens[i], api: api, acked: &acked, sent: map[string]crashScan{}}
		clients[i] = c
		wg.Go(func() { c.load("ws"+strings.TrimPrefix(srv.Base, "http")+"/ws/handheld", killed) })
	}
	testenv.Eventually(t, 20*time.Second, "300 acknowledged scans", func() bool { return acked.Load() >= 300 })
	srv.Kill()
	close(killed)
	wg.Wait()
	for _, c := range clients {
		if c.err != nil {
			t.Fatal(c.err)
		}
	}
	inFlight := 0
	for _, c := range clients {
		if c.Client != nil {
			inFlight += len(c.Unanswered())
		}
	}
	t.Logf("killed with %d scans acknowledged and %d in flight", acked.Load(), inFlight)
	if acked.Load() < 100 {
		t.Fatalf("only %d scans acknowledged before the kill", acked.Load())
	}

	srv = testenv.ServeBinary(t, bin, "serve", "--demo", "--addr", strings.TrimPrefix(srv.Base, "http://"), "--data", data)
	api.c = client.New(srv.Base, client.WithToken(admin))
	book := crashBook{units: map[string]int{}, done: map[string]bool{}}
	for _, c := range clients {
		if err := c.verify(t, &book); err != nil {
			srv.Terminate(t)
			t.Fatal(err)
		}
	}
	api.checkTotals(t, w.ID, book, stockBefore)
	srv.Terminate(t)
	// The file the kill left, and the restart wrote on, is sound.
	var out strings.Builder
	if err := run(context.Background(), []string{"check", "--data", data}, &out, io.Discard); err != nil {
		t.Fatalf("pickwave check after the crash: %v\n%s", err, out.String())
	}
}

// crashBook is what the handhelds' ledgers say the store must hold.
type crashBook struct {
	units map[string]int  // task → units of its distinct ok item scans
	done  map[string]bool // tasks confirmed by an ok tote scan
	carts map[string]bool
}

// checkTotals compares the store with the ledgers: tasks, the wave, order
// lines and stock.
func (a *crashAPI) checkTotals(t *testing.T, waveID string, book crashBook, stockBefore map[string]int) {
	t.Helper()
	ctx := t.Context()
	wave := must(a.c.Waves.Wave(ctx, waveID)).of(t)
	var tasks []*pickwave.Task
	for cart := range book.carts {
		tasks = append(tasks, must(a.c.Waves.CartTasks(ctx, cart)).of(t)...)
	}
	if len(tasks) == 0 {
		t.Fatal("no task checked")
	}
	doneUnits, doneTasks := 0, 0
	lines := map[string]int{} // order/line → units confirmed
	left := map[string]int{}  // sku@location → units confirmed
	orders := map[string]bool{}
	for _, task := range tasks {
		if task.Picked != book.units[task.ID] {
			t.Errorf("task %s: %d units picked, %d in distinct ok item scans", task.ID, task.Picked, book.units[task.ID])
		}
		if done := task.Status == pickwave.TaskPicked || task.Status == pickwave.TaskShort; done != book.done[task.ID] {
			t.Errorf("task %s is %s, the ledger has its tote scan: %v", task.ID, task.Status, book.done[task.ID])
		}
		if book.done[task.ID] {
			doneTasks++
			doneUnits += book.units[task.ID]
			lines[task.OrderID+"/"+task.LineID] += book.units[task.ID]
			left[task.SKU+"@"+task.Location] += book.units[task.ID]
			orders[task.OrderID] = true
		}
	}
	if wave.Progress.TasksDone != doneTasks || wave.Progress.UnitsPicked != doneUnits {
		t.Errorf("wave %s: %d tasks done, %d units picked; the ledgers: %d tasks confirmed with %d units",
			wave.ID, wave.Progress.TasksDone, wave.Progress.UnitsPicked, doneTasks, doneUnits)
	}
	for id := range orders {
		o := must(a.c.Orders.Order(ctx, id)).of(t)
		for _, l := range o.Lines {
			if want := lines[o.ID+"/"+l.ID]; l.Picked != want {
				t.Errorf("order %s line %s: %d picked, the ledgers confirmed %d", o.ID, l.ID, l.Picked, want)
			}
		}
	}
	after := a.stock()
	for key, before := range stockBefore {
		if moved := before - after[key]; moved != left[key] {
			t.Errorf("stock %s: %d units left it, the ledgers confirmed %d", key, moved, left[key])
		}
	}
	t.Logf("store agrees with the ledgers: %d tasks (%d confirmed, %d units), %d orders, %d stock rows", len(tasks), doneTasks, doneUnits, len(orders), len(stockBefore))
}

// stock returns the units on hand per SKU and location, lots summed.
func (a *crashAPI) stock() map[string]int {
	a.t.Helper()
	ctx := a.t.Context()
	out := map[string]int{}
	for after := ""; ; {
		skus := must(a.c.Inventory.SKUs(ctx, after, 1000)).of(a.t)
		for _, s := range skus {
			for _, r := range must(a.c.Inventory.StockOf(ctx, s.Code)).of(a.t) {
				out[r.SKU+"@"+r.Location] += r.OnHand
			}
		}
		if len(skus) < 1000 {
			return out
		}
		after = skus[len(skus)-1].Code
	}
}

// crashAPI calls the HTTP API as the admin.
type crashAPI struct {
	t *testing.T
	c *client.Client

	mu       sync.Mutex
	barcodes map[string]string
}

// barcode returns a SKU's single-unit barcode.
func (a *crashAPI) barcode(sku string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if bc, ok := a.barcodes[sku]; ok {
		return bc, nil
	}
	s, err := a.c.Inventory.SKU(context.Background(), sku)
	if err != nil {
		return "", err
	}
	for _, b := range s.Barcodes {
		if b.Qty == 1 {
			if a.barcodes == nil {
				a.barcodes = map[string]string{}
			}
			a.barcodes[sku] = b.Code
			return b.Code, nil
		}
	}
	return "", fmt.Errorf("SKU %s has no single-unit barcode", sku)
}

// crashScan is a scan as sent: its task, the step it was sent at.
type crashScan struct {
	task, cart string
	step       pickwave.Step
}

// crashClient is a handheld whose ledger keeps every scan it sent and the
// first verdict it got.
type crashClient struct {
	name, token string
	api         *crashAPI
	acked       *atomic.Int64

	*handheld.Client
	n    int
	sent map[string]crashScan
	err  error // a failure before the kill
}

// load takes a cart and scans until the server dies. Errors after the
// kill are the point; before it they fail the test.
func (c *crashClient) load(wsURL string, killed <-chan struct{}) {
	ctx := context.Background()
	alive := func(err error) bool {
		select {
		case <-killed:
			return false
		default:
		}
		if err != nil && c.err == nil && !errors.Is(err, handheld.ErrDisconnected) {
			// The kill may be on its way: only a failure that is not a
			// lost connection counts.
			c.err = fmt.Errorf("%s: %w", c.name, err)
		}
		return err == nil
	}
	cl, err := handheld.Dial(ctx, wsURL, handheld.Options{Token: c.token, Device: c.name, IDPrefix: c.name})
	if !alive(err) {
		return
	}
	c.Client = cl
	for {
		p, err := c.TakeCart(ctx)
		switch {
		case handheld.ErrorCode(err) == pickwave.ENOTFOUND:
			return // every cart is taken
		case !alive(err):
			return
		}
		if !c.pick(ctx, p, alive) {
			return
		}
	}
}

// pick works the cart to its end; false when the connection is gone.
func (c *crashClient) pick(ctx context.Context, p *pickwave.Prompt, alive func(error) bool) bool {
	for !p.Done {
		s := crashScan{cart: p.CartID, step: p.Step}
		var data string
		switch p.Step {
		case pickwave.StepBindTote:
			data = fmt.Sprintf("T-%s-%d", p.CartID, p.Slot)
		case pickwave.StepLocation:
			data = p.Task.Location
		case pickwave.StepItem:
			bc, err := c.api.barcode(p.Task.SKU)
			if _, ok := errors.AsType[*url.Error](err); ok {
				err = fmt.Errorf("%w: %w", handheld.ErrDisconnected, err) // the server is gone
			}
			if !alive(err) {
				return false
			}
			data, s.task = bc, p.Task.ID
		case pickwave.StepTote:
			data, s.task = fmt.Sprintf("T-%s-%d", p.CartID, p.Task.ToteSlot), p.Task.ID
		}
		if c.n%10 == 9 {
			data = "96385074" // a wrong scan now and then
		}
		c.n++
		id := fmt.Sprintf("%s-%d", c.name, c.n)
		c.sent[id] = s
		res, err := c.Scan(ctx, pickwave.ScanRequest{ID: id, Data: data})
		if !alive(err) {
			return false
		}
		p = &res.Prompt
		c.acked.Add(1)
	}
	return true
}

// verify reconnects after the restart, which sends every unanswered scan
// again, and waits for their answers; then it sends every answered id of
// the ledger again, twice over, and requires each to come back replayed
// with its first verdict. It adds the client's ledger to book.
func (c *crashClient) verify(t *testing.T, book *crashBook) error {
	if c.Client == nil {
		return nil
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before := c.Stats()
	if err := c.Reconnect(ctx); err != nil {
		return fmt.Errorf("%s: after restart: %w", c.name, err)
	}
	for _, id := range c.Unanswered() {
		if _, err := c.Await(ctx, id); err != nil {
			return fmt.Errorf("%s: scan %s in flight at the kill: %w", c.name, id, err)
		}
	}
	for round := 1; round <= 2; round++ {
		chk, err := c.ResendAnswered(ctx, 8)
		if err != nil {
			return fmt.Errorf("%s: resend every answered id: %w", c.name, err)
		}
		if st := c.Stats(); chk.Resent != st.Answered || chk.JudgedAgain != 0 || chk.Changed != 0 {
			return fmt.Errorf("%s: round %d, every answered id sent again: %d of %d, %d judged again, %d answers changed (%v)",
				c.name, round, chk.Resent, st.Answered, chk.JudgedAgain, chk.Changed, c.Err())
		}
	}
	if st := c.Stats(); st.JudgedAgain+st.Changed+st.Gaps+st.Repeats+st.Unknown > 0 {
		return fmt.Errorf("%s: %+v: %v", c.name, st, c.Err())
	}
	t.Logf("%s: %d ids, %d answered before the kill, all resent twice: 0 judged again, 0 answers changed", c.name, c.Stats().Sent, before.Answered)
	if book.carts == nil {
		book.carts = map[string]bool{}
	}
	for _, e := range c.Ledger() {
		s := c.sent[e.ID]
		book.carts[s.cart] = true
		switch {
		case !e.Answered:
			return fmt.Errorf("%s: scan %s never answered", c.name, e.ID)
		case !e.Verdict.OK() || s.task == "":
		case s.step == pickwave.StepItem:
			book.units[s.task] += e.Verdict.Qty
		case s.step == pickwave.StepTote:
			book.done[s.task] = true
		}
	}
	return nil
}
