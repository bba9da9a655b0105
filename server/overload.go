package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pickwave/pickwave"
)

// Overload.
//
// Work the server cannot do in time is refused at once rather than queued
// behind work that is already late: the store sheds writes past its
// bounds (store/admission.go) and the API sheds requests over MaxInFlight.
// Both answer EUNAVAILABLE, which HTTP sends as 503 with Retry-After and
// the handheld socket as an error with retry_after_ms; nothing was done,
// so the same request may be sent again after the pause.

// DefaultMaxInFlight bounds the API requests served at once: far more than
// two cores run in parallel, so that a burst queues in the handlers, while
// a flood meets 503s instead of growing every answer's wait.
const DefaultMaxInFlight = 256

// inflightWait is how long a request over the bound waits for a place
// before it is shed: a burst's tail gets in, a flood does not.
const inflightWait = 50 * time.Millisecond

// retryAfter is the pause an overloaded server asks for.
const retryAfter = time.Second

var errOverloaded = &pickwave.Error{Code: pickwave.EUNAVAILABLE,
	Message: "The server is overloaded; nothing was done. Try again in a moment."}

// limitInFlight sheds API requests over the in-flight bound.
func (s *Server) limitInFlight(c *gin.Context) {
	if s.inflight == nil {
		c.Next()
		return
	}
	select {
	case s.inflight <- struct{}{}:
	default:
		t := time.NewTimer(inflightWait)
		select {
		case s.inflight <- struct{}{}:
			t.Stop()
		case <-t.C:
			s.metrics.shed.WithLabelValues("request").Inc()
			s.fail(c, errOverloaded)
			return
		case <-c.Request.Context().Done():
			t.Stop()
			c.Abort()
			return
		}
	}
	s.metrics.inflight.Inc()
	defer func() {
		s.metrics.inflight.Dec()
		<-s.inflight
	}()
	c.Next()
}

// setRetryAfter adds Retry-After to a 503.
func setRetryAfter(h http.Header) {
	h.Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
}

// writeStatsCollector exports the store's write path: writes waiting,
// writes shed, and the commit-time histogram.
type writeStatsCollector struct {
	stats                                      func() pickwave.WriteStats
	pending, shed, commits, fileSize, freeSize *prometheus.Desc
}

func newWriteStatsCollector(stats func() pickwave.WriteStats) *writeStatsCollector {
	return &writeStatsCollector{
		stats:    stats,
		pending:  prometheus.NewDesc("pickwave_store_pending_writes", "Writes waiting for the store's committer now.", nil, nil),
		shed:     prometheus.NewDesc("pickwave_store_shed_writes_total", "Writes the store refused as overload, unwritten (queue full or waited past their budget).", nil, nil),
		commits:  prometheus.NewDesc("pickwave_store_commit_seconds", "Time of each group commit: its batch's transaction and fsync.", nil, nil),
		fileSize: prometheus.NewDesc("pickwave_store_file_bytes", "Size of the data file.", nil, nil),
		freeSize: prometheus.NewDesc("pickwave_store_free_bytes", "Bytes of the data file in free pages, which writes reuse before the file grows.", nil, nil),
	}
}

func (c *writeStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.shed
	ch <- c.commits
	ch <- c.fileSize
	ch <- c.freeSize
}

func (c *writeStatsCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(st.PendingWrites))
	ch <- prometheus.MustNewConstMetric(c.shed, prometheus.CounterValue, float64(st.ShedWrites))
	buckets := make(map[float64]uint64, len(st.CommitBuckets))
	for i, b := range st.CommitBuckets {
		buckets[b] = st.CommitCounts[i]
	}
	ch <- prometheus.MustNewConstHistogram(c.commits, st.CommitCount, st.CommitSum, buckets)
	ch <- prometheus.MustNewConstMetric(c.fileSize, prometheus.GaugeValue, float64(st.FileBytes))
	ch <- prometheus.MustNewConstMetric(c.freeSize, prometheus.GaugeValue, float64(st.FreeBytes))
}
