package webhook

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts webhook attempts by outcome. It is a
// prometheus.Collector; the server registers it with its own metrics.
type Metrics struct {
	deliveries *prometheus.CounterVec
}

// Outcomes of an attempt, the status label of
// pickwave_webhook_deliveries_total.
var outcomes = []string{"delivered", "retry", "failed"}

// NewMetrics returns the counters, each outcome shown at zero.
func NewMetrics() *Metrics {
	m := &Metrics{deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pickwave_webhook_deliveries_total",
		Help: "Webhook delivery attempts by outcome: delivered (2xx), retry (failed, tried again later) or failed (the last attempt failed).",
	}, []string{"status"})}
	for _, o := range outcomes {
		m.deliveries.WithLabelValues(o)
	}
	return m
}

func (m *Metrics) count(outcome string) {
	if m != nil {
		m.deliveries.WithLabelValues(outcome).Inc()
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { m.deliveries.Describe(ch) }

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) { m.deliveries.Collect(ch) }
