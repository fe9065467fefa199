package filter

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// testFields has a field of every kind, with the seeds' aliases.
var testFields = NewFieldSet(
	Field{Name: "role", Kind: KindText},
	Field{Name: "genre", Kind: KindText},
	Field{Name: "name", Kind: KindText},
	Field{Name: "email", Kind: KindText},
	Field{Name: "location", Kind: KindText},
	Field{Name: "firstName", Kind: KindText, Aliases: []string{"firstname", "given_name"}},
	Field{Name: "status", Kind: KindEnum, Enum: []string{"ACTIVE", "DEACTIVATED"}},
	Field{Name: "createdAt", Kind: KindTime, Aliases: []string{"created", "created_at"}},
	Field{Name: "releaseDate", Kind: KindDate},
	Field{Name: "id", Kind: KindID, IDType: "User"},
	Field{Name: "isDeleted", Kind: KindBool, Aliases: []string{"is_deleted"}},
	Field{Name: "trackCount", Kind: KindInt},
	Field{Name: "phone", Kind: KindText, Signed: true},
)

// render prints a tree compactly, e.g. AND(eq(role,"Producer"), NOT(...)),
// with each condition's position when withPos is set.
func render(e *Expr, withPos bool) string {
	if e == nil {
		return "<nil>"
	}
	join := func(es []*Expr) string {
		s := make([]string, len(es))
		for i, c := range es {
			s[i] = render(c, withPos)
		}
		return strings.Join(s, ", ")
	}
	switch {
	case e.And != nil:
		return "AND(" + join(e.And) + ")"
	case e.Or != nil:
		return "OR(" + join(e.Or) + ")"
	case e.Not != nil:
		return "NOT(" + render(e.Not, withPos) + ")"
	case e.Cond != nil:
		var args []string
		if e.Cond.Field != "" {
			args = append(args, e.Cond.Field)
		}
		for _, v := range e.Cond.Values {
			if s, ok := v.(string); ok {
				args = append(args, fmt.Sprintf("%q", s))
			} else {
				args = append(args, fmt.Sprintf("%v", v))
			}
		}
		s := fmt.Sprintf("%s(%s)", e.Cond.Op, strings.Join(args, ","))
		if withPos {
			s += fmt.Sprintf("@%d", e.Cond.Pos)
		}
		return s
	}
	return "EMPTY"
}

