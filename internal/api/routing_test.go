package api_test

import (
	"net/http"
	"strings"
	"testing"

	"catalogue/internal/api"
)

// TestMinLSNHeader: a commit position sent back in X-Min-LSN must be one;
// a malformed one is refused rather than ignored (which would serve stale
// reads). Without standbys every read is on the primary, which has every
// commit, and the answer carries no routing extensions.
func TestMinLSNHeader(t *testing.T) {
	body := jsonBody(t, map[string]any{"query": "{ tenants(first: 1) { totalCount } }"})
	for _, bad := range []string{"yesterday", "1/2/3", "G/0", "123456789/0"} {
		r := rawRequest(t, http.MethodPost, "/graphql", "application/json", body, http.Header{api.MinLSNHeader: {bad}})
		if r.Status != http.StatusBadRequest || len(r.Errors) != 1 || r.Errors[0].code() != api.CodeBadRequest ||
			!strings.Contains(r.Errors[0].Message, api.MinLSNHeader) {
			t.Errorf("%s: %q: want HTTP 400 with a BAD_REQUEST error naming the header\n%s", api.MinLSNHeader, bad, r.describe())
		}
	}
	r := rawRequest(t, http.MethodPost, "/graphql", "application/json", body, http.Header{api.MinLSNHeader: {"0/3000060"}})
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("a well-formed %s was refused\n%s", api.MinLSNHeader, r.describe())
	}
	if strings.Contains(string(r.Body), "readFrom") || strings.Contains(string(r.Body), "commitLsn") {
		t.Errorf("routing extensions without standbys\n%s", r.describe())
	}
}
