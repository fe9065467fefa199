package db

import (
	"context"
	"testing"
	"time"

	"catalogue/internal/filter"
)

// Benchmarks of the hot paths below the GraphQL layer. Run with
//
//	go test -run '^$' -bench . -benchmem ./db/

func BenchmarkCursorEncodeDecode(b *testing.B) {
	c := MembersByTenant.MustCompile()
	raw := `["2023-01-01T10:51:12.123456+00:00", "21b88562-81bf-3cf1-3638-65270bd2e828"]`
	b.ReportAllocs()
	for b.Loop() {
		cur := c.cursorOf(raw)
		if _, err := decodeCursor("after", cur, c); err != nil {
			b.Fatal(err)
		}
	}
}

func benchFilter() *filter.Expr {
	c := func(field string, op filter.Op, vals ...any) *filter.Expr {
		return &filter.Expr{Cond: &filter.Cond{Field: field, Op: op, Values: vals, Pos: -1}}
	}
	return &filter.Expr{And: []*filter.Expr{
		c("membershipRole", filter.OpIn, "ADMIN", "USER"),
		c("email", filter.OpContains, "777"),
		c("createdAt", filter.OpGte, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)),
		{Or: []*filter.Expr{c("genre", filter.OpIn, "Pop", "R&B"), c("role", filter.OpEq, "Producer")}},
		{Not: c("membershipStatus", filter.OpEq, "DEACTIVATED")},
	}}
}

func BenchmarkCompileFilter(b *testing.B) {
	e := benchFilter()
	q := Query{Filter: e, OrderBy: []OrderTerm{{Field: "LAST_NAME"}, {Field: "CREATED_AT", Desc: true}}, Subsidiaries: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MembersByTenant.Compile(q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseQuery(b *testing.B) {
	q := `role:Producer genre:Pop,R&B -status:DEACTIVATED created:>=2025-01-01 email:*@company.fr "exact phrase"`
	set := memberFields.Set()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := filter.Parse(q, set); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListPagesBatch is the loaders' batch function for nested pages:
// one LATERAL statement reading 10 releases for each of 20 artists.
func BenchmarkListPagesBatch(b *testing.B) {
	ctx := context.Background()
	var artists []string
	if err := testStore.x.Select(&artists, `SELECT id::text FROM artists ORDER BY id LIMIT 20`); err != nil {
		b.Fatal(err)
	}
	c := ReleasesByArtist.MustCompile()
	ss := testStore.Session(AllTenants(), FromPrimary)
	defer ss.End(ctx)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ListPages(ctx, ss, ReleasesByArtist, c, AllTenants(), AllColumns, artists, PageArgs{Limit: 10}); err != nil {
			b.Fatal(err)
		}
	}
}
