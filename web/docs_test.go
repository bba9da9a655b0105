package web_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave/internal/browsertest"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
	"github.com/pickwave/pickwave/web"
)

// TestHandler_docsPage checks that /docs/api serves the reference page
// with the relaxed policy, and that only it has that policy.
func TestHandler_docsPage(t *testing.T) {
	h := web.Handler()
	for _, path := range []string{"/docs/api", "/docs/api/"} {
		rec := get(t, h, path)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		body := rec.Body.String()
		if !strings.Contains(body, `<redoc spec-url="/api/v1/openapi.yaml"`) || !strings.Contains(body, `src="/vendor/redoc.standalone.js"`) {
			t.Errorf("GET %s: not the reference page:\n%.300s", path, body)
		}
		if got := rec.Header().Get("Content-Security-Policy"); got != web.DocsCSP {
			t.Errorf("GET %s: Content-Security-Policy %q, want %q", path, got, web.DocsCSP)
		}
	}
	// The viewer is served as a script; folders are not listed; every
	// other path keeps the strict policy.
	rec := get(t, h, "/vendor/redoc.standalone.js")
	if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusOK || !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("GET /vendor/redoc.standalone.js: status %d, Content-Type %q", rec.Code, ct)
	}
	for _, path := range []string{"/docs/", "/vendor/", "/docs", "/docs/api/index.html", "/docs/apix"} {
		rec := get(t, h, path)
		if got := rec.Header().Get("Content-Security-Policy"); got == web.DocsCSP {
			t.Errorf("GET %s: served with the docs page's policy", path)
		}
		if strings.Contains(rec.Body.String(), "redoc.standalone.js\"") && rec.Code == http.StatusOK && !strings.Contains(rec.Body.String(), "<redoc") {
			t.Errorf("GET %s lists a folder", path)
		}
	}
	if !strings.Contains(get(t, h, "/").Body.String(), `href="/docs/api"`) {
		t.Error("the supervisor screen does not link to /docs/api")
	}
}

// TestPages_apiReference opens /docs/api in Chromium, served by a real
// server, and waits until Redoc has rendered operations of the spec,
// with nothing refused by the page's policy.
func TestPages_apiReference(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	db := testenv.OpenStore(t, "", store.Options{NoSync: true})
	srv := testenv.Server(db, slog.New(slog.DiscardHandler))
	srv.Web = web.Handler()
	hs := httptest.NewServer(testenv.Checked(t, srv.Handler()))
	t.Cleanup(hs.Close)

	b := browsertest.New(t, execPath)
	// Record every CSP violation from the start of every document: a
	// listener the page adds itself would come too late.
	b.InstallScript("watch for CSP violations",
		`window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`)
	start := time.Now()
	b.Do("open the API reference", chromedp.Navigate(hs.URL+"/docs/api"))
	// Operation summaries of the spec, as Redoc renders them.
	for _, summary := range []string{"Import orders from a CSV file", "This API contract, as YAML"} {
		b.WaitFor("the operation "+summary, `[...document.querySelectorAll('h2')].some(h => h.textContent.trim() === `+jsString(summary)+`)`)
	}
	// The menu lists the operations too, and the search box (its worker) is there.
	if n := browsertest.Eval[int](b, `document.querySelectorAll('[role=menuitem], .menu-content li').length`); n < 20 {
		t.Errorf("the menu lists %d entries", n)
	}
	// Search runs in Redoc's worker, made from a blob: URL.
	b.Do("search the reference", chromedp.SendKeys(chromedp.CSS(`input[placeholder="Search..."]`), "import orders"))
	b.WaitFor("search results", `[...document.querySelectorAll('ul[data-role="search:results"] li')].some(li => li.textContent.includes('Import orders from a CSV file'))`)
	t.Logf("rendered in %v", time.Since(start).Round(time.Millisecond))
	// The policy keeps the page from loading anything from elsewhere: the
	// one thing Redoc tries is its footer's logo, which it hides when the
	// image fails. Anything else refused means the page lost a feature.
	for _, v := range browsertest.Eval[[]string](b, `window.__csp`) {
		if v != "img-src "+redocLogo {
			t.Errorf("the page's policy refused %s", v)
		}
	}
	for _, m := range b.Console() {
		if m.IsException() || (strings.Contains(m.Text, "Content Security Policy") && !strings.Contains(m.Text, redocLogo)) {
			t.Errorf("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
		}
	}
}

// redocLogo is the image Redoc's footer loads from its CDN.
const redocLogo = "https://cdn.redoc.ly/redoc/logo-mini.svg"

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
