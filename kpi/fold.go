package kpi

import (
	"bytes"
	"encoding/json"

	"fmt"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/pickwave/pickwave"
)

// MaxGap is the longest pause between two scans of a picker that counts as
// working time. A longer one is a break (or the end of a shift): the time
// from the previous scan to the scan after the break does not count.
const MaxGap = 5 * time.Minute

// Bucket is the counts of one clock hour or day (UTC). Every field is a
// sum, so buckets add up: a day is the sum of its hours, a range the sum
// of its buckets.
type Bucket struct {
	// PickScans are the scans judged at handhelds; WrongScans those with
	// a verdict other than ok and no_task.
	PickScans  int `json:"pick_scans,omitempty"`
	WrongScans int `json:"wrong_scans,omitempty"`
	// PackScans are the item scans at pack stations, PackMispicks those
	// refused as a wrong or extra item (a mispick caught at pack).
	PackScans    int `json:"pack_scans,omitempty"`
	PackMispicks int `json:"pack_mispicks,omitempty"`
	// Picks are the pick tasks finished, ShortPicks those finished short;
	// Units the units picked, UnitsShort the units reported short.
	Picks      int `json:"picks,omitempty"`
	ShortPicks int `json:"short_picks,omitempty"`
	Units      int `json:"units,omitempty"`
	UnitsShort int `json:"units_short,omitempty"`
	// Picked and Shipped are histograms of order cycle times: received to
	// picked, and received to shipped.
	Picked  Hist `json:"picked,omitempty"`
	Shipped Hist `json:"shipped,omitempty"`
	// ShippedDue are the orders shipped that had a ship_by, and OnTime
	// those of them shipped at or before it.
	ShippedDue int `json:"shipped_due,omitempty"`
	OnTime     int `json:"on_time,omitempty"`
	// WalkM is the planned route of the carts finished, and WalkUnits
	// the units picked on them.
	WalkM     float64 `json:"walk_m,omitempty"`
	WalkUnits int     `json:"walk_units,omitempty"`
	// Pickers and Waves are the work of each picker and on each wave.
	Pickers map[string]*Work `json:"pickers,omitempty"`
	Waves   map[string]*Work `json:"waves,omitempty"`
}

// Work is what one picker did, or what was done on one wave.
type Work struct {
	Picks int `json:"picks,omitempty"`
	Units int `json:"units,omitempty"`
	Scans int `json:"scans,omitempty"`
	// ActiveNS is the working time in nanoseconds: the pauses between
	// consecutive scans of a picker of at most MaxGap.
	ActiveNS int64 `json:"active_ns,omitempty"`
}

func (w *Work) add(o *Work) {
	w.Picks += o.Picks
	w.Units += o.Units
	w.Scans += o.Scans
	w.ActiveNS += o.ActiveNS
}

// Add adds o's counts to b.
func (b *Bucket) Add(o *Bucket) {
	b.PickScans += o.PickScans
	b.WrongScans += o.WrongScans
	b.PackScans += o.PackScans
	b.PackMispicks += o.PackMispicks
	b.Picks += o.Picks
	b.ShortPicks += o.ShortPicks
	b.Units += o.Units
	b.UnitsShort += o.UnitsShort
	b.Picked = b.Picked.merge(o.Picked)
	b.Shipped = b.Shipped.merge(o.Shipped)
	b.ShippedDue += o.ShippedDue
	b.OnTime += o.OnTime
	b.WalkM += o.WalkM
	b.WalkUnits += o.WalkUnits
	b.Pickers = addWork(b.Pickers, o.Pickers)
	b.Waves = addWork(b.Waves, o.Waves)
}

func addWork(into, from map[string]*Work) map[string]*Work {
	if len(from) > 0 && into == nil {
		into = make(map[string]*Work, len(from))
	}
	for k, w := range from {
		if into[k] == nil {
			into[k] = new(Work)
		}
		into[k].add(w)
	}
	return into
}

func (b *Bucket) work(m *map[string]*Work, key string) *Work {
	if *m == nil {
		*m = map[string]*Work{}
	}
	w := (*m)[key]
	if w == nil {
		w = new(Work)
		(*m)[key] = w
	}
	return w
}

// Track is what the fold remembers of an order until it ships or is
// cancelled.
type Track struct {
	Received time.Time `json:"received"`
	ShipBy   time.Time `json:"ship_by,omitzero"`
	Picked   bool      `json:"picked,omitempty"`
}

// PickerTrack is what the fold remembers of a picker: the last scan.
type PickerTrack struct {
	LastScan time.Time `json:"last_scan"`
}

// CartTrack is what the fold remembers of a cart until it is done.
type CartTrack struct {
	Wave  string `json:"wave"`
	Units int    `json:"units,omitempty"`
}

// Period names the bucket a time falls in: its clock hour or its day.
type Period struct {
	Day   bool
	Index int64 // hours or days since the Unix epoch
}

// HourOf and DayOf are the periods t falls in.
func HourOf(t time.Time) Period { return Period{Index: floorDiv(t.Unix(), 3600)} }

