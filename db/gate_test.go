package db

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestPreambleSetsStatementTimeoutFromDeadline: a request transaction
// carries the time its context has left as statement_timeout, so that
// PostgreSQL stops a statement that outlives its request by itself.
func TestPreambleSetsStatementTimeoutFromDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	ss := testStore.Session(AllTenants(), FromPrimary)
	defer ss.End(ctx)
	var got string
	if err := getRow(ctx, ss, &got, `SHOW statement_timeout`); err != nil {
		t.Fatal(err)
	}
	d, err := time.ParseDuration(strings.ReplaceAll(got, " ", ""))
	if err != nil || d <= 0 || d > 3*time.Second {
		t.Fatalf("statement_timeout = %q, want the time left of a 3s deadline", got)
	}
}

// TestGatesBoundEachKeyAlone: a key at its bound makes its next request
// wait and then refuses it as ErrThrottled, while another key still gets a
// slot; a request's second transaction shares its slot; a slot given back
// is free for the next request.
func TestGatesBoundEachKeyAlone(t *testing.T) {
	gates := NewGates(1)
	a1 := WithGate(t.Context(), gates, "a")
	leave, err := enter(a1)
	if err != nil {
		t.Fatal(err)
	}
	again, err := enter(a1) // the same request: no second slot needed
	if err != nil {
		t.Fatal(err)
	}
	again()

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := enter(WithGate(ctx, gates, "a")); !errors.Is(err, ErrThrottled) {
		t.Fatalf("a second request of a full key: %v, want ErrThrottled", err)
	}
	leaveB, err := enter(WithGate(t.Context(), gates, "b"))
	if err != nil {
		t.Fatalf("another key must not wait for a: %v", err)
	}
	leaveB()

	leave()
	leave() // giving back twice changes nothing
	leave2, err := enter(WithGate(t.Context(), gates, "a"))
	if err != nil {
		t.Fatalf("a slot given back must be free: %v", err)
	}
	leave2()
	if n := len(gates.slots); n != 0 {
		t.Errorf("%d keys still kept with no request", n)
	}
}
