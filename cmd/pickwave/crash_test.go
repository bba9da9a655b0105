package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
)

// TestCrash_killUnderLoad is the DESIGN.md crash target: `kill -9` under
// load loses no acknowledged scan and applies none twice.
//
// It builds the pickwave binary, serves a demo warehouse from a temp data
// directory as a child process, and runs handhelds scanning as fast as
// their verdicts come back, each remembering every scan it sent and every
// verdict it got. Mid-load the server is killed with SIGKILL and started
// again on the same data. Then:
//   - every acknowledged scan, sent again with its id, is answered
//     replayed with the verdict first given: it was stored before it was
//     acknowledged;
//   - every scan sent but never answered is sent again and must now be
//     answered (applied before the crash or not, but once);
//   - per task, the units picked in the store equal the units of the
//     distinct ok item scans.
//
// SIGKILL ends the process, not the machine: what was written survives in
// the page cache even without fsync. The test shows the protocol and the
// store's commit order are right (nothing acknowledged before its commit,
// retries applied once); surviving power loss rests on bbolt's fsync.
func TestCrash_killUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build the binary")
	}
	bin := filepath.Join(t.TempDir(), "pickwave")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
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

	srv := startServer(t, bin, data)
	api := &crashAPI{t: t, base: srv.base, token: admin}
	var w pickwave.Wave
	api.call("POST", "/api/v1/waves", map[string]any{"template": map[string]any{"totes_per_cart": 8}}, &w)
	api.call("POST", "/api/v1/waves/"+w.ID+"/release", nil, &w)

	// Load until enough scans are acknowledged, then kill.
	var acked atomic.Int64
	killed := make(chan struct{})
	clients := make([]*crashClient, handhelds)
	var wg sync.WaitGroup
	for i := range clients {
		c := &crashClient{name: fmt.Sprintf("crash%02d", i), token: tokens[i], api: api, acked: &acked,
			sent: map[string]crashScan{}, answers: map[string]pickwave.Verdict{}}
		clients[i] = c
		wg.Go(func() { c.load(srv.ws(), killed) })
	}
	deadline := time.Now().Add(20 * time.Second)
	for acked.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polling a counter
	}
	srv.kill()
	close(killed)
	wg.Wait()
	for _, c := range clients {
		if c.err != nil {
			t.Fatal(c.err)
		}
	}
	inFlight := 0
	for _, c := range clients {
		inFlight += len(c.sent) - len(c.answers)
	}
	t.Logf("killed with %d scans acknowledged and %d in flight", acked.Load(), inFlight)
	if acked.Load() < 100 {
		t.Fatalf("only %d scans acknowledged before the kill", acked.Load())
	}

	srv = startServer(t, bin, data)
	defer srv.stop(t)
	api.base = srv.base
	units := map[string]int{} // task → units of distinct ok item scans
	for _, c := range clients {
		if err := c.verify(srv.ws(), units); err != nil {
			t.Fatal(err)
		}
	}
	carts := map[string]bool{}
	for _, c := range clients {
		for _, s := range c.sent {
			if s.cart != "" {
				carts[s.cart] = true
			}
		}
	}
	checked := 0
	for cart := range carts {
		var got struct {
			Tasks []pickwave.Task `json:"tasks"`
		}
		api.call("GET", "/api/v1/carts/"+cart, nil, &got)
		for _, task := range got.Tasks {
			checked++
			if task.Picked != units[task.ID] {
				t.Errorf("task %s: %d units picked, %d in distinct ok item scans", task.ID, task.Picked, units[task.ID])
			}
		}
	}
	if checked == 0 {
		t.Fatal("no task checked")
	}
}

// crashServer is the pickwave binary serving as a child process.
type crashServer struct {
	cmd  *exec.Cmd
	base string
	done chan error
}

