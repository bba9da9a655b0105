// Command etcdnode runs one member of a test etcd cluster in a process of
// its own, so fault tests can kill it with SIGKILL. It is the embedded
// etcd server with etcdtest.Config's settings:
//
//	etcdnode --name m1 --dir DIR --client http://127.0.0.1:P --peer http://127.0.0.1:Q --cluster m1=...,m2=...
//
// It prints "ready" on stdout once it serves, and stops on SIGTERM or
// SIGINT, or with --die-with-parent when its stdin closes.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/pickwave/pickwave/internal/etcdtest"
)

func main() {
	var m etcdtest.Member
	flag.StringVar(&m.Name, "name", "m1", "member `name`")
	flag.StringVar(&m.Dir, "dir", "", "data `directory`")
	flag.StringVar(&m.ClientURL, "client", "", "client `URL`")
	flag.StringVar(&m.PeerURL, "peer", "", "peer `URL`")
	cluster := flag.String("cluster", "", "initial cluster (name=peerURL,...)")
	state := flag.String("state", embed.ClusterStateFlagNew, "initial cluster state: new or existing")
	noFsync := flag.Bool("unsafe-no-fsync", false, "never fsync (tests of other things than durability)")
	withParent := flag.Bool("die-with-parent", false, "stop when stdin closes: the parent process ended")
	flag.Parse()
	cfg, err := etcdtest.Config(m, *cluster, *state)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	cfg.UnsafeNoFsync = *noFsync
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	select {
	case <-e.Server.ReadyNotify():
		fmt.Println("ready")
	case <-time.After(time.Minute):
		fmt.Fprintln(os.Stderr, "not ready after a minute")
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	orphaned := make(chan struct{})
	if *withParent {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			close(orphaned)
		}()
	}
	select {
	case <-orphaned:
	case <-sig:
	case err := <-e.Err():
		fmt.Fprintln(os.Stderr, err)
	}
	e.Close()
}
