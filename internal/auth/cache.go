package auth

import (
	"crypto/sha256"
	"encoding/binary"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// CacheConfig sets how long verified principals are reused. A client that
// sends many requests with the same credentials then costs one credential
// lookup per TTL instead of one per request.
//
// TTL is also the bound on how stale a cached principal can be: a change
// made by another server process or directly in the database (a revoked
// key, a terminated account, a deactivated membership, a new subsidiary)
// reaches this process within TTL. Changes made through this process's own
// mutations take effect at once (Authenticator.Forget).
type CacheConfig struct {
	TTL  time.Duration // 0 disables the cache: every request is checked against the database
	Size int           // most principals kept, least recently used evicted first; 0 means 10,000
}

// DefaultCacheSize is the cache size when CacheConfig.Size is 0.
const DefaultCacheSize = 10_000

// cacheKey identifies exactly what a principal was derived from: the
// Authorization value (the token, or the API key with its secret) and the
// two headers that change the result, X-Tenant and enterprise-id. It is a
// SHA-256, so that secrets are not kept in memory as map keys; each part is
// length-prefixed, so that no two different triples share an input.
type cacheKey [sha256.Size]byte

func keyOf(authorization, tenant, target string) cacheKey {
	buf := make([]byte, 0, 24+len(authorization)+len(tenant)+len(target))
	for _, s := range [...]string{authorization, tenant, target} {
		buf = binary.BigEndian.AppendUint64(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	return sha256.Sum256(buf)
}

// cached is a verified principal and how long it may be reused.
type cached struct {
	p     *Principal
	until time.Time // the earliest of: verified + TTL, the token's expiry, the account's expires_at
	gen   uint64    // the cache's generation when the credentials were read
}

// principalCache keeps successful authentications only: a refused
// credential is checked again at its next use, so that a failure is never
// remembered longer than a success (an invited member, a reactivated
// membership work at once). Principals are shared by the requests that
// reuse them; nothing changes a Principal after it is made.
type principalCache struct {
	ttl     time.Duration
	entries *lru.Cache[cacheKey, cached]
	// gen counts Forget calls. An entry whose credentials were read before
	// the latest Forget is never served, even if it was stored after it.
	gen atomic.Uint64
}

func newPrincipalCache(cfg CacheConfig) *principalCache {
	if cfg.TTL <= 0 {
		return nil
	}
	size := cfg.Size
	if size <= 0 {
		size = DefaultCacheSize
	}
	entries, err := lru.New[cacheKey, cached](size)
	if err != nil {
		panic(err) // only for a size <= 0, excluded above
	}
	return &principalCache{ttl: cfg.TTL, entries: entries}
}

// get returns the principal cached under k if it is still valid at now.
func (c *principalCache) get(k cacheKey, now time.Time) *Principal {
	e, ok := c.entries.Get(k)
	if !ok {
		return nil
	}
	if e.gen != c.gen.Load() || !now.Before(e.until) {
		c.entries.Remove(k)
		return nil
	}
	return e.p
}

// generation is read before the credentials are: put stores with it.
func (c *principalCache) generation() uint64 { return c.gen.Load() }

// put keeps p, verified at now from credentials read at generation gen,
// until the earliest of now + TTL and until (zero for no other limit).
func (c *principalCache) put(k cacheKey, gen uint64, p *Principal, now, until time.Time) {
	end := now.Add(c.ttl)
	if !until.IsZero() && until.Before(end) {
		end = until
	}
	if !now.Before(end) {
		return
	}
	c.entries.Add(k, cached{p: p, until: end, gen: gen})
}

// forget drops every entry, including those being verified right now.
func (c *principalCache) forget() {
	c.gen.Add(1)
	c.entries.Purge()
}
