package db

import "testing"

// TestStatementText: a traced statement shows its placeholders as
// PostgreSQL numbers them and none of the page sizes written into it.
func TestStatementText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT * FROM t WHERE a = ? AND b = ANY(?)", "SELECT * FROM t WHERE a = $1 AND b = ANY($2)"},
		{"SELECT x FROM (SELECT 1 OFFSET 0) p\n\t ORDER BY x LIMIT 21 OFFSET 40", "SELECT x FROM (SELECT 1 OFFSET 0) p ORDER BY x LIMIT ? OFFSET ?"},
		{"SELECT id FROM auth_user($1)", "SELECT id FROM auth_user($1)"},
	} {
		if got := statementText(c.in); got != c.want {
			t.Errorf("statementText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for stmt, op := range map[string]string{"SELECT 1": "SELECT", "with x as (select 1) select 1": "WITH", "BEGIN": "BEGIN", "": "SQL"} {
		if got := operationOf(stmt); got != op {
			t.Errorf("operationOf(%q) = %q, want %q", stmt, got, op)
		}
	}
}
