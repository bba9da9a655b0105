package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
	"github.com/pickwave/pickwave/ha"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
	"github.com/pickwave/pickwave/webhook"
)

// Config is everything `pickwave serve` can be told, from a JSON config
// file and flags; flags win. Defaults live in DefaultConfig alone.
type Config struct {
	// Addr is the HTTP listen address.
	Addr string `json:"addr"`
	// Data is the data directory holding pickwave.db.
	Data string `json:"data"`
	// Demo seeds a demo warehouse into empty data.
	Demo bool `json:"demo"`
	// DemoFloor runs the live demo floor (package demo/floor) beside a
	// --demo server: a shop, a supervisor, pickers and a packer.
	DemoFloor DemoFloorConfig `json:"demo_floor"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"log_level"`
	// LogFormat is text or json.
	LogFormat string `json:"log_format"`
	// ShutdownTimeout bounds how long in-flight requests may take to finish.
	ShutdownTimeout Duration `json:"shutdown_timeout"`
	// GCPercent is the Go garbage collector's target (GOGC): the heap may
	// grow this many percent over what is live before a collection. Each
	// collection takes CPU from the scan path on a small machine; 400
	// collects a quarter as often as Go's default of 100, for a few
	// hundred MB more heap at 1,000 handhelds. A GOGC environment variable
	// wins over it.
	GCPercent int `json:"gc_percent"`
	// ScanRetention is how long scan records are kept for resent scan ids
	// to be answered from record; zero keeps them for good. Older records
	// are dropped hourly, and a scan id sent again after that is refused
	// with code gone, never judged again. At least store.ScanRetentionMin.
	ScanRetention Duration `json:"scan_retention"`
	// EventRetention is how long events stay in the store; older whole
	// days are moved hourly into dated files in DATA/archive, from which
	// the event log is still read (store.ArchiveEvents). Zero keeps them
	// in the store for good. At least a day.
	EventRetention Duration `json:"event_retention"`
	// MaxConns caps the connections open at once, websockets included;
	// more are closed on accept and counted in
	// pickwave_connections_refused_total. Negative: no cap.
	MaxConns int `json:"max_conns"`
	// MaxConnsPerAddr caps the connections open at once from one remote
	// IP address (a load test runs all its handhelds from one). Negative:
	// no cap.
	MaxConnsPerAddr int `json:"max_conns_per_addr"`
	// ReadTimeout bounds reading a request with its body; websockets are
	// not affected once upgraded. Negative: none.
	ReadTimeout Duration `json:"read_timeout"`
	// HandheldLoginWait is how long a handheld socket may stay open
	// without logging in. Negative: for ever.
	HandheldLoginWait Duration `json:"handheld_login_wait"`
	// BadgeRoles are the roles whose users may log in by badge; pickers
	// only by default. A badge is easier to guess or borrow than a
	// password, and its login opens the handheld socket only.
	BadgeRoles []pickwave.Role `json:"badge_roles"`
	// MaxInFlight bounds the API requests served at once; more wait 50 ms
	// for a place, then get 503 with Retry-After. Negative: no bound.
	MaxInFlight int `json:"max_in_flight"`
	// APIRate and APIBurst limit one remote address's API requests: a
	// second, and at once; more get 429 with Retry-After. A negative
	// APIRate: no limit.
	APIRate  int `json:"api_rate"`
	APIBurst int `json:"api_burst"`
	// Peers are the base URLs of the site's other servers (the other node
	// of a highly available pair, "http://host:port"): the pages open their
	// sockets there when this server is down or a standby, and this
	// server accepts socket upgrades from pages of their origins.
	Peers []string `json:"peers"`
	// MaxPendingWrites bounds the writes waiting for the store; one more
	// is refused at once as overload. Negative: no bound.
	MaxPendingWrites int `json:"max_pending_writes"`
	// MaxWriteWait bounds how long a write may wait for the store; one
	// that waited longer is refused, unwritten. Negative: no bound.
	MaxWriteWait Duration `json:"max_write_wait"`
	// TLSCert and TLSKey are PEM files of the server's certificate (with
	// its chain) and key; with them the server speaks HTTPS and redirects
	// plain HTTP on the same port to it.
	TLSCert string `json:"tls_cert"`
	TLSKey  string `json:"tls_key"`
	// TLSSelfSigned serves HTTPS with a self-signed certificate made on
	// first start and kept in the data directory (tls/); its SHA-256
	// fingerprint is logged at every start for handhelds to pin.
	TLSSelfSigned bool `json:"tls_self_signed"`
	// TLSHosts are extra names and addresses for the self-signed
	// certificate (the machine's own are always in it).
	TLSHosts []string `json:"tls_hosts"`
	// Webhooks are the webhook sender's settings.
	Webhooks WebhookConfig `json:"webhooks"`
	// BackupDir is where scheduled backups are written, each checked
	// before it is kept; empty takes none. Best on another disk.
	BackupDir string `json:"backup_dir"`
	// BackupEvery is the time between scheduled backups; at least a
	// minute.
	BackupEvery Duration `json:"backup_every"`
	// BackupKeep is how many of the newest backups are kept; older ones
	// are deleted after each new one passes its check.
	BackupKeep int `json:"backup_keep"`

	// Packing is the pack stations' carrier, sender, SSCC numbering,
	// carton catalog and weight tolerance.
	Packing PackingConfig `json:"packing"`

	// Counts are the cycle counts' tolerance and ABC schedule.
	Counts CountsConfig `json:"counts"`

	// HA makes the server a node of a replicated site on etcd (README,
	// "High availability"); without etcd endpoints it serves alone from
	// its bbolt file.
	HA HAConfig `json:"ha"`
}

