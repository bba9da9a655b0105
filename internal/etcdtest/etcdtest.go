// Package etcdtest runs real etcd clusters for tests: members of the
// embedded etcd server (go.etcd.io/etcd/server/v3/embed) on loopback
// ports, each in a process of its own (etcdnode), so tests may kill
// them with SIGKILL and a test under -race does not instrument etcd.
package etcdtest

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/pickwave/pickwave/internal/freeport"
)

// Member is one member's configuration.
type Member struct {
	Name      string
	Dir       string
	ClientURL string
	PeerURL   string
}

// plan lays out a cluster of n members with data under dir, on free
// loopback ports.
func plan(n int, dir string) ([]Member, error) {
	ms := make([]Member, n)
	for i := range ms {
		client, err := freeport.Addr()
		if err != nil {
			return nil, err
		}
		peer, err := freeport.Addr()
		if err != nil {
			return nil, err
		}
		ms[i] = Member{Name: fmt.Sprintf("m%d", i+1), Dir: filepath.Join(dir, fmt.Sprintf("m%d", i+1)),
			ClientURL: "http://" + client, PeerURL: "http://" + peer}
	}
	return ms, nil
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

// Cluster is a test cluster: its members run as processes of their own
// (see Procs).
type Cluster = Procs

// Start starts an n-member cluster, its members processes of their own
// (built without the race detector, so a test under -race does not slow
// etcd down ten times over), stopped when the test ends.
func Start(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c, err := StartProcs(n, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}
