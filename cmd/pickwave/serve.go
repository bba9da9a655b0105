package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/carrier"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/demo/floor"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/station"
	"github.com/pickwave/pickwave/store"
	"github.com/pickwave/pickwave/web"
	"github.com/pickwave/pickwave/webhook"
)

// Main is the running program: the store, the demo devices, the station
// runtime, the webhook dispatcher and the server, opened in order and
// closed in reverse.
type Main struct {
	Config Config
	Logger *slog.Logger

	DB             *store.DB
	StationRuntime *station.Runtime
	Webhooks       *webhook.Dispatcher
	Server         *server.Server

	demo         *demoDevices // --demo's simulated scanner, scale and printer
	demoSite     *demo.Site   // what --demo seeds; nil: demo.DefaultSite (tests seed less)
	stationsDone chan error   // StationRuntime.Run's result
	stopWebhooks context.CancelFunc
	webhooksDone chan error // Webhooks.Run's result
	stopForget   context.CancelFunc
	forgetDone   chan struct{} // closed when retain returns
	backups      *backupSchedule
	stopBackups  context.CancelFunc
	backupsDone  chan struct{} // closed when the backup schedule returns
	stopFloor    context.CancelFunc
	floorDone    chan struct{} // closed when the demo floor returns
	// collectors are more metrics for the server (a node's, with --etcd).
	collectors []prometheus.Collector
	// Floor is the live demo floor, nil without --demo-floor.
	Floor      *floor.Floor
	stopKPIs   context.CancelFunc
	kpisDone   chan struct{} // closed when the KPI follower returns
	stopCounts context.CancelFunc
	countsDone chan struct{} // closed when the count schedule returns
}

// Open opens the store, seeds the demo if asked, and starts serving.
// A node of a replicated site sets DB, its store as leader, first.
func (m *Main) Open(ctx context.Context) error {
	if m.DB == nil {
		db, err := store.Open(m.Config.Data, m.storeOptions())
		if err != nil {
			return err
		}
		m.DB = db
	}
	db := m.DB
	if m.Config.ScanRetention > 0 || m.Config.EventRetention > 0 {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		m.stopForget, m.forgetDone = cancel, make(chan struct{})
		go func() {
			defer close(m.forgetDone)
			m.retain(fctx, time.Hour)
		}()
	}
	// The KPIs follow the event log from their cursor: a store with a
	// history folds it in the background after an upgrade.
	kctx, stopKPIs := context.WithCancel(context.WithoutCancel(ctx))
	m.stopKPIs, m.kpisDone = stopKPIs, make(chan struct{})
	go func() {
		defer close(m.kpisDone)
		db.FollowKPIs(kctx)
	}()
	if m.Config.Counts.MaxPerRun > 0 {
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		m.stopCounts, m.countsDone = cancel, make(chan struct{})
		go func() {
			defer close(m.countsDone)
			m.scheduleCounts(cctx, time.Duration(m.Config.Counts.RunEvery))
		}()
	}
	if m.Config.BackupDir != "" {
		if err := os.MkdirAll(m.Config.BackupDir, 0o700); err != nil {
			return fmt.Errorf("backup directory: %w", err)
		}
		m.backups = newBackupSchedule(db, m.Config, m.Logger)
		bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		m.stopBackups, m.backupsDone = cancel, make(chan struct{})
		go func() {
			defer close(m.backupsDone)
			m.backups.Run(bctx)
		}()
	}
	if m.Config.Demo {
		seeded, err := m.seedDemo(ctx)
		if err != nil {
			return err
		}
		if err := m.attachDemoDevices(ctx, seeded); err != nil {
			return err
		}
	}
	// The runtime stops in Close, after the server, not when ctx ends.
	packing, err := m.packing()
	if err != nil {
		return err
	}
	m.StationRuntime = &station.Runtime{Store: db, Logger: m.Logger, Packing: packing}
	m.stationsDone = make(chan error, 1)
	go func() { m.stationsDone <- m.StationRuntime.Run(context.WithoutCancel(ctx)) }()
	// The dispatcher, too, stops in Close: deliveries go on while the
	// server drains its requests.
	wc := m.Config.Webhooks
	metrics := webhook.NewMetrics()
	m.Webhooks = &webhook.Dispatcher{Outbox: db, MaxAttempts: wc.MaxAttempts,
		BackoffMin: time.Duration(wc.BackoffMin), BackoffMax: time.Duration(wc.BackoffMax),
		Timeout: time.Duration(wc.Timeout), Workers: wc.Workers, Retention: time.Duration(wc.Retention),
		Metrics: metrics, Logger: m.Logger}
	wctx, stopWebhooks := context.WithCancel(context.WithoutCancel(ctx))
	m.stopWebhooks, m.webhooksDone = stopWebhooks, make(chan error, 1)
	go func() { m.webhooksDone <- m.Webhooks.Run(wctx) }()
	m.Server = &server.Server{
		Inventory: db, Orders: db, Events: db, Users: db, Waves: db, Planner: db, Picks: db, Inbound: db, Work: db,
		Stations: db, PrintQueue: db, StationRuntime: m.StationRuntime, Pack: m.StationRuntime, Shipments: db, Backups: db,
		Webhooks: db, KPIs: db, Changes: db, Collectors: []prometheus.Collector{metrics},
		Logger: m.Logger, Web: web.Handler(m.Config.Peers...), WriteStats: db.WriteStats, Peers: m.Config.Peers,
		MaxConns: m.Config.MaxConns, MaxConnsPerAddr: m.Config.MaxConnsPerAddr,
		ReadTimeout: time.Duration(m.Config.ReadTimeout), HandheldLoginWait: time.Duration(m.Config.HandheldLoginWait),
		MaxInFlight: m.Config.MaxInFlight,
		APIRate:     m.Config.APIRate,
		APIBurst:    m.Config.APIBurst,
	}
	if m.Server.TLS, err = serverTLS(m.Config, m.Logger); err != nil {
		return err
	}
	if m.backups != nil {
		m.Server.Collectors = append(m.Server.Collectors, m.backups.collectors()...)
	}
	m.Server.Collectors = append(m.Server.Collectors, m.collectors...)
	if err := m.Server.Open(m.Config.Addr); err != nil {
		return err
	}
	m.Logger.Info("pickwave serving", "addr", m.Server.URL(), "data", db.Path(), "demo", m.Config.Demo)
	if m.Config.DemoFloor.Enabled {
		return m.startFloor(ctx)
	}
	return nil
}

