// Package config reads the server's settings from the environment. Every
// setting has a default that suits a developer machine; the README lists
// them all.
package config

import (
	"cmp"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the server's configuration.
type Config struct {
	Port           int
	DatabaseURL    string // empty: start the embedded PostgreSQL
	DataDir        string // folder of the embedded PostgreSQL
	LogFormat      string // "text" or "json"
	LogLevel       string // debug, info, warn, error
	RequestTimeout time.Duration
	ShutdownGrace  time.Duration
	MaxDepth       int
	MaxCost        int
	SQLStats       bool
	Playground     bool
	DBMaxConns     int
	// DBStatements is how many statements each pool connection keeps
	// prepared; 0 behind a pooler in transaction mode.
	DBStatements int
	// DBTenantMaxConns is how many pool connections one tenant's requests
	// may hold at once; MaxSearchTerms the most search words per argument.
	DBTenantMaxConns int
	MaxSearchTerms   int
	LoaderWait       time.Duration
	Seed             bool // seed an empty database with demo data at start-up; only the embedded one by default
	// Bearer tokens: an HS256 secret and/or RS256/ES256 public keys.
	JWTSecret        string
	JWTPublicKeyFile string
	JWTJWKSFile      string
	JWTIssuer        string
	JWTAudience      string
	JWTLeeway        time.Duration
	// AuthCacheTTL is how long a verified principal is reused (0: never);
	// AuthCacheSize how many are kept.
	AuthCacheTTL  time.Duration
	AuthCacheSize int
	// DevAuth makes the server mint a development token for the demo data
	// and hand it to the playground; on by default with the embedded database.
	DevAuth bool
	// CORSOrigins are the browser origins allowed to call the API from
	// another site ("*", exact origins, or one wildcard such as
	// http://localhost:*); localhost origins by default with the embedded
	// database, none otherwise.
	CORSOrigins []string
	CORSMaxAge  time.Duration // how long a browser may reuse a preflight answer
	MaxBatch    int           // most operations in one batched POST

	// Where the server listens and which database roles it uses.
	//
	// Host is the address to listen on (HOST): 127.0.0.1 by default with
	// the embedded database, so that a development server is reachable
	// from this machine only; every interface ("") with DATABASE_URL.
	// HOST=0.0.0.0 listens on every interface in either case.
	Host string
	// DatabaseMigrateURL (DATABASE_MIGRATE_URL) connects as the role that
	// owns the schema, for migrations, seeding and the command-line tools;
	// empty means DATABASE_URL. DATABASE_URL is then the runtime role's.
	DatabaseMigrateURL string
	// DatabaseListenURL (DATABASE_LISTEN_URL) is the runtime role's URL for
	// the one connection that LISTENs for events (subscriptions); empty
	// means DATABASE_URL. It must reach the primary directly, or through a
	// pooler in session mode: a pooler in transaction mode does not keep
	// the session that LISTEN needs.
	DatabaseListenURL string
	// Metrics records Prometheus metrics and serves them at /metrics;
	// MetricsMaxOperations operation names get series of their own, any
	// later one counts as "other".
	Metrics              bool
	MetricsMaxOperations int
	// TracingEndpoint is the OTLP/HTTP collector that traces are sent to,
	// from the standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
	// OTEL_EXPORTER_OTLP_ENDPOINT; "" (unset, or OTEL_SDK_DISABLED=true,
	// or OTEL_TRACES_EXPORTER=none) turns tracing off. The exporter reads
	// its other OTEL_* settings itself.
	TracingEndpoint string

	// Limits on requests (README, "Limits and abuse"). 0, the default of
	// each, takes the api package's default.
	MaxBodyBytes           int // MAX_BODY_BYTES
	MaxQueryTokens         int // MAX_QUERY_TOKENS
	MaxQueryFields         int // MAX_QUERY_FIELDS
	MaxSelectionFields     int // MAX_SELECTION_FIELDS
	MaxQueryAliases        int // MAX_QUERY_ALIASES
	MaxFieldDirectives     int // MAX_FIELD_DIRECTIVES
	MaxQueryDirectives     int // MAX_QUERY_DIRECTIVES
	MaxFragmentSpreads     int // MAX_FRAGMENT_SPREADS
	MaxIntrospectionFields int // MAX_INTROSPECTION_FIELDS
	MaxIntrospectionDepth  int // MAX_INTROSPECTION_DEPTH
	MaxResponseBytes       int // MAX_RESPONSE_BYTES
	// DatabaseReadURLs are hot standbys of DATABASE_URL's primary that
	// serve query operations (DATABASE_READ_URL, comma-separated).
	DatabaseReadURLs []string
	// A standby further behind than ReadMaxLag or ReadMaxLagBytes is
	// skipped; each is checked every ReadCheckInterval.
	ReadMaxLag        time.Duration
	ReadMaxLagBytes   int
	ReadCheckInterval time.Duration
}

// Load reads the configuration from the environment.
func Load() (Config, error) {
	c := Config{
		DatabaseURL: os.Getenv("DATABASE_URL"),
		DataDir:     env("DATA_DIR", ".data"),
		LogFormat:   env("LOG_FORMAT", "text"),
		LogLevel:    env("LOG_LEVEL", "info"),

		JWTSecret:        os.Getenv("JWT_HS256_SECRET"),
		JWTPublicKeyFile: os.Getenv("JWT_PUBLIC_KEY_FILE"),
		JWTJWKSFile:      os.Getenv("JWT_JWKS_FILE"),
		JWTIssuer:        os.Getenv("JWT_ISSUER"),
		JWTAudience:      os.Getenv("JWT_AUDIENCE"),
	}
	var errs []string
	intVar := func(dst *int, name string, def int) {
		*dst = def
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				errs = append(errs, fmt.Sprintf("%s=%q is not a non-negative integer", name, v))
				return
			}
			*dst = n
		}
	}
	durVar := func(dst *time.Duration, name string, def time.Duration) {
		*dst = def
		if v := os.Getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				errs = append(errs, fmt.Sprintf("%s=%q is not a duration such as 10s", name, v))
				return
			}
			*dst = d
		}
	}
	boolVar := func(dst *bool, name string, def bool) {
		*dst = def
		if v := os.Getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q is not true or false", name, v))
				return
			}
			*dst = b
		}
	}
	intVar(&c.Port, "PORT", 8080)
	durVar(&c.RequestTimeout, "REQUEST_TIMEOUT", 15*time.Second)
	durVar(&c.ShutdownGrace, "SHUTDOWN_TIMEOUT", 20*time.Second)
	intVar(&c.MaxDepth, "MAX_QUERY_DEPTH", 20)
	intVar(&c.MaxCost, "MAX_QUERY_COST", 250_000)
	boolVar(&c.SQLStats, "SQL_STATS", c.DatabaseURL == "")
	boolVar(&c.Playground, "PLAYGROUND", true)
	intVar(&c.DBMaxConns, "DB_MAX_CONNS", 20)
	intVar(&c.DBStatements, "DB_STATEMENT_CACHE", 100)
	intVar(&c.DBTenantMaxConns, "DB_TENANT_MAX_CONNS", max(1, c.DBMaxConns/4))
	intVar(&c.MaxSearchTerms, "MAX_SEARCH_TERMS", 8)
	durVar(&c.LoaderWait, "LOADER_WAIT", 2*time.Millisecond)
	boolVar(&c.Seed, "SEED_DEMO", c.DatabaseURL == "")
	durVar(&c.JWTLeeway, "JWT_LEEWAY", 30*time.Second)
	durVar(&c.AuthCacheTTL, "AUTH_CACHE_TTL", 5*time.Second)
	intVar(&c.AuthCacheSize, "AUTH_CACHE_SIZE", 10_000)
	boolVar(&c.DevAuth, "DEV_AUTH", c.DatabaseURL == "")
	c.CORSOrigins, errs = corsOrigins(c.DatabaseURL == "", errs)
	durVar(&c.CORSMaxAge, "CORS_MAX_AGE", 10*time.Minute)
	intVar(&c.MaxBatch, "MAX_BATCH_SIZE", 10)
	if c.MaxBatch == 0 {
		errs = append(errs, "MAX_BATCH_SIZE=0: a batch needs room for one operation at least")
	}

	c.Host = env("HOST", "127.0.0.1")
	if c.DatabaseURL != "" {
		c.Host = env("HOST", "")
	}
	c.DatabaseMigrateURL = os.Getenv("DATABASE_MIGRATE_URL")
	if c.DatabaseMigrateURL != "" && c.DatabaseURL == "" {
		errs = append(errs, "DATABASE_MIGRATE_URL is set without DATABASE_URL: the embedded database makes its own roles")
	}
	c.DatabaseListenURL = os.Getenv("DATABASE_LISTEN_URL")
	if c.DatabaseListenURL != "" && c.DatabaseURL == "" {
		errs = append(errs, "DATABASE_LISTEN_URL is set without DATABASE_URL: the embedded database listens on its own")
	}
	boolVar(&c.Metrics, "METRICS", true)
	intVar(&c.MetricsMaxOperations, "METRICS_MAX_OPERATIONS", 100)
	if c.Metrics && c.MetricsMaxOperations == 0 {
		errs = append(errs, "METRICS_MAX_OPERATIONS=0: give operations room for one name at least, or set METRICS=false")
	}
	c.TracingEndpoint, errs = tracingEndpoint(errs)
	intVar(&c.MaxBodyBytes, "MAX_BODY_BYTES", 0)
	intVar(&c.MaxQueryTokens, "MAX_QUERY_TOKENS", 0)
	intVar(&c.MaxQueryFields, "MAX_QUERY_FIELDS", 0)
	intVar(&c.MaxSelectionFields, "MAX_SELECTION_FIELDS", 0)
	intVar(&c.MaxQueryAliases, "MAX_QUERY_ALIASES", 0)
	intVar(&c.MaxFieldDirectives, "MAX_FIELD_DIRECTIVES", 0)
	intVar(&c.MaxQueryDirectives, "MAX_QUERY_DIRECTIVES", 0)
	intVar(&c.MaxFragmentSpreads, "MAX_FRAGMENT_SPREADS", 0)
	intVar(&c.MaxIntrospectionFields, "MAX_INTROSPECTION_FIELDS", 0)
	intVar(&c.MaxIntrospectionDepth, "MAX_INTROSPECTION_DEPTH", 0)
	intVar(&c.MaxResponseBytes, "MAX_RESPONSE_BYTES", 0)
	for _, u := range strings.Split(os.Getenv("DATABASE_READ_URL"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			c.DatabaseReadURLs = append(c.DatabaseReadURLs, u)
		}
	}
	durVar(&c.ReadMaxLag, "DB_READ_MAX_LAG", 5*time.Second)
	intVar(&c.ReadMaxLagBytes, "DB_READ_MAX_LAG_BYTES", 16<<20)
	durVar(&c.ReadCheckInterval, "DB_READ_CHECK_INTERVAL", 200*time.Millisecond)
	if c.Port == 0 || c.Port > 65535 {
		errs = append(errs, fmt.Sprintf("PORT=%d is not a TCP port", c.Port))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Sprintf("LOG_FORMAT=%q must be text or json", c.LogFormat))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// MaskURL hides the password of a database URL for logging.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User == nil {
		return u.String()
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// DevCORSOrigins are the origins allowed by default with the embedded
// database: a single-page app's dev server on this machine, any port.
var DevCORSOrigins = []string{"http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"}

