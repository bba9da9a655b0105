package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics holds the server's Prometheus collectors, in a registry of its
// own so that several servers (tests) do not collide.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec

	handhelds prometheus.Gauge
	refused   *prometheus.CounterVec
	scans     *prometheus.CounterVec
	verdicts  prometheus.Histogram

	loginsRefused *prometheus.CounterVec

	shed     *prometheus.CounterVec
	inflight prometheus.Gauge
}

func newMetrics(more ...prometheus.Collector) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pickwave_http_requests_total",
			Help: "HTTP requests by method, route and status code.",
		}, []string{"method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pickwave_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
		handhelds: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pickwave_handhelds_connected",
			Help: "Handheld websockets open now.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pickwave_connections_refused_total",
			Help: "Connections closed on accept for being over a cap, by the cap: total or address (per remote address).",
		}, []string{"limit"}),
		scans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pickwave_scans_total",
			Help: "Handheld scans judged, by verdict code.",
		}, []string{"verdict"}),
		verdicts: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pickwave_scan_verdict_seconds",
			Help:    "Time from a handheld scan's arrival to its verdict, committed, queued for the handheld.",
			Buckets: []float64{.001, .002, .003, .005, .0075, .01, .0125, .015, .02, .03, .05, .1, .25, 1},
		}),
		loginsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pickwave_login_refused_total",
			Help: "Logins refused, by badge or password, on the handheld socket and the API, by reason: " +
				refusedBadCredentials + " (wrong or unknown credentials) or " + refusedLockedOut + " (too many failures).",
		}, []string{"reason"}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pickwave_shed_total",
			Help: "Work refused as overload, by what: request (an API request over the in-flight bound), rate (an API request over its address's rate) or scan (a handheld message the store shed).",
		}, []string{"what"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pickwave_http_inflight",
			Help: "API requests being served now.",
		}),
	}
	for _, what := range []string{"request", "rate", "scan"} {
		m.shed.WithLabelValues(what)
	}
	for _, limit := range []string{"total", "address"} {
		m.refused.WithLabelValues(limit) // shown at zero before the first refusal
	}
	m.registry.MustRegister(m.requests, m.latency, m.handhelds, m.refused, m.scans, m.verdicts, m.loginsRefused, m.shed, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registry.MustRegister(more...)
	return m
}

func (m *metrics) observe(method, route string, code int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
