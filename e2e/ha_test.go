package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/ha"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/browsertest"
	"github.com/pickwave/pickwave/internal/etcdtest"
	"github.com/pickwave/pickwave/internal/testenv"
)

// The fault test's settings.
const (
	haPickers  = 20                     // handhelds scanning throughout
	haPace     = 350 * time.Millisecond // a picker's pause between two scans, about
	haLeaseTTL = 2 * time.Second        // --lease-ttl of both nodes
	haKills    = 5                      // kill -9 of the active node
	// haTakeover bounds the time from the kill of the active node to the
	// other node serving.
	haTakeover = 5 * time.Second
	// haEtcdGap bounds the longest pause between two acknowledged scans
	// around the kill of an etcd member: one etcd election (its election
	// timeout is 500 ms in etcdtest.Config) and the clients' retry.
	haEtcdGap = 3 * time.Second
	haOpWait  = 10 * time.Second // one handheld request's bound
	// haBackoff caps a handheld's pause between two reconnects.
	haBackoff = 250 * time.Millisecond
)

// TestHA_faults is the high-availability fault test (docs/ha.md, "Fault
// test"): three etcd members, each a process of its own (etcdnode), and
// two `pickwave serve --demo --etcd ... --lease-ttl 2s` processes on
// loopback, each with its own data directory and its etcd endpoints
// behind TCP proxies the test can cut. Twenty handhelds (handheld.Client
// with both nodes as Options.Servers) pick carts with right scans and
// every fifth one wrong, continuously, each keeping its ledger. Under
// that load:
//
//  1. The active node is killed with SIGKILL five times, and started
//     again each time as the standby: the other node serves (/readyz 200)
//     within 5 s of each kill, and the handhelds resume on it.
//  2. The etcd leader is killed with SIGKILL: the active node keeps its
//     lead (its append in flight is made again to the new etcd leader,
//     TestHA_appendAcrossAnEtcdElection) and the longest pause between
//     two acknowledged scans stays within one election (≤ 3 s). The
//     member is started again.
//  3. The active node is cut off from etcd (its proxies cut): no scan is
//     acknowledged by it later than the cut and its lease TTL, it exits
//     non-zero, and the standby takes over.
//
// At the end every acknowledged scan id, sent again by its client, is
// answered from record with its first verdict; no scan id is in two
// scan.judged events; the units picked per task equal the handhelds' OK
// item scans; and `pickwave check` passes on the final leader's data
// directory once it is stopped.
func TestHA_faults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs an etcd cluster and two servers")
	}
	began := time.Now()
	phase := func(name string, start time.Time) {
		t.Logf("phase %s: %v", name, time.Since(start).Round(time.Millisecond))
	}
	h := &haTest{t: t, dir: t.TempDir()}
	start := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() { // etcdnode builds beside pickwave (startEtcd would build it)
		if _, err := etcdtest.NodeBinary(); err != nil {
			t.Error(err)
		}
	})
	pickwaveBin := testenv.BuildBinary(t)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	h.bin = pickwaveBin
	phase("build", start)

	// 1. Three etcd members, two nodes.
	start = time.Now()
	h.etcd = startEtcd(t, filepath.Join(h.dir, "etcd"))
	h.members = h.etcd.Members
	phase("etcd cluster", start)
	start = time.Now()
	h.nodes = []*haNode{h.newNode("n1"), h.newNode("n2")}
	h.start(h.nodes[0])
	h.waitLogged(h.nodes[0].p, "pickwave serving", 90*time.Second)
	phase("first node seeded the demo on etcd and serves", start)
	start = time.Now()
	h.start(h.nodes[1])
	h.waitLogged(h.nodes[1].p, "standing by", 30*time.Second)
	phase("second node standing by", start)

	// The pickers and the first wave, through the API of either node.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.api = client.New(h.nodes[0].base(), client.WithServers(h.nodes[1].base()))
	if err := h.api.Login(ctx, "admin", demo.Password); err != nil {
		t.Fatalf("log in as the demo's admin: %v", err)
	}
	pickers := make([]*haPicker, haPickers)
	for i := range pickers {
		name := fmt.Sprintf("ha%02d", i+1)
		if err := h.api.Users.CreateUser(ctx, &pickwave.User{Name: name, Role: pickwave.RolePicker}, demo.Password); err != nil {
			t.Fatalf("create picker %s: %v", name, err)
		}
		pickers[i] = &haPicker{h: h, name: name, sent: map[string]haScan{}, rng: rand.New(rand.NewPCG(uint64(i), 15))}
	}
	if !h.replenish(ctx, 0) {
		t.Fatalf("no wave to release: %v", h.waveErr)
	}

	// 2. The load, until the checks at the end.
	start = time.Now()
	loadCtx, stopLoad := context.WithCancel(ctx)
	var loaders sync.WaitGroup
	for _, p := range pickers {
		loaders.Go(func() { p.run(loadCtx) })
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			stopLoad()
			loaders.Wait()
		}
	}
	defer stop()
	h.waitAcks(200, 30*time.Second)
	phase("load started (200 scans acknowledged)", start)

	// 3. kill -9 of the active node, five times.
	start = time.Now()
	var takeovers []time.Duration
	for k := 1; k <= haKills; k++ {
		active, standby := h.roles()
		acked := h.acksBy(standby.addr)
		killed := time.Now()
		active.p.kill()
		took := h.waitReady(standby, killed, 15*time.Second)
		first := h.waitAckBy(standby.addr, acked, killed, 15*time.Second)
		takeovers = append(takeovers, took)
		elected, _ := standby.p.loggedAt("elected leader")
		t.Logf("kill %d of %s: %s elected after %v, serving (/readyz 200) after %v, its first acknowledged scan after %v",
			k, active.name, standby.name, elected.Sub(killed).Round(time.Millisecond), took.Round(time.Millisecond), first.Round(time.Millisecond))
		if took > haTakeover {
			t.Errorf("kill %d: %s took %v to serve, want ≤ %v", k, standby.name, took, haTakeover)
		}
		h.start(active)
		h.waitLogged(active.p, "standing by", 30*time.Second)
		// The handhelds work on the new leader before the next kill.
		h.waitAckBy(standby.addr, h.acksBy(standby.addr)+50, time.Now(), 20*time.Second)
	}
	t.Logf("takeovers after kill -9 of the active node: %v", roundAll(takeovers))
	phase("five kills of the active node", start)

	// 4. kill -9 of the etcd leader.
	start = time.Now()
	lead := etcdLeader(t, h.members)
	leading, _ := h.roles()
	before := h.ackCount()
	killed := time.Now()
	h.etcd.Kill(lead)
	time.Sleep(4 * time.Second)
	after := time.Now()
	gap, acked := h.longestGap(killed.Add(-time.Second), after)
	t.Logf("kill -9 of the etcd leader %s: %d scans acknowledged in the next 4 s, the longest pause between two %v",
		h.members[lead].Name, h.ackCount()-before, gap.Round(time.Millisecond))
	// The append in flight to the dead etcd leader is made again to the
	// new one: the active node keeps its lead.
	bound := haEtcdGap
	select {
	case <-leading.p.done:
		t.Errorf("%s stepped down at the etcd leader's kill (%v): %s; it must keep its lead across an etcd election",
			leading.name, leading.p.err, logged(leading.p, "store fenced: this node writes no more"))
		h.start(leading)
		h.waitLogged(leading.p, "standing by", 30*time.Second)
	default:
		t.Logf("%s kept the lead across the etcd election", leading.name)
	}
	if acked < 10 || gap > bound {
		t.Errorf("kill -9 of the etcd leader: %d scans acknowledged, a pause of %v; want load going on, pauses ≤ %v", acked, gap, bound)
	}
	if err := h.etcd.Start(lead, "existing"); err != nil {
		t.Fatal(err)
	}
	phase("kill of the etcd leader and its restart", start)

	// 5. The active node cut off from etcd.
	start = time.Now()
	active, standby := h.roles()
	ackedByStandby := h.acksBy(standby.addr)
	cut := time.Now()
	for _, p := range active.proxies {
		p.Set("cut")
	}
	took := h.waitReady(standby, cut, 20*time.Second)
	h.waitAckBy(standby.addr, ackedByStandby, cut, 15*time.Second)
	select {
	case <-active.p.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("%s, cut off from etcd, still runs 15 s after the cut", active.name)
	}
	exited := time.Since(cut)
	if active.p.err == nil {
		t.Errorf("%s, cut off from etcd, exited with status 0; want non-zero", active.name)
	}
	beforeCut, late := h.acksAround(active.addr, cut, cut.Add(haLeaseTTL))
	t.Logf("%s cut off from etcd: exited after %v (%v), %s serving after %v; %d scans it acknowledged before the cut, %d later than the cut and its lease",
		active.name, exited.Round(time.Millisecond), active.p.err, standby.name, took.Round(time.Millisecond), len(beforeCut), late)
	if late > 0 {
		t.Errorf("%s acknowledged %d scans later than its lease (%v) after the cut", active.name, late, haLeaseTTL)
	}
	if took > haLeaseTTL+haTakeover {
		t.Errorf("%s took %v after the cut to serve", standby.name, took)
	}
	for _, p := range active.proxies {
		p.Set("")
	}
	h.start(active)
	h.waitLogged(active.p, "standing by", 30*time.Second)
	h.waitAckBy(standby.addr, h.acksBy(standby.addr)+50, time.Now(), 20*time.Second)
	phase("cut of the active node from etcd", start)

	// 6. The checks.
	stop()
	start = time.Now()
	leader, other := h.roles()
	book := haBook{units: map[string]int{}, carts: map[string]bool{}, ids: map[string]bool{}}
	var resent, picks int
	for _, p := range pickers {
		if p.err != nil {
			t.Errorf("%s: %v", p.name, p.err)
			continue
		}
		n, err := p.verify(ctx, &book)
		if err != nil {
			t.Error(err)
			continue
		}
		resent += n
		picks += p.picks
	}
	t.Logf("%d scans acknowledged (%d OK picks, %d waves), all %d sent again: each answered from record with its first verdict",
		len(book.ids), picks, h.waves, resent)
	if picks < 100 {
		t.Errorf("only %d OK picks in the run", picks)
	}
	// What the cut node acknowledged before the cut is among them: each
	// answered from record by the nodes that led after it.
	lost := 0
	for _, id := range beforeCut {
		if !book.ids[id] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of the %d scans acknowledged before the cut are not answered from record", lost, len(beforeCut))
	}
	judged := h.checkEvents(ctx, book)
	h.checkKPIs(ctx, leader, judged)
	h.checkTotals(ctx, book)
	phase("checks", start)
	other.p.terminate(t)
	leader.p.terminate(t)
	if out, err := exec.Command(h.bin, "check", "--data", leader.data).CombinedOutput(); err != nil {
		t.Errorf("pickwave check on %s's data: %v\n%s", leader.name, err, out)
	}
	t.Logf("the whole test took %v", time.Since(began).Round(time.Millisecond))
}

