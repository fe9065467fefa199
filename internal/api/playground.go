package api

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"time"
)

// The playground is GraphiQL with its explorer plugin, served from files
// embedded in the binary: the page and every script, style sheet and font
// it uses come from this server, so it works offline and behind any
// firewall. playground/vendor holds the third-party builds, which
// playground/build.sh copies from npm; the rest is ours.
//
//go:embed playground/index.html playground/playground.js playground/playground.css playground/vendor playground/examples
var playgroundFiles embed.FS

// asset is a file the playground page loads.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// playgroundAssets are the files under /playground/, by name.
var playgroundAssets = func() map[string]asset {
	types := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
		".txt": "text/plain; charset=utf-8",
	}
	out := map[string]asset{}
	for _, name := range []string{"playground/playground.js", "playground/playground.css"} {
		out[path.Base(name)] = newAsset(mustRead(name), types[path.Ext(name)])
	}
	entries, err := playgroundFiles.ReadDir("playground/vendor")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		out[e.Name()] = newAsset(mustRead("playground/vendor/"+e.Name()), types[path.Ext(e.Name())])
	}
	return out
}()

func mustRead(name string) []byte {
	b, err := playgroundFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

func newAsset(body []byte, contentType string) asset {
	sum := sha256.Sum256(body)
	return asset{body: body, contentType: contentType, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}
}

// servePlaygroundAsset answers GET /playground/{name}. The files change
// only with the binary, so browsers revalidate them (a 304 when the ETag
// still matches) rather than keep them for a fixed time.
func servePlaygroundAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := playgroundAssets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	serveBytes(w, r, a.contentType, a.etag, "no-cache", a.body)
}

// serveBytes answers with a fixed body and its validator; http.ServeContent
// handles If-None-Match and HEAD.
func serveBytes(w http.ResponseWriter, r *http.Request, contentType, etag, cacheControl string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// playgroundTab is an example operation the page opens as a tab.
type playgroundTab struct {
	Query string `json:"query"`
}

// playgroundExamples are the example operations (playground/examples, one
// per file, in file name order): the README's, ready to run.
var playgroundExamples = func() []playgroundTab {
	var tabs []playgroundTab
	names, err := fs.Glob(playgroundFiles, "playground/examples/*.graphql")
	if err != nil {
		panic(err)
	}
	for _, name := range names { // fs.Glob sorts
		tabs = append(tabs, playgroundTab{Query: strings.TrimSpace(string(mustRead(name))) + "\n"})
	}
	return tabs
}()

var playgroundTemplate = template.Must(template.ParseFS(playgroundFiles, "playground/index.html"))

// playgroundContentSecurityPolicy lets the page load and call only this
// server: should a future GraphiQL build try to reach a CDN, the browser
// refuses. Inline styles are allowed because some of GraphiQL's
// components insert style elements; fonts and icons are data: URLs in its
// style sheet.
const playgroundContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

// servePlayground returns the handler of the playground page (GET /).
// headers, when given, fill the headers tab of every tab and go with every
// request the page sends, the schema's introspection included (which
// GraphiQL starts before the headers tab exists): development credentials,
// so that the demo works at once.
func servePlayground(title, endpoint string, headers map[string]string) http.HandlerFunc {
	type pageConfig struct {
		Endpoint string            `json:"endpoint"`
		Headers  map[string]string `json:"headers,omitempty"`
		Tabs     []playgroundTab   `json:"tabs"`
	}
	cfg := pageConfig{Endpoint: endpoint, Headers: headers, Tabs: playgroundExamples}
	var page bytes.Buffer
	// html/template writes the config as JSON escaped for a script element.
	if err := playgroundTemplate.Execute(&page, map[string]any{"Title": title, "Config": cfg}); err != nil {
		panic(err)
	}
	body := page.Bytes()
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", playgroundContentSecurityPolicy)
		w.Header().Set("Referrer-Policy", "no-referrer")
		// A page that carries a credential is kept by no cache; the bare
		// page only privately, and revalidated.
		cache := "private, no-cache"
		if len(headers) > 0 {
			cache = "no-store"
		}
		serveBytes(w, r, "text/html; charset=utf-8", etag, cache, body)
	}
}

const playgroundTitle = "Catalogue graph"

// playgroundPage serves GraphiQL. With credentials, a client on this
// machine gets a page that sends freshly minted development credentials
// with every request; anyone else gets the bare page, which sends none.
func playgroundPage(log *slog.Logger, credentials func() (map[string]string, error)) http.Handler {
	bare := servePlayground(playgroundTitle, "/graphql", nil)
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
		servePlayground(playgroundTitle, "/graphql", headers).ServeHTTP(w, r)
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