// storeOptions are the store's options from the configuration.
func (m *Main) storeOptions() store.Options {
	return store.Options{Logger: m.Logger, BadgeRoles: m.Config.BadgeRoles,
		MaxPendingWrites: m.Config.MaxPendingWrites, MaxWriteWait: time.Duration(m.Config.MaxWriteWait),
		CountTolerance: m.Config.Counts.Tolerance}
}

// startFloor runs the live demo floor against the server just opened,
// over loopback, until Close.
func (m *Main) startFloor(ctx context.Context) error {
	if m.Server.TLS != nil {
		return errors.New("--demo-floor runs over plain HTTP: serve the demo without --tls-*")
	}
	host, port, err := net.SplitHostPort(m.Server.Addr())
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	cfg := floor.Config{
		URL: "http://" + net.JoinHostPort(host, port),
		// The floor's people get tokens as `pickwave token` mints them.
		Tokens: func(ctx context.Context, user string, role pickwave.Role) (string, error) {
			return m.DB.MintToken(pickwave.WithActor(ctx, "demo-floor"), user, role, 30*24*time.Hour)
		},
		Pickers: m.Config.DemoFloor.Pickers, Speed: m.Config.DemoFloor.Speed,
		OrderEvery: time.Duration(m.Config.DemoFloor.OrderEvery), Logger: m.Logger,
	}
	if m.demo != nil && m.demo.benches[floorStation] != nil {
		cfg.Station, cfg.Scale = floorStation, m.demo.benches[floorStation].scale
	}
	f, err := floor.New(cfg)
	if err != nil {
		return err
	}
	m.Floor = f
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.stopFloor, m.floorDone = cancel, make(chan struct{})
	go func() {
		defer close(m.floorDone)
		if err := f.Run(fctx); err != nil {
			m.Logger.Error("demo floor did not start", "err", err)
		}
	}()
	return nil
}