// startServer runs `pickwave serve --demo` on a free loopback port and
// waits for it to say where it serves.
func startServer(t *testing.T, bin, data string) *crashServer {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--demo", "--addr", "127.0.0.1:0", "--data", data, "--log-format", "json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &crashServer{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "pickwave serving" {
				a, _ := rec["addr"].(string)
				addr <- a
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case s.base = <-addr:
	case err := <-s.done:
		t.Fatalf("server exited before serving: %v", err)
	case <-time.After(45 * time.Second):
		s.kill()
		t.Fatal("server did not start")
	}
	return s
}

func (s *crashServer) ws() string { return "ws" + strings.TrimPrefix(s.base, "http") + "/ws/handheld" }

// kill sends SIGKILL and waits for the process to be gone.
func (s *crashServer) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// stop ends the server as SIGTERM would.
func (s *crashServer) stop(t *testing.T) {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.kill()
		t.Error("server did not stop on SIGINT")
	}
}

// crashAPI calls the HTTP API as the admin.
type crashAPI struct {
	t     *testing.T
	base  string
	token string

	mu       sync.Mutex
	barcodes map[string]string
}

func (a *crashAPI) do(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+a.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

func (a *crashAPI) call(method, path string, body, out any) {
	a.t.Helper()
	if err := a.do(method, path, body, out); err != nil {
		a.t.Fatal(err)
	}
}

// barcode returns a SKU's single-unit barcode.
func (a *crashAPI) barcode(sku string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if bc, ok := a.barcodes[sku]; ok {
		return bc, nil
	}
	var s pickwave.SKU
	if err := a.do("GET", "/api/v1/skus/"+url.PathEscape(sku), nil, &s); err != nil {
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

// crashScan is a scan as sent.
type crashScan struct {
	data, task, cart string // task: set for item scans
}

// crashClient is a handheld that keeps every scan it sent and every
// verdict it got.
type crashClient struct {
	name, token string
	api         *crashAPI
	acked       *atomic.Int64

	ws      *websocket.Conn
	prompt  *pickwave.Prompt
	n       int
	order   []string // scan ids in the order sent
	sent    map[string]crashScan
	answers map[string]pickwave.Verdict
	replays int
	err     error // a failure before the kill
}

type crashMsg struct {
	Type    string               `json:"type"`
	Session string               `json:"session"`
	Prompt  *pickwave.Prompt     `json:"prompt"`
	Result  *pickwave.ScanResult `json:"result"`
	Code    string               `json:"code"`
	Message string               `json:"message"`
}

func (c *crashClient) dial(wsURL string) error {
	ws, _, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Authorization": []string{"Bearer " + c.token}})
	if err != nil {
		return err
	}
	c.ws = ws
	if err := ws.WriteJSON(map[string]any{"type": "hello"}); err != nil {
		return err
	}
	m, err := c.read()
	if err != nil {
		return err
	}
	if m.Type != "welcome" {
		return fmt.Errorf("%s: %s %s instead of welcome", c.name, m.Type, m.Message)
	}
	return nil
}

func (c *crashClient) read() (crashMsg, error) {
	var m crashMsg
	_ = c.ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	err := c.ws.ReadJSON(&m)
	if m.Prompt != nil {
		c.prompt = m.Prompt
	}
	return m, err
}

// scan sends a scan and reads until its verdict.
func (c *crashClient) scan(id, data string) (*pickwave.ScanResult, error) {
	if err := c.ws.WriteJSON(map[string]any{"type": "scan", "id": id, "device": c.name, "data": data}); err != nil {
		return nil, err
	}
	for {
		m, err := c.read()
		if err != nil {
			return nil, err
		}
		if m.Type == "error" {
			return nil, fmt.Errorf("%s: scan %s: %s %s", c.name, id, m.Code, m.Message)
		}
		if m.Type == "verdict" && m.Result.ScanID == id {
			return m.Result, nil
		}
	}
}

// load takes a cart and scans until the server dies. Errors after the
// kill are the point; before it they fail the test.
func (c *crashClient) load(wsURL string, killed <-chan struct{}) {
	alive := func(err error) bool {
		select {
		case <-killed:
			return false
		default:
		}
		if err != nil && c.err == nil {
			// The kill may be on its way: only a failure that is not a
			// lost connection counts.
			var ce *websocket.CloseError
			if !errors.As(err, &ce) && !strings.Contains(err.Error(), "connection reset") && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) &&
				!errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNRESET) {
				c.err = err
			}
		}
		return err == nil
	}
	if !alive(c.dial(wsURL)) {
		return
	}
	defer c.ws.Close()
	for {
		if !alive(c.ws.WriteJSON(map[string]any{"type": "take_cart"})) {
			return
		}
		m, err := c.read()
		for ; err == nil && m.Type != "prompt" && m.Type != "error"; m, err = c.read() {
		}
		switch {
		case !alive(err):
			return
		case m.Type == "error" && m.Code == pickwave.ENOTFOUND:
			return // every cart is taken
		case m.Type == "error":
			c.err = fmt.Errorf("%s: take_cart: %s %s", c.name, m.Code, m.Message)
			return
		}
		if !c.pick(alive) {
			return
		}
	}
}

// pick works the cart to its end; false when the connection is gone.
func (c *crashClient) pick(alive func(error) bool) bool {
	for !c.prompt.Done {
		p := c.prompt
		s := crashScan{cart: p.CartID}
		switch p.Step {
		case pickwave.StepBindTote:
			s.data = fmt.Sprintf("T-%s-%d", p.CartID, p.Slot)
		case pickwave.StepLocation:
			s.data = p.Task.Location
		case pickwave.StepItem:
			bc, err := c.api.barcode(p.Task.SKU)
			if !alive(err) {
				return false
			}
			s.data, s.task = bc, p.Task.ID
		case pickwave.StepTote:
			s.data = fmt.Sprintf("T-%s-%d", p.CartID, p.Task.ToteSlot)
		}
		if c.n%10 == 9 {
			s.data, s.task = "96385074", "" // a wrong scan now and then
		}
		c.n++
		id := fmt.Sprintf("%s-%d", c.name, c.n)
		c.sent[id], c.order = s, append(c.order, id)
		res, err := c.scan(id, s.data)
		if !alive(err) {
			return false
		}
		c.answers[id] = res.Verdict
		c.prompt = &res.Prompt
		c.acked.Add(1)
	}
	return true
}

// verify reconnects after the restart and sends every scan again: the
// acknowledged ones must come back replayed with their first verdict, the
// unanswered ones must now be answered. It adds the units of the ok item
// scans to units.
func (c *crashClient) verify(wsURL string, units map[string]int) error {
	if len(c.sent) == 0 {
		return nil
	}
	if err := c.dial(wsURL); err != nil {
		return fmt.Errorf("%s: after restart: %w", c.name, err)
	}
	defer c.ws.Close()
	for _, id := range c.order {
		s := c.sent[id]
		res, err := c.scan(id, s.data)
		if err != nil {
			return fmt.Errorf("%s: resend %s after restart: %w", c.name, id, err)
		}
		first, acked := c.answers[id]
		switch {
		case acked && (!res.Replayed || res.Verdict != first):
			return fmt.Errorf("%s: acknowledged scan %s (%+v) came back %+v, replayed %v: lost in the crash", c.name, id, first, res.Verdict, res.Replayed)
		case !acked:
			c.answers[id] = res.Verdict
		}
		if s.task != "" && res.Verdict.OK() {
			units[s.task] += res.Verdict.Qty
		}
	}
	// Each id again: every answer is now a replay, nothing is applied twice.
	for _, id := range c.order {
		res, err := c.scan(id, c.sent[id].data)
		if err != nil {
			return err
		}
		if !res.Replayed || res.Verdict != c.answers[id] {
			return fmt.Errorf("%s: scan %s sent a third time answered %+v, replayed %v", c.name, id, res.Verdict, res.Replayed)
		}
	}
	return nil
}
