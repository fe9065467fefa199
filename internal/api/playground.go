package api

import (
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql/playground"
)

const playgroundTitle = "Catalogue graph"

// playgroundPage serves GraphiQL. With credentials, a client on this
// machine gets a page that sends freshly minted development credentials
// with every request; anyone else gets the bare page, which sends none.
func playgroundPage(log *slog.Logger, credentials func() (map[string]string, error)) http.Handler {
	bare := playground.Handler(playgroundTitle, "/graphql")
	if credentials == nil {
		return bare
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !localClient(r) {
			bare.ServeHTTP(w, r)
			return
		}
		headers, err := credentials()
		if err != nil {
			log.ErrorContext(r.Context(), "development credentials", "err", err)
			bare.ServeHTTP(w, r)
			return
		}
		// The page holds a credential: no cache may keep it.
		w.Header().Set("Cache-Control", "no-store")
		playground.Handler(playgroundTitle, "/graphql", playground.WithGraphiqlFetcherHeaders(headers)).ServeHTTP(w, r)
	})
}

// localClient reports whether r comes straight from this machine: its peer
// is a loopback address, it carries no proxy's forwarding header (a proxy
// on this machine would otherwise pass a remote client off as local), and
// it was sent to a loopback name or address, so that a page of another site
// whose name resolves to 127.0.0.1 (DNS rebinding) cannot read it.
func localClient(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return false
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	name := r.Host
	if h, _, err := net.SplitHostPort(name); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.Trim(name, "[]"), ".")
	if strings.EqualFold(name, "localhost") {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}
