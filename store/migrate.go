package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migration moves the schema one version forward inside one transaction.
type migration struct {
	name string
	up   func(tx *bolt.Tx) error
}

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
	{name: "scan log", up: func(tx *bolt.Tx) error {
		if err := createBuckets(spaceScanLog, spaceScanIDs)(tx); err != nil {
			return err
		}
		log, ids := tx.Bucket([]byte(spaceScanLog)), tx.Bucket([]byte(spaceScanIDs))
		err := tx.Bucket([]byte(spaceScans)).ForEach(func(k, v []byte) error {
			var e struct {
				Record struct {
					Seq uint64 `json:"seq"`
				} `json:"record"`
			}
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode scan %q: %w", k, err)
			}
			key := u64key(e.Record.Seq)
			if err := log.Put(key, v); err != nil {
				return err
			}
			return ids.Put(k, key)
		})
		if err != nil {
			return err
		}
		return tx.DeleteBucket([]byte(spaceScans))
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
	// KPIs: hour and day buckets folded from the event log behind a
	// cursor (kpis.go). The cursor starts at zero, so a store with a
	// history gets its KPIs from its first event, folded in the
	// background after the upgrade.
	{name: "KPIs", up: createBuckets(spaceKPIs)},
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
	return db.bolt.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists([]byte(spaceMeta))
		if err != nil {
			return fmt.Errorf("create meta bucket: %w", err)
		}
		var have int
		if v := meta.Get(keySchemaVersion); v != nil {
			have = int(binary.BigEndian.Uint64(v))
		}
		if have > len(migrations) {
			return fmt.Errorf("data schema version %d is newer than this pickwave (%d): upgrade pickwave", have, len(migrations))
		}
		for i := have; i < len(migrations); i++ {
			if err := migrations[i].up(tx); err != nil {
				return fmt.Errorf("migration %d (%s): %w", i+1, migrations[i].name, err)
			}
			db.logger.Info("schema migrated", "version", i+1, "migration", migrations[i].name)
		}
		return meta.Put(keySchemaVersion, u64key(uint64(len(migrations))))
	})
}
