package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pickwave/pickwave"
)

// Check verifies a store: bbolt's own page consistency, then Pickwave's
// invariants, the rules every transaction must leave true. Tests run it
// on every store they open when they close it, and `pickwave check`
// runs it for operators. It lists every violation it finds, up to
// maxViolations, joined into one error; nil means the store is sound.
//
// The invariants:
//   - stock is never negative, and reserved is at most on hand except on
//     a row held for a cycle count (which names a count that exists);
//   - every stock row's reservations are exactly the allocations of the
//     orders at that row, and every allocation has its reservation;
//   - an order line's allocated units are the sum of its allocations and,
//     with its picked and short units, at most its quantity;
//   - every order is in the status index under its status, and every
//     index entry (status, external id, barcode, badge, tote, open cart,
//     open task) points at a record that says the same;
//   - every open task's cart and order exist, and every open task is in
//     the open-task index;
//   - a wave's progress equals its tasks and carts;
//   - the event log runs from 1, or the end of its archive, to its
//     sequence without a gap;
//   - every scan record's id is found again by the picker's scan id
//     index, so a resend is answered from record;
//   - a picker's cart exists and is the picker's;
//   - every webhook delivery belongs to a webhook and is in its index; a
//     pending delivery of an enabled webhook is in the due queue at its
//     next attempt time, and the queue holds nothing else; the outbox
//     cursor is not past the log.
func Check(db *bolt.DB) error {
	return db.View(func(tx *bolt.Tx) error { return check(tx) })
}

// CheckFile opens the store in dir read-only and checks it, and its
// event archive in dir/archive. The store
// must not be open in another process (bbolt locks the file).
func CheckFile(dir string) error {
	b, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("open %s for a check: %w", dir, err)
	}
	defer b.Close()
	if err := Check(b); err != nil {
		return err
	}
	var through uint64
	if err := b.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte(spaceMeta)).Get(keyArchivedThrough); len(v) == 8 {
			through = binary.BigEndian.Uint64(v)
		}
		return nil
	}); err != nil {
		return err
	}
	return checkArchive(filepath.Join(dir, ArchiveDirName), through)
}

// Check verifies the open store; see the package function Check.
func (db *DB) Check() error { return Check(db.bolt) }

// maxViolations bounds the violations one check reports.
const maxViolations = 50

type checker struct {
	tx   *bolt.Tx
	errs []error
}

func (c *checker) fail(format string, args ...any) {
	if len(c.errs) < maxViolations {
		c.errs = append(c.errs, fmt.Errorf(format, args...))
	}
}

// each decodes every record of a bucket into a fresh T.
func each[T any](c *checker, space string, fn func(k []byte, v *T)) {
	b := c.tx.Bucket([]byte(space))
	if b == nil {
		return
	}
	_ = b.ForEach(func(k, data []byte) error {
		v := new(T)
		if err := json.Unmarshal(data, v); err != nil {
			c.fail("%s/%q: %v", space, k, err)
			return nil
		}
		fn(k, v)
		return nil
	})
}

func (c *checker) get(space string, key []byte) []byte {
	if b := c.tx.Bucket([]byte(space)); b != nil {
		return b.Get(key)
	}
	return nil
}

func check(tx *bolt.Tx) error {
	c := &checker{tx: tx}
	for err := range tx.Check() {
		c.fail("bbolt: %w", err)
	}
	if len(c.errs) > 0 {
		return errors.Join(c.errs...)
	}
	c.checkStock()
	c.checkTasks()
	c.checkEvents()
	c.checkScanIDs()
	c.checkIndexes()
	c.checkWebhooks()
	c.checkKPIs()
	c.checkShipments()
	return errors.Join(c.errs...)
}

