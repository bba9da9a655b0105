package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testName matches a test named in the docs, `TestX_y` or a family
// `TestX_*`, and testFunc a test function in a Go file.
var (
	testName = regexp.MustCompile("`(Test[A-Za-z0-9]+(?:_[A-Za-z0-9]+)?)(_\\*)?`")
	testFunc = regexp.MustCompile(`(?m)^func (Test\w+)\(`)
)

// TestSecurity_claimsNameRealTests fails when docs/security.md names a
// test that does not exist: each claim there is only as good as the test
// that shows it, and a renamed or deleted test must not leave the claim
// standing unproven.
func TestSecurity_claimsNameRealTests(t *testing.T) {
	tests := map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range testFunc.FindAllStringSubmatch(string(data), -1) {
			tests[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("security.md")
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, m := range testName.FindAllStringSubmatch(string(doc), -1) {
		named++
		name, family := m[1], m[2] != ""
		if !family {
			if !tests[name] {
				t.Errorf("docs/security.md names %s, which no test file defines", name)
			}
			continue
		}
		found := false
		for test := range tests {
			if strings.HasPrefix(test, name+"_") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("docs/security.md names %s_*, but no test begins with %s_", name, name)
		}
	}
	if named < 30 {
		t.Fatalf("docs/security.md names %d tests; the pattern must have stopped matching", named)
	}
}