// HAConfig configures a node of a replicated site (package ha).
type HAConfig struct {
	// Etcd are the etcd members' client URLs; empty: no HA.
	Etcd []string `json:"etcd"`
	// Site names the site: its keys are under /pickwave/<site>/ in etcd,
	// so several sites share one cluster.
	Site string `json:"site"`
	// Node names this node; empty: the host name.
	Node string `json:"node"`
	// URL is where clients reach this node, told by standbys as the
	// leader's address; empty: http(s)://<addr>.
	URL string `json:"url"`
	// LeaseTTL bounds how long a dead leader keeps the lead: a standby
	// takes over within about this long.
	LeaseTTL Duration `json:"lease_ttl"`
	// CA, Cert and Key are PEM files for TLS to etcd: the CA that signed
	// the members' certificates, and this node's client certificate.
	CA   string `json:"etcd_ca"`
	Cert string `json:"etcd_cert"`
	Key  string `json:"etcd_key"`
	// User and PasswordFile authenticate to etcd when its auth is on.
	User         string `json:"etcd_user"`
	PasswordFile string `json:"etcd_password_file"`
}

// CountsConfig configures cycle counts (README, "Inventory on the
// floor").
type CountsConfig struct {
	// Tolerance is how many units a first blind count may differ from
	// the books and still be accepted; beyond it someone else recounts.
	Tolerance int `json:"tolerance"`
	// EveryA, EveryB and EveryC are how often a stock row of an A, B or
	// C SKU is counted; ShareA and ShareB split the SKUs by their share
	// of the picks over Window (A: the first ShareA of the picks).
	EveryA Duration `json:"every_a"`
	EveryB Duration `json:"every_b"`
	EveryC Duration `json:"every_c"`
	Window Duration `json:"window"`
	ShareA float64  `json:"share_a"`
	ShareB float64  `json:"share_b"`
	// MaxPerRun bounds the counts one run raises; 0 turns the schedule
	// off. RunEvery is the time between runs.
	MaxPerRun int      `json:"max_per_run"`
	RunEvery  Duration `json:"run_every"`
}

// schedule is the store's form of the ABC schedule.
func (c CountsConfig) schedule() pickwave.CountSchedule {
	return pickwave.CountSchedule{Window: time.Duration(c.Window), ShareA: c.ShareA, ShareB: c.ShareB,
		EveryA: time.Duration(c.EveryA), EveryB: time.Duration(c.EveryB), EveryC: time.Duration(c.EveryC), MaxPerRun: c.MaxPerRun}
}

func (c CountsConfig) validate() error {
	if c.Tolerance < 0 || c.Tolerance > pickwave.MaxLineQty {
		return fmt.Errorf("counts: tolerance %d: want 0 to %d units", c.Tolerance, pickwave.MaxLineQty)
	}
	if err := c.schedule().Validate(); err != nil {
		return fmt.Errorf("counts: %s %v", pickwave.ErrorMessage(err), pickwave.ErrorDetails(err))
	}
	if c.MaxPerRun > 0 && time.Duration(c.RunEvery) < time.Minute {
		return fmt.Errorf("counts: run every %s: want at least 1m", time.Duration(c.RunEvery))
	}
	return nil
}

