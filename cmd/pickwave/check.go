package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/pickwave/pickwave/store"
)

// runCheck verifies a stopped server's store: bbolt's page consistency
// and Pickwave's invariants (see store.Check). It prints "ok" or every
// violation found, and fails in the second case. With --etcd it checks a
// replicated site: its log in etcd, then its data pulled from there.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", DefaultConfig().Data, "data `directory` of a stopped server")
	file := fs.String("file", "", "a store `file` to check instead, such as a backup")
	sf := addSiteFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("check takes no arguments, got %q", fs.Args())
	}
	h, err := sf.ha(fs)
	if err != nil {
		return err
	}
	if len(h.Etcd) > 0 {
		if *file != "" || flagGiven(fs, "data") {
			return errors.New("give --data DIR, --file FILE or --etcd URLS (a replicated site), only one")
		}
		return checkSite(ctx, h, stdout, stderr)
	}
	if *file != "" {
		info, err := store.VerifyFile(*file)
		if err != nil {
			fmt.Fprintln(stdout, err)
			return fmt.Errorf("store file %s is not sound", *file)
		}
		fmt.Fprintf(stdout, "ok: %d bytes, schema version %d, %d events\n", info.Size, info.SchemaVersion, info.Events)
		return nil
	}
	if err := store.CheckFile(*data); err != nil {
		fmt.Fprintln(stdout, err)
		return fmt.Errorf("store %s is not sound", *data)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
