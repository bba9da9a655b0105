package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
	"github.com/pickwave/pickwave/internal/testenv"
)

// TestReadme_restoreDrill runs the README's restore drill, line by line,
// against the built binary. A demo server takes scheduled backups and
// orders from several writers; the drill's `pickwave backup` runs
// through the API while they write; then the server is stopped, the
// backup restored into a new directory and checked, and a server started
// on it. Every order acknowledged before the backup began must be there,
// and the restored log must hold as many events as the backup said.
//
// The drill's lines are read from README.md, so the README cannot
// drift from what works: a line the test does not know fails it.
func TestReadme_restoreDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server")
	}
	t.Parallel()
	steps := readmeDrill(t)
	bin := testenv.BuildBinary(t)
	data, scheduled, work := t.TempDir(), t.TempDir(), t.TempDir()
	var tok bytes.Buffer
	if err := run(context.Background(), []string{"token", "--data", data, "--role", "admin", "--user", "drill-admin"}, &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	admin := strings.TrimSpace(tok.String())

	srv := testenv.ServeBinary(t, bin, "serve", "--demo", "--addr", "127.0.0.1:0", "--data", data,
		"--backup-dir", scheduled, "--backup-every", "1h", "--backup-keep", "2")
	// The schedule takes its first backup at start, checked.
	testenv.Eventually(t, 30*time.Second, "the first scheduled backup", func() bool { return srv.Logged("backup written and checked") })
	names, err := backups(scheduled)
	if err != nil || len(names) != 1 {
		t.Fatalf("scheduled backups %v, %v", names, err)
	}
	var checked bytes.Buffer
	if err := run(context.Background(), []string{"check", "--file", filepath.Join(scheduled, names[0])}, &checked, io.Discard); err != nil {
		t.Fatalf("check of the scheduled backup: %v\n%s", err, checked.String())
	}

	w := &drillWriters{t: t, api: client.New(srv.Base, client.WithToken(admin)), stop: make(chan struct{})}
	w.start(4)
	testenv.Eventually(t, 30*time.Second, "50 acknowledged orders", func() bool { return w.count() >= 50 })

	vars := map[string]string{
		"PICKWAVE_URL": srv.Base, "ADMIN_TOKEN": admin, "BACKUP": filepath.Join(work, "drill.db"),
		"PICKWAVE_PID": fmt.Sprint(srv.Pid()), "RESTORED": filepath.Join(work, "restored"),
		"PICKWAVE_ADDR": "127.0.0.1:0",
	}
	var before []string // orders acknowledged before the backup began
	var backupEvents uint64
	for _, step := range steps {
		args := shellWords(t, step, vars)
		switch {
		case args[0] == "kill" && len(args) == 3 && args[1] == "-TERM" && args[2] == vars["PICKWAVE_PID"]:
			w.halt()
			srv.Terminate(t)
		case args[0] != "pickwave":
			t.Fatalf("the drill has a step this test does not know: %q", step)
		case args[1] == "serve":
			srv = testenv.ServeBinary(t, bin, append(args[1:], "--log-format", "json")...)
		default:
			if args[1] == "backup" {
				before = w.acked()
			}
			out, err := exec.Command(bin, args[1:]...).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", step, err, out)
			}
			t.Logf("%s\n%s", step, out)
			if args[1] == "backup" {
				t.Logf("%d orders acknowledged before the backup began, %d by its end", len(before), w.count())
				m := regexp.MustCompile(`(\d+) events; checked: ok`).FindSubmatch(out)
				if m == nil {
					t.Fatalf("backup said %q", out)
				}
				backupEvents, _ = strconv.ParseUint(string(m[1]), 10, 64)
			}
		}
	}
	defer srv.Terminate(t)
	if len(before) < 50 {
		t.Fatalf("only %d orders before the backup", len(before))
	}
	api := client.New(srv.Base, client.WithToken(admin))
	ctx := context.Background()
	for _, id := range before {
		if o, err := api.Orders.Order(ctx, id); err != nil || o.ID != id {
			t.Fatalf("order %s, acknowledged before the backup, after the restore: %v", id, err)
		}
	}
	events, err := api.Events.Events(ctx, backupEvents-1, 1)
	if err != nil || len(events) != 1 || events[0].Seq != backupEvents {
		t.Fatalf("the restored server's events after %d: %v, %v; the backup said it held %d", backupEvents-1, events, err, backupEvents)
	}
}

// readmeDrill returns the command lines of the README's restore drill:
// the first sh block after its heading, without comments.
func readmeDrill(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "### Restore drill\n")
	if !ok {
		t.Fatal("README.md has no Restore drill section")
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README.md's restore drill has no sh block")
	}
	var steps []string
	for line := range strings.SplitSeq(block, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			steps = append(steps, line)
		}
	}
	if len(steps) < 5 {
		t.Fatalf("README.md's restore drill has %d steps: %q", len(steps), steps)
	}
	return steps
}

// shellWords splits a drill line into words as sh would for these simple
// lines: blanks separate words, double quotes group, $NAME expands.
func shellWords(t *testing.T, line string, vars map[string]string) []string {
	t.Helper()
	var words []string
	var word strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", line)
	}
	if inWord {
		words = append(words, word.String())
	}
	for i, w := range words {
		words[i] = os.Expand(w, func(name string) string {
			v, ok := vars[name]
			if !ok {
				t.Fatalf("the drill uses $%s, which this test does not set", name)
			}
			return v
		})
	}
	return words
}

// drillWriters take in orders through the API until halted, keeping the
// ids of those acknowledged, in order.
type drillWriters struct {
	t    *testing.T
	api  *client.Client
	stop chan struct{}
	wg   sync.WaitGroup

	mu  sync.Mutex
	ids []string
}

func (w *drillWriters) start(n int) {
	for g := range n {
		w.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-w.stop:
					return
				default:
				}
				in := &pickwave.OrderInput{
					ExternalID: fmt.Sprintf("DRILL-%d-%d", g, i),
					Customer:   pickwave.Customer{Name: "Ada Lovelace", Email: "ada@example.com"},
					ShipTo: pickwave.Address{Name: "Ada Lovelace", Address1: "12 Maple St", City: "Columbus",
						Region: "OH", PostalCode: "43215", Country: "US"},
					Lines:   []pickwave.LineInput{{SKU: "SKU-0001", Qty: 1}},
					Carrier: "UPS", Service: "Ground", ShipBy: time.Date(2030, 1, 15, 17, 0, 0, 0, time.UTC), Priority: 1,
				}
				o, _, err := w.api.Orders.CreateOrder(context.Background(), in)
				if err != nil {
					select {
					case <-w.stop: // the server is going away
					default:
						w.t.Errorf("order: %v", err)
					}
					return
				}
				w.mu.Lock()
				w.ids = append(w.ids, o.ID)
				w.mu.Unlock()
			}
		})
	}
}

func (w *drillWriters) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.ids)
}

func (w *drillWriters) acked() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.ids...)
}

// halt stops the writers and waits for them.
func (w *drillWriters) halt() {
	close(w.stop)
	w.wg.Wait()
}
