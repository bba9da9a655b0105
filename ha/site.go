package ha

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Config says how a node reaches etcd and which site it belongs to.
type Config struct {
	// Endpoints are the etcd members' client URLs.
	Endpoints []string
	// TLS, when set, is used to reach etcd (client certificates included).
	TLS *tls.Config
	// Username and Password authenticate to etcd when its auth is on.
	Username, Password string
	// Site names the site; its keys live under /pickwave/<site>/.
	Site string
	// Node names this node among the site's nodes.
	Node string
	// URL is this node's base URL, told to clients by standbys.
	URL string
	// LeaseTTL bounds how long a dead leader keeps the lead; zero means
	// DefaultLeaseTTL. etcd refuses leases under about 2 s.
	LeaseTTL time.Duration
	// SnapshotEvery is how many entries the leader appends between
	// snapshots; zero means DefaultSnapshotEvery.
	SnapshotEvery uint64
	// MaxValueBytes bounds one value written to etcd; larger entries are
	// written in parts. Zero means DefaultMaxValueBytes, which fits
	// etcd's default request limit of 1.5 MiB.
	MaxValueBytes int
	// Logger receives the node's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultLeaseTTL      = 3 * time.Second
	DefaultSnapshotEvery = 50_000
	DefaultMaxValueBytes = 1 << 20
)

var siteName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// Site is a connection to one site's keys in etcd.
type Site struct {
	cfg     Config
	metrics *metrics
	client  *clientv3.Client
	// ownClient says Close closes client (Connect made it).
	ownClient bool
	prefix    string
	logger    *slog.Logger
}

// Connect connects to etcd for cfg.Site.
func Connect(ctx context.Context, cfg Config) (*Site, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	c, err := clientv3.New(cfg.clientConfig(ctx, cfg.Endpoints))
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %v: %w", cfg.Endpoints, err)
	}
	s, err := NewSite(ctx, c, cfg)
	if err != nil {
		c.Close()
		return nil, err
	}
	s.ownClient = true
	return s, nil
}

// NewSite is Connect on a client the caller keeps (and closes): several
// sites may share one. cfg.Endpoints and the TLS and auth settings are
// the client's business then.
func NewSite(ctx context.Context, c *clientv3.Client, cfg Config) (*Site, error) {
	if err := cfg.check(); err != nil && !errors.Is(err, errNoEndpoint) {
		return nil, err
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.SnapshotEvery == 0 {
		cfg.SnapshotEvery = DefaultSnapshotEvery
	}
	if cfg.MaxValueBytes <= 0 {
		cfg.MaxValueBytes = DefaultMaxValueBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Site{cfg: cfg, metrics: newMetrics(), client: c, prefix: "/pickwave/" + cfg.Site + "/", logger: cfg.Logger.With("site", cfg.Site, "node", cfg.Node)}
	// Fail now, with a clear message, when no member answers.
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.Get(sctx, s.prefix+"snap"); err != nil {
		return nil, fmt.Errorf("reach etcd %v: %w", c.Endpoints(), err)
	}
	return s, nil
}

// clientConfig is the configuration of a client to endpoints.
func (cfg Config) clientConfig(ctx context.Context, endpoints []string) clientv3.Config {
	return clientv3.Config{
		Endpoints: endpoints, TLS: cfg.TLS, Username: cfg.Username, Password: cfg.Password,
		DialTimeout: 5 * time.Second, DialKeepAliveTime: time.Second, DialKeepAliveTimeout: time.Second,
		Context: context.WithoutCancel(ctx), Logger: zap.NewNop(),
		MaxCallSendMsgSize: 2 * max(cfg.MaxValueBytes, DefaultMaxValueBytes),
	}
}

var errNoEndpoint = errors.New("no etcd endpoint")

func (cfg Config) check() error {
	if !siteName.MatchString(cfg.Site) {
		return fmt.Errorf("site name %q: use 1 to 63 letters, digits, dots, dashes or underscores", cfg.Site)
	}
	if cfg.Node == "" {
		return errors.New("a node name is needed")
	}
	if len(cfg.Endpoints) == 0 {
		return errNoEndpoint
	}
	return nil
}

// Close closes the connection, unless it was the caller's (NewSite).
func (s *Site) Close() error {
	if !s.ownClient {
		return nil
	}
	return s.client.Close()
}

// Client is the etcd client, for tools and tests.
func (s *Site) Client() *clientv3.Client { return s.client }

// Keys.

func (s *Site) logKey(index uint64) string { return s.prefix + "log/" + fmt.Sprintf("%020d", index) }

// logEnd is the end of the log's key range.
func (s *Site) logEnd() string { return s.prefix + "log0" }

func (s *Site) chunkKey(index uint64, n int) string {
	return s.prefix + "chunk/" + fmt.Sprintf("%020d/%06d", index, n)
}

func (s *Site) chunkPrefix(index uint64) string {
	return s.prefix + "chunk/" + fmt.Sprintf("%020d/", index)
}

func (s *Site) snapKey() string { return s.prefix + "snap" }

// snapPartPrefix is where the parts of the site's snapshot at index are.
func (s *Site) snapPartPrefix(siteID string, index uint64) string {
	return s.prefix + "snap/" + siteID + "/" + fmt.Sprintf("%020d/", index)
}

func (s *Site) electionPrefix() string { return s.prefix + "leader" }

// indexOf parses the index from a log key.
func (s *Site) indexOf(key []byte) (uint64, error) {
	rest, ok := strings.CutPrefix(string(key), s.prefix+"log/")
	if !ok {
		return 0, fmt.Errorf("not a log key: %q", key)
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("log key %q: %w", key, err)
	}
	return n, nil
}

// LeaderURL returns the current leader's URL, "" when there is none.
func (s *Site) LeaderURL(ctx context.Context) (string, error) {
	resp, err := s.client.Get(ctx, s.electionPrefix()+"/", clientv3.WithFirstCreate()...)
	if err != nil {
		return "", fmt.Errorf("read the leader: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return "", nil
	}
	return string(resp.Kvs[0].Value), nil
}