var parseTests = []struct {
	query, want string
}{
	// The brief's example, with created aliasing createdAt.
	{`role:Producer genre:Pop,R&B -status:DEACTIVATED created:>=2025-01-01 email:*@company.fr "exact phrase"`,
		`AND(eq(role,"Producer"), in(genre,"Pop","R&B"), NOT(eq(status,"DEACTIVATED")), gte(createdAt,"2025-01-01"), like(email,"*@company.fr"), search("exact phrase"))`},

	// Blank queries filter nothing.
	{``, `<nil>`},
	{" \t\r\n ", `<nil>`},

	// Free text: each word or phrase is its own search condition.
	{`Producer`, `search("Producer")`},
	{`pop  singer`, `AND(search("pop"), search("singer"))`},
	{`"exact phrase"`, `search("exact phrase")`},
	{`"  padded phrase "`, `search("padded phrase")`},
	{`"say \"hi\" \\o/ \n"`, `search("say \"hi\" \\o/ \\n")`},
	{`New" York"`, `search("New York")`},
	{`"a:b" "(x)"`, `AND(search("a:b"), search("(x)"))`},
	{`a-b *`, `AND(search("a-b"), search("*"))`},
	{`or not and "OR"`, `AND(search("or"), search("not"), search("and"), search("OR"))`},
	{`Beyoncé`, `search("Beyoncé")`},

	// field:value, names and aliases in any case.
	{`role:Producer`, `eq(role,"Producer")`},
	{`ROLE:Producer`, `eq(role,"Producer")`},
	{`created_at:2025-01-01 Created:2025-01-02`, `AND(eq(createdAt,"2025-01-01"), eq(createdAt,"2025-01-02"))`},
	{`is_deleted:true`, `eq(isDeleted,"true")`},
	{`trackCount:12`, `eq(trackCount,"12")`},
	{`status:ACTIVE`, `eq(status,"ACTIVE")`},
	{`created:2025-01-01T10:00:00Z`, `eq(createdAt,"2025-01-01T10:00:00Z")`},
	{`role:a-b:c`, `eq(role,"a-b:c")`},
	{`name:"-x"`, `eq(name,"-x")`},
	{`name:"+x"`, `eq(name,"+x")`},

	// Wildcards, in or out of quotes.
	{`firstname:Jo*`, `like(firstName,"Jo*")`},
	{`email:*@company.fr`, `like(email,"*@company.fr")`},
	{`name:"Jo *"`, `like(name,"Jo *")`},
	{`id:*1f3a*`, `like(id,"*1f3a*")`},
	{`name:*`, `like(name,"*")`},

	// Quoted values keep spaces, commas, colons, dots and keywords.
	{`location:"New York"`, `eq(location,"New York")`},
	{`location:New" York"`, `eq(location,"New York")`},
	{`name:"a,b"`, `eq(name,"a,b")`},
	{`name:"a,b",c`, `in(name,"a,b","c")`},
	{`name:"a:b"`, `eq(name,"a:b")`},
	{`name:"a..b"`, `eq(name,"a..b")`},
	{`name:">=3"`, `eq(name,">=3")`},
	{`name:"null"`, `eq(name,"null")`},
	{`name:"OR"`, `eq(name,"OR")`},
	{`name:"(x)"`, `eq(name,"(x)")`},
	{`name:"say \"hi\""`, `eq(name,"say \"hi\"")`},

	// Lists.
	{`genre:Pop,R&B,Soul`, `in(genre,"Pop","R&B","Soul")`},
	{`status:ACTIVE,DEACTIVATED`, `in(status,"ACTIVE","DEACTIVATED")`},
	{`-genre:Pop,Rock`, `NOT(in(genre,"Pop","Rock"))`},

	// Seed 002's + (include, the default) and - (exclude) prefixes on text,
	// ID and enum values; a quoted or non-text value keeps its sign.
	{`genre:Pop,-Rock,+Jazz`, `AND(in(genre,"Pop","Jazz"), notIn(genre,"Rock"))`},
	{`genre:-Rock`, `notIn(genre,"Rock")`},
	{`genre:-Rock,-Metal`, `notIn(genre,"Rock","Metal")`},
	{`genre:+Pop`, `eq(genre,"Pop")`},
	{`genre:+Pop,+Soul`, `in(genre,"Pop","Soul")`},
	{`genre:-"Hip Hop",Pop`, `AND(in(genre,"Pop"), notIn(genre,"Hip Hop"))`},
	{`genre:"-Rock"`, `eq(genre,"-Rock")`},
	{`genre:-Ro*`, `NOT(like(genre,"Ro*"))`},
	{`name:-x`, `notIn(name,"x")`},
	{`id:-5ec2c050-7aa8-48b4-98d7-7c972dfabf6f`, `notIn(id,"5ec2c050-7aa8-48b4-98d7-7c972dfabf6f")`},
	{`status:-DEACTIVATED`, `notIn(status,"DEACTIVATED")`},
	{`-genre:-Rock`, `NOT(notIn(genre,"Rock"))`},
	{`trackCount:-1`, `eq(trackCount,"-1")`},
	{`phone:+33612345678`, `eq(phone,"+33612345678")`},
	{`phone:+33612345678,-1`, `in(phone,"+33612345678","-1")`},
	{`created:-2025-01-01`, `eq(createdAt,"-2025-01-01")`},

	// Comparisons and ranges.
	{`created:>2025-01-01`, `gt(createdAt,"2025-01-01")`},
	{`created:>=2025-01-01T10:00:00+01:00`, `gte(createdAt,"2025-01-01T10:00:00+01:00")`},
	{`created:<2025-01-01`, `lt(createdAt,"2025-01-01")`},
	{`created:<=2025-01-01`, `lte(createdAt,"2025-01-01")`},
	{`created:>="2025-01-01"`, `gte(createdAt,"2025-01-01")`},
	{`name:>"=x"`, `gt(name,"=x")`},
	{`trackCount:>10 releaseDate:<=2025-12-31 name:>m`, `AND(gt(trackCount,"10"), lte(releaseDate,"2025-12-31"), gt(name,"m"))`},
	{`created:2025-01-01..2025-02-01`, `AND(gte(createdAt,"2025-01-01"), lte(createdAt,"2025-02-01"))`},
	{`created:2025-01-01..`, `gte(createdAt,"2025-01-01")`},
	{`created:..2025-02-01`, `lte(createdAt,"2025-02-01")`},
	{`trackCount:1..5 genre:Pop`, `AND(gte(trackCount,"1"), lte(trackCount,"5"), eq(genre,"Pop"))`},
	{`-trackCount:1..5`, `NOT(AND(gte(trackCount,"1"), lte(trackCount,"5")))`},
	{`genre:Pop OR trackCount:1..5`, `OR(eq(genre,"Pop"), AND(gte(trackCount,"1"), lte(trackCount,"5")))`},

	// null.
	{`location:null`, `isNull(location,true)`},
	{`location:NULL`, `isNull(location,true)`},
	{`location:!null`, `isNull(location,false)`},
	{`-location:null`, `NOT(isNull(location,true))`},
	{`status:null isDeleted:null created:null`, `AND(isNull(status,true), isNull(isDeleted,true), isNull(createdAt,true))`},

	// Seed 003's field:operator:value1|value2.
	{`status:in:ACTIVE|DEACTIVATED`, `in(status,"ACTIVE","DEACTIVATED")`},
	{`createdAt:gte:2025-01-01T00:00:00Z`, `gte(createdAt,"2025-01-01T00:00:00Z")`},
	{`firstName:startswith:Jo`, `startsWith(firstName,"Jo")`},
	{`given_name:STARTS_WITH:Jo firstName:startsWith:J`, `AND(startsWith(firstName,"Jo"), startsWith(firstName,"J"))`},
	{`status:eq:ACTIVE`, `eq(status,"ACTIVE")`},
	{`status:eq:ACTIVE|DEACTIVATED`, `in(status,"ACTIVE","DEACTIVATED")`},
	{`status:ne:ACTIVE`, `ne(status,"ACTIVE")`},
	{`status:neq:ACTIVE|DEACTIVATED`, `notIn(status,"ACTIVE","DEACTIVATED")`},
	{`status:in:ACTIVE`, `in(status,"ACTIVE")`},
	{`status:nin:A status:notin:B|C status:NOT_IN:D`, `AND(notIn(status,"A"), notIn(status,"B","C"), notIn(status,"D"))`},
	{`name:contains:oh`, `contains(name,"oh")`},
	{`id:contains:1f3a`, `contains(id,"1f3a")`},
	{`email:like:*@x.fr`, `like(email,"*@x.fr")`},
	{`email:eq:a*`, `eq(email,"a*")`},
	{`trackCount:gt:3 trackCount:lt:9 trackCount:lte:8`, `AND(gt(trackCount,"3"), lt(trackCount,"9"), lte(trackCount,"8"))`},
	{`location:isnull:true location:null:FALSE`, `AND(isNull(location,true), isNull(location,false))`},
	{`created:between:2025-01-01|2025-02-01`, `AND(gte(createdAt,"2025-01-01"), lte(createdAt,"2025-02-01"))`},
	{`created:between:2025-01-01T00:00:00Z|2025-02-01T00:00:00Z`, `AND(gte(createdAt,"2025-01-01T00:00:00Z"), lte(createdAt,"2025-02-01T00:00:00Z"))`},
	{`name:in:"a|b"|c`, `in(name,"a|b","c")`},
	{`name:in:a,b`, `in(name,"a,b")`},
	{`name:eq:"x y":z`, `eq(name,"x y:z")`},
	{`name:"foo:bar"`, `eq(name,"foo:bar")`},
	{`name:foo1:bar`, `eq(name,"foo1:bar")`},
	{`name:"eq":x`, `eq(name,"eq:x")`},
	{`name:eq`, `eq(name,"eq")`},
	{`-status:in:A|B`, `NOT(in(status,"A","B"))`},

	// Negation.
	{`-status:DEACTIVATED`, `NOT(eq(status,"DEACTIVATED"))`},
	{`NOT status:DEACTIVATED`, `NOT(eq(status,"DEACTIVATED"))`},
	{`-"exact phrase"`, `NOT(search("exact phrase"))`},
	{`-(role:Singer genre:Pop)`, `NOT(AND(eq(role,"Singer"), eq(genre,"Pop")))`},
	{`NOT (a OR b)`, `NOT(OR(search("a"), search("b")))`},
	{`NOT(a)`, `NOT(search("a"))`},
	{`--a`, `NOT(NOT(search("a")))`},
	{`NOT -a`, `NOT(NOT(search("a")))`},
	{`a -b`, `AND(search("a"), NOT(search("b")))`},

	// OR, AND and parentheses: AND binds tighter, same-kind nests flatten.
	{`role:Singer OR role:Producer`, `OR(eq(role,"Singer"), eq(role,"Producer"))`},
	{`(role:Singer OR role:Producer) genre:Pop`, `AND(OR(eq(role,"Singer"), eq(role,"Producer")), eq(genre,"Pop"))`},
	{`a b OR c`, `OR(AND(search("a"), search("b")), search("c"))`},
	{`a OR b c`, `OR(search("a"), AND(search("b"), search("c")))`},
	{`a OR b OR c`, `OR(search("a"), search("b"), search("c"))`},
	{`a OR (b OR c)`, `OR(search("a"), search("b"), search("c"))`},
	{`(a OR b) OR c`, `OR(search("a"), search("b"), search("c"))`},
	{`(a b) c (d (e))`, `AND(search("a"), search("b"), search("c"), search("d"), search("e"))`},
	{`a (b OR c) d`, `AND(search("a"), OR(search("b"), search("c")), search("d"))`},
	{`a AND b`, `AND(search("a"), search("b"))`},
	{`a AND b OR c AND d`, `OR(AND(search("a"), search("b")), AND(search("c"), search("d")))`},
	{`a AND (b OR c)`, `AND(search("a"), OR(search("b"), search("c")))`},
	{`((a))`, `search("a")`},
	{`a(b)c`, `AND(search("a"), search("b"), search("c"))`},
	{`(role:Singer)(genre:Pop)`, `AND(eq(role,"Singer"), eq(genre,"Pop"))`},
	{`(a OR b) (c OR d)`, `AND(OR(search("a"), search("b")), OR(search("c"), search("d")))`},

	// MaxDepth allows exactly six nested AND/OR/NOT.
	{`------a`, `NOT(NOT(NOT(NOT(NOT(NOT(search("a")))))))`},
	{`-(a OR -(b OR -(c d)))`, `NOT(OR(search("a"), NOT(OR(search("b"), NOT(AND(search("c"), search("d")))))))`},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		e, err := Parse(tt.query, testFields)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.query, err)
			continue
		}
		if got := render(e, false); got != tt.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.query, got, tt.want)
		}
	}
}

