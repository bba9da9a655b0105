package testenv

import (
	"flag"
	"strconv"
	"testing"
)

// RapidChecks has rapid run n sequences in the test binary's model tests
// (what `make test` runs), unless the command line asked for a number
// with -rapid.checks (a model's long version, as docs/benchmarks.md
// gives). Call it before rapid.Check.
func RapidChecks(t testing.TB, n int) {
	t.Helper()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "rapid.checks" })
	if explicit {
		return
	}
	if err := flag.Set("rapid.checks", strconv.Itoa(n)); err != nil {
		t.Fatalf("rapid.checks: %v", err)
	}
}
