package server_test

import (
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/goccy/go-yaml"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/server"
)

// openAPIDoc is the part of docs/openapi.yaml the tests compare with the
// server: the operations of every path.
type openAPIDoc struct {
	OpenAPI string                    `yaml:"openapi"`
	Paths   map[string]map[string]any `yaml:"paths"`
}

// httpMethods are the keys of an OpenAPI path item that are operations;
// the others (parameters, summary, servers, ...) are not.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func readOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	data, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDoc
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse docs/openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("docs/openapi.yaml: openapi is %q, want 3.1.x", doc.OpenAPI)
	}
	return doc
}

// openAPIPath turns a gin route path into an OpenAPI path template:
// /orders/:id/cancel becomes /orders/{id}/cancel.
func openAPIPath(ginPath string) string {
	segs := strings.Split(ginPath, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

func TestOpenAPI_describesEveryRoute(t *testing.T) {
	// Building the routes calls none of the services, so none are needed.
	h := (&server.Server{Logger: slog.New(slog.DiscardHandler)}).Handler()
	engine, ok := h.(*gin.Engine)
	if !ok {
		t.Fatalf("Handler() is a %T, not a *gin.Engine", h)
	}
	served := map[string]bool{}
	for _, r := range engine.Routes() {
		served[r.Method+" "+openAPIPath(r.Path)] = true
	}
	if len(served) == 0 {
		t.Fatal("the server registers no routes")
	}

	doc := readOpenAPI(t)
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for key, op := range item {
			if !slices.Contains(httpMethods, strings.ToLower(key)) {
				continue
			}
			route := strings.ToUpper(key) + " " + path
			documented[route] = true
			// Every operation says who may call it.
			if m, ok := op.(map[string]any); !ok || m["x-roles"] == nil {
				t.Errorf("docs/openapi.yaml: %s lacks x-roles", route)
			}
		}
	}

	var missing, extra []string
	for r := range served {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !served[r] {
			extra = append(extra, r)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	for _, r := range missing {
		t.Errorf("route %s is served but not in docs/openapi.yaml", r)
	}
	for _, r := range extra {
		t.Errorf("docs/openapi.yaml lists %s, which the server does not serve", r)
	}
}

// TestOpenAPI_rolesMatchServer checks each operation's x-roles against the
// server: every listed role gets past the role check, every other role is
// refused with 403, and an operation with no roles needs no session.
func TestOpenAPI_rolesMatchServer(t *testing.T) {
	e := newEnv(t)
	doc := readOpenAPI(t)
	for path, item := range doc.Paths {
		target := path
		for {
			i := strings.IndexByte(target, '{')
			if i < 0 {
				break
			}
			j := strings.IndexByte(target[i:], '}')
			target = target[:i] + "X" + target[i+j+1:]
		}
		for key, op := range item {
			if !slices.Contains(httpMethods, strings.ToLower(key)) {
				continue
			}
			method := strings.ToUpper(key)
			m, _ := op.(map[string]any)
			if ws, _ := m["x-websocket"].(bool); ws {
				continue // roles are checked inside the protocol (handheld tests)
			}
			list, _ := m["x-roles"].([]any)
			var roles []pickwave.Role
			for _, r := range list {
				s, _ := r.(string)
				if !pickwave.Role(s).Valid() {
					t.Errorf("%s %s: x-roles has unknown role %v", method, path, r)
				}
				roles = append(roles, pickwave.Role(s))
			}

			anon := e.do(method, target, "", "", nil).status
			if open := len(roles) == 0; open != (anon != 401) {
				t.Errorf("%s %s without a session: status %d, but x-roles is %v", method, path, anon, roles)
			}
			if len(roles) == 0 {
				continue
			}
			for _, role := range pickwave.Roles {
				// A fresh token each time: POST /logout ends the session it is called with.
				token, err := e.db.MintToken(t.Context(), "doc-"+string(role), role, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				status := e.do(method, target, token, "", nil).status
				if allowed := slices.Contains(roles, role); allowed != (status != 403) {
					t.Errorf("%s %s as %s: status %d, but x-roles is %v", method, path, role, status, roles)
				}
			}
		}
	}
}
