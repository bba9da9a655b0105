package store_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

// TestMigrate_fromVersion4 takes a store with a released wave back to
// schema 4 (no open-task index, no separate wave progress) and checks that
// opening it migrates forward and picking carries on.
func TestMigrate_fromVersion4(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w := releasedCart(t, db, 2)
	rewind(t, db, dir, 4, func(tx *bolt.Tx) error {
		if err := downgradeScans(tx); err != nil {
			return err
		}
		for _, name := range []string{"tasks_open", "wave_progress", "badges"} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})

	db = mustOpenDir(t, dir)
	got, err := db.Wave(ctxAs("t"), w.ID)
	if err != nil || got.Progress.Tasks != w.Progress.Tasks {
		t.Fatalf("wave after migration %+v, %v", got, err)
	}
	p := &picker{t: t, db: db, name: "pete"}
	prompt, err := db.TakeCart(ctxAs("pete"), "pete")
	if err != nil || prompt.TasksLeft != w.Progress.Tasks {
		t.Fatalf("prompt after migration %+v, %v", prompt, err)
	}
	p.pickAll(prompt)
	got, _ = db.Wave(ctxAs("t"), w.ID)
	if got.Status != pickwave.WaveCompleted {
		t.Fatalf("wave %s after picking", got.Status)
	}
}

// TestMigrate_fromVersion5 takes a store in the middle of a cart back to
// schema 5, where scan records were keyed by picker and scan id, and
// checks that after the migration a retried scan is still answered from
// its record and applied once, and the cart finishes.
func TestMigrate_fromVersion5(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w := releasedCart(t, db, 2)
	p := &picker{t: t, db: db, name: "pete"}
	prompt, err := db.TakeCart(ctxAs("pete"), "pete")
	if err != nil {
		t.Fatal(err)
	}
	for prompt.Step != pickwave.StepItem {
		switch prompt.Step {
		case pickwave.StepBindTote:
			prompt = &p.mustScan(fmt.Sprintf("TOTE-%s-%d", p.name, prompt.Slot), "ok").Prompt
		case pickwave.StepLocation:
			prompt = &p.mustScan(prompt.Task.Location, "ok").Prompt
		}
	}
	unit := p.mustScan(barcodeOf(prompt.Task.SKU), "ok")
	rewind(t, db, dir, 5, func(tx *bolt.Tx) error {
		if err := downgradeScans(tx); err != nil {
			return err
		}
		return tx.DeleteBucket([]byte("badges"))
	})

	db = mustOpenDir(t, dir)
	p.db = db
	again, err := db.Scan(ctxAs("pete"), "pete", pickwave.ScanRequest{ID: unit.ScanID, Device: "TC52", Data: barcodeOf(prompt.Task.SKU)})
	if err != nil || !again.Replayed || again.Verdict != unit.Verdict {
		t.Fatalf("retried scan after migration: %+v, %v; first answer %+v", again, err, unit)
	}
	tasks, err := db.CartTasks(ctxAs("t"), unit.Prompt.CartID)
	if err != nil || tasks[0].Picked != 1 {
		t.Fatalf("first task after migration %+v, %v: want 1 unit picked", tasks, err)
	}
	now, err := db.Prompt(ctxAs("pete"), "pete")
	if err != nil {
		t.Fatal(err)
	}
	p.pickAll(now)
	got, _ := db.Wave(ctxAs("t"), w.ID)
	if got.Status != pickwave.WaveCompleted || got.Progress.UnitsPicked != got.Progress.Units {
		t.Fatalf("wave %s %+v after picking", got.Status, got.Progress)
	}
}