func (c *checker) checkStock() {
	reserved := map[string]int{}
	each(c, spaceStock, func(k []byte, s *pickwave.Stock) {
		if s.OnHand < 0 || s.Reserved < 0 {
			c.fail("stock %q: on hand %d, reserved %d", k, s.OnHand, s.Reserved)
		}
		if s.Reserved > s.OnHand && s.CountID == "" {
			c.fail("stock %q: %d reserved of %d on hand, and not held for a count", k, s.Reserved, s.OnHand)
		}
		if s.CountID != "" && c.get(spaceCounts, []byte(s.CountID)) == nil {
			c.fail("stock %q: held for count %s, which does not exist", k, s.CountID)
		}
		reserved[string(k)] = s.Reserved
	})
	allocated := map[string]int{}
	each(c, spaceOrders, func(k []byte, o *pickwave.Order) {
		if c.get(spaceOrderState, statusKey(o.Status, o.ID)) == nil {
			c.fail("order %s: status %s not indexed", o.ID, o.Status)
		}
		if o.ExternalID != "" && !bytes.Equal(c.get(spaceOrderExt, []byte(o.ExternalID)), k) {
			c.fail("order %s: external id %q not indexed to it", o.ID, o.ExternalID)
		}
		for _, l := range o.Lines {
			sum := 0
			for _, a := range l.Allocations {
				allocated[string(stockKey(l.SKU, a.Location, a.Lot))] += a.Qty
				sum += a.Qty
			}
			if sum != l.Allocated || l.Allocated+l.Picked+l.Short > l.Qty || l.Allocated < 0 || l.Picked < 0 || l.Short < 0 {
				c.fail("order %s line %s: qty %d, allocated %d (allocations %d), picked %d, short %d", o.ID, l.ID, l.Qty, l.Allocated, sum, l.Picked, l.Short)
			}
		}
	})
	for k, n := range reserved {
		if allocated[k] != n {
			c.fail("stock %q: %d reserved, orders allocate %d", k, n, allocated[k])
		}
	}
	for k, n := range allocated {
		if _, ok := reserved[k]; !ok && n != 0 {
			c.fail("stock %q: orders allocate %d, no stock row", k, n)
		}
	}
}

// waveTally adds up a wave's tasks and carts.
type waveTally struct {
	tasks, done, units, carts, cartsDone           int
	tasksCancelled, unitsCancelled, cartsCancelled int
}

func (c *checker) checkTasks() {
	tally := map[string]*waveTally{}
	of := func(id string) *waveTally {
		if tally[id] == nil {
			tally[id] = &waveTally{}
		}
		return tally[id]
	}
	each(c, spaceTasks, func(k []byte, task *pickwave.Task) {
		w := of(task.WaveID)
		w.tasks++
		open := c.get(spaceOpenTasks, k) != nil
		if (task.Status == pickwave.TaskOpen) != open {
			c.fail("task %s: %s, open-task index says open=%v", task.ID, task.Status, open)
		}
		if task.Status == pickwave.TaskCancelled {
			w.tasksCancelled++
			w.unitsCancelled += task.Qty
			return
		}
		if task.Status != pickwave.TaskOpen {
			w.done++
			w.units += task.Picked
			return
		}
		if c.get(spaceCarts, []byte(task.CartID)) == nil {
			c.fail("open task %s: cart %s does not exist", task.ID, task.CartID)
		}
		if c.get(spaceOrders, []byte(task.OrderID)) == nil {
			c.fail("open task %s: order %s does not exist", task.ID, task.OrderID)
		}
	})
	_ = c.tx.Bucket([]byte(spaceOpenTasks)).ForEach(func(k, _ []byte) error {
		if c.get(spaceTasks, k) == nil {
			c.fail("open-task index: task %s does not exist", k)
		}
		return nil
	})
	each(c, spaceCarts, func(k []byte, cart *pickwave.Cart) {
		w := of(cart.WaveID)
		w.carts++
		switch cart.Status {
		case pickwave.CartDone:
			w.cartsDone++
		case pickwave.CartCancelled:
			w.cartsCancelled++
		}
		if (c.get(spaceOpenCarts, k) != nil) != (cart.Status == pickwave.CartOpen) {
			c.fail("cart %s: %s, open-cart index disagrees", cart.ID, cart.Status)
		}
	})
	each(c, spaceWaveProg, func(k []byte, p *pickwave.WaveProgress) {
		var wave struct {
			Status pickwave.WaveStatus `json:"status"`
		}
		if data := c.get(spaceWaves, k); data == nil || json.Unmarshal(data, &wave) != nil {
			c.fail("wave progress %s: no such wave", k)
			return
		}
		if wave.Status != pickwave.WaveReleased && wave.Status != pickwave.WaveCompleted {
			return // planned: no tasks yet; cancelled: its tasks are
		}
		w := of(string(k))
		if p.Tasks != w.tasks || p.TasksDone != w.done || p.UnitsPicked != w.units || p.Carts != w.carts || p.CartsDone != w.cartsDone ||
			p.TasksCancelled != w.tasksCancelled || p.UnitsCancelled != w.unitsCancelled || p.CartsCancelled != w.cartsCancelled {
			c.fail("wave %s: progress %+v, its tasks and carts say %+v", k, *p, *w)
		}
	})
}

