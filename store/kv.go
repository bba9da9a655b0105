package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Tx is the small key-value interface the store's transactions are written
// against: get, put, delete, an ordered scan of a key prefix and a sequence,
// all inside one atomic read-write transaction. bbolt implements it (each
// top-level prefix is a bucket); a replicated engine such as etcd can
// implement it later and run the same rules and tests.
type Tx interface {
	// Get returns the value at key in the space, nil when absent. The slice
	// is only valid during the transaction.
	Get(space string, key []byte) []byte
	// Put stores value at key in the space.
	Put(space string, key, value []byte) error
	// Delete removes key from the space; deleting a missing key is not an error.
	Delete(space string, key []byte) error
	// Scan calls fn for each key with the prefix, in key order, starting
	// after the key after (nil: from the first). fn returns errStop to end early.
	Scan(space string, prefix, after []byte, fn func(k, v []byte) error) error
	// ScanReverse is Scan from the last key with the prefix backwards.
	ScanReverse(space string, prefix []byte, fn func(k, v []byte) error) error
	// NextSeq returns the next value of the space's monotonic sequence.
	NextSeq(space string) (uint64, error)
}

// errStop ends a Scan early without an error.
var errStop = errors.New("stop scan")

// Key spaces. Each is a bbolt bucket.
const (
	spaceMeta       = "meta"
	spaceEvents     = "events"
	spaceSKUs       = "skus"
	spaceBarcodes   = "barcodes"
	spaceLocations  = "locations"
	spaceStock      = "stock"
	spaceOrders     = "orders"
	spaceOrderExt   = "order_ext"
	spaceOrderState = "order_status"
	spaceUsers      = "users"
	spaceSessions   = "sessions"
	spaceWaves      = "waves"
	spaceCarts      = "carts"
	spaceTasks      = "tasks"
	spaceStations   = "stations"
	spacePrintJobs  = "print_jobs"
	spacePrintReq   = "print_requests" // request id → job id, for idempotent enqueue
	spacePickers    = "pickers"        // picker → cart and step
	spaceOpenCarts  = "carts_open"     // cart id → nil while it waits for a picker
	spaceScans      = "scans"          // before schema 6: picker \x00 client scan id → scan record
	spaceScanLog    = "scan_log"       // event seq → scan record with its answer, in commit order
	spaceScanIDs    = "scan_ids"       // picker \x00 client scan id → its scan_log key
	spaceBadges     = "badges"         // badge → user name
	spaceSerials    = "serials"        // gtin \x00 serial → scan id
	spaceTotes      = "totes"          // tote barcode → cart id while the cart is active
	spaceCounts     = "counts"         // cycle-count tasks
	spaceWaveProg   = "wave_progress"  // wave id → its progress, apart from the large plan
	spaceOpenTasks  = "tasks_open"     // task id → nil while the task is open; ids sort in walking order per cart
	spaceSSCCSeq    = "sscc_seq"       // empty: its bucket sequence numbers SSCC serial references
	spaceTrackSeq   = "tracking_seq"   // empty: its bucket sequence numbers carriers' tracking serials
	spacePackSess   = "pack_sessions"  // station id → its pack session
	spacePackReq    = "pack_requests"  // station \x00 scan id → the pack scan's answer
	spacePackTotes  = "pack_totes"     // tote barcode → the picked order it holds, until packed
	spaceShipments  = "shipments"      // shipment id → the order's shipment with its packages
	spaceShipIndex  = "shipment_index" // o/t/c \x00 order, tracking number or SSCC → shipment id
	spaceInbound    = "inbound"        // notice id → inbound notice
	spaceInboundRef = "inbound_refs"   // supplier \x00 reference → notice id
	spaceInboundSSC = "inbound_sscc"   // SSCC → where it is announced and received (ssccEntry)
	spaceReceipts   = "receipts"       // receipt id → stock received at a dock
	spaceRcptOpen   = "receipts_open"  // receipt id → nil while units wait for putaway
	spaceWork       = "work_state"     // user \x00 kind → where the user is in that work
	spaceWorkLog    = "work_log"       // user \x00 message id → the work message's record with its verdict
	spaceReplen     = "replenishments" // task id → replenishment task
	spaceReplenFace = "replen_faces"   // pick face → its open replenishment task id
	spaceReorder    = "reorder"        // SKU → nil while a reorder suggestion stands
	spacePickDays   = "pick_days"      // SKU, day → pick tasks with units that day (ABC classes)
	spaceCountLast  = "count_last"     // stock key → when the row was last counted (or first scheduled)
)

// spacesV1 are the buckets of schema version 1.
var spacesV1 = []string{
	spaceMeta, spaceEvents, spaceSKUs, spaceBarcodes, spaceLocations, spaceStock,
	spaceOrders, spaceOrderExt, spaceOrderState, spaceUsers, spaceSessions,
}

// appendOnly are the spaces whose keys only ever grow. bbolt splits a
// full page in half by default, which leaves every page of an
// append-only bucket half empty; filling them writes half the pages.
var appendOnly = map[string]bool{spaceEvents: true, spaceScanLog: true}

// boltTx implements Tx on a bbolt transaction.
type boltTx struct{ tx *bolt.Tx }

func (t boltTx) bucket(space string) *bolt.Bucket {
	b := t.tx.Bucket([]byte(space))
	if b == nil {
		// Buckets are created by the migrations at open; a missing one is a bug.
		panic(fmt.Sprintf("store: bucket %q missing", space))
	}
	if appendOnly[space] {
		b.FillPercent = 0.95
	}
	return b
}

func (t boltTx) Get(space string, key []byte) []byte { return t.bucket(space).Get(key) }

func (t boltTx) Put(space string, key, value []byte) error {
	if err := t.bucket(space).Put(key, value); err != nil {
		return fmt.Errorf("put %s/%q: %w", space, key, err)
	}
	return nil
}

func (t boltTx) Delete(space string, key []byte) error {
	if err := t.bucket(space).Delete(key); err != nil {
		return fmt.Errorf("delete %s/%q: %w", space, key, err)
	}
	return nil
}

func (t boltTx) Scan(space string, prefix, after []byte, fn func(k, v []byte) error) error {
	c := t.bucket(space).Cursor()
	var k, v []byte
	if after != nil {
		k, v = c.Seek(after)
		if k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
	} else {
		k, v = c.Seek(prefix)
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
	return nil
}

func (t boltTx) ScanReverse(space string, prefix []byte, fn func(k, v []byte) error) error {
	c := t.bucket(space).Cursor()
	// Seek past the prefix range, then step back into it.
	end := prefixEnd(prefix)
	var k, v []byte
	if end != nil {
		k, _ = c.Seek(end)
	}
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		if err := fn(k, v); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
	return nil
}

func (t boltTx) NextSeq(space string) (uint64, error) {
	n, err := t.bucket(space).NextSequence()
	if err != nil {
		return 0, fmt.Errorf("next sequence of %s: %w", space, err)
	}
	return n, nil
}

// prefixEnd is the smallest key greater than every key with the prefix,
// nil when there is none (an empty or all-0xff prefix).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// u64key encodes n big-endian so keys sort numerically.
func u64key(n uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, n)
}

// joinKey joins parts with a zero byte, which codes never contain.
func joinKey(parts ...string) []byte {
	var b []byte
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

// splitKey is joinKey's inverse.
func splitKey(k []byte) []string {
	var parts []string
	for {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return append(parts, string(k))
		}
		parts = append(parts, string(k[:i]))
		k = k[i+1:]
	}
}
