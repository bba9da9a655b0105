package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pickwave/pickwave"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// Server serves Pickwave's HTTP API and web UI. Set the services, then
// call Open; Close shuts it down. Handler serves without listening, for
// tests with httptest.
type Server struct {
	Inventory pickwave.InventoryService
	Orders    pickwave.OrderService
	Events    pickwave.EventService
	Users     pickwave.UserService
	Waves     pickwave.WaveService
	Planner   pickwave.PlanService
	Picks     pickwave.PickService
	// Inbound takes inbound notices and Work runs receiving, putaway,
	// counts, replenishment and moves on handhelds; nil leaves their
	// routes and messages unavailable.
	Inbound pickwave.InboundService
	Work    pickwave.WorkService
	// Stations and PrintQueue keep pack stations and their print jobs;
	// StationRuntime runs their devices (a *station.Runtime). Nil leaves
	// the station routes unavailable.
	Stations       pickwave.StationService
	PrintQueue     pickwave.PrintQueue
	StationRuntime StationRuntime
	// Webhooks manages webhooks and their deliveries; nil leaves the
	// webhook routes unavailable.
	Webhooks pickwave.WebhookService
	// Backups takes the hot copies GET /api/v1/backup streams; nil
	// leaves that route unavailable.
	Backups pickwave.BackupService
	// Collectors are more Prometheus metrics to serve on /metrics (the
	// webhook dispatcher's, the scheduled backups').
	Collectors []prometheus.Collector
	// Pack is the pack flow of the running stations (a *station.Runtime)
	// and Shipments the shipments it makes; nil leaves the pack, shipment
	// and tracking routes unavailable.
	Pack      PackRuntime
	Shipments pickwave.ShipmentService
	// KPIs answers GET /api/v1/kpis and the KPI metrics on /metrics (a
	// *store.DB); nil leaves them unavailable.
	KPIs KPISource
	// Changes says when the event log grew (a *store.DB); with Events it
	// feeds the live floor, /ws/floor. Nil leaves the floor unavailable.
	Changes EventNotifier
	// Logger receives request and error logs; nil means slog.Default().
	Logger *slog.Logger
	// Web serves the UI for paths outside the API; nil serves none.
	Web http.Handler
	// LoginLimits limit failed logins, by badge and by password, on the
	// handheld socket and on POST /api/v1/login; zero fields take
	// DefaultLoginLimits.
	LoginLimits LoginLimits

	// MaxConns caps the connections open at once (websockets included);
	// one over it is closed as soon as it is accepted. Zero means
	// DefaultMaxConns; negative, no cap. Open applies it, Handler not.
	MaxConns int
	// MaxConnsPerAddr caps the connections open at once from one remote
	// IP address. Zero means DefaultMaxConnsPerAddr; negative, no cap.
	MaxConnsPerAddr int
	// ReadTimeout bounds reading a request, headers and body: a body sent
	// slower is cut off. Websockets set their own read deadlines once
	// upgraded. A handler still running when it passes sees its request's
	// context cancelled. Zero means DefaultReadTimeout; negative, none.
	ReadTimeout time.Duration
	// HandheldLoginWait is how long a handheld socket may stay open
	// without logging in before it is closed (close code 1008). Zero
	// means DefaultHandheldLoginWait; negative, for ever.
	HandheldLoginWait time.Duration
	// TLS, when set, makes Open serve HTTPS with it. Plain HTTP on the
	// same port is redirected to https (308), so tokens and session
	// cookies only cross the network encrypted once a client follows it;
	// the session cookie is then marked Secure.
	TLS *tls.Config
	// MaxInFlight bounds the API requests served at once; one over it
	// waits briefly for a place, then gets 503 with Retry-After. Zero
	// means DefaultMaxInFlight; negative, no bound. Websockets, /healthz
	// and /metrics are not counted.
	MaxInFlight int
	// APIRate and APIBurst limit the API requests of one remote address
	// (see rate_limit.go): APIRate a second, APIBurst at once. Zero means
	// DefaultAPIRate and DefaultAPIBurst; a negative APIRate, no limit.
	APIRate, APIBurst int
	// WriteStats, when set, reports the store's write path for /metrics
	// (writes waiting and shed, commit times).
	WriteStats func() pickwave.WriteStats
	// Peers are the base URLs of the site's other servers (the other node
	// of a highly available pair, "http://host:port"). The pages learn
	// them (the handheld welcome, GET /api/v1/me) and open their sockets
	// there when this server is down or a standby; the handheld and
	// station sockets accept upgrades from pages of the peers' origins.
	Peers []string

	logger    *slog.Logger
	metrics   *metrics
	handhelds *handheldHub
	devices   *deviceRegistry
	floorOnce sync.Once
	floor     *floorHub // started by the first /ws/floor request
	logins    *loginLimiter
	handler   http.Handler
	inflight  chan struct{} // places for API requests; nil: no bound
	rates     *rateLimiter  // per-address API limit; nil: none
	http      *http.Server
	ln        net.Listener
}

