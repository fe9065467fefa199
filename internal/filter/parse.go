package filter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The query syntax, in EBNF:
//
//	query  = [ or ] ;
//	or     = and { "OR" and } ;
//	and    = unary { [ "AND" ] unary } ;
//	unary  = ( "-" | "NOT" ) unary | "(" or ")" | term ;  (* "-" touches its operand *)
//	term   = text                                         (* free-text search *)
//	       | field ":" value
//	       | field ":" opname ":" text { "|" text } ;     (* seed 003 *)
//	value  = "null" | "!null"
//	       | ( ">=" | ">" | "<=" | "<" ) text
//	       | [ text ] ".." [ text ]                       (* gte and/or lte *)
//	       | item { "," item } ;                          (* eq, like, in, notIn *)
//	item   = [ "+" | "-" ] text ;                         (* seed 002: include, exclude *)
//	opname = "eq" | "ne" | "neq" | "in" | "nin" | "notin" | "not_in" | "contains"
//	       | "startswith" | "starts_with" | "like" | "gt" | "gte" | "lt" | "lte"
//	       | "isnull" | "null" | "between" ;             (* any case *)
//
// Seed 002's prefixes (ids=+a,-b,c) apply to text, ID and enum fields: an
// item with + (or none) is included, one with - excluded. The included
// items are one eq (a single value) or in; the excluded ones one notIn,
// which keeps rows where the field is empty, as the seed's exclusion does;
// both must hold. A lone -x*, a wildcard, excludes the pattern. Elsewhere
// (numbers, dates, fields marked Signed such as phone numbers) a sign is
// part of the value, as is a quoted one.
//
// Between the field and a second colon, a word of letters and underscores
// is an operator (seed 003): one not in opname is an error at the word,
// never part of the value (genre:zz:Pop); a value with such a colon of its
// own is quoted (genre:"zz:Pop"). Values with digits before their colons,
// such as date-times, need no quotes.
//
// Text is any run of characters other than white space and parentheses, in
// which "double-quoted" parts (with \" and \\ escapes) may hold anything.
// OR, AND and NOT are keywords only in upper case and unquoted. The
// separators : , | .. > < and the values null and !null mean something only
// outside quotes. A single value holding a * (quoted or not) is a like
// pattern; in a list it is an error, and seed 003's operators take it
// literally except like. Each bare word or phrase is its own search
// condition (ANDed: what one condition with the words joined would mean,
// with exact positions), and nested ANDs and ORs are flattened, since
// grouping them changes nothing but the depth.

