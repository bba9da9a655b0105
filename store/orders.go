package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/pickwave/pickwave"
)

// orderID formats an order sequence number; fixed width so ids sort in
// the order they were taken in.
func orderID(seq uint64) string { return fmt.Sprintf("O-%010d", seq) }

// inputHash identifies an intake body independent of JSON formatting.
func inputHash(in *pickwave.OrderInput) string {
	c := *in
	c.ShipBy = c.ShipBy.UTC()
	data, _ := json.Marshal(&c) // plain structs of strings and numbers: cannot fail
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// CreateOrder validates, stores and allocates an order, idempotently on
// its external id.
func (db *DB) CreateOrder(ctx context.Context, in *pickwave.OrderInput) (*pickwave.Order, bool, error) {
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	var (
		o       *pickwave.Order
		created bool
	)
	err := db.update(ctx, func(t *txn) error {
		var err error
		o, created, err = t.createOrder(pickwave.ImportOrder{Input: in})
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return o, created, nil
}

// createOrder stores and allocates one validated order. Its rows, if
// any, name the input lines in error details.
func (t *txn) createOrder(io pickwave.ImportOrder) (*pickwave.Order, bool, error) {
	in := io.Input
	hash := inputHash(in)
	if id := t.Get(spaceOrderExt, []byte(in.ExternalID)); id != nil {
		o, err := t.order(string(id))
		if err != nil {
			return nil, false, err
		}
		if o.InputHash != hash {
			return nil, false, &pickwave.Error{Code: pickwave.ECONFLICT, Message: fmt.Sprintf(
				"Order %s already exists as %s with different content.", in.ExternalID, o.ID),
				Details: []pickwave.FieldError{{Field: "external_id", Reason: "already used by order " + o.ID + " with a different body", Line: io.Row(0)}}}
		}
		return o, false, nil
	}
	var fe pickwave.FieldErrors
	for j, l := range in.Lines {
		if t.Get(spaceSKUs, []byte(l.SKU)) == nil {
			fe = append(fe, pickwave.FieldError{Field: fmt.Sprintf("lines[%d].sku", j), Reason: "SKU " + l.SKU + " does not exist", Line: io.Row(j)})
		}
	}
	if err := fe.Err("The order is not valid."); err != nil {
		return nil, false, err
	}
	seq, err := t.NextSeq(spaceOrders)
	if err != nil {
		return nil, false, err
	}
	o := &pickwave.Order{
		ID: orderID(seq), ExternalID: in.ExternalID, Customer: in.Customer, ShipTo: in.ShipTo,
		Carrier: in.Carrier, Service: in.Service, ShipBy: in.ShipBy.UTC(), Priority: in.Priority,
		CreatedAt: t.now, UpdatedAt: t.now, InputHash: hash,
		Lines: make([]pickwave.OrderLine, len(in.Lines)),
	}
	for j, l := range in.Lines {
		o.Lines[j] = pickwave.OrderLine{ID: o.ID + "-" + strconv.Itoa(j+1), SKU: l.SKU, Qty: l.Qty, Allocations: []pickwave.Allocation{}}
	}
	if err := t.allocate(o); err != nil {
		return nil, false, err
	}
	status := pickwave.OrderAllocated
	if !fullyAllocated(o) {
		status = pickwave.OrderBackordered
	}
	o.Status = status
	o.Timeline = []pickwave.StatusChange{{Status: status, At: t.now, Actor: t.actor, Note: allocationNote(o)}}
	if err := t.Put(spaceOrderExt, []byte(o.ExternalID), []byte(o.ID)); err != nil {
		return nil, false, err
	}
	if err := t.Put(spaceOrderState, statusKey(status, o.ID), nil); err != nil {
		return nil, false, err
	}
	if err := t.putOrder(o); err != nil {
		return nil, false, err
	}
	if _, err := t.appendEvent(pickwave.EventOrderCreated, "order/"+o.ID, orderEvent(o)); err != nil {
		return nil, false, err
	}
	return o, true, nil
}

// orderEventPayload is what order events carry: enough for a dashboard,
// without the customer's personal data.
type orderEventPayload struct {
	ID         string               `json:"id"`
	ExternalID string               `json:"external_id"`
	Status     pickwave.OrderStatus `json:"status"`
	Lines      int                  `json:"lines"`
	Units      int                  `json:"units"`
	Missing    int                  `json:"missing"`
	Note       string               `json:"note,omitempty"`
	// ShipBy is the order's ship_by, for the on-time KPI.
	ShipBy time.Time `json:"ship_by,omitzero"`
}

func orderEvent(o *pickwave.Order) orderEventPayload {
	p := orderEventPayload{ID: o.ID, ExternalID: o.ExternalID, Status: o.Status, Lines: len(o.Lines), ShipBy: o.ShipBy}
	for _, l := range o.Lines {
		p.Units += l.Qty
		p.Missing += l.Missing()
	}
	if n := len(o.Timeline); n > 0 {
		p.Note = o.Timeline[n-1].Note
	}
	return p
}

func fullyAllocated(o *pickwave.Order) bool {
	for _, l := range o.Lines {
		if l.Missing() > 0 {
			return false
		}
	}
	return true
}

func allocationNote(o *pickwave.Order) string {
	var note string
	for _, l := range o.Lines {
		if m := l.Missing(); m > 0 {
			if note != "" {
				note += ", "
			}
			note += fmt.Sprintf("%d × %s missing", m, l.SKU)
		}
	}
	return note
}

func statusKey(s pickwave.OrderStatus, id string) []byte { return joinKey(string(s), id) }

func (t *txn) putOrder(o *pickwave.Order) error {
	if err := t.putJSON(spaceOrders, []byte(o.ID), storedOrder{Order: o, InputHash: o.InputHash}); err != nil {
		return err
	}
	t.rememberOrder(o)
	return nil
}

func (t *txn) rememberOrder(o *pickwave.Order) {
	if t.orders == nil {
		t.orders = map[string]*pickwave.Order{}
	}
	t.orders[o.ID] = o
}

// storedOrder keeps the fields the API hides.
type storedOrder struct {
	*pickwave.Order
	InputHash string `json:"input_hash"`
}

func (t *txn) order(id string) (*pickwave.Order, error) {
	if o, ok := t.orders[id]; ok {
		return o, nil
	}
	so := storedOrder{Order: new(pickwave.Order)}
	ok, err := t.getJSON(spaceOrders, []byte(id), &so)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("Order %s does not exist.", id)
	}
	so.Order.InputHash = so.InputHash
	t.rememberOrder(so.Order)
	return so.Order, nil
}

// setStatus moves an order to a new state, keeping the status index and
// the timeline, and logs an event of the given type.
func (t *txn) setStatus(o *pickwave.Order, next pickwave.OrderStatus, eventType, note string) error {
	return t.setStatusWith(o, next, eventType, note, nil)
}

// setStatusWith is setStatus with the event's payload; nil means the
// order's own (orderEvent).
func (t *txn) setStatusWith(o *pickwave.Order, next pickwave.OrderStatus, eventType, note string, payload any) error {
	if !o.Status.CanMoveTo(next) {
		return pickwave.Errorf(pickwave.ECONFLICT, "Order %s is %s and cannot become %s.", o.ID, o.Status, next)
	}
	if err := t.Delete(spaceOrderState, statusKey(o.Status, o.ID)); err != nil {
		return err
	}
	if err := t.Put(spaceOrderState, statusKey(next, o.ID), nil); err != nil {
		return err
	}
	o.Status = next
	o.UpdatedAt = t.now
	o.Timeline = append(o.Timeline, pickwave.StatusChange{Status: next, At: t.now, Actor: t.actor, Note: note})
	if err := t.putOrder(o); err != nil {
		return err
	}
	if payload == nil {
		payload = orderEvent(o)
	}
	_, err := t.appendEvent(eventType, "order/"+o.ID, payload)
	return err
}

// allocate reserves stock for every line's missing quantity at pick
// locations, FEFO for expiry-tracked SKUs (expired lots are never taken),
// else FIFO. It reserves what there is; the caller decides the status.
func (t *txn) allocate(o *pickwave.Order) error {
	for j := range o.Lines {
		if err := t.allocateLine(&o.Lines[j]); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) allocateLine(l *pickwave.OrderLine) error {
	need := l.Missing()
	if need <= 0 {
		return nil
	}
	sku, err := t.sku(l.SKU)
	if err != nil {
		return err
	}
	rows, err := t.stockOf(l.SKU)
	if err != nil {
		return err
	}
	allocationOrder(rows, sku.ExpiryTracked)
	kinds := map[string]pickwave.LocationKind{}
	for _, st := range rows {
		if need == 0 {
			break
		}
		if st.Available() <= 0 || (st.Expiry != nil && !st.Expiry.After(t.now)) {
			continue
		}
		kind, ok := kinds[st.Location]
		if !ok {
			loc, err := t.location(st.Location)
			if err != nil {
				return err
			}
			kind, kinds[st.Location] = loc.Kind, loc.Kind
		}
		if kind != pickwave.LocationPick {
			continue
		}
		take := min(need, st.Available())
		st.Reserved += take
		if err := t.putJSON(spaceStock, stockKey(st.SKU, st.Location, st.Lot), st); err != nil {
			return err
		}
		l.Allocated += take
		need -= take
		merged := false
		for i := range l.Allocations {
			if a := &l.Allocations[i]; a.Location == st.Location && a.Lot == st.Lot {
				a.Qty += take
				merged = true
			}
		}
		if !merged {
			l.Allocations = append(l.Allocations, pickwave.Allocation{Location: st.Location, Lot: st.Lot, Expiry: st.Expiry, Qty: take})
		}
	}
	if need > 0 {
		// Orders need more than the pick locations hold: the face is
		// due, ahead of the wave that will want these units.
		if err := t.replenishFor(l.SKU, need, pickwave.ReplenishDemand); err != nil {
			return err
		}
	}
	return t.checkReorder(l.SKU)
}

// release gives back every reservation an order holds.
func (t *txn) release(o *pickwave.Order) error {
	for j := range o.Lines {
		l := &o.Lines[j]
		for _, a := range l.Allocations {
			key := stockKey(l.SKU, a.Location, a.Lot)
			st := new(pickwave.Stock)
			ok, err := t.getJSON(spaceStock, key, st)
			if err != nil {
				return err
			}
			if !ok || st.Reserved < a.Qty {
				return fmt.Errorf("release %s: stock %s/%s/%s holds fewer reservations than allocated", o.ID, l.SKU, a.Location, a.Lot)
			}
			st.Reserved -= a.Qty
			if err := t.putStock(st); err != nil {
				return err
			}
		}
		l.Allocations = []pickwave.Allocation{}
		l.Allocated = 0
	}
	return nil
}

// retryBackorders allocates newly available stock of a SKU to backordered
// orders, oldest first, and marks those now complete as allocated.
func (t *txn) retryBackorders(sku string) error {
	var ids []string
	prefix := append([]byte(pickwave.OrderBackordered), 0)
	if err := t.Scan(spaceOrderState, prefix, nil, func(k, _ []byte) error {
		ids = append(ids, string(k[len(prefix):]))
		return nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		o, err := t.order(id)
		if err != nil {
			return err
		}
		changed := false
		for j := range o.Lines {
			if l := &o.Lines[j]; l.SKU == sku && l.Missing() > 0 {
				before := l.Allocated
				if err := t.allocateLine(l); err != nil {
					return err
				}
				changed = changed || l.Allocated != before
			}
		}
		if !changed {
			continue
		}
		if fullyAllocated(o) {
			err = t.setStatus(o, pickwave.OrderAllocated, pickwave.EventOrderAllocated, "stock arrived")
		} else {
			o.UpdatedAt = t.now
			err = t.putOrder(o)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Order returns one order.
func (db *DB) Order(ctx context.Context, id string) (*pickwave.Order, error) {
	var o *pickwave.Order
	err := db.view(ctx, func(t *txn) (err error) {
		o, err = t.order(id)
		return err
	})
	return o, err
}

// Orders lists orders in id order, optionally of one status.
func (db *DB) Orders(ctx context.Context, f pickwave.OrderFilter) ([]*pickwave.Order, error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, &pickwave.Error{Code: pickwave.EINVALID, Message: "Unknown order status.",
			Details: []pickwave.FieldError{{Field: "status", Reason: fmt.Sprintf("must be one of %v", pickwave.OrderStatuses)}}}
	}
	limit := pageSize(f.Limit)
	var out []*pickwave.Order
	err := db.view(ctx, func(t *txn) error {
		if f.Status == "" {
			var after []byte
			if f.After != "" {
				after = []byte(f.After)
			}
			return t.Scan(spaceOrders, nil, after, func(k, v []byte) error {
				so := storedOrder{Order: new(pickwave.Order)}
				if err := decode(spaceOrders, k, v, &so); err != nil {
					return err
				}
				out = append(out, so.Order)
				return stopAt(len(out), limit)
			})
		}
		prefix := append([]byte(f.Status), 0)
		var after []byte
		if f.After != "" {
			after = statusKey(f.Status, f.After)
		}
		return t.Scan(spaceOrderState, prefix, after, func(k, _ []byte) error {
			o, err := t.order(string(k[len(prefix):]))
			if err != nil {
				return err
			}
			out = append(out, o)
			return stopAt(len(out), limit)
		})
	})
	return out, err
}

func stopAt(n, limit int) error {
	if n >= limit {
		return errStop
	}
	return nil
}

// CancelOrder cancels an order that is not yet being picked and releases
// its reservations.
func (db *DB) CancelOrder(ctx context.Context, id, reason string) (*pickwave.Order, error) {
	if len(reason) > pickwave.MaxNameLen {
		return nil, &pickwave.Error{Code: pickwave.EINVALID, Message: "The reason is too long.",
			Details: []pickwave.FieldError{{Field: "reason", Reason: fmt.Sprintf("is longer than %d characters", pickwave.MaxNameLen)}}}
	}
	var o *pickwave.Order
	err := db.update(ctx, func(t *txn) (err error) {
		if o, err = t.order(id); err != nil {
			return err
		}
		if o.Status == pickwave.OrderCancelled {
			return nil // cancelling twice is a retry, not an error
		}
		if !o.Status.CanMoveTo(pickwave.OrderCancelled) {
			return pickwave.Errorf(pickwave.ECONFLICT, "Order %s is %s: too late to cancel.", o.ID, o.Status)
		}
		if o.Status == pickwave.OrderReleased {
			if err := t.cancelOrderTasks(o); err != nil {
				return err
			}
		}
		if err := t.release(o); err != nil {
			return err
		}
		return t.setStatus(o, pickwave.OrderCancelled, pickwave.EventOrderCancelled, reason)
	})
	return o, err
}

// AllocateOrder retries the allocation of a backordered order.
func (db *DB) AllocateOrder(ctx context.Context, id string) (*pickwave.Order, error) {
	var o *pickwave.Order
	err := db.update(ctx, func(t *txn) (err error) {
		if o, err = t.order(id); err != nil {
			return err
		}
		if o.Status != pickwave.OrderBackordered {
			return pickwave.Errorf(pickwave.ECONFLICT, "Order %s is %s, not backordered.", o.ID, o.Status)
		}
		if err := t.allocate(o); err != nil {
			return err
		}
		if fullyAllocated(o) {
			return t.setStatus(o, pickwave.OrderAllocated, pickwave.EventOrderAllocated, "allocation retried")
		}
		o.UpdatedAt = t.now
		return t.putOrder(o)
	})
	return o, err
}

// ImportOrders creates all orders or none. Every problem is reported with
// the input line it came from.
func (db *DB) ImportOrders(ctx context.Context, orders []pickwave.ImportOrder) (*pickwave.ImportResult, error) {
	var fe pickwave.FieldErrors
	for _, io := range orders {
		fe = append(fe, io.Validate()...)
	}
	if err := fe.Err("The import is not valid; nothing was imported."); err != nil {
		return nil, err
	}
	res := &pickwave.ImportResult{Created: []*pickwave.Order{}, Existing: []*pickwave.Order{}}
	err := db.update(ctx, func(t *txn) error {
		for _, io := range orders {
			o, created, err := t.createOrder(io)
			if err != nil {
				fields := fieldErrors(err)
				if fields == nil {
					return err
				}
				fe = append(fe, fields...)
				continue
			}
			if created {
				res.Created = append(res.Created, o)
			} else {
				res.Existing = append(res.Existing, o)
			}
		}
		// Returning an error rolls back every order created above.
		return fe.Err("The import is not valid; nothing was imported.")
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// fieldErrors returns the field errors an application error carries, nil
// for other errors.
func fieldErrors(err error) []pickwave.FieldError {
	fields, _ := pickwave.ErrorDetails(err).([]pickwave.FieldError)
	return fields
}

// cancelOrderTasks cancels the open tasks of a released order that has
// not been picked from, so no picker is sent for it.
func (t *txn) cancelOrderTasks(o *pickwave.Order) error {
	var tasks []*pickwave.Task
	err := t.Scan(spaceTasks, []byte(o.WaveID+"-"), nil, func(k, v []byte) error {
		task := new(pickwave.Task)
		if err := decode(spaceTasks, k, v, task); err != nil {
			return err
		}
		if task.OrderID == o.ID && task.Status == pickwave.TaskOpen {
			tasks = append(tasks, task)
		}
		return nil
	})
	if err != nil {
		return err
	}
	units := 0
	for _, task := range tasks {
		task.Status = pickwave.TaskCancelled
		units += task.Qty
		if err := t.putTask(task); err != nil {
			return err
		}
	}
	return t.updateWave(o.WaveID, func(p *pickwave.WaveProgress) {
		p.Tasks -= len(tasks)
		p.Units -= units
	})
}
