package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/etcdtest"
	"github.com/pickwave/pickwave/internal/testenv"
)

// BenchmarkHA_handhelds: the handheld load of DESIGN.md's targets against
// one server on its bbolt file and against a node leading a site on a
// three-member etcd cluster (syncing, on this machine's disk), in the same
// run: loadgen's scans answered per second and its verdict round trip.
//
//	go test ./cmd/pickwave -run '^$' -bench HA_handhelds -benchtime 1x
//
// PICKWAVE_BENCH_HANDHELDS, _RATE and _DURATION change the load (default
// 1000 handhelds, 2000 scans/s, 15s).
func BenchmarkHA_handhelds(b *testing.B) {
	handhelds, rate, duration := envOr("PICKWAVE_BENCH_HANDHELDS", "1000"), envOr("PICKWAVE_BENCH_RATE", "2000"), envOr("PICKWAVE_BENCH_DURATION", "15s")
	cluster := etcdtest.Start(b, 3)
	for _, engine := range []string{"bbolt", "etcd"} {
		b.Run(engine, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Addr, cfg.Data, cfg.Demo, cfg.APIRate = testenv.FreeAddr(b), b.TempDir(), true, -1
			cfg.MaxConnsPerAddr, cfg.MaxConns = -1, -1
			if engine == "etcd" {
				cfg.HA.Etcd, cfg.HA.Site, cfg.HA.Node = cluster.Endpoints(), "bench", "a"
			}
			m := &Main{Config: cfg, Logger: slog.New(slog.DiscardHandler)}
			ctx, stop := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() {
				if engine == "etcd" {
					served <- m.serveNode(ctx)
					return
				}
				if err := m.Open(ctx); err != nil {
					served <- err
					return
				}
				<-ctx.Done()
				served <- m.Close()
			}()
			defer func() {
				stop()
				if err := <-served; err != nil {
					b.Error(err)
				}
			}()
			url := "http://" + cfg.Addr
			waitReady(b, url, served)
			token, err := m.DB.MintToken(pickwave.WithActor(ctx, "bench"), "admin", pickwave.RoleAdmin, time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				var out, logs bytes.Buffer
				err := run(ctx, []string{"loadgen", "--url", url, "--token", token, "--handhelds", handhelds,
					"--rate", rate, "--duration", duration, "--wrong", "0", "--disconnect", "0"}, &out, &logs)
				if err != nil {
					b.Fatalf("loadgen: %v\n%s%s", err, out.String(), logs.String())
				}
				b.Logf("%s:\n%s", engine, out.String())
				reportLoad(b, out.String())
			}
		})
	}
}

func envOr(name, otherwise string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return otherwise
}

// waitReady waits until the server at url answers /readyz with 200.
func waitReady(b *testing.B, url string, served <-chan error) {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-served:
			b.Fatalf("the server stopped: %v", err)
		default:
		}
		if res, err := http.Get(url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatalf("%s not ready after 2 minutes", url)
}

var (
	loadRate = regexp.MustCompile(`scans +\d+ answered, ([\d.]+) scans/s`)
	loadP    = regexp.MustCompile(`round trip +p50 ([\d.]+) ms +p95 ([\d.]+) ms +p99 ([\d.]+) ms`)
)

// reportLoad reports loadgen's throughput and round trip percentiles.
func reportLoad(b *testing.B, out string) {
	b.Helper()
	r, p := loadRate.FindStringSubmatch(out), loadP.FindStringSubmatch(out)
	if r == nil || p == nil {
		b.Fatalf("no figures in\n%s", out)
	}
	for _, m := range []struct {
		v, unit string
	}{{r[1], "scans/s"}, {p[1], "p50-ms"}, {p[3], "p99-ms"}} {
		v, err := strconv.ParseFloat(m.v, 64)
		if err != nil {
			b.Fatal(fmt.Errorf("%s: %w", m.unit, err))
		}
		b.ReportMetric(v, m.unit)
	}
}
