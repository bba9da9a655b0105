package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
	"github.com/pickwave/pickwave/web"
)

// Main is the running program: the store and the server, opened in order
// and closed in reverse.
type Main struct {
	Config Config
	Logger *slog.Logger

	DB     *store.DB
	Server *server.Server
}

// Open opens the store, seeds the demo if asked, and starts serving.
func (m *Main) Open(ctx context.Context) error {
	db, err := store.Open(m.Config.Data, store.Options{Logger: m.Logger})
	if err != nil {
		return err
	}
	m.DB = db
	if m.Config.Demo {
		if err := m.seedDemo(ctx); err != nil {
			return err
		}
	}
	m.Server = &server.Server{
		Inventory: db, Orders: db, Events: db, Users: db, Waves: db, Planner: db, Picks: db,
		Logger: m.Logger, Web: web.Handler(),
	}
	if err := m.Server.Open(m.Config.Addr); err != nil {
		return err
	}
	m.Logger.Info("pickwave serving", "addr", "http://"+m.Server.Addr(), "data", db.Path(), "demo", m.Config.Demo)
	return nil
}

func (m *Main) seedDemo(ctx context.Context) error {
	last, err := m.DB.LastSeq(ctx)
	if err != nil {
		return err
	}
	if last > 0 {
		m.Logger.Info("demo: data is not empty, not seeding")
		return nil
	}
	start := time.Now()
	if err := demo.Seed(ctx, m.DB, demo.DefaultSite(start)); err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	m.Logger.Info("demo warehouse seeded", "took", time.Since(start).Round(time.Millisecond),
		"users", len(demo.Users), "password", demo.Password)
	return nil
}

// Close stops the server, letting in-flight requests finish within the
// shutdown timeout, then closes the store.
func (m *Main) Close() error {
	var first error
	if m.Server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(m.Config.ShutdownTimeout))
		defer cancel()
		if err := m.Server.Close(ctx); err != nil {
			first = err
		}
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Logger: logger}
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	logger.Info("shutting down")
	if err := m.Close(); err != nil {
		return err
	}
	logger.Info("stopped cleanly")
	return nil
}
