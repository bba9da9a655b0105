package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/wave"
)

var keyLayout = []byte("layout")

// DefaultTotesPerCart is used when a wave request names no cart size.
const DefaultTotesPerCart = 8

// Layout returns the site's layout; ENOTFOUND until one is set.
func (db *DB) Layout(ctx context.Context) (pickwave.Layout, error) {
	var l pickwave.Layout
	err := db.view(ctx, func(t *txn) error {
		var err error
		l, err = t.layout()
		return err
	})
	return l, err
}

func (t *txn) layout() (pickwave.Layout, error) {
	var l pickwave.Layout
	ok, err := t.getJSON(spaceMeta, keyLayout, &l)
	if err != nil {
		return l, err
	}
	if !ok {
		return l, notFound("No layout is set; PUT /api/v1/layout first.")
	}
	return l, nil
}

// SetLayout validates and stores the site's layout. Locations outside it
// are refused, so that every pick has a place on the floor.
func (db *DB) SetLayout(ctx context.Context, l pickwave.Layout) error {
	if err := l.Validate(); err != nil {
		return err
	}
	return db.update(ctx, func(t *txn) error {
		var outside []string
		err := t.Scan(spaceLocations, nil, nil, func(k, v []byte) error {
			var loc pickwave.Location
			if err := decode(spaceLocations, k, v, &loc); err != nil {
				return err
			}
			if !l.Contains(loc.Aisle, loc.Bay) && len(outside) < 10 {
				outside = append(outside, loc.Code)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(outside) > 0 {
			return &pickwave.Error{Code: pickwave.EINVALID, Message: "Some locations lie outside this layout.",
				Details: []pickwave.FieldError{{Field: "aisles", Reason: fmt.Sprintf("locations %v have an aisle or bay beyond the layout", outside)}}}
		}
		if err := t.putJSON(spaceMeta, keyLayout, l); err != nil {
			return err
		}
		_, err = t.appendEvent(pickwave.EventLayoutChanged, "layout", l)
		return err
	})
}

func waveID(seq uint64) string { return fmt.Sprintf("W-%06d", seq) }

// PlanWave selects allocated orders with the template, batches and routes
// them, and stores the result as a planned wave. Planning runs outside any
// write transaction, so a big wave does not hold up scans; release checks
// that nothing changed in between.
func (db *DB) PlanWave(ctx context.Context, tmpl pickwave.WaveTemplate, seed uint64) (*pickwave.Wave, error) {
	req := pickwave.PlanRequest{Template: tmpl, Seed: seed}
	if req.Template.TotesPerCart == 0 {
		req.Template.TotesPerCart = DefaultTotesPerCart
	}
	if err := req.Template.Validate(); err != nil {
		return nil, err
	}
	var (
		layout pickwave.Layout
		pool   []wave.Demand
	)
	err := db.view(ctx, func(t *txn) (err error) {
		if layout, err = t.layout(); err != nil {
			return err
		}
		pool, err = t.plannable()
		return err
	})
	if err != nil {
		return nil, err
	}
	selected := wave.Select(req.Template, pool)
	if len(selected) == 0 {
		return nil, pickwave.Errorf(pickwave.ECONFLICT, "No allocated order outside a wave matches the template.")
	}
	plan, err := wave.Plan(layout, selected, wave.OptionsFor(req.Template, req.Seed))
	if err != nil {
		return nil, err
	}
	w := &pickwave.Wave{Status: pickwave.WavePlanned, Request: req, Plan: &plan}
	for _, o := range selected {
		w.Orders = append(w.Orders, o.ID)
	}
	err = db.update(ctx, func(t *txn) error {
		seq, err := t.NextSeq(spaceWaves)
		if err != nil {
			return err
		}
		w.ID, w.Plan.ID = waveID(seq), waveID(seq)
		w.CreatedAt, w.CreatedBy = t.now, t.actor
		w.Progress = planProgress(w.Plan)
		if err := t.putWave(w); err != nil {
			return err
		}
		if _, err = t.appendEvent(pickwave.EventWavePlanned, "wave/"+w.ID, waveEvent(w)); err != nil {
			return err
		}
		return t.replenishAhead(selected)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// plannable returns every allocated order that is in no wave, with each
// allocation as a line at its location.
func (t *txn) plannable() ([]wave.Demand, error) {
	prefix := append([]byte(pickwave.OrderAllocated), 0)
	locs := map[string]*pickwave.Location{}
	skus := map[string]*pickwave.SKU{}
	var out []wave.Demand
	err := t.Scan(spaceOrderState, prefix, nil, func(k, _ []byte) error {
		o, err := t.order(string(k[len(prefix):]))
		if err != nil {
			return err
		}
		if o.WaveID != "" {
			return nil
		}
		wo, err := t.demand(o, locs, skus)
		if err != nil {
			return err
		}
		out = append(out, wo)
		return nil
	})
	return out, err
}

// demand is an order as the planner sees it: a line per allocation.
func (t *txn) demand(o *pickwave.Order, locs map[string]*pickwave.Location, skus map[string]*pickwave.SKU) (wave.Demand, error) {
	wo := wave.Demand{ID: o.ID, Status: o.Status, Carrier: o.Carrier, Service: o.Service,
		Priority: o.Priority, ShipBy: o.ShipBy, CreatedAt: o.CreatedAt}
	for _, l := range o.Lines {
		sku := skus[l.SKU]
		if sku == nil {
			var err error
			if sku, err = t.sku(l.SKU); err != nil {
				return wo, err
			}
			skus[l.SKU] = sku
		}
		for _, a := range l.Allocations {
			loc := locs[a.Location]
			if loc == nil {
				var err error
				if loc, err = t.location(a.Location); err != nil {
					return wo, err
				}
				locs[a.Location] = loc
			}
			wo.Lines = append(wo.Lines, wave.Line{SKU: l.SKU, Qty: a.Qty, Location: a.Location,
				Aisle: loc.Aisle, Bay: loc.Bay, Zone: loc.Zone,
				Unit: pickwave.Dims{LengthMM: float64(sku.LengthMM), WidthMM: float64(sku.WidthMM), HeightMM: float64(sku.HeightMM)}})
		}
	}
	return wo, nil
}

func planProgress(p *pickwave.Plan) pickwave.WaveProgress {
	var pr pickwave.WaveProgress
	pr.Carts = len(p.Carts)
	for _, c := range p.Carts {
		for _, tote := range c.Totes {
			for _, pk := range tote.Picks {
				pr.Tasks++
				pr.Units += pk.Qty
			}
		}
	}
	return pr
}

// waveEventPayload is what wave events carry for the floor dashboard.
type waveEventPayload struct {
	ID          string                `json:"id"`
	Status      pickwave.WaveStatus   `json:"status"`
	Orders      int                   `json:"orders"`
	Progress    pickwave.WaveProgress `json:"progress"`
	DistanceM   float64               `json:"distance_m,omitempty"`
	FCFSSShapeM float64               `json:"fcfs_sshape_m,omitempty"`
}

func waveEvent(w *pickwave.Wave) waveEventPayload {
	return waveEventPayload{ID: w.ID, Status: w.Status, Orders: len(w.Orders), Progress: w.Progress,
		DistanceM: w.Plan.DistanceM, FCFSSShapeM: w.Plan.Baseline.FCFSSShapeM}
}

// wave reads a wave with its plan and current progress.
func (t *txn) wave(id string) (*pickwave.Wave, error) {
	w, err := getEntity[pickwave.Wave](t, spaceWaves, id, "Wave")
	if err != nil {
		return nil, err
	}
	if w.Plan == nil {
		return nil, fmt.Errorf("wave %s is stored without its plan", id)
	}
	if err := t.progressOf(w); err != nil {
		return nil, err
	}
	return w, nil
}

// ReleaseWave turns a planned wave into carts and pick tasks. It checks,
// in the same transaction, that every order is still allocated as planned
// and in no other wave, so two releases racing for an order cannot both win.
func (db *DB) ReleaseWave(ctx context.Context, id string) (*pickwave.Wave, error) {
	var w *pickwave.Wave
	err := db.update(ctx, func(t *txn) error {
		var err error
		if w, err = t.wave(id); err != nil {
			return err
		}
		plan := w.Plan
		if w.Status != pickwave.WavePlanned {
			return pickwave.Errorf(pickwave.ECONFLICT, "Wave %s is %s; only a planned wave can be released.", w.ID, w.Status)
		}
		orders := map[string]*pickwave.Order{}
		for _, oid := range w.Orders {
			o, err := t.order(oid)
			if err != nil {
				return err
			}
			if o.Status != pickwave.OrderAllocated || o.WaveID != "" {
				return pickwave.Errorf(pickwave.ECONFLICT, "Order %s is %s%s since wave %s was planned; plan again.",
					o.ID, o.Status, inWave(o), w.ID)
			}
			orders[oid] = o
		}
		// Every pick must draw on the order's allocation at that location.
		left := map[string]map[string][]pickwave.Allocation{} // order → line id → allocations not yet tasked
		lineOf := map[string]map[string]string{}              // order → sku → line id
		for oid, o := range orders {
			left[oid], lineOf[oid] = map[string][]pickwave.Allocation{}, map[string]string{}
			for _, l := range o.Lines {
				left[oid][l.ID] = slices.Clone(l.Allocations)
				lineOf[oid][l.SKU] = l.ID
			}
		}
		w.Progress = pickwave.WaveProgress{Carts: len(plan.Carts)}
		for ci, c := range plan.Carts {
			cart := &pickwave.Cart{ID: fmt.Sprintf("%s-C%02d", w.ID, ci+1), WaveID: w.ID, Status: pickwave.CartOpen,
				DistanceM: c.DistanceM, Zone: c.Zone}
			stopIndex := map[string]int{}
			for i, s := range c.Stops {
				if _, ok := stopIndex[s.Location]; !ok {
					stopIndex[s.Location] = i
				}
			}
			var tasks []*pickwave.Task
			for _, tote := range c.Totes {
				cart.Totes = append(cart.Totes, pickwave.CartTote{Slot: tote.Slot, OrderID: tote.OrderID})
				for _, pk := range tote.Picks {
					lineID := lineOf[tote.OrderID][pk.SKU]
					need := pk.Qty
					allocs := left[tote.OrderID][lineID]
					for i := range allocs {
						a := &allocs[i]
						if a.Location != pk.Location || a.Qty == 0 || need == 0 {
							continue
						}
						take := min(need, a.Qty)
						a.Qty -= take
						need -= take
						tasks = append(tasks, &pickwave.Task{WaveID: w.ID, CartID: cart.ID, OrderID: tote.OrderID, LineID: lineID,
							SKU: pk.SKU, Location: pk.Location, Aisle: pk.Aisle, Bay: pk.Bay, Lot: a.Lot, Expiry: a.Expiry,
							Qty: take, ToteSlot: tote.Slot, Status: pickwave.TaskOpen})
					}
					if need > 0 {
						return pickwave.Errorf(pickwave.ECONFLICT, "Order %s no longer has %d × %s reserved at %s; plan again.",
							tote.OrderID, pk.Qty, pk.SKU, pk.Location)
					}
				}
			}
			slices.SortStableFunc(tasks, func(a, b *pickwave.Task) int {
				if d := stopIndex[a.Location] - stopIndex[b.Location]; d != 0 {
					return d
				}
				return a.ToteSlot - b.ToteSlot
			})
			for i, task := range tasks {
				task.Seq = i + 1
				task.ID = fmt.Sprintf("%s-T%03d", cart.ID, i+1)
				cart.Tasks = append(cart.Tasks, task.ID)
				if err := t.putTask(task); err != nil {
					return err
				}
				w.Progress.Tasks++
				w.Progress.Units += task.Qty
			}
			if err := t.putJSON(spaceCarts, []byte(cart.ID), cart); err != nil {
				return err
			}
			if err := t.Put(spaceOpenCarts, []byte(cart.ID), nil); err != nil {
				return err
			}
		}
		for oid, o := range orders {
			for lid, allocs := range left[oid] {
				for _, a := range allocs {
					if a.Qty > 0 {
						return pickwave.Errorf(pickwave.ECONFLICT, "Order %s line %s has %d reserved at %s that the plan does not pick; plan again.", oid, lid, a.Qty, a.Location)
					}
				}
			}
			o.WaveID = w.ID
			if err := t.setStatus(o, pickwave.OrderReleased, pickwave.EventOrderReleased, "wave "+w.ID); err != nil {
				return err
			}
		}
		return t.moveWave(w, pickwave.WaveReleased, pickwave.EventWaveReleased)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// moveWave puts a wave in a new state, stamps when, stores it and logs it.
func (t *txn) moveWave(w *pickwave.Wave, status pickwave.WaveStatus, eventType string) error {
	w.Status = status
	now := t.now
	if status == pickwave.WaveReleased {
		w.ReleasedAt = &now
	} else {
		w.ClosedAt = &now
	}
	if err := t.putWave(w); err != nil {
		return err
	}
	_, err := t.appendEvent(eventType, "wave/"+w.ID, waveEvent(w))
	return err
}

// putWave stores a wave record and its progress.
func (t *txn) putWave(w *pickwave.Wave) error {
	if err := t.putJSON(spaceWaves, []byte(w.ID), w); err != nil {
		return err
	}
	return t.putJSON(spaceWaveProg, []byte(w.ID), w.Progress)
}

// progressOf fills in a wave's current progress.
func (t *txn) progressOf(w *pickwave.Wave) error {
	_, err := t.getJSON(spaceWaveProg, []byte(w.ID), &w.Progress)
	return err
}

func inWave(o *pickwave.Order) string {
	if o.WaveID != "" {
		return " in wave " + o.WaveID
	}
	return ""
}

// CancelWave cancels a planned wave, or a released one on which nothing
// has been picked yet; its orders go back to the pool, allocated as before.
func (db *DB) CancelWave(ctx context.Context, id string) (*pickwave.Wave, error) {
	var w *pickwave.Wave
	err := db.update(ctx, func(t *txn) error {
		var err error
		if w, err = t.wave(id); err != nil {
			return err
		}
		switch w.Status {
		case pickwave.WaveCancelled:
			return nil // a retry
		case pickwave.WaveCompleted:
			return pickwave.Errorf(pickwave.ECONFLICT, "Wave %s is completed.", w.ID)
		case pickwave.WaveReleased:
			if w.Progress.UnitsPicked > 0 || w.Progress.UnitsShort > 0 || w.Progress.TasksDone > 0 {
				return pickwave.Errorf(pickwave.ECONFLICT, "Picking has started on wave %s; it cannot be cancelled.", w.ID)
			}
			if err := t.cancelCarts(w); err != nil {
				return err
			}
		}
		return t.moveWave(w, pickwave.WaveCancelled, pickwave.EventWaveCancelled)
	})
	return w, err
}

// cancelCarts cancels a released wave's carts and tasks and returns its
// orders to the pool.
func (t *txn) cancelCarts(w *pickwave.Wave) error {
	for ci := range w.Plan.Carts {
		cart, err := t.cart(fmt.Sprintf("%s-C%02d", w.ID, ci+1))
		if err != nil {
			return err
		}
		if cart.Picker != "" {
			return pickwave.Errorf(pickwave.ECONFLICT, "Cart %s is with %s; it cannot be cancelled.", cart.ID, cart.Picker)
		}
		for _, tid := range cart.Tasks {
			task, err := t.task(tid)
			if err != nil {
				return err
			}
			task.Status = pickwave.TaskCancelled
			if err := t.putTask(task); err != nil {
				return err
			}
		}
		cart.Status = pickwave.CartCancelled
		if err := t.putJSON(spaceCarts, []byte(cart.ID), cart); err != nil {
			return err
		}
		if err := t.Delete(spaceOpenCarts, []byte(cart.ID)); err != nil {
			return err
		}
	}
	for _, oid := range w.Orders {
		o, err := t.order(oid)
		if err != nil {
			return err
		}
		if o.Status != pickwave.OrderReleased || o.WaveID != w.ID {
			continue // cancelled meanwhile
		}
		o.WaveID = ""
		if err := t.setStatus(o, pickwave.OrderAllocated, pickwave.EventOrderReturned, "wave "+w.ID+" cancelled"); err != nil {
			return err
		}
	}
	return nil
}

// Wave returns one wave.
func (db *DB) Wave(ctx context.Context, id string) (*pickwave.Wave, error) {
	var w *pickwave.Wave
	err := db.view(ctx, func(t *txn) (err error) {
		w, err = t.wave(id)
		return err
	})
	return w, err
}

// Waves lists waves, newest first, without their plans.
func (db *DB) Waves(ctx context.Context, limit int) ([]*pickwave.Wave, error) {
	limit = pageSize(limit)
	var out []*pickwave.Wave
	err := db.view(ctx, func(t *txn) error {
		return t.ScanReverse(spaceWaves, nil, func(k, v []byte) error {
			w := new(pickwave.Wave)
			if err := decode(spaceWaves, k, v, &listedWave{Wave: w}); err != nil {
				return err
			}
			if err := t.progressOf(w); err != nil {
				return err
			}
			out = append(out, w)
			return stopAt(len(out), limit)
		})
	})
	return out, err
}

// listedWave decodes a wave record but skips its plan, which can be large
// and which lists leave out.
type listedWave struct {
	*pickwave.Wave
	Plan skipJSON `json:"plan"` // shadows Wave.Plan
}

// skipJSON decodes any JSON value into nothing.
type skipJSON struct{}

func (*skipJSON) UnmarshalJSON([]byte) error { return nil }

func (t *txn) cart(id string) (*pickwave.Cart, error) {
	return getEntity[pickwave.Cart](t, spaceCarts, id, "Cart")
}

// putTask stores a task and keeps the open-task index.
func (t *txn) putTask(task *pickwave.Task) error {
	if err := t.putJSON(spaceTasks, []byte(task.ID), task); err != nil {
		return err
	}
	t.rememberTask(task)
	if task.Status == pickwave.TaskOpen {
		return t.Put(spaceOpenTasks, []byte(task.ID), nil)
	}
	return t.Delete(spaceOpenTasks, []byte(task.ID))
}

// openTasks returns the ids of a cart's open tasks in walking order.
func (t *txn) openTasks(cartID string) ([]string, error) {
	var ids []string
	err := t.Scan(spaceOpenTasks, []byte(cartID+"-T"), nil, func(k, _ []byte) error {
		ids = append(ids, string(k))
		return nil
	})
	return ids, err
}

func (t *txn) task(id string) (*pickwave.Task, error) {
	if task, ok := t.tasks[id]; ok {
		return task, nil
	}
	task, err := getEntity[pickwave.Task](t, spaceTasks, id, "Task")
	if err != nil {
		return nil, err
	}
	t.rememberTask(task)
	return task, nil
}

func (t *txn) rememberTask(task *pickwave.Task) {
	if t.tasks == nil {
		t.tasks = map[string]*pickwave.Task{}
	}
	t.tasks[task.ID] = task
}

// Cart returns one cart.
func (db *DB) Cart(ctx context.Context, id string) (*pickwave.Cart, error) {
	var c *pickwave.Cart
	err := db.view(ctx, func(t *txn) (err error) {
		c, err = t.cart(id)
		return err
	})
	return c, err
}

// Task returns one task.
func (db *DB) Task(ctx context.Context, id string) (*pickwave.Task, error) {
	var task *pickwave.Task
	err := db.view(ctx, func(t *txn) (err error) {
		if task, err = t.task(id); err != nil {
			return err
		}
		cart, err := t.cart(task.CartID)
		if err != nil {
			return err
		}
		st, err := t.cartPicker(cart)
		if err != nil {
			return err
		}
		st.inHand(task)
		return nil
	})
	return task, err
}

// cartPicker returns the state of the picker working the cart; the zero
// state when nobody is.
func (t *txn) cartPicker(cart *pickwave.Cart) (*pickerState, error) {
	if cart.Picker == "" || cart.Status != pickwave.CartPicking {
		return new(pickerState), nil
	}
	st, err := t.pickerState(cart.Picker)
	if err != nil || st.CartID != cart.ID {
		return new(pickerState), err
	}
	return st, nil
}

// CartTasks returns a cart's tasks in walking order.
func (db *DB) CartTasks(ctx context.Context, cartID string) ([]*pickwave.Task, error) {
	var out []*pickwave.Task
	err := db.view(ctx, func(t *txn) error {
		c, err := t.cart(cartID)
		if err != nil {
			return err
		}
		st, err := t.cartPicker(c)
		if err != nil {
			return err
		}
		for _, id := range c.Tasks {
			task, err := t.task(id)
			if err != nil {
				return err
			}
			st.inHand(task)
			out = append(out, task)
		}
		return nil
	})
	return out, err
}
