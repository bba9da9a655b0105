package station

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/device"
)

// Store is what the runtime needs from the store: the stations'
// configuration and their print queues.
type Store interface {
	pickwave.StationService
	pickwave.PrintQueue
}

// Runtime runs the pack stations' devices: for each stored station its
// scanner and scale (device.Scanner, device.Scale, each reconnecting by
// itself), and a print worker that sends the station's queued jobs to its
// printer and polls the printer's status. It keeps each station's live
// state and pushes every change to the station's websocket clients
// through one hub.
//
// Set the fields, then call Run, which returns when its context ends or
// Close is called, with every device stopped and every websocket client
// closed. Reload applies a station's stored configuration while running:
// only devices whose configuration changed are stopped and started again.
type Runtime struct {
	// Store keeps the stations and their print queues. Required.
	Store Store
	// Logger receives the runtime's logs; nil means slog.Default().
	Logger *slog.Logger
	// StatusInterval is how often each printer is asked for its status
	// (~HS); 0 means 3 s.
	StatusInterval time.Duration
	// PrintBackoff spaces retries of a job the printer could not take;
	// the zero value means 250 ms doubling to 5 s.
	PrintBackoff device.Backoff
	// DeviceBackoff spaces reconnects of scanners and scales, and the
	// restarts of a worker that panicked; the zero value is the device
	// package's 100 ms doubling to 1 s.
	DeviceBackoff device.Backoff
	// OpenPrinter returns the printer of a station's printer URI; nil
	// means device.OpenPrinter. Tests put a printer that fails in
	// unusual ways here.
	OpenPrinter func(ctx context.Context, uri string) (device.Printer, error)
	// Packing configures the pack flow (pack.go); Store must then also be
	// a PackStore.
	Packing Packing

	reloadMu sync.Mutex // one Reload (or the shutdown) at a time

	mu       sync.Mutex
	log      *slog.Logger
	running  bool
	closed   bool
	ctx      context.Context // Run's, for the devices Reload starts
	cancel   context.CancelFunc
	done     chan struct{} // closed when Run returns
	hub      *hub
	stations map[string]*stationRun
}

// Default intervals.
const (
	defaultStatusInterval = 3 * time.Second
	defaultScalePoll      = 50 * time.Millisecond
	storeTimeout          = 10 * time.Second // recording a print outcome while stopping
)

var errRunning = errors.New("station runtime: Run called twice")

// Run starts every stored station and runs them until ctx ends or Close
// is called. It returns nil then, once every device goroutine and
// websocket client has finished.
func (rt *Runtime) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rt.mu.Lock()
	if rt.running || rt.done != nil {
		rt.mu.Unlock()
		return errRunning
	}
	if rt.closed {
		rt.mu.Unlock()
		return nil
	}
	rt.log = rt.Logger
	if rt.log == nil {
		rt.log = slog.Default()
	}
	rt.running, rt.ctx, rt.cancel, rt.done = true, ctx, cancel, make(chan struct{})
	rt.hub = newHub(rt.log)
	rt.stations = map[string]*stationRun{}
	done := rt.done
	rt.mu.Unlock()
	defer close(done)

	var hubDone sync.WaitGroup
	hubDone.Go(func() { rt.hub.run(ctx) })
	if err := rt.loadAll(ctx); err != nil && ctx.Err() == nil {
		rt.log.Error("station runtime: load stations", "err", err)
	}
	<-ctx.Done()

	rt.reloadMu.Lock()
	rt.mu.Lock()
	rt.running = false
	stations := rt.stations
	rt.mu.Unlock()
	for _, sr := range stations {
		sr.stop()
	}
	rt.reloadMu.Unlock()
	hubDone.Wait()
	return nil
}

