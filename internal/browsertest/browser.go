// Package browsertest drives pickwave's pages in real headless Chromium
// through chromedp, for the web package's page tests and the end-to-end
// floor test (package e2e): a Browser is a Chromium process with its own
// profile, its console kept; CutProxy stands between a handheld and the
// server as a Wi-Fi dead spot does; handheld.go reads what the handheld
// page shows and keeps. Every step has a timeout and fails the test.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Path is the Chromium to drive: $PICKWAVE_CHROME or /usr/bin/chromium.
func Path(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PICKWAVE_CHROME")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no browser at %s (%v): install it with `apt-get install -y chromium`, "+
			"or set PICKWAVE_CHROME to a Chrome or Chromium binary; -short skips this test", path, err)
	}
	return path
}

// Browser is a tab of a headless Chromium, and what its console said.
type Browser struct {
	t   *testing.T
	ctx context.Context

	// Of the browser's first tab only: how to start it again.
	execPath, profile string
	stop              func()

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// New starts Chromium with a profile of its own, removed when the test
// ends; the browser stops before.
func New(t *testing.T, execPath string) *Browser {
	t.Helper()
	return NewWithProfile(t, execPath, t.TempDir())
}

// NewWithProfile starts Chromium with the user data directory profile,
// which outlives the browser: Restart starts it again on the same one.
func NewWithProfile(t *testing.T, execPath, profile string) *Browser {
	t.Helper()
	b := &Browser{t: t, execPath: execPath, profile: profile}
	b.start()
	t.Cleanup(func() {
		if b.stop != nil {
			b.stop()
		}
	})
	return b
}

func (b *Browser) start() {
	b.t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(b.execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(b.profile),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b.stop = func() {
		cancelTab()
		cancelAlloc()
	}
	// Start the browser without a deadline: the first Run binds its life to
	// the context it gets. Each step has its own timeout.
	if err := chromedp.Do(ctx); err != nil {
		b.stop()
		b.t.Fatalf("start %s: %v", b.execPath, err)
	}
	b.ctx = ctx
	b.mu.Lock()
	b.console = nil
	b.mu.Unlock()
	b.listen()
}

// listen keeps the tab's console messages until the tab closes.
func (b *Browser) listen() {
	msgs := chromedp.Console(b.ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
}

// Restart closes the whole browser as a person quitting it does (every
// tab, the process ending with its profile written), then starts it
// again on the same profile with one blank tab. Only the browser's first
// Browser can restart it.
func (b *Browser) Restart() {
	b.t.Helper()
	if b.stop == nil {
		b.t.Fatal("restart: not a browser's first tab")
	}
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Cancel(ctx); err != nil {
		b.t.Fatalf("close the browser: %v", err)
	}
	b.stop()
	b.start()
}

// Tab opens a new tab of b's browser; closing it leaves the browser.
func (b *Browser) Tab() (*Browser, context.CancelFunc) {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("new tab: %v", err)
	}
	tab := &Browser{t: b.t, ctx: ctx}
	tab.listen()
	return tab, cancel
}

// Do runs actions, failing the test when they do not finish in time.
func (b *Browser) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v%s", what, err, b.ConsoleText())
	}
}

// InstallScript makes src run in every document the tab opens from now
// on, before the page's own scripts: to stand in for what headless
// Chromium lacks (a camera, a barcode detector) or to record what the
// page does from its first moment (the sockets it opens, CSP
// violations). what names the step in a failure.
func (b *Browser) InstallScript(what, src string) {
	b.t.Helper()
	b.Do(what, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return err
	}))
}

// Eval returns the value of a JavaScript expression in b's page.
func Eval[T any](b *Browser, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Text returns the trimmed text of the first element that matches sel.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(Eval[string](b, fmt.Sprintf(`document.querySelector(%q).textContent`, sel)))
}

// Texts returns the text of every element that matches sel.
func (b *Browser) Texts(sel string) []string {
	b.t.Helper()
	return Eval[[]string](b, fmt.Sprintf(`[...document.querySelectorAll(%q)].map(e => e.textContent.trim())`, sel))
}

