// Package etcdtest runs real etcd clusters for tests: members of the
// embedded etcd server (go.etcd.io/etcd/server/v3/embed) on loopback
// ports, in this process or, for fault tests that kill members with
// SIGKILL, each in a process of its own (cmd/etcdnode).
package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Member is one member's configuration.
type Member struct {
	Name      string
	Dir       string
	ClientURL string
	PeerURL   string
}

// Plan lays out a cluster of n members with data under dir, on free
// loopback ports.
func Plan(tb testing.TB, n int, dir string) []Member {
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{Name: fmt.Sprintf("m%d", i+1), Dir: fmt.Sprintf("%s/m%d", dir, i+1),
			ClientURL: "http://" + freeAddr(tb), PeerURL: "http://" + freeAddr(tb)}
	}
	return ms
}

// InitialCluster is the members' --initial-cluster value.
func InitialCluster(ms []Member) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, m.Name+"="+m.PeerURL)
	}
	return strings.Join(parts, ",")
}

// Endpoints are the members' client URLs.
func Endpoints(ms []Member) []string {
	var urls []string
	for _, m := range ms {
		urls = append(urls, m.ClientURL)
	}
	return urls
}

// freeAddr is a loopback address free a moment ago; tb may be nil.
func freeAddr(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if tb == nil {
			panic(err)
		}
		tb.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Config is the embedded server configuration of member m of cluster:
// quick elections for a loopback cluster, history compacted every 1,000
// revisions, etcd's own logs off.
func Config(m Member, cluster string, state string) (*embed.Config, error) {
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = m.Name, m.Dir
	cu, err := url.Parse(m.ClientURL)
	if err != nil {
		return nil, err
	}
	pu, err := url.Parse(m.PeerURL)
	if err != nil {
		return nil, err
	}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster, cfg.ClusterState, cfg.InitialClusterToken = cluster, state, "pickwave-test"
	cfg.TickMs, cfg.ElectionMs = 50, 500
	cfg.AutoCompactionMode, cfg.AutoCompactionRetention = "revision", "1000"
	cfg.LogLevel = "fatal" // a member closing logs errors of its own listeners
	cfg.LogOutputs = []string{"stderr"}
	return cfg, nil
}

// Cluster is a cluster whose members run in this process.
type Cluster struct {
	Members []Member
	etcds   []*embed.Etcd
}

// Start starts an n-member cluster in this process, stopped when the
// test ends.
func Start(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c, err := StartIn(Plan(tb, n, tb.TempDir()), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// StartIn starts the members in this process and waits until they
// serve; mod, when set, changes each member's configuration first.
func StartIn(ms []Member, mod func(*embed.Config)) (*Cluster, error) {
	c := &Cluster{Members: ms}
	cluster := InitialCluster(ms)
	for _, m := range ms {
		cfg, err := Config(m, cluster, embed.ClusterStateFlagNew)
		if err != nil {
			c.Close()
			return nil, err
		}
		if mod != nil {
			mod(cfg)
		}
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("start etcd member %s: %w", m.Name, err)
		}
		c.etcds = append(c.etcds, e)
	}
	for i, e := range c.etcds {
		select {
		case <-e.Server.ReadyNotify():
		case <-time.After(30 * time.Second):
			c.Close()
			return nil, fmt.Errorf("etcd member %s not ready after 30 s", ms[i].Name)
		}
	}
	return c, nil
}

// Endpoints are the members' client URLs.
func (c *Cluster) Endpoints() []string { return Endpoints(c.Members) }

// Close stops every member.
func (c *Cluster) Close() {
	for _, e := range c.etcds {
		e.Close()
	}
	c.etcds = nil
}
