// Package config reads the server's settings from the environment. Every
// setting has a default that suits a developer machine; the README lists
// them all.
package config

import (
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
	LoaderWait     time.Duration
	Seed           bool // seed an empty database with demo data at start-up
	// Bearer tokens: an HS256 secret and/or RS256/ES256 public keys.
	JWTSecret        string
	JWTPublicKeyFile string
	JWTJWKSFile      string
	JWTIssuer        string
	JWTAudience      string
	JWTLeeway        time.Duration
	// DevAuth makes the server mint a development token for the demo data
	// and hand it to the playground; on by default with the embedded database.
	DevAuth bool
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
	durVar(&c.LoaderWait, "LOADER_WAIT", 2*time.Millisecond)
	boolVar(&c.Seed, "SEED_DEMO", true)
	durVar(&c.JWTLeeway, "JWT_LEEWAY", 30*time.Second)
	boolVar(&c.DevAuth, "DEV_AUTH", c.DatabaseURL == "")
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
