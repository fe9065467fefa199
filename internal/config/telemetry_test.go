package config

import (
	"strings"
	"testing"
)

// TestTracingFollowsTheOpenTelemetryEnvironment: tracing is on when an
// OTLP endpoint is set, off when the SDK is disabled, and a protocol the
// server cannot speak is a configuration error, not lost spans.
func TestTracingFollowsTheOpenTelemetryEnvironment(t *testing.T) {
	for _, c := range []struct {
		name     string
		env      map[string]string
		endpoint string
		err      string
	}{
		{"unset", nil, "", ""},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "http://collector:4318", ""},
		{"traces endpoint wins", map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT":        "http://collector:4318",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4318/v1/traces",
		}, "http://traces:4318/v1/traces", ""},
		{"disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, "", ""},
		{"exporter none", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"}, "", ""},
		{"grpc", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "", "OTLP/HTTP only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, name := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED",
				"OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
				t.Setenv(name, c.env[name])
			}
			cfg, err := Load()
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("want an error saying %q, got %v", c.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.TracingEndpoint != c.endpoint {
				t.Errorf("TracingEndpoint %q, want %q", cfg.TracingEndpoint, c.endpoint)
			}
			if !cfg.Metrics || cfg.MetricsMaxOperations != 100 {
				t.Errorf("metrics on with 100 names by default, got %v, %d", cfg.Metrics, cfg.MetricsMaxOperations)
			}
		})
	}
}