func (c *checker) checkEvents() {
	b := c.tx.Bucket([]byte(spaceEvents))
	// Events up to the archive's end were moved to files (archive.go).
	want := uint64(1)
	if v := c.get(spaceMeta, keyArchivedThrough); len(v) == 8 {
		want = binary.BigEndian.Uint64(v) + 1
	}
	_ = b.ForEach(func(k, _ []byte) error {
		if len(k) != 8 || binary.BigEndian.Uint64(k) != want {
			c.fail("event log: key %x where event %d belongs", k, want)
			want = binary.BigEndian.Uint64(k)
		}
		want++
		return nil
	})
	if seq := b.Sequence(); seq != want-1 {
		c.fail("event log: ends at %d, its sequence is %d", want-1, seq)
	}
}

// checkScanIDs checks that every scan record is found again by its id.
func (c *checker) checkScanIDs() {
	recent := map[string]bool{}
	each(c, spacePickers, func(k []byte, st *pickerState) {
		for _, r := range st.Recent {
			recent[string(joinKey(string(k), r.ID))] = true
		}
		if st.CartID == "" {
			return
		}
		cart := new(pickwave.Cart)
		if data := c.get(spaceCarts, []byte(st.CartID)); data == nil || json.Unmarshal(data, cart) != nil {
			c.fail("picker %s: cart %s does not exist", k, st.CartID)
		} else if cart.Picker != string(k) || cart.Status != pickwave.CartPicking {
			c.fail("picker %s: cart %s is %s by %q", k, cart.ID, cart.Status, cart.Picker)
		}
	})
	each(c, spaceScanLog, func(k []byte, e *scanEntry) {
		key := joinKey(e.Record.User, e.Record.ID)
		if !recent[string(key)] && !bytes.Equal(c.get(spaceScanIDs, key), k) {
			c.fail("scan %s of %s (log %x): its id does not find it", e.Record.ID, e.Record.User, k)
		}
	})
}

func (c *checker) checkIndexes() {
	_ = c.tx.Bucket([]byte(spaceOrderState)).ForEach(func(k, _ []byte) error {
		status, id, ok := strings.Cut(string(k), "\x00")
		o := new(pickwave.Order)
		if data := c.get(spaceOrders, []byte(id)); !ok || data == nil || json.Unmarshal(data, o) != nil || string(o.Status) != status {
			c.fail("status index: %q does not match its order", k)
		}
		return nil
	})
	_ = c.tx.Bucket([]byte(spaceBarcodes)).ForEach(func(k, v []byte) error {
		if c.get(spaceSKUs, v) == nil {
			c.fail("barcode %s: SKU %s does not exist", k, v)
		}
		return nil
	})
	if b := c.tx.Bucket([]byte(spaceBadges)); b != nil {
		_ = b.ForEach(func(k, v []byte) error {
			if c.get(spaceUsers, v) == nil {
				c.fail("badge %s: user %s does not exist", k, v)
			}
			return nil
		})
	}
	_ = c.tx.Bucket([]byte(spaceTotes)).ForEach(func(k, v []byte) error {
		cart := new(pickwave.Cart)
		if data := c.get(spaceCarts, v); data == nil || json.Unmarshal(data, cart) != nil {
			c.fail("tote %s: cart %s does not exist", k, v)
			return nil
		}
		for _, t := range cart.Totes {
			if t.Tote == string(k) {
				return nil
			}
		}
		c.fail("tote %s: not on cart %s", k, v)
		return nil
	})
}

