package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestErrorLogsNameRequestAndOperation: what the error presenter and the
// panic handler log names the request and the operation being executed,
// so that an "internal error" a client reports can be found.
func TestErrorLogsNameRequestAndOperation(t *testing.T) {
	var buf bytes.Buffer
	log := withRequestAttrs(slog.New(slog.NewJSONHandler(&buf, nil)))
	ctx := context.WithValue(context.Background(), requestIDKey{}, "req-42")
	ctx = graphql.WithOperationContext(ctx, &graphql.OperationContext{
		Operation: &ast.OperationDefinition{Name: "SaveThings", Operation: ast.Mutation},
	})

	presentError(log)(ctx, errors.New("boom"))
	_ = recoverPanic(log)(ctx, "kaboom")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("want 2 log lines, got:\n%s", buf.Bytes())
	}
	for _, raw := range lines {
		var line map[string]any
		if err := json.Unmarshal(raw, &line); err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]any{"request_id": "req-42", "operation": "SaveThings", "operation_type": "mutation"} {
			if line[key] != want {
				t.Errorf("%s: %s = %v, want %v", line["msg"], key, line[key], want)
			}
		}
		if n := bytes.Count(raw, []byte(`"request_id"`)); n != 1 {
			t.Errorf("request_id appears %d times in %s", n, raw)
		}
	}
}

// TestLoggerAttributesAreKept: a logger that already names the request
// does not get request_id twice, and records outside requests get nothing.
func TestLoggerAttributesAreKept(t *testing.T) {
	var buf bytes.Buffer
	log := withRequestAttrs(slog.New(slog.NewJSONHandler(&buf, nil))).With("request_id", "given")
	ctx := context.WithValue(context.Background(), requestIDKey{}, "from-context")
	log.InfoContext(ctx, "one")
	withRequestAttrs(slog.New(slog.NewJSONHandler(&buf, nil))).InfoContext(context.Background(), "two")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 || bytes.Count(lines[0], []byte("request_id")) != 1 || !bytes.Contains(lines[0], []byte(`"given"`)) {
		t.Errorf("line one should keep the logger's request_id only:\n%s", buf.Bytes())
	}
	if bytes.Contains(lines[1], []byte("request_id")) || bytes.Contains(lines[1], []byte("operation")) {
		t.Errorf("line two is outside any request:\n%s", lines[1])
	}
}
