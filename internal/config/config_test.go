package config

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCORSOrigins(t *testing.T) {
	cases := []struct {
		name        string
		databaseURL string
		origins     *string // nil: CORS_ORIGINS unset
		want        []string
		wantErr     string
	}{
		{"embedded database: localhost origins", "", nil, DevCORSOrigins, ""},
		{"DATABASE_URL: none", "postgres://db/x", nil, nil, ""},
		{"set but empty: none, even in development", "", ptr(""), nil, ""},
		{"a list", "postgres://db/x", ptr(" https://app.example.com, http://localhost:* "), []string{"https://app.example.com", "http://localhost:*"}, ""},
		{"any origin", "postgres://db/x", ptr("*"), []string{"*"}, ""},
		{"no scheme", "", ptr("app.example.com"), nil, "CORS_ORIGINS"},
		{"a path", "", ptr("https://app.example.com/"), nil, "CORS_ORIGINS"},
		{"two wildcards", "", ptr("https://*.example.*"), nil, "CORS_ORIGINS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", c.databaseURL)
			if c.origins != nil {
				t.Setenv("CORS_ORIGINS", *c.origins)
			}
			cfg, err := Load()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.CORSOrigins, c.want) {
				t.Errorf("CORSOrigins %q, want %q", cfg.CORSOrigins, c.want)
			}
		})
	}
}

func TestBrowserDefaults(t *testing.T) {
	cfg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxBatch != 10 || cfg.CORSMaxAge != 10*time.Minute {
		t.Errorf("MaxBatch %d, CORSMaxAge %s; want 10 and 10m", cfg.MaxBatch, cfg.CORSMaxAge)
	}
	t.Setenv("MAX_BATCH_SIZE", "0")
	if _, err := Load(); err == nil {
		t.Error("MAX_BATCH_SIZE=0 should be refused")
	}
}

func ptr(s string) *string { return &s }

// clearEnv unsets (for the test) the settings these tests look at, so that
// the developer's environment cannot change their outcome.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{"DATABASE_URL", "DATABASE_MIGRATE_URL", "SEED_DEMO", "DEV_AUTH", "HOST", "SQL_STATS"} {
		t.Setenv(name, "")
	}
}

// TestDefaultsFollowTheDatabase: without DATABASE_URL (make run's embedded
// database) the server listens on 127.0.0.1 only, loads the demo data and
// hands out development credentials; with DATABASE_URL it listens on every
// interface and does neither unless asked.
func TestDefaultsFollowTheDatabase(t *testing.T) {
	clearEnv(t)
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "127.0.0.1" || !c.Seed || !c.DevAuth || c.DatabaseMigrateURL != "" {
		t.Errorf("embedded database: HOST %q, SEED_DEMO %v, DEV_AUTH %v, DATABASE_MIGRATE_URL %q; want 127.0.0.1, true, true, empty",
			c.Host, c.Seed, c.DevAuth, c.DatabaseMigrateURL)
	}

	t.Setenv("DATABASE_URL", "postgres://catalogue_server@db.internal/catalogue")
	if c, err = Load(); err != nil {
		t.Fatal(err)
	}
	if c.Host != "" || c.Seed || c.DevAuth {
		t.Errorf("DATABASE_URL: HOST %q, SEED_DEMO %v, DEV_AUTH %v; want every interface, no demo data, no development credentials",
			c.Host, c.Seed, c.DevAuth)
	}

	t.Setenv("SEED_DEMO", "true")
	t.Setenv("HOST", "10.1.2.3")
	t.Setenv("DATABASE_MIGRATE_URL", "postgres://catalogue_owner@db.internal/catalogue")
	if c, err = Load(); err != nil {
		t.Fatal(err)
	}
	if !c.Seed || c.Host != "10.1.2.3" || c.DatabaseMigrateURL != "postgres://catalogue_owner@db.internal/catalogue" {
		t.Errorf("asked explicitly: SEED_DEMO %v, HOST %q, DATABASE_MIGRATE_URL %q", c.Seed, c.Host, c.DatabaseMigrateURL)
	}
}

// TestHostOverridesTheDevelopmentDefault: HOST=0.0.0.0 opens a development
// server to the network when wanted.
func TestHostOverridesTheDevelopmentDefault(t *testing.T) {
	clearEnv(t)
	t.Setenv("HOST", "0.0.0.0")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "0.0.0.0" {
		t.Errorf("HOST=0.0.0.0 gives %q", c.Host)
	}
}

// TestMigrateURLNeedsDatabaseURL: the embedded database makes its own
// roles, so an owner URL without DATABASE_URL is a mistake, said at once.
func TestMigrateURLNeedsDatabaseURL(t *testing.T) {
	clearEnv(t)
	t.Setenv("DATABASE_MIGRATE_URL", "postgres://catalogue_owner@db.internal/catalogue")
	_, err := Load()
	if err == nil || !strings.Contains(err.Error(), "DATABASE_MIGRATE_URL") {
		t.Errorf("Load() error %v, want one naming DATABASE_MIGRATE_URL", err)
	}
}

// TestLimitSettings: each limit on requests is read from its variable;
// unset, it is 0, which the api package reads as its default; a value that
// is not a non-negative integer is refused, naming the variable.
func TestLimitSettings(t *testing.T) {
	var c Config
	settings := []struct {
		name  string
		field *int
	}{
		{"MAX_BODY_BYTES", &c.MaxBodyBytes},
		{"MAX_QUERY_TOKENS", &c.MaxQueryTokens},
		{"MAX_QUERY_FIELDS", &c.MaxQueryFields},
		{"MAX_SELECTION_FIELDS", &c.MaxSelectionFields},
		{"MAX_QUERY_ALIASES", &c.MaxQueryAliases},
		{"MAX_FIELD_DIRECTIVES", &c.MaxFieldDirectives},
		{"MAX_QUERY_DIRECTIVES", &c.MaxQueryDirectives},
		{"MAX_FRAGMENT_SPREADS", &c.MaxFragmentSpreads},
		{"MAX_INTROSPECTION_FIELDS", &c.MaxIntrospectionFields},
		{"MAX_INTROSPECTION_DEPTH", &c.MaxIntrospectionDepth},
		{"MAX_RESPONSE_BYTES", &c.MaxResponseBytes},
	}
	load := func() {
		t.Helper()
		var err error
		if c, err = Load(); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range settings {
		t.Setenv(s.name, "")
	}
	load()
	for _, s := range settings {
		if *s.field != 0 {
			t.Errorf("%s unset: %d, want 0 (the api package's default)", s.name, *s.field)
		}
	}
	for i, s := range settings {
		t.Setenv(s.name, strconv.Itoa(1000+i))
	}
	load()
	for i, s := range settings {
		if *s.field != 1000+i {
			t.Errorf("%s=%d: read %d", s.name, 1000+i, *s.field)
		}
	}
	for _, s := range settings {
		t.Setenv(s.name, "-1")
		if _, err := Load(); err == nil || !strings.Contains(err.Error(), s.name) {
			t.Errorf("%s=-1: error %v, want one naming %s", s.name, err, s.name)
		}
		t.Setenv(s.name, "")
	}
}
