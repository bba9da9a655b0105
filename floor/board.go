// Package floor is the supervisor's live floor: the messages of the
// /ws/floor websocket and the Board they describe, folded from the event
// log, the pack stations' live state and the handhelds' connections.
//
// The Board is pure: events, station states and presence go in with the
// time they are seen at, and each call says what changed, which the
// server's floor hub numbers and sends (docs/floor.md). It keeps only
// what a screen shows: the waves being picked and those finished in the
// last hour, the pickers seen in the last shift, the last exceptions; so
// it stays small however long the server runs.
package floor

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/pickwave/pickwave"
)

// Limits of the Board.
const (
	// PaceWindow is the trailing time a picker's pace is measured over.
	PaceWindow = time.Hour
	// MaxGap is the longest pause between scans that counts as working
	// time, as in the KPIs (docs/kpis.md).
	MaxGap = 5 * time.Minute
	// KeepExceptions is how many exceptions a snapshot carries.
	KeepExceptions = 50
	// KeepDone is how long a finished wave stays on the board.
	KeepDone = time.Hour
	// KeepPicker is how long a picker with no cart and no scan stays.
	KeepPicker = 12 * time.Hour
	// OfflineAfter is how long a handheld with a cart may be away before
	// it is an exception: a Wi-Fi dead spot is shorter.
	OfflineAfter = 30 * time.Second
	// maxPaceSamples bounds the scans a picker's pace remembers.
	maxPaceSamples = 2000
)

// Wave is one wave on the board.
type Wave struct {
	ID       string                `json:"id"`
	Status   pickwave.WaveStatus   `json:"status"`
	Progress pickwave.WaveProgress `json:"progress"`
	// Pickers are the pickers on its carts now.
	Pickers []string `json:"pickers"`
	// PicksPerHour is their pace together; ETA when the open tasks are
	// done at that pace (absent without a pace or without open tasks).
	PicksPerHour float64    `json:"picks_per_hour"`
	ETA          *time.Time `json:"eta,omitempty"`
	Updated      time.Time  `json:"updated"`
}

// Picker is one picker on the board.
type Picker struct {
	Name string `json:"name"`
	Cart string `json:"cart,omitempty"`
	Wave string `json:"wave,omitempty"`
	// Online says whether the picker's handheld is connected; Since when
	// that last changed (zero when unknown).
	Online bool       `json:"online"`
	Since  *time.Time `json:"since,omitempty"`
	// Picks and Units in the last PaceWindow, and the pace: picks per
	// hour of working time in that window.
	Picks        int       `json:"picks"`
	Units        int       `json:"units"`
	PicksPerHour float64   `json:"picks_per_hour"`
	LastScan     time.Time `json:"last_scan,omitzero"`
	WrongScans   int       `json:"wrong_scans"`
}

// Exception kinds.
const (
	ExWrongScan      = "wrong_scan"
	ExShort          = "short"
	ExMispick        = "mispick_at_pack"
	ExWeightBlocked  = "weight_blocked"
	ExPrinterError   = "printer_error"
	ExDeviceOffline  = "device_offline"
	ExHandheldAway   = "handheld_offline"
	ExHandheldReturn = "handheld_online"
	ExDeviceOnline   = "device_online"
)

// Exception is something on the floor that wants a person's eye.
type Exception struct {
	Kind    string    `json:"kind"`
	Time    time.Time `json:"time"`
	Picker  string    `json:"picker,omitempty"`
	Station string    `json:"station,omitempty"`
	Wave    string    `json:"wave,omitempty"`
	Cart    string    `json:"cart,omitempty"`
	Order   string    `json:"order,omitempty"`
	Code    string    `json:"code,omitempty"`
	Message string    `json:"message"`
	// EventSeq is the event it comes from; absent for device changes.
	EventSeq uint64 `json:"event_seq,omitempty"`
}

