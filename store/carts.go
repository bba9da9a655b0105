package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/pickwave/pickwave"
)

// The supervisor's side of carts: cancelling what has not started of a
// wave, taking a cart off a picker and giving it to another, and how far
// each cart has got. Each change is one transaction with its events, so a
// retry finds the work done and changes nothing more.

func cartID(waveID string, i int) string { return fmt.Sprintf("%s-C%02d", waveID, i+1) }

// CancelRest cancels what has not started of a wave (see
// pickwave.WaveService). An order has started once any of its tasks, on
// any cart of the wave, is picked or short or has units in a picker's
// hand: it is never split, and is picked to the end.
func (db *DB) CancelRest(ctx context.Context, id string) (*pickwave.WaveCancellation, error) {
	var res *pickwave.WaveCancellation
	err := db.update(ctx, func(t *txn) error {
		res = &pickwave.WaveCancellation{OrdersReturned: []string{}, CartsCancelled: []string{}, CartsDone: []string{}, Pickers: []string{}}
		w, err := t.wave(id)
		if err != nil {
			return err
		}
		switch w.Status {
		case pickwave.WavePlanned:
			// Nothing was taken from the pool: the plan just goes.
			if err := t.moveWave(w, pickwave.WaveCancelled, pickwave.EventWaveCancelled); err != nil {
				return err
			}
		case pickwave.WaveReleased:
			if err := t.cancelRest(w, res); err != nil {
				return err
			}
			if w, err = t.wave(id); err != nil {
				return err
			}
		}
		res.Wave = w
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// cancelRest is CancelRest for a released wave.
func (t *txn) cancelRest(w *pickwave.Wave, res *pickwave.WaveCancellation) error {
	var (
		active  []*pickwave.Cart
		states  = map[string]*pickerState{} // by cart, for carts being picked
		started = map[string]bool{}         // by order
	)
	for ci := range w.Plan.Carts {
		cart, err := t.cart(cartID(w.ID, ci))
		if err != nil {
			return err
		}
		if cart.Status == pickwave.CartCancelled {
			continue
		}
		st, err := t.cartPicker(cart)
		if err != nil {
			return err
		}
		for _, tid := range cart.Tasks {
			task, err := t.task(tid)
			if err != nil {
				return err
			}
			st.inHand(task)
			if task.Status == pickwave.TaskPicked || task.Status == pickwave.TaskShort || task.Picked > 0 || task.Short > 0 {
				started[task.OrderID] = true
			}
		}
		if cart.Status == pickwave.CartOpen || cart.Status == pickwave.CartPicking {
			active = append(active, cart)
			if st.CartID == cart.ID {
				states[cart.ID] = st
			}
		}
	}
	returning := map[string]bool{}
	var orders []*pickwave.Order
	for _, oid := range w.Orders {
		o, err := t.order(oid)
		if err != nil {
			return err
		}
		if started[oid] || o.Status != pickwave.OrderReleased || o.WaveID != w.ID {
			continue
		}
		returning[oid] = true
		orders = append(orders, o)
	}
	if len(returning) == 0 {
		return t.closeWaveIfOver(w.ID)
	}

	var cancelledTasks, cancelledUnits, cancelledCarts int
	var finish []*pickwave.Cart
	for _, cart := range active {
		n := 0
		for _, tid := range cart.Tasks {
			task, err := t.task(tid)
			if err != nil {
				return err
			}
			if task.Status != pickwave.TaskOpen || !returning[task.OrderID] {
				continue
			}
			task.Status = pickwave.TaskCancelled
			if err := t.putTask(task); err != nil {
				return err
			}
			n++
			cancelledUnits += task.Qty
		}
		if n == 0 {
			continue
		}
		cancelledTasks += n
		// The returned orders' totes come off the cart; a tote already
		// bound is free for another cart.
		kept := cart.Totes[:0]
		for _, tt := range cart.Totes {
			if !returning[tt.OrderID] {
				kept = append(kept, tt)
				continue
			}
			if tt.Tote != "" {
				if err := t.Delete(spaceTotes, []byte(tt.Tote)); err != nil {
					return err
				}
			}
		}
		cart.Totes = kept
		st := states[cart.ID]
		if st != nil {
			if st.TaskID != "" {
				task, err := t.task(st.TaskID)
				if err != nil {
					return err
				}
				if task.Status == pickwave.TaskCancelled {
					st.moveTo("", "")
				}
			}
			res.Pickers = append(res.Pickers, cart.Picker)
		}
		open, err := t.openTasks(cart.ID)
		if err != nil {
			return err
		}
		switch {
		case len(open) > 0:
			if err := t.putJSON(spaceCarts, []byte(cart.ID), cart); err != nil {
				return err
			}
		case cartStarted(t, cart):
			finish = append(finish, cart) // after the wave's counts are right
		default:
			if err := t.dropCart(cart, st, pickwave.CartCancelled, pickwave.EventCartCancelled); err != nil {
				return err
			}
			cancelledCarts++
			res.CartsCancelled = append(res.CartsCancelled, cart.ID)
		}
		if st != nil {
			if err := t.putJSON(spacePickers, []byte(cart.Picker), st); err != nil {
				return err
			}
		}
	}
	for _, o := range orders {
		o.WaveID = ""
		if err := t.setStatus(o, pickwave.OrderAllocated, pickwave.EventOrderReturned, "rest of wave "+w.ID+" cancelled"); err != nil {
			return err
		}
		res.OrdersReturned = append(res.OrdersReturned, o.ID)
	}
	slices.Sort(res.OrdersReturned)
	if err := t.updateWave(w.ID, func(p *pickwave.WaveProgress) {
		p.TasksCancelled += cancelledTasks
		p.UnitsCancelled += cancelledUnits
		p.CartsCancelled += cancelledCarts
	}); err != nil {
		return err
	}
	res.TasksCancelled, res.UnitsCancelled = cancelledTasks, cancelledUnits
	if _, err := t.appendEvent(pickwave.EventWaveRestCancelled, "wave/"+w.ID, map[string]any{
		"wave": w.ID, "orders": res.OrdersReturned, "carts_cancelled": res.CartsCancelled,
		"tasks": cancelledTasks, "units": cancelledUnits}); err != nil {
		return err
	}
	for _, cart := range finish {
		// Every task left on it is done: it goes to packing as if its
		// last task had just been picked, which may complete the wave.
		st := states[cart.ID]
		if st == nil {
			st = new(pickerState)
			if err := t.Delete(spaceOpenCarts, []byte(cart.ID)); err != nil {
				return err
			}
		}
		if err := t.finishCart(st, cart); err != nil {
			return err
		}
		if cart.Picker != "" && states[cart.ID] != nil {
			if err := t.putJSON(spacePickers, []byte(cart.Picker), st); err != nil {
				return err
			}
		}
		res.CartsDone = append(res.CartsDone, cart.ID)
	}
	return t.closeWaveIfOver(w.ID)
}

// cartStarted reports whether any task of the cart was picked or short.
func cartStarted(t *txn, cart *pickwave.Cart) bool {
	for _, tid := range cart.Tasks {
		if task, err := t.task(tid); err == nil && (task.Status == pickwave.TaskPicked || task.Status == pickwave.TaskShort) {
			return true
		}
	}
	return false
}

// dropCart closes a cart with nothing done on it: it leaves the open-cart
// index and its picker, whose state st (nil without one) is freed.
func (t *txn) dropCart(cart *pickwave.Cart, st *pickerState, status pickwave.CartStatus, eventType string) error {
	picker := cart.Picker
	cart.Status = status
	if err := t.putJSON(spaceCarts, []byte(cart.ID), cart); err != nil {
		return err
	}
	if err := t.Delete(spaceOpenCarts, []byte(cart.ID)); err != nil {
		return err
	}
	for _, tt := range cart.Totes {
		if tt.Tote != "" {
			if err := t.Delete(spaceTotes, []byte(tt.Tote)); err != nil {
				return err
			}
		}
	}
	if st != nil {
		st.CartID = ""
		st.moveTo("", "")
	}
	_, err := t.appendEvent(eventType, "cart/"+cart.ID, map[string]string{"cart": cart.ID, "wave": cart.WaveID, "picker": picker})
	return err
}

// closeWaveIfOver ends a released wave whose carts are all done or
// cancelled: completed when any cart was done, else cancelled.
func (t *txn) closeWaveIfOver(id string) error {
	w, err := t.wave(id)
	if err != nil {
		return err
	}
	p := w.Progress
	if w.Status != pickwave.WaveReleased || p.CartsDone+p.CartsCancelled < p.Carts {
		return nil
	}
	if p.CartsDone > 0 {
		return t.moveWave(w, pickwave.WaveCompleted, pickwave.EventWaveCompleted)
	}
	return t.moveWave(w, pickwave.WaveCancelled, pickwave.EventWaveCancelled)
}

// UnassignCart takes a cart off its picker (see pickwave.WaveService).
func (db *DB) UnassignCart(ctx context.Context, id string) (*pickwave.CartChange, error) {
	var ch *pickwave.CartChange
	err := db.update(ctx, func(t *txn) error {
		cart, err := t.cart(id)
		if err != nil {
			return err
		}
		ch = &pickwave.CartChange{Cart: cart}
		switch cart.Status {
		case pickwave.CartOpen:
			return nil // a retry, or nobody had it
		case pickwave.CartDone, pickwave.CartCancelled:
			return pickwave.Errorf(pickwave.ECONFLICT, "Cart %s is %s; only a cart being picked can be taken off its picker.", cart.ID, cart.Status)
		}
		ch.From, ch.Changed = cart.Picker, true
		return t.unassign(cart)
	})
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// unassign puts a cart being picked back in the open carts. Units the
// picker scanned for the current task and has not yet put in the tote
// are written to the task, so that they count for the next picker.
func (t *txn) unassign(cart *pickwave.Cart) error {
	picker := cart.Picker
	st, err := t.pickerState(picker)
	if err != nil {
		return err
	}
	if st.CartID == cart.ID {
		if st.TaskID != "" && st.Picked > 0 {
			task, err := t.task(st.TaskID)
			if err != nil {
				return err
			}
			st.inHand(task)
			if err := t.putTask(task); err != nil {
				return err
			}
		}
		st.CartID = ""
		st.moveTo("", "")
		if err := t.putJSON(spacePickers, []byte(picker), st); err != nil {
			return err
		}
	}
	cart.Picker, cart.Status = "", pickwave.CartOpen
	if err := t.putJSON(spaceCarts, []byte(cart.ID), cart); err != nil {
		return err
	}
	if err := t.Put(spaceOpenCarts, []byte(cart.ID), nil); err != nil {
		return err
	}
	_, err = t.appendEvent(pickwave.EventCartUnassigned, "cart/"+cart.ID, map[string]string{"cart": cart.ID, "wave": cart.WaveID, "picker": picker})
	return err
}

// AssignCart gives a cart to a named picker (see pickwave.WaveService).
func (db *DB) AssignCart(ctx context.Context, id, picker string) (*pickwave.CartChange, error) {
	if picker == "" || len(picker) > pickwave.MaxCodeLen {
		return nil, fieldErr("picker", "is required: the name of a user who picks, at most %d characters", pickwave.MaxCodeLen)
	}
	var ch *pickwave.CartChange
	err := db.update(ctx, func(t *txn) error {
		su := storedUser{User: new(pickwave.User)}
		ok, err := t.getJSON(spaceUsers, []byte(picker), &su)
		if err != nil {
			return err
		}
		if !ok || !slices.Contains(pickwave.PickRoles, su.Role) {
			return fieldErr("picker", "must name a user who may pick (%v); %q is not one", pickwave.PickRoles, picker)
		}
		cart, err := t.cart(id)
		if err != nil {
			return err
		}
		ch = &pickwave.CartChange{Cart: cart, From: cart.Picker, To: picker}
		switch {
		case cart.Status == pickwave.CartDone || cart.Status == pickwave.CartCancelled:
			return pickwave.Errorf(pickwave.ECONFLICT, "Cart %s is %s; it cannot be given to a picker.", cart.ID, cart.Status)
		case cart.Status == pickwave.CartPicking && cart.Picker == picker:
			ch.From = picker
			return nil // a retry
		}
		st, err := t.pickerState(picker)
		if err != nil {
			return err
		}
		if st.CartID != "" {
			return pickwave.Errorf(pickwave.ECONFLICT, "%s is picking cart %s; take that cart off them first.", picker, st.CartID)
		}
		if cart.Status == pickwave.CartPicking {
			if err := t.unassign(cart); err != nil {
				return err
			}
		}
		cart.Picker, cart.Status = picker, pickwave.CartPicking
		if err := t.putJSON(spaceCarts, []byte(cart.ID), cart); err != nil {
			return err
		}
		if err := t.Delete(spaceOpenCarts, []byte(cart.ID)); err != nil {
			return err
		}
		st.CartID = cart.ID
		st.moveTo("", "")
		if err := t.putJSON(spacePickers, []byte(picker), st); err != nil {
			return err
		}
		ch.Changed = true
		_, err = t.appendEvent(pickwave.EventCartAssigned, "cart/"+cart.ID, map[string]string{"cart": cart.ID, "wave": cart.WaveID, "picker": picker, "from": ch.From})
		return err
	})
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// WaveCarts returns a wave's carts with their progress.
func (db *DB) WaveCarts(ctx context.Context, waveID string) ([]*pickwave.CartProgress, error) {
	out := []*pickwave.CartProgress{}
	err := db.view(ctx, func(t *txn) error {
		w, err := getEntity[listedWave](t, spaceWaves, waveID, "Wave")
		if err != nil {
			return err
		}
		if w.Wave == nil || w.Status == pickwave.WavePlanned {
			return nil
		}
		return t.Scan(spaceCarts, []byte(waveID+"-C"), nil, func(k, v []byte) error {
			cart := new(pickwave.Cart)
			if err := decode(spaceCarts, k, v, cart); err != nil {
				return err
			}
			cp, err := t.cartProgress(cart)
			if err != nil {
				return err
			}
			out = append(out, cp)
			return nil
		})
	})
	return out, err
}

// ActiveCarts returns the open and picking carts of released waves.
func (db *DB) ActiveCarts(ctx context.Context) ([]*pickwave.CartProgress, error) {
	out := []*pickwave.CartProgress{}
	err := db.view(ctx, func(t *txn) error {
		var released []string
		if err := t.Scan(spaceWaves, nil, nil, func(k, v []byte) error {
			w := new(pickwave.Wave)
			if err := decode(spaceWaves, k, v, &listedWave{Wave: w}); err != nil {
				return err
			}
			if w.Status == pickwave.WaveReleased {
				released = append(released, w.ID)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, id := range released {
			err := t.Scan(spaceCarts, []byte(id+"-C"), nil, func(k, v []byte) error {
				cart := new(pickwave.Cart)
				if err := decode(spaceCarts, k, v, cart); err != nil {
					return err
				}
				if cart.Status != pickwave.CartOpen && cart.Status != pickwave.CartPicking {
					return nil
				}
				cp, err := t.cartProgress(cart)
				if err != nil {
					return err
				}
				out = append(out, cp)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// cartProgress counts a cart's stops and units. A stop is a run of tasks
// at one location in walking order; cancelled tasks are no stop.
func (t *txn) cartProgress(cart *pickwave.Cart) (*pickwave.CartProgress, error) {
	cp := &pickwave.CartProgress{Cart: *cart}
	st, err := t.cartPicker(cart)
	if err != nil {
		return nil, err
	}
	type stop struct {
		loc  string
		open bool
	}
	var stops []stop
	for _, tid := range cart.Tasks {
		task, err := t.task(tid)
		if err != nil {
			return nil, err
		}
		if task.Status == pickwave.TaskCancelled {
			continue
		}
		st.inHand(task)
		cp.Units += task.Qty
		cp.UnitsPicked += task.Picked
		cp.UnitsShort += task.Short
		open := task.Status == pickwave.TaskOpen
		if !open {
			cp.TasksDone++
		} else if cp.Current == "" {
			cp.Current = task.Location
		}
		if n := len(stops); n > 0 && stops[n-1].loc == task.Location {
			stops[n-1].open = stops[n-1].open || open
			continue
		}
		stops = append(stops, stop{loc: task.Location, open: open})
	}
	if st.TaskID != "" {
		if task, err := t.task(st.TaskID); err == nil && task.Status == pickwave.TaskOpen {
			cp.Current = task.Location
		}
	}
	cp.Stops = len(stops)
	for _, s := range stops {
		if !s.open {
			cp.StopsDone++
		}
	}
	return cp, nil
}