// DayOf is the UTC day t falls in.
func DayOf(t time.Time) Period { return Period{Day: true, Index: floorDiv(t.Unix(), 86400)} }

// Start is when the period starts.
func (p Period) Start() time.Time {
	if p.Day {
		return time.Unix(p.Index*86400, 0).UTC()
	}
	return time.Unix(p.Index*3600, 0).UTC()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Loader reads the fold's state as of the last event folded. A missing
// record is nil (or false) with no error.
type Loader interface {
	Bucket(p Period) (*Bucket, error)
	Order(id string) (*Track, error)
	Picker(name string) (*PickerTrack, error)
	Cart(id string) (*CartTrack, error)
}

// Fold adds events to the KPI state. It reads state through its Loader
// once per record and keeps what it changed in its maps, which the
// caller writes back (a nil value: delete the record) with the cursor.
type Fold struct {
	Load    Loader
	Buckets map[Period]*Bucket
	Orders  map[string]*Track
	Pickers map[string]*PickerTrack
	Carts   map[string]*CartTrack
}

// NewFold returns a fold reading through l.
func NewFold(l Loader) *Fold {
	return &Fold{Load: l, Buckets: map[Period]*Bucket{}, Orders: map[string]*Track{},
		Pickers: map[string]*PickerTrack{}, Carts: map[string]*CartTrack{}}
}

func (f *Fold) bucket(p Period) (*Bucket, error) {
	if b, ok := f.Buckets[p]; ok {
		return b, nil
	}
	b, err := f.Load.Bucket(p)
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = new(Bucket)
	}
	f.Buckets[p] = b
	return b, nil
}

func (f *Fold) order(id string) (*Track, error) {
	if t, ok := f.Orders[id]; ok {
		return t, nil
	}
	t, err := f.Load.Order(id)
	f.Orders[id] = t
	return t, err
}

func (f *Fold) picker(name string) (*PickerTrack, error) {
	if t, ok := f.Pickers[name]; ok {
		return t, nil
	}
	t, err := f.Load.Picker(name)
	f.Pickers[name] = t
	return t, err
}

func (f *Fold) cart(id string) (*CartTrack, error) {
	if t, ok := f.Carts[id]; ok {
		return t, nil
	}
	t, err := f.Load.Cart(id)
	f.Carts[id] = t
	return t, err
}

// payload is the union of the event payload fields the fold reads.
type payload struct {
	ID        string    `json:"id"`
	OrderID   string    `json:"order_id"`
	ShipBy    time.Time `json:"ship_by"`
	Picker    string    `json:"picker"`
	Cart      string    `json:"cart"`
	Wave      string    `json:"wave"`
	Code      string    `json:"code"`
	Picked    int       `json:"picked"`
	Short     int       `json:"short"`
	DistanceM float64   `json:"distance_m"`
}

// Counts says whether events of the type change the KPIs; the others are
// skipped without decoding.
func Counts(typ string) bool {
	switch typ {
	case pickwave.EventOrderCreated, pickwave.EventOrderPicked, pickwave.EventOrderShipped, pickwave.EventOrderCancelled,
		pickwave.EventScanJudged, pickwave.EventTaskPicked, pickwave.EventTaskShort,
		pickwave.EventCartAssigned, pickwave.EventCartDone, pickwave.EventPackScanned, pickwave.EventMispickAtPack:
		return true
	}
	return false
}

// WrongScan says whether a handheld verdict code counts as a wrong scan:
// every code but ok, and no_task (nothing was asked for).
func WrongScan(code string) bool { return code != "ok" && code != "no_task" }