// Device is one device of a station.
type Device struct {
	Kind   string `json:"kind"` // scanner, scale, printer
	Online bool   `json:"online"`
	State  string `json:"state,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Station is one pack station's device health.
type Station struct {
	ID      string   `json:"id"`
	Devices []Device `json:"devices"`
	Queued  int      `json:"queued"`
	Packer  string   `json:"packer,omitempty"`
	Healthy bool     `json:"healthy"`
}

// Snapshot is the whole board.
type Snapshot struct {
	Time       time.Time   `json:"time"`
	Waves      []Wave      `json:"waves"`
	Pickers    []Picker    `json:"pickers"`
	Stations   []Station   `json:"stations"`
	Exceptions []Exception `json:"exceptions"`
}

// Changes are what one call changed, to send as messages.
type Changes struct {
	Waves      []Wave
	Pickers    []Picker
	Stations   []Station
	Exceptions []Exception
}

// Empty says whether nothing changed.
func (c *Changes) Empty() bool {
	return len(c.Waves)+len(c.Pickers)+len(c.Stations)+len(c.Exceptions) == 0
}

type pickerState struct {
	Picker
	scans []time.Time // scan times in the pace window
	picks []pickSample
	seen  time.Time
	away  bool // a handheld_offline exception was raised and not yet answered
}

type pickSample struct {
	at    time.Time
	units int
}

// Board is the floor's state. It is not safe for concurrent use: the
// floor hub owns it.
type Board struct {
	waves      map[string]*Wave
	pickers    map[string]*pickerState
	carts      map[string]string // cart → wave, for carts being picked
	stations   map[string]*Station
	exceptions []Exception // oldest first, at most KeepExceptions
}

// NewBoard returns an empty board.
func NewBoard() *Board {
	return &Board{waves: map[string]*Wave{}, pickers: map[string]*pickerState{}, carts: map[string]string{}, stations: map[string]*Station{}}
}

// SetWave puts a wave on the board as the store has it (at start, to
// know the waves released before the events the board folds).
func (b *Board) SetWave(w *pickwave.Wave, now time.Time) {
	switch w.Status {
	case pickwave.WaveReleased:
		b.waves[w.ID] = &Wave{ID: w.ID, Status: w.Status, Progress: w.Progress, Pickers: []string{}, Updated: now}
	}
}

// payload is the union of the event payload fields the board reads.
type payload struct {
	ID        string                 `json:"id"`
	Status    pickwave.WaveStatus    `json:"status"`
	Progress  *pickwave.WaveProgress `json:"progress"`
	Picker    string                 `json:"picker"`
	Cart      string                 `json:"cart"`
	Wave      string                 `json:"wave"`
	Order     string                 `json:"order"`
	OrderID   string                 `json:"order_id"`
	Code      string                 `json:"code"`
	Step      string                 `json:"step"`
	SKU       string                 `json:"sku"`
	Location  string                 `json:"location"`
	Qty       int                    `json:"qty"`
	Picked    int                    `json:"picked"`
	Short     int                    `json:"short"`
	StationID string                 `json:"station_id"`
	Message   string                 `json:"message"`
	LastError string                 `json:"last_error"`
	Data      string                 `json:"data"`
}

func (b *Board) picker(name string, now time.Time) *pickerState {
	p := b.pickers[name]
	if p == nil {
		p = &pickerState{Picker: Picker{Name: name}}
		b.pickers[name] = p
	}
	p.seen = now
	return p
}

func (b *Board) exception(c *Changes, e Exception) {
	b.exceptions = append(b.exceptions, e)
	if len(b.exceptions) > KeepExceptions {
		b.exceptions = slices.Delete(b.exceptions, 0, len(b.exceptions)-KeepExceptions)
	}
	c.Exceptions = append(c.Exceptions, e)
}

// Apply folds one logged event into the board.
func (b *Board) Apply(ev *pickwave.Event, now time.Time, c *Changes) error {
	switch ev.Type {
	case pickwave.EventWaveReleased, pickwave.EventWaveCompleted, pickwave.EventWaveCancelled,
		pickwave.EventCartAssigned, pickwave.EventCartUnassigned, pickwave.EventCartCancelled,
		pickwave.EventCartDone, pickwave.EventScanJudged,
		pickwave.EventTaskPicked, pickwave.EventTaskShort, pickwave.EventWeightBlocked,
		pickwave.EventPrintFailed, pickwave.EventMispickAtPack:
	default:
		return nil
	}
	var p payload
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		return fmt.Errorf("floor: event %d (%s): %w", ev.Seq, ev.Type, err)
	}
	changedWave := map[string]bool{}
	changedPicker := map[string]bool{}
	switch ev.Type {
	case pickwave.EventWaveReleased, pickwave.EventWaveCompleted, pickwave.EventWaveCancelled:
		w := b.waves[p.ID]
		if w == nil {
			w = &Wave{ID: p.ID, Pickers: []string{}}
			b.waves[p.ID] = w
		}
		w.Status = p.Status
		if p.Progress != nil {
			w.Progress = *p.Progress
		}
		changedWave[p.ID] = true
	case pickwave.EventCartAssigned:
		// A cart given to another picker leaves the one who had it.
		b.leaveCart(p.Cart, p.Wave, p.Picker, changedPicker, changedWave)
		b.carts[p.Cart] = p.Wave
		pk := b.picker(p.Picker, now)
		pk.Cart, pk.Wave = p.Cart, p.Wave
		changedPicker[p.Picker] = true
		changedWave[p.Wave] = true
	case pickwave.EventCartUnassigned:
		// Taken off its picker: the cart waits, still in its wave.
		b.leaveCart(p.Cart, p.Wave, "", changedPicker, changedWave)
	case pickwave.EventCartCancelled:
		delete(b.carts, p.Cart)
		b.leaveCart(p.Cart, p.Wave, "", changedPicker, changedWave)
	case pickwave.EventCartDone:
		delete(b.carts, p.Cart)
		if w := b.waves[p.Wave]; w != nil {
			w.Progress.CartsDone++
		}
		if pk := b.pickers[p.Picker]; pk != nil && pk.Cart == p.Cart {
			pk.Cart, pk.Wave = "", ""
			changedPicker[p.Picker] = true
		}
		changedWave[p.Wave] = true
	case pickwave.EventScanJudged:
		name := p.Picker
		if name == "" {
			name = ev.Actor
		}
		pk := b.picker(name, now)
		pk.scans = append(pk.scans, ev.Time)
		if len(pk.scans) > maxPaceSamples {
			pk.scans = pk.scans[len(pk.scans)-maxPaceSamples:]
		}
		pk.LastScan = ev.Time
		if p.Cart != "" && pk.Cart != p.Cart {
			pk.Cart, pk.Wave = p.Cart, b.carts[p.Cart]
		}
		changedPicker[name] = true
		if p.Code != "ok" && p.Code != "no_task" {
			pk.WrongScans++
			b.exception(c, Exception{Kind: ExWrongScan, Time: ev.Time, Picker: name, Cart: p.Cart, Wave: pk.Wave, Code: p.Code,
				Message: fmt.Sprintf("%s: %s at the %s step.", name, codeText(p.Code), p.Step), EventSeq: ev.Seq})
		}
	case pickwave.EventTaskPicked, pickwave.EventTaskShort:
		if w := b.waves[p.Wave]; w != nil {
			w.Progress.TasksDone++
			w.Progress.UnitsPicked += p.Picked
			w.Progress.UnitsShort += p.Short
			changedWave[p.Wave] = true
		}
		name := p.Picker
		if name == "" {
			name = ev.Actor
		}
		pk := b.picker(name, now)
		pk.picks = append(pk.picks, pickSample{at: ev.Time, units: p.Picked})
		if len(pk.picks) > maxPaceSamples {
			pk.picks = pk.picks[len(pk.picks)-maxPaceSamples:]
		}
		changedPicker[name] = true
		if p.Short > 0 {
			b.exception(c, Exception{Kind: ExShort, Time: ev.Time, Picker: name, Cart: p.Cart, Wave: p.Wave, Order: p.Order,
				Message: fmt.Sprintf("%s short: %d of %d × %s at %s.", name, p.Short, p.Qty, p.SKU, p.Location), EventSeq: ev.Seq})
		}
	case pickwave.EventWeightBlocked:
		b.exception(c, Exception{Kind: ExWeightBlocked, Time: ev.Time, Station: p.StationID, Order: p.OrderID,
			Message: orText(p.Message, fmt.Sprintf("Station %s: a package's weight is outside the tolerance.", p.StationID)), EventSeq: ev.Seq})
	case pickwave.EventPrintFailed:
		b.exception(c, Exception{Kind: ExPrinterError, Time: ev.Time, Station: p.StationID,
			Message: fmt.Sprintf("Station %s: print job %s failed: %s", p.StationID, p.ID, orText(p.LastError, "held for a person")), EventSeq: ev.Seq})
	case pickwave.EventMispickAtPack:
		b.exception(c, Exception{Kind: ExMispick, Time: ev.Time, Station: p.StationID, Order: p.OrderID, Code: p.SKU,
			Message: orText(p.Message, fmt.Sprintf("Station %s: a wrong item for order %s.", p.StationID, p.OrderID)), EventSeq: ev.Seq})
	}
	b.refresh(now)
	for id := range changedWave {
		if w := b.waves[id]; w != nil {
			w.Updated = now
			c.Waves = append(c.Waves, *w)
		}
	}
	for name := range changedPicker {
		if pk := b.pickers[name]; pk != nil {
			c.Pickers = append(c.Pickers, pk.Picker)
		}
	}
	sortChanges(c)
	return nil
}

// leaveCart takes cart off every picker on it but keep: the picker row
// says no cart, and the wave no longer counts that picker's pace.
func (b *Board) leaveCart(cart, wave, keep string, pickers, waves map[string]bool) {
	for name, pk := range b.pickers {
		if name != keep && pk.Cart == cart {
			pk.Cart, pk.Wave = "", ""
			pickers[name] = true
			waves[wave] = true
		}
	}
}

func orText(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

func codeText(code string) string {
	switch code {
	case "wrong_location":
		return "wrong location"
	case "wrong_item":
		return "wrong item"
	case "wrong_tote":
		return "wrong tote"
	case "unknown_barcode":
		return "unknown barcode"
	case "over_pick":
		return "over pick"
	case "bad_barcode":
		return "unreadable barcode"
	}
	return code
}

// refresh recomputes every picker's pace and every wave's pickers, pace
// and ETA at now.
func (b *Board) refresh(now time.Time) {
	from := now.Add(-PaceWindow)
	for _, pk := range b.pickers {
		i := 0
		for i < len(pk.scans) && pk.scans[i].Before(from) {
			i++
		}
		pk.scans = pk.scans[i:]
		i = 0
		for i < len(pk.picks) && pk.picks[i].at.Before(from) {
			i++
		}
		pk.picks = pk.picks[i:]
		var active time.Duration
		for j := 1; j < len(pk.scans); j++ {
			if g := pk.scans[j].Sub(pk.scans[j-1]); g > 0 && g <= MaxGap {
				active += g
			}
		}
		pk.Picks, pk.Units = len(pk.picks), 0
		for _, s := range pk.picks {
			pk.Units += s.units
		}
		pk.PicksPerHour = 0
		if active > 0 {
			pk.PicksPerHour = roundTo(float64(pk.Picks)/active.Hours(), 10)
		}
	}
	for _, w := range b.waves {
		w.Pickers = w.Pickers[:0]
		pace := 0.0
		for _, pk := range b.pickers {
			if pk.Wave == w.ID && pk.Cart != "" {
				w.Pickers = append(w.Pickers, pk.Name)
				pace += pk.PicksPerHour
			}
		}
		slices.Sort(w.Pickers)
		w.PicksPerHour = roundTo(pace, 10)
		w.ETA = nil
		if left := w.Progress.Tasks - w.Progress.TasksDone; left > 0 && pace > 0 &&
			w.Status == pickwave.WaveReleased {
			eta := now.Add(time.Duration(float64(left) / pace * float64(time.Hour))).Truncate(time.Second)
			w.ETA = &eta
		}
	}
}

func roundTo(v, scale float64) float64 { return float64(int64(v*scale+0.5)) / scale }

// Tick moves the board to now: paces decay as the window slides, ETAs
// move, finished waves and idle pickers leave. It reports the waves and
// pickers whose figures changed.
func (b *Board) Tick(now time.Time, c *Changes) {
	before := map[string]Wave{}
	for id, w := range b.waves {
		before[id] = *w
	}
	pbefore := map[string]Picker{}
	for n, p := range b.pickers {
		pbefore[n] = p.Picker
	}
	b.refresh(now)
	for id, w := range b.waves {
		if (w.Status == pickwave.WaveCompleted || w.Status == pickwave.WaveCancelled) && now.Sub(w.Updated) > KeepDone {
			delete(b.waves, id)
			continue
		}
		o := before[id]
		if o.PicksPerHour != w.PicksPerHour || !sameETA(o.ETA, w.ETA) || !slices.Equal(o.Pickers, w.Pickers) {
			c.Waves = append(c.Waves, *w)
		}
	}
	for n, p := range b.pickers {
		if p.Cart == "" && now.Sub(p.seen) > KeepPicker && now.Sub(p.LastScan) > KeepPicker {
			delete(b.pickers, n)
			continue
		}
		o := pbefore[n]
		if o.PicksPerHour != p.PicksPerHour || o.Picks != p.Picks {
			c.Pickers = append(c.Pickers, p.Picker)
		}
	}
	sortChanges(c)
}

// sameETA compares ETAs to the minute: a screen need not hear of less.
func sameETA(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Truncate(time.Minute).Equal(b.Truncate(time.Minute))
}

// Presence is a picker's handheld connection: Online, or away since
// Since.
type Presence struct {
	Online bool
	Since  time.Time
}

// SetPresence updates the pickers' handheld connections: every picker
// with a handheld session, connected or not. A picker with a cart whose
// handheld has been away for OfflineAfter is an exception, once, and its
// return another.
func (b *Board) SetPresence(pres map[string]Presence, now time.Time, c *Changes) {
	for name, pr := range pres {
		pk := b.pickers[name]
		if pk == nil {
			pk = b.picker(name, now)
			pk.Online = pr.Online
			since := pr.Since
			pk.Since = &since
			c.Pickers = append(c.Pickers, pk.Picker)
			continue
		}
		// A handheld away for less than OfflineAfter is in a Wi-Fi dead
		// spot and still counts as online.
		away := !pr.Online && now.Sub(pr.Since) >= OfflineAfter
		switch {
		case pr.Online && !pk.Online:
			pk.Online, pk.Since = true, &now
			if pk.away {
				pk.away = false
				b.exception(c, Exception{Kind: ExHandheldReturn, Time: now, Picker: name, Cart: pk.Cart, Wave: pk.Wave,
					Message: fmt.Sprintf("%s's handheld is back online.", name)})
			}
			c.Pickers = append(c.Pickers, pk.Picker)
		case away && pk.Online:
			since := pr.Since
			pk.Online, pk.Since = false, &since
			if pk.Cart != "" {
				pk.away = true
				b.exception(c, Exception{Kind: ExHandheldAway, Time: now, Picker: name, Cart: pk.Cart, Wave: pk.Wave,
					Message: fmt.Sprintf("%s's handheld has been offline since %s, with cart %s.", name, since.Format("15:04:05"), pk.Cart)})
			}
			c.Pickers = append(c.Pickers, pk.Picker)
		}
	}
	for name, pk := range b.pickers {
		if _, ok := pres[name]; !ok && pk.Online {
			pk.Online, pk.Since = false, &now
			c.Pickers = append(c.Pickers, pk.Picker)
		}
	}
	sortChanges(c)
}

// SetStations updates the stations' device health from their live state;
// a device going offline (or a printer with problems) is an exception.
func (b *Board) SetStations(states []pickwave.StationState, now time.Time, c *Changes) {
	for _, st := range states {
		n := Station{ID: st.StationID, Devices: []Device{}, Healthy: true}
		add := func(kind string, online bool, state, errText string) {
			n.Devices = append(n.Devices, Device{Kind: kind, Online: online, State: state, Error: errText})
			if !online {
				n.Healthy = false
			}
		}
		if s := st.Scanner; s != nil {
			add("scanner", s.Online, "", s.Error)
		}
		if s := st.Scale; s != nil {
			add("scale", s.Online, "", s.Error)
		}
		if p := st.Printer; p != nil {
			add("printer", p.Online && p.Ready, p.State, p.Error)
			n.Queued = p.Queued
		}
		if st.Pack != nil {
			n.Packer = st.Pack.Packer
		}
		old := b.stations[n.ID]
		if old != nil && equalStation(old, &n) {
			continue
		}
		for _, d := range n.Devices {
			was := old != nil && deviceOnline(old, d.Kind)
			if old == nil || was != d.Online {
				if d.Online && old != nil {
					b.exception(c, Exception{Kind: ExDeviceOnline, Time: now, Station: n.ID,
						Message: fmt.Sprintf("Station %s: the %s is back.", n.ID, d.Kind)})
				} else if !d.Online {
					kind := ExDeviceOffline
					if d.Kind == "printer" && d.State != "offline" && d.State != "" {
						kind = ExPrinterError
					}
					b.exception(c, Exception{Kind: kind, Time: now, Station: n.ID,
						Message: fmt.Sprintf("Station %s: the %s is %s.", n.ID, d.Kind, orText(orText(d.Error, d.State), "offline"))})
				}
			}
		}
		b.stations[n.ID] = &n
		c.Stations = append(c.Stations, n)
	}
	sortChanges(c)
}

func deviceOnline(s *Station, kind string) bool {
	for _, d := range s.Devices {
		if d.Kind == kind {
			return d.Online
		}
	}
	return false
}

func equalStation(a, b *Station) bool {
	return a.ID == b.ID && a.Queued == b.Queued && a.Packer == b.Packer && a.Healthy == b.Healthy && slices.Equal(a.Devices, b.Devices)
}

// sortChanges orders the changes by id and keeps the latest of each.
func sortChanges(c *Changes) {
	c.Waves = latest(c.Waves, func(w Wave) string { return w.ID })
	c.Pickers = latest(c.Pickers, func(p Picker) string { return p.Name })
	c.Stations = latest(c.Stations, func(s Station) string { return s.ID })
}

func latest[T any](list []T, key func(T) string) []T {
	if len(list) < 2 {
		return list
	}
	last := map[string]int{}
	for i, v := range list {
		last[key(v)] = i
	}
	out := list[:0:0]
	for i, v := range list {
		if last[key(v)] == i {
			out = append(out, v)
		}
	}
	slices.SortStableFunc(out, func(a, b T) int { return cmpString(key(a), key(b)) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Snapshot is the whole board at now.
func (b *Board) Snapshot(now time.Time) Snapshot {
	s := Snapshot{Time: now, Waves: []Wave{}, Pickers: []Picker{}, Stations: []Station{}, Exceptions: slices.Clone(b.exceptions)}
	if s.Exceptions == nil {
		s.Exceptions = []Exception{}
	}
	for _, w := range b.waves {
		s.Waves = append(s.Waves, *w)
	}
	for _, p := range b.pickers {
		s.Pickers = append(s.Pickers, p.Picker)
	}
	for _, st := range b.stations {
		s.Stations = append(s.Stations, *st)
	}
	slices.SortFunc(s.Waves, func(a, b Wave) int { return cmpString(a.ID, b.ID) })
	slices.SortFunc(s.Pickers, func(a, b Picker) int { return cmpString(a.Name, b.Name) })
	slices.SortFunc(s.Stations, func(a, b Station) int { return cmpString(a.ID, b.ID) })
	return s
}
