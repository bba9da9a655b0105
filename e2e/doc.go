// Package e2e holds the end-to-end tests of the built binary, and
// nothing else; it is a package of its own so that `go test ./...` runs
// them beside the other packages' tests.
//
// TestFloor_endToEnd serves `pickwave serve --demo` on a loopback port
// with a data directory of its own, and drives the supervisor's screens
// and two pickers' handhelds in real headless Chromium
// (internal/browsertest) through the public contracts only: the pages,
// the HTTP API (package client) and the websockets the pages open.
//
// TestHA_faults runs a highly available site: three etcd members and two
// `pickwave serve --etcd` nodes, each a process of its own, under
// handheld load, and kills and cuts them (docs/ha.md, "Fault test").
package e2e
