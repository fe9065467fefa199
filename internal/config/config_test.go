package config

import (
	"slices"
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
