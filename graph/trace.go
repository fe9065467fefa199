package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// traced gives a reading step of the read plan a span of its own, a child
// of the operation's span and the parent of the statements it sends, so
// that a trace shows the plan: one span per field and level, named by the
// field ("plan Tenant.members"), with the number of parent rows it read
// for. Steps that read nothing (an edge's node) get none. Nothing is made
// when the request is not traced.
func traced[P any](s step[P]) step[P] {
	return func(ctx context.Context, fc *graphql.FieldContext, parents []*P) {
		parent := trace.SpanFromContext(ctx)
		if !parent.IsRecording() {
			s(ctx, fc, parents)
			return
		}
		field := fc.Object + "." + fc.Field.Name
		ctx, span := parent.TracerProvider().Tracer("catalogue/graph").Start(ctx, "plan "+field,
			trace.WithAttributes(
				attribute.String("graphql.field.path", fc.Path().String()),
				attribute.String("catalogue.plan.field", field),
				attribute.Int("catalogue.plan.parents", len(parents)),
			))
		defer span.End()
		s(ctx, fc, parents)
	}
}
