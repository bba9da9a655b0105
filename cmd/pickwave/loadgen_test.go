package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
)

func TestLoadgen_flags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // in the error; "" for none
	}{
		{"defaults", nil, ""},
		{"no handhelds", []string{"--handhelds", "0"}, "--handhelds"},
		{"too many handhelds", []string{"--handhelds", "100000"}, "--handhelds"},
		{"no duration", []string{"--duration", "0s"}, "--duration"},
		{"endless", []string{"--duration", "100h"}, "--duration"},
		{"warm-up the whole run", []string{"--duration", "2s", "--warmup", "2s"}, "--warmup"},
		{"warm-up before the run", []string{"--warmup", "-1s"}, "--warmup"},
		{"wrong share", []string{"--wrong", "1.5"}, "--wrong"},
		{"disconnect share", []string{"--disconnect", "-1"}, "--disconnect"},
		{"not http", []string{"--url", "ftp://127.0.0.1"}, "--url"},
		{"argument", []string{"extra"}, "no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseLoadgenFlags(tc.args, io.Discard)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("error %v, want one about %q", err, tc.want)
			}
		})
	}
	cfg, _ := parseLoadgenFlags([]string{"--token", "x"}, io.Discard)
	if cfg.BadgePrefix != "LOAD-" {
		t.Fatalf("badge prefix with a token %q", cfg.BadgePrefix)
	}
	cfg, _ = parseLoadgenFlags(nil, io.Discard)
	if cfg.BadgePrefix != "LOAD-" || cfg.Handhelds != 10 || cfg.Duration != 30*time.Second {
		t.Fatalf("defaults %+v", cfg)
	}
}