func TestParsePositions(t *testing.T) {
	tests := []struct {
		query, want string
	}{
		{`role:Producer genre:Pop,R&B -status:DEACTIVATED created:>=2025-01-01 email:*@company.fr "exact phrase"`,
			`AND(eq(role,"Producer")@0, in(genre,"Pop","R&B")@14, NOT(eq(status,"DEACTIVATED")@29), gte(createdAt,"2025-01-01")@48, like(email,"*@company.fr")@69, search("exact phrase")@88)`},
		{`  (a OR  -b)`, `OR(search("a")@3, NOT(search("b")@10))`},
		{`x created:1..2`, `AND(search("x")@0, gte(createdAt,"1")@2, lte(createdAt,"2")@2)`},
		{`NOT  "é" name:between:a|b`, `AND(NOT(search("é")@5), gte(name,"a")@10, lte(name,"b")@10)`},
	}
	for _, tt := range tests {
		e, err := Parse(tt.query, testFields)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.query, err)
			continue
		}
		if got := render(e, true); got != tt.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.query, got, tt.want)
		}
	}
}

// Each value carries its own position, for errors about it; a sign is not
// part of the value.
func TestParseValuePositions(t *testing.T) {
	tests := []struct {
		query string
		want  [][]int // ValuePos of each condition, in tree order
	}{
		{`genre:Pop,-Rock,+Jazz`, [][]int{{6, 17}, {11}}},
		{`role:Producer`, [][]int{{5}}},
		{`x created:>=2025-01-01`, [][]int{nil, {12}}},
		{`created:2025-01-01..2025-02-01`, [][]int{{8}, {20}}},
		{`created:..2025-02-01`, [][]int{{10}}},
		{`status:in:A|"B"|C`, [][]int{{10, 12, 16}}},
		{`created:between:2025|2026`, [][]int{{16}, {21}}},
		{`location:null`, [][]int{{9}}},
		{`genre:-Ro*`, [][]int{{7}}},
	}
	for _, tt := range tests {
		e, err := Parse(tt.query, testFields)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.query, err)
			continue
		}
		var got [][]int
		var walk func(*Expr)
		walk = func(e *Expr) {
			switch {
			case e.Cond != nil:
				got = append(got, e.Cond.ValuePos)
			case e.Not != nil:
				walk(e.Not)
			}
			for _, c := range append(append([]*Expr{}, e.And...), e.Or...) {
				walk(c)
			}
		}
		walk(e)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Parse(%q): value positions %v, want %v", tt.query, got, tt.want)
		}
	}
	c := &Cond{Pos: 3, ValuePos: []int{7}}
	if c.PosOf(0) != 7 || c.PosOf(1) != 3 || (&Cond{Pos: -1}).PosOf(0) != -1 {
		t.Errorf("PosOf falls back to the term's position only when the value has none")
	}
}

