package main

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"catalogue/internal/config"
	"catalogue/internal/metrics"
	"catalogue/internal/tracing"
)

// newMetrics makes the server's metrics, or nil when METRICS=false.
func newMetrics(cfg config.Config) *metrics.Metrics {
	if !cfg.Metrics {
		return nil
	}
	return metrics.New(metrics.Options{MaxOperationNames: cfg.MetricsMaxOperations})
}

// startTracing starts exporting traces when an OTLP endpoint is set, and
// returns the provider for api.New (nil when tracing is off) and the
// function that flushes what is queued at shutdown.
func startTracing(ctx context.Context, cfg config.Config, log *slog.Logger) (trace.TracerProvider, func(), error) {
	if cfg.TracingEndpoint == "" {
		return nil, func() {}, nil
	}
	tp, err := tracing.NewProvider(ctx, "catalogue", "")
	if err != nil {
		return nil, nil, err
	}
	// Export failures (a collector down) are reported in the server's log
	// rather than on stderr in another format.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("tracing", "err", err)
	}))
	log.Info("exporting traces", "endpoint", cfg.TracingEndpoint)
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tp.Shutdown(sctx); err != nil {
			log.Warn("flush traces", "err", err)
		}
	}
	return tp, stop, nil
}
