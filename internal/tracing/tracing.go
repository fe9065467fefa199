// Package tracing sets up the export of the server's OpenTelemetry traces
// to an OTLP collector over HTTP, configured as every OpenTelemetry SDK is:
// by the standard OTEL_* environment variables (internal/config decides
// whether tracing is on and refuses settings it cannot honour).
//
// The spans themselves are made where the work happens (internal/api for
// requests and operations, graph for read-plan steps and loader batches,
// db for SQL statements), each as a child of the span in its context and
// with that span's TracerProvider. Only the provider made here, which the
// server hands to api.New, decides whether they are recorded and where
// they go. Nothing here is global: no otel.SetTracerProvider.
package tracing

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// NewProvider makes a TracerProvider that batches spans and exports them
// over OTLP/HTTP. The exporter reads its endpoint, headers, timeout,
// compression and TLS files from the OTEL_EXPORTER_OTLP_* variables; the
// SDK reads the sampler (OTEL_TRACES_SAMPLER, default: follow the caller's
// sampling decision, sample every trace that starts here) and the
// resource (OTEL_SERVICE_NAME, default service; OTEL_RESOURCE_ATTRIBUTES).
// Shut it down to flush the spans still queued.
func NewProvider(ctx context.Context, service, version string) (*sdktrace.TracerProvider, error) {
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", service)}
	if version != "" {
		attrs = append(attrs, attribute.String("service.version", version))
	}
	// Later options win: the environment overrides the defaults.
	res, err := resource.New(ctx,
		resource.WithAttributes(attrs...),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}
