package contract_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pickwave/pickwave/internal/contract"
)

func TestSpec_isValidOpenAPI31(t *testing.T) {
	spec, err := contract.Default()
	if err != nil {
		t.Fatal(err)
	}
	if problems := spec.Validate(); len(problems) > 0 {
		t.Fatalf("docs/openapi.yaml is not a valid OpenAPI 3.1 document:\n%s", strings.Join(problems, "\n"))
	}
}

// spy is a testing.TB that keeps the failures a checked handler reports
// instead of failing the test, so a test can show that a breach is caught.
type spy struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (s *spy) Errorf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}

func (s *spy) failures() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.errs, "\n")
}

// serve answers every request the way answer does, through the checked
// handler, and returns what the spy caught.
func serve(t *testing.T, method, path, body string, answer http.HandlerFunc) string {
	t.Helper()
	s := &spy{TB: t}
	hs := httptest.NewServer(contract.Handler(s, answer))
	defer hs.Close()
	req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer test")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return s.failures()
}

func json(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestHandler_catchesWhatBreaksTheSpec(t *testing.T) {
	cases := []struct {
		name, method, path, body string
		answer                   http.HandlerFunc
		want                     string // in the failure; "" for none
	}{
		{"documented answer", "GET", "/healthz", "", json(200, `{"status":"ok"}`), ""},
		{"an extra field", "GET", "/healthz", "", json(200, `{"status":"ok","uptime":3}`), "uptime"},
		{"a wrong value", "GET", "/healthz", "", json(200, `{"status":"fine"}`), "status"},
		{"an undocumented status", "GET", "/healthz", "", json(http.StatusTeapot, `{"status":"ok"}`), "418"},
		{"another content type", "GET", "/healthz", "", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "ok")
		}, "text/plain"},
		{"an error not in the one error shape", "GET", "/api/v1/orders/SO-1", "", json(404, `{"message":"no such order"}`), "error"},
		{"an error in it", "GET", "/api/v1/orders/SO-1", "", json(404, `{"error":{"code":"not_found","message":"no order SO-1"}}`), ""},
		{"a route the spec does not have", "GET", "/api/v1/nothing", "", json(200, `{}`), "not in the spec"},
		{"a request the spec refuses, accepted", "POST", "/api/v1/orders/SO-1/cancel", `{"reason":7}`,
			json(200, `{}`), "the spec refuses this request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := serve(t, c.method, c.path, c.body, c.answer)
			switch {
			case c.want == "" && got != "":
				t.Errorf("a documented exchange was refused:\n%s", got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("the breach was not caught (want a failure naming %q), got:\n%s", c.want, got)
			}
		})
	}
}

func TestHandler_countsChecks(t *testing.T) {
	spec, err := contract.Default()
	if err != nil {
		t.Fatal(err)
	}
	before := spec.Checks()
	if got := serve(t, "GET", "/healthz", "", json(200, `{"status":"ok"}`)); got != "" {
		t.Fatal(got)
	}
	if spec.Checks() != before+1 {
		t.Errorf("checks went from %d to %d, want one more", before, spec.Checks())
	}
}
