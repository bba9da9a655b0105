package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/pickwave/pickwave/store"
)

// runCheck verifies a stopped server's store: bbolt's page consistency
// and Pickwave's invariants (see store.Check). It prints "ok" or every
// violation found, and fails in the second case.
func runCheck(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", DefaultConfig().Data, "data `directory` of a stopped server")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("check takes no arguments, got %q", fs.Args())
	}
	if err := store.CheckFile(*data); err != nil {
		fmt.Fprintln(stdout, err)
		return fmt.Errorf("store %s is not sound", *data)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
