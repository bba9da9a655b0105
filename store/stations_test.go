package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

// mustOpenStations opens a store whose cleanup, after the store closed,
// also checks the print queue's indexes against its jobs.
func mustOpenStations(t *testing.T) (*store.DB, string) {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() { mustCheckPrintQueue(t, dir) }) // runs after mustOpenDir's close
	return mustOpenDir(t, dir), dir
}

// mustCheckPrintQueue checks, on the closed file, that every job has its
// station index, an open index exactly while queued or sending, and a
// printed time exactly when printed; that every index entry points to a
// job of its station; and that every request id maps to the job made for
// it.
func mustCheckPrintQueue(t testing.TB, dir string) {
	t.Helper()
	b, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second}) // unchecked: a read-only look at the print queue
	if err != nil {
		t.Fatalf("reopen for check: %v", err)
	}
	defer b.Close()
	err = b.View(func(tx *bolt.Tx) error {
		jobsB, reqB := tx.Bucket([]byte("print_jobs")), tx.Bucket([]byte("print_requests"))
		jobs := map[string]pickwave.PrintJob{}
		var index [][]byte
		err := jobsB.ForEach(func(k, v []byte) error {
			if !bytes.HasPrefix(k, []byte("J-")) {
				index = append(index, bytes.Clone(k))
				return nil
			}
			var j pickwave.PrintJob
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			jobs[j.ID] = j
			return nil
		})
		if err != nil {
			return err
		}
		for id, j := range jobs {
			if jobsB.Get(joinKey("s", j.StationID, id)) == nil {
				return fmt.Errorf("job %s: no station index", id)
			}
			open := jobsB.Get(joinKey("o", j.StationID, id)) != nil
			if open == j.Status.Done() {
				return fmt.Errorf("job %s is %s but open index %v", id, j.Status, open)
			}
			if (j.PrintedAt != nil) != (j.Status == pickwave.PrintPrinted) {
				return fmt.Errorf("job %s is %s with printed_at %v", id, j.Status, j.PrintedAt)
			}
			if j.RequestID != "" {
				if got := reqB.Get(joinKey(j.StationID, j.RequestID)); string(got) != id {
					return fmt.Errorf("job %s: request %s maps to %q", id, j.RequestID, got)
				}
			}
		}
		for _, k := range index {
			parts := bytes.Split(k, []byte{0})
			if len(parts) != 3 || (string(parts[0]) != "o" && string(parts[0]) != "s") {
				return fmt.Errorf("stray key %q", k)
			}
			j, ok := jobs[string(parts[2])]
			if !ok || j.StationID != string(parts[1]) {
				return fmt.Errorf("index %q points to no job of its station", k)
			}
		}
		return reqB.ForEach(func(k, v []byte) error {
			j, ok := jobs[string(v)]
			if !ok || !bytes.Equal(k, joinKey(j.StationID, j.RequestID)) {
				return fmt.Errorf("request %q maps to %s, which was not made for it", k, v)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// joinKey joins key parts with a zero byte, as the store does.
func joinKey(parts ...string) []byte { return []byte(strings.Join(parts, "\x00")) }

func station(id, scanner, scale string) *pickwave.Station {
	st := &pickwave.Station{ID: id, Name: "Station " + id,
		Printer: &pickwave.PrinterConfig{URI: "tcp://127.0.0.1:9100", DPI: 203}}
	if scanner != "" {
		st.Scanner = &pickwave.ScannerConfig{Port: scanner, Suffix: "cr"}
	}
	if scale != "" {
		st.Scale = &pickwave.ScaleConfig{Port: scale, Protocol: "mt-sics"}
	}
	return st
}

func mustStation(t testing.TB, db *store.DB, st *pickwave.Station) *pickwave.Station {
	t.Helper()
	if err := db.CreateStation(ctxAs("admin"), st); err != nil {
		t.Fatalf("create station %s: %v", st.ID, err)
	}
	return st
}

// eventTypes lists the types of the events after seq.
func eventTypes(t testing.TB, db *store.DB, after uint64) []string {
	t.Helper()
	evs, err := db.Events(context.Background(), after, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

func TestStations_CreateGetListUpdate(t *testing.T) {
	db, _ := mustOpenStations(t)
	ctx := ctxAs("admin")
	a := mustStation(t, db, station("PACK-1", "/dev/ttyACM0", "/dev/ttyUSB0"))
	if !a.CreatedAt.Equal(t0) || !a.UpdatedAt.Equal(t0) {
		t.Fatalf("times %v %v", a.CreatedAt, a.UpdatedAt)
	}
	mustStation(t, db, station("PACK-2", "/dev/ttyACM1", ""))

	mustCode(t, db.CreateStation(ctx, station("PACK-1", "/dev/ttyACM9", "")), pickwave.ECONFLICT)
	mustCode(t, db.CreateStation(ctx, &pickwave.Station{ID: "bad id"}), pickwave.EINVALID)

	// A port belongs to one station: as scanner or as scale.
	err := db.CreateStation(ctx, station("PACK-3", "/dev/ttyUSB0", ""))
	mustCode(t, err, pickwave.ECONFLICT)
	if d := pickwave.ErrorDetails(err).([]pickwave.FieldError); d[0].Field != "scanner.port" {
		t.Fatalf("details %v", d)
	}

	got, err := db.Station(ctx, "PACK-1")
	if err != nil || got.Scale.Port != "/dev/ttyUSB0" || got.Printer.DPI != 203 || got.Name != "Station PACK-1" {
		t.Fatalf("station %+v %v", got, err)
	}
	_, err = db.Station(ctx, "NOPE")
	mustCode(t, err, pickwave.ENOTFOUND)

	list, err := db.Stations(ctx, "", 0)
	if err != nil || len(list) != 2 || list[0].ID != "PACK-1" || list[1].ID != "PACK-2" {
		t.Fatalf("list %v %v", list, err)
	}
	if list, _ = db.Stations(ctx, "PACK-1", 10); len(list) != 1 || list[0].ID != "PACK-2" {
		t.Fatalf("page after PACK-1: %v", list)
	}

	// Update: the station keeps its own ports, may not take another's.
	upd := station("PACK-1", "/dev/ttyACM0", "/dev/ttyUSB7")
	upd.Name = "Pack 1 (left)"
	upd.CreatedAt = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) // ignored
	out, err := db.UpdateStation(ctx, upd)
	if err != nil || out.Scale.Port != "/dev/ttyUSB7" || out.Name != "Pack 1 (left)" || !out.CreatedAt.Equal(t0) {
		t.Fatalf("update: %+v %v", out, err)
	}
	_, err = db.UpdateStation(ctx, station("PACK-1", "/dev/ttyACM1", ""))
	mustCode(t, err, pickwave.ECONFLICT)
	_, err = db.UpdateStation(ctx, station("PACK-9", "", ""))
	mustCode(t, err, pickwave.ENOTFOUND)
	if got, _ := db.Station(ctx, "PACK-1"); got.Scale.Port != "/dev/ttyUSB7" {
		t.Fatalf("stored after update: %+v", got.Scale)
	}
	// Removing a device frees its port for another station.
	if _, err := db.UpdateStation(ctx, station("PACK-1", "/dev/ttyACM0", "")); err != nil {
		t.Fatal(err)
	}
	mustStation(t, db, station("PACK-3", "", "/dev/ttyUSB7"))

	want := []string{"station.created", "station.created", "station.updated", "station.updated", "station.created"}
	if got := eventTypes(t, db, 0); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}
