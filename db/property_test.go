package db

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"catalogue/internal/filter"
)

// A property test of filters, orderings and keyset paging together:
// random filter trees and orderings over a tenant's members, paged forward
// and backward through cursors with random page sizes, must give exactly
// the rows, in exactly the order, of a plain SQL oracle written
// independently of the filter compiler.

// oracleField is a filterable member field as the oracle writes it.
type oracleField struct {
	name string // filter field
	col  string // SQL column
	kind filter.Kind
	vals []string // sample values from the data
}

func sampleValues(t *testing.T, col string) []string {
	t.Helper()
	var vals []string
	q := fmt.Sprintf(`SELECT DISTINCT %s::text FROM memberships m JOIN users u ON u.id = m.user_id WHERE %s IS NOT NULL ORDER BY 1 LIMIT 200`, col, col)
	if err := testStore.x.Select(&vals, q); err != nil {
		t.Fatal(err)
	}
	if len(vals) == 0 {
		t.Fatalf("no values of %s in the demo data", col)
	}
	return vals
}

type generator struct {
	r      *rand.Rand
	fields []oracleField
}

func (g *generator) pick(vals []string) string { return vals[g.r.IntN(len(vals))] }

func lit(s string) string { return pq.QuoteLiteral(s) }

// cond makes a random leaf: the filter condition and the oracle's SQL.
func (g *generator) cond() (*filter.Expr, string) {
	f := g.fields[g.r.IntN(len(g.fields))]
	c := &filter.Cond{Field: f.name, Pos: -1}
	var sql string
	switch f.kind {
	case filter.KindText:
		v := g.pick(f.vals)
		switch g.r.IntN(8) {
		case 0:
			c.Op, c.Values, sql = filter.OpEq, []any{v}, f.col+" = "+lit(v)
		case 1:
			c.Op, c.Values, sql = filter.OpNe, []any{v}, "("+f.col+" IS NULL OR "+f.col+" <> "+lit(v)+")"
		case 2, 3:
			v2 := g.pick(f.vals)
			list := lit(v) + ", " + lit(v2)
			if g.r.IntN(2) == 0 {
				c.Op, c.Values, sql = filter.OpIn, []any{v, v2}, f.col+" IN ("+list+")"
			} else {
				c.Op, c.Values, sql = filter.OpNotIn, []any{v, v2}, "("+f.col+" IS NULL OR "+f.col+" NOT IN ("+list+"))"
			}
		case 4:
			frag := fragment(g.r, v)
			c.Op, c.Values, sql = filter.OpContains, []any{frag}, "position(lower("+lit(frag)+") in lower("+f.col+")) > 0"
		case 5:
			frag := []rune(v)[:1+g.r.IntN(min(3, len([]rune(v))))]
			c.Op, c.Values, sql = filter.OpStartsWith, []any{string(frag)}, "lower(left("+f.col+", "+fmt.Sprint(len(frag))+")) = lower("+lit(string(frag))+")"
		case 6:
			frag := fragment(g.r, v)
			c.Op, c.Values, sql = filter.OpLike, []any{"*" + frag + "*"}, "position(lower("+lit(frag)+") in lower("+f.col+")) > 0"
		default:
			isNull := g.r.IntN(2) == 0
			c.Op, c.Values = filter.OpIsNull, []any{isNull}
			if isNull {
				sql = f.col + " IS NULL"
			} else {
				sql = f.col + " IS NOT NULL"
			}
		}
	case filter.KindTime:
		v := g.pick(f.vals)
		ops := []filter.Op{filter.OpGt, filter.OpGte, filter.OpLt, filter.OpLte}
		sqlOps := []string{">", ">=", "<", "<="}
		i := g.r.IntN(len(ops) + 1)
		if i == len(ops) {
			c.Op, c.Values, sql = filter.OpIsNull, []any{true}, f.col+" IS NULL"
		} else {
			ts, err := time.Parse("2006-01-02 15:04:05-07", v)
			if err != nil {
				ts, _ = time.Parse("2006-01-02 15:04:05.999999-07", v)
			}
			c.Op, c.Values, sql = ops[i], []any{ts}, f.col+" "+sqlOps[i]+" "+lit(v)+"::timestamptz"
		}
	case filter.KindEnum:
		v := g.pick(f.vals)
		switch g.r.IntN(3) {
		case 0:
			c.Op, c.Values, sql = filter.OpEq, []any{v}, f.col+" = "+lit(v)
		case 1:
			c.Op, c.Values, sql = filter.OpNe, []any{v}, f.col+" <> "+lit(v)
		default:
			v2 := g.pick(f.vals)
			c.Op, c.Values, sql = filter.OpIn, []any{v, v2}, f.col+" IN ("+lit(v)+", "+lit(v2)+")"
		}
	case filter.KindBool:
		b := g.r.IntN(2) == 0
		c.Op, c.Values, sql = filter.OpEq, []any{b}, f.col+" = "+fmt.Sprint(b)
	}
	return &filter.Expr{Cond: c}, sql
}

