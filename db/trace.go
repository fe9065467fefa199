package db

import (
	"context"
	"regexp"
	"strings"

	"github.com/jmoiron/sqlx"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the instrumentation of SQL statements in traces.
const tracerName = "catalogue/db"

// statementSpan starts the span of one SQL statement, a child of the span
// in ctx made by that span's TracerProvider: the statements of a request
// the API traces are traced with it, and a statement outside a recorded
// span costs nothing and makes nothing (nil). The package needs no tracer
// of its own and no configuration.
//
// The span carries the statement's text as written, with its placeholders,
// never the bind values; the page sizes and offsets written into LIMIT and
// OFFSET are replaced by "?" too, so that the text says what ran, not for
// whom, and the same query reads the same for every page size.
func statementSpan(ctx context.Context, stmt string, overhead bool) trace.Span {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return nil
	}
	text := statementText(stmt)
	op := operationOf(text)
	_, span := parent.TracerProvider().Tracer(tracerName).Start(ctx, op,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("db.system", "postgresql"),
			attribute.String("db.operation", op),
			attribute.String("db.statement", text),
			attribute.Bool("catalogue.sql.overhead", overhead),
		))
	return span
}

// literalCounts are the numbers the page functions write into statements:
// page sizes and offsets. OFFSET 0, the planner fence some statements use,
// is part of the statement and stays.
var literalCounts = regexp.MustCompile(`\b(LIMIT\s+\d+|OFFSET\s+[1-9]\d*)`)

// statementText is a statement as PostgreSQL receives it ($1 placeholders),
// without the numbers of LIMIT and OFFSET, on one line.
func statementText(stmt string) string {
	stmt = sqlx.Rebind(sqlx.DOLLAR, stmt)
	stmt = literalCounts.ReplaceAllStringFunc(stmt, func(m string) string {
		word, _, _ := strings.Cut(m, " ")
		return strings.TrimSpace(word) + " ?"
	})
	return strings.Join(strings.Fields(stmt), " ")
}

// operationOf is the first keyword of a statement: SELECT, WITH, INSERT,
// BEGIN, ...
func operationOf(stmt string) string {
	op, _, _ := strings.Cut(stmt, " ")
	op = strings.ToUpper(strings.TrimRight(op, ";("))
	if op == "" {
		return "SQL"
	}
	return op
}
