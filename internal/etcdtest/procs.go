package etcdtest

import (
	"bufio"
	"errors"
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

// StartProcs starts a new cluster of n members as processes, with data
// under dir and each with args more (e.g. --unsafe-no-fsync), and waits
// until every one serves. They die with this process (their stdin is its
// pipe) or on Close. Should a port given to a member be taken before it
// binds it, the cluster is laid out again on other ports.
func StartProcs(n int, dir string, args ...string) (*Procs, error) {
	bin, err := NodeBinary()
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		ms, err := plan(n, dir)
		if err != nil {
			return nil, err
		}
		p := &Procs{Members: ms, bin: bin, args: args, cmds: make([]*exec.Cmd, n), stdins: make([]io.WriteCloser, n)}
		err = p.startAll()
		if err == nil {
			return p, nil
		}
		p.Close()
		if !errors.Is(err, errAddrInUse) || attempt == 3 {
			return nil, err
		}
		for _, m := range ms {
			if err := os.RemoveAll(m.Dir); err != nil {
				return nil, err
			}
		}
	}
}

// startAll starts every member of a new cluster at once (each waits for
// the others to form it).
func (p *Procs) startAll() error {
	ready := make(chan error, len(p.Members))
	for i := range p.Members {
		go func() { ready <- p.Start(i, "new") }()
	}
	var errs []error
	for range p.Members {
		errs = append(errs, <-ready)
	}
	return errors.Join(errs...)
}

// errAddrInUse marks a member that could not bind its port.
var errAddrInUse = errors.New("address already in use")

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
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		s.Scan()
		line <- s.Text()
		io.Copy(io.Discard, stdout)
	}()
	var l string
	select {
	case l = <-line:
	case <-time.After(time.Minute):
		l = "not ready after a minute"
	}
	if l != "ready" {
		// Its stderr is complete (and no longer written) once it ended.
		cmd.Process.Kill()
		cmd.Wait()
		err := fmt.Errorf("etcd member %s: %q, %s", m.Name, l, stderr.String())
		if strings.Contains(stderr.String(), errAddrInUse.Error()) {
			err = fmt.Errorf("%w: %w", errAddrInUse, err)
		}
		return err
	}
	p.mu.Lock()
	p.cmds[i], p.stdins[i] = cmd, stdin
	p.mu.Unlock()
	return nil
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
