package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/pickwave/pickwave"
)

// TestCounts_listAndConfirmOverHTTP drives a cycle count through the API:
// a short raises it and changes no stock; a picker may not see it; a
// supervisor lists it and confirms a count, which sets the stock.
func TestCounts_listAndConfirmOverHTTP(t *testing.T) {
	e := newEnv(t)
	seedSmall(t, e.db, 6)
	ctx := pickwave.WithActor(context.Background(), "pete")
	w, err := e.db.PlanWave(ctx, pickwave.WaveTemplate{TotesPerCart: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ReleaseWave(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	p, err := e.db.TakeCart(ctx, "pete")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; p.Step == pickwave.StepBindTote; i++ {
		res, err := e.db.Scan(ctx, "pete", pickwave.ScanRequest{ID: fmt.Sprintf("b%d", i), Data: fmt.Sprintf("TOTE-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		p = &res.Prompt
	}
	task := p.Task
	before, _ := e.db.StockOf(ctx, task.SKU)
	res, err := e.db.Short(ctx, "pete", pickwave.ShortRequest{ID: "s1", Reason: pickwave.ShortEmpty, Found: new(3)})
	if err != nil || res.Verdict.Code != pickwave.VerdictOK {
		t.Fatalf("short %+v, %v", res, err)
	}

	mustStatus(t, e.json("GET", "/api/v1/counts", e.pick, nil), 403)
	mustStatus(t, e.json("GET", "/api/v1/counts?status=lost", e.super, nil), 400)
	r := e.json("GET", "/api/v1/counts?status=open", e.super, nil)
	mustStatus(t, r, 200)
	var page struct {
		Items []pickwave.CycleCount `json:"items"`
	}
	r.decode(t, &page)
	if len(page.Items) != 1 {
		t.Fatalf("open counts %s", r.body)
	}
	cc := page.Items[0]
	if cc.SKU != task.SKU || cc.Location != task.Location || cc.Found == nil || *cc.Found != 3 || cc.Status != pickwave.CountOpen {
		t.Fatalf("count %+v", cc)
	}
	var expected int
	for _, s := range before {
		if s.Location == task.Location {
			expected = s.OnHand
		}
	}
	if cc.Expected != expected {
		t.Fatalf("count expects %d, stock showed %d", cc.Expected, expected)
	}
	r = e.json("GET", "/api/v1/stock?sku="+task.SKU, e.super, nil)
	var stock struct {
		Items []pickwave.Stock `json:"items"`
	}
	r.decode(t, &stock)
	for _, s := range stock.Items {
		if s.Location == task.Location && (s.OnHand != expected || s.CountID != cc.ID) {
			t.Fatalf("stock after the short %+v: want %d on hand, held for %s", s, expected, cc.ID)
		}
	}

	mustStatus(t, e.json("GET", "/api/v1/counts/"+cc.ID, e.super, nil), 200)
	mustStatus(t, e.json("GET", "/api/v1/counts/CC-424242", e.super, nil), 404)
	mustErrorField(t, e.json("POST", "/api/v1/counts/"+cc.ID+"/confirm", e.super, map[string]any{}), "invalid", "counted")
	mustErrorField(t, e.json("POST", "/api/v1/counts/"+cc.ID+"/confirm", e.super, map[string]any{"counted": -1}), "invalid", "counted")
	mustStatus(t, e.json("POST", "/api/v1/counts/"+cc.ID+"/confirm", e.pick, map[string]any{"counted": 2}), 403)
	r = e.json("POST", "/api/v1/counts/"+cc.ID+"/confirm", e.super, map[string]any{"counted": 2, "note": "recounted"})
	mustStatus(t, r, 200)
	var done pickwave.CycleCount
	r.decode(t, &done)
	if done.Status != pickwave.CountConfirmed || done.Counted == nil || *done.Counted != 2 || done.ConfirmedBy != "sue" || done.Delta != 2-expected {
		t.Fatalf("confirmed %s", r.body)
	}
	mustStatus(t, e.json("POST", "/api/v1/counts/"+cc.ID+"/confirm", e.super, map[string]any{"counted": 2}), 409)
	r = e.json("GET", "/api/v1/stock?sku="+task.SKU, e.super, nil)
	stock.Items = nil
	r.decode(t, &stock)
	for _, s := range stock.Items {
		if s.Location == task.Location && (s.OnHand != 2 || s.CountID != "") {
			t.Fatalf("stock after the count %+v", s)
		}
	}
}