// Close stops Run and waits for it to return. It is safe to call more
// than once, and before Run (which then returns at once).
func (rt *Runtime) Close() error {
	rt.mu.Lock()
	rt.closed = true
	cancel, done := rt.cancel, rt.done
	rt.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

// loadAll starts every stored station.
func (rt *Runtime) loadAll(ctx context.Context) error {
	after := ""
	for {
		page, err := rt.Store.Stations(ctx, after, 0)
		if err != nil {
			return err
		}
		for _, st := range page {
			if err := rt.Reload(ctx, st.ID); err != nil {
				return err
			}
		}
		if len(page) == 0 {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// Reload reads the station's configuration from the store and applies
// it: devices whose configuration changed are stopped and started again
// with the new one, the others keep running. It does nothing while the
// runtime is not running. Reloads are serialised and each reads the
// store afresh, so the newest stored configuration always wins.
func (rt *Runtime) Reload(ctx context.Context, id string) error {
	rt.reloadMu.Lock()
	defer rt.reloadMu.Unlock()
	rt.mu.Lock()
	running, runCtx := rt.running, rt.ctx
	sr := rt.stations[id]
	rt.mu.Unlock()
	if !running {
		return nil
	}
	st, err := rt.Store.Station(ctx, id)
	if err != nil {
		return err
	}
	if sr == nil {
		sr = newStationRun(rt, st.ID)
		sr.loadPack(ctx)
		rt.mu.Lock()
		rt.stations[st.ID] = sr
		rt.mu.Unlock()
	}
	sr.apply(runCtx, st)
	return nil
}

// Kick wakes a station's print worker, after a job was queued.
func (rt *Runtime) Kick(id string) {
	if sr := rt.station(id); sr != nil {
		select {
		case sr.kick <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// State returns a station's live state; false when the station is not
// running (unknown, or the runtime is stopped).
func (rt *Runtime) State(id string) (pickwave.StationState, bool) {
	sr := rt.station(id)
	if sr == nil {
		return pickwave.StationState{}, false
	}
	sr.mu.Lock()
	defer sr.mu.Unlock()
	// The device states are replaced, never changed in place, so a copy
	// of the pointers is a consistent snapshot.
	return sr.state, true
}

func (rt *Runtime) station(id string) *stationRun {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if !rt.running {
		return nil
	}
	return rt.stations[id]
}

// stationRun is one running station: its devices, its live state, and
// the sequence of the messages about it.
type stationRun struct {
	rt   *Runtime
	id   string
	log  *slog.Logger
	kick chan struct{} // capacity 1: wakes the print worker

	// Set by apply and stop, which Runtime.reloadMu serialises.
	cfg                     pickwave.Station
	applied                 bool
	scanner, scale, printer *deviceRun

	mu    sync.Mutex // guards state and seq
	state pickwave.StationState
	seq   uint64

	packMu sync.Mutex // one pack step at a time (pack.go)
}

func newStationRun(rt *Runtime, id string) *stationRun {
	return &stationRun{rt: rt, id: id, log: rt.log.With("station", id), kick: make(chan struct{}, 1),
		state: pickwave.StationState{StationID: id}}
}

// deviceRun is one device goroutine and how to stop it: the goroutine's
// owner, which stop cancels and waits for.
type deviceRun struct {
	cancel context.CancelFunc
	done   chan struct{}
	closer io.Closer // closed once the goroutine has ended; may be nil
	log    *slog.Logger
}

// goDevice runs fn in a goroutine that stop ends and waits for. A panic
// in fn is recovered and logged with its stack, as device.Supervisor
// does, and fn runs again after backoff: a bug met by one device (or one
// print job) must neither end the process nor leave the station without
// the device until a restart. fn returns when ctx ends.
func goDevice(ctx context.Context, log *slog.Logger, backoff device.Backoff, fn func(ctx context.Context)) *deviceRun {
	ctx, cancel := context.WithCancel(ctx)
	d := &deviceRun{cancel: cancel, done: make(chan struct{}), log: log}
	go func() {
		defer close(d.done)
		for attempt := 0; ; attempt++ {
			if !panics(log, "station worker panicked; restarting it", func() { fn(ctx) }) {
				return
			}
			if backoff.Wait(ctx, attempt) != nil {
				return
			}
		}
	}()
	return d
}

// panics runs fn and reports whether it panicked, logging the panic
// with its stack.
func panics(log *slog.Logger, msg string, fn func()) (panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			log.Error(msg, "panic", r, "stack", string(debug.Stack()))
			panicked = true
		}
	}()
	fn()
	return false
}

func (d *deviceRun) stop() {
	if d != nil {
		d.cancel()
		<-d.done
		if d.closer != nil {
			if err := d.closer.Close(); err != nil {
				d.log.Warn("close device", "err", err)
			}
		}
	}
}

// same reports whether two optional configurations are equal.
func same[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// apply starts, restarts or stops each device whose configuration
// differs from what runs. Stopping waits for the device's goroutines, and
// their last callbacks take sr.mu, so sr.mu is not held meanwhile.
func (sr *stationRun) apply(ctx context.Context, st *pickwave.Station) {
	first := !sr.applied
	sr.applied = true
	if first || !same(sr.cfg.Scanner, st.Scanner) {
		sr.scanner.stop()
		sr.scanner = nil
		sr.update(func(s *pickwave.StationState) { s.Scanner = nil })
		if st.Scanner != nil {
			sr.scanner = sr.startScanner(ctx, *st.Scanner)
		}
	}
	if first || !same(sr.cfg.Scale, st.Scale) {
		sr.scale.stop()
		sr.scale = nil
		sr.update(func(s *pickwave.StationState) { s.Scale = nil })
		if st.Scale != nil {
			sr.scale = sr.startScale(ctx, *st.Scale)
		}
	}
	if first || !same(sr.cfg.Printer, st.Printer) {
		sr.printer.stop()
		sr.printer = nil
		sr.update(func(s *pickwave.StationState) { s.Printer = nil })
		if st.Printer != nil {
			sr.printer = sr.startPrinter(ctx, *st.Printer)
		}
	}
	sr.cfg = *st
}

// stop stops every device of the station.
func (sr *stationRun) stop() {
	sr.scanner.stop()
	sr.scale.stop()
	sr.printer.stop()
	sr.scanner, sr.scale, sr.printer = nil, nil, nil
}

// initial is a device's state before it first reports: connecting, or
// offline with the reason it cannot even be set up (a bad option).
func (sr *stationRun) initial(dev string, err error) pickwave.DeviceState {
	ds := pickwave.DeviceState{Device: dev, Error: "connecting", Since: time.Now().UTC()}
	if err != nil {
		sr.log.Warn("station device not started", "device", dev, "err", err)
		ds.Error = err.Error()
	}
	return ds
}

func deviceState(st device.State) pickwave.DeviceState {
	ds := pickwave.DeviceState{Device: st.Device, Online: st.Online, Since: st.Since.UTC()}
	switch {
	case st.Err != nil:
		ds.Error = st.Err.Error()
	case !st.Online:
		ds.Error = st.Reason
		if ds.Error == "" {
			ds.Error = "stopped"
		}
	}
	return ds
}

func (sr *stationRun) startScanner(ctx context.Context, c pickwave.ScannerConfig) *deviceRun {
	sc, err := device.NewScanner(device.ScannerConfig{
		Device: c.Port, Transport: c.Transport, Serial: device.SerialMode{Baud: c.Baud},
		Suffix: device.Suffix(c.Suffix), Prefix: c.Prefix, DedupWindow: time.Duration(c.DedupMS) * time.Millisecond,
		Backoff: sr.rt.DeviceBackoff, Logger: sr.log,
		OnScan: sr.onScan,
		OnState: func(st device.State) {
			sr.update(func(s *pickwave.StationState) {
				if s.Scanner != nil {
					next := *s.Scanner
					next.DeviceState = deviceState(st)
					s.Scanner = &next
				}
			})
		},
	})
	ds := sr.initial(c.Port, err)
	sr.update(func(s *pickwave.StationState) { s.Scanner = &pickwave.ScannerState{DeviceState: ds} })
	if err != nil {
		return nil
	}
	return goDevice(ctx, sr.log, sr.rt.DeviceBackoff, func(ctx context.Context) { sc.Run(ctx) })
}

// onScan records a scan and pushes it, then the new state, and hands it
// to the pack flow.
func (sr *stationRun) onScan(scan device.Scan) {
	if sr.recordScan(scan) {
		sr.onPackScan(scan.Data)
	}
}

func (sr *stationRun) recordScan(scan device.Scan) bool {
	rec := &pickwave.StationScan{Data: scan.Data, Symbology: scan.Symbology, Time: scan.Time.UTC()}
	sr.mu.Lock()
	defer sr.mu.Unlock()
	if sr.state.Scanner == nil {
		return false
	}
	sr.seq++
	sr.broadcastLocked(struct {
		Type string                `json:"type"`
		Seq  uint64                `json:"seq"`
		Scan *pickwave.StationScan `json:"scan"`
	}{"scan", sr.seq, rec})
	next := *sr.state.Scanner
	next.LastScan = rec
	sr.state.Scanner = &next
	sr.publishLocked()
	return true
}

// scaleProtocol maps a station's protocol name to the device package's.
func scaleProtocol(p string) string {
	if p == pickwave.ScaleToledo8217 {
		return device.ProtocolToledo
	}
	return p
}

func (sr *stationRun) startScale(ctx context.Context, c pickwave.ScaleConfig) *deviceRun {
	poll := time.Duration(c.PollMS) * time.Millisecond
	if poll == 0 {
		poll = defaultScalePoll
	}
	sc, err := device.NewScale(device.ScaleConfig{
		Device: c.Port, Protocol: scaleProtocol(c.Protocol),
		Serial: device.SerialMode{Baud: c.Baud, DataBits: c.DataBits, Parity: c.Parity, StopBits: c.StopBits},
		Unit:   c.Unit, PollInterval: poll, Stream: c.Stream, Checksum: c.Checksum,
		ASCII:   device.ASCIIConfig{Pattern: c.Pattern},
		Backoff: sr.rt.DeviceBackoff, Logger: sr.log,
		OnReading: sr.onReading,
		OnState: func(st device.State) {
			sr.update(func(s *pickwave.StationState) {
				if s.Scale != nil {
					next := *s.Scale
					next.DeviceState = deviceState(st)
					s.Scale = &next
				}
			})
		},
	})
	ds := sr.initial(c.Port, err)
	sr.update(func(s *pickwave.StationState) { s.Scale = &pickwave.ScaleState{DeviceState: ds, Flags: []string{}} })
	if err != nil {
		return nil
	}
	return goDevice(ctx, sr.log, sr.rt.DeviceBackoff, func(ctx context.Context) { sc.Run(ctx) })
}

// onReading pushes the state when the reading differs from the last one
// in weight, stability or flags: a polled scale repeating itself is quiet.
func (sr *stationRun) onReading(r device.Reading) {
	sr.publishReading(r)
	sr.onPackWeight(r)
}

func (sr *stationRun) publishReading(r device.Reading) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	cur := sr.state.Scale
	if cur == nil {
		return
	}
	next := *cur
	next.WeightG, next.Stable, next.Flags, next.Message = r.Grams, r.Stable(), r.Flags.Names(), r.Message
	if next.WeightG == cur.WeightG && next.Stable == cur.Stable && next.Message == cur.Message && slices.Equal(next.Flags, cur.Flags) {
		return
	}
	sr.state.Scale = &next
	sr.publishLocked()
}

// update changes the state under the lock and pushes it. fn replaces the
// device states it changes and never writes through a published pointer,
// since State hands out copies that share them.
func (sr *stationRun) update(fn func(s *pickwave.StationState)) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	fn(&sr.state)
	sr.publishLocked()
}

// stateMessage is the websocket message carrying a station's state.
type stateMessage struct {
	Type  string                 `json:"type"`
	Seq   uint64                 `json:"seq"`
	State *pickwave.StationState `json:"state"`
}

// publishLocked pushes the current state as the next message.
func (sr *stationRun) publishLocked() {
	sr.seq++
	st := sr.state
	sr.broadcastLocked(stateMessage{Type: "state", Seq: sr.seq, State: &st})
}

// broadcastLocked hands a message to the hub. Holding sr.mu keeps the
// station's messages in sequence order on the hub's channel.
func (sr *stationRun) broadcastLocked(msg any) {
	data, err := json.Marshal(msg)
	if err != nil {
		sr.log.Error("encode station message", "err", err)
		return
	}
	sr.rt.hub.send(message{station: sr.id, seq: sr.seq, data: data})
}

// snapshotLocked returns the current state as a message and its
// sequence number, for a client that has just connected.
func (sr *stationRun) snapshotLocked() (uint64, []byte) {
	st := sr.state
	data, _ := json.Marshal(stateMessage{Type: "state", Seq: sr.seq, State: &st}) // plain data: cannot fail
	return sr.seq, data
}