// TestMigrate_scanLogInChunks moves 2,500 schema-5 scan records with
// 100 records a transaction, through a crash after the seventh: the
// first open fails, the next one goes on where it stopped, and every
// record is found again by its id.
func TestMigrate_scanLogInChunks(t *testing.T) {
	defer store.SetMigrationChunk(100)()
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	const n = 2500
	rewind(t, db, dir, 5, func(tx *bolt.Tx) error {
		if err := downgradeScans(tx); err != nil {
			return err
		}
		old := tx.Bucket([]byte("scans"))
		for i := range n {
			rec := fmt.Sprintf(`{"record":{"id":"old-%d","user":"pete","raw":"4006381333931","verdict":{"code":"ok","message":"Moved."},"seq":%d}}`, i, 1000+i)
			if err := old.Put([]byte(fmt.Sprintf("pete\x00old-%d", i)), []byte(rec)); err != nil {
				return err
			}
		}
		return tx.DeleteBucket([]byte("badges"))
	})

	mend := store.CrashMigrationAfter(6, 7)
	_, err = store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)}) // unchecked: expected to fail
	mend()
	if !errors.Is(err, store.ErrCrash) {
		t.Fatalf("open with a crashing migration: %v", err)
	}
	b, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = b.View(func(tx *bolt.Tx) error {
		if v := binary.BigEndian.Uint64(tx.Bucket([]byte("meta")).Get([]byte("schema_version"))); v != 5 {
			t.Errorf("schema version %d after a crash in migration 6, want 5", v)
		}
		if left := tx.Bucket([]byte("scans")).Stats().KeyN; left != n-700 {
			t.Errorf("%d old records left after 7 steps of 100, want %d", left, n-700)
		}
		return nil
	})
	b.Close()

	db = mustOpenDir(t, dir) // its cleanup checks every record is found by its id
	for _, id := range []string{"old-0", "old-1234", "old-2499"} {
		again, err := db.Scan(ctxAs("pete"), "pete", pickwave.ScanRequest{ID: id, Device: "TC52", Data: "4006381333931"})
		if err != nil || !again.Replayed || again.Verdict.Code != "ok" {
			t.Fatalf("scan %s sent again after the migration: %+v, %v; want answered from its record", id, again, err)
		}
	}
}

// rewind closes db and takes its file back to schema version with
// undo, which undoes what the migrations after it did.
func rewind(t *testing.T, db *store.DB, dir string, version uint64, undo func(tx *bolt.Tx) error) {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error {
		if err := undo(tx); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, version))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// downgradeScans puts the scan records back the way schema 5 kept them:
// one bucket keyed by picker and client scan id.
func downgradeScans(tx *bolt.Tx) error {
	old, err := tx.CreateBucket([]byte("scans"))
	if err != nil {
		return err
	}
	log := tx.Bucket([]byte("scan_log"))
	err = tx.Bucket([]byte("scan_ids")).ForEach(func(k, v []byte) error {
		return old.Put(k, log.Get(v))
	})
	if err != nil {
		return err
	}
	// Ids not yet in the index sit in the pickers' states, which schema 5
	// did not have.
	pickers := tx.Bucket([]byte("pickers"))
	var states [][2][]byte
	err = pickers.ForEach(func(k, v []byte) error {
		var st map[string]json.RawMessage
		if err := json.Unmarshal(v, &st); err != nil {
			return err
		}
		var recent []struct {
			ID  string `json:"id"`
			Seq uint64 `json:"seq"`
		}
		if err := json.Unmarshal(st["recent"], &recent); err != nil && st["recent"] != nil {
			return err
		}
		for _, r := range recent {
			key := append(append(bytes.Clone(k), 0), r.ID...)
			if err := old.Put(key, log.Get(binary.BigEndian.AppendUint64(nil, r.Seq))); err != nil {
				return err
			}
		}
		delete(st, "recent")
		v5, err := json.Marshal(st)
		states = append(states, [2][]byte{bytes.Clone(k), v5})
		return err
	})
	if err != nil {
		return err
	}
	for _, kv := range states {
		if err := pickers.Put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	for _, name := range []string{"scan_log", "scan_ids"} {
		if err := tx.DeleteBucket([]byte(name)); err != nil {
			return err
		}
	}
	return nil
}

// TestMigrate_fromVersion6 takes a store with badge users back to schema
// 6, before the badge index, and checks that badge login still finds them
// and a taken badge is still refused.
func TestMigrate_fromVersion6(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []pickwave.User{{Name: "pat", Role: pickwave.RolePicker, Badge: "B-17"}, {Name: "sam", Role: pickwave.RolePicker}} {
		if err := db.CreateUser(ctxAs("t"), &u, "long enough"); err != nil {
			t.Fatal(err)
		}
	}
	rewind(t, db, dir, 6, func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("badges")) })

	db = mustOpenDir(t, dir)
	if _, sess, err := db.LoginBadge(ctxAs("t"), "B-17"); err != nil || sess.User != "pat" {
		t.Fatalf("badge login after migration: %+v, %v", sess, err)
	}
	err = db.CreateUser(ctxAs("t"), &pickwave.User{Name: "kim", Role: pickwave.RolePicker, Badge: "B-17"}, "long enough")
	mustCode(t, err, pickwave.ECONFLICT)
}

