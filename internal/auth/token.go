package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// TokenConfig says which bearer tokens the server accepts.
type TokenConfig struct {
	HS256Secret   []byte // shared secret for HS256; empty disables HS256
	PublicKeyFile string // PEM file of RSA/ECDSA public keys for RS256/ES256
	JWKSFile      string // JSON Web Key Set file for RS256/ES256
	Issuer        string // required iss, if set
	Audience      string // required aud, if set
	Leeway        time.Duration
}

// TokenVerifier checks bearer JWTs: signature, exp (required), nbf, and
// optionally iss and aud. The sub claim names the user.
type TokenVerifier struct {
	cfg     TokenConfig
	keys    map[string]any // kid → public key (kid "" for keys without one)
	methods []string
}

// NewTokenVerifier loads the configured keys; nil when none is configured.
func NewTokenVerifier(cfg TokenConfig) (*TokenVerifier, error) {
	v := &TokenVerifier{cfg: cfg, keys: map[string]any{}}
	if len(cfg.HS256Secret) > 0 {
		if len(cfg.HS256Secret) < 32 {
			return nil, errors.New("JWT_HS256_SECRET must be at least 32 bytes")
		}
		v.methods = append(v.methods, "HS256")
	}
	if cfg.PublicKeyFile != "" {
		if err := v.loadPEM(cfg.PublicKeyFile); err != nil {
			return nil, err
		}
	}
	if cfg.JWKSFile != "" {
		if err := v.loadJWKS(cfg.JWKSFile); err != nil {
			return nil, err
		}
	}
	if len(v.keys) > 0 {
		v.methods = append(v.methods, "RS256", "ES256")
	}
	if len(v.methods) == 0 {
		return nil, nil
	}
	return v, nil
}

type claims struct {
	jwt.RegisteredClaims
	Tenant string `json:"tenant,omitempty"` // optional tenant slug
}

// Verified is what a token that passed every check says.
type Verified struct {
	UserID string
	Tenant string // optional tenant slug
	// Until is when the token stops being accepted: its exp plus the
	// leeway.
	Until time.Time
}

// Verify checks a token and returns what it says.
func (v *TokenVerifier) Verify(token string) (Verified, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(v.methods),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(v.cfg.Leeway),
	}
	if v.cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.cfg.Issuer))
	}
	if v.cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.cfg.Audience))
	}
	var c claims
	if _, err := jwt.ParseWithClaims(token, &c, v.key, opts...); err != nil {
		return Verified{}, unauthenticated("%s", jwtErrorMessage(err))
	}
	id, err := uuid.Parse(c.Subject)
	if err != nil {
		return Verified{}, unauthenticated("token subject is not a user ID")
	}
	// exp is required, so the parser has checked that it is there.
	return Verified{UserID: id.String(), Tenant: c.Tenant, Until: c.ExpiresAt.Add(v.cfg.Leeway)}, nil
}

// key picks the verification key for a token by algorithm and kid.
func (v *TokenVerifier) key(t *jwt.Token) (any, error) {
	if t.Method.Alg() == "HS256" {
		return v.cfg.HS256Secret, nil
	}
	kid, _ := t.Header["kid"].(string)
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	if kid == "" && len(v.keys) == 1 {
		for _, k := range v.keys {
			return k, nil
		}
	}
	return nil, fmt.Errorf("no key with kid %q", kid)
}

func (v *TokenVerifier) loadPEM(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("JWT public key file: %w", err)
	}
	n := 0
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return fmt.Errorf("JWT public key file %s: %w", path, err)
		}
		kid := block.Headers["kid"]
		if n > 0 && kid == "" {
			kid = fmt.Sprint(n)
		}
		v.keys[kid] = key
		n++
	}
	if n == 0 {
		return fmt.Errorf("JWT public key file %s holds no PEM public key", path)
	}
	return nil
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func (v *TokenVerifier) loadJWKS(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("JWKS file: %w", err)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return fmt.Errorf("JWKS file %s: %w", path, err)
	}
	for _, k := range set.Keys {
		key, err := k.publicKey()
		if err != nil {
			return fmt.Errorf("JWKS file %s, key %q: %w", path, k.Kid, err)
		}
		v.keys[k.Kid] = key
	}
	if len(set.Keys) == 0 {
		return fmt.Errorf("JWKS file %s holds no keys", path)
	}
	return nil
}

func b64int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}

func (k jwk) publicKey() (any, error) {
	switch k.Kty {
	case "RSA":
		n, err := b64int(k.N)
		if err != nil {
			return nil, err
		}
		e, err := b64int(k.E)
		if err != nil {
			return nil, err
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		if k.Crv != "P-256" {
			return nil, fmt.Errorf("curve %q not supported (ES256 uses P-256)", k.Crv)
		}
		x, errX := base64.RawURLEncoding.DecodeString(k.X)
		y, errY := base64.RawURLEncoding.DecodeString(k.Y)
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			return nil, fmt.Errorf("P-256 coordinates must be 32 bytes of base64url")
		}
		// The parser checks that the point is on the curve, which building
		// the key from raw coordinates would not.
		return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	}
	return nil, fmt.Errorf("key type %q not supported", k.Kty)
}

// SignHS256 makes a token for userID, for development and tests.
func SignHS256(secret []byte, userID, tenant string, ttl time.Duration) (string, error) {
	now := time.Now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   userID,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Tenant: tenant,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
}
