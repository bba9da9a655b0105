package floor

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/wave"
)

// How long things take a picker, in floor time.
const (
	scanTime  = 3 * time.Second  // find the label, aim, scan, read the screen
	toteTime  = 4 * time.Second  // take an empty tote, put it in its slot, scan it
	unitTime  = 4 * time.Second  // take a unit off the shelf and scan it
	wrongTime = 5 * time.Second  // notice the wrong scan, look again
	shortTime = 20 * time.Second // search the bin, give up, report it
	idleTime  = 20 * time.Second // wait for a cart when none waits
	callTime  = 15 * time.Second // bound on one answer from the server (wall time)
	// stuck is how many refusals of a right scan in a row make a picker
	// report the task short (an expired lot, say) instead of trying again.
	stuck = 3
)

// picker is one simulated picker with a handheld.
type picker struct {
	f    *Floor
	name string
	rng  *rand.Rand
	c    *handheld.Client

	at      *wave.Position // nil: at the depot
	cart    string
	totes   map[int]string // the current cart's totes by slot
	lastLoc string         // the last location scanned, for a wrong scan
	refused int            // right scans refused in a row
}

// run works until ctx ends, logging in again after anything that ends a
// connection for good.
func (p *picker) run(ctx context.Context) {
	defer func() {
		if p.c != nil {
			p.c.Close()
		}
	}()
	for ctx.Err() == nil {
		if p.c == nil {
			if err := p.dial(ctx); err != nil {
				p.f.warn(ctx, "demo floor: picker cannot log in", "picker", p.name, "err", err)
				p.f.wait(ctx, time.Minute)
				continue
			}
		}
		err := p.step(ctx)
		e, shed := errors.AsType[*handheld.Error](err)
		switch {
		case err == nil || ctx.Err() != nil:
		case shed && e.RetryAfter > 0:
			// The server shed the scan as overload, undone: after the
			// pause it asks for, the step is done again.
			t := time.NewTimer(e.RetryAfter)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		case transient(err):
			p.reconnect(ctx)
		default:
			p.f.warn(ctx, "demo floor: picker starts over", "picker", p.name, "err", err)
			p.c.Close()
			p.c = nil
			p.f.wait(ctx, time.Minute)
		}
	}
}

// transient says err is a lost connection or a server busy for now.
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

func (p *picker) dial(ctx context.Context) error {
	tok, err := p.f.cfg.Tokens(ctx, p.name, pickwave.RolePicker)
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, callTime)
	defer cancel()
	c, err := handheld.Dial(dctx, p.f.wsURL, handheld.Options{Token: tok, Device: "FLOOR-TC52-" + p.name[len("floor-picker-"):]})
	if err != nil {
		return err
	}
	p.c = c
	return nil
}

