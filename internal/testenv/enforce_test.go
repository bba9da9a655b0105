package testenv

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// opensStore finds a test opening a store or its file directly.
var opensStore = regexp.MustCompile(`\b(store|bolt)\.Open\(`)

// servesUnchecked finds a test serving a handler without Checked.
var servesUnchecked = regexp.MustCompile(`httptest\.New(Unstarted)?Server\([\w.]*\.Handler\(\)\)`)

// mayOpenDirectly are the test files that must reach the file itself:
// the store's own helper (its package's tests cannot import this one's
// server), the migration tests that write older schemas, the checks'
// tests that break invariants behind the store's back. Each checks what
// it opened through store.CheckFile, or expects the check to fail.
var mayOpenDirectly = map[string]bool{
	"internal/testenv/testenv.go": true,
	"store/store_test.go":         true,
	"store/migrate_test.go":       true,
	"store/check_test.go":         true,
	"store/commit_test.go":        true,
	"store/kpis_bench_test.go":    true,
	"cmd/pickwave/check_test.go":  true,
}

// TestStoresAreChecked fails when a test file outside mayOpenDirectly
// opens a store without OpenStore, which checks it when the test ends. A
// line that must (a store that is expected not to open, a read-only look
// at a file) says why in a comment starting "// unchecked: ".
func TestStoresAreChecked(t *testing.T) {
	bad := scanTests(t, func(rel, line string) bool {
		return !mayOpenDirectly[rel] && opensStore.MatchString(line) && !strings.Contains(line, "// unchecked: ")
	})
	if len(bad) > 0 {
		t.Fatalf("these tests open a store without testenv.OpenStore, so it is never checked: %s", strings.Join(bad, ", "))
	}
}

// TestServersAreChecked fails when a test serves a server's handler
// without Checked, so its exchanges would escape the contract.
func TestServersAreChecked(t *testing.T) {
	bad := scanTests(t, func(rel, line string) bool { return servesUnchecked.MatchString(line) })
	if len(bad) > 0 {
		t.Fatalf("these tests serve a handler without testenv.Checked, so its answers are never held to docs/openapi.yaml: %s", strings.Join(bad, ", "))
	}
}

// scanTests returns file:line of every line of a test file that bad
// reports, given the file's path from the module root.
func scanTests(t *testing.T, bad func(rel, line string) bool) []string {
	t.Helper()
	root := filepath.Join("..", "..")
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if bad(rel, line) {
				found = append(found, fmt.Sprintf("%s:%d", rel, i+1))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
