package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/client"
	"github.com/pickwave/pickwave/internal/testenv"
)

// readmeSkips are the README's shell blocks this test does not run, each
// found by a line of it, with the reason. Keep it short: a block that can
// run, runs. An entry that matches no block fails the test.
var readmeSkips = map[string]string{
	"make run    #": "the test serves the demo itself, as make run does; make test is what runs this test",
	"./bin/pickwave sim scanner                          #": "three simulators that run until Ctrl-C, one per terminal, waiting for typed commands",
	`pickwave backup --server "$PICKWAVE_URL"`:              "the restore drill, which TestReadme_restoreDrill runs line by line with its variables",
	`pickwave ha push --etcd "$ETCD"`:                       "needs an etcd cluster; TestHA_pushAndPull, TestHA_checkFindsADamagedLog and TestHA_backupAndRestore run these commands",
}

// readmeStopped marks a block that runs with the server stopped: its
// first line says so, for the reader as for this test.
const readmeStopped = "# with the server stopped"

// readmeBlock is one fenced shell block of the README.
type readmeBlock struct {
	line int // of the opening fence
	body string
}

// readmeBlocks returns README.md's fenced sh, bash and console blocks; a
// console block's commands are its "$ " lines.
func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	var cur *readmeBlock
	console := false
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			switch lang := strings.TrimPrefix(trimmed, "```"); lang {
			case "sh", "bash", "shell", "console":
				cur, console = &readmeBlock{line: i + 1}, lang == "console"
			default:
				cur = &readmeBlock{line: -1} // another language or none: not run
			}
		case cur != nil && trimmed == "```":
			if cur.line > 0 {
				blocks = append(blocks, *cur)
			}
			cur = nil
		case cur != nil && cur.line > 0:
			if console {
				cmd, ok := strings.CutPrefix(line, "$ ")
				if !ok {
					continue // output
				}
				line = cmd
			}
			cur.body += line + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("README.md: a fenced block is not closed (line %d)", cur.line)
	}
	return blocks
}

// readmePrelude makes curl fail on any answer that is not 2xx and on a
// body file that does not exist (curl -s would send an empty body), and
// stops background jobs at the end.
const readmePrelude = `set -euo pipefail
curl() {
  local prev="" a
  for a in "$@"; do
    case "$prev" in
      -d|--data|--data-binary|--data-urlencode|-F|--form)
        case "$a" in @*) [[ -f "${a#@}" ]] || { echo "curl: no file ${a#@}" >&2; return 66; } ;; esac ;;
    esac
    prev="$a"
  done
  command curl --fail-with-body -sS "$@"
}
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
trap 'echo "README.md block at line $README_LINE failed: $BASH_COMMAND" >&2' ERR
`

// TestReadme_examples runs every shell example of README.md, as written,
// against the built binary serving the demo with its live floor on a
// loopback port: one bash session, block after block, so that variables
// carry over as in a reader's terminal. Its only change to the blocks is
// the server's address: 127.0.0.1:8080 becomes the test's port. Any
// answer that is not 2xx, any missing file and any failing command fails
// the test. Blocks that start "# with the server stopped" run after the
// server has stopped; the blocks of readmeSkips do not run.
func TestReadme_examples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server")
	}
	t.Parallel() // with TestServe_demoFloor
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl")
	}
	bin := testenv.BuildBinary(t)
	work := filepath.Dir(filepath.Dir(bin)) // bin/pickwave in it, as make build leaves it
	// The repository's files the examples name, where a clone has them.
	for _, f := range []string{"demo/orders.csv"} {
		data, err := os.ReadFile(filepath.Join("../..", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(work, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var running, stopped []readmeBlock
	used := map[string]bool{}
	for _, b := range readmeBlocks(t) {
		skip := ""
		for key, why := range readmeSkips {
			if strings.Contains(b.body, key) {
				skip, used[key] = why, true
			}
		}
		switch {
		case skip != "":
			t.Logf("README.md line %d not run: %s", b.line, skip)
		case strings.HasPrefix(b.body, readmeStopped):
			stopped = append(stopped, b)
		default:
			running = append(running, b)
		}
	}
	for key := range readmeSkips {
		if !used[key] {
			t.Errorf("readmeSkips has %q, which no README block has any more: remove it", key)
		}
	}
	if len(running) < 8 || len(stopped) < 2 {
		t.Fatalf("README.md has %d blocks to run with the server and %d without: fewer than it had", len(running), len(stopped))
	}

	addr := testenv.FreeAddr(t)
	srv := testenv.ServeBinary(t, bin, "serve", "--demo", "--demo-floor", "--demo-floor-speed", "30",
		"--addr", addr, "--data", filepath.Join(work, "data"))
	defer srv.Terminate(t)
	// The dock example ships a package the demo floor packed.
	api := client.New(srv.Base)
	ctx := context.Background()
	if err := api.Login(ctx, "admin", "pickwave"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 3*time.Minute, "a package packed by the demo floor", func() bool {
		orders, err := api.Orders.Orders(ctx, pickwave.OrderFilter{Status: pickwave.OrderPacked, Limit: 1})
		return err == nil && len(orders) > 0
	})

	runBlocks(t, bash, work, addr, running)
	srv.Terminate(t)
	runBlocks(t, bash, work, addr, stopped)
}

// runBlocks runs blocks in one bash session in dir, the server at addr.
func runBlocks(t *testing.T, bash, dir, addr string, blocks []readmeBlock) {
	t.Helper()
	var script strings.Builder
	script.WriteString(readmePrelude)
	for _, b := range blocks {
		fmt.Fprintf(&script, "README_LINE=%d\necho '--- README.md line %d' >&2\n%s\n", b.line, b.line,
			strings.ReplaceAll(b.body, "127.0.0.1:8080", addr))
	}
	cmd := exec.Command(bash, "-c", script.String())
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(dir, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Stdin = nil // /dev/null: an example reading the terminal gets its end
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README examples: %v\n%s", err, tail(string(out), 6000))
	}
	shown := string(out)
	if !testing.Verbose() {
		shown = tail(shown, 3000)
	}
	t.Logf("%d README blocks ran:\n%s", len(blocks), shown)
	if m := regexp.MustCompile(`(?m)^pickwave: .*`).FindString(string(out)); m != "" {
		t.Fatalf("a pickwave command failed: %s", m)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