// reconnect resumes the session after a lost connection; the client sends
// the unanswered scan again with its id.
func (p *picker) reconnect(ctx context.Context) {
	for backoff := time.Second; ctx.Err() == nil; backoff = min(2*backoff, time.Minute) {
		rctx, cancel := context.WithTimeout(ctx, callTime)
		err := p.c.Reconnect(rctx)
		cancel()
		if err == nil {
			return
		}
		if !transient(err) {
			p.c.Close()
			p.c = nil
			return
		}
		t := time.NewTimer(backoff) // wall time: the server is away, not the picker
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// step does the next thing the handheld asks for.
func (p *picker) step(ctx context.Context) error {
	pr := p.c.Prompt()
	if pr == nil || pr.CartID == "" || pr.Done {
		return p.takeCart(ctx, pr)
	}
	if pr.CartID != p.cart {
		p.cart, p.totes = pr.CartID, map[int]string{}
	}
	switch pr.Step {
	case pickwave.StepBindTote:
		tote := fmt.Sprintf("FT-%s-%04d", p.f.stamp, p.f.totes.Add(1))
		if !p.f.wait(ctx, toteTime) {
			return nil
		}
		v, err := p.scan(ctx, tote, true)
		if err == nil && v.OK() {
			p.totes[pr.Slot] = tote
		}
		return err
	case pickwave.StepLocation:
		t := pr.Task
		if !p.walk(ctx, wave.Position{Aisle: t.Aisle, Bay: t.Bay}) || !p.f.wait(ctx, scanTime) {
			return nil
		}
		if p.lastLoc != "" && p.lastLoc != t.Location && p.rng.Float64() < p.f.cfg.WrongScans {
			if _, err := p.scan(ctx, p.lastLoc, false); err != nil || !p.f.wait(ctx, wrongTime) {
				return err
			}
		}
		v, err := p.scan(ctx, t.Location, true)
		if err == nil && v.OK() {
			p.lastLoc = t.Location
		}
		return err
	case pickwave.StepItem:
		t := pr.Task
		if p.refused >= stuck || p.rng.Float64() < p.f.cfg.Shorts/float64(max(t.Remaining(), 1)) {
			return p.short(ctx, t)
		}
		if !p.f.wait(ctx, unitTime) {
			return nil
		}
		if p.rng.Float64() < p.f.cfg.WrongScans {
			if _, err := p.scan(ctx, p.f.otherBarcode(p.rng, t.SKU), false); err != nil || !p.f.wait(ctx, wrongTime) {
				return err
			}
		}
		code, err := p.f.barcode(ctx, t.SKU)
		if err != nil {
			return p.short(ctx, t)
		}
		v, err := p.scan(ctx, code, true)
		if err == nil && v.OK() {
			p.f.count(func(s *Stats) { s.Units += v.Qty })
		}
		return err
	case pickwave.StepTote:
		t := pr.Task
		tote, err := p.toteOf(ctx, t.ToteSlot)
		if err != nil {
			return err
		}
		if !p.f.wait(ctx, scanTime) {
			return nil
		}
		v, err := p.scan(ctx, tote, true)
		if err == nil && v.OK() {
			p.f.count(func(s *Stats) { s.Tasks++ })
		}
		return err
	}
	return fmt.Errorf("unknown step %q", pr.Step)
}

// takeCart finishes the cart done, if any, and takes the next one.
func (p *picker) takeCart(ctx context.Context, pr *pickwave.Prompt) error {
	if p.cart != "" {
		// Back to the depot with the cart; its totes go to packing.
		if !p.walk(ctx, wave.Position{}) {
			return nil
		}
		for _, tote := range p.totes {
			select {
			case p.f.toPack <- tote:
			default: // the packers are far behind: they find it among the picked orders
			}
		}
		p.f.count(func(s *Stats) { s.Carts++ })
		p.cart, p.totes = "", nil
	}
	tctx, cancel := context.WithTimeout(ctx, callTime)
	defer cancel()
	_, err := p.c.TakeCart(tctx)
	if handheld.ErrorCode(err) == pickwave.ENOTFOUND {
		p.f.wait(ctx, idleTime)
		return nil
	}
	return err
}

// toteOf returns the tote in a slot of the current cart, asking the
// server when this picker did not bind it (a cart taken over after a
// restart).
func (p *picker) toteOf(ctx context.Context, slot int) (string, error) {
	if tote := p.totes[slot]; tote != "" {
		return tote, nil
	}
	cart, err := p.f.admin.Waves.Cart(ctx, p.cart)
	if err != nil {
		return "", fmt.Errorf("cart %s: %w", p.cart, err)
	}
	for _, t := range cart.Totes {
		p.totes[t.Slot] = t.Tote
	}
	if p.totes[slot] == "" {
		return "", fmt.Errorf("cart %s has no tote in slot %d", p.cart, slot)
	}
	return p.totes[slot], nil
}

// walk goes to a bay (the zero Position: the depot), at walking speed.
func (p *picker) walk(ctx context.Context, to wave.Position) bool {
	var m float64
	l := p.f.layout
	switch {
	case p.at == nil && to == wave.Position{}:
		return true
	case p.at == nil:
		m = wave.Walk(l, []wave.Position{to}) / 2
	case to == wave.Position{}:
		m = wave.Walk(l, []wave.Position{*p.at}) / 2
	default:
		m = wave.Distance(l, *p.at, to)
	}
	if to == (wave.Position{}) {
		p.at = nil
	} else {
		p.at = &to
	}
	p.f.count(func(s *Stats) { s.WalkedM += m })
	return p.f.wait(ctx, time.Duration(m/p.f.cfg.WalkSpeed*float64(time.Second)))
}

// scan sends one scan and waits for its verdict. right says the picker
// meant it: a right scan refused counts towards giving the task up.
func (p *picker) scan(ctx context.Context, data string, right bool) (pickwave.Verdict, error) {
	sctx, cancel := context.WithTimeout(ctx, callTime)
	defer cancel()
	res, err := p.c.Scan(sctx, pickwave.ScanRequest{ID: p.c.NewID(), Data: data})
	if err != nil {
		return pickwave.Verdict{}, err
	}
	v := res.Verdict
	p.f.count(func(s *Stats) {
		s.Scans++
		if !v.OK() {
			s.Wrong++
		}
	})
	switch {
	case v.OK() || !right:
		p.refused = 0
	default:
		p.refused++
		p.f.log.Info("demo floor: a picker's scan was refused", "picker", p.name, "data", data, "verdict", v.Code, "message", v.Message)
		p.f.wait(ctx, wrongTime)
	}
	return v, nil
}

// short reports the rest of the task missing.
func (p *picker) short(ctx context.Context, t *pickwave.Task) error {
	if !p.f.wait(ctx, shortTime) {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, callTime)
	defer cancel()
	res, err := p.c.Short(sctx, pickwave.ShortRequest{ID: p.c.NewID(), Reason: pickwave.ShortCantFind})
	if err != nil {
		return err
	}
	p.refused = 0
	p.f.count(func(s *Stats) {
		s.Scans++
		s.Shorts++
	})
	if res.Verdict.OK() && res.Prompt.Step != pickwave.StepTote && (res.Prompt.Task == nil || res.Prompt.Task.ID != t.ID) {
		p.f.count(func(s *Stats) { s.Tasks++ })
	}
	return nil
}
