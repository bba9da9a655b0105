package server_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
	"github.com/pickwave/pickwave/wave"
)

// demoEnv is the demo warehouse of `pickwave serve --demo` behind a real
// server, with a supervisor token.
func demoEnv(tb testing.TB) (*httptest.Server, string) {
	tb.Helper()
	db := testenv.OpenStore(tb, "", store.Options{NoSync: true})
	if err := demo.Seed(context.Background(), usersLite{db}, demo.DefaultSite(time.Now())); err != nil {
		tb.Fatal(err)
	}
	s := testenv.Server(db, nil)
	hs := httptest.NewServer(testenv.Checked(tb, s.Handler()))
	tb.Cleanup(func() {
		hs.Close()
		db.Close()
	})
	token, err := db.MintToken(context.Background(), "sue", pickwave.RoleSupervisor, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return hs, token
}

type planResponse struct {
	ID       string              `json:"id"`
	Status   pickwave.WaveStatus `json:"status"`
	Orders   []string            `json:"orders"`
	Plan     pickwave.Plan       `json:"plan"`
	Progress pickwave.WaveProgress
}

func TestWaves_planReleaseOverHTTP(t *testing.T) {
	e := newEnv(t)
	seedSmall(t, e.db, 8)
	r := e.json("POST", "/api/v1/waves", e.super, map[string]any{"template": map[string]any{"totes_per_cart": 4, "max_orders": 6}, "seed": 3})
	mustStatus(t, r, 201)
	var w planResponse
	r.decode(t, &w)
	if w.Status != "planned" || len(w.Orders) != 6 || len(w.Plan.Carts) != 2 || w.Plan.TotesPerCart != 4 {
		t.Fatalf("plan %s", r.body)
	}
	// Every figure can be checked: cart distances are walks of their stops.
	var layout pickwave.Layout
	e.json("GET", "/api/v1/layout", e.pick, nil).decode(t, &layout)
	for _, c := range w.Plan.Carts {
		var stops []wave.Position
		for _, s := range c.Stops {
			stops = append(stops, wave.Position{Aisle: s.Aisle, Bay: s.Bay})
		}
		if got := wave.Walk(layout, stops); got < c.DistanceM-1e-6 || got > c.DistanceM+1e-6 || c.SShapeDistanceM < c.DistanceM-1e-6 {
			t.Fatalf("cart walks %.2f m, says %.2f (S-shape %.2f)", got, c.DistanceM, c.SShapeDistanceM)
		}
	}
	if w.Plan.Baseline.FCFSSShapeM < w.Plan.DistanceM {
		t.Fatalf("baseline %+v below the plan %.1f", w.Plan.Baseline, w.Plan.DistanceM)
	}
	// Two supervisors release at the same moment: one wins, one conflicts.
	var other planResponse
	e.json("POST", "/api/v1/waves", e.super, map[string]any{"template": map[string]any{"totes_per_cart": 8}}).decode(t, &other)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, id := range []string{w.ID, other.ID} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.json("POST", "/api/v1/waves/"+id+"/release", e.super, nil).status
		}()
	}
	wg.Wait()
	if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
		t.Fatalf("concurrent releases answered %v", codes)
	}
	winner := w.ID
	if codes[1] == 200 {
		winner = other.ID
	}
	r = e.json("GET", "/api/v1/waves/"+winner, e.super, nil)
	var got planResponse
	r.decode(t, &got)
	if got.Status != "released" || got.Progress.Tasks == 0 {
		t.Fatalf("released wave %s", r.body)
	}
	mustStatus(t, e.json("GET", "/api/v1/carts/"+winner+"-C01", e.pick, nil), 200)
	mustStatus(t, e.json("GET", "/api/v1/carts/nope", e.pick, nil), 404)
	r = e.json("GET", "/api/v1/waves", e.super, nil)
	mustStatus(t, r, 200)
	var list struct {
		Items []map[string]json.RawMessage `json:"items"`
	}
	r.decode(t, &list)
	if len(list.Items) != 2 || string(list.Items[0]["plan"]) != "null" || len(list.Items[0]["template"]) < 2 {
		t.Fatalf("lists waves without their plans: %s", r.body)
	}
	mustStatus(t, e.json("POST", "/api/v1/waves", e.pick, nil), 403)
	mustStatus(t, e.json("POST", "/api/v1/waves", e.super, `{"template": {"totes_per_cart": -1}}`), 400)
	mustStatus(t, e.json("POST", "/api/v1/waves/"+winner+"/cancel", e.super, nil), 200)
	mustStatus(t, e.json("PUT", "/api/v1/layout", e.super, layout), 403)
	mustStatus(t, e.json("PUT", "/api/v1/layout", e.admin, map[string]any{"aisles": 0}), 400)
}

// seedSmall seeds a small demo site into an env's store.
func seedSmall(t *testing.T, db *store.DB, orders int) {
	t.Helper()
	site := demo.Site{Aisles: 3, Bays: 5, Levels: 2, SKUs: 12, Orders: orders, Seed: 7, Now: time.Now()}
	if err := demo.Seed(context.Background(), usersLite{db}, site); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkDemoWave plans and releases the demo warehouse's open orders
// through the API, as a supervisor does; s/wave is the figure.
func BenchmarkDemoWave(b *testing.B) {
	for range b.N {
		b.StopTimer()
		hs, token := demoEnv(b)
		b.StartTimer()
		start := time.Now()
		w := post(b, hs.URL+"/api/v1/waves", token, `{"template": {"totes_per_cart": 8}}`)
		post(b, hs.URL+"/api/v1/waves/"+w.ID+"/release", token, "")
		b.ReportMetric(time.Since(start).Seconds(), "s/wave")
		b.ReportMetric(float64(len(w.Orders)), "orders")
	}
}

func post(tb testing.TB, url, token, body string) planResponse {
	tb.Helper()
	r, err := httpPost(url, token, body)
	if err != nil {
		tb.Fatal(err)
	}
	var w planResponse
	if err := json.Unmarshal(r, &w); err != nil || w.ID == "" {
		tb.Fatalf("POST %s: %s %v", url, r, err)
	}
	return w
}
