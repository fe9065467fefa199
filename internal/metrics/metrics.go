// Package metrics holds the server's Prometheus metrics and the small API
// through which the rest of the server reports to them: the HTTP layer
// records each GraphQL operation, code that throttles counts throttles, the
// subscription transport sets the number of open subscriptions.
//
// A Metrics has a registry of its own rather than Prometheus's global one,
// so that several servers in one process (the test suites start many) do
// not collide, and nothing is registered as a side effect of an import.
// Every method is safe on a nil *Metrics and does nothing: code that
// reports need not check whether metrics are on.
//
// Labels are bounded. Operation names come from clients, so only the
// first MaxOperationNames distinct names get a series of their own; later
// names count as "other", and operations without a name (or whose name
// could not be known, such as one refused before it was parsed) as
// "anonymous". Codes and throttle reasons are chosen by the server's own
// code, but they are capped the same way.
package metrics

import (
	"database/sql"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The label values that stand for many.
const (
	// Anonymous is the operation label of operations without a name.
	Anonymous = "anonymous"
	// Other is the label value of names past the cap.
	Other = "other"
	// UnknownType is the type label of an operation refused before its
	// type was known.
	UnknownType = "unknown"
)

// Options tune the metrics; zero values take the defaults.
type Options struct {
	// MaxOperationNames is how many distinct operation names get series
	// of their own (default 100).
	MaxOperationNames int
}

// Metrics is the server's set of metrics and the registry that serves them.
type Metrics struct {
	reg *prometheus.Registry

	operations    *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	statements    *prometheus.HistogramVec
	throttled     *prometheus.CounterVec
	subscriptions prometheus.Gauge

	names   *capped
	codes   *capped
	reasons *capped
}

// New makes the metrics, with Go runtime and process metrics, in a
// registry of their own.
func New(o Options) *Metrics {
	if o.MaxOperationNames <= 0 {
		o.MaxOperationNames = 100
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "catalogue_graphql_requests_total",
			Help: "GraphQL operations answered (each operation of a batch counts), by operation name, type and outcome: the first error's extensions.code, or OK.",
		}, []string{"operation", "type", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "catalogue_graphql_request_duration_seconds",
			Help:    "Time from receiving a GraphQL operation to the end of its answer, by operation name and type.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation", "type"}),
		statements: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "catalogue_graphql_sql_statements",
			Help: "SQL statements that resolved one GraphQL operation (not counting those that authenticated it or opened and closed its transactions), by operation name and type.",
			// The read plan costs one statement per field and level.
			Buckets: []float64{0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89},
		}, []string{"operation", "type"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "catalogue_throttled_total",
			Help: "Requests refused or slowed down to protect the server (answered THROTTLED), by reason.",
		}, []string{"reason"}),
		subscriptions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "catalogue_graphql_active_subscriptions",
			Help: "GraphQL subscriptions open now.",
		}),
		names:   newCapped(o.MaxOperationNames),
		codes:   newCapped(50),
		reasons: newCapped(20),
	}
	m.reg.MustRegister(m.operations, m.duration, m.statements, m.throttled, m.subscriptions,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry: m.reg,
		// The server compresses its answers itself (internal/api).
		DisableCompression: true,
	})
}

// Registerer lets other packages add metrics of their own to the registry.
func (m *Metrics) Registerer() prometheus.Registerer {
	if m == nil {
		return prometheus.NewRegistry() // registered, never served
	}
	return m.reg
}

// WatchPool exposes the statistics of a connection pool (open, in use and
// idle connections, waits for one and their total time, connections
// closed) as go_sql_* metrics with db_name=name. Watching the same name
// twice is harmless.
func (m *Metrics) WatchPool(name string, pool *sql.DB) {
	if m == nil || pool == nil {
		return
	}
	err := m.reg.Register(collectors.NewDBStatsCollector(pool, name))
	if are := (prometheus.AlreadyRegisteredError{}); err != nil && !errors.As(err, &are) {
		panic(err) // a programming error: the collector's names are constants
	}
}

// Operation is one GraphQL operation as the HTTP layer saw it end.
type Operation struct {
	Name       string // "" for an anonymous operation or when not known
	Type       string // query, mutation, subscription; "" when not known
	Code       string // the first error's extensions.code; "" or "OK" for none
	Duration   time.Duration
	Statements int64 // SQL statements that resolved it
}

// ObserveOperation records one answered operation.
func (m *Metrics) ObserveOperation(op Operation) {
	if m == nil {
		return
	}
	name := Anonymous
	if op.Name != "" {
		name = m.names.label(op.Name)
	}
	typ := op.Type
	switch typ {
	case "query", "mutation", "subscription":
	default:
		typ = UnknownType
	}
	code := "OK"
	if op.Code != "" {
		code = m.codes.label(op.Code)
	}
	m.operations.WithLabelValues(name, typ, code).Inc()
	m.duration.WithLabelValues(name, typ).Observe(op.Duration.Seconds())
	m.statements.WithLabelValues(name, typ).Observe(float64(op.Statements))
}

// Throttled counts a request refused or slowed down to protect the server;
// reason is one of a few fixed words chosen by the caller ("rate",
// "concurrency", ...), never request text.
func (m *Metrics) Throttled(reason string) {
	if m == nil {
		return
	}
	m.throttled.WithLabelValues(m.reasons.label(reason)).Inc()
}

// SubscriptionStarted counts a subscription that opened.
func (m *Metrics) SubscriptionStarted() {
	if m != nil {
		m.subscriptions.Inc()
	}
}

// SubscriptionEnded counts a subscription that closed.
func (m *Metrics) SubscriptionEnded() {
	if m != nil {
		m.subscriptions.Dec()
	}
}

// SetActiveSubscriptions sets the number of open subscriptions, for code
// that keeps the count itself.
func (m *Metrics) SetActiveSubscriptions(n int) {
	if m != nil {
		m.subscriptions.Set(float64(n))
	}
}

// capped admits the first max distinct values of a label, and turns any
// later one into Other, so that what clients send cannot grow the number
// of series without bound.
type capped struct {
	max int

	mu   sync.RWMutex
	seen map[string]struct{}
}

// maxLabelLen is the longest value kept; longer ones count as Other.
const maxLabelLen = 100

func newCapped(max int) *capped { return &capped{max: max, seen: map[string]struct{}{}} }

func (c *capped) label(v string) string {
	if v == "" || len(v) > maxLabelLen {
		return Other
	}
	c.mu.RLock()
	_, ok := c.seen[v]
	c.mu.RUnlock()
	if ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[v]; ok {
		return v
	}
	if len(c.seen) >= c.max {
		return Other
	}
	c.seen[v] = struct{}{}
	return v
}
