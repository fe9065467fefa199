package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"catalogue/db"
	"catalogue/internal/api"
	"catalogue/internal/auth"
	"catalogue/internal/metrics"
)

// observed is a server of its own, as main serves it with metrics and
// tracing on, whose spans go to memory and whose JSON log to a buffer, so
// that a test sees exactly the traffic it sent.
type observed struct {
	srv     *httptest.Server
	metrics *metrics.Metrics
	spans   *tracetest.InMemoryExporter
	logs    *lockedBuffer
}

func newObserved(t *testing.T) *observed {
	t.Helper()
	store := db.NewStore(env.DB)
	verifier, err := auth.NewTokenVerifier(auth.TokenConfig{HS256Secret: tokenSecret})
	if err != nil {
		t.Fatal(err)
	}
	o := &observed{metrics: metrics.New(metrics.Options{}), spans: tracetest.NewInMemoryExporter(), logs: &lockedBuffer{}}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(o.spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	o.srv = httptest.NewServer(api.New(store, slog.New(slog.NewJSONHandler(o.logs, nil)), api.Config{
		SQLStats:    true,
		Auth:        auth.NewAuthenticator(store, verifier, auth.CacheConfig{}),
		CORSOrigins: []string{"https://app.example.com"},
		Metrics:     o.metrics,
		Tracing:     tp,
	}))
	t.Cleanup(o.srv.Close)
	return o
}

// post sends a body to /graphql with the suite's credentials unless
// headers say otherwise.
func (o *observed) post(t *testing.T, body string, headers map[string]string) *response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, o.srv.URL+"/graphql", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := o.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &response{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), RequestID: resp.Header.Get("X-Request-Id"), Body: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, r); err != nil {
			t.Fatalf("%v: %s", err, raw)
		}
	}
	return r
}

// operation is the JSON body of one operation.
func operation(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// scrape reads GET /metrics, as Prometheus does: without credentials.
func (o *observed) scrape(t *testing.T) []sample {
	t.Helper()
	resp, err := o.srv.Client().Get(o.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: HTTP %d, %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var out []sample
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unparseable metrics line %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		s := sample{name: m[1], labels: map[string]string{}, value: v}
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			s.labels[p[1]] = p[2]
		}
		out = append(out, s)
	}
	return out
}

// value finds the sample of a metric with exactly these labels.
func value(samples []sample, name string, labels map[string]string) (float64, bool) {
next:
	for _, s := range samples {
		if s.name != name || len(s.labels) != len(labels) {
			continue
		}
		for k, v := range labels {
			if s.labels[k] != v {
				continue next
			}
		}
		return s.value, true
	}
	return 0, false
}

// TestMetricsAfterTraffic scrapes /metrics after known traffic: each
// operation is counted by name, type and outcome (batched ones one by
// one; refused ones as anonymous), timed, and its SQL statements are the
// ones its response reported; the pool, throttle and subscription metrics
// are there.
func TestMetricsAfterTraffic(t *testing.T) {
	o := newObserved(t)
	members := operation(`query MetricsMembers { tenant(slug: "acme-music") { members(first: 3) { totalCount edges { node { id } } } } }`, nil)
	var statements int
	for range 2 {
		r := o.post(t, members, nil)
		mustData(t, r, nil)
		statements += r.statements(t)
	}
	if r := o.post(t, `[{"query":"query BatchA { viewer { role } }"},{"query":"query BatchB { tenants(first: 1) { totalCount } }"}]`, nil); r.Status != http.StatusOK {
		t.Fatalf("batch: HTTP %d %s", r.Status, r.Body)
	}
	wantErrorCode(t, o.post(t, operation(`query Broken { nope }`, nil), nil), "GRAPHQL_VALIDATION_FAILED")
	if r := o.post(t, members, map[string]string{"Authorization": "Bearer not-a-token"}); r.Status != http.StatusUnauthorized {
		t.Fatalf("bad credentials: HTTP %d, want 401", r.Status)
	}
	o.metrics.Throttled("rate")
	o.metrics.SubscriptionStarted()
	o.metrics.SubscriptionStarted()
	o.metrics.SubscriptionEnded()

	// The metrics of an operation are recorded as its handler returns,
	// which may be just after the client has the answer.
	eventually(t, func() []string { return metricsFailures(o.scrape(t), statements) })
	if statements == 0 {
		t.Error("the members query reported no statements: the histogram check proves nothing")
	}
}