// The exact tree, not just its rendering: string values, a Go bool for
// isNull, Pos on every condition.
func TestParseTree(t *testing.T) {
	e, err := Parse(`-location:null genre:Pop,Rock`, testFields)
	if err != nil {
		t.Fatal(err)
	}
	want := &Expr{And: []*Expr{
		{Not: &Expr{Cond: &Cond{Field: "location", Op: OpIsNull, Values: []any{true}, Pos: 1}}},
		{Cond: &Cond{Field: "genre", Op: OpIn, Values: []any{"Pop", "Rock"}, Pos: 15}},
	}}
	if render(e, true) != render(want, true) || e.And[0].Not.Cond.Values[0] != true {
		t.Errorf("got %s, want %s", render(e, true), render(want, true))
	}
}

var fieldList = "createdAt, email, firstName, genre, id, isDeleted, location, name, phone, releaseDate, role, status, trackCount"

var errorTests = []struct {
	query string
	pos   int
	msg   string
}{
	// Quotes and parentheses.
	{`"abc`, 0, `unterminated quoted string: expected a closing "`},
	{`role:"New York`, 5, `unterminated quoted string: expected a closing "`},
	{`a "b\"`, 2, `unterminated quoted string: expected a closing "`},
	{`(a`, 0, `unclosed (: expected a )`},
	{`(a (b c)`, 0, `unclosed (: expected a )`},
	{`x (`, 2, `unclosed (: expected a term and a )`},
	{`a)`, 1, `unexpected ) without a matching (`},
	{`)`, 0, `unexpected ) without a matching (`},
	{`(a))`, 3, `unexpected ) without a matching (`},
	{`()`, 0, `expected a term inside ()`},
	{`a ( )`, 2, `expected a term inside ()`},

	// Dangling OR, AND, NOT and -.
	{`a OR`, 2, `expected a term after OR`},
	{`a OR )`, 2, `expected a term after OR`},
	{`a OR OR b`, 2, `expected a term after OR`},
	{`(a OR) b`, 3, `expected a term after OR`},
	{`OR a`, 0, `expected a term before OR`},
	{`(OR a)`, 1, `expected a term before OR`},
	{`AND a`, 0, `expected a term before AND`},
	{`a AND`, 2, `expected a term after AND`},
	{`a AND OR b`, 2, `expected a term after AND`},
	{`a OR AND b`, 2, `expected a term after OR`},
	{`NOT`, 0, `expected a term after NOT`},
	{`a NOT`, 2, `expected a term after NOT`},
	{`NOT OR a`, 0, `expected a term after NOT`},
	{`-`, 0, `expected a term right after - (no space)`},
	{`a - b`, 2, `expected a term right after - (no space)`},
	{`a -`, 2, `expected a term right after - (no space)`},
	{`(a -)`, 3, `expected a term after -`},
	{`-OR a`, 0, `expected a term after -`},

	// Field names.
	{`foo:bar`, 0, `unknown field "foo"; filterable fields: ` + fieldList},
	{`a -foo:bar`, 3, `unknown field "foo"; filterable fields: ` + fieldList},
	{`http://example.com`, 0, `unknown field "http"; filterable fields: ` + fieldList},
	{`:x`, 0, `expected a field name before ":" (quote the whole term to search for it)`},

	// Operators: a word between two colons must be one.
	{`genre:zz:Pop`, 6, `unknown operator "zz"; operators are ` + opList + ` (quote a value that holds a colon: genre:"zz:Pop")`},
	{`a name:Foo_bar:x`, 7, `unknown operator "Foo_bar"; operators are ` + opList + ` (quote a value that holds a colon: name:"Foo_bar:x")`},
	{`status:ACTIVE:`, 7, `unknown operator "ACTIVE"; operators are ` + opList + ` (quote a value that holds a colon: status:"ACTIVE:")`},
	{`"a b":c`, 0, `expected a field name before ":" (quote the whole term to search for it)`},

	// Empty values.
	{`role:`, 5, `expected a value after role:`},
	{`role: Producer`, 5, `expected a value after role:`},
	{`Created:`, 8, `expected a value after Created:`},
	{`created:,x`, 8, `expected a value after created:`},
	{`role:""`, 5, `expected a value after role:`},
	{`genre:Pop,`, 10, `expected a value after ,`},
	{`genre:,Pop`, 6, `expected a value after genre:`},
	{`genre:a,,b`, 8, `expected a value after ,`},
	{`genre:-`, 7, `expected a value after -`},
	{`genre:Pop,+`, 11, `expected a value after +`},
	{`genre:Pop,-"",x`, 11, `expected a value after -`},
	{`created:>=`, 10, `expected a value after >=`},
	{`created:<`, 9, `expected a value after <`},
	{`created:..`, 8, `expected a value before or after ..`},
	{`status:in:`, 10, `expected a value after in:`},
	{`status:in:A|`, 12, `expected a value after |`},
	{`status:in:|A`, 10, `expected a value after in:`},
	{`""`, 0, `expected a search phrase inside the quotes`},
	{`a "  "`, 2, `expected a search phrase inside the quotes`},

	// Operations that do not apply to the field's kind.
	{`status:>ACTIVE`, 7, `> does not apply to enum field status`},
	{`isDeleted:<=true`, 10, `<= does not apply to boolean field isDeleted`},
	{`id:>=x`, 3, `>= does not apply to ID field id`},
	{`status:A..B`, 7, `a range (..) does not apply to enum field status`},
	{`trackCount:1*`, 11, `a * wildcard does not apply to integer field trackCount`},
	{`created:2025*`, 8, `a * wildcard does not apply to date-time field createdAt`},
	{`status:ACT*`, 7, `a * wildcard does not apply to enum field status`},
	{`releaseDate:contains:2025`, 12, `contains does not apply to date field releaseDate`},
	{`status:startsWith:A`, 7, `startsWith does not apply to enum field status`},
	{`isDeleted:LIKE:t*`, 10, `LIKE does not apply to boolean field isDeleted`},
	{`trackCount:starts_with:1`, 11, `starts_with does not apply to integer field trackCount`},
	{`status:between:A|B`, 7, `between does not apply to enum field status`},
	{`id:gt:x`, 3, `gt does not apply to ID field id`},
	{`isDeleted:gte:`, 10, `gte does not apply to boolean field isDeleted`},

	// Seed 003 operators with the wrong number or kind of values.
	{`name:contains:a|b`, 16, `expected one value for contains`},
	{`created:gt:a|b`, 13, `expected one value for gt`},
	{`location:isnull:true|false`, 21, `expected one value for isnull`},
	{`created:between:2025`, 16, `expected two values for between: low|high`},
	{`created:between:a|b|c`, 16, `expected two values for between: low|high`},
	{`location:isnull:maybe`, 16, `expected true or false for isnull`},
	{`location:null:"yes"`, 14, `expected true or false for null`},

	// A wildcard in a list has no operation to become.
	{`email:a*,b`, 6, `a * wildcard cannot be used in a list of values; join terms with OR instead`},
	{`email:a,"*b"`, 8, `a * wildcard cannot be used in a list of values; join terms with OR instead`},
	{`email:a,-*b`, 9, `a * wildcard cannot be used in a list of values; join terms with OR instead`},

	// Input that PostgreSQL would refuse.
	{"a \xff", 2, `invalid UTF-8`},
	{"a\x00", 1, `NUL character`},

	// Nesting: the AND, OR or NOT that goes past MaxDepth.
	{`-------a`, 0, `filter is nested more than 6 levels deep`},
	{`--------a`, 1, `filter is nested more than 6 levels deep`},
	{`x -(a OR -(b OR -(c d)))`, 0, `filter is nested more than 6 levels deep`},
	{`-(a OR -(b OR -(c -d)))`, 0, `filter is nested more than 6 levels deep`},
	{`-(a OR -(b OR -(c OR d:x)))`, 21, `unknown field "d"; filterable fields: ` + fieldList},
	{`x (y OR -(a OR -(b OR -(c d))))`, 5, `filter is nested more than 6 levels deep`},
}

