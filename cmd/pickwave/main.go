// Command pickwave runs a warehouse-floor picking and packing server.
//
//	pickwave serve [--addr 127.0.0.1:8080] [--data ./data] [--demo [--demo-floor]] [--config FILE]
//	pickwave token --data DIR --role ROLE [--user NAME] [--ttl 720h]
//	pickwave backup --server URL --token T --out FILE | --data DIR --out FILE
//	pickwave restore --from FILE --data DIR
//	pickwave ha push|pull|status --etcd URLS --site NAME ...
//	pickwave devices [--json]
//	pickwave sim scanner|scale|printer [--path P] [--addr A] [--protocol P] | --station ID [--data DIR]
//
// Run `pickwave help` for every subcommand.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/pickwave/pickwave"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "pickwave:", describe(err))
		os.Exit(1)
	}
}

// describe shows an application error's message, others as they are.
func describe(err error) string {
	if pickwave.ErrorCode(err) != pickwave.EINTERNAL {
		return pickwave.ErrorMessage(err)
	}
	return err.Error()
}

const usage = `pickwave runs a warehouse floor: orders, waves, picking, packing.

Usage:
  pickwave serve  [--addr 127.0.0.1:8080] [--data ./data] [--demo [--demo-floor]] [--config FILE]
  pickwave token  --data DIR --role picker|packer|supervisor|admin [--user NAME] [--ttl 720h]
  pickwave check  --data DIR     verify a stopped server's store: bbolt pages and invariants
                  [--file FILE]  (or a backup file)
  pickwave backup --server URL --token ADMIN_TOKEN --out FILE
                                 hot backup of a running server, verified before it is kept
  pickwave backup --data DIR --out FILE
                                 backup of a stopped server's store, verified
  pickwave restore --from FILE --data DIR
                                 verify a backup and put it in place of a stopped server's store
  pickwave ha push|pull|status --etcd URLS [--site main] ...
                                 a replicated site's data in etcd: push a data directory in,
                                 pull it out as a standalone store, show leader, snapshot, log
  pickwave check|backup|restore --etcd URLS [--site main] ...
                                 the same commands on a replicated site (pickwave ha help)
  pickwave devices [--json]      list serial ports: USB VID:PID, serial number, kind
  pickwave sim scanner|scale|printer [--path P] [--addr A] [--protocol P]
                                 run one simulated device until Ctrl-C
  pickwave sim scanner|scale|printer --station PACK-1 [--data ./data]
                                 type into a --demo server's built-in simulated device
  pickwave loadgen [--url http://127.0.0.1:8080] [--handhelds 10] [--duration 30s] [--wrong 0.05]
                   [--disconnect 0.01] [--rate 0] [--token ADMIN_TOKEN | --badge-prefix B]
                                 drive simulated handhelds; print scans/s, round trips, faults
  pickwave help

Run "pickwave COMMAND --help" for a command's flags.
`

// run dispatches a subcommand; it is main without the process around it,
// so tests can run the whole program.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stderr)
	case "token":
		return runToken(ctx, args[1:], stdout, stderr)
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr)
	case "backup":
		return runBackup(ctx, args[1:], stdout, stderr)
	case "restore":
		return runRestore(ctx, args[1:], stdout, stderr)
	case "ha":
		return runHA(ctx, args[1:], stdout, stderr)
	case "devices":
		return runDevices(ctx, args[1:], stdout, stderr)
	case "sim":
		return runSim(ctx, args[1:], os.Stdin, stdout, stderr)
	case "loadgen":
		return runLoadgen(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
