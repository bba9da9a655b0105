package store_test

import (
	"sync"
	"testing"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
)

// TestDB_NextSSCC_uniqueAcrossReopen takes SSCCs and tracking serials,
// closes and reopens the store, and checks that none is issued twice and
// every SSCC is valid.
func TestDB_NextSSCC_uniqueAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	seen := map[string]bool{}
	serials := map[uint64]bool{}
	for round := range 3 {
		db := mustOpenDir(t, dir)
		for i := range 5 {
			sscc, err := db.NextSSCC(ctxAs("t"), "0614141", byte(i%2))
			if err != nil {
				t.Fatal(err)
			}
			if err := gs1.ValidSSCC(sscc); err != nil {
				t.Fatal(err)
			}
			if seen[sscc] {
				t.Fatalf("round %d: SSCC %s issued twice", round, sscc)
			}
			seen[sscc] = true
			n, err := db.NextTrackingSerial(ctxAs("t"), "local")
			if err != nil {
				t.Fatal(err)
			}
			if serials[n] || n == 0 {
				t.Fatalf("round %d: tracking serial %d issued twice or zero", round, n)
			}
			serials[n] = true
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 15 || len(serials) != 15 {
		t.Fatalf("%d SSCCs and %d serials, want 15 each", len(seen), len(serials))
	}
}

// TestDB_NextTrackingSerial_concurrent takes serials from many goroutines
// at once (their units share group commits) and checks each is unique.
func TestDB_NextTrackingSerial_concurrent(t *testing.T) {
	db := mustOpen(t)
	const workers, each = 8, 25
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				n, err := db.NextTrackingSerial(ctxAs("t"), []string{"local", "van"}[w%2])
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[n] {
					t.Errorf("serial %d issued twice", n)
				}
				seen[n] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != workers*each {
		t.Fatalf("%d serials, want %d", len(seen), workers*each)
	}
}

func TestDB_NextSSCC_errors(t *testing.T) {
	db := mustOpen(t)
	for _, tt := range []struct {
		name   string
		prefix string
		ext    byte
	}{{"letters in prefix", "06141A1", 0}, {"short prefix", "123", 0}, {"extension 10", "0614141", 10}} {
		_, err := db.NextSSCC(ctxAs("t"), tt.prefix, tt.ext)
		if pickwave.ErrorCode(err) != pickwave.EINVALID {
			t.Errorf("%s: %v, want invalid", tt.name, err)
		}
	}
	if _, err := db.NextTrackingSerial(ctxAs("t"), ""); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Errorf("empty carrier: %v", err)
	}
	// A 12-digit prefix leaves 4 digits: serials 1 to 9999, then used up.
	// Taken from many goroutines, so that group commits batch them.
	var wg sync.WaitGroup
	for range 99 {
		wg.Go(func() {
			for range 101 {
				if _, err := db.NextSSCC(ctxAs("t"), "123456789012", 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	_, err := db.NextSSCC(ctxAs("t"), "123456789012", 0)
	mustCode(t, err, pickwave.ECONFLICT)
	// The refused unit rolled back its step: a shorter prefix numbers on
	// from 10000.
	sscc, err := db.NextSSCC(ctxAs("t"), "0614141", 0)
	if err != nil || sscc != "006141410000100002" {
		t.Fatalf("after the used-up prefix: %s, %v", sscc, err)
	}
}
