package loader

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// batchSpan starts the span of one loader batch, named by what it reads
// ("batch Release.tracks"), with the number of keys it gathered; the
// statements of the batch are its children. The parent is the span of the
// batch's first caller (dataloader runs a batch with that caller's
// context). It returns ctx unchanged and a no-op when the request is not
// traced.
func batchSpan(ctx context.Context, what string, keys int) (context.Context, func()) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, func() {}
	}
	ctx, span := parent.TracerProvider().Tracer("catalogue/graph/loader").Start(ctx, "batch "+what,
		trace.WithAttributes(
			attribute.String("catalogue.batch.read", what),
			attribute.Int("catalogue.batch.keys", keys),
		))
	return ctx, func() { span.End() }
}