// limitErrorTests are built from the limits, so that they follow them.
func limitErrorTests() []struct {
	query string
	pos   int
	msg   string
} {
	long := strings.Repeat("x", MaxPatternLen+1)
	return []struct {
		query string
		pos   int
		msg   string
	}{
		{strings.Repeat(" ", MaxQueryLength+1), MaxQueryLength, fmt.Sprintf("query is longer than %d bytes", MaxQueryLength)},
		{strings.Repeat("a ", MaxConditions+1), 2 * MaxConditions, fmt.Sprintf("more than %d conditions", MaxConditions)},
		{strings.Repeat("a ", MaxConditions-1) + "created:1..2", 2 * (MaxConditions - 1), fmt.Sprintf("more than %d conditions", MaxConditions)},
		{strings.Repeat("a ", MaxConditions-1) + "created:between:1|2", 2 * (MaxConditions - 1), fmt.Sprintf("more than %d conditions", MaxConditions)},
		{"genre:" + strings.Repeat("v,", MaxValues) + "v", 6 + 2*MaxValues, fmt.Sprintf("more than %d values in one list", MaxValues)},
		{"genre:in:" + strings.Repeat("v|", MaxValues) + "v", 9 + 2*MaxValues, fmt.Sprintf("more than %d values in one list", MaxValues)},
		{long, 0, fmt.Sprintf("value is longer than %d characters", MaxPatternLen)},
		{`a "` + long + `"`, 2, fmt.Sprintf("value is longer than %d characters", MaxPatternLen)},
		{"name:" + long, 5, fmt.Sprintf("value is longer than %d characters", MaxPatternLen)},
		{`name:"` + long + `"`, 5, fmt.Sprintf("value is longer than %d characters", MaxPatternLen)},
		{"name:*" + long, 5, fmt.Sprintf("value is longer than %d characters", MaxPatternLen)},
		{"name:>" + long, 6, fmt.Sprintf("value is longer than %d characters", MaxPatternLen)},
		{"name:a.." + long, 8, fmt.Sprintf("value is longer than %d characters", MaxPatternLen)},
		{"genre:a," + long, 8, fmt.Sprintf("value is longer than %d characters", MaxPatternLen)},
		{"name:in:a|" + long, 10, fmt.Sprintf("value is longer than %d characters", MaxPatternLen)},
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range append(errorTests, limitErrorTests()...) {
		e, err := Parse(tt.query, testFields)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%.40q) = %s, %v; want a *SyntaxError", tt.query, render(e, false), err)
			continue
		}
		if se.Pos != tt.pos || se.Msg != tt.msg {
			t.Errorf("Parse(%.40q): error at %d %q\nwant at %d %q", tt.query, se.Pos, se.Msg, tt.pos, tt.msg)
		}
		if e != nil {
			t.Errorf("Parse(%.40q) returned a tree with its error", tt.query)
		}
	}
}

