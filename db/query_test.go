package db

import (
	"encoding/json"
	"testing"
	"time"

	"catalogue/internal/filter"
)

// compileMembers compiles a typed filter input for Tenant.members.
func compileMembers(t *testing.T, in map[string]any, subsidiaries bool) *Compiled {
	t.Helper()
	e, err := filter.FromInput(in, MembersByTenant.Fields.Set())
	if err != nil {
		t.Fatalf("filter %s: %v", show(in), err)
	}
	c, err := MembersByTenant.Compile(Query{Filter: e, Subsidiaries: subsidiaries})
	if err != nil {
		t.Fatalf("compile %s: %v", show(in), err)
	}
	return c
}

type m = map[string]any

// show renders a filter input for a message; %v would print ["Pop Rock"]
// and ["Pop", "Rock"] alike.
func show(in m) string {
	b, _ := json.Marshal(in)
	return string(b)
}

// The signature of a compiled query is the loader key of its pages, counts
// and facets, and its filter hash goes into cursors: two queries that can
// select different rows must never share either, whatever their values
// print like.
func TestCompiledSignatureTellsValuesApart(t *testing.T) {
	t1 := time.Date(2025, 1, 31, 12, 0, 0, 0, time.UTC)
	pairs := []struct {
		name string
		a, b m
	}{
		{"one value with a space, two values", m{"genre": m{"in": []any{"Pop Rock"}}}, m{"genre": m{"in": []any{"Pop", "Rock"}}}},
		{"a comma inside a value", m{"genre": m{"in": []any{"Pop,Rock"}}}, m{"genre": m{"in": []any{"Pop", "Rock"}}}},
		{"brackets inside a value", m{"genre": m{"in": []any{"Pop] [Rock"}}}, m{"genre": m{"in": []any{"Pop", "Rock"}}}},
		{"notIn", m{"genre": m{"notIn": []any{"Pop Rock"}}}, m{"genre": m{"notIn": []any{"Pop", "Rock"}}}},
		{"separators inside a value", m{"genre": m{"eq": "Pop|true"}}, m{"genre": m{"eq": "Pop"}}},
		{"two fields, values swapped", m{"genre": m{"eq": "Pop"}, "role": m{"eq": "Singer"}}, m{"genre": m{"eq": "Singer"}, "role": m{"eq": "Pop"}}},
		{"empty string and a space", m{"genre": m{"eq": ""}}, m{"genre": m{"eq": " "}}},
		{"times", m{"createdAt": m{"gt": t1}}, m{"createdAt": m{"gt": t1.Add(time.Microsecond)}}},
		{"enum lists", m{"membershipRole": m{"in": []any{"OWNER"}}}, m{"membershipRole": m{"in": []any{"OWNER", "ADMIN"}}}},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			a, b := compileMembers(t, p.a, false), compileMembers(t, p.b, false)
			if a.Sig == b.Sig {
				t.Errorf("%s and %s share the signature %q", show(p.a), show(p.b), a.Sig)
			}
			if a.filterHash == b.filterHash {
				t.Errorf("%s and %s share the cursor filter hash %q", show(p.a), show(p.b), a.filterHash)
			}
		})
	}

	t.Run("subsidiaries", func(t *testing.T) {
		f := m{"genre": m{"eq": "Pop"}}
		a, b := compileMembers(t, f, false), compileMembers(t, f, true)
		if a.Sig == b.Sig || a.filterHash == b.filterHash {
			t.Errorf("with and without subsidiaries share a signature or filter hash: %q", a.Sig)
		}
	})

	// Equal queries must share their signature, or nothing would batch.
	t.Run("equal queries", func(t *testing.T) {
		f := m{"genre": m{"in": []any{"Pop", "Rock"}}, "createdAt": m{"gte": t1}, "isDeleted": false}
		a, b := compileMembers(t, f, true), compileMembers(t, f, true)
		if a.Sig != b.Sig || a.filterHash != b.filterHash {
			t.Errorf("the same query compiled twice has signatures %q and %q", a.Sig, b.Sig)
		}
	})
}