// fragment is a piece of v of one to three characters.
func fragment(r *rand.Rand, v string) string {
	rs := []rune(v)
	n := 1 + r.IntN(min(3, len(rs)))
	start := r.IntN(len(rs) - n + 1)
	return string(rs[start : start+n])
}

// expr makes a random tree of depth at most d.
func (g *generator) expr(d int) (*filter.Expr, string) {
	if d == 0 || g.r.IntN(3) == 0 {
		return g.cond()
	}
	switch g.r.IntN(3) {
	case 0:
		e, s := g.expr(d - 1)
		return &filter.Expr{Not: e}, "NOT coalesce((" + s + "), false)"
	default:
		n := 2 + g.r.IntN(2)
		var parts []*filter.Expr
		var sqls []string
		for range n {
			e, s := g.expr(d - 1)
			parts = append(parts, e)
			sqls = append(sqls, "coalesce(("+s+"), false)")
		}
		if g.r.IntN(2) == 0 {
			return &filter.Expr{And: parts}, "(" + strings.Join(sqls, " AND ") + ")"
		}
		return &filter.Expr{Or: parts}, "(" + strings.Join(sqls, " OR ") + ")"
	}
}

// sortable members fields: orderBy name, SQL column, nullable. Names sort
// by the linguistic collation of migration 0012.
var memberSorts = []struct {
	name, col string
	nullable  bool
}{
	{"JOINED_AT", "m.created_at", false}, {"CREATED_AT", "u.created_at", false}, {"EMAIL", "u.email", false},
	{"FIRST_NAME", "u.first_name COLLATE catalogue_name", true}, {"LAST_NAME", "u.last_name COLLATE catalogue_name", true},
	{"NICKNAME", "u.nickname COLLATE catalogue_name", true},
	{"ROLE", "u.role", true}, {"GENRE", "u.genre", true}, {"LAST_LOGIN_AT", "u.last_login_at", true},
	{"LAST_SEEN_AT", "m.last_seen_at", true}, {"MEMBERSHIP_ROLE", "m.role", false}, {"MEMBERSHIP_STATUS", "m.status", false},
}