// Parse reads a query string into an Expr, resolving field names through
// fields. A blank query gives nil: no filter. Every error is a *SyntaxError
// whose Pos is the byte offset of the offending token, so a client can
// point at it. Values stay the strings that were written (except isNull's
// true or false); the compiler reads them by the field's Kind.
func Parse(query string, fields *FieldSet) (*Expr, error) {
	if len(query) > MaxQueryLength {
		return nil, errAt(MaxQueryLength, "query is longer than %d bytes", MaxQueryLength)
	}
	// PostgreSQL refuses invalid UTF-8 and NUL in text; catching them here
	// makes them a user error instead of a failed statement.
	for i := 0; i < len(query); {
		r, n := utf8.DecodeRuneInString(query[i:])
		if r == utf8.RuneError && n == 1 {
			return nil, errAt(i, "invalid UTF-8")
		}
		if r == 0 {
			return nil, errAt(i, "NUL character")
		}
		i += n
	}
	toks, err := lexQuery(query)
	if err != nil {
		return nil, err
	}
	p := &queryParser{toks: toks, fields: fields}
	if p.peek().kind == tokEOF {
		return nil, nil
	}
	if err := p.needTerm(nil); err != nil {
		return nil, err
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF { // parseOr stops only at the end or a ')'
		return nil, errAt(t.pos, "unexpected ) without a matching (")
	}
	return e, nil
}

func errAt(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokWord
	tokLParen
	tokRParen
	tokMinus
	tokNot
	tokAnd
	tokOr
)

func (k tokenKind) String() string {
	return [...]string{"end of query", "term", "(", ")", "-", "NOT", "AND", "OR"}[k]
}

type queryToken struct {
	kind tokenKind
	pos  int   // byte offset in the query
	word qtext // the term, for tokWord
}

// qtext is a term with its quotes removed. It remembers which bytes were
// quoted, because separators mean something only outside quotes, and where
// each byte came from, so that errors can point into the query.
type qtext struct {
	s      string
	quoted []bool // quoted[i]: s[i] was inside double quotes
	offs   []int  // offs[i]: byte offset of s[i] in the query
	start  int    // byte offset in the query where this text begins
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// lexQuery splits a query into tokens. Keywords are the upper-case words
// OR, AND and NOT, unquoted, so that "or" and "not" remain searchable.
func lexQuery(q string) ([]queryToken, error) {
	var toks []queryToken
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case isSpace(c):
			i++
		case c == '(':
			toks = append(toks, queryToken{kind: tokLParen, pos: i})
			i++
		case c == ')':
			toks = append(toks, queryToken{kind: tokRParen, pos: i})
			i++
		case c == '-':
			// "a - b" is more likely a typo than a negation of b.
			if i+1 == len(q) || isSpace(q[i+1]) {
				return nil, errAt(i, "expected a term right after - (no space)")
			}
			toks = append(toks, queryToken{kind: tokMinus, pos: i})
			i++
		default:
			w, end, err := lexWord(q, i)
			if err != nil {
				return nil, err
			}
			kind := tokWord
			switch q[i:end] {
			case "OR":
				kind = tokOr
			case "AND":
				kind = tokAnd
			case "NOT":
				kind = tokNot
			}
			toks = append(toks, queryToken{kind: kind, pos: i, word: w})
			i = end
		}
	}
	return append(toks, queryToken{kind: tokEOF, pos: len(q)}), nil
}

// lexWord reads the term starting at i up to white space, a parenthesis or
// the end, and returns it with the offset just past it.
func lexWord(q string, i int) (qtext, int, error) {
	w := qtext{start: i}
	var b []byte
	add := func(c byte, quoted bool, off int) {
		b = append(b, c)
		w.quoted = append(w.quoted, quoted)
		w.offs = append(w.offs, off)
	}
	for i < len(q) {
		c := q[i]
		if isSpace(c) || c == '(' || c == ')' {
			break
		}
		if c != '"' {
			add(c, false, i)
			i++
			continue
		}
		open := i
		for i++; ; i++ {
			if i == len(q) {
				return qtext{}, 0, errAt(open, `unterminated quoted string: expected a closing "`)
			}
			if q[i] == '"' {
				i++
				break
			}
			if q[i] == '\\' && i+1 < len(q) && (q[i+1] == '"' || q[i+1] == '\\') {
				i++
			}
			add(q[i], true, i)
		}
	}
	w.s = string(b)
	return w, i, nil
}

// index returns the index of the first unquoted sep in t, or -1.
func (t qtext) index(sep string) int {
	for i := 0; i+len(sep) <= len(t.s); i++ {
		if t.s[i:i+len(sep)] == sep && !t.hasQuoted(i, i+len(sep)) {
			return i
		}
	}
	return -1
}

// hasQuoted reports whether any of t.s[i:j] was quoted.
func (t qtext) hasQuoted(i, j int) bool {
	for _, q := range t.quoted[i:j] {
		if q {
			return true
		}
	}
	return false
}

// is reports whether t is the unquoted word w, ignoring case.
func (t qtext) is(w string) bool {
	return strings.EqualFold(t.s, w) && !t.hasQuoted(0, len(t.s))
}

// head returns t up to index k.
func (t qtext) head(k int) qtext {
	return qtext{s: t.s[:k], quoted: t.quoted[:k], offs: t.offs[:k], start: t.start}
}

// tail returns t after the n-byte unquoted separator at index k. Unquoted
// bytes are copied from the query one for one, so the tail starts n bytes
// after the separator, at its opening quote if it has one.
func (t qtext) tail(k, n int) qtext {
	return qtext{s: t.s[k+n:], quoted: t.quoted[k+n:], offs: t.offs[k+n:], start: t.offs[k] + n}
}

