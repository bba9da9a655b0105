package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migration moves the schema one version forward. A migration that
// touches every record of a bucket that may be large is written as a
// step instead of up: each call does at most migrationChunk records in a
// transaction of its own and says when nothing is left, so that a big
// store is never rewritten in one transaction (bbolt holds all of a
// transaction's pages in memory until it commits). A step must leave the
// store so that the next call, in this process or after a crash, goes on
// where it stopped. The version is recorded in the transaction that
// finishes the migration.
type migration struct {
	name string
	up   func(tx *bolt.Tx) error
	step func(tx *bolt.Tx) (done bool, err error)
}

// migrationChunk bounds the records one migration step touches.
var migrationChunk = 10000

// migrations run in order; the schema version is the number applied.
// Append new ones; never edit or reorder those already released.
var migrations = []migration{
	{name: "create buckets", up: createBuckets(spacesV1...)},
	{name: "waves, carts and tasks", up: createBuckets(spaceWaves, spaceCarts, spaceTasks)},
	{name: "stations and print queue", up: createBuckets(spaceStations, spacePrintJobs, spacePrintReq)},
	{name: "picking", up: createBuckets(spacePickers, spaceOpenCarts, spaceScans, spaceSerials, spaceTotes, spaceCounts)},
	// Progress changes on every pick; kept apart, a pick does not rewrite
	// the wave's plan. Waves stored before keep theirs in the record,
	// which reads fall back to. The open-task index lets a pick find the
	// cart's next task without reading every task.
	{name: "wave progress and open tasks", up: func(tx *bolt.Tx) error {
		if err := createBuckets(spaceWaveProg, spaceOpenTasks)(tx); err != nil {
			return err
		}
		open := tx.Bucket([]byte(spaceOpenTasks))
		return tx.Bucket([]byte(spaceTasks)).ForEach(func(k, v []byte) error {
			var task struct {
				Status string `json:"status"`
			}
			if err := json.Unmarshal(v, &task); err != nil {
				return fmt.Errorf("decode task %s: %w", k, err)
			}
			if task.Status != "open" {
				return nil
			}
			return open.Put(k, nil)
		})
	}},
	// Scan records were keyed by picker and client id, so every batch of
	// scans dirtied a page per picker. They now append to a log in commit
	// order, and a small index finds a retried id.
	{name: "scan log", step: func(tx *bolt.Tx) (bool, error) {
		if err := createBuckets(spaceScanLog, spaceScanIDs)(tx); err != nil {
			return false, err
		}
		old := tx.Bucket([]byte(spaceScans))
		if old == nil {
			return true, nil // moved and deleted by an earlier step
		}
		log, ids := tx.Bucket([]byte(spaceScanLog)), tx.Bucket([]byte(spaceScanIDs))
		var moved [][]byte
		c := old.Cursor()
		for k, v := c.First(); k != nil && len(moved) < migrationChunk; k, v = c.Next() {
			var e struct {
				Record struct {
					Seq uint64 `json:"seq"`
				} `json:"record"`
			}
			if err := json.Unmarshal(v, &e); err != nil {
				return false, fmt.Errorf("decode scan %q: %w", k, err)
			}
			key := u64key(e.Record.Seq)
			if err := log.Put(key, v); err != nil {
				return false, err
			}
			if err := ids.Put(k, key); err != nil {
				return false, err
			}
			moved = append(moved, bytes.Clone(k))
		}
		for _, k := range moved {
			if err := old.Delete(k); err != nil {
				return false, err
			}
		}
		if len(moved) == migrationChunk {
			return false, nil
		}
		return true, tx.DeleteBucket([]byte(spaceScans))
	}},
	// Badge login looked for the badge among all users.
	{name: "badge index", up: func(tx *bolt.Tx) error {
		if err := createBuckets(spaceBadges)(tx); err != nil {
			return err
		}
		badges := tx.Bucket([]byte(spaceBadges))
		return tx.Bucket([]byte(spaceUsers)).ForEach(func(k, v []byte) error {
			var u struct {
				Badge string `json:"badge"`
			}
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("decode user %s: %w", k, err)
			}
			if u.Badge == "" {
				return nil
			}
			if other := badges.Get([]byte(u.Badge)); other != nil && !bytes.Equal(other, k) {
				return fmt.Errorf("badge %s belongs to both %s and %s", u.Badge, other, k)
			}
			return badges.Put([]byte(u.Badge), k)
		})
	}},
	// SSCCs and tracking numbers come from durable sequences, so that a
	// number is never issued twice, even across a crash.
	{name: "SSCC and tracking serials", up: createBuckets(spaceSSCCSeq, spaceTrackSeq)},
	// The webhook outbox follows the event log from here on: a store
	// that had events before has no webhooks that could want them.
	{name: "webhooks", up: func(tx *bolt.Tx) error {
		if err := createBuckets(spaceWebhooks, spaceDeliveries)(tx); err != nil {
			return err
		}
		last, _ := tx.Bucket([]byte(spaceEvents)).Cursor().Last()
		if last == nil {
			return nil
		}
		return tx.Bucket([]byte(spaceMeta)).Put(keyWebhookCursor, bytes.Clone(last))
	}},
	// Packing and shipping: the stations' pack sessions, idempotent pack
	// scans, the totes of picked orders, shipments and their lookups.
	{name: "shipments and packing", up: createBuckets(spacePackSess, spacePackReq, spacePackTotes, spaceShipments, spaceShipIndex)},
	// Inventory on the floor: inbound notices and their SSCCs, receipts
	// waiting at the dock, and the handheld work tasks' state and records.
	{name: "inbound and floor work", up: createBuckets(spaceInbound, spaceInboundRef, spaceInboundSSC, spaceReceipts, spaceRcptOpen, spaceWork, spaceWorkLog, spaceReplen, spaceReplenFace, spaceReorder)},
	// KPIs: hour and day buckets folded from the event log behind a
	// cursor (kpis.go). The cursor starts at zero, so a store with a
	// history gets its KPIs from its first event, folded in the
	// background after the upgrade.
	{name: "KPIs", up: createBuckets(spaceKPIs)},
	{name: "pick frequency and count schedule", up: createBuckets(spacePickDays, spaceCountLast)},
}

func createBuckets(names ...string) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		for _, s := range names {
			if _, err := tx.CreateBucketIfNotExists([]byte(s)); err != nil {
				return fmt.Errorf("create bucket %s: %w", s, err)
			}
		}
		return nil
	}
}

var keySchemaVersion = []byte("schema_version")

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations) }

func (db *DB) migrate() error {
	var have int
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists([]byte(spaceMeta))
		if err != nil {
			return fmt.Errorf("create meta bucket: %w", err)
		}
		if v := meta.Get(keySchemaVersion); v != nil {
			have = int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if have > len(migrations) {
		return fmt.Errorf("data schema version %d is newer than this pickwave (%d): upgrade pickwave", have, len(migrations))
	}
	for i := have; i < len(migrations); i++ {
		m, steps := migrations[i], 0
		for done := false; !done; steps++ {
			err := db.bolt.Update(func(tx *bolt.Tx) error {
				var err error
				if m.step != nil {
					done, err = m.step(tx)
				} else {
					done, err = true, m.up(tx)
				}
				if err != nil || !done {
					return err
				}
				return tx.Bucket([]byte(spaceMeta)).Put(keySchemaVersion, u64key(uint64(i+1)))
			})
			if err != nil {
				return fmt.Errorf("migration %d (%s): %w", i+1, m.name, err)
			}
		}
		db.logger.Info("schema migrated", "version", i+1, "migration", m.name, "transactions", steps)
	}
	return nil
}