// packing builds the station runtime's pack configuration.
func (m *Main) packing() (station.Packing, error) {
	c := m.Config.Packing
	p := station.Packing{ShipFrom: c.ShipFrom, GS1Prefix: c.GS1Prefix, SSCCExtension: byte(c.SSCCExtension),
		Rules: pickwave.PackRules{Cartons: c.Cartons,
			Tolerance: pickwave.WeightTolerance{Percent: c.TolerancePercent, Grams: c.ToleranceGrams}}}
	switch c.Carrier {
	case "http":
		p.Carrier = &carrier.HTTP{Name: cmp.Or(c.CarrierName, "http"), Endpoint: c.CarrierURL, Token: c.CarrierToken}
		p.Service = c.Service
	default:
		name := cmp.Or(c.CarrierName, "local")
		p.Carrier = &carrier.Local{Name: name, Service: c.Service, Country: c.Country, TrackingURL: c.TrackingURL,
			Serials: carrier.SerialsFunc(func(ctx context.Context) (uint64, error) { return m.DB.NextTrackingSerial(ctx, name) })}
	}
	return p, nil
}

// seedDemo seeds the demo warehouse into empty data and reports whether
// it did.
func (m *Main) seedDemo(ctx context.Context) (bool, error) {
	last, err := m.DB.LastSeq(ctx)
	if err != nil {
		return false, err
	}
	if last > 0 {
		m.Logger.Info("demo: data is not empty, not seeding")
		return false, nil
	}
	start := time.Now()
	site := demo.DefaultSite(start)
	if m.demoSite != nil {
		site = *m.demoSite
	}
	if err := demo.Seed(ctx, m.DB, site); err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	m.Logger.Info("demo warehouse seeded", "took", time.Since(start).Round(time.Millisecond),
		"users", len(demo.Users), "password", demo.Password)
	// The pickers' badges are random, so they are said once here; an
	// admin finds them later in GET /api/v1/users.
	users, err := m.DB.Users(ctx)
	if err != nil {
		return true, fmt.Errorf("list demo users: %w", err)
	}
	for _, u := range users {
		if u.Badge != "" {
			m.Logger.Info("demo badge", "user", u.Name, "role", u.Role, "badge", u.Badge)
		}
	}
	return true, nil
}

// Close stops the server, letting in-flight requests finish within the
// shutdown timeout, then the stations (their devices and websocket
// clients), the webhook dispatcher and the demo devices, then closes the
// store.
func (m *Main) Close() error {
	var first error
	if m.stopFloor != nil {
		// The floor's people go home first: the server still answers
		// them as they leave.
		m.stopFloor()
		<-m.floorDone
	}
	if m.Server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(m.Config.ShutdownTimeout))
		defer cancel()
		if err := m.Server.Close(ctx); err != nil {
			first = err
		}
	}
	if m.StationRuntime != nil {
		m.StationRuntime.Close()
		if err := <-m.stationsDone; err != nil && first == nil {
			first = err
		}
	}
	if m.stopWebhooks != nil {
		// Attempts in flight are cancelled and sent again after the
		// restart; outcomes already known are recorded first.
		m.stopWebhooks()
		if err := <-m.webhooksDone; err != nil && first == nil {
			first = err
		}
	}
	if m.demo != nil {
		if err := m.demo.Close(); err != nil && first == nil {
			first = err
		}
	}
	if m.stopForget != nil {
		m.stopForget()
		<-m.forgetDone
	}
	if m.stopBackups != nil {
		m.stopBackups()
		<-m.backupsDone
	}
	if m.stopKPIs != nil {
		m.stopKPIs()
		<-m.kpisDone
	}
	if m.stopCounts != nil {
		m.stopCounts()
		<-m.countsDone
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	setGCPercent(cfg, logger)
	m := &Main{Config: cfg, Logger: logger}
	if len(cfg.HA.Etcd) > 0 {
		if err := m.serveNode(ctx); err != nil {
			return err
		}
		logger.Info("stopped cleanly")
		return nil
	}
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	logger.Info("shutting down")
	if err := m.Close(); err != nil {
		return err
	}
	logger.Info("stopped cleanly")
	return nil
}
