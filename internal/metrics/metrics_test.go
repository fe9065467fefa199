package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestOperationNamesAreCapped: the first names get series of their own,
// later ones count as "other", unnamed ones as "anonymous"; the number of
// series stays bounded whatever clients send.
func TestOperationNamesAreCapped(t *testing.T) {
	m := New(Options{MaxOperationNames: 2})
	for _, name := range []string{"First", "Second", "Third", "Fourth", "First", ""} {
		m.ObserveOperation(Operation{Name: name, Type: "query", Duration: time.Millisecond, Statements: 2})
	}
	m.ObserveOperation(Operation{Name: "First", Type: "mutation", Code: "FORBIDDEN"})
	m.ObserveOperation(Operation{Type: "weird", Code: "OK"})

	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"First", "query", "OK"}, 2},
		{[]string{"Second", "query", "OK"}, 1},
		{[]string{Other, "query", "OK"}, 2},
		{[]string{Anonymous, "query", "OK"}, 1},
		{[]string{"First", "mutation", "FORBIDDEN"}, 1},
		{[]string{Anonymous, UnknownType, "OK"}, 1},
	} {
		if got := testutil.ToFloat64(m.operations.WithLabelValues(c.labels...)); got != c.want {
			t.Errorf("requests%v = %v, want %v", c.labels, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.operations); n != 6 {
		t.Errorf("%d request series, want 6", n)
	}
}

// TestNilMetricsDoNothing: code may report without checking that metrics
// are on.
func TestNilMetricsDoNothing(t *testing.T) {
	var m *Metrics
	m.ObserveOperation(Operation{Name: "X"})
	m.Throttled("rate")
	m.SubscriptionStarted()
	m.SubscriptionEnded()
	m.SetActiveSubscriptions(3)
	m.WatchPool("primary", nil)
	if m.Handler() == nil || m.Registerer() == nil {
		t.Error("a nil Metrics should still give a handler and a registerer")
	}
}

// TestThrottleReasonsAndSubscriptions count as told.
func TestThrottleReasonsAndSubscriptions(t *testing.T) {
	m := New(Options{})
	m.Throttled("rate")
	m.Throttled("rate")
	m.Throttled("concurrency")
	if got := testutil.ToFloat64(m.throttled.WithLabelValues("rate")); got != 2 {
		t.Errorf("throttled{rate} = %v, want 2", got)
	}
	m.SetActiveSubscriptions(5)
	m.SubscriptionStarted()
	m.SubscriptionEnded()
	m.SubscriptionEnded()
	if got := testutil.ToFloat64(m.subscriptions); got != 4 {
		t.Errorf("active subscriptions = %v, want 4", got)
	}
}