// TestHA_appendAcrossAnEtcdElection is what the fault test's kill of
// the etcd leader runs into: a leader appending to the site's log while
// the etcd leader is killed must keep its lead, its appends answered once
// the members have elected another (one election, under a second with
// etcdtest.Config's timing), as its lease (2 s) outlives the election.
// ha.Leader.Append gives up an attempt that gets no answer in half a
// second and makes it again, within the lease: the transaction in flight
// to the dead leader is made again to the new one, and the node keeps its
// lead.
func TestHA_appendAcrossAnEtcdElection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an etcd cluster")
	}
	procs := startEtcd(t, t.TempDir())
	members := procs.Members
	ctx := t.Context()
	site, err := ha.Connect(ctx, ha.Config{Endpoints: etcdtest.Endpoints(members), Site: "append", Node: "n1",
		URL: "http://127.0.0.1:1", LeaseTTL: haLeaseTTL, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	leader, err := site.Campaign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer leader.Close()
	lead := etcdLeader(t, members)
	var longest time.Duration
	kill := time.Now().Add(time.Second)
	killed := false
	for index := uint64(1); time.Since(kill) < 4*time.Second; index++ {
		if !killed && time.Now().After(kill) {
			procs.Kill(lead)
			killed = true
		}
		began := time.Now()
		if err := leader.Append(ctx, index, []byte(fmt.Sprintf("entry %d", index))); err != nil {
			t.Fatalf("append %d, %v after the kill of the etcd leader %s: %v", index, time.Since(kill).Round(time.Millisecond), members[lead].Name, err)
		}
		longest = max(longest, time.Since(began))
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-leader.Lost():
		t.Fatal("the lead was lost across the etcd election")
	default:
	}
	t.Logf("the longest append across the kill of the etcd leader took %v", longest.Round(time.Millisecond))
}

// logged is the first line in which the process logged msg.
func logged(p *proc, msg string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if strings.Contains(l, `"msg":"`+msg+`"`) {
			return l
		}
	}
	return ""
}

