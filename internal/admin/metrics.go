// Package admin serves Strait's admin HTTP endpoints (health and metrics)
// and holds the Prometheus metrics the gateway's parts report to.
package admin

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strait-gw/strait/internal/listener"
	"github.com/strait-gw/strait/internal/policy/recordpolicy"
	"github.com/strait-gw/strait/internal/protocol"
	"github.com/strait-gw/strait/internal/session"
)

// Metrics holds every gateway metric on one registry.
type Metrics struct {
	Registry *prometheus.Registry

	connsActive *prometheus.GaugeVec
	connsTotal  *prometheus.CounterVec
	requests    *prometheus.CounterVec
	errors      *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	bytesIn     *prometheus.CounterVec
	bytesOut    *prometheus.CounterVec
	dialErrors  *prometheus.CounterVec
	refreshes   *prometheus.CounterVec
	conflicts   *prometheus.GaugeVec
	denied      *prometheus.CounterVec
	auths       *prometheus.CounterVec
	refused     *prometheus.CounterVec
	acceptErrs  *prometheus.CounterVec
	records     *prometheus.CounterVec
}

// NewMetrics registers the gateway's metrics on a new registry, with the
// Go runtime and process collectors.
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	lv := []string{"listener", "virtual_cluster"}
	m := &Metrics{
		Registry: r,
		connsActive: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strait_client_connections_active",
			Help: "Client connections open now."}, lv),
		connsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strait_client_connections_total",
			Help: "Client connections accepted."}, lv),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strait_requests_total",
			Help: "Requests read from clients, by API."}, append(lv, "api")),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strait_request_errors_total",
			Help: "Requests that failed in the gateway (malformed, unsupported, backend lost), by API."}, append(lv, "api")),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "strait_request_duration_seconds",
			Help:    "Time from reading a request to writing its response, by API.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, append(lv, "api")),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strait_client_bytes_in_total",
			Help: "Bytes of requests read from clients."}, lv),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strait_client_bytes_out_total",
			Help: "Bytes of responses written to clients."}, lv),
		dialErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strait_backend_connection_errors_total",
			Help: "Failed connections to backend brokers."}, []string{"backend_cluster"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strait_backend_metadata_refreshes_total",
			Help: "Backend metadata refreshes, by result."}, []string{"backend_cluster", "result"}),
		conflicts: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strait_namespace_conflicts",
			Help: "1 when two backend names map to one client name in a virtual cluster's namespace."}, []string{"virtual_cluster"}),
		denied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strait_policy_denials_total",
			Help: "Requests or entries of requests refused by a policy."}, []string{"virtual_cluster", "policy"}),
		auths: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strait_authentications_total",
			Help: "Client authentication attempts, by method and result (ok, failed, unsupported_mechanism)."}, []string{"virtual_cluster", "method", "result"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strait_connections_refused_total",
			Help: "Client connections closed as soon as they were accepted, by reason (listener_limit, gateway_limit)."}, []string{"listener", "reason"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strait_record_policy_records_total",
			Help: "Records a record policy saw, acted on (changed, skipped or rejected) and failed on, by event (seen, acted, failed)."},
			[]string{"virtual_cluster", "policy", "event"}),
		acceptErrs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strait_accept_errors_total",
			Help: "Failed accepts of client connections (out of file descriptors and the like), each followed by a pause."}, []string{"listener"}),
	}
	r.MustRegister(m.connsActive, m.connsTotal, m.requests, m.errors, m.latency, m.bytesIn, m.bytesOut, m.dialErrors, m.refreshes,
		m.conflicts, m.denied, m.auths, m.refused, m.acceptErrs, m.records,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// MetadataRefresh implements backend.Metrics.
func (m *Metrics) MetadataRefresh(cluster string, ok bool) {
	result := "ok"
	if !ok {
		result = "error"
	}
	m.refreshes.WithLabelValues(cluster, result).Inc()
}

// BackendDialError implements backend.Metrics.
func (m *Metrics) BackendDialError(cluster string) {
	m.dialErrors.WithLabelValues(cluster).Inc()
}

// Observer returns the session observer for one listener and virtual
// cluster. Per-API series are created on first use and cached, so the hot
// path does no label lookups.
func (m *Metrics) Observer(listener, vcluster string) session.Observer {
	o := &observer{
		m:      m,
		labels: []string{listener, vcluster},
		active: m.connsActive.WithLabelValues(listener, vcluster),
		total:  m.connsTotal.WithLabelValues(listener, vcluster),
		in:     m.bytesIn.WithLabelValues(listener, vcluster),
		out:    m.bytesOut.WithLabelValues(listener, vcluster),
	}
	for k := int16(0); k < protocol.MaxKey; k++ {
		if name := kmsg.NameForKey(k); name != "" && name != "Unknown" && protocol.Default.Max(k) >= 0 {
			o.api[k] = &apiSeries{
				requests: m.requests.WithLabelValues(listener, vcluster, name),
				errors:   m.errors.WithLabelValues(listener, vcluster, name),
				latency:  m.latency.WithLabelValues(listener, vcluster, name),
			}
		}
	}
	return o
}

type apiSeries struct {
	requests, errors prometheus.Counter
	latency          prometheus.Observer
}

type observer struct {
	m              *Metrics
	labels         []string
	active         prometheus.Gauge
	total, in, out prometheus.Counter
	api            [protocol.MaxKey]*apiSeries
}

var _ session.Observer = (*observer)(nil)

func (o *observer) ConnOpened() { o.active.Inc(); o.total.Inc() }
func (o *observer) ConnClosed() { o.active.Dec() }

func (o *observer) series(key int16) *apiSeries {
	if key < 0 || key >= protocol.MaxKey {
		return nil
	}
	return o.api[key]
}

func (o *observer) Request(key int16, bytes int) {
	o.in.Add(float64(bytes))
	if s := o.series(key); s != nil {
		s.requests.Inc()
	}
}

func (o *observer) Response(key int16, bytes int, d time.Duration) {
	o.out.Add(float64(bytes))
	if s := o.series(key); s != nil {
		s.latency.Observe(d.Seconds())
	}
}

func (o *observer) Error(key int16) {
	if s := o.series(key); s != nil {
		s.errors.Inc()
		return
	}
	o.m.errors.WithLabelValues(o.labels[0], o.labels[1], "unknown").Inc()
}

// NamespaceConflicts sets strait_namespace_conflicts for a virtual cluster.
func (m *Metrics) NamespaceConflicts(virtualCluster string, conflict bool) {
	v := 0.0
	if conflict {
		v = 1
	}
	m.conflicts.WithLabelValues(virtualCluster).Set(v)
}

// RecordPolicyCounter returns the counter of records a record policy saw,
// acted on or failed on.
func (m *Metrics) RecordPolicyCounter(virtualCluster, policy, event string) recordpolicy.Counter {
	return m.records.WithLabelValues(virtualCluster, policy, event)
}

// Denied counts a refusal by a policy.
func (m *Metrics) Denied(virtualCluster, policy string) {
	m.denied.WithLabelValues(virtualCluster, policy).Inc()
}

// Authentication counts a client authentication attempt.
func (m *Metrics) Authentication(virtualCluster, method, result string) {
	m.auths.WithLabelValues(virtualCluster, method, result).Inc()
}

var _ listener.Metrics = (*Metrics)(nil)

// ConnectionRefused implements listener.Metrics.
func (m *Metrics) ConnectionRefused(listenerName, reason string) {
	m.refused.WithLabelValues(listenerName, reason).Inc()
}

// AcceptError implements listener.Metrics.
func (m *Metrics) AcceptError(listenerName string) {
	m.acceptErrs.WithLabelValues(listenerName).Inc()
}