// checkShipments checks shipments against their index, their orders and
// the packages' states, and the pack benches against their orders.
func (c *checker) checkShipments() {
	order := func(id string) *pickwave.Order {
		o := new(pickwave.Order)
		if data := c.get(spaceOrders, []byte(id)); data == nil || json.Unmarshal(data, o) != nil {
			return nil
		}
		return o
	}
	each(c, spaceShipments, func(k []byte, sh *pickwave.OrderShipment) {
		if sh.ID != string(k) {
			c.fail("shipment %s stored under %q", sh.ID, k)
		}
		o := order(sh.OrderID)
		if o == nil {
			c.fail("shipment %s: order %s does not exist", sh.ID, sh.OrderID)
			return
		}
		if c.get(spaceShipIndex, orderShipKey(sh.OrderID, sh.ID)) == nil {
			c.fail("shipment %s: not indexed under order %s", sh.ID, sh.OrderID)
		}
		live, shipped := 0, 0
		for _, p := range sh.Packages {
			if string(c.get(spaceShipIndex, trackingKey(p.TrackingNumber))) != sh.ID || string(c.get(spaceShipIndex, ssccKey(p.SSCC))) != sh.ID {
				c.fail("shipment %s: package %d's tracking number or SSCC is not indexed to it", sh.ID, p.Number)
			}
			if p.Status != pickwave.PackageVoided {
				live++
			}
			if p.Status == pickwave.PackageShipped {
				shipped++
			}
		}
		switch {
		case sh.Status == pickwave.ShipmentVoided && live > 0,
			(sh.Status == pickwave.ShipmentPacked || sh.Status == pickwave.ShipmentShipped) && live == 0,
			sh.Status == pickwave.ShipmentShipped && shipped != live:
			c.fail("shipment %s is %s with %d live and %d shipped packages", sh.ID, sh.Status, live, shipped)
		}
		if (sh.Status == pickwave.ShipmentShipped) != (o.Status == pickwave.OrderShipped) && sh.Status != pickwave.ShipmentVoided {
			c.fail("shipment %s is %s, its order %s is %s", sh.ID, sh.Status, o.ID, o.Status)
		}
		if sh.Status == pickwave.ShipmentPacked && o.Status != pickwave.OrderPacked {
			c.fail("shipment %s is packed, its order %s is %s", sh.ID, o.ID, o.Status)
		}
	})
	if b := c.tx.Bucket([]byte(spaceShipIndex)); b != nil {
		_ = b.ForEach(func(k, v []byte) error {
			id := string(v)
			if k[0] == 'o' {
				id = string(k[strings.LastIndexByte(string(k), 0)+1:])
			}
			if c.get(spaceShipments, []byte(id)) == nil {
				c.fail("shipment index %q: shipment %s does not exist", k, id)
			}
			return nil
		})
	}
	each(c, spacePackSess, func(k []byte, s *pickwave.PackSession) {
		if c.get(spaceStations, k) == nil {
			c.fail("pack session of station %s, which does not exist", k)
		}
		if s.OrderID == "" {
			return
		}
		if o := order(s.OrderID); o == nil || o.Status != pickwave.OrderPicked {
			c.fail("station %s packs order %s, which is not a picked order", k, s.OrderID)
		}
		for _, l := range s.Lines {
			if l.Packed < 0 || l.Scanned < 0 || l.Packed+l.Scanned > l.Qty {
				c.fail("station %s: line %s counts %d packed and %d scanned of %d", k, l.SKU, l.Packed, l.Scanned, l.Qty)
			}
		}
	})
	if b := c.tx.Bucket([]byte(spacePackTotes)); b != nil {
		_ = b.ForEach(func(k, v []byte) error {
			if order(string(v)) == nil {
				c.fail("pack tote %s: order %s does not exist", k, v)
			}
			return nil
		})
	}
}