// metricsFailures checks the metrics of TestMetricsAfterTraffic.
func metricsFailures(samples []sample, statements int) []string {
	var failures []string
	op := func(name, typ string) map[string]string { return map[string]string{"operation": name, "type": typ} }
	outcome := func(name, typ, code string) map[string]string {
		return map[string]string{"operation": name, "type": typ, "code": code}
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"catalogue_graphql_requests_total", outcome("MetricsMembers", "query", "OK"), 2},
		{"catalogue_graphql_requests_total", outcome("BatchA", "query", "OK"), 1},
		{"catalogue_graphql_requests_total", outcome("BatchB", "query", "OK"), 1},
		{"catalogue_graphql_requests_total", outcome("anonymous", "unknown", "GRAPHQL_VALIDATION_FAILED"), 1},
		{"catalogue_graphql_requests_total", outcome("anonymous", "unknown", "UNAUTHENTICATED"), 1},
		{"catalogue_graphql_request_duration_seconds_count", op("MetricsMembers", "query"), 2},
		{"catalogue_graphql_request_duration_seconds_bucket", map[string]string{"operation": "MetricsMembers", "type": "query", "le": "+Inf"}, 2},
		{"catalogue_graphql_sql_statements_count", op("MetricsMembers", "query"), 2},
		{"catalogue_graphql_sql_statements_sum", op("MetricsMembers", "query"), float64(statements)},
		{"catalogue_throttled_total", map[string]string{"reason": "rate"}, 1},
		{"catalogue_graphql_active_subscriptions", map[string]string{}, 1},
		{"go_sql_max_open_connections", map[string]string{"db_name": "primary"}, float64(env.DB.Stats().MaxOpenConnections)},
	} {
		got, ok := value(samples, c.name, c.labels)
		if !ok || got != c.want {
			failures = append(failures, fmt.Sprintf("%s%v = %v (found: %v), want %v", c.name, c.labels, got, ok, c.want))
		}
	}
	if got, _ := value(samples, "catalogue_graphql_request_duration_seconds_sum", op("MetricsMembers", "query")); got <= 0 {
		failures = append(failures, fmt.Sprintf("latency sum %v, want > 0", got))
	}
	for _, name := range []string{"go_sql_open_connections", "go_sql_in_use_connections", "go_sql_idle_connections",
		"go_sql_wait_count_total", "go_sql_wait_duration_seconds_total"} {
		if _, ok := value(samples, name, map[string]string{"db_name": "primary"}); !ok {
			failures = append(failures, fmt.Sprintf("no %s{db_name=\"primary\"}", name))
		}
	}
	return failures
}