// Defaults of the Server's limits.
const (
	// DefaultMaxConns leaves room for a thousand handhelds, the pack
	// stations and browsers, well below a raised file descriptor limit.
	DefaultMaxConns = 5000
	// DefaultMaxConnsPerAddr lets one host run a load test of a thousand
	// handhelds (and a gateway or NAT carry many devices).
	DefaultMaxConnsPerAddr = 2000
	// DefaultReadTimeout is enough for a 16 MB CSV import over a slow
	// link, and bounds how long a slow body holds a connection.
	DefaultReadTimeout = 30 * time.Second
	// DefaultHandheldLoginWait is time enough for a person to scan a badge.
	DefaultHandheldLoginWait = 10 * time.Second
)

// orDefault is v, def when v is zero, and zero (none) when v is negative.
func orDefault[T int | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Handler returns the server's HTTP handler, building the routes on the
// first call.
func (s *Server) Handler() http.Handler {
	if s.handler == nil {
		s.logger = s.Logger
		if s.logger == nil {
			s.logger = slog.Default()
		}
		s.metrics = newMetrics(s.Collectors...)
		s.handhelds = newHandheldHub()
		s.devices = newDeviceRegistry()
		s.logins = newLoginLimiter(s.LoginLimits)
		if n := orDefault(s.MaxInFlight, DefaultMaxInFlight); n > 0 {
			s.inflight = make(chan struct{}, n)
		}
		if rate := orDefault(s.APIRate, DefaultAPIRate); rate > 0 {
			s.rates = newRateLimiter(rate, orDefault(s.APIBurst, DefaultAPIBurst), nil)
		}
		if s.WriteStats != nil {
			s.metrics.registry.MustRegister(newWriteStatsCollector(s.WriteStats))
		}
		if s.KPIs != nil {
			s.metrics.registry.MustRegister(newKPICollector(s.KPIs, s.logger))
		}
		// The contract's JSON form is made once per process, here rather
		// than at its first request; it cannot fail for a spec that the
		// tests parse, but a bad one is said at startup.
		if _, err := specDocs(); err != nil {
			s.logger.Error("serve the API contract", "err", err)
		}
		s.handler = s.routes()
	}
	return s.handler
}

// Open listens on addr (":0" picks a free port) before it returns, then
// serves in the background until Close.
func (s *Server) Open(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	h := s.Handler()
	s.ln = newLimitListener(ln, orDefault(s.MaxConns, DefaultMaxConns), orDefault(s.MaxConnsPerAddr, DefaultMaxConnsPerAddr),
		func(limit string) { s.metrics.refused.WithLabelValues(limit).Inc() })
	if s.TLS != nil {
		s.ln = newMixedListener(s.ln, s.TLS)
		h = redirectPlain(h)
	}
	s.http = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       orDefault(s.ReadTimeout, DefaultReadTimeout),
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// URL is the server's base URL once open: https:// when it serves TLS.
func (s *Server) URL() string {
	if s.TLS != nil {
		return "https://" + s.Addr()
	}
	return "http://" + s.Addr()
}

// Addr is the address the server listens on, once open.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops accepting requests and waits for those in flight to finish
// until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	if s.handhelds != nil {
		// Websockets are hijacked connections, which Shutdown leaves alone.
		s.handhelds.closeAll()
	}
	s.floorOnce.Do(func() {}) // no hub starts after this
	if s.floor != nil {
		s.floor.close()
	}
	if s.http == nil {
		return nil
	}
	if err := s.http.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down http server: %w", err)
	}
	return nil
}

