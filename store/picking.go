package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
	"github.com/pickwave/pickwave/wave"
)

// Picking: a picker takes a cart, binds a tote to each slot, then works
// the cart's tasks in walking order: scan the location, scan each unit (or
// a case), scan the tote. Every scan is judged by wave.Judge against what
// the store resolves the scan to, applied, and recorded with its verdict in
// one transaction; the verdict is answered only after that commit. A scan
// carries a client id: a retry returns the stored answer and changes
// nothing.

// pickerState is where a picker is on its cart.
//
// Picked counts the units scanned for the current task. Unit scans are
// most of a picker's scans, and they count here, in the picker's small
// record, rather than in the task: the records of all pickers share a
// few pages, while each task sits on a page of its own, so a batch of
// scans from many pickers writes far fewer pages. The task record takes
// the count when it is next written (tote scan, short); until then, reads
// see it through inHand.
//
// Recent holds the ids of the picker's latest scans, which the scan id
// index takes in one go when recentScans have gathered: one write to the
// picker's range of the index for many scans, rather than one each.
type pickerState struct {
	CartID string        `json:"cart_id"`
	TaskID string        `json:"task_id,omitempty"` // the current task, "" before the first
	Step   pickwave.Step `json:"step,omitempty"`
	Picked int           `json:"picked,omitempty"` // units picked of TaskID, ahead of its record
	Recent []recentScan  `json:"recent,omitempty"` // not yet in the scan id index
}

// recentScan is a scan id and its scan_log key, as the index holds them.
type recentScan struct {
	ID  string `json:"id"`
	Seq uint64 `json:"seq"`
}

// recentScans is how many scan ids a picker's state gathers before the
// index takes them.
const recentScans = 16

// scanLogKey finds the log entry of the picker's scan id: among the
// recent ones, else in the index; nil when the id is new.
func (t *txn) scanLogKey(picker string, st *pickerState, id string) []byte {
	for _, r := range st.Recent {
		if r.ID == id {
			return u64key(r.Seq)
		}
	}
	return t.Get(spaceScanIDs, joinKey(picker, id))
}

// inHand brings a task read from its record up to the units the picker
// has scanned for it. It only ever raises the count, so it is safe on a
// task read before, or written since.
func (st *pickerState) inHand(task *pickwave.Task) {
	if st.TaskID == task.ID && task.Status == pickwave.TaskOpen && st.Picked > task.Picked {
		task.Picked = st.Picked
	}
}

// moveTo makes task the picker's current task at step.
func (st *pickerState) moveTo(taskID string, step pickwave.Step) {
	if st.TaskID != taskID {
		st.Picked = 0
	}
	st.TaskID, st.Step = taskID, step
}

// scanEntry is the stored record of a scan, with the verdict it got.
// (Entries stored before schema 6 also hold the prompt that was sent
// with it, under "result"; a retry is answered with the prompt of now.)
type scanEntry struct {
	Record pickwave.ScanRecord `json:"record"`
}

// MaxScanLen bounds the raw data of one scan.
const MaxScanLen = 4096

// TakeCart gives the picker the cart it is working on, or assigns the
// oldest open cart.
func (db *DB) TakeCart(ctx context.Context, picker string) (*pickwave.Prompt, error) {
	var p *pickwave.Prompt
	err := db.update(ctx, func(t *txn) error {
		st, err := t.pickerState(picker)
		if err != nil {
			return err
		}
		if st.CartID == "" {
			var cartID string
			if err := t.Scan(spaceOpenCarts, nil, nil, func(k, _ []byte) error {
				cartID = string(k)
				return errStop
			}); err != nil {
				return err
			}
			if cartID == "" {
				return notFound("No cart is waiting to be picked.")
			}
			cart, err := t.cart(cartID)
			if err != nil {
				return err
			}
			cart.Picker, cart.Status = picker, pickwave.CartPicking
			if err := t.putJSON(spaceCarts, []byte(cart.ID), cart); err != nil {
				return err
			}
			if err := t.Delete(spaceOpenCarts, []byte(cart.ID)); err != nil {
				return err
			}
			// The state carries on to the new cart: its recent scan ids
			// are not yet in the index, and a retry of an answered scan
			// must find them whatever cart the picker is on now.
			st.CartID = cart.ID
			st.moveTo("", "")
			if err := t.putJSON(spacePickers, []byte(picker), st); err != nil {
				return err
			}
			if _, err := t.appendEvent(pickwave.EventCartAssigned, "cart/"+cart.ID, map[string]string{"cart": cart.ID, "wave": cart.WaveID, "picker": picker}); err != nil {
				return err
			}
		}
		p, err = t.prompt(st)
		return err
	})
	return p, err
}