// corsOrigins reads CORS_ORIGINS, a comma-separated list. Set but empty,
// it allows no other origin even in development.
func corsOrigins(dev bool, errs []string) ([]string, []string) {
	v, set := os.LookupEnv("CORS_ORIGINS")
	if !set {
		if dev {
			return DevCORSOrigins, errs
		}
		return nil, errs
	}
	var out []string
	for _, o := range strings.Split(v, ",") {
		o = strings.TrimSpace(o)
		switch {
		case o == "":
		case o == "*":
			out = append(out, o)
		case !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://"),
			strings.Count(o, "*") > 1, strings.HasSuffix(o, "/"):
			errs = append(errs, fmt.Sprintf("CORS_ORIGINS: %q is not an origin such as https://app.example.com or http://localhost:*", o))
		default:
			out = append(out, o)
		}
	}
	return out, errs
}

// tracingEndpoint reads the standard OpenTelemetry variables that decide
// whether traces are exported, and refuses the settings the server cannot
// honour: it exports over OTLP/HTTP only, so a gRPC setting (port 4317)
// would lose every span silently.
func tracingEndpoint(errs []string) (string, []string) {
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		switch p := os.Getenv(name); p {
		case "", "http/protobuf", "http/json":
		default:
			errs = append(errs, fmt.Sprintf("%s=%q: traces are exported over OTLP/HTTP only (http/protobuf or http/json), to the collector's HTTP port (4318)", name, p))
		}
	}
	exporter := os.Getenv("OTEL_TRACES_EXPORTER")
	switch exporter {
	case "", "otlp", "none":
	default:
		errs = append(errs, fmt.Sprintf("OTEL_TRACES_EXPORTER=%q: only otlp and none are supported", exporter))
	}
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") || exporter == "none" {
		return "", errs
	}
	return cmp.Or(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")), errs
}
