// Package e2e holds the end-to-end floor test, and nothing else: it
// builds the pickwave binary, serves `pickwave serve --demo` on a
// loopback port with a data directory of its own, and drives the
// supervisor's screens and two pickers' handhelds in real headless
// Chromium (internal/browsertest) through the public contracts only: the
// pages, the HTTP API (package client) and the websockets the pages
// open. It is a package of its own so that `go test ./...` runs it
// beside the other packages' tests. See TestFloor_endToEnd.
package e2e