// WaitFor waits until a JavaScript predicate holds in the page.
func (b *Browser) WaitFor(what, predicate string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.t.Fatalf("wait for %s: %v%s", what, err, b.ConsoleText())
	}
}

// Fill replaces the text of an input: it empties it, then types.
func (b *Browser) Fill(sel, text string) {
	b.t.Helper()
	b.Do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	Eval[chromedp.Void](b, fmt.Sprintf(`(e => { e.value = ''; e.dispatchEvent(new Event('input', {bubbles: true})); })(document.querySelector(%q))`, sel))
	b.Do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// Choose picks an option of a select as a person would, firing change.
func (b *Browser) Choose(sel, value string) {
	b.t.Helper()
	b.Do("wait for "+sel, chromedp.WaitEnabled(chromedp.CSS(sel)))
	ok := Eval[bool](b, fmt.Sprintf(`(s => { s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value === %q; })(document.querySelector(%q))`, value, value, sel))
	if !ok {
		b.t.Fatalf("%s has no option %q", sel, value)
	}
}

// Wedge types code and Enter as a keyboard-wedge scanner does: keys
// wedgeGap apart. Each key carries its time, as the system stamps a real
// scanner's keys when they arrive, so a test machine slow to deliver
// them over the DevTools protocol does not make the burst look typed.
func (b *Browser) Wedge(code string) {
	b.t.Helper()
	start := time.Now()
	var keys []chromedp.Action[chromedp.Void]
	for _, r := range code + "\r" {
		at := input.TimeSinceEpoch(float64(start.Add(time.Duration(len(keys))*wedgeGap).UnixNano()) / 1e9)
		keys = append(keys, chromedp.KeyEvent(string(r), func(k *input.DispatchKeyEventParams) { k.Timestamp = at }))
	}
	b.Do("wedge "+code, keys...)
}

// wedgeGap is the time between a scanner's keys.
const wedgeGap = 4 * time.Millisecond

// TypeSlowly types text as a person does, a key every 120 ms.
func (b *Browser) TypeSlowly(text string) {
	b.t.Helper()
	for _, r := range text {
		b.Do("type "+string(r), chromedp.KeyEvent(string(r)), chromedp.Sleep(120*time.Millisecond))
	}
}

// BlockSocket makes the browser unable to open the handheld socket of
// the server at base, as when the handheld walks out of Wi-Fi range;
// false lets it through again.
func (b *Browser) BlockSocket(base string, block bool) {
	b.t.Helper()
	var patterns []*network.BlockPattern
	if block {
		host := strings.TrimPrefix(base, "http://")
		patterns = []*network.BlockPattern{
			{URLPattern: "ws://" + host + "/ws/handheld", Block: true},
			{URLPattern: "http://" + host + "/ws/handheld", Block: true},
		}
	}
	b.Do("block the socket", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: patterns})
		return err
	}))
}

// SaveShot writes a PNG of the page to the module's docs/screenshots/name,
// where the README and the docs show them.
func (b *Browser) SaveShot(name string) {
	b.t.Helper()
	dir := filepath.Join(moduleRoot(b.t), "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	b.writeShot(filepath.Join(dir, name))
}

// Screenshot writes a PNG of the page to the temporary directory, for a
// person to look at, and logs where.
func (b *Browser) Screenshot(name string) {
	b.t.Helper()
	path := filepath.Join(os.TempDir(), name)
	b.writeShot(path)
	b.t.Logf("screenshot: %s", path)
}

func (b *Browser) writeShot(path string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", filepath.Base(path), err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// moduleRoot is the directory of go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// ConsoleText is what the tab's console said, one message a line.
func (b *Browser) ConsoleText() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var sb strings.Builder
	for _, m := range b.console {
		fmt.Fprintf(&sb, "\n  console %s: %s", m.Type, m.Text)
	}
	return sb.String()
}

// CheckConsole fails on script errors and on anything the CSP refused.
// Failed API requests (the wrong password, an unknown SKU) are expected.
func (b *Browser) CheckConsole() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Refused to") {
			b.t.Errorf("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
		}
	}
}

// Console returns the messages the tab's console has had so far.
func (b *Browser) Console() []chromedp.ConsoleMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.console)
}
