package auth

import (
	"testing"
	"time"
)

// The cache's own rules, which the end-to-end tests in internal/api cannot
// time precisely: the size bound, the earliest of the limits, and that an
// authentication overtaken by Forget is not served.
func TestPrincipalCache(t *testing.T) {
	now := time.Now()
	p := &Principal{UserID: "u"}
	k := keyOf("Bearer t", "", "")

	t.Run("off", func(t *testing.T) {
		if newPrincipalCache(CacheConfig{}) != nil {
			t.Error("a zero TTL should disable the cache")
		}
	})
	t.Run("TTL", func(t *testing.T) {
		c := newPrincipalCache(CacheConfig{TTL: time.Second})
		c.put(k, c.generation(), p, now, time.Time{})
		if c.get(k, now.Add(999*time.Millisecond)) != p {
			t.Error("not served within the TTL")
		}
		if c.get(k, now.Add(time.Second)) != nil {
			t.Error("served at the end of the TTL")
		}
	})
	t.Run("expiry before the TTL", func(t *testing.T) {
		c := newPrincipalCache(CacheConfig{TTL: time.Minute})
		c.put(k, c.generation(), p, now, now.Add(time.Second))
		if c.get(k, now.Add(time.Second)) != nil {
			t.Error("served once the token or account expired")
		}
		c.put(k, c.generation(), p, now, now)
		if c.get(k, now) != nil {
			t.Error("an already expired principal was kept")
		}
	})
	t.Run("forget", func(t *testing.T) {
		c := newPrincipalCache(CacheConfig{TTL: time.Minute})
		c.put(k, c.generation(), p, now, time.Time{})
		c.forget()
		if c.get(k, now) != nil {
			t.Error("served after forget")
		}
		// Credentials read before forget, stored after it.
		gen := c.generation()
		c.forget()
		c.put(k, gen, p, now, time.Time{})
		if c.get(k, now) != nil {
			t.Error("a principal read before forget was served after it")
		}
	})
	t.Run("size", func(t *testing.T) {
		c := newPrincipalCache(CacheConfig{TTL: time.Minute, Size: 2})
		keys := []cacheKey{keyOf("a", "", ""), keyOf("b", "", ""), keyOf("c", "", "")}
		for _, k := range keys {
			c.put(k, c.generation(), p, now, time.Time{})
		}
		if c.entries.Len() != 2 || c.get(keys[0], now) != nil || c.get(keys[2], now) != p {
			t.Errorf("want the 2 most recent of 3 principals kept, have %d", c.entries.Len())
		}
	})
	t.Run("key", func(t *testing.T) {
		distinct := [][3]string{
			{"Bearer t", "", ""}, {"Bearer t", "acme", ""}, {"Bearer t", "", "acme"},
			{"Bearer t", "a", "cme"}, {"Bearer t", "acm", "e"}, {"Bearer ta", "", ""}, {"Bearer t ", "", ""},
		}
		seen := map[cacheKey][3]string{}
		for _, d := range distinct {
			k := keyOf(d[0], d[1], d[2])
			if prev, ok := seen[k]; ok {
				t.Errorf("%q and %q share a key", prev, d)
			}
			seen[k] = d
		}
	})
}
