package api

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// withCacheHeaders says how /graphql answers may be cached. An answer
// depends on the caller's credentials, so no shared cache may keep one:
// a GET query's successful answer is private, revalidated on every use
// (Cache-Control: private, max-age=0, must-revalidate), with an ETag of
// its result; a request that carries the ETag in If-None-Match and would
// get the same result is answered 304 without a body. Everything else —
// POST (mutations, batches), streamed answers and failures — is no-store.
//
// The query still runs for a 304: what saves is the transfer and the
// client's parsing, not the database work.
func withCacheHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Cache-Control", "no-store")
			next.ServeHTTP(w, r)
			return
		}
		// The credentials and the negotiated type make the answer; a
		// browser must not reuse one for another of them.
		w.Header().Add("Vary", "Accept, Authorization, X-Tenant, enterprise-id")
		buf := &bufferedAnswer{header: w.Header()}
		next.ServeHTTP(buf, r)
		status := cmp.Or(buf.status, http.StatusOK)
		if status != http.StatusOK {
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			_, _ = w.Write(buf.body.Bytes())
			return
		}
		tag := resultETag(w.Header().Get("Content-Type"), buf.body.Bytes())
		w.Header().Set("Cache-Control", "private, max-age=0, must-revalidate")
		w.Header().Set("ETag", tag)
		if etagMatches(r.Header.Get("If-None-Match"), tag) {
			w.Header().Del("Content-Type")
			w.Header().Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write(buf.body.Bytes())
	})
}

// bufferedAnswer holds an answer until its ETag is known. GET answers are
// single JSON documents (streaming needs POST), a few KiB to a few MiB.
type bufferedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedAnswer) Header() http.Header { return b.header }

func (b *bufferedAnswer) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedAnswer) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// resultETag is a weak validator of an answer's result: its data and
// errors, and its media type. extensions are left out: they describe the
// execution (SQL statements and time), not the result, and would make
// every ETag new. Weak, because a compressed and a plain answer share it.
func resultETag(contentType string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(contentType))
	h.Write([]byte{0})
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err == nil {
		keys := make([]string, 0, len(doc))
		for k := range doc {
			if k != "extensions" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			h.Write([]byte(k))
			h.Write([]byte{0})
			h.Write(doc[k])
			h.Write([]byte{0})
		}
	} else {
		h.Write(body)
	}
	return `W/"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18]) + `"`
}

// etagMatches applies If-None-Match's weak comparison: a list of tags, or
// "*" for any.
func etagMatches(ifNoneMatch, tag string) bool {
	if ifNoneMatch == "" {
		return false
	}
	want := strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}