func (s *Server) routes() http.Handler {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(s.recover, s.observe, frameHeaders)

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	// A node that serves is ready; a standby (Standby) answers 503, so a
	// load balancer's health check sends traffic to the leader only.
	r.GET("/readyz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ready"}) })
	r.GET("/metrics", s.authenticate, s.allow(managers...), gin.WrapH(s.metrics.handler()))
	r.GET("/ws/handheld", s.serveHandheld)
	r.GET("/ws/floor", s.authenticate, s.allow(managers...), s.floorSocket)

	api := r.Group("/api/v1", s.limitRate, s.limitInFlight, s.browserGuard)
	api.GET("/openapi.yaml", s.serveSpec(false))
	api.GET("/openapi.json", s.serveSpec(true))
	api.POST("/login", s.login)
	api.POST("/logout", s.logout)        // works with a stale session too: it clears the cookie
	api.GET("/track/:tracking", s.track) // public: a parcel's status, nothing personal
	api.Use(s.authenticate)
	api.GET("/me", s.me)
	api.PATCH("/me", s.allow(anyRole...), s.updateMe)

	api.GET("/users", s.allow(adminOnly...), s.listUsers)
	api.POST("/users", s.allow(adminOnly...), s.createUser)
	api.GET("/backup", s.allow(adminOnly...), s.backup)

	api.GET("/skus", s.allow(anyRole...), s.listSKUs)
	api.POST("/skus", s.allow(managers...), s.createSKU)
	api.GET("/skus/:code", s.allow(anyRole...), s.getSKU)
	api.PUT("/skus/:code/reorder", s.allow(managers...), s.setReorder)
	api.GET("/barcodes/:code", s.allow(anyRole...), s.lookupBarcode)
	api.POST("/barcodes/parse", s.allow(anyRole...), s.parseBarcode)
	api.POST("/labels/render", s.allow(stationUsers...), s.renderLabel)
	api.GET("/locations", s.allow(anyRole...), s.listLocations)
	api.POST("/locations", s.allow(managers...), s.createLocation)
	api.GET("/locations/:code", s.allow(anyRole...), s.getLocation)
	api.PUT("/locations/:code/face", s.allow(managers...), s.setPickFace)
	api.DELETE("/locations/:code/face", s.allow(managers...), s.clearPickFace)
	api.GET("/stock", s.allow(anyRole...), s.listStock)
	api.POST("/stock/adjust", s.allow(managers...), s.adjustStock)
	api.GET("/counts", s.allow(managers...), s.listCounts)
	api.POST("/counts", s.allow(managers...), s.requestCount)
	api.GET("/counts/accuracy", s.allow(managers...), s.countAccuracy)
	api.GET("/counts/:id", s.allow(managers...), s.getCount)
	api.POST("/counts/:id/confirm", s.allow(managers...), s.confirmCount)

	api.GET("/orders", s.allow(managers...), s.listOrders)
	api.POST("/orders", s.allow(managers...), s.createOrder)
	api.POST("/orders/import", s.allow(managers...), s.importOrders)
	api.GET("/orders/:id", s.allow(anyRole...), s.getOrder)
	api.POST("/orders/:id/cancel", s.allow(managers...), s.cancelOrder)
	api.POST("/orders/:id/allocate", s.allow(managers...), s.allocateOrder)

	api.GET("/layout", s.allow(anyRole...), s.getLayout)
	api.PUT("/layout", s.allow(adminOnly...), s.putLayout)
	api.GET("/waves", s.allow(managers...), s.listWaves)
	api.POST("/waves", s.allow(managers...), s.planWave)
	api.GET("/waves/:id", s.allow(managers...), s.waveAction(func(w pickwave.WaveService) waveFunc { return w.Wave }))
	api.POST("/waves/:id/release", s.allow(managers...), s.waveAction(func(w pickwave.WaveService) waveFunc { return w.ReleaseWave }))
	api.POST("/waves/:id/cancel", s.allow(managers...), s.waveAction(func(w pickwave.WaveService) waveFunc { return w.CancelWave }))
	api.GET("/carts/:id", s.allow(anyRole...), s.getCart)
	s.cartRoutes(api)
	s.deviceRoutes(api)

	s.inboundRoutes(api)
	s.stationRoutes(r, api)
	s.webhookRoutes(api)
	s.packRoutes(api)
	api.GET("/events", s.allow(managers...), s.listEvents)
	api.GET("/kpis", s.allow(managers...), s.getKPIs)

	// gin has set the Allow header to the methods the path has.
	r.NoMethod(func(c *gin.Context) {
		s.fail(c, pickwave.Errorf(pickwave.EMETHOD, "Method %s is not allowed on %s; it allows %s.",
			c.Request.Method, c.Request.URL.Path, c.Writer.Header().Get("Allow")))
	})
	r.NoRoute(func(c *gin.Context) {
		p := c.Request.URL.Path
		if s.Web == nil || strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/ws/") {
			s.fail(c, pickwave.Errorf(pickwave.ENOTFOUND, "No route %s %s.", c.Request.Method, p))
			return
		}
		s.Web.ServeHTTP(c.Writer, c.Request)
	})
	return r
}

// recover turns a panic in a handler into a logged internal error.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.fail(c, fmt.Errorf("panic: %v", v))
		}
	}()
	c.Next()
}

// observe logs each request and records it in the metrics.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	d := time.Since(start)
	s.metrics.observe(c.Request.Method, route, c.Writer.Status(), d)
	level := slog.LevelDebug
	if c.Writer.Status() >= 500 {
		level = slog.LevelWarn
	}
	s.logger.Log(c.Request.Context(), level, "request", "method", c.Request.Method, "route", route,
		"status", c.Writer.Status(), "duration", d)
}
