package testenv

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pickwave/pickwave/internal/freeport"
)

// BuildBinary builds the pickwave command (./cmd/pickwave) into a new
// temporary directory and returns its path; the test is skipped where
// there is no go tool. Tests of a running binary (the README's examples,
// the restore drill, the crash test, the end-to-end floor) start it.
func BuildBinary(t testing.TB) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build the binary")
	}
	bin := filepath.Join(t.TempDir(), "bin", "pickwave")
	start := time.Now()
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/pickwave/pickwave/cmd/pickwave").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	t.Logf("built %s in %v", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// FreeAddr returns a loopback address for a server the test starts as a
// process of its own, its port free a moment ago (see freeport).
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// Served is the pickwave binary serving as a child process, the
// messages of its JSON logs kept.
type Served struct {
	// Base is the URL it serves on, as it logged: http://127.0.0.1:port.
	Base string

	cmd  *exec.Cmd
	done chan error

	mu   sync.Mutex
	msgs []string
}

// ServeBinary starts bin with args (`serve ...`; JSON logs are asked for
// when args do not), waits until it logs that it serves, and terminates
// it when the test ends if the test has not.
func ServeBinary(t testing.TB, bin string, args ...string) *Served {
	t.Helper()
	if !strings.Contains(strings.Join(args, " "), "--log-format json") {
		args = append(args, "--log-format", "json")
	}
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Served{cmd: cmd, done: make(chan error, 1)}
	served := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			msg, _ := rec["msg"].(string)
			s.mu.Lock()
			s.msgs = append(s.msgs, msg)
			s.mu.Unlock()
			if msg == "pickwave serving" {
				a, _ := rec["addr"].(string)
				served <- a
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case s.Base = <-served:
	case err := <-s.done:
		t.Fatalf("server exited before serving: %v", err)
	case <-time.After(45 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("server did not start")
	}
	t.Cleanup(func() { s.Terminate(t) })
	return s
}

// Logged reports whether the server has logged msg.
func (s *Served) Logged(msg string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.msgs, msg)
}

// Terminate stops the server with SIGTERM and waits for it, failing the
// test if it exits with an error or does not stop; a second call does
// nothing.
func (s *Served) Terminate(t testing.TB) {
	t.Helper()
	if s.done == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("server exit: %v", err)
		}
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Error("server did not stop on SIGTERM")
	}
	s.done = nil
}

// Pid is the server's process id.
func (s *Served) Pid() int { return s.cmd.Process.Pid }

// Kill ends the server with SIGKILL, as a power cut would, and waits for
// the process to be gone; Terminate after it does nothing.
func (s *Served) Kill() {
	if s.done == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.done = nil
}
