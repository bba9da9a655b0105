package e2e

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a child process whose output lines are kept (the msg of a
// JSON log line, else the line), killed when the test ends if it still
// runs.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when it exited; err is then set
	err  error

	mu    sync.Mutex
	msgs  []string
	times []time.Time // when each of msgs came
	lines []string    // the last few, for a failure's report
}

func startProc(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			msg := line
			var rec struct {
				Msg string `json:"msg"`
			}
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg != "" {
				msg = rec.Msg
			}
			p.mu.Lock()
			p.msgs, p.times = append(p.msgs, msg), append(p.times, time.Now())
			if p.lines = append(p.lines, line); len(p.lines) > 100 {
				p.lines = p.lines[1:]
			}
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// waitLogged waits until the process has logged msg; false when it
// exited or timeout passed first.
func (p *proc) waitLogged(msg string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		ok := slices.Contains(p.msgs, msg)
		p.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-p.done:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

// loggedAt returns when the process last logged msg.
func (p *proc) loggedAt(msg string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, m := range slices.Backward(p.msgs) {
		if m == msg {
			return p.times[i], true
		}
	}
	return time.Time{}, false
}

func (p *proc) exitErr() any {
	select {
	case <-p.done:
		if p.err == nil {
			return "exited with status 0"
		}
		return p.err
	default:
		return "still running"
	}
}

func (p *proc) tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// kill ends the process with SIGKILL and waits for it.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// terminate stops the process with SIGTERM and requires a clean exit.
func (p *proc) terminate(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("%s exit: %v\n%s", p.name, p.err, p.tail())
		}
	case <-time.After(20 * time.Second):
		p.kill()
		t.Errorf("%s did not stop on SIGTERM", p.name)
	}
}
