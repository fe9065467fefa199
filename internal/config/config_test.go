package config

import (
	"strconv"
	"strings"
	"testing"
)

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