func TestLoadgen_onlyThisMachine(t *testing.T) {
	ctx := context.Background()
	for _, host := range []string{"127.0.0.1", "::1", "localhost", "127.0.0.2"} {
		if err := checkLocal(ctx, host); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	for _, host := range []string{"192.0.2.77", "8.8.8.8", "2001:db8::1"} {
		if err := checkLocal(ctx, host); err == nil || !strings.Contains(err.Error(), "--allow-remote") {
			t.Errorf("%s: %v", host, err)
		}
	}
	err := run(ctx, []string{"loadgen", "--url", "http://198.51.100.7:8080", "--duration", "1s"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not this machine") {
		t.Fatalf("remote target: %v", err)
	}
}

// TestLoadgen_againstServer runs loadgen twice against a small demo site
// served in the test: the first run creates its pickers and plans a wave,
// the second reuses them; both must end with nothing lost or applied twice.
func TestLoadgen_againstServer(t *testing.T) {
	if testing.Short() {
		t.Skip("creates users (bcrypt) and runs for seconds")
	}
	t.Parallel()
	db := testenv.OpenStore(t, "", store.Options{})
	ctx := context.Background()
	site := demo.Site{Aisles: 3, Bays: 5, Levels: 2, SKUs: 12, Orders: 40, Seed: 3, Now: time.Now()}
	if err := demo.Seed(ctx, seedNoUsers{db}, site); err != nil {
		t.Fatal(err)
	}
	token, err := db.MintToken(ctx, "admin", pickwave.RoleAdmin, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv := testenv.Server(db, nil)
	hs := httptest.NewServer(testenv.Checked(t, srv.Handler()))
	// The same server over TLS, for the second run, with the certificate
	// pinned as a handheld pins a self-signed one.
	hsTLS := httptest.NewUnstartedServer(testenv.Checked(t, srv.Handler()))
	hsTLS.StartTLS()
	defer func() {
		srv.Close(ctx)
		hs.Close()
		hsTLS.Close()
	}()

	loadgen := func(args ...string) string {
		t.Helper()
		var out, logs bytes.Buffer
		err := run(ctx, append([]string{"loadgen", "--handhelds", "4", "--duration", "2s", "--token", token,
			"--wrong", "0.1", "--disconnect", "0.05"}, args...), &out, &logs)
		if err != nil {
			t.Fatalf("loadgen: %v\n%s%s", err, out.String(), logs.String())
		}
		for _, want := range []string{"lost scans     0 ", "applied twice  0 tasks", "errors         0", "result         OK"} {
			if !strings.Contains(out.String(), want) {
				t.Fatalf("no %q in\n%s", want, out.String())
			}
		}
		// Every answered scan was sent again, and came back replayed
		// with its first verdict.
		m := regexp.MustCompile(`resent +(\d+) answered scans, each once more at the end: (\d+) judged again, (\d+) answers changed`).FindStringSubmatch(out.String())
		if m == nil || m[1] == "0" || m[2] != "0" || m[3] != "0" {
			t.Fatalf("answered scans not all sent again, or judged again or changed:\n%s", out.String())
		}
		if s := regexp.MustCompile(`scans +(\d+) answered`).FindStringSubmatch(out.String()); s == nil || s[1] != m[1] {
			t.Fatalf("%v scans answered, %v sent again:\n%s", s, m[1], out.String())
		}
		return out.String() + logs.String()
	}
	first := loadgen("--url", hs.URL)
	if !strings.Contains(first, "creating 4 pickers") || !regexp.MustCompile(`waves +[1-9]`).MatchString(first) {
		t.Fatalf("first run did not create pickers and plan a wave:\n%s", first)
	}
	if m := regexp.MustCompile(`(\d+) tasks in \d+ carts checked`).FindStringSubmatch(first); m == nil || m[1] == "0" {
		t.Fatalf("first run checked no task:\n%s", first)
	}
	if m := regexp.MustCompile(`disconnects +(\d+) forced`).FindStringSubmatch(first); m == nil || m[1] == "0" {
		t.Fatalf("first run forced no disconnect:\n%s", first)
	}
	second := loadgen("--url", hsTLS.URL, "--tls-fingerprint", Fingerprint(hsTLS.Certificate().Raw), "--warmup", "1s")
	if strings.Contains(second, "creating") {
		t.Fatalf("second run created pickers again:\n%s", second)
	}
	// The warm-up's round trips are reported apart from the rest.
	warm := regexp.MustCompile(`warm-up +the first 1s, not in the round trip above: p50 [\d.]+ ms .*\((\d+) scans\)`).FindStringSubmatch(second)
	rest := regexp.MustCompile(`round trip .*\((\d+) scans;`).FindStringSubmatch(second)
	if warm == nil || warm[1] == "0" || rest == nil || rest[1] == "0" {
		t.Fatalf("no scans timed in the warm-up, or none after it:\n%s", second)
	}
	// What the store says agrees with the runs' own check: units were
	// picked, and no more than the orders asked for.
	waves, err := db.Waves(ctx, 10)
	if err != nil || len(waves) == 0 {
		t.Fatalf("waves %v %v", waves, err)
	}
	for _, w := range waves {
		if p := w.Progress; p.UnitsPicked > p.Units {
			t.Fatalf("wave %s: %d units picked of %d", w.ID, p.UnitsPicked, p.Units)
		}
	}
}

// TestLoadgen_verdict: a run fails on every fault the report counts, the
// ones the final resend finds included.
func TestLoadgen_verdict(t *testing.T) {
	for _, tc := range []struct {
		name string
		rep  loadReport
		want string // in the error; "" for none
	}{
		{"clean", loadReport{scans: 10, resent: 10}, ""},
		{"judged again", loadReport{judgedAgain: 1}, "1 scans judged again"},
		{"answer changed", loadReport{changed: 2}, "2 answers changed"},
		{"gap", loadReport{gaps: 1}, "1 skipped"},
		{"lost", loadReport{lost: 3}, "3 scans lost"},
		{"errors", loadReport{errCount: 1}, "1 errors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rep.verdict()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("verdict %v, want one about %q", err, tc.want)
			}
			var out bytes.Buffer
			tc.rep.print(&out)
			if ok := strings.Contains(out.String(), "result         OK"); ok != (tc.want == "") {
				t.Fatalf("printed\n%s", out.String())
			}
		})
	}
}

// seedNoUsers seeds the demo without its users: loadgen makes its own.
type seedNoUsers struct{ *store.DB }

func (seedNoUsers) CreateUser(context.Context, *pickwave.User, string) error { return nil }

// TestLoadgen_Servers_failover runs loadgen with --url naming an HA pair
// on one store: B, first in the list, is a standby naming A until A dies
// a second into the run, then B leads. The handhelds and API calls are
// sent from B to A, then fail over to B; the run ends with nothing lost,
// judged twice or applied twice.
func TestLoadgen_Servers_failover(t *testing.T) {
	if testing.Short() {
		t.Skip("creates users (bcrypt) and runs for seconds")
	}
	t.Parallel()
	cfg, err := parseLoadgenFlags([]string{"--url", "http://127.0.0.1:1, http://127.0.0.1:2"}, io.Discard)
	if err != nil || cfg.URL.Host != "127.0.0.1:1" || len(cfg.Servers) != 1 || cfg.Servers[0].Host != "127.0.0.1:2" {
		t.Fatalf("a comma list: %+v %v", cfg, err)
	}
	if _, err := parseLoadgenFlags([]string{"--url", "http://127.0.0.1:1,ftp://x"}, io.Discard); err == nil {
		t.Fatal("a bad URL in the list was taken")
	}

	db := testenv.OpenStore(t, "", store.Options{})
	ctx := context.Background()
	if err := demo.Seed(ctx, seedNoUsers{db}, demo.Site{Aisles: 3, Bays: 5, Levels: 2, SKUs: 12, Orders: 40, Seed: 3, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	token, err := db.MintToken(ctx, "admin", pickwave.RoleAdmin, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a := testenv.Server(db, nil)
	ha := httptest.NewServer(testenv.Checked(t, a.Handler()))
	b := testenv.Server(db, nil)
	bh := b.Handler()
	var leading atomic.Bool
	standby := &server.Standby{Leader: func() string { return ha.URL }}
	hb := httptest.NewServer(testenv.Checked(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if leading.Load() {
			bh.ServeHTTP(w, r)
			return
		}
		standby.ServeHTTP(w, r)
	})))
	defer func() {
		b.Close(ctx)
		hb.Close()
	}()
	start, err := db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		testenv.Eventually(t, 30*time.Second, "handhelds scanning on A", func() bool {
			seq, err := db.LastSeq(ctx)
			return err == nil && seq > start+100
		})
		a.Close(ctx)
		ha.Close()
		leading.Store(true)
	}()
	var out, logs bytes.Buffer
	err = run(ctx, []string{"loadgen", "--handhelds", "4", "--duration", "3s", "--token", token, "--disconnect", "0",
		"--url", hb.URL + "," + ha.URL}, &out, &logs)
	<-killed
	if err != nil {
		t.Fatalf("loadgen: %v\n%s%s", err, out.String(), logs.String())
	}
	for _, want := range []string{"lost scans     0 ", "applied twice  0 tasks", "result         OK"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("no %q in\n%s%s", want, out.String(), logs.String())
		}
	}
	t.Logf("\n%s", out.String())
}
