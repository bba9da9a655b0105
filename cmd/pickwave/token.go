package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/store"
)

// runToken mints a bearer token offline from the data directory. It fails
// with a clear message while a server holds the directory.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", DefaultConfig().Data, "data `directory`")
	role := fs.String("role", "", "`role`: picker, packer, supervisor or admin")
	user := fs.String("user", "", "user `name` the token acts as (default: the role)")
	ttl := fs.Duration("ttl", 30*24*time.Hour, "how long the token is valid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *role == "" {
		return fmt.Errorf("--role is required (picker, packer, supervisor or admin)")
	}
	db, err := store.Open(*data, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := db.MintToken(pickwave.WithActor(ctx, "cli"), *user, pickwave.Role(*role), *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, token)
	return db.Close()
}
