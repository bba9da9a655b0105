package server_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/kpi"
)

// TestKPIs_handCount picks a whole cart on the handheld socket, with one
// wrong scan and one short, and checks every pick figure GET
// /api/v1/kpis answers against a count kept by the test as it went: the
// scans it sent, the verdicts it got, the tasks and units of the prompts,
// the orders' own timelines, and the cart's planned route.
func TestKPIs_handCount(t *testing.T) {
	f := newFloor(t, 4)
	h := f.login(handheld.Options{})
	p := takeCart(t, h)
	var (
		scans, wrong int
		orders       = map[string]bool{}
		cartID       = p.CartID
		shorted      bool
	)
	send := func(data string) *pickwave.ScanResult {
		res := scan(t, h, pickwave.ScanRequest{Data: data})
		scans++
		if kpi.WrongScan(res.Verdict.Code) {
			wrong++
		}
		return res
	}
	for !p.Done {
		if p.Step == pickwave.StepLocation && wrong == 0 {
			if res := send("NOT-A-LOCATION"); res.Verdict.Code != "wrong_location" {
				t.Fatalf("a wrong location: %s", res.Verdict.Code)
			}
		}
		if p.Step == pickwave.StepItem && !shorted {
			// Report the rest of this task short: units in hand (none
			// here) would go to the tote first.
			shorted = true
			orders[p.Task.OrderID] = true
			res, err := h.Short(testCtx(t), pickwave.ShortRequest{Reason: pickwave.ShortEmpty})
			if err != nil || res.Verdict.Code != "ok" {
				t.Fatalf("short: %v %+v", err, res)
			}
			scans++ // a short is judged and logged like a scan
			p = h.Prompt()
			continue
		}
		step, order := p.Step, ""
		if p.Task != nil {
			order = p.Task.OrderID
		}
		res := send(f.right(p))
		if res.Verdict.Code != "ok" {
			t.Fatalf("right scan at %s: %s %s", step, res.Verdict.Code, res.Verdict.Message)
		}
		if step == pickwave.StepTote {
			orders[order] = true
		}
		p = h.Prompt()
	}
	clean(t, h)
	// Read the tasks back: a short task counts its short units.
	var cart struct {
		Cart  pickwave.Cart    `json:"cart"`
		Tasks []*pickwave.Task `json:"tasks"`
	}
	f.api(t, "/api/v1/carts/"+cartID, &cart)
	var shorts, unitsShort, units int
	picks := len(cart.Tasks) // every task of the cart was finished, picked or short
	for _, task := range cart.Tasks {
		units += task.Picked
		if task.Short > 0 {
			shorts++
			unitsShort += task.Short
		}
	}
	if shorts != 1 || cart.Cart.Status != pickwave.CartDone {
		t.Fatalf("the run made %d shorts and left the cart %s; want 1 short and done", shorts, cart.Cart.Status)
	}
	// Cycle times from the orders' timelines: created to picked.
	var picked []time.Duration
	for id := range orders {
		var o pickwave.Order
		f.api(t, "/api/v1/orders/"+id, &o)
		for _, c := range o.Timeline {
			if c.Status == pickwave.OrderPicked {
				picked = append(picked, c.At.Sub(o.CreatedAt))
			}
		}
	}
	slices.Sort(picked)
	nearest := func(p float64) int64 {
		if len(picked) == 0 {
			return 0
		}
		i := max(int(float64(len(picked))*p+0.999999999)-1, 0)
		return kpi.BinUpper(kpi.Bin(picked[i]))
	}

	var rep kpi.Report
	f.api(t, "/api/v1/kpis", &rep)
	checks := []struct {
		name      string
		got, want any
	}{
		{"pick_scans", rep.PickScans, scans},
		{"wrong_scans", rep.WrongScans, wrong},
		{"picks", rep.Picks, picks},
		{"short_picks", rep.ShortPicks, shorts},
		{"units", rep.Units, units},
		{"units_short", rep.UnitsShort, unitsShort},
		{"walk_m", rep.WalkM, roundTo(cart.Cart.DistanceM, 100)},
		{"walk_units", rep.WalkUnits, units},
		{"cycle_to_picked.orders", rep.CycleToPicked.Orders, len(picked)},
		{"through_seq = last_seq", rep.ThroughSeq, rep.LastSeq},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v by hand", c.name, c.got, c.want)
		}
	}
	ratio := func(name string, got *float64, n, d float64) {
		t.Helper()
		if d == 0 {
			if got != nil {
				t.Errorf("%s = %v, want null", name, *got)
			}
			return
		}
		if got == nil || fmt.Sprintf("%.4f", *got) != fmt.Sprintf("%.4f", n/d) {
			t.Errorf("%s = %v, want %.4f", name, got, n/d)
		}
	}
	ratio("wrong_scan_rate", rep.WrongScanRate, float64(wrong), float64(scans))
	ratio("short_pick_rate", rep.ShortPickRate, float64(shorts), float64(picks))
	ratio("walk_per_unit_m", rep.WalkPerUnitM, cart.Cart.DistanceM, float64(units))
	if len(picked) > 0 && (rep.CycleToPicked.P50S == nil || *rep.CycleToPicked.P50S != nearest(0.5) || *rep.CycleToPicked.P90S != nearest(0.9)) {
		t.Errorf("cycle to picked %+v, want p50 %d and p90 %d s", rep.CycleToPicked, nearest(0.5), nearest(0.9))
	}
	if len(rep.Pickers) != 1 || rep.Pickers[0].Name != "picker1" || rep.Pickers[0].Picks != picks || rep.Pickers[0].Units != units || rep.Pickers[0].Scans != scans {
		t.Errorf("pickers %+v, want picker1 with %d picks, %d units and %d scans", rep.Pickers, picks, units, scans)
	}
	if len(rep.Waves) != 1 || rep.Waves[0].Name != cart.Cart.WaveID || rep.Waves[0].Picks != picks {
		t.Errorf("waves %+v, want %s with %d picks", rep.Waves, cart.Cart.WaveID, picks)
	}
	// Picks per hour is picks over the active time: the pauses between
	// picker1's scans (all far below five minutes here), read from the
	// times of the scan events in the log.
	var log struct {
		Items []pickwave.Event `json:"items"`
	}
	f.api(t, "/api/v1/events?limit=1000", &log)
	var active time.Duration
	var last time.Time
	for _, ev := range log.Items {
		if ev.Type == pickwave.EventScanJudged {
			if !last.IsZero() && ev.Time.Sub(last) <= kpi.MaxGap {
				active += ev.Time.Sub(last)
			}
			last = ev.Time
		}
	}
	want := float64(picks) / active.Hours()
	if rep.PicksPerHour == nil || *rep.PicksPerHour < want*0.9999 || *rep.PicksPerHour > want*1.0001 {
		t.Errorf("%v picks per hour, want %d picks in %s: %.4f", rep.PicksPerHour, picks, active, want)
	}

	// The CSV has the same figures.
	token := mustToken(t, f)
	for _, how := range []struct{ query, accept string }{{"?format=csv", ""}, {"", "text/csv"}, {"?step=hour", "text/csv;q=0.9, application/json;q=0.5"}} {
		req, _ := http.NewRequest("GET", f.http.URL+"/api/v1/kpis"+how.query, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if how.accept != "" {
			req.Header.Set("Accept", how.accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("%+v: %s %s", how, res.Status, res.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"all/pick_scans": fmt.Sprint(scans), "all/wrong_scans": fmt.Sprint(wrong),
			"all/short_picks": "1", "picker:picker1/picks": fmt.Sprint(picks)}
		for _, r := range rows[1:] {
			k := r[2] + "/" + r[3]
			if v, ok := want[k]; ok && r[0] == rep.From.Format(time.RFC3339) && r[1] == rep.To.Format(time.RFC3339) {
				if r[4] != v {
					t.Errorf("CSV %s = %s, want %s", k, r[4], v)
				}
				delete(want, k)
			}
		}
		if len(want) > 0 {
			t.Errorf("CSV %+v lacks %v", how, want)
		}
	}
}

func roundTo(v float64, scale float64) float64 {
	return float64(int64(v*scale+0.5)) / scale
}

func TestKPIs_badQueries(t *testing.T) {
	f := newFloor(t, 1)
	token := mustToken(t, f)
	for _, q := range []string{"?from=yesterday", "?from=2026-11-27T00:00:00Z&to=2026-11-26T00:00:00Z",
		"?step=week", "?format=xml", "?from=2001-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
		"?from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z&step=hour"} {
		req, _ := http.NewRequest("GET", f.http.URL+"/api/v1/kpis"+q, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 {
			t.Errorf("%s: %s, want 400", q, res.Status)
		}
	}
}