// PackingConfig configures packing and shipping.
type PackingConfig struct {
	// Carrier is "local" (the own fleet: tracking numbers in UPU S10 form
	// from the store's durable sequence) or "http" (a carrier's JSON API
	// at CarrierURL, with CarrierToken).
	Carrier      string `json:"carrier"`
	CarrierName  string `json:"carrier_name"`
	CarrierURL   string `json:"carrier_url"`
	CarrierToken string `json:"carrier_token"`
	// Service is the local carrier's S10 service indicator (two capital
	// letters), or the service asked of an HTTP carrier.
	Service string `json:"service"`
	// Country is the local carrier's issuing country (ISO 3166 alpha-2).
	Country string `json:"country"`
	// TrackingURL is the tracking page template of the local carrier;
	// {tracking} is replaced by the number.
	TrackingURL string `json:"tracking_url"`
	// ShipFrom is the sender on every label.
	ShipFrom pickwave.Address `json:"ship_from"`
	// GS1Prefix is the GS1 company prefix of the SSCCs, and
	// SSCCExtension their extension digit.
	GS1Prefix     string `json:"gs1_prefix"`
	SSCCExtension int    `json:"sscc_extension"`
	// Cartons is the carton catalog the smallest fitting carton is
	// suggested from.
	Cartons []pickwave.Carton `json:"cartons"`
	// TolerancePercent and ToleranceGrams: a package's weight may differ
	// from the expected by the larger of the two.
	TolerancePercent float64 `json:"tolerance_percent"`
	ToleranceGrams   float64 `json:"tolerance_grams"`
}

// DemoCartons is the default carton catalog.
var DemoCartons = []pickwave.Carton{
	{Code: "MAILER-S", Name: "Small mailer", LengthMM: 250, WidthMM: 180, HeightMM: 50, TareG: 40},
	{Code: "BOX-S", Name: "Small box", LengthMM: 300, WidthMM: 200, HeightMM: 150, TareG: 150},
	{Code: "BOX-M", Name: "Medium box", LengthMM: 400, WidthMM: 300, HeightMM: 250, TareG: 300},
	{Code: "BOX-L", Name: "Large box", LengthMM: 600, WidthMM: 400, HeightMM: 400, TareG: 600},
	{Code: "BOX-XL", Name: "Long box", LengthMM: 800, WidthMM: 400, HeightMM: 400, TareG: 800},
}

// WebhookConfig tunes webhook delivery (docs/webhooks.md).
type WebhookConfig struct {
	// MaxAttempts is how many attempts a delivery gets before it fails
	// and waits for a replay through the API.
	MaxAttempts int `json:"max_attempts"`
	// BackoffMin is the wait after the first failed attempt; it doubles
	// after each further one up to BackoffMax (each drawn between half
	// and all of it).
	BackoffMin Duration `json:"backoff_min"`
	BackoffMax Duration `json:"backoff_max"`
	// Timeout bounds one attempt, from connecting to reading the answer.
	Timeout Duration `json:"timeout"`
	// Workers is how many attempts run at once.
	Workers int `json:"workers"`
	// Retention is how long delivered and failed deliveries stay listed
	// and replayable; zero keeps them for good.
	Retention Duration `json:"retention"`
}

// Webhook bounds and defaults.
const (
	maxWebhookAttempts = 1000
	// defaultWebhookRetention keeps a month of deliveries to look at and
	// replay.
	defaultWebhookRetention = 30 * 24 * time.Hour
)

// GC percent bounds.
const (
	minGCPercent = 50
	maxGCPercent = 2000
)

// DemoFloorConfig is the live demo floor's part of the configuration.
type DemoFloorConfig struct {
	// Enabled runs it; it needs Demo.
	Enabled bool `json:"enabled"`
	// Pickers is how many simulated pickers work.
	Pickers int `json:"pickers"`
	// Speed runs the floor's time this many times faster than the clock
	// (walking, scanning, packing, the orders' rate); 1 is real time.
	Speed float64 `json:"speed"`
	// OrderEvery is the floor time between two of the shop's orders.
	OrderEvery Duration `json:"order_every"`
}