// TestMigrate_badgeSharedByTwoUsers checks that migration 7 refuses, with
// a message naming both users, a file in which two users have one badge,
// rather than indexing the badge for either.
func TestMigrate_badgeSharedByTwoUsers(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []pickwave.User{{Name: "pat", Role: pickwave.RolePicker, Badge: "B-17"}, {Name: "sam", Role: pickwave.RolePicker, Badge: "B-18"}} {
		if err := db.CreateUser(ctxAs("t"), &u, "long enough"); err != nil {
			t.Fatal(err)
		}
	}
	rewind(t, db, dir, 6, func(tx *bolt.Tx) error {
		users := tx.Bucket([]byte("users"))
		sam := bytes.Replace(users.Get([]byte("sam")), []byte(`"B-18"`), []byte(`"B-17"`), 1)
		if err := users.Put([]byte("sam"), sam); err != nil {
			return err
		}
		return tx.DeleteBucket([]byte("badges"))
	})
	_, err = store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "badge B-17 belongs to both pat and sam") {
		t.Fatalf("open with a shared badge: %v", err)
	}
}

// TestMigrate_fromVersion7 takes a store back to schema 7, before the
// SSCC and tracking sequences, and checks that opening it adds them and
// numbering starts at one.
func TestMigrate_fromVersion7(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rewind(t, db, dir, 7, func(tx *bolt.Tx) error {
		for _, name := range []string{"sscc_seq", "tracking_seq"} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})

	db = mustOpenDir(t, dir)
	if sscc, err := db.NextSSCC(ctxAs("t"), "0614141", 0); err != nil || sscc != "006141410000000012" {
		t.Fatalf("first SSCC after migration: %s, %v", sscc, err)
	}
	if n, err := db.NextTrackingSerial(ctxAs("t"), "local"); err != nil || n != 1 {
		t.Fatalf("first tracking serial after migration: %d, %v", n, err)
	}
}

// TestMigrate_fromVersion8 takes a store with events back to schema 8,
// before webhooks, and checks that opening it adds the outbox: a webhook
// created then gets none of the history and every new event.
func TestMigrate_fromVersion8(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	site(t, db)
	if _, _, err := db.CreateOrder(ctxAs("t"), orderInput("OLD", line("MUG", 1))); err != nil {
		t.Fatal(err)
	}
	rewind(t, db, dir, 8, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("webhooks")); err != nil {
			return err
		}
		if err := tx.DeleteBucket([]byte("webhook_deliveries")); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Delete([]byte("webhook_cursor"))
	})

	db = mustOpenDir(t, dir)
	if _, err := db.CreateWebhook(ctxAs("admin"), hookInput("https://shop.example/", pickwave.WebhookEventTypes...)); err != nil {
		t.Fatal(err)
	}
	if _, n, err := db.DispatchWebhooks(ctxAs("t"), 0, 0); err != nil || n != 0 {
		t.Fatalf("dispatch after migration: %d deliveries, %v; want none of the history", n, err)
	}
	if _, _, err := db.CreateOrder(ctxAs("t"), orderInput("NEW", line("MUG", 1))); err != nil {
		t.Fatal(err)
	}
	if n := dispatchAll(t, db); n != 1 {
		t.Fatalf("a new order made %d deliveries, want 1", n)
	}
}
