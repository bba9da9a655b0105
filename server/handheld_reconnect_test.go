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
)

// TestHandheld_thousandDrops is the DESIGN.md reconnect target: 1,000
// forced disconnects (20 handhelds × 50), each at a random point of the
// pick flow, each followed by a reconnect that resumes the session from
// the last seq seen. The clients check that every sequenced message
// arrives exactly once and in order (loadClient.read) and that every
// scan gets an answer, the same one however often it is sent. At the end
// the store must hold exactly what the handhelds were told: per task, the
// units of the ok item scans they saw answered, and per picker, the
// prompt they last saw.
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
		total += c.drops
		lost += c.lost
		scans += c.n
		if c.sessions != 1 {
			t.Errorf("%s: %d sessions: a reconnect was not resumed", c.name, c.sessions)
		}
		for i := 1; i <= c.n; i++ {
			if id := fmt.Sprintf("%s-%d", c.name, i); c.answers[id] == nil {
				t.Errorf("%s: scan %s never answered", c.name, id)
			}
		}
		for cart := range c.carts {
			tasks, err := site.db.CartTasks(ctx, cart)
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range tasks {
				if task.Picked != c.units[task.ID] {
					t.Errorf("%s: task %s has %d picked, the handheld was told %d", c.name, task.ID, task.Picked, c.units[task.ID])
				}
			}
		}
		p, err := site.db.Prompt(ctx, c.name)
		switch {
		case pickwave.ErrorCode(err) == pickwave.ENOTFOUND:
			if !c.prompt.Done {
				t.Errorf("%s: the store has no cart, the handheld shows %+v", c.name, c.prompt)
			}
		case err != nil:
			t.Fatal(err)
		case p.CartID != c.prompt.CartID || p.Step != c.prompt.Step || p.Slot != c.prompt.Slot || (p.Task == nil) != (c.prompt.Task == nil) ||
			p.Task != nil && (p.Task.ID != c.prompt.Task.ID || p.Task.Picked != c.prompt.Task.Picked):
			t.Errorf("%s: the store prompts %+v, the handheld shows %+v", c.name, p, c.prompt)
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

// scanAgain sends a scan and waits for its answer, across reconnects: after
// one it sends the scan again with the same id unless the answer came
// with the resumed messages.
func (c *droppingClient) scanAgain(id, data, item string) (*pickwave.ScanResult, error) {
	var res *pickwave.ScanResult
	err := c.retry(func() (err error) {
		if c.answers[id] == nil {
			if err := c.sendScan(id, data, item); err != nil {
				return err
			}
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
	if p := c.prompt; p != nil && p.Done {
		if err := c.takeCart(); err != nil {
			return err
		}
	}
	if c.prompt != nil && c.prompt.CartID != "" {
		c.carts[c.prompt.CartID] = true
	}
	wrong := c.rng.Float64() < 0.05
	data, item := c.nextScan(wrong)
	res, err := c.scanAgain(c.newID(), data, item)
	if err != nil {
		return err
	}
	if wrong == res.Verdict.OK() && res.Verdict.Code != pickwave.VerdictNoTask {
		return fmt.Errorf("%s: scan %q (wrong: %v) answered %+v", c.name, data, wrong, res.Verdict)
	}
	return nil
}

// dropMidScan sends a scan and drops the connection before its verdict;
// twice, with a second drop during the resume. It then reconnects and
// sends the scan again with the same id, as a handheld that does not know
// whether the server got it.
func (c *droppingClient) dropMidScan(twice bool) error {
	if p := c.prompt; p != nil && p.Done {
		if err := c.takeCart(); err != nil {
			return err
		}
	}
	if c.prompt != nil && c.prompt.CartID != "" {
		c.carts[c.prompt.CartID] = true
	}
	id := c.newID()
	data, item := c.nextScan(false)
	if err := c.sendScan(id, data, item); err != nil && !isConnError(err) {
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
	_, err := c.scanAgain(id, data, item)
	return err
}

// helloAndDrop dials, asks to resume and hangs up without reading.
func (c *droppingClient) helloAndDrop() error {
	ws, _, err := loadDialer.Dial(c.url, http.Header{"Authorization": []string{"Bearer " + c.token}})
	if err != nil {
		return fmt.Errorf("%s: dial: %w", c.name, err)
	}
	if err := ws.WriteJSON(map[string]any{"type": "hello", "session": c.session, "last_seq": c.lastSeq}); err != nil {
		return err
	}
	ws.Close()
	c.drops++
	return nil
}