func (d DemoFloorConfig) validate(demo bool) error {
	switch {
	case !d.Enabled:
		return nil
	case !demo:
		return errors.New("--demo-floor needs --demo: it works the demo warehouse")
	case d.Pickers < 1 || d.Pickers > 50:
		return fmt.Errorf("demo floor pickers %d: want 1 to 50", d.Pickers)
	case !(d.Speed >= 1 && d.Speed <= 1000):
		return fmt.Errorf("demo floor speed %g: want 1 (real time) to 1000", d.Speed)
	case time.Duration(d.OrderEvery) < time.Second:
		return fmt.Errorf("demo floor order every %s: want at least 1s", time.Duration(d.OrderEvery))
	}
	return nil
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		Data:            "./data",
		LogLevel:        "info",
		LogFormat:       "text",
		ShutdownTimeout: Duration(15 * time.Second),
		HA:              HAConfig{Site: "main", LeaseTTL: Duration(ha.DefaultLeaseTTL)},
		GCPercent:       400,
		ScanRetention:   Duration(30 * 24 * time.Hour),
		EventRetention:  Duration(90 * 24 * time.Hour),
		DemoFloor:       DemoFloorConfig{Pickers: 3, Speed: 1, OrderEvery: Duration(30 * time.Second)},

		MaxConns:          server.DefaultMaxConns,
		MaxConnsPerAddr:   server.DefaultMaxConnsPerAddr,
		ReadTimeout:       Duration(server.DefaultReadTimeout),
		HandheldLoginWait: Duration(server.DefaultHandheldLoginWait),
		BadgeRoles:        slices.Clone(pickwave.BadgeRoles),
		MaxInFlight:       server.DefaultMaxInFlight,
		APIRate:           server.DefaultAPIRate,
		APIBurst:          server.DefaultAPIBurst,
		MaxPendingWrites:  store.DefaultMaxPendingWrites,
		MaxWriteWait:      Duration(store.DefaultMaxWriteWait),
		Webhooks: WebhookConfig{
			MaxAttempts: webhook.DefaultMaxAttempts,
			BackoffMin:  Duration(webhook.DefaultBackoffMin),
			BackoffMax:  Duration(webhook.DefaultBackoffMax),
			Timeout:     Duration(webhook.DefaultTimeout),
			Workers:     webhook.DefaultWorkers,
			Retention:   Duration(defaultWebhookRetention),
		},
		Counts: CountsConfig{
			EveryA: Duration(pickwave.DefaultCountSchedule.EveryA), EveryB: Duration(pickwave.DefaultCountSchedule.EveryB),
			EveryC: Duration(pickwave.DefaultCountSchedule.EveryC), Window: Duration(pickwave.DefaultCountSchedule.Window),
			ShareA: pickwave.DefaultCountSchedule.ShareA, ShareB: pickwave.DefaultCountSchedule.ShareB,
			MaxPerRun: pickwave.DefaultCountSchedule.MaxPerRun, RunEvery: Duration(24 * time.Hour),
		},
		BackupEvery: Duration(6 * time.Hour),
		BackupKeep:  28,
		Packing: PackingConfig{
			Carrier: "local", Service: "LP", Country: "US",
			ShipFrom: pickwave.Address{Name: "Pickwave Demo Warehouse", Address1: "1 Dock Road",
				City: "Columbus", Region: "OH", PostalCode: "43215", Country: "US"},
			GS1Prefix: "0614141", Cartons: slices.Clone(DemoCartons),
			TolerancePercent: pickwave.DefaultWeightTolerance.Percent, ToleranceGrams: pickwave.DefaultWeightTolerance.Grams,
		},
	}
}

