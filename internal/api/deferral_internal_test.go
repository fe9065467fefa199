package api

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

// A streamed request lives as long as it keeps producing parts, longer
// than the request timeout in all, and ends with DeadlineExceeded once it
// stalls for that long.
func TestIdleDeadlineLetsHealthyStreamsRun(t *testing.T) {
	const d = 200 * time.Millisecond
	ctx, cancel := withIdleDeadline(context.Background(), httptest.NewRecorder(), d)
	defer cancel()
	start := time.Now()
	for time.Since(start) < 3*d {
		touchStream(ctx)
		select {
		case <-ctx.Done():
			t.Fatalf("the stream was cut after %v although a part came every %v", time.Since(start), d/4)
		case <-time.After(d / 4):
		}
	}
	select {
	case <-ctx.Done():
		t.Fatal("stopped before it stalled")
	default:
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * d):
		t.Fatal("a stalled stream was never stopped")
	}
	if cause := context.Cause(ctx); !errors.Is(cause, context.DeadlineExceeded) {
		t.Errorf("cause %v, want DeadlineExceeded", cause)
	}
	touchStream(context.Background()) // not streamed: nothing to do
}