// haTest is the fault test's cluster, nodes and what the handhelds saw.
type haTest struct {
	t       *testing.T
	dir     string
	bin     string
	members []etcdtest.Member
	etcd    *etcdtest.Procs
	nodes   []*haNode
	api     *client.Client

	waveMu      sync.Mutex
	waveGen     int
	noMoreWaves bool
	waveErr     error
	waves       int

	barcodes sync.Map // SKU → its single-unit barcode

	mu   sync.Mutex
	acks []haAck // in the order acknowledged
}

// haAck is one scan acknowledged: its id, when, and by which node (its
// address).
type haAck struct {
	id   string
	at   time.Time
	addr string
}

// haNode is one Pickwave node: its address, data and etcd proxies.
type haNode struct {
	name, addr, data string
	proxies          []*browsertest.CutProxy // one per etcd member
	p                *proc
}

func (n *haNode) base() string { return "http://" + n.addr }

func (h *haTest) newNode(name string) *haNode {
	n := &haNode{name: name, addr: testenv.FreeAddr(h.t), data: filepath.Join(h.dir, name)}
	for _, m := range h.members {
		n.proxies = append(n.proxies, browsertest.NewCutProxy(h.t, strings.TrimPrefix(m.ClientURL, "http://")))
	}
	return n
}

