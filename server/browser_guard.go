package server

import (
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
)

// A browser sends the session cookie with any request to this host, from
// any page: SameSite=Lax keeps it from other sites, but a page on another
// port of the same host, or on a sibling host, is the same site. So every
// state-changing API request that a browser could have made (one without a
// bearer token, which a page cannot make a browser add) must come from one
// of our own pages and carry the body its route takes: a cross-origin
// <form> can send only text/plain, form-encoded or multipart bodies, and a
// cross-origin fetch with a JSON body is preflighted, which we never allow.

// bodyKind is what a state-changing route takes as its request body.
type bodyKind int

const (
	jsonBody bodyKind = iota // application/json (or no body, where optional)
	csvBody                  // text/csv
	noBody                   // nothing
)

// routeBodies names the state-changing routes whose body is not JSON, by
// gin route path; every other takes application/json.
var routeBodies = map[string]bodyKind{
	"/api/v1/logout":                noBody,
	"/api/v1/orders/import":         csvBody,
	"/api/v1/inbound/import":        csvBody,
	"/api/v1/orders/:id/allocate":   noBody,
	"/api/v1/waves/:id/release":     noBody,
	"/api/v1/waves/:id/cancel":      noBody,
	"/api/v1/print-jobs/:id/cancel": noBody,
}

// frameHeaders forbids every page and answer of ours from being framed,
// so that no other page can overlay it and steer a supervisor's clicks.
func frameHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Frame-Options", "DENY")
	// The web UI's pages replace this with their full policy, which says
	// the same.
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	c.Next()
}

// browserGuard refuses a state-changing request without a bearer token
// (so one the session cookie may authenticate, or a login a page could
// forge) that comes from another origin, and any state-changing request
// whose body is not of the kind its route takes: the contract has one
// media type per route, whoever calls it.
func (s *Server) browserGuard(c *gin.Context) {
	r := c.Request
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	if bearer(r) == "" {
		if err := sameOrigin(r); err != nil {
			s.fail(c, err)
			return
		}
	}
	if route := c.FullPath(); route != "" {
		if status, err := bodyAllowed(r, routeBodies[route]); err != nil {
			s.failStatus(c, status, err)
			return
		}
	}
	c.Next()
}

// sameOrigin accepts a request that the browser says came from our own
// origin, or that comes from no browser (no Sec-Fetch-Site, no Origin).
func sameOrigin(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return pickwave.Errorf(pickwave.EFORBIDDEN, "A page of another site (%s) may not change anything here; use Pickwave's own pages.", truncate(site, 40))
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u, err := url.Parse(origin)
	if err != nil || !strings.EqualFold(u.Scheme, scheme) || !strings.EqualFold(hostPort(u.Host, scheme), hostPort(r.Host, scheme)) {
		return pickwave.Errorf(pickwave.EFORBIDDEN, "A page of another origin (%s) may not change anything here; use Pickwave's own pages.", truncate(origin, 100))
	}
	return nil
}

// hostPort writes host with its port, the scheme's default when absent.
func hostPort(host, scheme string) string {
	if (&url.URL{Host: host}).Port() != "" {
		return host
	}
	if scheme == "https" {
		return host + ":443"
	}
	return host + ":80"
}

// bodyAllowed checks the request's body against what its route takes,
// and says with which status to refuse it: 400 for a body where none is
// taken, 415 for the wrong Content-Type. A request without a body and
// without a Content-Type passes: the route decides whether its body is
// optional.
func bodyAllowed(r *http.Request, kind bodyKind) (int, error) {
	ct := r.Header.Get("Content-Type")
	hasBody := r.ContentLength != 0
	if kind == noBody {
		if hasBody {
			return http.StatusBadRequest, pickwave.Errorf(pickwave.EINVALID, "%s %s takes no request body.", r.Method, r.URL.Path)
		}
		return 0, nil
	}
	if !hasBody && ct == "" {
		return 0, nil
	}
	want := "application/json"
	if kind == csvBody {
		want = "text/csv"
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != want {
		return http.StatusUnsupportedMediaType, pickwave.Errorf(pickwave.EINVALID,
			"The request body must be sent as Content-Type: %s, not %q.", want, truncate(ct, 100))
	}
	return 0, nil
}
