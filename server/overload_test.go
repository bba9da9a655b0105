package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/store"
)

// An API request over the in-flight bound is shed with 503 and
// Retry-After, counted, and the API serves again once the bound frees.
func TestOverload_apiShedsOverInFlight(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{NoSync: true})
	s := testenv.Server(db, nil)
	s.MaxInFlight = 1
	s.WriteStats = db.WriteStats
	hs := httptest.NewServer(testenv.Checked(t, s.Handler()))
	t.Cleanup(hs.Close)
	ctx := context.Background()
	super, _ := db.MintToken(ctx, "sue", pickwave.RoleSupervisor, time.Hour)

	// A CSV import whose body trickles in holds the one place.
	pr, pw := io.Pipe()
	held := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", hs.URL+"/api/v1/orders/import", pr)
		req.Header.Set("Authorization", "Bearer "+super)
		req.Header.Set("Content-Type", "text/csv")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			held <- 0
			return
		}
		res.Body.Close()
		held <- res.StatusCode
	}()
	io.WriteString(pw, "external_id,")
	testenv.Eventually(t, 5*time.Second, "the import in flight", func() bool {
		return strings.Contains(testenv.Metrics(t, hs.URL, super), "pickwave_http_inflight 1")
	})

	get := func() *http.Response {
		req, _ := http.NewRequest("GET", hs.URL+"/api/v1/orders", nil)
		req.Header.Set("Authorization", "Bearer "+super)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := get()
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "1" || body.Error.Code != pickwave.EUNAVAILABLE {
		t.Fatalf("a request over the bound: %d, Retry-After %q, code %q", res.StatusCode, res.Header.Get("Retry-After"), body.Error.Code)
	}
	if m := testenv.Metrics(t, hs.URL, super); !strings.Contains(m, `pickwave_shed_total{what="request"} 1`) ||
		!strings.Contains(m, "pickwave_store_pending_writes") || !strings.Contains(m, "pickwave_store_commit_seconds_bucket") {
		t.Fatalf("metrics lack the shed request or the store's write path:\n%s", m)
	}

	// The import ends; the API serves again at once.
	pw.CloseWithError(io.ErrUnexpectedEOF)
	<-held
	if res := get(); res.StatusCode != http.StatusOK {
		t.Fatalf("after the import: %d", res.StatusCode)
	} else {
		res.Body.Close()
	}
}

// A scan the store sheds is answered unavailable with retry_after_ms,
// nothing judged: sent again once the store keeps up, it is judged once.
func TestOverload_shedScanIsRetriedLater(t *testing.T) {
	f := newFloor(t, 4)
	c := f.login(handheld.Options{})
	takeCart(t, c)
	token, super := c.Token(), mustToken(t, f)

	// The store now sheds every write that waits at all.
	f.storeOpts = store.Options{MaxWriteWait: time.Nanosecond}
	f.restart()
	c = f.login(handheld.Options{Token: token})
	id := c.NewID()
	_, err := c.Scan(testCtx(t), pickwave.ScanRequest{ID: id, Data: "TOTE-9001"})
	e, ok := errors.AsType[*handheld.Error](err)
	if !ok || e.Code != pickwave.EUNAVAILABLE || e.RetryAfter != time.Second {
		t.Fatalf("a scan the store shed: %v, want unavailable with a 1 s retry", err)
	}
	if en, _ := c.Entry(id); en.Answered || en.Err != nil {
		t.Fatalf("a shed scan was booked: %+v", en)
	}
	if m := testenv.Metrics(t, f.http.URL, super); !strings.Contains(m, `pickwave_shed_total{what="scan"} 1`) {
		t.Fatalf("the shed scan is not counted:\n%s", m)
	}

	// The store keeps up again: the same scan is judged, once.
	f.storeOpts = store.Options{}
	f.restart()
	c = f.login(handheld.Options{Token: token})
	res, err := c.Scan(testCtx(t), pickwave.ScanRequest{ID: id, Data: "TOTE-9001"})
	if err != nil {
		t.Fatalf("the shed scan, sent again: %v", err)
	}
	if res.Replayed {
		t.Fatal("a scan the store shed was answered from record: it had been judged")
	}
}

func mustToken(t *testing.T, f *floor) string {
	t.Helper()
	token, err := f.db.MintToken(context.Background(), "sue", pickwave.RoleSupervisor, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return token
}
