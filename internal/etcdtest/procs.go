package etcdtest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Procs is a cluster whose members each run in a process of their own
// (etcdnode, built without the race detector, so a test under -race
// does not slow etcd down ten times over).
type Procs struct {
	Members []Member
	bin     string
	args    []string
	mu      sync.Mutex
	cmds    []*exec.Cmd
	stdins  []io.WriteCloser
}

var node struct {
	once sync.Once
	bin  string
	err  error
}

// NodeBinary builds etcdnode once per test binary and returns its path.
func NodeBinary() (string, error) {
	node.once.Do(func() {
		dir, err := os.MkdirTemp("", "pickwave-etcdnode-")
		if err != nil {
			node.err = err
			return
		}
		node.bin = filepath.Join(dir, "etcdnode")
		cmd := exec.Command("go", "build", "-o", node.bin, "github.com/pickwave/pickwave/internal/etcdtest/etcdnode")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			node.err = fmt.Errorf("build etcdnode: %v\n%s", err, out)
		}
	})
	return node.bin, node.err
}

// StartProcs starts the members as processes, each with args more
// (e.g. --unsafe-no-fsync), and waits until every one serves. They die
// with this process (their stdin is its pipe) or on Close.
func StartProcs(ms []Member, args ...string) (*Procs, error) {
	bin, err := NodeBinary()
	if err != nil {
		return nil, err
	}
	p := &Procs{Members: ms, bin: bin, args: args, cmds: make([]*exec.Cmd, len(ms)), stdins: make([]io.WriteCloser, len(ms))}
	ready := make(chan error, len(ms))
	for i := range ms {
		go func() { ready <- p.Start(i, "new") }()
	}
	for range ms {
		if err := <-ready; err != nil {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// Start starts member i (again) and waits until it serves; state is
// "new" for a new cluster, "existing" to rejoin with its data.
func (p *Procs) Start(i int, state string) error {
	m := p.Members[i]
	cmd := exec.Command(p.bin, append([]string{"--name", m.Name, "--dir", m.Dir, "--client", m.ClientURL, "--peer", m.PeerURL,
		"--cluster", InitialCluster(p.Members), "--state", state, "--die-with-parent"}, p.args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start etcd member %s: %w", m.Name, err)
	}
	p.mu.Lock()
	p.cmds[i], p.stdins[i] = cmd, stdin
	p.mu.Unlock()
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		s.Scan()
		line <- s.Text()
		io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-line:
		if l != "ready" {
			return fmt.Errorf("etcd member %s: %q, %s", m.Name, l, stderr.String())
		}
		return nil
	case <-time.After(time.Minute):
		return fmt.Errorf("etcd member %s not ready after a minute: %s", m.Name, stderr.String())
	}
}

// Kill kills member i with SIGKILL and waits for it to end.
func (p *Procs) Kill(i int) {
	p.mu.Lock()
	cmd := p.cmds[i]
	p.cmds[i] = nil
	p.mu.Unlock()
	if cmd != nil {
		cmd.Process.Kill()
		cmd.Wait()
	}
}

// Endpoints are the members' client URLs.
func (p *Procs) Endpoints() []string { return Endpoints(p.Members) }

// Close stops every member.
func (p *Procs) Close() {
	for i := range p.Members {
		p.mu.Lock()
		cmd, stdin := p.cmds[i], p.stdins[i]
		p.cmds[i] = nil
		p.mu.Unlock()
		if cmd != nil {
			stdin.Close()
			cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}
	}
}
