// Package guard checks what a client sends before any GraphQL work: the
// HTTP request (its credential headers, a POST body, a GET query string)
// and the shape of the parsed document. It is pure: no database, no
// schema, so that it can be tested and fuzzed on its own; package api
// turns its refusals into answers.
package guard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
)

// Error is a request refused before any GraphQL work: it is not a
// GraphQL-over-HTTP request, or not a well-formed one. Msg is for the
// client; Excerpt, a bounded quote of the offending input, is for the log.
type Error struct {
	Status  int
	Msg     string
	Excerpt string
}

func (e *Error) Error() string { return e.Msg }

func badRequest(excerpt string, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...), Excerpt: excerpt}
}

// CheckHeaders refuses a request whose named headers are not UTF-8 text
// (those that reach PostgreSQL, which refuses such text), or that asks to
// upgrade the connection, which the server does not do.
func CheckHeaders(h http.Header, names ...string) *Error {
	for _, name := range names {
		for _, v := range h.Values(name) {
			if i := badTextByte(v); i >= 0 {
				// Never log a credential: the position is enough.
				return badRequest(fmt.Sprintf("%s header, byte %d", name, i),
					"the %s header is not valid UTF-8 text (at byte %d)", name, i)
			}
		}
	}
	if h.Get("Upgrade") != "" {
		return badRequest("Upgrade: "+Excerpt([]byte(h.Get("Upgrade"))),
			"this server does not upgrade connections: send queries by POST or GET")
	}
	return nil
}

// badTextByte is the offset of the first byte of s that is not part of
// UTF-8 text (invalid UTF-8 or a control character other than tab), or -1.
func badTextByte(s string) int {
	for i, r := range s {
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") || r < ' ' && r != '\t' || r == 0x7f {
			return i
		}
	}
	return -1
}

// DecodePOST decodes a POST body as gqlgen's POST and multipart/mixed
// transports do (encoding/json into RawParams with UseNumber) and is
// stricter: what it accepts they accept, and what it refuses gets a
// message naming the problem instead of an uncoded error quoting the body.
func DecodePOST(body []byte) (*graphql.RawParams, *Error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return nil, badRequest("", `the request body is empty: send a JSON object such as {"query": "{ __typename }"}`)
	case !utf8.Valid(body):
		return nil, badRequest(Excerpt(body), "the request body is not valid UTF-8")
	case trimmed[0] == '[':
		// A batch. When batching is added, this is the one place that
		// accepts it, and it must bound the number of operations.
		return nil, badRequest(Excerpt(body), "batched operations are not supported: send one JSON object per request")
	case trimmed[0] != '{' && json.Valid(body):
		return nil, badRequest(Excerpt(body), `the request body must be a JSON object such as {"query": "{ __typename }"}`)
	}
	var p graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return nil, jsonError(body, "the request body", err)
	}
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return nil, badRequest(Excerpt(body), "unexpected data after the JSON object of the request body")
	}
	return &p, nil
}

// DecodeGET decodes the query string of a GET as gqlgen's GET transport
// does, and is stricter in the same way as DecodePOST.
func DecodeGET(rawQuery string) (*graphql.RawParams, *Error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, badRequest(Excerpt([]byte(rawQuery)), "the URL's query string is malformed: %v", err)
	}
	for _, name := range []string{"query", "operationName", "variables", "extensions"} {
		if v := q.Get(name); !utf8.ValidString(v) {
			return nil, badRequest(Excerpt([]byte(v)), "the %s parameter is not valid UTF-8", name)
		}
	}
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	for _, obj := range []struct {
		name string
		dst  *map[string]any
	}{{"variables", &p.Variables}, {"extensions", &p.Extensions}} {
		raw := q.Get(obj.name)
		if raw == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(obj.dst); err != nil {
			return nil, jsonError([]byte(raw), "the "+obj.name+" parameter", err)
		}
		if rest := strings.TrimSpace(raw[dec.InputOffset():]); rest != "" {
			return nil, badRequest(Excerpt([]byte(raw)), "unexpected data after the JSON object of the %s parameter", obj.name)
		}
	}
	return p, nil
}

// jsonError says what is wrong with a JSON text without quoting it.
func jsonError(data []byte, what string, err error) *Error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		want := "a JSON object"
		switch field {
		case "query", "operationName":
			want = "a string"
		case "":
			field = what
		}
		return badRequest(Excerpt(data), "%s must be %s, not a JSON %s", field, want, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return badRequest(Excerpt(data), "%s is not valid JSON: %v (at byte %d)", what, syntaxErr, syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest(Excerpt(data), "%s is not valid JSON: it ends too early", what)
	}
	return badRequest(Excerpt(data), "%s is not valid JSON", what)
}

// MaxExcerpt bounds the part of a request that a log line quotes.
const MaxExcerpt = 120

// Excerpt quotes the start of b for a log line: at most MaxExcerpt bytes,
// with invalid UTF-8 and control characters escaped, and the full length
// when it is cut.
func Excerpt(b []byte) string {
	if len(b) <= MaxExcerpt {
		return strconv.Quote(string(b))
	}
	return strconv.Quote(string(b[:MaxExcerpt])) + fmt.Sprintf("… (%d bytes)", len(b))
}