// The limits themselves are allowed.
func TestParseAtLimits(t *testing.T) {
	longest := strings.Repeat("x", MaxPatternLen)
	for _, q := range []string{
		strings.Repeat(" ", MaxQueryLength),
		strings.Repeat("a ", MaxConditions),
		"genre:" + strings.Repeat("v,", MaxValues-1) + "v",
		"genre:in:" + strings.Repeat("v|", MaxValues-1) + "v",
		longest,
		"name:" + longest,
		"name:" + strings.Repeat("é", MaxPatternLen), // characters, not bytes
	} {
		if _, err := Parse(q, testFields); err != nil {
			t.Errorf("Parse(%.40q): %v", q, err)
		}
	}
}

func TestParseWithoutFields(t *testing.T) {
	e, err := Parse(`hello "big world"`, nil)
	if got, want := render(e, false), `AND(search("hello"), search("big world"))`; err != nil || got != want {
		t.Errorf("Parse with nil fields = %s, %v; want %s", got, err, want)
	}
	for _, fs := range []*FieldSet{nil, NewFieldSet()} {
		_, err = Parse(`role:x`, fs)
		if want := `at position 0: unknown field "role"; this list has no filterable fields`; err == nil || err.Error() != want {
			t.Errorf("Parse(role:x) error = %v; want %s", err, want)
		}
	}
}

