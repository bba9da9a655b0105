package server

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// FuzzKPIQuery reads any query string and Accept header: it never
// panics, and what it takes is a range of whole hours, to after from,
// within five years.
func FuzzKPIQuery(f *testing.F) {
	f.Add("from=2026-11-26T00:00:00Z&to=2026-11-27T00:00:00Z&step=hour", "text/csv")
	f.Add("to=2026-11-26T10:30:00%2B02:00&format=csv", "application/json;q=0.9, text/csv;q=1")
	f.Add("from=1999-01-01T00:00:00Z", "*/*")
	f.Add("step=day&format=json", "text/csv;q=abc, application/*")
	f.Fuzz(func(t *testing.T, query, accept string) {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		req := httptest.NewRequest("GET", "/api/v1/kpis", nil)
		if _, err := url.ParseQuery(query); err == nil {
			req.URL.RawQuery = query
		}
		req.Header.Set("Accept", accept)
		c.Request = req
		now := time.Date(2026, 11, 26, 10, 17, 0, 0, time.UTC)
		from, to, step, _, err := kpiQuery(c, now)
		if err != nil {
			return
		}
		if !to.After(from) || !from.Equal(from.Truncate(time.Hour)) || !to.Equal(to.Truncate(time.Hour)) || to.Sub(from) > 5*366*24*time.Hour {
			t.Fatalf("%q: range %s..%s", query, from, to)
		}
		if step != 0 && step != time.Hour && step != 24*time.Hour {
			t.Fatalf("%q: step %s", query, step)
		}
	})
}
