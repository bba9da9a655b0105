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

// Handler serves the UI. Unknown paths get the single page, so that
// client-side routes survive a reload.
func Handler() http.Handler {
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
		w.Header().Set("Content-Security-Policy", CSP)
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
