package store_test

import (
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

// TestCheck_findsEachBrokenInvariant breaks one invariant at a time
// behind the store's back, in a store with a cart half picked, and
// expects Check to name it.
func TestCheck_findsEachBrokenInvariant(t *testing.T) {
	for _, tc := range []struct {
		name  string
		want  string
		spoil func(tx *bolt.Tx) error
	}{
		{"event gap", "event log", func(tx *bolt.Tx) error {
			key := make([]byte, 8)
			binary.BigEndian.PutUint64(key, 3)
			return tx.Bucket([]byte("events")).Delete(key)
		}},
		{"picker state lost its recent scan ids", "its id does not find it", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("pickers")).Put([]byte("pete"), []byte(`{"cart_id":"W-000001-C01"}`))
		}},
		{"open task not indexed", "open-task index", func(tx *bolt.Tx) error {
			c := tx.Bucket([]byte("tasks_open")).Cursor()
			k, _ := c.First()
			return tx.Bucket([]byte("tasks_open")).Delete(append([]byte(nil), k...))
		}},
		{"barcode of no SKU", "barcode", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("barcodes")).Put([]byte("4006381333931"), []byte("NOPE"))
		}},
		{"order status not indexed", "not indexed", func(tx *bolt.Tx) error {
			c := tx.Bucket([]byte("order_status")).Cursor()
			k, _ := c.First()
			return tx.Bucket([]byte("order_status")).Delete(append([]byte(nil), k...))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db, err := store.Open(dir, store.Options{Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			releasedCart(t, db, 5)
			p := &picker{t: t, db: db, name: "pete"}
			prompt, _ := db.TakeCart(ctxAs("pete"), "pete")
			for range 6 {
				prompt = &p.scan(map[pickwave.Step]string{pickwave.StepBindTote: "TOTE-pete-" + string(rune('0'+prompt.Slot))}[prompt.Step]).Prompt
			}
			if err := db.Check(); err != nil {
				t.Fatalf("sound store: %v", err)
			}
			db.Close()
			b, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Update(tc.spoil); err != nil {
				t.Fatal(err)
			}
			b.Close()
			err = store.CheckFile(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("check: %v; want a violation naming %q", err, tc.want)
			}
		})
	}
}

// TestCheck_findsBrokenWebhookOutbox breaks the outbox's invariants one
// at a time, in a store with one pending delivery, and expects Check to
// name each.
func TestCheck_findsBrokenWebhookOutbox(t *testing.T) {
	firstKey := func(tx *bolt.Tx, prefix string) []byte {
		c := tx.Bucket([]byte("webhook_deliveries")).Cursor()
		k, _ := c.Seek([]byte(prefix))
		return append([]byte(nil), k...)
	}
	for _, tc := range []struct {
		name  string
		want  string
		spoil func(tx *bolt.Tx) error
	}{
		{"pending delivery not queued", "pending but not queued", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("webhook_deliveries")).Delete(firstKey(tx, "q\x00"))
		}},
		{"queue entry of nothing", "delivery queue", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("webhook_deliveries")).Put([]byte("q\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00D-0000000099"), nil)
		}},
		{"delivery not in its webhook's index", "index", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("webhook_deliveries")).Delete(firstKey(tx, "w\x00"))
		}},
		{"delivery of no webhook", "does not exist", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("webhooks")).Delete([]byte("WH-0000000001"))
		}},
		{"cursor past the log", "webhook cursor", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("meta")).Put([]byte("webhook_cursor"), binary.BigEndian.AppendUint64(nil, 1<<40))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db, err := store.Open(dir, store.Options{Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			site(t, db)
			if _, err := db.CreateWebhook(ctxAs("admin"), hookInput("https://shop.example/", pickwave.EventOrderBackordered)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.CreateOrder(ctxAs("t"), orderInput("E1", line("MUG", 5))); err != nil {
				t.Fatal(err)
			}
			if _, n, err := db.DispatchWebhooks(ctxAs("t"), 0, 0); err != nil || n != 1 {
				t.Fatalf("dispatch: %d, %v", n, err)
			}
			if err := db.Check(); err != nil {
				t.Fatalf("sound store: %v", err)
			}
			db.Close()
			b, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Update(tc.spoil); err != nil {
				t.Fatal(err)
			}
			b.Close()
			err = store.CheckFile(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("check: %v; want a violation naming %q", err, tc.want)
			}
		})
	}
}

// TestCheck_findsBrokenShipments breaks a shipment or a bench behind the
// store's back and expects Check to name it.
func TestCheck_findsBrokenShipments(t *testing.T) {
	for _, tc := range []struct {
		name  string
		want  string
		spoil func(tx *bolt.Tx) error
	}{
		{"tracking number not indexed", "not indexed to it", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("shipment_index")).Delete([]byte("t\x00LP000000015US"))
		}},
		{"index of no shipment", "does not exist", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("shipment_index")).Put([]byte("t\x00LP000000023US"), []byte("SH-0000000009"))
		}},
		{"bench counts beyond the order", "packed and", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("pack_sessions")).Put([]byte("PACK-1"),
				[]byte(`{"station_id":"PACK-1","step":"scan","order_id":"O-0000000002","lines":[{"sku":"S0101","qty":1,"packed":1,"scanned":1}]}`))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db, err := store.Open(dir, store.Options{Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			packedSite(t, db)
			s := mustPackScan(t, db, "1", "TOTE-pete-1", pickwave.PackOrder).Session
			for _, l := range s.Lines {
				for range l.Qty {
					if _, err := db.PackScan(ctxAs("pat"), "PACK-1", pickwave.PackScanRequest{Data: barcodeOf(l.SKU)}, rules); err != nil {
						t.Fatal(err)
					}
				}
			}
			sscc, _ := db.NextSSCC(ctxAs("pat"), "0614141", 0)
			if _, _, _, err := db.PackLabel(ctxAs("pat"), "PACK-1", pickwave.NewPackage{Package: 1, SSCC: sscc, Carrier: "local",
				TrackingNumber: "LP000000015US", ZPL: "^XA^XZ"}, nil); err != nil {
				t.Fatal(err)
			}
			if err := db.Check(); err != nil {
				t.Fatalf("sound store: %v", err)
			}
			db.Close()
			b, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Update(tc.spoil); err != nil {
				t.Fatal(err)
			}
			b.Close()
			err = store.CheckFile(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("check: %v; want a violation naming %q", err, tc.want)
			}
		})
	}
}
