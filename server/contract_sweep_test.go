package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/carrier"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/contract"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/station"
	"github.com/pickwave/pickwave/store"
)

// sweepRoles are the callers the sweep tries every operation as; "" is a
// caller without a session.
var sweepRoles = []pickwave.Role{"", pickwave.RolePicker, pickwave.RolePacker, pickwave.RoleSupervisor, pickwave.RoleAdmin}

// TestContract_sweep calls every operation of docs/openapi.yaml with its
// documented example (path, query and body), once as each kind of caller,
// on the demo warehouse. Every answer goes through the contract check of
// testenv.Checked; on top, a caller without a session must get 401 and a
// role outside the operation's x-roles 403 (unless the route is open),
// and no answer may be a 5xx.
func TestContract_sweep(t *testing.T) {
	spec, err := contract.Default()
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.OpenStore(t, "", store.Options{NoSync: true})
	ctx := context.Background()
	if err := demo.Seed(ctx, usersLite{db}, demo.DefaultSite(time.Now())); err != nil {
		t.Fatal(err)
	}
	rt := &station.Runtime{Store: db, Logger: slog.New(slog.DiscardHandler), StatusInterval: time.Second, Packing: station.Packing{
		Carrier: &carrier.Local{Service: "LP", Country: "US", Serials: carrier.SerialsFunc(func(ctx context.Context) (uint64, error) {
			return db.NextTrackingSerial(ctx, "local")
		})},
		GS1Prefix: "0614141"}}
	s := testenv.Server(db, nil)
	s.Stations, s.PrintQueue, s.StationRuntime, s.Pack = db, db, rt, rt
	hs := httptest.NewServer(testenv.Checked(t, s.Handler()))
	ran := make(chan error, 1)
	go func() { ran <- rt.Run(ctx) }()
	t.Cleanup(func() {
		rt.Close()
		if err := <-ran; err != nil {
			t.Errorf("station runtime: %v", err)
		}
		hs.Close()
	})

	ops, calls, statuses := 0, 0, map[int]int{}
	for path, item := range spec.Model().Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			ops++
			method = strings.ToUpper(method)
			roles, open := xRoles(t, op)
			if op.Extensions.GetOrZero("x-websocket") != nil {
				// Its roles are checked at the websocket's login, after
				// the upgrade (the socket tests cover them); a plain GET
				// is refused as no upgrade, which is checked all the same.
				open = true
			}
			target, body, contentType, ok := sweepRequest(t, path, item, op)
			if !ok {
				continue
			}
			for _, role := range sweepRoles {
				calls++
				status := sweepCall(t, db, hs.URL, method, target, contentType, body, role)
				statuses[status]++
				who := string(role)
				if who == "" {
					who = "no session"
				}
				switch {
				case status >= 500:
					t.Errorf("%s %s as %s: %d", method, target, who, status)
				case open:
				case role == "" && status != http.StatusUnauthorized:
					t.Errorf("%s %s without a session: %d, want 401", method, target, status)
				case role != "" && !slices.Contains(roles, role) && status != http.StatusForbidden:
					t.Errorf("%s %s as %s (not in x-roles %v): %d, want 403", method, target, who, roles, status)
				case role != "" && slices.Contains(roles, role) && (status == http.StatusUnauthorized || status == http.StatusForbidden):
					t.Errorf("%s %s as %s (in x-roles %v): %d", method, target, who, roles, status)
				}
			}
		}
	}
	if ops == 0 {
		t.Fatal("the spec has no operations")
	}
	t.Logf("sweep: %d operations × %d callers = %d calls, statuses %v", ops, len(sweepRoles), calls, statuses)
}

// xRoles reads an operation's x-roles; open says it is empty (no session
// needed).
func xRoles(t *testing.T, op *v3.Operation) (roles []pickwave.Role, open bool) {
	t.Helper()
	node := op.Extensions.GetOrZero("x-roles")
	if node == nil {
		t.Fatalf("operation %s has no x-roles", op.OperationId)
	}
	if err := node.Decode(&roles); err != nil {
		t.Fatalf("operation %s: x-roles: %v", op.OperationId, err)
	}
	return roles, len(roles) == 0
}

// sweepRequest builds an operation's documented example: the path with
// its parameters' examples, the query of the parameters that have one,
// and the body of its first media type.
func sweepRequest(t *testing.T, path string, item *v3.PathItem, op *v3.Operation) (target string, body []byte, contentType string, ok bool) {
	t.Helper()
	query := url.Values{}
	for _, p := range slices.Concat(item.Parameters, op.Parameters) {
		example := paramExample(t, p)
		switch p.In {
		case "path":
			if example == "" {
				t.Errorf("%s: path parameter %s has no example", op.OperationId, p.Name)
				return "", nil, "", false
			}
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(example))
		case "query":
			if example != "" {
				query.Set(p.Name, example)
			}
		}
	}
	target = path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	if op.RequestBody == nil || op.RequestBody.Content == nil {
		return target, nil, "", true
	}
	for mediaType, media := range op.RequestBody.Content.FromOldest() {
		if media.Example == nil {
			t.Errorf("%s: the %s request body has no example", op.OperationId, mediaType)
			return "", nil, "", false
		}
		var v any
		if err := media.Example.Decode(&v); err != nil {
			t.Fatalf("%s: example: %v", op.OperationId, err)
		}
		if s, ok := v.(string); ok && !strings.Contains(mediaType, "json") {
			return target, []byte(s), mediaType, true
		}
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: example: %v", op.OperationId, err)
		}
		return target, data, mediaType, true
	}
	return target, nil, "", true
}

// paramExample is a parameter's example, or its schema's, as text; ""
// when it has none.
func paramExample(t *testing.T, p *v3.Parameter) string {
	t.Helper()
	node := p.Example
	if node == nil && p.Schema != nil {
		if s := p.Schema.Schema(); s != nil {
			if s.Example != nil {
				node = s.Example
			} else if len(s.Examples) > 0 {
				node = s.Examples[0]
			}
		}
	}
	if node == nil {
		return ""
	}
	var v any
	if err := node.Decode(&v); err != nil {
		t.Fatalf("parameter %s: example: %v", p.Name, err)
	}
	return fmt.Sprint(v)
}

// sweepCall makes one call as role with a token of its own (so a logout
// ends only its own session) and returns the status.
func sweepCall(t *testing.T, db *store.DB, base, method, target, contentType string, body []byte, role pickwave.Role) int {
	t.Helper()
	req, err := http.NewRequest(method, base+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if role != "" {
		token, err := db.MintToken(context.Background(), "sweep-"+string(role), role, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