// Duration is a time.Duration written as "15s" in JSON.
type Duration time.Duration

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"15s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// loadConfig reads a config file over the defaults; unknown keys are errors.
func loadConfig(path string, cfg *Config) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// parseServeFlags builds the Config from defaults, the config file named
// by --config, then the flags that were set.
func parseServeFlags(args []string, stderr io.Writer) (Config, error) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var fromFlags Config
	configPath := fs.String("config", "", "JSON config `file`; flags override it")
	fs.StringVar(&fromFlags.Addr, "addr", cfg.Addr, "HTTP listen `address`")
	fs.StringVar(&fromFlags.Data, "data", cfg.Data, "data `directory` (holds pickwave.db)")
	fs.BoolVar(&fromFlags.Demo, "demo", false, "seed a demo warehouse into empty data")
	fs.BoolVar(&fromFlags.DemoFloor.Enabled, "demo-floor", false, "with --demo: run the live demo floor (simulated shop, supervisor, pickers and packer)")
	fs.IntVar(&fromFlags.DemoFloor.Pickers, "demo-floor-pickers", cfg.DemoFloor.Pickers, "simulated `pickers` on the demo floor")
	fs.Float64Var(&fromFlags.DemoFloor.Speed, "demo-floor-speed", cfg.DemoFloor.Speed, "run the demo floor this many `times` faster than real time")
	fs.DurationVar((*time.Duration)(&fromFlags.DemoFloor.OrderEvery), "demo-floor-order-every", time.Duration(cfg.DemoFloor.OrderEvery), "floor time between two orders of the demo floor's shop")
	fs.StringVar(&fromFlags.LogLevel, "log-level", cfg.LogLevel, "log `level`: debug, info, warn, error")
	fs.StringVar(&fromFlags.LogFormat, "log-format", cfg.LogFormat, "log `format`: text or json")
	fs.IntVar(&fromFlags.GCPercent, "gc-percent", cfg.GCPercent, fmt.Sprintf("garbage collector `target` (GOGC), %d to %d; a GOGC environment variable wins", minGCPercent, maxGCPercent))
	fs.DurationVar((*time.Duration)(&fromFlags.ScanRetention), "scan-retention", time.Duration(cfg.ScanRetention), "keep scan records this `long` (0: for good; at least a week)")
	fs.DurationVar((*time.Duration)(&fromFlags.EventRetention), "event-retention", time.Duration(cfg.EventRetention), "keep events in the store this `long`, older days move to DATA/archive (0: for good; at least a day)")
	fs.IntVar(&fromFlags.MaxConns, "max-conns", cfg.MaxConns, "`cap` on connections open at once (negative: none)")
	fs.IntVar(&fromFlags.MaxConnsPerAddr, "max-conns-per-addr", cfg.MaxConnsPerAddr, "`cap` on connections open at once from one IP address (negative: none)")
	fs.DurationVar((*time.Duration)(&fromFlags.ReadTimeout), "read-timeout", time.Duration(cfg.ReadTimeout), "bound on reading a request and its body (negative: none)")
	fs.DurationVar((*time.Duration)(&fromFlags.HandheldLoginWait), "handheld-login-wait", time.Duration(cfg.HandheldLoginWait), "close a handheld socket not logged in after this `long` (negative: never)")
	fs.IntVar(&fromFlags.Webhooks.MaxAttempts, "webhook-max-attempts", cfg.Webhooks.MaxAttempts, fmt.Sprintf("`attempts` a webhook delivery gets before it fails (1 to %d)", maxWebhookAttempts))
	fs.DurationVar((*time.Duration)(&fromFlags.Webhooks.BackoffMin), "webhook-backoff-min", time.Duration(cfg.Webhooks.BackoffMin), "wait after a webhook delivery's first failed attempt; doubles up to --webhook-backoff-max")
	fs.DurationVar((*time.Duration)(&fromFlags.Webhooks.BackoffMax), "webhook-backoff-max", time.Duration(cfg.Webhooks.BackoffMax), "longest wait between a webhook delivery's attempts")
	fs.DurationVar((*time.Duration)(&fromFlags.Webhooks.Timeout), "webhook-timeout", time.Duration(cfg.Webhooks.Timeout), "bound on one webhook attempt")
	fs.IntVar(&fromFlags.Webhooks.Workers, "webhook-workers", cfg.Webhooks.Workers, "webhook `attempts` running at once")
	fs.DurationVar((*time.Duration)(&fromFlags.Webhooks.Retention), "webhook-retention", time.Duration(cfg.Webhooks.Retention), "keep delivered and failed webhook deliveries this `long` (0: for good)")
	fs.StringVar(&fromFlags.BackupDir, "backup-dir", cfg.BackupDir, "write a checked backup into this `directory` every --backup-every (empty: none)")
	fs.DurationVar((*time.Duration)(&fromFlags.BackupEvery), "backup-every", time.Duration(cfg.BackupEvery), "time between scheduled backups (at least 1m)")
	fs.IntVar(&fromFlags.BackupKeep, "backup-keep", cfg.BackupKeep, "keep this `many` newest scheduled backups")
	peers := fs.String("peers", strings.Join(cfg.Peers, ","), "comma-separated base `URLs` of the site's other servers (HA), where pages fail over")
	badgeRoles := fs.String("badge-roles", "", "comma-separated `roles` that may log in by badge (default picker)")
	fs.IntVar(&fromFlags.MaxInFlight, "max-in-flight", cfg.MaxInFlight, "`cap` on API requests served at once; more get 503 (negative: none)")
	fs.IntVar(&fromFlags.APIRate, "api-rate", cfg.APIRate, "API `requests` a second from one address; more get 429 (negative: no limit)")
	fs.IntVar(&fromFlags.APIBurst, "api-burst", cfg.APIBurst, "API `requests` one address may send at once before --api-rate applies")
	fs.IntVar(&fromFlags.MaxPendingWrites, "max-pending-writes", cfg.MaxPendingWrites, "`cap` on writes waiting for the store; more are shed (negative: none)")
	fs.DurationVar((*time.Duration)(&fromFlags.MaxWriteWait), "max-write-wait", time.Duration(cfg.MaxWriteWait), "shed a write that waited this `long` for the store (negative: never)")
	fs.StringVar(&fromFlags.TLSCert, "tls-cert", cfg.TLSCert, "serve HTTPS with this PEM certificate `file` (with --tls-key)")
	fs.StringVar(&fromFlags.TLSKey, "tls-key", cfg.TLSKey, "PEM private key `file` of --tls-cert")
	fs.BoolVar(&fromFlags.TLSSelfSigned, "tls-self-signed", false, "serve HTTPS with a self-signed certificate kept in the data directory")
	tlsHosts := fs.String("tls-hosts", "", "comma-separated extra `names` for the self-signed certificate")
	fs.StringVar(&fromFlags.Packing.Carrier, "carrier", cfg.Packing.Carrier, "shipping `carrier`: local or http")
	fs.StringVar(&fromFlags.Packing.CarrierURL, "carrier-url", cfg.Packing.CarrierURL, "base `URL` of an http carrier")
	fs.StringVar(&fromFlags.Packing.GS1Prefix, "gs1-prefix", cfg.Packing.GS1Prefix, "GS1 company `prefix` of package SSCCs")
	fs.Float64Var(&fromFlags.Packing.TolerancePercent, "weight-tolerance-percent", cfg.Packing.TolerancePercent, "accepted weight difference in `per cent` of the expected")
	fs.Float64Var(&fromFlags.Packing.ToleranceGrams, "weight-tolerance-grams", cfg.Packing.ToleranceGrams, "accepted weight difference in `grams`, when more than the per cent")
	fs.IntVar(&fromFlags.Counts.Tolerance, "count-tolerance", cfg.Counts.Tolerance, "`units` a first blind count may differ from the books and be accepted")
	fs.DurationVar((*time.Duration)(&fromFlags.Counts.EveryA), "count-every-a", time.Duration(cfg.Counts.EveryA), "count a stock row of an A SKU this often")
	fs.DurationVar((*time.Duration)(&fromFlags.Counts.EveryB), "count-every-b", time.Duration(cfg.Counts.EveryB), "count a stock row of a B SKU this often")
	fs.DurationVar((*time.Duration)(&fromFlags.Counts.EveryC), "count-every-c", time.Duration(cfg.Counts.EveryC), "count a stock row of a C SKU this often")
	fs.IntVar(&fromFlags.Counts.MaxPerRun, "count-schedule-max", cfg.Counts.MaxPerRun, "`counts` one daily run of the ABC schedule raises at most (0: no scheduled counts)")
	etcd := addEtcdFlags(fs, cfg.HA.Site)
	fs.StringVar(&fromFlags.HA.Node, "node", "", "with --etcd: this node's `name` (default: the host name)")
	fs.StringVar(&fromFlags.HA.URL, "advertise", "", "with --etcd: the `URL` clients reach this node at (default: from --addr)")
	fs.DurationVar((*time.Duration)(&fromFlags.HA.LeaseTTL), "lease-ttl", time.Duration(cfg.HA.LeaseTTL), "with --etcd: a dead leader's lead lasts at most this `long`")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	if *configPath != "" {
		if err := loadConfig(*configPath, &cfg); err != nil {
			return cfg, err
		}
	}
	fs.Visit(func(f *flag.Flag) {
		if etcd.set(f.Name, &cfg.HA) {
			return
		}
		switch f.Name {
		case "addr":
			cfg.Addr = fromFlags.Addr
		case "data":
			cfg.Data = fromFlags.Data
		case "demo":
			cfg.Demo = fromFlags.Demo
		case "demo-floor":
			cfg.DemoFloor.Enabled = fromFlags.DemoFloor.Enabled
		case "demo-floor-pickers":
			cfg.DemoFloor.Pickers = fromFlags.DemoFloor.Pickers
		case "demo-floor-speed":
			cfg.DemoFloor.Speed = fromFlags.DemoFloor.Speed
		case "demo-floor-order-every":
			cfg.DemoFloor.OrderEvery = fromFlags.DemoFloor.OrderEvery
		case "log-level":
			cfg.LogLevel = fromFlags.LogLevel
		case "log-format":
			cfg.LogFormat = fromFlags.LogFormat
		case "gc-percent":
			cfg.GCPercent = fromFlags.GCPercent
		case "scan-retention":
			cfg.ScanRetention = fromFlags.ScanRetention
		case "event-retention":
			cfg.EventRetention = fromFlags.EventRetention
		case "max-conns":
			cfg.MaxConns = fromFlags.MaxConns
		case "max-conns-per-addr":
			cfg.MaxConnsPerAddr = fromFlags.MaxConnsPerAddr
		case "read-timeout":
			cfg.ReadTimeout = fromFlags.ReadTimeout
		case "handheld-login-wait":
			cfg.HandheldLoginWait = fromFlags.HandheldLoginWait
		case "max-in-flight":
			cfg.MaxInFlight = fromFlags.MaxInFlight
		case "api-rate":
			cfg.APIRate = fromFlags.APIRate
		case "api-burst":
			cfg.APIBurst = fromFlags.APIBurst
		case "max-pending-writes":
			cfg.MaxPendingWrites = fromFlags.MaxPendingWrites
		case "max-write-wait":
			cfg.MaxWriteWait = fromFlags.MaxWriteWait
		case "tls-cert":
			cfg.TLSCert = fromFlags.TLSCert
		case "tls-key":
			cfg.TLSKey = fromFlags.TLSKey
		case "tls-self-signed":
			cfg.TLSSelfSigned = fromFlags.TLSSelfSigned
		case "node":
			cfg.HA.Node = fromFlags.HA.Node
		case "advertise":
			cfg.HA.URL = fromFlags.HA.URL
		case "lease-ttl":
			cfg.HA.LeaseTTL = fromFlags.HA.LeaseTTL
		case "tls-hosts":
			cfg.TLSHosts = nil
			for h := range strings.SplitSeq(*tlsHosts, ",") {
				if h = strings.TrimSpace(h); h != "" {
					cfg.TLSHosts = append(cfg.TLSHosts, h)
				}
			}
		case "webhook-max-attempts":
			cfg.Webhooks.MaxAttempts = fromFlags.Webhooks.MaxAttempts
		case "webhook-backoff-min":
			cfg.Webhooks.BackoffMin = fromFlags.Webhooks.BackoffMin
		case "webhook-backoff-max":
			cfg.Webhooks.BackoffMax = fromFlags.Webhooks.BackoffMax
		case "webhook-timeout":
			cfg.Webhooks.Timeout = fromFlags.Webhooks.Timeout
		case "webhook-workers":
			cfg.Webhooks.Workers = fromFlags.Webhooks.Workers
		case "webhook-retention":
			cfg.Webhooks.Retention = fromFlags.Webhooks.Retention
		case "backup-dir":
			cfg.BackupDir = fromFlags.BackupDir
		case "backup-every":
			cfg.BackupEvery = fromFlags.BackupEvery
		case "backup-keep":
			cfg.BackupKeep = fromFlags.BackupKeep
		case "carrier":
			cfg.Packing.Carrier = fromFlags.Packing.Carrier
		case "carrier-url":
			cfg.Packing.CarrierURL = fromFlags.Packing.CarrierURL
		case "gs1-prefix":
			cfg.Packing.GS1Prefix = fromFlags.Packing.GS1Prefix
		case "weight-tolerance-percent":
			cfg.Packing.TolerancePercent = fromFlags.Packing.TolerancePercent
		case "weight-tolerance-grams":
			cfg.Packing.ToleranceGrams = fromFlags.Packing.ToleranceGrams
		case "count-tolerance":
			cfg.Counts.Tolerance = fromFlags.Counts.Tolerance
		case "count-every-a":
			cfg.Counts.EveryA = fromFlags.Counts.EveryA
		case "count-every-b":
			cfg.Counts.EveryB = fromFlags.Counts.EveryB
		case "count-every-c":
			cfg.Counts.EveryC = fromFlags.Counts.EveryC
		case "count-schedule-max":
			cfg.Counts.MaxPerRun = fromFlags.Counts.MaxPerRun
		case "peers":
			cfg.Peers = nil
			for p := range strings.SplitSeq(*peers, ",") {
				if p = strings.TrimSpace(p); p != "" {
					cfg.Peers = append(cfg.Peers, p)
				}
			}
		case "badge-roles":
			cfg.BadgeRoles = nil
			for r := range strings.SplitSeq(*badgeRoles, ",") {
				if r = strings.TrimSpace(r); r != "" {
					cfg.BadgeRoles = append(cfg.BadgeRoles, pickwave.Role(r))
				}
			}
		}
	})
	if len(cfg.BadgeRoles) == 0 {
		return cfg, fmt.Errorf("badge roles: want at least one of %v", pickwave.Roles)
	}
	for _, r := range cfg.BadgeRoles {
		if !r.Valid() {
			return cfg, fmt.Errorf("badge role %q: want one of %v", r, pickwave.Roles)
		}
	}
	if r := time.Duration(cfg.ScanRetention); r != 0 && r < store.ScanRetentionMin {
		return cfg, fmt.Errorf("scan retention %s: want 0 (keep for good) or at least %s", r, store.ScanRetentionMin)
	}
	if err := validPeers(cfg.Peers); err != nil {
		return cfg, err
	}
	if cfg.APIRate > 0 && cfg.APIBurst < 1 {
		return cfg, fmt.Errorf("api burst %d: want at least 1 with an API rate", cfg.APIBurst)
	}
	if r := time.Duration(cfg.EventRetention); r != 0 && r < 24*time.Hour {
		return cfg, fmt.Errorf("event retention %s: want 0 (keep in the store for good) or at least 24h", r)
	}
	if err := cfg.Webhooks.validate(); err != nil {
		return cfg, err
	}
	if cfg.BackupDir != "" && time.Duration(cfg.BackupEvery) < time.Minute {
		return cfg, fmt.Errorf("backup every %s: want at least 1m", time.Duration(cfg.BackupEvery))
	}
	if cfg.BackupDir != "" && cfg.BackupKeep < 1 {
		return cfg, fmt.Errorf("backup keep %d: want at least 1", cfg.BackupKeep)
	}
	if err := cfg.Packing.validate(); err != nil {
		return cfg, err
	}
	if err := cfg.DemoFloor.validate(cfg.Demo); err != nil {
		return cfg, err
	}
	if cfg.DemoFloor.Enabled && (cfg.TLSCert != "" || cfg.TLSSelfSigned) {
		return cfg, errors.New("--demo-floor runs over plain HTTP: serve the demo without --tls-*")
	}
	if err := cfg.Counts.validate(); err != nil {
		return cfg, err
	}
	if err := cfg.HA.validate(); err != nil {
		return cfg, err
	}
	if cfg.GCPercent < minGCPercent || cfg.GCPercent > maxGCPercent {
		return cfg, fmt.Errorf("gc percent %d: want %d to %d", cfg.GCPercent, minGCPercent, maxGCPercent)
	}
	return cfg, nil
}

