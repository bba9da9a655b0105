package ha

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are a node's figures for /metrics (see Site.Collectors).
type metrics struct {
	leading      prometheus.Gauge
	applied      prometheus.Gauge
	appendSecs   prometheus.Histogram
	appendBytes  prometheus.Counter
	appendFailed prometheus.Counter
	snapshots    prometheus.Counter
	snapBytes    prometheus.Gauge
	takeover     prometheus.Gauge
}

func newMetrics() *metrics {
	return &metrics{
		leading: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pickwave_ha_leading",
			Help: "1 while this node leads its site, 0 while it stands by."}),
		applied: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pickwave_ha_applied_index",
			Help: "The index of the last log entry in this node's store file."}),
		appendSecs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pickwave_ha_append_seconds",
			Help:    "Time to append one group commit to the site's log in etcd.",
			Buckets: []float64{.001, .002, .004, .008, .016, .032, .064, .128, .256, .512, 1, 2}}),
		appendBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "pickwave_ha_append_bytes_total",
			Help: "Compressed bytes appended to the site's log."}),
		appendFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "pickwave_ha_append_failures_total",
			Help: "Appends that failed: each fences the leader, which then stops."}),
		snapshots: prometheus.NewCounter(prometheus.CounterOpts{Name: "pickwave_ha_snapshots_total",
			Help: "Snapshots this node wrote to etcd."}),
		snapBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pickwave_ha_snapshot_bytes",
			Help: "Size of the last snapshot this node wrote, gzipped."}),
		takeover: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pickwave_ha_takeover_seconds",
			Help: "Time from this node's election to its store leading (catching up with the log)."}),
	}
}

// Collectors are the node's metrics, for the server's /metrics (or the
// standby's).
func (s *Site) Collectors() []prometheus.Collector {
	m := s.metrics
	return []prometheus.Collector{m.leading, m.applied, m.appendSecs, m.appendBytes, m.appendFailed, m.snapshots, m.snapBytes, m.takeover}
}

func (m *metrics) observeAppend(start time.Time, bytes int, err error) {
	if err != nil {
		m.appendFailed.Inc()
		return
	}
	m.appendSecs.Observe(time.Since(start).Seconds())
	m.appendBytes.Add(float64(bytes))
}
