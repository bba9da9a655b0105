package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
)

// TestHandheld_answeredScansOfAnEndedCart is issue 10's reproduction, over
// the public contracts: a handheld picks cart A to the end (one task
// reported short on the way), takes cart B, then sends A's last tote scan
// and A's short again with their ids. Both must come back replayed with
// their first verdicts; cart B must have no tote bound, and the short's
// order line and location must be as they were.
func TestHandheld_answeredScansOfAnEndedCart(t *testing.T) {
	f := newFloor(t, 16) // carts of 8 totes: two carts
	c := f.login(handheld.Options{})
	ctx := testCtx(t)
	p := takeCart(t, c)
	cartA := p.CartID
	var lastTote, short string
	var shortTask *pickwave.Task
	for !p.Done {
		if p.Step == pickwave.StepLocation && short == "" && p.Task.Qty > 0 {
			short, shortTask = c.NewID(), p.Task
			res, err := c.Short(ctx, pickwave.ShortRequest{ID: short, Device: "TC52-1", Reason: pickwave.ShortEmpty})
			if err != nil || res.Verdict.Code != pickwave.VerdictOK {
				t.Fatalf("short: %+v, %v", res, err)
			}
			p = &res.Prompt
			continue
		}
		id := c.NewID()
		res := scan(t, c, pickwave.ScanRequest{ID: id, Device: "TC52-1", Data: f.right(p)})
		if res.Verdict.Code != pickwave.VerdictOK {
			t.Fatalf("right scan at %+v: %+v", p, res.Verdict)
		}
		if p.Step == pickwave.StepTote {
			lastTote = id
		}
		p = &res.Prompt
	}
	line, stock := f.lineAndStock(shortTask)
	b := takeCart(t, c)
	if b.CartID == cartA || b.Step != pickwave.StepBindTote {
		t.Fatalf("second cart %+v", b)
	}
	for _, id := range []string{lastTote, short} {
		first, _ := c.Entry(id)
		res, err := c.Resend(ctx, id)
		if err != nil || !res.Replayed || res.Verdict != first.Verdict {
			t.Fatalf("%s sent again on cart %s: %+v, %v; first answer %+v", id, b.CartID, res, err, first.Verdict)
		}
	}
	var got struct {
		Cart pickwave.Cart `json:"cart"`
	}
	f.api(t, "/api/v1/carts/"+b.CartID, &got)
	for _, tt := range got.Cart.Totes {
		if tt.Tote != "" {
			t.Fatalf("cart %s: tote %s bound in slot %d by a resent scan", b.CartID, tt.Tote, tt.Slot)
		}
	}
	if l, s := f.lineAndStock(shortTask); l.Picked != line.Picked || l.Short != line.Short || l.Allocated != line.Allocated || s != stock {
		t.Fatalf("after the short was sent again: line %+v, stock %+v; before %+v, %+v", l, s, line, stock)
	}
	clean(t, c)
}

// api reads a route as a supervisor.
func (f *floor) api(t *testing.T, path string, v any) {
	t.Helper()
	token, err := f.db.MintToken(context.Background(), "sue", pickwave.RoleSupervisor, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", f.http.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %s", path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// lineAndStock reads a task's order line and its location's stock row.
func (f *floor) lineAndStock(task *pickwave.Task) (pickwave.OrderLine, pickwave.Stock) {
	var o pickwave.Order
	f.api(f.t.(*testing.T), "/api/v1/orders/"+task.OrderID, &o)
	var line pickwave.OrderLine
	for _, l := range o.Lines {
		if l.ID == task.LineID {
			line = l
		}
	}
	var st struct {
		Items []pickwave.Stock `json:"items"`
	}
	f.api(f.t.(*testing.T), "/api/v1/stock?sku="+task.SKU, &st)
	for _, s := range st.Items {
		if s.Location == task.Location && s.Lot == task.Lot {
			s.Expiry = nil
			return line, s
		}
	}
	return line, pickwave.Stock{}
}
