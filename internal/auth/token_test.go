package auth

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A JWKS key whose point is not on its curve is refused when the file is
// loaded, instead of becoming a verification key.
func TestJWKSRejectsPointsOffTheCurve(t *testing.T) {
	coord := func(b byte) string {
		return base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat(string(b), 32)))
	}
	path := filepath.Join(t.TempDir(), "jwks.json")
	doc := `{"keys":[{"kty":"EC","kid":"bad","crv":"P-256","x":"` + coord(1) + `","y":"` + coord(2) + `"}]}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewTokenVerifier(TokenConfig{JWKSFile: path}); err == nil {
		t.Fatal("a key off the P-256 curve was accepted")
	}
}