// eventually retries check for up to two seconds and reports what it
// found wrong the last time.
func eventually(t *testing.T, check func() []string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		failures := check()
		if len(failures) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Error(strings.Join(failures, "\n"))
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitForSpan waits until the span that ends last for a request (the
// server span of traceID) has been exported, and returns all the spans.
func (o *observed) waitForSpan(t *testing.T, traceID trace.TraceID) []tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		spans := o.spans.GetSpans()
		for _, s := range spans {
			if s.SpanContext.TraceID() == traceID && s.SpanKind == trace.SpanKindServer {
				return spans
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no server span of trace %s among %d spans", traceID, len(spans))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func attr(s tracetest.SpanStub, key string) attribute.Value {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// TestTracesRequestOperationPlanAndSQL sends a traced request (a
// traceparent header from the caller) and finds its trace: the request's
// span continues the caller's trace; the operation's span is its child;
// the read plan's steps are spans below that; and every SQL statement is a
// span below the operation whose db.statement holds placeholders, never a
// value of the request. There are as many statement spans as the response
// reports statements.
func TestTracesRequestOperationPlanAndSQL(t *testing.T) {
	o := newObserved(t)
	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	callerSpan, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	const needle = "zz-needle-value"
	r := o.post(t, operation(`query TracedTenant($like: String!) {
		tenant(slug: "acme-music") {
			name
			members(first: 7, filter: { email: { like: $like } }) { totalCount edges { node { id } } }
			artists(first: 3) { edges { node { name releases(first: 2) { totalCount edges { node { title } } } } } }
		}
	}`, map[string]any{"like": "*" + needle + "*"}),
		map[string]string{"traceparent": "00-" + traceID.String() + "-" + callerSpan.String() + "-01"})
	mustData(t, r, nil)
	spans := o.waitForSpan(t, traceID)

	byID := map[trace.SpanID]tracetest.SpanStub{}
	var server, op tracetest.SpanStub
	for _, s := range spans {
		if s.SpanContext.TraceID() != traceID {
			continue
		}
		byID[s.SpanContext.SpanID()] = s
		switch {
		case s.SpanKind == trace.SpanKindServer:
			server = s
		case s.Name == "query TracedTenant":
			op = s
		}
	}
	if server.Parent.SpanID() != callerSpan || !server.Parent.IsRemote() {
		t.Errorf("request span %q has parent %s, want the caller's %s", server.Name, server.Parent.SpanID(), callerSpan)
	}
	if server.Name != "POST /graphql" || attr(server, "graphql.operation.name").AsString() != "TracedTenant" ||
		attr(server, "http.response.status_code").AsInt64() != 200 {
		t.Errorf("request span %q %v: want POST /graphql naming the operation, status 200", server.Name, server.Attributes)
	}
	if !op.SpanContext.IsValid() || op.Parent.SpanID() != server.SpanContext.SpanID() {
		t.Fatalf("no span \"query TracedTenant\" below the request span; spans: %v", names(byID))
	}
	if attr(op, "graphql.operation.type").AsString() != "query" || attr(op, "graphql.response.code").AsString() != "OK" {
		t.Errorf("operation span attributes %v", op.Attributes)
	}
	below := func(s tracetest.SpanStub, ancestor trace.SpanID) bool {
		for p := s.Parent.SpanID(); p.IsValid(); p = byID[p].Parent.SpanID() {
			if p == ancestor {
				return true
			}
			if _, ok := byID[p]; !ok {
				return false
			}
		}
		return false
	}
	for _, step := range []string{"plan Tenant.members", "plan Tenant.artists", "plan Artist.releases"} {
		found := false
		for _, s := range byID {
			found = found || (s.Name == step && below(s, op.SpanContext.SpanID()))
		}
		if !found {
			t.Errorf("no span %q below the operation; spans: %v", step, names(byID))
		}
	}

	var tenantUUID string
	sqlValue(t, &tenantUUID, `SELECT id::text FROM tenants WHERE slug = 'acme-music'`)
	placeholder := regexp.MustCompile(`\$\d`)
	literalCount := regexp.MustCompile(`LIMIT \d|OFFSET [1-9]`) // OFFSET 0 is a planner fence, not a value
	var statements, underPlan, masked int
	for _, s := range byID {
		if attr(s, "db.system").AsString() != "postgresql" {
			continue
		}
		stmt := attr(s, "db.statement").AsString()
		if stmt == "" || !below(s, op.SpanContext.SpanID()) || s.SpanKind != trace.SpanKindClient {
			t.Errorf("SQL span %q (%s): want a client span with db.statement below the operation", s.Name, stmt)
		}
		for _, value := range []string{needle, tenantUUID, "acme-music"} {
			if strings.Contains(stmt, value) {
				t.Errorf("db.statement holds the value %q: %s", value, stmt)
			}
		}
		if literalCount.MatchString(stmt) {
			t.Errorf("db.statement holds a page size: %s", stmt)
		}
		if strings.Contains(stmt, "LIMIT ?") {
			masked++
		}
		if attr(s, "catalogue.sql.overhead").AsBool() {
			continue
		}
		statements++
		if !placeholder.MatchString(stmt) {
			t.Errorf("a read without a bind placeholder: %s", stmt)
		}
		if parent := byID[s.Parent.SpanID()]; strings.HasPrefix(parent.Name, "plan ") {
			underPlan++
		}
	}
	if want := r.statements(t); statements != want {
		t.Errorf("%d statement spans, the response reports %d statements; spans: %v", statements, want, names(byID))
	}
	if masked == 0 {
		t.Error("no statement shows its page size as LIMIT ?: the page-size check proves nothing")
	}
	if underPlan == 0 {
		t.Errorf("no statement span is the child of a plan step; spans: %v", names(byID))
	}
}

func names(spans map[trace.SpanID]tracetest.SpanStub) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// TestNoTraceWithoutTracing: the suite's main server has no tracer; a
// traceparent it receives still reaches its log as trace_id.
func TestNoTraceWithoutTracing(t *testing.T) {
	req := newRequest(t, http.MethodPost, server.URL+"/graphql", []byte(operation(`query Untraced { viewer { role } }`, nil)))
	req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	r, err := send(req)
	if err != nil {
		t.Fatal(err)
	}
	mustData(t, r, nil)
	eventually(t, func() []string {
		if lines := serverLog.lines(r.RequestID); !strings.Contains(lines, "trace_id=0af7651916cd43dd8448eb211c80319c") ||
			!strings.Contains(lines, "operation=Untraced") {
			return []string{"the access log should name the caller's trace and the operation:\n" + lines}
		}
		return nil
	})
}

// TestJSONLogLines reads the JSON access log: every request line names the
// request, its operations and their outcome, status, duration and SQL
// statements, and the caller's trace.
func TestJSONLogLines(t *testing.T) {
	o := newObserved(t)
	o.post(t, operation(`query LoggedViewer { viewer { role } }`, nil), map[string]string{
		"X-Request-Id": "log-one", "traceparent": "00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	})
	o.post(t, `[{"query":"query BatchA { viewer { role } }"},{"query":"{ nope }"}]`, map[string]string{"X-Request-Id": "log-batch"})
	o.post(t, operation(`query LoggedViewer { viewer { role } }`, nil), map[string]string{"X-Request-Id": "log-refused", "Authorization": "Bearer nope"})
	o.post(t, `[]`, map[string]string{"X-Request-Id": "log-empty-batch"})

	for _, c := range []struct {
		id                    string
		operation, typ, code  string
		status                float64
		traceID, sqlStatement bool
	}{
		{"log-one", "LoggedViewer", "query", "OK", 200, true, true},
		{"log-batch", "BatchA,", "query,", "OK,GRAPHQL_VALIDATION_FAILED", 200, false, true},
		{"log-refused", "", "", "UNAUTHENTICATED", 401, false, true},
		{"log-empty-batch", "", "", "BAD_REQUEST", 400, false, true},
	} {
		line := o.accessLine(t, c.id)
		for key, want := range map[string]any{
			"operation": c.operation, "operation_type": c.typ, "code": c.code, "status": c.status,
		} {
			if line[key] != want {
				t.Errorf("%s: %s = %#v, want %#v\nline: %v", c.id, key, line[key], want, line)
			}
		}
		for _, key := range []string{"duration", "sql_statements", "method", "path"} {
			if _, ok := line[key]; !ok {
				t.Errorf("%s: no %s in %v", c.id, key, line)
			}
		}
		if got := line["trace_id"]; c.traceID && got != "5bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("%s: trace_id %v, want the caller's", c.id, got)
		}
	}
}

// accessLine is the JSON access-log line of a request.
func (o *observed) accessLine(t *testing.T, requestID string) map[string]any {
	t.Helper()
	var found map[string]any
	eventually(t, func() []string {
		for _, raw := range bytes.Split(o.logs.Bytes(), []byte("\n")) {
			var line map[string]any
			if json.Unmarshal(raw, &line) == nil && line["msg"] == "request" && line["request_id"] == requestID {
				found = line
				return nil
			}
		}
		return []string{fmt.Sprintf("no access-log line for %s in:\n%s", requestID, o.logs.Bytes())}
	})
	if found == nil {
		t.FailNow()
	}
	return found
}

// TestPreflightAllowsTraceContext lets a traced web page send its trace
// context cross-origin.
func TestPreflightAllowsTraceContext(t *testing.T) {
	o := newObserved(t)
	req := newRequest(t, http.MethodOptions, o.srv.URL+"/graphql", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,traceparent,tracestate")
	resp, err := o.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	allowed := strings.ToLower(strings.Join(resp.Header.Values("Access-Control-Allow-Headers"), ","))
	if !strings.Contains(allowed, "traceparent") || !strings.Contains(allowed, "tracestate") {
		t.Errorf("Access-Control-Allow-Headers %q lacks the trace context", allowed)
	}
}

// lockedBuffer is a bytes.Buffer that handlers on many goroutines may
// write to.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
