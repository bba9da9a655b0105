package etcdtest

import (
	"errors"
	"io"
	"net"
	"os/exec"
	"testing"
)

// TestStart_portTaken: a member whose port another listener holds fails
// with errAddrInUse (which StartProcs answers by laying the cluster out
// again), and the failure leaves no process behind.
func TestStart_portTaken(t *testing.T) {
	bin, err := NodeBinary()
	if err != nil {
		t.Fatal(err)
	}
	ms, err := plan(1, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", ms[0].ClientURL[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := &Procs{Members: ms, bin: bin, cmds: make([]*exec.Cmd, 1), stdins: make([]io.WriteCloser, 1)}
	err = p.Start(0, "new")
	if !errors.Is(err, errAddrInUse) {
		t.Fatalf("Start on a taken port: %v, want errAddrInUse", err)
	}
	if p.cmds[0] != nil {
		t.Fatal("the failed member is kept as running")
	}

	c, err := StartProcs(1, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}