// split cuts t at every unquoted sep byte.
func (t qtext) split(sep byte) []qtext {
	var parts []qtext
	for {
		k := t.index(string(sep))
		if k < 0 {
			return append(parts, t)
		}
		parts = append(parts, t.head(k))
		t = t.tail(k, 1)
	}
}

type queryParser struct {
	toks   []queryToken
	next   int
	fields *FieldSet
	conds  int // conditions made so far, against MaxConditions
}

func (p *queryParser) peek() queryToken { return p.toks[p.next] }

func (p *queryParser) take() queryToken {
	t := p.toks[p.next]
	if t.kind != tokEOF {
		p.next++
	}
	return t
}

func startsTerm(k tokenKind) bool {
	return k == tokWord || k == tokLParen || k == tokMinus || k == tokNot
}

// needTerm checks that a term follows the token after (nil at the start of
// the query) and otherwise blames the token whose operand is missing.
func (p *queryParser) needTerm(after *queryToken) error {
	next := p.peek()
	switch {
	case startsTerm(next.kind):
		return nil
	case (after == nil || after.kind == tokLParen) && (next.kind == tokOr || next.kind == tokAnd):
		return errAt(next.pos, "expected a term before %s", next.kind)
	case after == nil:
		return errAt(next.pos, "unexpected ) without a matching (")
	case after.kind == tokLParen && next.kind == tokRParen:
		return errAt(after.pos, "expected a term inside ()")
	case after.kind == tokLParen:
		return errAt(after.pos, "unclosed (: expected a term and a )")
	}
	return errAt(after.pos, "expected a term after %s", after.kind)
}

func (p *queryParser) parseOr() (*Expr, error) {
	first, err := p.parseAnd()
	if err != nil || p.peek().kind != tokOr {
		return first, err
	}
	pos := p.peek().pos
	terms := []*Expr{first}
	for p.peek().kind == tokOr {
		op := p.take()
		if err := p.needTerm(&op); err != nil {
			return nil, err
		}
		e, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		terms = append(terms, e)
	}
	return p.node(pos, joinExprs(false, terms))
}

