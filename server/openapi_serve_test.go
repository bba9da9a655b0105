package server_test

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestOpenAPI_served checks that the binary serves docs/openapi.yaml as
// it is in the repository, and a JSON form of it that says the same, to
// anyone, with an ETag that a revalidation is answered 304 with.
func TestOpenAPI_served(t *testing.T) {
	e := newEnv(t)
	file, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var fromYAML any
	if err := yaml.Unmarshal(file, &fromYAML); err != nil {
		t.Fatal(err)
	}
	// The YAML as a JSON tree: numbers become float64 as in the JSON.
	data, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, path, ctype string
	}{
		{"yaml", "/api/v1/openapi.yaml", "application/yaml"},
		{"json", "/api/v1/openapi.json", "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do("GET", tc.path, "", "", nil) // no session: the contract is public
			if res.status != http.StatusOK {
				t.Fatalf("GET %s: status %d: %.200s", tc.path, res.status, res.body)
			}
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
				t.Errorf("GET %s: Content-Type %q, want %s", tc.path, ct, tc.ctype)
			}
			var got any
			switch tc.name {
			case "yaml":
				if string(res.body) != string(file) {
					t.Errorf("GET %s differs from docs/openapi.yaml", tc.path)
				}
				got = want
			case "json":
				if err := json.Unmarshal(res.body, &got); err != nil {
					t.Fatalf("GET %s is not JSON: %v", tc.path, err)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("GET %s does not say what docs/openapi.yaml says", tc.path)
			}

			etag := res.header.Get("ETag")
			if !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
				t.Fatalf("GET %s: ETag %q", tc.path, etag)
			}
			if cc := res.header.Get("Cache-Control"); !strings.Contains(cc, "max-age") {
				t.Errorf("GET %s: Cache-Control %q", tc.path, cc)
			}
			req, _ := http.NewRequest("GET", e.srv.URL+tc.path, nil)
			req.Header.Set("If-None-Match", etag)
			again, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			again.Body.Close()
			if again.StatusCode != http.StatusNotModified {
				t.Errorf("GET %s with If-None-Match: status %d, want 304", tc.path, again.StatusCode)
			}
			if got := again.Header.Get("ETag"); got != etag {
				t.Errorf("GET %s 304: ETag %q, want %q", tc.path, got, etag)
			}
		})
	}
	y, j := e.do("GET", "/api/v1/openapi.yaml", "", "", nil), e.do("GET", "/api/v1/openapi.json", "", "", nil)
	if y.header.Get("ETag") == j.header.Get("ETag") {
		t.Error("the YAML and the JSON have one ETag")
	}
}