// event is what the fold reads of an event: a pickwave.Event with its
// payload decoded as far as the fold needs it.
type event struct {
	Seq     uint64    `json:"seq"`
	Type    string    `json:"type"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Payload payload   `json:"payload"`
}

// Apply adds one event. Events must come in log order, each once.
func (f *Fold) Apply(ev *pickwave.Event) error {
	if !Counts(ev.Type) {
		return nil
	}
	e := event{Seq: ev.Seq, Type: ev.Type, Time: ev.Time, Actor: ev.Actor}
	if len(ev.Payload) > 0 {
		if err := json.Unmarshal(ev.Payload, &e.Payload); err != nil {
			return fmt.Errorf("kpi: event %d (%s): %w", ev.Seq, ev.Type, err)
		}
	}
	return f.apply(&e)
}

// ApplyJSON adds one event in its encoding in the log, as Apply does. It
// decodes the event in one pass, with go-json (a fold reads every event
// of the log, and encoding/json took twice as long: it checks the whole
// value before decoding it), and not at all when its type does not count.
// An event encoded some other way (not the log's field order) takes
// Apply's way.
func (f *Fold) ApplyJSON(data []byte) error {
	typ, ok := logType(data)
	if !ok {
		var ev pickwave.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			return fmt.Errorf("kpi: event %.40q: %w", data, err)
		}
		return f.Apply(&ev)
	}
	if !Counts(typ) {
		return nil
	}
	var e event
	if err := gojson.Unmarshal(data, &e); err != nil {
		return fmt.Errorf("kpi: event %.40q: %w", data, err)
	}
	if !Counts(e.Type) {
		return nil
	}
	return f.apply(&e)
}

// logType reads the type of an event encoded as the log writes one,
// {"seq":N,"type":"T",…}; false for anything else.
func logType(data []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(`{"seq":`))
	if !ok {
		return "", false
	}
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	rest, ok = bytes.CutPrefix(rest[digits:], []byte(`,"type":"`))
	if digits == 0 || !ok {
		return "", false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return "", false
	}
	return string(rest[:end]), true
}

func (f *Fold) apply(ev *event) error {
	p := &ev.Payload
	hour, err := f.bucket(HourOf(ev.Time))
	if err != nil {
		return err
	}
	day, err := f.bucket(DayOf(ev.Time))
	if err != nil {
		return err
	}
	both := func(fn func(b *Bucket)) { fn(hour); fn(day) }
	switch ev.Type {
	case pickwave.EventOrderCreated:
		f.Orders[p.ID] = &Track{Received: ev.Time, ShipBy: p.ShipBy}
	case pickwave.EventOrderPicked:
		t, err := f.order(p.ID)
		if err != nil || t == nil || t.Picked {
			return err // picked again after a voided package: counted once
		}
		t2 := *t
		t2.Picked = true
		f.Orders[p.ID] = &t2
		d := ev.Time.Sub(t.Received)
		both(func(b *Bucket) { b.Picked = b.Picked.add(d) })
	case pickwave.EventOrderShipped:
		id := p.OrderID
		if id == "" {
			id = p.ID
		}
		t, err := f.order(id)
		if err != nil || t == nil {
			return err
		}
		f.Orders[id] = nil
		d := ev.Time.Sub(t.Received)
		due, onTime := !t.ShipBy.IsZero(), !ev.Time.After(t.ShipBy)
		both(func(b *Bucket) {
			b.Shipped = b.Shipped.add(d)
			if due {
				b.ShippedDue++
				if onTime {
					b.OnTime++
				}
			}
		})
	case pickwave.EventOrderCancelled:
		f.Orders[p.ID] = nil
	case pickwave.EventScanJudged:
		picker := orActor(p.Picker, ev)
		prev, err := f.picker(picker)
		if err != nil {
			return err
		}
		var active int64
		if prev != nil {
			if gap := ev.Time.Sub(prev.LastScan); gap > 0 && gap <= MaxGap {
				active = int64(gap)
			}
		}
		f.Pickers[picker] = &PickerTrack{LastScan: ev.Time}
		var wave string
		if p.Cart != "" {
			c, err := f.cart(p.Cart)
			if err != nil {
				return err
			}
			if c != nil {
				wave = c.Wave
			}
		}
		wrong := WrongScan(p.Code)
		both(func(b *Bucket) {
			b.PickScans++
			if wrong {
				b.WrongScans++
			}
			w := b.work(&b.Pickers, picker)
			w.Scans++
			w.ActiveNS += active
			if wave != "" {
				w := b.work(&b.Waves, wave)
				w.Scans++
				w.ActiveNS += active
			}
		})
	case pickwave.EventTaskPicked, pickwave.EventTaskShort:
		picker := orActor(p.Picker, ev)
		short := p.Short > 0 || ev.Type == pickwave.EventTaskShort
		if p.Cart != "" {
			c, err := f.cart(p.Cart)
			if err != nil {
				return err
			}
			if c != nil {
				f.Carts[p.Cart] = &CartTrack{Wave: c.Wave, Units: c.Units + p.Picked}
			}
		}
		both(func(b *Bucket) {
			b.Picks++
			b.Units += p.Picked
			if short {
				b.ShortPicks++
				b.UnitsShort += p.Short
			}
			w := b.work(&b.Pickers, picker)
			w.Picks++
			w.Units += p.Picked
			if p.Wave != "" {
				w := b.work(&b.Waves, p.Wave)
				w.Picks++
				w.Units += p.Picked
			}
		})
	case pickwave.EventCartAssigned:
		c, err := f.cart(p.Cart)
		if err != nil {
			return err
		}
		n := &CartTrack{Wave: p.Wave}
		if c != nil {
			n.Units = c.Units
		}
		f.Carts[p.Cart] = n
	case pickwave.EventCartDone:
		c, err := f.cart(p.Cart)
		if err != nil {
			return err
		}
		units := 0
		if c != nil {
			units = c.Units
		}
		f.Carts[p.Cart] = nil
		both(func(b *Bucket) {
			b.WalkM += p.DistanceM
			b.WalkUnits += units
		})
	case pickwave.EventPackScanned:
		both(func(b *Bucket) { b.PackScans++ })
	case pickwave.EventMispickAtPack:
		both(func(b *Bucket) { b.PackScans++; b.PackMispicks++ })
	}
	return nil
}

func orActor(name string, ev *event) string {
	if name != "" {
		return name
	}
	return ev.Actor
}