func (p *queryParser) parseAnd() (*Expr, error) {
	pos := p.peek().pos
	var terms []*Expr
	for {
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		terms = append(terms, e)
		if t := p.peek(); t.kind == tokAnd {
			p.take()
			if err := p.needTerm(&t); err != nil {
				return nil, err
			}
		} else if !startsTerm(t.kind) {
			break
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return p.node(pos, joinExprs(true, terms))
}

// parseUnary parses a negation, a group or a term; the caller has checked
// with needTerm that one comes next.
func (p *queryParser) parseUnary() (*Expr, error) {
	t := p.take()
	switch t.kind {
	case tokMinus, tokNot:
		if err := p.needTerm(&t); err != nil {
			return nil, err
		}
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return p.node(t.pos, &Expr{Not: e})
	case tokLParen:
		if err := p.needTerm(&t); err != nil {
			return nil, err
		}
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if p.take().kind != tokRParen {
			return nil, errAt(t.pos, "unclosed (: expected a )")
		}
		return e, nil
	}
	return p.parseTerm(t)
}

// joinExprs makes an AND (or an OR) of terms, lifting the operands of
// nested ANDs (ORs) into it: "a (b c)" is AND(a, b, c), one level deep.
func joinExprs(and bool, terms []*Expr) *Expr {
	var out []*Expr
	for _, e := range terms {
		switch {
		case and && e.And != nil:
			out = append(out, e.And...)
		case !and && e.Or != nil:
			out = append(out, e.Or...)
		default:
			out = append(out, e)
		}
	}
	if and {
		return &Expr{And: out}
	}
	return &Expr{Or: out}
}

// node checks a new AND, OR or NOT made by the token at pos against MaxDepth.
func (p *queryParser) node(pos int, e *Expr) (*Expr, error) {
	if treeDepth(e) > MaxDepth {
		return nil, errAt(pos, "filter is nested more than %d levels deep", MaxDepth)
	}
	return e, nil
}

// treeDepth counts the AND, OR and NOT nodes on the longest path down e.
func treeDepth(e *Expr) int {
	d := 0
	for _, c := range e.And {
		d = max(d, treeDepth(c)+1)
	}
	for _, c := range e.Or {
		d = max(d, treeDepth(c)+1)
	}
	if e.Not != nil {
		d = max(d, treeDepth(e.Not)+1)
	}
	return d
}

func (p *queryParser) cond(pos int, field string, op Op, values ...any) (*Expr, error) {
	p.conds++
	if p.conds > MaxConditions {
		return nil, errAt(pos, "more than %d conditions", MaxConditions)
	}
	return &Expr{Cond: &Cond{Field: field, Op: op, Values: values, Pos: pos}}, nil
}

// condAt is cond with the position of each value in the query.
func (p *queryParser) condAt(pos int, field string, op Op, values []any, at []int) (*Expr, error) {
	e, err := p.cond(pos, field, op, values...)
	if err != nil {
		return nil, err
	}
	e.Cond.ValuePos = at
	return e, nil
}

// opBetween stands for seed 003's between, which is not one operation but
// a gte and an lte.
const opBetween Op = "between"

// opNames are seed 003's operators (filters=field:operator:v1|v2), by
// lower-cased spelling.
var opNames = map[string]Op{
	"eq": OpEq, "ne": OpNe, "neq": OpNe,
	"in": OpIn, "nin": OpNotIn, "notin": OpNotIn, "not_in": OpNotIn,
	"contains": OpContains, "startswith": OpStartsWith, "starts_with": OpStartsWith, "like": OpLike,
	"gt": OpGt, "gte": OpGte, "lt": OpLt, "lte": OpLte,
	"isnull": OpIsNull, "null": OpIsNull, "between": opBetween,
}

// opList names the operators in error messages.
const opList = "eq, ne, in, nin, contains, startswith, like, gt, gte, lt, lte, isnull, between"

// isOpName reports whether s has the shape of an operator name: letters
// and underscores.
func isOpName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}

// comparisons are the prefixes of a value that compare, longest first.
var comparisons = []struct {
	sym string
	op  Op
}{{">=", OpGte}, {"<=", OpLte}, {">", OpGt}, {"<", OpLt}}

func (p *queryParser) parseTerm(t queryToken) (*Expr, error) {
	w := t.word
	colon := w.index(":")
	if colon < 0 {
		text := strings.TrimSpace(w.s)
		if text == "" {
			return nil, errAt(t.pos, "expected a search phrase inside the quotes")
		}
		if err := checkLen(text, t.pos); err != nil {
			return nil, err
		}
		return p.cond(t.pos, "", OpSearch, text)
	}
	if colon == 0 || w.hasQuoted(0, colon) {
		return nil, errAt(t.pos, `expected a field name before ":" (quote the whole term to search for it)`)
	}
	name := w.s[:colon]
	f, ok := p.fields.Lookup(name)
	if !ok {
		if names := p.fields.Names(); len(names) > 0 {
			return nil, errAt(t.pos, "unknown field %q; filterable fields: %s", name, strings.Join(names, ", "))
		}
		return nil, errAt(t.pos, "unknown field %q; this list has no filterable fields", name)
	}
	v := w.tail(colon, 1)
	// Seed 003's field:operator:values. A value such as
	// 2025-01-01T10:00:00Z has colons of its own, so only a word of letters
	// is an operator; an unknown one is refused, not read as a value.
	if k := v.index(":"); k > 0 && !v.hasQuoted(0, k) && isOpName(v.s[:k]) {
		op, ok := opNames[strings.ToLower(v.s[:k])]
		if !ok {
			return nil, errAt(v.start, "unknown operator %q; operators are %s (quote a value that holds a colon: %s:%q)",
				v.s[:k], opList, name, v.s)
		}
		return p.parseOpForm(t.pos, f, op, v.head(k), v.tail(k, 1))
	}
	return p.parseValue(t.pos, f, name, v)
}

// parseValue reads the value of name:value, whose shape picks the
// operation; name is the field's name as written, for error messages.
func (p *queryParser) parseValue(pos int, f Field, name string, v qtext) (*Expr, error) {
	switch {
	case v.s == "":
		return nil, errAt(v.start, "expected a value after %s:", name)
	case v.is("null"):
		return p.condAt(pos, f.Name, OpIsNull, []any{true}, []int{v.start})
	case v.is("!null"):
		return p.condAt(pos, f.Name, OpIsNull, []any{false}, []int{v.start})
	}
	for _, c := range comparisons {
		if !strings.HasPrefix(v.s, c.sym) || v.hasQuoted(0, len(c.sym)) {
			continue
		}
		if err := checkOp(f, c.op, v.start, c.sym); err != nil {
			return nil, err
		}
		val := v.tail(0, len(c.sym))
		s, err := valueText(val, c.sym)
		if err != nil {
			return nil, err
		}
		return p.condAt(pos, f.Name, c.op, []any{s}, []int{val.start})
	}
	if k := v.index(".."); k >= 0 {
		if err := checkOp(f, OpGte, v.start, "a range (..)"); err != nil {
			return nil, err
		}
		lo, hi := v.head(k), v.tail(k, 2)
		if lo.s == "" && hi.s == "" {
			return nil, errAt(v.start, "expected a value before or after ..")
		}
		var bounds []*Expr
		for _, b := range []struct {
			v  qtext
			op Op
		}{{lo, OpGte}, {hi, OpLte}} {
			if b.v.s == "" {
				continue
			}
			if err := checkLen(b.v.s, b.v.start); err != nil {
				return nil, err
			}
			e, err := p.condAt(pos, f.Name, b.op, []any{b.v.s}, []int{b.v.start})
			if err != nil {
				return nil, err
			}
			bounds = append(bounds, e)
		}
		return All(bounds...), nil
	}
	return p.parseItems(pos, f, name, v.split(','))
}

// parseItems reads the value of name:value that is a list (or one item),
// with seed 002's + and - prefixes where the field's kind takes them.
func (p *queryParser) parseItems(pos int, f Field, name string, parts []qtext) (*Expr, error) {
	if len(parts) > MaxValues {
		return nil, errAt(parts[MaxValues].start, "more than %d values in one list", MaxValues)
	}
	signs := !f.Signed && (f.Kind == KindText || f.Kind == KindID || f.Kind == KindEnum)
	var in, out []any
	var inAt, outAt []int
	for i, part := range parts {
		after := ","
		if i == 0 {
			after = name + ":"
		}
		exclude := false
		if signs && part.s != "" && !part.quoted[0] && (part.s[0] == '+' || part.s[0] == '-') {
			exclude, after = part.s[0] == '-', part.s[:1]
			part = part.tail(0, 1)
		}
		s, err := valueText(part, after)
		if err != nil {
			return nil, err
		}
		if len(parts) > 1 && strings.Contains(s, "*") {
			return nil, errAt(part.start, "a * wildcard cannot be used in a list of values; join terms with OR instead")
		}
		if exclude {
			out, outAt = append(out, s), append(outAt, part.start)
		} else {
			in, inAt = append(in, s), append(inAt, part.start)
		}
	}
	if len(parts) == 1 {
		return p.parseItem(pos, f, in, out, append(inAt, outAt...))
	}
	var conds []*Expr
	if len(in) > 0 {
		e, err := p.condAt(pos, f.Name, OpIn, in, inAt)
		if err != nil {
			return nil, err
		}
		conds = append(conds, e)
	}
	if len(out) > 0 {
		e, err := p.condAt(pos, f.Name, OpNotIn, out, outAt)
		if err != nil {
			return nil, err
		}
		conds = append(conds, e)
	}
	return All(conds...), nil
}

// parseItem makes the condition of a lone item, which is in in (included)
// or in out (excluded) and starts at at[0]: eq, notIn, or a like pattern
// or its negation.
func (p *queryParser) parseItem(pos int, f Field, in, out []any, at []int) (*Expr, error) {
	exclude := len(out) == 1
	s := append(in, out...)[0].(string)
	if !strings.Contains(s, "*") {
		if exclude {
			return p.condAt(pos, f.Name, OpNotIn, []any{s}, at)
		}
		return p.condAt(pos, f.Name, OpEq, []any{s}, at)
	}
	if err := checkOp(f, OpLike, at[0], "a * wildcard"); err != nil {
		return nil, err
	}
	e, err := p.condAt(pos, f.Name, OpLike, []any{s}, at)
	if err != nil || !exclude {
		return e, err
	}
	return p.node(pos, &Expr{Not: e})
}

// parseOpForm reads seed 003's field:operator:v1|v2 once the operator is known.
func (p *queryParser) parseOpForm(pos int, f Field, op Op, name, v qtext) (*Expr, error) {
	if err := checkOp(f, op, name.start, name.s); err != nil {
		return nil, err
	}
	parts := v.split('|')
	values, err := listValues(parts, name.s+":", "|")
	if err != nil {
		return nil, err
	}
	at := make([]int, len(parts))
	for i, part := range parts {
		at[i] = part.start
	}
	switch {
	case op == OpEq && len(values) > 1:
		return p.condAt(pos, f.Name, OpIn, values, at)
	case op == OpNe && len(values) > 1:
		return p.condAt(pos, f.Name, OpNotIn, values, at)
	case op == OpEq || op == OpNe || op == OpIn || op == OpNotIn:
		return p.condAt(pos, f.Name, op, values, at)
	case op == opBetween:
		if len(values) != 2 {
			return nil, errAt(v.start, "expected two values for %s: low|high", name.s)
		}
		lo, err := p.condAt(pos, f.Name, OpGte, values[:1], at[:1])
		if err != nil {
			return nil, err
		}
		hi, err := p.condAt(pos, f.Name, OpLte, values[1:], at[1:])
		if err != nil {
			return nil, err
		}
		return &Expr{And: []*Expr{lo, hi}}, nil
	}
	if len(values) > 1 {
		return nil, errAt(parts[1].start, "expected one value for %s", name.s)
	}
	if op == OpIsNull {
		switch s := values[0].(string); {
		case strings.EqualFold(s, "true"):
			values[0] = true
		case strings.EqualFold(s, "false"):
			values[0] = false
		default:
			return nil, errAt(v.start, "expected true or false for %s", name.s)
		}
	}
	return p.condAt(pos, f.Name, op, values, at)
}

// listValues checks the values of a list: first follows the text before
// the first value and sep separates them, for error messages.
func listValues(parts []qtext, first, sep string) ([]any, error) {
	if len(parts) > MaxValues {
		return nil, errAt(parts[MaxValues].start, "more than %d values in one list", MaxValues)
	}
	values := make([]any, len(parts))
	for i, part := range parts {
		after := sep
		if i == 0 {
			after = first
		}
		s, err := valueText(part, after)
		if err != nil {
			return nil, err
		}
		values[i] = s
	}
	return values, nil
}

// valueText checks one value that follows the text after.
func valueText(v qtext, after string) (string, error) {
	if v.s == "" {
		return "", errAt(v.start, "expected a value after %s", after)
	}
	return v.s, checkLen(v.s, v.start)
}

func checkLen(s string, pos int) error {
	if utf8.RuneCountInString(s) > MaxPatternLen {
		return errAt(pos, "value is longer than %d characters", MaxPatternLen)
	}
	return nil
}

// checkOp refuses an operation that means nothing for the field's kind;
// what is the operation as the user wrote it.
func checkOp(f Field, op Op, pos int, what string) error {
	ok := true
	switch op {
	case OpContains, OpStartsWith, OpLike:
		ok = f.Kind == KindText || f.Kind == KindID
	case OpGt, OpGte, OpLt, OpLte, opBetween:
		ok = f.Kind == KindText || f.Kind == KindTime || f.Kind == KindDate || f.Kind == KindInt
	}
	if ok {
		return nil
	}
	return errAt(pos, "%s does not apply to %s field %s", what, kindName(f.Kind), f.Name)
}

func kindName(k Kind) string {
	switch k {
	case KindText:
		return "text"
	case KindID:
		return "ID"
	case KindTime:
		return "date-time"
	case KindDate:
		return "date"
	case KindEnum:
		return "enum"
	case KindBool:
		return "boolean"
	case KindInt:
		return "integer"
	}
	return fmt.Sprintf("kind-%d", int(k))
}
