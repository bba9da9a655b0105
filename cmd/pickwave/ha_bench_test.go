package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pickwave/pickwave/client"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/etcdtest"
	"github.com/pickwave/pickwave/internal/testenv"
)

// BenchmarkHA_handhelds: the handheld load of DESIGN.md's targets against
// the built binary serving alone from its bbolt file, and serving as the
// leader of a site on a three-member etcd cluster (each member a process,
// syncing, on this machine's disk), in the same run: loadgen's scans
// answered per second and its verdict round trip (measured by the
// clients, in this process), and the server's own p99 from its
// pickwave_scan_verdict_seconds histogram (the bound of the bucket).
//
// The round trip is the steady state's: the scans sent in the first two
// seconds, while all the handhelds ask for their carts at once, are the
// warm-up, reported apart (warmup-p99-ms). The server's p99 counts
// every scan.
//
//	go test ./cmd/pickwave -run '^$' -bench HA_handhelds -benchtime 1x
//
// PICKWAVE_BENCH_HANDHELDS, _RATE, _DURATION and _WARMUP change the load
// (default 1000 handhelds, 2000 scans/s, 15s, 2s).
func BenchmarkHA_handhelds(b *testing.B) {
	handhelds, rate, duration := envOr("PICKWAVE_BENCH_HANDHELDS", "1000"), envOr("PICKWAVE_BENCH_RATE", "2000"), envOr("PICKWAVE_BENCH_DURATION", "15s")
	warmup := envOr("PICKWAVE_BENCH_WARMUP", "2s")
	bin := testenv.BuildBinary(b)
	cluster := etcdtest.Start(b, 3)
	for _, engine := range []string{"bbolt", "etcd"} {
		b.Run(engine, func(b *testing.B) {
			args := []string{"serve", "--addr", testenv.FreeAddr(b), "--data", b.TempDir(), "--demo",
				"--api-rate", "-1", "--max-conns", "-1", "--max-conns-per-addr", "-1"}
			if engine == "etcd" {
				args = append(args, "--etcd", strings.Join(cluster.Endpoints(), ","), "--site", "bench", "--node", "a")
			}
			srv := testenv.ServeBinary(b, bin, args...)
			ctx := context.Background()
			admin := client.New(srv.Base)
			if err := admin.Login(ctx, "admin", demo.Password); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				var out, logs bytes.Buffer
				err := run(ctx, []string{"loadgen", "--url", srv.Base, "--token", admin.Token(), "--handhelds", handhelds,
					"--rate", rate, "--duration", duration, "--warmup", warmup, "--wrong", "0", "--disconnect", "0"}, &out, &logs)
				if err != nil {
					b.Fatalf("loadgen: %v\n%s%s", err, out.String(), logs.String())
				}
				b.Logf("%s:\n%s", engine, out.String())
				reportLoad(b, out.String())
			}
			p99, n, err := serverP99(srv.Base, admin.Token())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(p99*1000, "server-p99-ms")
			b.Logf("%s: the server's p99 ≤ %v ms over %d scans", engine, p99*1000, n)
		})
	}
}

func envOr(name, otherwise string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return otherwise
}

var (
	loadRate = regexp.MustCompile(`scans +\d+ answered, ([\d.]+) scans/s`)
	loadP    = regexp.MustCompile(`round trip +p50 ([\d.]+) ms +p95 ([\d.]+) ms +p99 ([\d.]+) ms`)
	warmP    = regexp.MustCompile(`warm-up .* p99 ([\d.]+) ms`)
)

// reportLoad reports loadgen's throughput and round trip percentiles.
func reportLoad(b *testing.B, out string) {
	b.Helper()
	r, p := loadRate.FindStringSubmatch(out), loadP.FindStringSubmatch(out)
	if r == nil || p == nil {
		b.Fatalf("no figures in\n%s", out)
	}
	type figure struct{ v, unit string }
	figures := []figure{{r[1], "scans/s"}, {p[1], "p50-ms"}, {p[3], "p99-ms"}}
	if w := warmP.FindStringSubmatch(out); w != nil {
		figures = append(figures, figure{w[1], "warmup-p99-ms"})
	}
	for _, m := range figures {
		v, err := strconv.ParseFloat(m.v, 64)
		if err != nil {
			b.Fatal(fmt.Errorf("%s: %w", m.unit, err))
		}
		b.ReportMetric(v, m.unit)
	}
}

// serverP99 reads the server's pickwave_scan_verdict_seconds histogram
// and returns the upper bound of the bucket holding its 99th percentile,
// in seconds, and the scans counted.
func serverP99(base, token string) (float64, int, error) {
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	const prefix = `pickwave_scan_verdict_seconds_bucket{le="`
	var les []float64
	var counts []int
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), prefix)
		if !ok {
			continue
		}
		le, count, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(count)
		if err != nil {
			continue
		}
		v, err := strconv.ParseFloat(le, 64)
		if err != nil {
			v = math.Inf(1)
		}
		les, counts = append(les, v), append(counts, n)
	}
	if len(counts) == 0 {
		return 0, 0, fmt.Errorf("no pickwave_scan_verdict_seconds in /metrics (%s)", res.Status)
	}
	total := counts[len(counts)-1]
	for i, c := range counts {
		if float64(c) >= 0.99*float64(total) {
			return les[i], total, nil
		}
	}
	return math.Inf(1), total, nil
}
