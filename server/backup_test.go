package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/pickwave/pickwave/store"
)

// TestBackup_adminDownloadsAVerifiedCopyWhileWritesGoOn downloads a hot
// backup through the API while supervisors create locations as fast as
// they can: the answer is the whole file (its Content-Length exact), it
// passes the store's check, and every location created before the
// request is in it. Only an admin may download one.
func TestBackup_adminDownloadsAVerifiedCopyWhileWritesGoOn(t *testing.T) {
	e := newEnv(t)
	for _, token := range []string{e.super, e.pick} {
		mustStatus(t, e.do("GET", "/api/v1/backup", token, "", nil), 403)
	}
	mustStatus(t, e.do("GET", "/api/v1/backup", "", "", nil), 401)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				code := fmt.Sprintf("B%d-%02d-%d", w+1, i%99+1, i/99+1)
				if res := e.json("POST", "/api/v1/locations", e.super, map[string]any{"code": code, "zone": "A", "aisle": w + 1, "bay": i%99 + 1, "level": i/99 + 1, "kind": "pick"}); res.status != 201 {
					t.Errorf("create location %s: %d %s", code, res.status, res.body)
					return
				}
			}
		})
	}
	// Some writes first, so that the copy has something to lose.
	for i := range 20 {
		code := fmt.Sprintf("C01-%02d-1", i+1)
		mustStatus(t, e.json("POST", "/api/v1/locations", e.super, map[string]any{"code": code, "zone": "A", "aisle": 9, "bay": i + 1, "level": 1, "kind": "pick"}), 201)
	}
	seq, err := e.db.LastSeq(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	res := e.do("GET", "/api/v1/backup", e.admin, "", nil)
	close(stop)
	wg.Wait()
	mustStatus(t, res, 200)
	if ct := res.header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	if n, err := strconv.Atoi(res.header.Get("Content-Length")); err != nil || n != len(res.body) {
		t.Errorf("Content-Length %q, body %d bytes", res.header.Get("Content-Length"), len(res.body))
	}
	if cd := res.header.Get("Content-Disposition"); !regexp.MustCompile(`^attachment; filename="pickwave-\d{4}-\d\d-\d\dT\d{4}Z\.db"$`).MatchString(cd) {
		t.Errorf("Content-Disposition %q", cd)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(path, res.body, 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := store.VerifyFile(path)
	if err != nil {
		t.Fatalf("the downloaded backup: %v", err)
	}
	if info.Events < seq || info.SchemaVersion != store.SchemaVersion() {
		t.Fatalf("backup %+v; %d events were acknowledged before the request", info, seq)
	}
	t.Logf("backup of %d bytes with %d events, %d acknowledged before the request", info.Size, info.Events, seq)
}