func (h HAConfig) validate() error {
	if len(h.Etcd) == 0 {
		return nil
	}
	if t := time.Duration(h.LeaseTTL); t < 2*time.Second || t > time.Minute {
		return fmt.Errorf("lease ttl %s: want 2s to 1m (etcd refuses shorter leases)", t)
	}
	if (h.Cert == "") != (h.Key == "") {
		return errors.New("--etcd-cert and --etcd-key go together")
	}
	return nil
}

func (w WebhookConfig) validate() error {
	switch {
	case w.MaxAttempts < 1 || w.MaxAttempts > maxWebhookAttempts:
		return fmt.Errorf("webhook max attempts %d: want 1 to %d", w.MaxAttempts, maxWebhookAttempts)
	case w.BackoffMin <= 0 || w.BackoffMax < w.BackoffMin:
		return fmt.Errorf("webhook backoff %s to %s: want a positive minimum and a maximum at least as long",
			time.Duration(w.BackoffMin), time.Duration(w.BackoffMax))
	case w.Timeout <= 0:
		return fmt.Errorf("webhook timeout %s: want more than zero", time.Duration(w.Timeout))
	case w.Workers < 1 || w.Workers > 64:
		return fmt.Errorf("webhook workers %d: want 1 to 64", w.Workers)
	case w.Retention < 0:
		return fmt.Errorf("webhook retention %s: want 0 (keep for good) or more", time.Duration(w.Retention))
	}
	return nil
}