// start starts the node: as the standby when the other leads.
func (h *haTest) start(n *haNode) {
	var etcd []string
	for _, p := range n.proxies {
		etcd = append(etcd, p.URL())
	}
	n.p = startProc(h.t, n.name, h.bin, "serve", "--demo", "--addr", n.addr, "--data", n.data,
		"--etcd", strings.Join(etcd, ","), "--site", "e2e", "--node", n.name, "--advertise", n.base(),
		"--lease-ttl", haLeaseTTL.String(), "--log-format", "json")
}

// ready reports whether the node answers /readyz with 200: it leads.
func (n *haNode) ready() bool {
	hc := http.Client{Timeout: 500 * time.Millisecond}
	resp, err := hc.Get(n.base() + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// roles returns the active node and the other one.
func (h *haTest) roles() (active, standby *haNode) {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for i, n := range h.nodes {
			if n.ready() {
				return n, h.nodes[1-i]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatal("no node leads")
	return nil, nil
}

// waitReady waits until n answers /readyz with 200 and returns the time
// since from.
func (h *haTest) waitReady(n *haNode, from time.Time, timeout time.Duration) time.Duration {
	h.t.Helper()
	for !n.ready() {
		if time.Since(from) > timeout {
			h.t.Fatalf("%s does not serve %v after the fault", n.name, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(from)
}

func (h *haTest) waitLogged(p *proc, msg string, timeout time.Duration) {
	h.t.Helper()
	if !p.waitLogged(msg, timeout) {
		h.t.Fatalf("%s did not log %q within %v (exit: %v); its last lines:\n%s", p.name, msg, timeout, p.exitErr(), p.tail())
	}
}

// ack books scan id acknowledged by the node at addr.
func (h *haTest) ack(id, addr string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.acks = append(h.acks, haAck{id: id, at: time.Now(), addr: addr})
}

func (h *haTest) ackCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.acks)
}

// acksBy counts the scans acknowledged by the node at addr.
func (h *haTest) acksBy(addr string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, a := range h.acks {
		if a.addr == addr {
			n++
		}
	}
	return n
}

func (h *haTest) waitAcks(n int, timeout time.Duration) {
	h.t.Helper()
	testenv.Eventually(h.t, timeout, fmt.Sprintf("%d acknowledged scans", n), func() bool { return h.ackCount() >= n })
}

// waitAckBy waits until the node at addr acknowledged more than n scans
// and returns the time from from to the first of them.
func (h *haTest) waitAckBy(addr string, n int, from time.Time, timeout time.Duration) time.Duration {
	h.t.Helper()
	testenv.Eventually(h.t, timeout, fmt.Sprintf("more than %d scans acknowledged by %s", n, addr), func() bool { return h.acksBy(addr) > n })
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := 0
	for _, a := range h.acks {
		if a.addr == addr {
			if seen++; seen > n {
				return a.at.Sub(from)
			}
		}
	}
	return 0
}

// longestGap returns the longest pause between two acknowledgements (or
// the window's ends) within [from, to], and how many fell in it.
func (h *haTest) longestGap(from, to time.Time) (time.Duration, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	last, gap, n := from, time.Duration(0), 0
	for _, a := range h.acks {
		if a.at.Before(from) || a.at.After(to) {
			continue
		}
		gap, last = max(gap, a.at.Sub(last)), a.at
		n++
	}
	return max(gap, to.Sub(last)), n
}

// acksAround returns the ids of the scans the node at addr acknowledged
// before cut, and counts those it acknowledged after late.
func (h *haTest) acksAround(addr string, cut, late time.Time) (before []string, after int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range h.acks {
		switch {
		case a.addr != addr:
		case a.at.Before(cut):
			before = append(before, a.id)
		case a.at.After(late):
			after++
		}
	}
	return before, after
}

// etcdLeader returns the index of the etcd cluster's leader, asking the
// members directly.
func etcdLeader(t *testing.T, members []etcdtest.Member) int {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: etcdtest.Endpoints(members), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, m := range members {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		st, err := c.Status(ctx, m.ClientURL)
		cancel()
		if err != nil {
			t.Fatalf("status of etcd member %s: %v", m.Name, err)
		}
		if st.Leader == st.Header.MemberId {
			return i
		}
	}
	t.Fatal("no etcd member leads")
	return 0
}

// startEtcd starts a three-member cluster, each member a process of its
// own, with data under dir, and waits until every member serves; the
// members stop when the test ends.
func startEtcd(t *testing.T, dir string) *etcdtest.Procs {
	t.Helper()
	procs, err := etcdtest.StartProcs(3, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(procs.Close)
	return procs
}

// replenish plans and releases a wave when no cart was free at wave
// generation gen; it reports whether carts may now be free.
func (h *haTest) replenish(ctx context.Context, gen int) bool {
	h.waveMu.Lock()
	defer h.waveMu.Unlock()
	if h.waveGen != gen {
		return true
	}
	if h.noMoreWaves {
		return false
	}
	for range 3 {
		w, err := h.api.Planner.PlanWave(ctx, pickwave.WaveTemplate{TotesPerCart: 4}, 0)
		if code := pickwave.ErrorCode(err); code == pickwave.ECONFLICT || code == pickwave.ENOTFOUND {
			h.noMoreWaves = true // no order left to plan
			return false
		}
		if err != nil {
			h.waveErr = err
			return false
		}
		if _, err = h.api.Waves.ReleaseWave(ctx, w.ID); pickwave.ErrorCode(err) == pickwave.ECONFLICT {
			continue
		} else if err != nil {
			h.waveErr = err
			return false
		}
		h.waves++
		h.waveGen++
		return true
	}
	return false
}

func (h *haTest) generation() int {
	h.waveMu.Lock()
	defer h.waveMu.Unlock()
	return h.waveGen
}

// barcode returns a SKU's single-unit barcode, fetched once.
func (h *haTest) barcode(ctx context.Context, sku string) (string, error) {
	if bc, ok := h.barcodes.Load(sku); ok {
		return bc.(string), nil
	}
	s, err := h.api.Inventory.SKU(ctx, sku)
	if err != nil {
		return "", err
	}
	for _, b := range s.Barcodes {
		if b.Qty == 1 {
			h.barcodes.Store(sku, b.Code)
			return b.Code, nil
		}
	}
	return "", fmt.Errorf("SKU %s has no single-unit barcode", sku)
}

// haBook is what the handhelds' ledgers say the store must hold.
type haBook struct {
	units map[string]int  // task → units of its OK item scans
	carts map[string]bool // carts scanned on
	ids   map[string]bool // scan ids acknowledged
}

// judgedEvents are the scan.judged events of the log: how many, and the
// times of the first and the last.
type judgedEvents struct {
	n           int
	first, last time.Time
}

// checkEvents reads the event log through the leader: no scan id is in
// two scan.judged events, and every acknowledged one is in one.
func (h *haTest) checkEvents(ctx context.Context, book haBook) judgedEvents {
	h.t.Helper()
	var all judgedEvents
	judged := map[string]int{}
	for after := uint64(0); ; {
		page, err := h.api.Events.Events(ctx, after, 1000)
		if err != nil {
			h.t.Fatalf("events after %d: %v", after, err)
		}
		for _, e := range page {
			if e.Type != pickwave.EventScanJudged {
				continue
			}
			var p struct {
				ScanID string `json:"scan_id"`
			}
			if err := json.Unmarshal(e.Payload, &p); err != nil || p.ScanID == "" {
				h.t.Fatalf("scan.judged %d without a scan id: %s, %v", e.Seq, e.Payload, err)
			}
			judged[p.ScanID]++
			if all.n == 0 {
				all.first = e.Time
			}
			all.n, all.last = all.n+1, e.Time
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].Seq
	}
	twice := 0
	for id, n := range judged {
		if n > 1 {
			twice++
			if twice <= 5 {
				h.t.Errorf("scan %s is in %d scan.judged events", id, n)
			}
		}
	}
	missing := 0
	for id := range book.ids {
		if judged[id] == 0 {
			missing++
			if missing <= 5 {
				h.t.Errorf("acknowledged scan %s is in no scan.judged event", id)
			}
		}
	}
	h.t.Logf("event log: %d scan ids judged, %d of them twice; %d of the %d acknowledged missing", len(judged), twice, missing, len(book.ids))
	return all
}

// checkKPIs asks the leader for the KPIs of the hours the run's scans
// fell in: each node folds its own copy of the events into its KPIs, the
// standbys too, through kill -9 and takeovers, and the leader's must
// count every scan.judged event of the log once.
func (h *haTest) checkKPIs(ctx context.Context, leader *haNode, judged judgedEvents) {
	h.t.Helper()
	from, to := judged.first.UTC().Truncate(time.Hour), judged.last.UTC().Truncate(time.Hour).Add(time.Hour)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		fmt.Sprintf("%s/api/v1/kpis?from=%s&to=%s", leader.base(), from.Format(time.RFC3339), to.Format(time.RFC3339)), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.api.Token())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("KPIs from %s: %v", leader.name, err)
	}
	defer res.Body.Close()
	var rep struct {
		PickScans int `json:"pick_scans"`
	}
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil || res.StatusCode != http.StatusOK {
		h.t.Fatalf("KPIs from %s: %s, %v", leader.name, res.Status, err)
	}
	if rep.PickScans != judged.n {
		h.t.Errorf("the leader's KPIs count %d pick scans, the event log holds %d scan.judged events", rep.PickScans, judged.n)
	}
	h.t.Logf("KPIs of %s: %d pick scans, as many as scan.judged events in the log", leader.name, rep.PickScans)
}

// checkTotals compares the units picked of every task on the carts
// scanned with the handhelds' OK item scans.
func (h *haTest) checkTotals(ctx context.Context, book haBook) {
	h.t.Helper()
	tasks, units := 0, 0
	for cart := range book.carts {
		ts, err := h.api.Waves.CartTasks(ctx, cart)
		if err != nil {
			h.t.Fatalf("the tasks of cart %s: %v", cart, err)
		}
		for _, task := range ts {
			tasks++
			units += task.Picked
			if task.Picked != book.units[task.ID] {
				h.t.Errorf("task %s: %d units picked, the handhelds' OK item scans %d", task.ID, task.Picked, book.units[task.ID])
			}
		}
	}
	h.t.Logf("store agrees with the ledgers: %d carts, %d tasks, %d units picked", len(book.carts), tasks, units)
}

// haScan is a scan as sent: its cart, task and the step it was sent at.
type haScan struct {
	cart, task string
	step       pickwave.Step
}

// haPicker is one handheld, its ledger kept by its handheld.Client and
// what it sent each id for in sent.
type haPicker struct {
	h    *haTest
	name string
	rng  *rand.Rand

	c     *handheld.Client
	sent  map[string]haScan
	n     int
	picks int   // OK item scans
	err   error // a failure that is not the faults'
}

// run picks until ctx ends: takes a cart, scans what the prompt asks (every
// fifth scan wrong), and after a lost connection reconnects to whichever
// node leads, which sends the unanswered scans again with their ids.
func (p *haPicker) run(ctx context.Context) {
	opts := handheld.Options{Username: p.name, Password: demo.Password, Device: p.name, IDPrefix: p.name,
		Servers: []string{p.h.nodes[1].base()}}
	for ctx.Err() == nil && p.c == nil {
		dctx, cancel := context.WithTimeout(ctx, haOpWait)
		c, err := handheld.Dial(dctx, p.h.nodes[0].base(), opts)
		cancel()
		if err == nil {
			p.c = c
		} else {
			sleep(ctx, 200*time.Millisecond)
		}
	}
	for ctx.Err() == nil {
		pr := p.c.Prompt()
		if pr == nil || pr.Done || pr.CartID == "" {
			gen := p.h.generation()
			octx, cancel := context.WithTimeout(ctx, haOpWait)
			_, err := p.c.TakeCart(octx)
			cancel()
			switch {
			case err == nil:
			case handheld.ErrorCode(err) == pickwave.ENOTFOUND:
				if !p.h.replenish(ctx, gen) {
					sleep(ctx, time.Second) // no work left: ask again later
				}
			case p.transient(ctx, err):
				p.recover(ctx, "")
			default:
				p.fail(fmt.Errorf("take a cart: %w", err))
				return
			}
			continue
		}
		if !p.scan(ctx, pr) {
			return
		}
		sleep(ctx, haPace/2+time.Duration(p.rng.Int64N(int64(haPace))))
	}
}

// scan sends the scan the prompt asks for; false on a failure that ends
// the picker.
func (p *haPicker) scan(ctx context.Context, pr *pickwave.Prompt) bool {
	s := haScan{cart: pr.CartID, step: pr.Step}
	var data string
	switch pr.Step {
	case pickwave.StepBindTote:
		data = fmt.Sprintf("T-%s-%d", pr.CartID, pr.Slot)
	case pickwave.StepLocation:
		data = pr.Task.Location
	case pickwave.StepItem:
		bc, err := p.h.barcode(ctx, pr.Task.SKU)
		if err != nil {
			if ctx.Err() == nil {
				sleep(ctx, 200*time.Millisecond) // a node going: try again
			}
			return true
		}
		data, s.task = bc, pr.Task.ID
	case pickwave.StepTote:
		data, s.task = fmt.Sprintf("T-%s-%d", pr.CartID, pr.Task.ToteSlot), pr.Task.ID
	}
	if p.n%5 == 4 {
		data = "96385074" // a wrong scan now and then
	}
	p.n++
	id := fmt.Sprintf("%s-%d", p.name, p.n)
	p.sent[id] = s
	octx, cancel := context.WithTimeout(ctx, haOpWait)
	_, err := p.c.Scan(octx, pickwave.ScanRequest{ID: id, Data: data})
	cancel()
	if err != nil {
		if e, _ := p.c.Entry(id); e.Err != nil || !p.transient(ctx, err) {
			p.fail(fmt.Errorf("scan %s: %w", id, err))
			return false
		}
		if !p.recover(ctx, id) {
			return ctx.Err() != nil
		}
	}
	e, _ := p.c.Entry(id)
	p.h.ack(id, serverAddr(p.c.Server()))
	if e.Verdict.OK() && s.step == pickwave.StepItem {
		p.picks++
	}
	return true
}

// transient reports whether err is the faults' doing: a lost connection,
// a request that timed out, a node unavailable for now.
func (p *haPicker) transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return true
	}
	switch {
	case errors.Is(err, handheld.ErrDisconnected), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	code := handheld.ErrorCode(err)
	return code == pickwave.EUNAVAILABLE || code == pickwave.EINTERNAL
}

// recover reconnects (to whichever node leads), which sends every
// unanswered scan again with its id, and waits for the answer to id unless
// id is ""; false when ctx ended first or it failed for good.
func (p *haPicker) recover(ctx context.Context, id string) bool {
	deadline := time.Now().Add(30 * time.Second)
	for backoff := 50 * time.Millisecond; ctx.Err() == nil; backoff = min(2*backoff, haBackoff) {
		octx, cancel := context.WithTimeout(ctx, haOpWait)
		err := p.c.Reconnect(octx)
		if err == nil && id != "" {
			_, err = p.c.Await(octx, id)
		}
		cancel()
		if err == nil {
			return true
		}
		if !p.transient(ctx, err) {
			p.fail(fmt.Errorf("reconnect: %w", err))
			return false
		}
		if time.Now().After(deadline) {
			p.fail(fmt.Errorf("no node to reconnect to for 30 s: %w", err))
			return false
		}
		sleep(ctx, backoff)
	}
	return false
}

func (p *haPicker) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// verify reconnects, waits for every scan still unanswered, then sends
// every answered id again: each must come back replayed with its first
// verdict. It adds the picker's ledger to book and returns how many ids
// it sent again.
func (p *haPicker) verify(ctx context.Context, book *haBook) (int, error) {
	if p.c == nil {
		return 0, fmt.Errorf("%s never connected", p.name)
	}
	defer p.c.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := p.c.Reconnect(ctx); err != nil {
		return 0, fmt.Errorf("%s: reconnect for the checks: %w", p.name, err)
	}
	for _, id := range p.c.Unanswered() {
		if _, err := p.c.Await(ctx, id); err != nil {
			return 0, fmt.Errorf("%s: scan %s in flight when the load stopped: %w", p.name, id, err)
		}
	}
	chk, err := p.c.ResendAnswered(ctx, 8)
	if err != nil {
		return 0, fmt.Errorf("%s: send every answered id again: %w", p.name, err)
	}
	st := p.c.Stats()
	if chk.Resent != st.Answered || chk.JudgedAgain != 0 || chk.Changed != 0 {
		return 0, fmt.Errorf("%s: every answered id sent again: %d of %d, %d judged again, %d answers changed (%v)",
			p.name, chk.Resent, st.Answered, chk.JudgedAgain, chk.Changed, p.c.Err())
	}
	if st.JudgedAgain+st.Changed+st.Gaps+st.Repeats+st.Unknown > 0 {
		return 0, fmt.Errorf("%s: %+v: %v", p.name, st, p.c.Err())
	}
	for _, e := range p.c.Ledger() {
		s := p.sent[e.ID]
		if !e.Answered {
			return 0, fmt.Errorf("%s: scan %s never answered", p.name, e.ID)
		}
		book.ids[e.ID] = true
		if s.cart != "" {
			book.carts[s.cart] = true
		}
		if e.Verdict.OK() && s.step == pickwave.StepItem && s.task != "" {
			book.units[s.task] += e.Verdict.Qty
		}
	}
	return chk.Resent, nil
}

// serverAddr is the host:port of a websocket URL.
func serverAddr(ws string) string {
	rest := ws[strings.Index(ws, "://")+3:]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
