package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/store"
)

// TestCheck_findsABrokenInvariant seeds the demo warehouse, checks it
// (ok), then breaks one invariant behind the store's back — a stock row
// reserving more than the orders allocate — and expects `pickwave check`
// to name it and fail.
func TestCheck_findsABrokenInvariant(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(context.Background(), db, demo.DefaultSite(time.Now())); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"check", "--data", dir}, &out, io.Discard); err != nil || strings.TrimSpace(out.String()) != "ok" {
		t.Fatalf("check of a sound store: %v, %q", err, out.String())
	}

	b, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var broken string
	err = b.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte("stock")).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var s pickwave.Stock
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			if s.Reserved > 0 && s.Reserved < s.OnHand {
				s.Reserved++
				broken = s.SKU
				data, _ := json.Marshal(s)
				return tx.Bucket([]byte("stock")).Put(append([]byte(nil), k...), data)
			}
		}
		return nil
	})
	b.Close()
	if err != nil || broken == "" {
		t.Fatalf("break a stock row: %v (found %q)", err, broken)
	}
	out.Reset()
	err = run(context.Background(), []string{"check", "--data", dir}, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), broken) || !strings.Contains(out.String(), "reserved") {
		t.Fatalf("check of a broken store: %v, %q", err, out.String())
	}
}
