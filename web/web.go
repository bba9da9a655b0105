// Package web embeds Pickwave's browser UI: the supervisor's view of
// orders, stock and the event log. It holds static files only; the pages
// talk to the JSON API with the session cookie the login sets.
//
// /docs/api is the API reference: a page that renders the server's
// /api/v1/openapi.yaml with Redoc, vendored as one static file under
// static/vendor/ (see its README for the version and licence). Redoc
// styles its elements with inline <style> and runs its search in a worker
// made from a blob: URL, which the UI's policy forbids, so that page alone
// is served with DocsCSP; every other page keeps the strict CSP.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
)

// CSP is the Content-Security-Policy of the UI's pages: nothing inline,
// nothing from elsewhere, never framed.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"

// DocsCSP is the policy of /docs/api alone: CSP with what Redoc needs,
// inline styles and its search worker from a blob: URL. Scripts still
// come only from this server.
const DocsCSP = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"

// docsPage is the file /docs/api serves.
const docsPage = "docs/api/index.html"

//go:embed static
var files embed.FS

// PageCSP is CSP with the websocket origins of peers (base URLs of the
// site's other servers, "http://host:port") allowed in connect-src: the
// handheld and pack-station pages open their sockets there when their own
// server is down (see docs/protocol.md, Several servers). A peer that is
// not a plain http or https base URL is left out. Without peers it is CSP.
func PageCSP(peers []string) string {
	var sources []string
	for _, p := range peers {
		u, err := url.Parse(p)
		if err != nil || !plainHost(u.Host) {
			continue
		}
		switch u.Scheme {
		case "http":
			sources = append(sources, "ws://"+u.Host)
		case "https":
			sources = append(sources, "wss://"+u.Host)
		}
	}
	if len(sources) == 0 {
		return CSP
	}
	return CSP + "; connect-src 'self' " + strings.Join(sources, " ")
}

// plainHost says whether host is a host name or address with an optional
// port, nothing that could end or widen a CSP directive.
func plainHost(host string) bool {
	if host == "" {
		return false
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]", r)) {
			return false
		}
	}
	return true
}

// Handler serves the UI. Unknown paths get the single page, so that
// client-side routes survive a reload. peers are the site's other
// servers, whose sockets the pages may open (PageCSP).
func Handler(peers ...string) http.Handler {
	csp := PageCSP(peers)
	root, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	fileServer := http.FileServer(http.FS(root))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if p := r.URL.Path; p == "/docs/api" || p == "/docs/api/" {
			w.Header().Set("Content-Security-Policy", DocsCSP)
			http.ServeFileFS(w, r, root, docsPage)
			return
		}
		w.Header().Set("Content-Security-Policy", csp)
		// A folder (docs/, vendor/) is not listed: it gets the page too.
		if info, err := fs.Stat(root, trim(r.URL.Path)); err != nil || (info.IsDir() && trim(r.URL.Path) != ".") {
			r.URL.Path = "/"
		}
		fileServer.ServeHTTP(w, r)
	})
}

func trim(p string) string {
	for len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	if p == "" {
		return "."
	}
	return p
}