// setGCPercent applies the config's GC target unless the environment set
// GOGC, which the runtime has applied already.
func setGCPercent(cfg Config, logger *slog.Logger) {
	if env := os.Getenv("GOGC"); env != "" {
		logger.Info("GOGC is set in the environment; gc_percent is not used", "GOGC", env)
		return
	}
	debug.SetGCPercent(cfg.GCPercent)
}

// newLogger builds the process logger from the config.
func newLogger(cfg Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", cfg.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch cfg.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", cfg.LogFormat)
}

// validate checks the packing configuration before anything is opened.
func (p PackingConfig) validate() error {
	switch p.Carrier {
	case "local":
	case "http":
		if p.CarrierURL == "" {
			return fmt.Errorf("packing: carrier http needs carrier_url (--carrier-url)")
		}
	default:
		return fmt.Errorf("packing: carrier %q: want local or http", p.Carrier)
	}
	if err := (pickwave.WeightTolerance{Percent: p.TolerancePercent, Grams: p.ToleranceGrams}).Validate(); err != nil {
		return fmt.Errorf("packing: weight tolerance: %v", pickwave.ErrorMessage(err))
	}
	if _, err := gs1.BuildSSCC(byte(p.SSCCExtension), p.GS1Prefix, 0); err != nil || p.SSCCExtension < 0 || p.SSCCExtension > 9 {
		return fmt.Errorf("packing: GS1 prefix %q with extension %d cannot number SSCCs", p.GS1Prefix, p.SSCCExtension)
	}
	for i, c := range p.Cartons {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("packing: carton %d (%s): %v", i+1, c.Code, pickwave.ErrorMessage(err))
		}
	}
	return nil
}

// splitList splits a comma-separated flag into its trimmed, non-empty items.
func splitList(s string) []string {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// maxPeers bounds --peers: a site's servers are a pair, or a few.
const maxPeers = 16

// validPeers checks --peers: base URLs, http or https with a host and
// no path, query or fragment, since pages derive socket addresses and
// origins from them.
func validPeers(peers []string) error {
	if len(peers) > maxPeers {
		return fmt.Errorf("peers: %d, want at most %d", len(peers), maxPeers)
	}
	for _, p := range peers {
		u, err := url.Parse(p)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("peer %q: want a base URL such as http://10.0.0.2:8080", p)
		}
	}
	return nil
}
