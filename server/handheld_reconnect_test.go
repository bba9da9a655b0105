package server_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"sync"
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
)

// TestHandheld_thousandDrops is the DESIGN.md reconnect target: 1,000
// forced disconnects (20 handhelds × 50), each at a random point of the
// pick flow, each followed by a reconnect that resumes the session from
// the last seq seen. The clients (handheld.Client) check that every
// sequenced message arrives exactly once and in order and that every scan
// gets an answer, the same one however often it is sent. At the end every
// answered scan id, however old, is sent again and must come back
// replayed with its first verdict, and the store must hold exactly what
// the handhelds were told: per task, the units of the ok item scans they
// saw answered, and per picker, the prompt they last saw.
func TestHandheld_thousandDrops(t *testing.T) {
	const (
		handhelds = 20
		drops     = 50
	)
	template := t.TempDir()
	barcodes := loadTemplate(t, template, handhelds*3, 0)
	site := openLoadSite(t, template, barcodes)
	tokens := site.tokens(t, handhelds)
	clients := make([]*droppingClient, handhelds)
	errs := make([]error, handhelds)
	var wg sync.WaitGroup
	for i := range clients {
		c := &droppingClient{loadClient: newLoadClient(site.wsURL(), tokens[i], loadPicker(i), barcodes),
			rng: rand.New(rand.NewSource(int64(i))), carts: map[string]bool{}}
		clients[i] = c
		wg.Go(func() { errs[i] = c.run(drops) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	total, lost, scans := 0, 0, 0
	for _, c := range clients {
		defer c.Close()
		total += c.drops
		lost += c.lost
		st := c.Stats()
		scans += st.Sent
		if st.Sessions != 1 {
			t.Errorf("%s: %d sessions: a reconnect was not resumed", c.name, st.Sessions)
		}
		if err := c.Err(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		for _, e := range c.Ledger() {
			if !e.Answered {
				t.Errorf("%s: scan %s never answered", c.name, e.ID)
			}
		}
		if err := c.reconnect(); err != nil {
			t.Fatal(err)
		}
		chk, err := c.ResendAnswered(testCtx(t), 8)
		if err != nil {
			t.Fatalf("%s: resend every answered id: %v", c.name, err)
		}
		if chk.Resent != st.Answered || chk.JudgedAgain+chk.Changed != 0 {
			t.Errorf("%s: every answered id sent again: %d of %d, %d judged again, %d answers changed", c.name, chk.Resent, st.Answered, chk.JudgedAgain, chk.Changed)
		}
		units := c.units()
		for cart := range c.carts {
			tasks, err := site.db.CartTasks(ctx, cart)
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range tasks {
				if task.Picked != units[task.ID] {
					t.Errorf("%s: task %s has %d picked, the handheld was told %d", c.name, task.ID, task.Picked, units[task.ID])
				}
			}
		}
		p, err := site.db.Prompt(ctx, c.name)
		switch {
		case pickwave.ErrorCode(err) == pickwave.ENOTFOUND:
			if !c.Prompt().Done {
				t.Errorf("%s: the store has no cart, the handheld shows %+v", c.name, c.Prompt())
			}
		case err != nil:
			t.Fatal(err)
		case p.CartID != c.Prompt().CartID || p.Step != c.Prompt().Step || p.Slot != c.Prompt().Slot || (p.Task == nil) != (c.Prompt().Task == nil) ||
			p.Task != nil && (p.Task.ID != c.Prompt().Task.ID || p.Task.Picked != c.Prompt().Task.Picked):
			t.Errorf("%s: the store prompts %+v, the handheld shows %+v", c.name, p, c.Prompt())
		}
	}
	if total < handhelds*drops {
		t.Fatalf("%d drops, want %d", total, handhelds*drops)
	}
	t.Logf("%d handhelds, %d forced disconnects (%d more closed by the server for a late hello), %d scans: nothing lost or repeated", handhelds, total, lost, scans)
}

// droppingClient is a handheld that loses its connection on purpose. It
// also copes with losing it otherwise: a hello still in flight on a
// connection it dropped may reach the server after the hello of its new
// connection, and the server then hands the session to the older one and
// closes the newer, as it does for any second connection of a picker.
type droppingClient struct {
	*loadClient
	rng   *rand.Rand
	carts map[string]bool
	drops int
	lost  int // connections the server closed
}

// retry runs fn, reconnecting and running it again after the connection
// fails, a few times at most.
func (c *droppingClient) retry(fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || !isConnError(err) || attempt == 5 {
			return err
		}
		c.lost++
		if err := c.connect(); err != nil && !isConnError(err) {
			return err
		}
	}
}

// reconnect connects again, retrying when the new connection is lost too.
func (c *droppingClient) reconnect() error { return c.retry(c.connect) }

// takeCart takes a cart, across reconnects.
func (c *droppingClient) takeCart() error {
	return c.retry(func() error { _, err := c.loadClient.takeCart(); return err })
}

// scanAgain sends a scan and waits for its answer, across reconnects:
// a reconnect sends it again with the same id unless the answer came with
// the resumed messages.
func (c *droppingClient) scanAgain(id, data, item string) (*pickwave.ScanResult, error) {
	var res *pickwave.ScanResult
	sent := false
	err := c.retry(func() (err error) {
		if !sent {
			sent = true
			res, err = c.scan(id, data, item)
			return err
		}
		res, err = c.await(id)
		return err
	})
	return res, err
}

func (c *droppingClient) run(drops int) error {
	if err := c.reconnect(); err != nil {
		return err
	}
	defer c.drop()
	if err := c.takeCart(); err != nil {
		return err
	}
	for c.drops < drops {
		for k := c.rng.Intn(4); k > 0; k-- {
			if err := c.scanOnce(); err != nil {
				return err
			}
		}
		var err error
		switch c.rng.Intn(4) {
		case 0: // after sending a scan, before its verdict
			err = c.dropMidScan(false)
		case 1: // between messages
			c.drop()
			c.drops++
			err = c.reconnect()
		case 2: // during the resume: hello sent, welcome not read
			if err = c.helloAndDrop(); err == nil {
				err = c.reconnect()
			}
		case 3: // after sending a scan, and again while resuming
			err = c.dropMidScan(true)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// scanOnce makes one scan, 5 % of them wrong, taking a new cart when the
// last is done.
func (c *droppingClient) scanOnce() error {
	if p := c.Prompt(); p != nil && p.Done {
		if err := c.takeCart(); err != nil {
			return err
		}
	}
	if p := c.Prompt(); p != nil && p.CartID != "" {
		c.carts[p.CartID] = true
	}
	wrong := c.rng.Float64() < 0.05
	data, item := c.nextScan(wrong)
	res, err := c.scanAgain(c.NewID(), data, item)
	if err != nil {
		return err
	}
	if wrong == res.Verdict.OK() && res.Verdict.Code != pickwave.VerdictNoTask {
		return fmt.Errorf("%s: scan %q (wrong: %v) answered %+v (replayed %v, %+v, faults %v)", c.name, data, wrong, res.Verdict, res.Replayed, c.Stats(), c.Err())
	}
	return nil
}

// dropMidScan sends a scan and drops the connection before its verdict;
// twice, with a second drop during the resume. It then reconnects and
// sends the scan again with the same id, as a handheld that does not know
// whether the server got it.
func (c *droppingClient) dropMidScan(twice bool) error {
	if p := c.Prompt(); p != nil && p.Done {
		if err := c.takeCart(); err != nil {
			return err
		}
	}
	if p := c.Prompt(); p != nil && p.CartID != "" {
		c.carts[p.CartID] = true
	}
	id := c.NewID()
	data, item := c.nextScan(false)
	if err := c.submit(id, data, item); err != nil && !isConnError(err) {
		return err
	}
	c.drop()
	c.drops++
	if twice {
		if err := c.helloAndDrop(); err != nil {
			return err
		}
	}
	if err := c.reconnect(); err != nil {
		return err
	}
	// The reconnect sent the scan again, unless its answer came with the
	// resumed messages.
	return c.retry(func() error { _, err := c.await(id); return err })
}

// helloAndDrop dials, asks to resume and hangs up without reading.
func (c *droppingClient) helloAndDrop() error {
	ws, _, err := loadDialer.Dial(c.url, http.Header{"Authorization": []string{"Bearer " + c.token}})
	if err != nil {
		return fmt.Errorf("%s: dial: %w", c.name, err)
	}
	if err := ws.WriteJSON(handheld.ClientMessage{Type: handheld.TypeHello, Session: c.Session(), LastSeq: c.LastSeq()}); err != nil {
		ws.Close()
		return err
	}
	ws.Close()
	c.drops++
	return nil
}
