package kpi_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/kpi"
)

// memLoader is an empty stored state.
type memLoader struct{}

func (memLoader) Bucket(kpi.Period) (*kpi.Bucket, error)  { return nil, nil }
func (memLoader) Order(string) (*kpi.Track, error)        { return nil, nil }
func (memLoader) Picker(string) (*kpi.PickerTrack, error) { return nil, nil }
func (memLoader) Cart(string) (*kpi.CartTrack, error)     { return nil, nil }

// FuzzFold_Apply feeds the fold event payloads of every counted type as
// the log could hold them after any bug or hand edit: it must never
// panic, and a payload it cannot read is an error, not a count.
func FuzzFold_Apply(f *testing.F) {
	f.Add(pickwave.EventOrderCreated, []byte(`{"id":"O-1","ship_by":"2026-11-26T17:00:00Z"}`), int64(0))
	f.Add(pickwave.EventOrderShipped, []byte(`{"order_id":"O-1"}`), int64(3600))
	f.Add(pickwave.EventScanJudged, []byte(`{"picker":"ann","code":"wrong_item","cart":"C1"}`), int64(-5))
	f.Add(pickwave.EventTaskShort, []byte(`{"cart":"C1","wave":"W-1","picked":-3,"short":1e9}`), int64(60))
	f.Add(pickwave.EventCartDone, []byte(`{"cart":"C1","distance_m":"far"}`), int64(60))
	f.Add(pickwave.EventMispickAtPack, []byte(`null`), int64(1<<40))
	f.Fuzz(func(t *testing.T, typ string, payload []byte, offset int64) {
		fold := kpi.NewFold(memLoader{})
		at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC).Add(time.Duration(offset) * time.Second)
		for seq, ty := range []string{pickwave.EventOrderCreated, pickwave.EventCartAssigned, typ, typ} {
			ev := &pickwave.Event{Seq: uint64(seq + 1), Type: ty, Time: at, Actor: "x", Payload: payload}
			if err := fold.Apply(ev); err != nil {
				return
			}
		}
		total := new(kpi.Bucket)
		for p, b := range fold.Buckets {
			if !p.Day {
				total.Add(b)
			}
		}
		kpi.Summarize(total, at.Truncate(time.Hour), at.Truncate(time.Hour).Add(time.Hour))
	})
}

// FuzzFold_ApplyJSON: ApplyJSON never panics on any bytes, and an event
// in the log's encoding folds as Apply folds it decoded: the same error
// or none, the same buckets and tracks. (Only in a string that is not
// UTF-8, which encoding/json never writes, do the two decoders differ:
// encoding/json reads U+FFFD for a bad byte, go-json the byte.)
func FuzzFold_ApplyJSON(f *testing.F) {
	f.Add(pickwave.EventScanJudged, []byte(`{"picker":"ann","code":"wrong_item","cart":"C1"}`), int64(-5), []byte(`{"seq":1,"type":"scan.judged"}`))
	f.Add(pickwave.EventOrderShipped, []byte(`{"order_id":"O-1"}`), int64(3600), []byte(`{"type":"order.shipped","seq":2}`))
	f.Add(pickwave.EventTaskShort, []byte(`{"cart":"C1","wave":"W-1","picked":-3,"short":1e9}`), int64(60), []byte(`{"seq":3,"type":"sku.created","payload":"x"}`))
	f.Add(pickwave.EventSKUCreated, []byte(`"not an object"`), int64(0), []byte(`{"seq":4,"type":"task.\"picked"}`))
	f.Add(pickwave.EventCartDone, []byte(`{"cart":"C1","distance_m":"far"}`), int64(60), []byte(`nonsense`))
	f.Add(pickwave.EventScanJudged, []byte("{\"PICKER\":\"b\xffob\",\"Code\":\"ok\",\"picker\":\"\\u00e9\"}"), int64(7), []byte(`{"seq":5,"type":"scan.judged","payload":{"picker":1}}`))
	f.Add(pickwave.EventScanJudged, []byte(`{"piCker":"Ann","cOde":"wrong_item","cart":"C\u00e9"}`), int64(7), []byte(`{"seq":6,"type":"scan.judged","payload":{"picker":"\ud800"}}`))
	f.Fuzz(func(t *testing.T, typ string, payload []byte, offset int64, raw []byte) {
		kpi.NewFold(memLoader{}).ApplyJSON(raw)
		// The log's events are encoded by encoding/json, which writes
		// valid UTF-8 only.
		if !json.Valid(payload) || !utf8.Valid(payload) {
			return
		}
		at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC).Add(time.Duration(offset) * time.Second)
		decoded, encoded := kpi.NewFold(memLoader{}), kpi.NewFold(memLoader{})
		for seq, ty := range []string{pickwave.EventOrderCreated, pickwave.EventCartAssigned, typ, typ} {
			ev := &pickwave.Event{Seq: uint64(seq + 1), Type: ty, Entity: "e", Time: at, Actor: "x", Payload: payload}
			data, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			errDecoded, errEncoded := decoded.Apply(ev), encoded.ApplyJSON(data)
			if (errDecoded == nil) != (errEncoded == nil) {
				t.Fatalf("%s: Apply: %v, ApplyJSON: %v", data, errDecoded, errEncoded)
			}
			if errDecoded != nil {
				return
			}
		}
		if !reflect.DeepEqual(decoded.Buckets, encoded.Buckets) || !reflect.DeepEqual(decoded.Orders, encoded.Orders) ||
			!reflect.DeepEqual(decoded.Pickers, encoded.Pickers) || !reflect.DeepEqual(decoded.Carts, encoded.Carts) {
			t.Fatalf("the folds of %s %s differ", typ, payload)
		}
	})
}
