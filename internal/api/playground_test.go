package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"catalogue/db"
	"catalogue/internal/api"
)

// TestPlaygroundCredentialsOnlyForLocalClients: with development
// credentials, the playground page carries freshly minted ones (a new call
// for every page, never cached) for a client on this machine only. A client
// elsewhere, a request relayed by a proxy, and a page asked for by a name
// that is not a loopback one (DNS rebinding) get the playground without
// them.
func TestPlaygroundCredentialsOnlyForLocalClients(t *testing.T) {
	const secret = "Bearer dev-credential-7f3a"
	var minted atomic.Int32
	h := api.New(db.NewStore(env.RuntimeDB), slog.New(slog.DiscardHandler), api.Config{
		Playground: true,
		PlaygroundCredentials: func() (map[string]string, error) {
			minted.Add(1)
			return map[string]string{"Authorization": secret}, nil
		},
	})
	srv := httptest.NewServer(h) // listens on 127.0.0.1
	defer srv.Close()

	get := func(t *testing.T, url string, header http.Header) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "/graphql") {
			t.Fatalf("GET %s: HTTP %d, want the playground\n%s", url, resp.StatusCode, truncate(string(body), 300))
		}
		return resp, string(body)
	}

	for _, url := range []string{srv.URL + "/", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/"} {
		resp, page := get(t, url, nil)
		if !strings.Contains(page, secret) {
			t.Errorf("GET %s from this machine: the page carries no development credentials", url)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q on a page with credentials, want no-store", url, cc)
		}
	}
	if n := minted.Load(); n != 2 {
		t.Errorf("credentials minted %d times for 2 pages, want once per page", n)
	}

	refused := map[string]http.Header{
		"relayed by a proxy":    {"X-Forwarded-For": {"203.0.113.9"}},
		"relayed (Forwarded)":   {"Forwarded": {"for=203.0.113.9"}},
		"foreign name (Host)":   {"Host": {"attacker.example:8080"}},
		"foreign name, no port": {"Host": {"rebind.attacker.example"}},
	}
	for name, header := range refused {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			if k == "Host" {
				req.Host = v[0]
				continue
			}
			req.Header[k] = v
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.Contains(string(body), secret) {
			t.Errorf("%s: HTTP %d, credentials on the page: %v; want the bare playground", name, resp.StatusCode, strings.Contains(string(body), secret))
		}
	}

	// A client on another machine (httptest.NewRequest comes from
	// 192.0.2.1, a documentation address).
	for _, remote := range []string{"192.0.2.1:1234", "[2001:db8::1]:443", "10.0.0.5:5000"} {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/", nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "/graphql") {
			t.Errorf("from %s: HTTP %d, want the playground", remote, rec.Code)
		}
		if strings.Contains(rec.Body.String(), secret) {
			t.Errorf("from %s: the page carries the development credentials", remote)
		}
	}
}