func TestFieldSet(t *testing.T) {
	for name, want := range map[string]string{
		"createdAt": "createdAt", "CREATEDAT": "createdAt", "created": "createdAt", "Created_At": "createdAt",
		"firstname": "firstName", "given_name": "firstName", "id": "id",
	} {
		if f, ok := testFields.Lookup(name); !ok || f.Name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", name, f.Name, ok, want)
		}
	}
	for _, name := range []string{"", "foo", "created at", "createdAt "} {
		if f, ok := testFields.Lookup(name); ok {
			t.Errorf("Lookup(%q) = %q; want no field", name, f.Name)
		}
	}
	names := testFields.Names()
	if got := strings.Join(names, ", "); got != fieldList {
		t.Errorf("Names() = %s; want %s", got, fieldList)
	}
	names[0] = "changed"
	if testFields.Names()[0] != "createdAt" {
		t.Error("Names() shares its slice with the FieldSet")
	}
	var nilSet *FieldSet
	if _, ok := nilSet.Lookup("x"); ok || nilSet.Names() != nil {
		t.Error("a nil FieldSet has fields")
	}
}

func TestNewFieldSetPanics(t *testing.T) {
	for name, fields := range map[string][]Field{
		"same name":       {{Name: "role"}, {Name: "Role"}},
		"alias is a name": {{Name: "role"}, {Name: "kind", Aliases: []string{"ROLE"}}},
		"shared alias":    {{Name: "a", Aliases: []string{"x"}}, {Name: "b", Aliases: []string{"x"}}},
		"empty name":      {{Name: ""}},
		"empty alias":     {{Name: "a", Aliases: []string{""}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewFieldSet (%s) did not panic", name)
				}
			}()
			NewFieldSet(fields...)
		}()
	}
	// A field may repeat its own name as an alias in another case.
	s := NewFieldSet(Field{Name: "firstName", Aliases: []string{"firstname", "FIRSTNAME"}})
	if f, ok := s.Lookup("FirstName"); !ok || f.Name != "firstName" {
		t.Errorf("Lookup(FirstName) = %q, %v", f.Name, ok)
	}
}

