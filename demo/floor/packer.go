package floor

import (
	"context"
	"fmt"
	"math/rand"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
)

// How long things take a packer, in floor time.
const (
	fetchTime  = 8 * time.Second  // take the next tote, scan it
	itemTime   = 5 * time.Second  // take an item out, check it, scan it, into the carton
	closeTime  = 15 * time.Second // fill, close and tape the carton, onto the scale
	labelTime  = 6 * time.Second  // stick the label on, off the scale
	asideTime  = time.Minute      // someone else works at the station: come back later
	lookEvery  = 30 * time.Second // look for picked orders nobody brought
	labelWithn = 20 * time.Second // wall time a label may take after the weight
)

// packer is one simulated packer at the floor's pack station.
type packer struct {
	f    *Floor
	name string
	rng  *rand.Rand
	api  *client.Client
	n    int                  // scan ids
	seen map[string]time.Time // orders tried from the list, and when
}

func (k *packer) run(ctx context.Context) {
	k.seen = map[string]time.Time{}
	for ctx.Err() == nil {
		if k.api == nil {
			api, err := k.f.api(ctx, k.name, pickwave.RolePacker)
			if err != nil {
				k.f.warn(ctx, "demo floor: packer has no token", "err", err)
				k.f.wait(ctx, time.Minute)
				continue
			}
			k.api = api
		}
		if err := k.work(ctx); err != nil && ctx.Err() == nil {
			k.f.log.Warn("demo floor: packer", "station", k.f.cfg.Station, "err", err)
			k.f.wait(ctx, asideTime)
		}
	}
}

// work packs one order, or waits for one.
func (k *packer) work(ctx context.Context) error {
	st := k.f.cfg.Station
	s, err := k.api.Pack.Session(ctx, st)
	if err != nil {
		return err
	}
	switch {
	case s.Packer != "" && s.Packer != k.name:
		k.f.wait(ctx, asideTime) // a person packs here now
		return nil
	case s.Packer == "":
		if s, err = k.api.Pack.SignIn(ctx, st); err != nil {
			return err
		}
	}
	if s.OrderID == "" {
		what := k.next(ctx)
		if what == "" {
			return nil
		}
		if !k.f.wait(ctx, fetchTime) {
			return nil
		}
		res, err := k.scan(ctx, what)
		if err != nil {
			return err
		}
		if res.Verdict.Code != pickwave.PackOrder {
			k.f.log.Info("demo floor: nothing to pack in it", "scan", what, "verdict", res.Verdict.Code, "message", res.Verdict.Message)
			return nil
		}
		s = res.Session
	}
	return k.pack(ctx, s)
}

// next returns the next tote of a finished cart, or a picked order found
// in the list; "" after a while without any.
func (k *packer) next(ctx context.Context) string {
	select {
	case tote := <-k.f.toPack:
		return tote
	default:
	}
	orders, err := k.f.admin.Orders.Orders(ctx, pickwave.OrderFilter{Status: pickwave.OrderPicked, Limit: 100})
	if err == nil {
		for _, o := range orders {
			if at, ok := k.seen[o.ID]; !ok || k.f.floorSince(at) > 10*time.Minute {
				k.seen[o.ID] = time.Now()
				return o.ID
			}
		}
	}
	t := time.NewTimer(time.Duration(float64(lookEvery) / k.f.cfg.Speed))
	defer t.Stop()
	select {
	case tote := <-k.f.toPack:
		return tote
	case <-ctx.Done():
	case <-t.C:
	}
	return ""
}

func (k *packer) scan(ctx context.Context, data string) (*pickwave.PackScanResult, error) {
	k.n++
	return k.api.Pack.Scan(ctx, k.f.cfg.Station, pickwave.PackScanRequest{
		ID: fmt.Sprintf("floor-%s-%d", k.f.stamp, k.n), Data: data})
}

// pack scans the order's items into the carton, weighs it and waits for
// the label.
func (k *packer) pack(ctx context.Context, s *pickwave.PackSession) error {
	for s.Step == pickwave.PackScan {
		var line *pickwave.PackLine
		for i := range s.Lines {
			if s.Lines[i].Left() > 0 {
				line = &s.Lines[i]
				break
			}
		}
		if line == nil {
			break
		}
		code, err := k.f.barcode(ctx, line.SKU)
		if err != nil {
			return err
		}
		if !k.f.wait(ctx, itemTime) {
			return nil
		}
		res, err := k.scan(ctx, code)
		if err != nil {
			return err
		}
		if c := res.Verdict.Code; c != pickwave.PackOK && c != pickwave.PackComplete {
			_, err := k.api.Pack.SetAside(ctx, k.f.cfg.Station)
			return fmt.Errorf("item %s of order %s refused (%s: %s), order set aside: %w", line.SKU, s.OrderID, c, res.Verdict.Message, err)
		}
		s = res.Session
	}
	if s.Step != pickwave.PackWeigh && s.Step != pickwave.PackBlocked {
		return nil
	}
	if !k.f.wait(ctx, closeTime) {
		return nil
	}
	// The package weighs what the books say, give or take one per cent.
	grams := float64(s.ExpectedG) * (0.99 + 0.02*k.rng.Float64())
	k.f.cfg.Scale.SetWeight(grams)
	defer k.f.cfg.Scale.SetWeight(0)
	order := s.OrderID
	deadline := time.Now().Add(labelWithn)
	for {
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			k.countAtStop(ctx, order)
			return nil
		case <-t.C:
		}
		s, err := k.api.Pack.Session(ctx, k.f.cfg.Station)
		if err != nil {
			if ctx.Err() != nil {
				k.countAtStop(ctx, order)
				return nil
			}
			return err
		}
		switch {
		case s.OrderID != order:
			k.f.count(func(st *Stats) { st.Packed++ })
			k.f.wait(ctx, labelTime)
			return nil
		case s.Step == pickwave.PackBlocked:
			_, err := k.api.Pack.SetAside(ctx, k.f.cfg.Station)
			return fmt.Errorf("order %s: %.0f g blocked by the weight check, set aside: %w", order, grams, err)
		case time.Now().After(deadline):
			return fmt.Errorf("order %s: no label %s after the weight %.0f g (step %s)", order, labelWithn, grams, s.Step)
		}
	}
}

// countAtStop counts order as packed if the station packed it while the
// floor was stopping, so that the floor's figures agree with the store's.
func (k *packer) countAtStop(ctx context.Context, order string) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if s, err := k.api.Pack.Session(sctx, k.f.cfg.Station); err == nil && s.OrderID != order {
		k.f.count(func(st *Stats) { st.Packed++ })
	}
}