// Prompt says what the picker should do now.
func (db *DB) Prompt(ctx context.Context, picker string) (*pickwave.Prompt, error) {
	var p *pickwave.Prompt
	err := db.view(ctx, func(t *txn) error {
		st, err := t.pickerState(picker)
		if err != nil {
			return err
		}
		if st.CartID == "" {
			return notFound("%s has no cart; take one first.", picker)
		}
		p, err = t.prompt(st)
		return err
	})
	return p, err
}

func (t *txn) pickerState(picker string) (*pickerState, error) {
	st := new(pickerState)
	if _, err := t.getJSON(spacePickers, []byte(picker), st); err != nil {
		return nil, err
	}
	return st, nil
}

// prompt works out the picker's next step from its state and the cart.
func (t *txn) prompt(st *pickerState) (*pickwave.Prompt, error) {
	if st.CartID == "" {
		return t.donePrompt(&pickwave.Prompt{Done: true}) // the cart just finished
	}
	cart, err := t.cart(st.CartID)
	if err != nil {
		return nil, err
	}
	return t.promptOn(st, cart)
}

// promptOn is prompt for the picker's cart, already read.
func (t *txn) promptOn(st *pickerState, cart *pickwave.Cart) (*pickwave.Prompt, error) {
	if st.CartID == "" {
		return t.donePrompt(&pickwave.Prompt{CartID: cart.ID, Done: true}) // the cart just finished
	}
	p := &pickwave.Prompt{CartID: cart.ID}
	for _, tote := range cart.Totes {
		if tote.Tote == "" {
			p.Step, p.Slot = pickwave.StepBindTote, tote.Slot
			break
		}
	}
	open, err := t.openTasks(cart.ID)
	if err != nil {
		return nil, err
	}
	p.TasksLeft = len(open)
	if p.Step == pickwave.StepBindTote {
		if len(open) > 0 {
			if p.NextStop, err = t.nextStop(open[0]); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	if len(open) == 0 {
		p.Done = true
		return t.donePrompt(p)
	}
	currentID := open[0]
	if slices.Contains(open, st.TaskID) {
		currentID = st.TaskID
	}
	current, err := t.task(currentID)
	if err != nil {
		return nil, err
	}
	st.inHand(current)
	p.Task = current
	p.Step = pickwave.StepLocation
	if current.ID == st.TaskID && st.Step != "" {
		p.Step = st.Step
	}
	if sku, err := t.sku(current.SKU); err == nil {
		p.SKUName, p.ImageURL = sku.Name, sku.ImageURL
	}
	// The stop after this one: the first open task in walking order that
	// is not the current one.
	for _, id := range open {
		if id != current.ID {
			if p.NextStop, err = t.nextStop(id); err != nil {
				return nil, err
			}
			break
		}
	}
	return p, nil
}

// nextStop previews the open task id.
func (t *txn) nextStop(id string) (*pickwave.NextStop, error) {
	task, err := t.task(id)
	if err != nil {
		return nil, err
	}
	ns := &pickwave.NextStop{TaskID: task.ID, Location: task.Location, Aisle: task.Aisle, Bay: task.Bay,
		SKU: task.SKU, Qty: task.Remaining()}
	if sku, err := t.sku(task.SKU); err == nil {
		ns.SKUName = sku.Name
	}
	return ns, nil
}

// donePrompt completes a Done prompt with where the cart goes: the
// layout's drop-off, or its depot. A site without a layout (it has no
// waves either) says nothing.
func (t *txn) donePrompt(p *pickwave.Prompt) (*pickwave.Prompt, error) {
	l, err := t.layout()
	switch {
	case pickwave.ErrorCode(err) == pickwave.ENOTFOUND:
		return p, nil
	case err != nil:
		return nil, err
	}
	p.DropOff = l.Depot.Place()
	return p, nil
}

// Scan judges one scan against the picker's current step and applies it.
func (db *DB) Scan(ctx context.Context, picker string, req pickwave.ScanRequest) (*pickwave.ScanResult, error) {
	if err := checkScanRequest(req.ID, req.Device, len(req.Data)); err != nil {
		return nil, err
	}
	if req.Count < 0 || req.Count > pickwave.MaxLineQty {
		return nil, fieldErr("count", "must be between 0 and %d", pickwave.MaxLineQty)
	}
	var res *pickwave.ScanResult
	err := db.update(ctx, func(t *txn) (err error) {
		res, err = t.scan(picker, req, db.rules)
		return err
	})
	return res, err
}

func checkScanRequest(id, device string, dataLen int) error {
	var fe pickwave.FieldErrors
	if id == "" || len(id) > 64 || strings.ContainsRune(id, 0) {
		fe.Add("id", "is required: a client-generated id of up to 64 characters")
	}
	if len(device) > pickwave.MaxCodeLen {
		fe.Add("device", "is longer than %d characters", pickwave.MaxCodeLen)
	}
	if dataLen > MaxScanLen {
		fe.Add("data", "is longer than %d bytes", MaxScanLen)
	}
	return fe.Err("The scan is not valid.")
}

func fieldErr(field, format string, args ...any) error {
	var fe pickwave.FieldErrors
	fe.Add(field, format, args...)
	return fe.Err("The request is not valid.")
}

// replay answers a scan id already seen: its stored verdict, and the
// picker's prompt as it is now (the scan may be a retry of one answered
// long ago, and what to do next is what the picker needs).
func (t *txn) replay(picker string, st *pickerState, id string) (*pickwave.ScanResult, error) {
	key := t.scanLogKey(picker, st, id)
	if key == nil {
		return nil, nil
	}
	var e scanEntry
	ok, err := t.getJSON(spaceScanLog, key, &e)
	if err != nil {
		return nil, err
	}
	if !ok {
		// The id index outlives the records (see retention.go): the
		// scan was answered, and is never judged again.
		return nil, pickwave.Errorf(pickwave.EGONE,
			"Scan %s was answered long ago and its record is no longer kept; it is not judged again.", id)
	}
	p := new(pickwave.Prompt)
	switch {
	case st.CartID != "":
		if p, err = t.prompt(st); err != nil {
			return nil, err
		}
	case e.Record.Step != "":
		p.Done = true // the cart it was scanned on is finished
		if p, err = t.donePrompt(p); err != nil {
			return nil, err
		}
	}
	return &pickwave.ScanResult{ScanID: id, Verdict: e.Record.Verdict, Prompt: *p, Replayed: true}, nil
}

// pickTurn is a scan or short under way: the picker's state, cart and
// prompt before it.
type pickTurn struct {
	st   *pickerState
	cart *pickwave.Cart
	p    *pickwave.Prompt
}

// beginTurn starts a scan or short recorded as rec. A retried id gets its
// stored answer, and a picker without a cart a recorded no_task: either
// way the answer is returned and the turn is over.
func (t *txn) beginTurn(picker string, rec pickwave.ScanRecord) (*pickTurn, *pickwave.ScanResult, error) {
	st, err := t.pickerState(picker)
	if err != nil {
		return nil, nil, err
	}
	if res, err := t.replay(picker, st, rec.ID); res != nil || err != nil {
		return nil, res, err
	}
	if st.CartID == "" {
		rec.Verdict = pickwave.Verdict{Code: pickwave.VerdictNoTask, Message: "Take a cart first."}
		res, err := t.recordScan(picker, st, rec, &pickwave.Prompt{})
		return nil, res, err
	}
	cart, err := t.cart(st.CartID)
	if err != nil {
		return nil, nil, err
	}
	p, err := t.promptOn(st, cart)
	if err != nil {
		return nil, nil, err
	}
	return &pickTurn{st: st, cart: cart, p: p}, nil, nil
}

func (t *txn) scan(picker string, req pickwave.ScanRequest, rules wave.Rules) (*pickwave.ScanResult, error) {
	raw := gs1.TrimScan(req.Data)
	rec := pickwave.ScanRecord{ID: req.ID, User: picker, Device: req.Device, Raw: raw, At: t.now, Attempts: 1}
	turn, res, err := t.beginTurn(picker, rec)
	if turn == nil {
		return res, err
	}
	st, cart, p := turn.st, turn.cart, turn.p
	facts, err := t.resolveScan(raw, p.Task)
	if err != nil {
		return nil, err
	}
	facts.Count = req.Count
	rec.Step = p.Step
	if facts.Data.GTIN != "" {
		rec.Parsed = facts.Data
	}
	switch {
	case p.Done:
		rec.Verdict = pickwave.Verdict{Code: pickwave.VerdictNoTask, Message: "This cart is done. Take it to packing."}
	case p.Step == pickwave.StepBindTote:
		if rec.Verdict, err = t.bindTote(cart, p.Slot, raw, facts); err != nil {
			return nil, err
		}
	default:
		rec.TaskID = p.Task.ID
		j := wave.Judge(p.Task, p.Step, toteIn(cart, p.Task.ToteSlot), facts, rules, t.now)
		rec.Verdict = j.Verdict
		if j.Verdict.OK() {
			if err := t.applyPick(st, cart, p.Task, p.Step, j, facts); err != nil {
				return nil, err
			}
		}
	}
	next, err := t.promptOn(st, cart)
	if err != nil {
		return nil, err
	}
	return t.recordScan(picker, st, rec, next)
}

// scanJudged is the payload of a scan.judged event.
type scanJudged struct {
	Picker string        `json:"picker"`
	ScanID string        `json:"scan_id"`
	Task   string        `json:"task"`
	Step   pickwave.Step `json:"step"`
	Code   string        `json:"code"`
	Qty    int           `json:"qty"`
	Cart   string        `json:"cart"`
}

// recordScan stores the audit record with its answer and logs it.
func (t *txn) recordScan(picker string, st *pickerState, rec pickwave.ScanRecord, next *pickwave.Prompt) (*pickwave.ScanResult, error) {
	seq, err := t.appendEvent(pickwave.EventScanJudged, "picker/"+picker, scanJudged{
		Picker: picker, ScanID: rec.ID, Task: rec.TaskID, Step: rec.Step,
		Code: rec.Verdict.Code, Qty: rec.Verdict.Qty, Cart: st.CartID})
	if err != nil {
		return nil, err
	}
	rec.Seq = seq
	res := pickwave.ScanResult{ScanID: rec.ID, Verdict: rec.Verdict, Prompt: *next}
	// The log is keyed by the event's sequence, so records append in
	// commit order; the picker's recent ids and the index find a retried id.
	if err := t.putJSON(spaceScanLog, u64key(seq), scanEntry{Record: rec}); err != nil {
		return nil, err
	}
	st.Recent = append(st.Recent, recentScan{ID: rec.ID, Seq: seq})
	if len(st.Recent) >= recentScans {
		for _, r := range st.Recent {
			if err := t.Put(spaceScanIDs, joinKey(picker, r.ID), u64key(r.Seq)); err != nil {
				return nil, err
			}
		}
		st.Recent = st.Recent[:0]
	}
	if err := t.putJSON(spacePickers, []byte(picker), st); err != nil {
		return nil, err
	}
	return &res, nil
}

func toteIn(cart *pickwave.Cart, slot int) string {
	for _, tt := range cart.Totes {
		if tt.Slot == slot {
			return tt.Tote
		}
	}
	return ""
}

// bindTote puts a physical tote into a cart slot.
func (t *txn) bindTote(cart *pickwave.Cart, slot int, raw string, f wave.ScanFacts) (pickwave.Verdict, error) {
	reject := func(format string, args ...any) (pickwave.Verdict, error) {
		return pickwave.Verdict{Code: pickwave.VerdictWrongTote, Message: fmt.Sprintf(format, args...), Next: pickwave.StepBindTote}, nil
	}
	switch {
	case raw == "":
		return reject("Scan an empty tote for slot %d.", slot)
	case f.Location != "" || f.SKU != "" || f.Data.GTIN != "":
		return reject("That is not a tote label. Scan an empty tote for slot %d.", slot)
	case f.ParseErr != nil && !(isDigits(raw) && !gtinLength(len(raw))):
		// A product barcode that did not read right (a bad check digit,
		// broken GS1 data) must not become a tote's name. Plain numbers
		// of other lengths stay good tote labels.
		return pickwave.Verdict{Code: pickwave.VerdictBadBarcode, Next: pickwave.StepBindTote,
			Message: fmt.Sprintf("The barcode could not be read (%v), and it looks like a product's, not a tote's. Scan an empty tote for slot %d.", f.ParseErr, slot)}, nil
	case pickwave.CodeProblem(raw) != "":
		return reject("That is not a tote label: it %s. Scan an empty tote for slot %d.", pickwave.CodeProblem(raw), slot)
	}
	if other := t.Get(spaceTotes, []byte(raw)); other != nil {
		if string(other) == cart.ID {
			return reject("Tote %s is already on this cart. Scan another for slot %d.", raw, slot)
		}
		return reject("Tote %s is on cart %s. Scan an empty tote for slot %d.", raw, other, slot)
	}
	for i := range cart.Totes {
		if cart.Totes[i].Slot == slot {
			cart.Totes[i].Tote = raw
		}
	}
	if err := t.Put(spaceTotes, []byte(raw), []byte(cart.ID)); err != nil {
		return pickwave.Verdict{}, err
	}
	if err := t.putJSON(spaceCarts, []byte(cart.ID), cart); err != nil {
		return pickwave.Verdict{}, err
	}
	if _, err := t.appendEvent(pickwave.EventToteBound, "cart/"+cart.ID, map[string]any{"cart": cart.ID, "slot": slot, "tote": raw}); err != nil {
		return pickwave.Verdict{}, err
	}
	return pickwave.Verdict{Code: pickwave.VerdictOK, Message: fmt.Sprintf("Tote %s in slot %d.", raw, slot)}, nil
}

// applyPick carries out an accepted scan: the step moves on; an item scan
// counts the units on the task; the tote scan completes the task, taking
// its units off stock and the reservation onto the order line.
func (t *txn) applyPick(st *pickerState, cart *pickwave.Cart, task *pickwave.Task, step pickwave.Step, j wave.Judgement, f wave.ScanFacts) error {
	switch step {
	case pickwave.StepLocation:
		next := pickwave.StepItem
		if task.Remaining() == 0 {
			// Every unit is in hand already: a picker who took the cart
			// over from another puts them in the tote.
			next = pickwave.StepTote
		}
		st.moveTo(task.ID, next)
		return nil
	case pickwave.StepItem:
		st.moveTo(task.ID, j.Verdict.Next)
		task.Picked += j.Qty
		st.Picked = task.Picked // the task record takes it at the tote scan
		if serial := f.Data.Serial(); serial != "" {
			if err := t.Put(spaceSerials, joinKey(f.Data.GTIN, serial), []byte(task.ID)); err != nil {
				return err
			}
		}
		// The units are in the picker's hand; the task, stock, order
		// and wave take them when the tote scan confirms the task
		// (finishTask), so a unit scan writes only the picker's state.
		return nil
	case pickwave.StepTote:
		return t.finishTask(st, cart, task, pickwave.EventTaskPicked)
	}
	return nil
}

// takeStock moves picked units off the location's stock and its
// reservation, and onto the order line.
func (t *txn) takeStock(task *pickwave.Task, qty int) error {
	key := stockKey(task.SKU, task.Location, task.Lot)
	s := new(pickwave.Stock)
	ok, err := t.getJSON(spaceStock, key, s)
	if err != nil {
		return err
	}
	if !ok || s.Reserved < qty {
		return fmt.Errorf("pick %s: stock %s/%s/%s has %+v for %d units", task.ID, task.SKU, task.Location, task.Lot, s, qty)
	}
	if s.OnHand < qty {
		// A confirmed count found fewer than the picks on carts hold, and
		// this picker found the units after all: the books follow the
		// shelf.
		adj := pickwave.Adjustment{SKU: task.SKU, Location: task.Location, Lot: task.Lot, Expiry: s.Expiry, Delta: qty - s.OnHand, Reason: "found_at_pick"}
		if _, err := t.appendEvent(pickwave.EventStockAdjusted, "sku/"+task.SKU, adj); err != nil {
			return err
		}
		s.OnHand = qty
	}
	s.OnHand -= qty
	s.Reserved -= qty
	if err := t.putStock(s); err != nil {
		return err
	}
	o, l, err := t.unreserve(task, qty)
	if err != nil {
		return err
	}
	l.Picked += qty
	if o.Status == pickwave.OrderReleased {
		return t.setStatus(o, pickwave.OrderPicking, pickwave.EventOrderPicking, "first pick by "+t.actor)
	}
	o.UpdatedAt = t.now
	return t.putOrder(o)
}

// unreserve takes qty off the task's order line allocation (the units were
// picked or given up) and returns the order and line, not yet stored.
func (t *txn) unreserve(task *pickwave.Task, qty int) (*pickwave.Order, *pickwave.OrderLine, error) {
	o, err := t.order(task.OrderID)
	if err != nil {
		return nil, nil, err
	}
	l, a := lineAllocation(o, task)
	if l == nil || a == nil || a.Qty < qty {
		return nil, nil, fmt.Errorf("task %s: order %s holds no reservation for %d units of it", task.ID, o.ID, qty)
	}
	a.Qty -= qty
	l.Allocated -= qty
	l.Allocations = dropEmpty(l.Allocations)
	return o, l, nil
}

func lineAllocation(o *pickwave.Order, task *pickwave.Task) (*pickwave.OrderLine, *pickwave.Allocation) {
	for i := range o.Lines {
		l := &o.Lines[i]
		if l.ID != task.LineID {
			continue
		}
		for k := range l.Allocations {
			if a := &l.Allocations[k]; a.Location == task.Location && a.Lot == task.Lot {
				return l, a
			}
		}
		return l, nil
	}
	return nil, nil
}

func dropEmpty(as []pickwave.Allocation) []pickwave.Allocation {
	out := as[:0]
	for _, a := range as {
		if a.Qty > 0 {
			out = append(out, a)
		}
	}
	return out
}

// finishTask closes a task, moves the picker on, and completes the
// order, the cart and the wave when this was their last task.
func (t *txn) finishTask(st *pickerState, cart *pickwave.Cart, task *pickwave.Task, eventType string) error {
	if task.Picked > 0 {
		if err := t.takeStock(task, task.Picked); err != nil {
			return err
		}
		if err := t.countPick(task.SKU); err != nil {
			return err
		}
	}
	task.Status = pickwave.TaskPicked
	if task.Short > 0 {
		task.Status = pickwave.TaskShort
	}
	if err := t.putTask(task); err != nil {
		return err
	}
	payload := map[string]any{
		"task": task.ID, "cart": task.CartID, "wave": task.WaveID, "order": task.OrderID,
		"sku": task.SKU, "location": task.Location, "qty": task.Qty, "picked": task.Picked, "short": task.Short, "picker": cart.Picker}
	if task.Lot != "" {
		// The lot names the stock row the picked units left, so the event
		// log alone replays every row.
		payload["lot"] = task.Lot
	}
	if _, err := t.appendEvent(eventType, "task/"+task.ID, payload); err != nil {
		return err
	}
	if err := t.updateWave(task.WaveID, func(p *pickwave.WaveProgress) {
		p.TasksDone++
		p.UnitsPicked += task.Picked
	}); err != nil {
		return err
	}
	// The next open task; one at the same location skips the location scan.
	st.moveTo("", "")
	open, err := t.openTasks(cart.ID)
	if err != nil {
		return err
	}
	if len(open) > 0 {
		next, err := t.task(open[0])
		if err != nil {
			return err
		}
		step := pickwave.StepLocation
		if next.Location == task.Location {
			step = pickwave.StepItem
		}
		st.moveTo(next.ID, step)
	}
	if err := t.completeOrder(task.OrderID, false); err != nil {
		return err
	}
	if st.TaskID == "" {
		return t.finishCart(st, cart)
	}
	return nil
}

// completeOrder marks an order picked once nothing of it is left to
// pick. A short that waits for a replenishment keeps it open while its
// cart is out; cartDone finishes it all the same (short).
func (t *txn) completeOrder(id string, cartDone bool) error {
	o, err := t.order(id)
	if err != nil {
		return err
	}
	if o.Status != pickwave.OrderPicking && o.Status != pickwave.OrderReleased {
		return nil
	}
	short := 0
	for _, l := range o.Lines {
		if l.Allocated > 0 {
			return nil
		}
		short += l.Short
	}
	if !cartDone {
		if waits, err := t.waitsForReplenishment(o); err != nil || waits {
			return err
		}
	}
	note := "all lines picked"
	if short > 0 {
		note = fmt.Sprintf("%d units short", short)
	}
	if o.Status == pickwave.OrderReleased {
		// Everything was short: nothing was ever picked.
		if err := t.setStatus(o, pickwave.OrderPicking, pickwave.EventOrderPicking, ""); err != nil {
			return err
		}
	}
	return t.setStatus(o, pickwave.OrderPicked, pickwave.EventOrderPicked, note)
}

// finishCart closes a cart whose tasks are all done and frees its totes
// for packing (they stay bound to their orders on the cart record).
func (t *txn) finishCart(st *pickerState, cart *pickwave.Cart) error {
	cart.Status = pickwave.CartDone
	if err := t.putJSON(spaceCarts, []byte(cart.ID), cart); err != nil {
		return err
	}
	for _, tt := range cart.Totes {
		if tt.Tote != "" {
			if err := t.Delete(spaceTotes, []byte(tt.Tote)); err != nil {
				return err
			}
			// The tote goes to packing with its order: a scan of it at a
			// pack station brings the order up.
			if err := t.Put(spacePackTotes, []byte(tt.Tote), []byte(tt.OrderID)); err != nil {
				return err
			}
		}
	}
	st.CartID = ""
	st.moveTo("", "")
	// Orders whose shorts waited for a replenishment that has not come
	// go to packing short with the cart.
	for _, tt := range cart.Totes {
		if tt.OrderID != "" {
			if err := t.completeOrder(tt.OrderID, true); err != nil {
				return err
			}
		}
	}
	if _, err := t.appendEvent(pickwave.EventCartDone, "cart/"+cart.ID, map[string]any{"cart": cart.ID, "wave": cart.WaveID, "picker": cart.Picker, "distance_m": cart.DistanceM}); err != nil {
		return err
	}
	var done bool
	if err := t.updateWave(cart.WaveID, func(p *pickwave.WaveProgress) {
		p.CartsDone++
		done = p.CartsDone+p.CartsCancelled >= p.Carts
	}); err != nil {
		return err
	}
	if !done {
		return nil
	}
	w, err := t.wave(cart.WaveID)
	if err != nil {
		return err
	}
	return t.moveWave(w, pickwave.WaveCompleted, pickwave.EventWaveCompleted)
}

func (t *txn) updateWave(id string, change func(p *pickwave.WaveProgress)) error {
	var p pickwave.WaveProgress
	ok, err := t.getJSON(spaceWaveProg, []byte(id), &p)
	if err != nil {
		return err
	}
	if !ok {
		// A wave stored before progress was kept apart.
		w, err := getEntity[pickwave.Wave](t, spaceWaves, id, "Wave")
		if err != nil {
			return fmt.Errorf("wave %s of a task: %w", id, err)
		}
		p = w.Progress
	}
	change(&p)
	return t.putJSON(spaceWaveProg, []byte(id), p)
}

// Short records that the picker could not pick the rest of the current
// task. Stock does not change: the missing units come off the task and
// its order line's reservation, the stock row is held for a cycle count
// (see counts.go), and the units are reserved at other pick locations
// when stock exists there, as new tasks on the same cart; else the order
// line is short. Units already in hand still go into the tote.
func (db *DB) Short(ctx context.Context, picker string, req pickwave.ShortRequest) (*pickwave.ScanResult, error) {
	if err := checkScanRequest(req.ID, req.Device, 0); err != nil {
		return nil, err
	}
	if !req.Reason.Valid() {
		return nil, fieldErr("reason", "must be empty, damaged or cant_find")
	}
	if req.Found != nil && (*req.Found < 0 || *req.Found > pickwave.MaxLineQty) {
		return nil, fieldErr("found", "must be between 0 and %d", pickwave.MaxLineQty)
	}
	var res *pickwave.ScanResult
	err := db.update(ctx, func(t *txn) (err error) {
		res, err = t.short(picker, req)
		return err
	})
	return res, err
}

func (t *txn) short(picker string, req pickwave.ShortRequest) (*pickwave.ScanResult, error) {
	rec := pickwave.ScanRecord{ID: req.ID, User: picker, Device: req.Device, Raw: "short:" + string(req.Reason), At: t.now, Attempts: 1}
	turn, res, err := t.beginTurn(picker, rec)
	if turn == nil {
		return res, err
	}
	st, cart, p := turn.st, turn.cart, turn.p
	if p.Task == nil {
		rec.Verdict = pickwave.Verdict{Code: pickwave.VerdictNoTask, Message: "There is no task to report short.", Next: p.Step}
		return t.recordScan(picker, st, rec, p)
	}
	task := p.Task
	rec.TaskID, rec.Step = task.ID, p.Step
	missing := task.Remaining()
	if missing == 0 {
		rec.Verdict = pickwave.Verdict{Code: pickwave.VerdictNoTask, Next: p.Step,
			Message: fmt.Sprintf("Nothing is left to pick here; put the units in slot %d and scan the tote.", task.ToteSlot)}
		return t.recordScan(picker, st, rec, p)
	}
	if err := t.shortTask(task, missing); err != nil {
		return nil, err
	}
	// The picker's order is on the cart: it takes stock elsewhere before
	// the orders not yet released that the count's hold moves.
	added, err := t.reallocate(cart, task, missing)
	if err != nil {
		return nil, err
	}
	if _, err := t.requestCount(task, req.Reason, req.Found, picker); err != nil {
		return nil, err
	}
	if added < missing {
		// Reserve may hold what the pick locations do not: the rest
		// waits for the face's replenishment and is re-pointed there.
		if err := t.waitForReplenishment(task, missing-added); err != nil {
			return nil, err
		}
	}
	msg := fmt.Sprintf("%d × %s short at %s; a count is requested.", missing, task.SKU, task.Location)
	if added > 0 {
		msg += fmt.Sprintf(" %d found elsewhere: added to your cart.", added)
	}
	if task.Picked > 0 {
		// What was picked still goes into the tote.
		st.moveTo(task.ID, pickwave.StepTote)
		msg += fmt.Sprintf(" Put the %d in hand in slot %d and scan the tote.", task.Picked, task.ToteSlot)
	} else if err := t.finishTask(st, cart, task, pickwave.EventTaskShort); err != nil {
		return nil, err
	}
	next, err := t.promptOn(st, cart)
	if err != nil {
		return nil, err
	}
	rec.Verdict = pickwave.Verdict{Code: pickwave.VerdictOK, Message: msg, Next: next.Step, Short: missing}
	return t.recordScan(picker, st, rec, next)
}

// shortTask gives up a task's missing units: the task and its order
// line's reservation let them go. On-hand stays as it was: the count
// settles it.
func (t *txn) shortTask(task *pickwave.Task, missing int) error {
	task.Short += missing
	if err := t.putTask(task); err != nil {
		return err
	}
	key := stockKey(task.SKU, task.Location, task.Lot)
	s := new(pickwave.Stock)
	ok, err := t.getJSON(spaceStock, key, s)
	if err != nil {
		return err
	}
	if !ok || s.Reserved < missing {
		return fmt.Errorf("short %s: stock %s/%s/%s has %+v for %d units", task.ID, task.SKU, task.Location, task.Lot, s, missing)
	}
	s.Reserved -= missing
	if err := t.putStock(s); err != nil {
		return err
	}
	o, _, err := t.unreserve(task, missing)
	if err != nil {
		return err
	}
	o.UpdatedAt = t.now
	if err := t.putOrder(o); err != nil {
		return err
	}
	return t.updateWave(task.WaveID, func(p *pickwave.WaveProgress) { p.UnitsShort += missing })
}

// reallocate reserves up to missing units of the task's SKU at other pick
// locations and adds a task for each to the cart; what cannot be found
// is marked short on the order line. It returns the units re-reserved.
func (t *txn) reallocate(cart *pickwave.Cart, task *pickwave.Task, missing int) (int, error) {
	return t.reallocateAt(cart, task, missing, "", true)
}

// reallocateAt is reallocate at one pick location only (every other one
// for ""); fresh says the units are newly missing, rather than short
// already on the order line (a short re-pointed after replenishment).
func (t *txn) reallocateAt(cart *pickwave.Cart, task *pickwave.Task, missing int, only string, fresh bool) (int, error) {
	o, err := t.order(task.OrderID)
	if err != nil {
		return 0, err
	}
	var line *pickwave.OrderLine
	for i := range o.Lines {
		if o.Lines[i].ID == task.LineID {
			line = &o.Lines[i]
		}
	}
	if line == nil {
		return 0, fmt.Errorf("task %s: line %s missing from order %s", task.ID, task.LineID, o.ID)
	}
	// Allocate the missing units anywhere but the short location.
	if fresh {
		line.Short += missing
	}
	need := missing
	rows, err := t.stockOf(task.SKU)
	if err != nil {
		return 0, err
	}
	sku, err := t.sku(task.SKU)
	if err != nil {
		return 0, err
	}
	allocationOrder(rows, sku.ExpiryTracked)
	added, tasks := 0, 0
	for _, s := range rows {
		if need == 0 {
			break
		}
		if (only == "" && s.Location == task.Location) || (only != "" && s.Location != only) ||
			s.Available() <= 0 || (s.Expiry != nil && !s.Expiry.After(t.now)) {
			continue
		}
		loc, err := t.location(s.Location)
		if err != nil {
			return 0, err
		}
		if loc.Kind != pickwave.LocationPick {
			continue
		}
		take := min(need, s.Available())
		s.Reserved += take
		if err := t.putJSON(spaceStock, stockKey(s.SKU, s.Location, s.Lot), s); err != nil {
			return 0, err
		}
		line.Allocated += take
		line.Short -= take
		line.Allocations = append(line.Allocations, pickwave.Allocation{Location: s.Location, Lot: s.Lot, Expiry: s.Expiry, Qty: take})
		need -= take
		added += take
		tasks++
		nt := &pickwave.Task{ID: fmt.Sprintf("%s-T%03d", cart.ID, len(cart.Tasks)+1), WaveID: task.WaveID, CartID: cart.ID,
			Seq: len(cart.Tasks) + 1, OrderID: task.OrderID, LineID: task.LineID, SKU: task.SKU, Location: s.Location,
			Aisle: loc.Aisle, Bay: loc.Bay, Lot: s.Lot, Expiry: s.Expiry, Qty: take, ToteSlot: task.ToteSlot, Status: pickwave.TaskOpen}
		cart.Tasks = append(cart.Tasks, nt.ID)
		if err := t.putTask(nt); err != nil {
			return 0, err
		}
		if _, err := t.appendEvent(pickwave.EventTaskAdded, "task/"+nt.ID, nt); err != nil {
			return 0, err
		}
	}
	if added > 0 {
		if err := t.putJSON(spaceCarts, []byte(cart.ID), cart); err != nil {
			return 0, err
		}
		if err := t.updateWave(task.WaveID, func(p *pickwave.WaveProgress) {
			p.UnitsShort -= added
			p.Tasks += tasks
		}); err != nil {
			return 0, err
		}
	}
	o.UpdatedAt = t.now
	return added, t.putOrder(o)
}
