package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pickwave/pickwave/ha"
	"github.com/pickwave/pickwave/server"
)

// A node of a replicated site (serve --etcd).
//
// The node opens its store as a follower of the site's log and answers
// as a standby on --addr (see server.Standby) while it campaigns. Once
// elected it stops following, applies the log to its end, and serves as
// a single server would, every commit appended to the log in etcd first.
// A leader that loses its lease stops: nothing it did after that could
// be acknowledged, and the service manager starts it again as a standby.

// errLostLead ends a leader that lost its lease or could not append.
var errLostLead = errors.New("lost the lead of the site; stopped serving (start again to stand by)")

// haSite connects to the site's etcd cluster.
func haSite(ctx context.Context, cfg Config, m *Main) (*ha.Site, error) {
	h := cfg.HA
	node := h.Node
	if node == "" {
		var err error
		if node, err = os.Hostname(); err != nil {
			return nil, fmt.Errorf("node name: %w", err)
		}
	}
	url := h.URL
	if url == "" {
		url = advertisedURL(cfg)
	}
	return connectAs(ctx, h, node, url, m.Logger)
}

// advertisedURL is the node's URL made from --addr: an unspecified host
// is the machine's name.
func advertisedURL(cfg Config) string {
	scheme := "http"
	if cfg.TLSCert != "" || cfg.TLSSelfSigned {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return scheme + "://" + cfg.Addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if name, err := os.Hostname(); err == nil {
			host = name
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

func etcdTLS(h HAConfig) (*tls.Config, error) {
	if h.CA == "" && h.Cert == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if h.CA != "" {
		pem, err := os.ReadFile(h.CA)
		if err != nil {
			return nil, fmt.Errorf("etcd CA: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcd CA %s: no PEM certificate in it", h.CA)
		}
	}
	if h.Cert != "" {
		cert, err := tls.LoadX509KeyPair(h.Cert, h.Key)
		if err != nil {
			return nil, fmt.Errorf("etcd client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// serveNode runs a node of a replicated site until ctx ends, or until it
// loses the lead it won (errLostLead).
func (m *Main) serveNode(ctx context.Context) error {
	site, err := haSite(ctx, m.Config, m)
	if err != nil {
		return err
	}
	defer site.Close()
	node, err := ha.Open(ctx, site, m.Config.Data, m.storeOptions())
	if err != nil {
		return err
	}
	// Stand by: follow the log, answer 503 with the leader's address,
	// and campaign.
	var leaderURL atomic.Pointer[string]
	reg := prometheus.NewRegistry()
	for _, c := range site.Collectors() {
		reg.MustRegister(c)
	}
	standby, err := startStandby(m.Config.Addr, reg, func() string {
		if p := leaderURL.Load(); p != nil {
			return *p
		}
		return ""
	})
	if err != nil {
		node.DB().Close()
		return err
	}
	sctx, stopStandby := context.WithCancel(ctx)
	followed := make(chan error, 1)
	go func() { followed <- node.Follow(sctx) }()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for sctx.Err() == nil {
			if url, err := site.LeaderURL(sctx); err == nil {
				leaderURL.Store(&url)
			}
			select {
			case <-time.After(250 * time.Millisecond):
			case <-sctx.Done():
			}
		}
	}()
	m.Logger.Info("standing by", "site", m.Config.HA.Site, "addr", standby.Addr)
	leader, err := site.Campaign(ctx)
	stopStandby()
	<-watched
	ferr := <-followed
	standby.Close()
	if err != nil {
		node.DB().Close()
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if ferr != nil {
		leader.Resign(context.WithoutCancel(ctx))
		node.DB().Close()
		return fmt.Errorf("following the log: %w", ferr)
	}
	took := time.Now()
	db, err := node.TakeOver(ctx, leader)
	if err != nil {
		leader.Resign(context.WithoutCancel(ctx))
		node.DB().Close()
		return err
	}
	m.DB, m.collectors = db, site.Collectors()
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	m.Logger.Info("leading the site", "site", m.Config.HA.Site, "took_over_in", time.Since(took).Round(time.Millisecond))
	mctx, stopMaintain := context.WithCancel(context.WithoutCancel(ctx))
	maintained := make(chan struct{})
	go func() {
		defer close(maintained)
		leader.Maintain(mctx, db)
	}()
	var lost error
	select {
	case <-ctx.Done():
	case <-leader.Lost():
		lost = errLostLead
		m.Logger.Error("lost the lead: stopping", "site", m.Config.HA.Site, "fenced", db.Fenced())
	}
	stopMaintain()
	<-maintained
	if err := m.Close(); err != nil && lost == nil {
		return err
	}
	return lost
}

// standbyServer answers on the node's address while it stands by.
type standbyServer struct {
	Addr string
	srv  *http.Server
	done chan struct{}
}

func startStandby(addr string, metrics prometheus.Gatherer, leader func() string) (*standbyServer, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &standbyServer{Addr: l.Addr().String(), done: make(chan struct{}),
		srv: &http.Server{Handler: &server.Standby{Leader: leader, Metrics: metrics}, ReadHeaderTimeout: 5 * time.Second}}
	go func() {
		defer close(s.done)
		s.srv.Serve(l)
	}()
	return s, nil
}

// Close stops answering; the address is free for the leader's server.
func (s *standbyServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if s.srv.Shutdown(ctx) != nil {
		s.srv.Close()
	}
	<-s.done
}