// formatQuery writes a tree back in the query syntax, with every value
// quoted and seed 003 operators, so that the fuzzer can check that parsing
// it again gives the same tree.
func formatQuery(e *Expr) string {
	quote := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	join := func(es []*Expr, sep string) string {
		s := make([]string, len(es))
		for i, c := range es {
			s[i] = formatQuery(c)
		}
		return "(" + strings.Join(s, sep) + ")"
	}
	switch {
	case e.And != nil:
		return join(e.And, " ")
	case e.Or != nil:
		return join(e.Or, " OR ")
	case e.Not != nil:
		return "-(" + formatQuery(e.Not) + ")"
	}
	c := e.Cond
	if c.Op == OpSearch {
		return quote(c.Values[0].(string))
	}
	if c.Op == OpIsNull {
		return fmt.Sprintf("%s:isnull:%v", c.Field, c.Values[0])
	}
	vals := make([]string, len(c.Values))
	for i, v := range c.Values {
		vals[i] = quote(v.(string))
	}
	return c.Field + ":" + strings.ToLower(string(c.Op)) + ":" + strings.Join(vals, "|")
}

// checkTree checks what the compiler relies on in a parsed tree.
func checkTree(t *testing.T, q string, e *Expr) {
	t.Helper()
	if d := treeDepth(e); d > MaxDepth {
		t.Errorf("Parse(%q): depth %d", q, d)
	}
	conds := 0
	var walk func(e *Expr, parent *Expr)
	walk = func(e *Expr, parent *Expr) {
		set := 0
		for _, b := range []bool{e.And != nil, e.Or != nil, e.Not != nil, e.Cond != nil} {
			if b {
				set++
			}
		}
		if set != 1 {
			t.Errorf("Parse(%q): node with %d parts set", q, set)
			return
		}
		switch {
		case e.And != nil, e.Or != nil:
			kids := e.And
			if e.Or != nil {
				kids = e.Or
			}
			if len(kids) < 2 {
				t.Errorf("Parse(%q): AND/OR of %d", q, len(kids))
			}
			if parent != nil && (e.And != nil && parent.And != nil || e.Or != nil && parent.Or != nil) {
				t.Errorf("Parse(%q): unflattened nest", q)
			}
			for _, k := range kids {
				walk(k, e)
			}
		case e.Not != nil:
			walk(e.Not, e)
		default:
			conds++
			c := e.Cond
			if c.Pos < 0 || c.Pos >= len(q) {
				t.Errorf("Parse(%q): condition at %d", q, c.Pos)
			}
			if (c.Field == "") != (c.Op == OpSearch) {
				t.Errorf("Parse(%q): field %q with %s", q, c.Field, c.Op)
			}
			if f, ok := testFields.Lookup(c.Field); c.Field != "" && (!ok || f.Name != c.Field) {
				t.Errorf("Parse(%q): field %q is not canonical", q, c.Field)
			}
			if len(c.Values) == 0 || len(c.Values) > MaxValues {
				t.Errorf("Parse(%q): %d values", q, len(c.Values))
			}
			for _, v := range c.Values {
				switch v := v.(type) {
				case bool:
					if c.Op != OpIsNull || len(c.Values) != 1 {
						t.Errorf("Parse(%q): bool value for %s", q, c.Op)
					}
				case string:
					if c.Op == OpIsNull || v == "" || utf8.RuneCountInString(v) > MaxPatternLen {
						t.Errorf("Parse(%q): value %q for %s", q, v, c.Op)
					}
				default:
					t.Errorf("Parse(%q): value of type %T", q, v)
				}
			}
		}
	}
	walk(e, nil)
	if conds > MaxConditions {
		t.Errorf("Parse(%q): %d conditions", q, conds)
	}
}

// FuzzParse checks that Parse never panics, that every error is a
// *SyntaxError inside the query, that every tree keeps the limits, and
// that a tree written back in the syntax parses to itself. Without -fuzz
// it runs the seed corpus: every query of the tests above.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.query)
	}
	for _, tt := range errorTests {
		f.Add(tt.query)
	}
	f.Add(`x:"a\"b\\" "\\" (a OR "b c") -"(" name:in:"|"|"," created:"..".."x"`)
	f.Fuzz(func(t *testing.T, q string) {
		e, err := Parse(q, testFields)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T %v is not a *SyntaxError", q, err, err)
			}
			if se.Pos < 0 || se.Pos > len(q) {
				t.Fatalf("Parse(%q): error position %d outside 0..%d", q, se.Pos, len(q))
			}
			if e != nil {
				t.Fatalf("Parse(%q): tree with error", q)
			}
			return
		}
		if e == nil {
			if strings.Trim(q, " \t\r\n\f\v") != "" {
				t.Fatalf("Parse(%q) = nil", q)
			}
			return
		}
		checkTree(t, q, e)
		q2 := formatQuery(e)
		if len(q2) > MaxQueryLength {
			return
		}
		e2, err := Parse(q2, testFields)
		if err != nil {
			t.Fatalf("Parse(%q) = %s, written back as %q: %v", q, render(e, false), q2, err)
		}
		if got, want := render(e2, false), render(e, false); got != want {
			t.Fatalf("Parse(%q) = %s, written back as %q: %s", q, want, q2, got)
		}
	})
}