func TestRandomFiltersAndOrdersMatchSQLOracle(t *testing.T) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	g := &generator{r: r, fields: []oracleField{
		{"firstName", "u.first_name", filter.KindText, sampleValues(t, "u.first_name")},
		{"lastName", "u.last_name", filter.KindText, sampleValues(t, "u.last_name")},
		{"genre", "u.genre", filter.KindText, sampleValues(t, "u.genre")},
		{"role", "u.role", filter.KindText, sampleValues(t, "u.role")},
		{"location", "u.location", filter.KindText, sampleValues(t, "u.location")},
		{"email", "u.email", filter.KindText, sampleValues(t, "u.email")},
		{"createdAt", "u.created_at", filter.KindTime, sampleValues(t, "u.created_at")},
		{"lastLoginAt", "u.last_login_at", filter.KindTime, sampleValues(t, "u.last_login_at")},
		{"joinedAt", "m.created_at", filter.KindTime, sampleValues(t, "m.created_at")},
		{"membershipRole", "m.role", filter.KindEnum, []string{"OWNER", "ADMIN", "USER"}},
		{"membershipStatus", "m.status", filter.KindEnum, []string{"ACTIVE", "DEACTIVATED"}},
		{"isDeleted", "u.is_deleted", filter.KindBool, nil},
	}}
	trees := tenantTrees(t)
	var tenants []string
	for id := range trees {
		tenants = append(tenants, id)
	}
	slices.Sort(tenants)
	ss := testStore.Session(AllTenants(), FromPrimary)
	defer ss.End(ctx)

	for i := range 40 {
		tenant := tenants[r.IntN(len(tenants))]
		subs := r.IntN(2) == 0
		tree := []string{tenant}
		if subs {
			tree = trees[tenant]
		}
		e, where := g.expr(3)
		var terms []OrderTerm
		var orderSQL []string
		for _, k := range r.Perm(len(memberSorts))[:1+r.IntN(3)] {
			s := memberSorts[k]
			desc := r.IntN(2) == 0
			terms = append(terms, OrderTerm{Field: s.name, Desc: desc})
			dir := " ASC"
			if desc {
				dir = " DESC"
			}
			orderSQL = append(orderSQL, s.col+dir+" NULLS LAST")
		}
		idDir := " ASC"
		if terms[len(terms)-1].Desc {
			idDir = " DESC"
		}
		orderSQL = append(orderSQL, "m.id"+idDir)

		var want []string
		// Terminated users are left out unless the filter asks about them.
		if !mentions(e, "isDeleted") {
			where = "(" + where + ") AND NOT u.is_deleted"
		}
		// A user once: by the membership in the tenant itself, else by the
		// earliest joined in its subsidiaries.
		oracle := `SELECT m.id::text FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.tenant_id = ANY($1::uuid[]) AND m.id = (SELECT r.id FROM memberships r
				WHERE r.user_id = m.user_id AND r.tenant_id = ANY($1::uuid[]) ORDER BY r.tenant_id = $2 DESC, r.created_at, r.id LIMIT 1)
			AND coalesce((` + where + `), false) ORDER BY ` + strings.Join(orderSQL, ", ")
		if err := testStore.x.Select(&want, oracle, pq.Array(tree), tenant); err != nil {
			t.Fatalf("case %d oracle: %v\n%s", i, err, oracle)
		}
		c, err := MembersByTenant.Compile(Query{Filter: e, OrderBy: terms, Subsidiaries: subs})
		if err != nil {
			t.Fatalf("case %d compile: %v", i, err)
		}
		size := max(1+r.IntN(25), (len(want)+29)/30)
		fwd, bwd := walk(t, ctx, ss, c, tenant, size, false), walk(t, ctx, ss, c, tenant, size, true)
		if !slices.Equal(fwd, want) {
			t.Errorf("case %d forward (page %d): got %d rows, want %d\nwhere %s\norder %s", i, size, len(fwd), len(want), where, strings.Join(orderSQL, ", "))
		}
		if !slices.Equal(bwd, want) {
			t.Errorf("case %d backward (page %d): got %d rows, want %d\nwhere %s\norder %s", i, size, len(bwd), len(want), where, strings.Join(orderSQL, ", "))
		}
		counts, err := CountByParent(ctx, ss, c, AllTenants(), []string{tenant})
		if err != nil {
			t.Fatal(err)
		}
		if counts[tenant] != len(want) {
			t.Errorf("case %d count: got %d, want %d", i, counts[tenant], len(want))
		}
	}
}

// walk pages through a whole list with cursors, forward or backward, and
// returns the membership IDs in list order.
func walk(t *testing.T, ctx context.Context, ss *Session, c *Compiled, parent string, size int, backward bool) []string {
	t.Helper()
	var ids []string
	pa := PageArgs{Limit: size, Backward: backward}
	for range 10_000 {
		pages, err := ListPages(ctx, ss, MembersByTenant, c, AllTenants(), AllColumns, []string{parent}, pa)
		if err != nil {
			t.Fatalf("page: %v", err)
		}
		p := pages[parent]
		got := make([]string, len(p.Rows))
		for i, row := range p.Rows {
			got[i] = row.Membership.ID
		}
		if backward {
			ids = append(got, ids...)
			if !p.HasPreviousPage {
				return ids
			}
			pa.Before = p.Cursor(0)
		} else {
			ids = append(ids, got...)
			if !p.HasNextPage {
				return ids
			}
			pa.After = p.Cursor(len(p.Rows) - 1)
		}
		if len(p.Rows) == 0 {
			t.Fatal("an empty page claims more pages")
		}
	}
	t.Fatal("paging did not end")
	return nil
}
