package jwt

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// benchToken is a realistic RS256 token from a JWKS, and a verifier for it with the contract's claim rules.
func benchSetup(b *testing.B) (*state, string) {
	key := testKey(b, 0)
	srv := newJWKSServer(b, jwk(key, "k1"))
	s := testState(b, Config{Algorithm: RS256, JWKSURI: srv.URL, LeewaySeconds: 30, Claims: []Claim{
		{Name: "iss", Type: ClaimString, Values: []string{"https://id.example.com"}, Required: true, VerifyValue: true},
		{Name: "aud", Type: ClaimArray, Values: []string{"shop", "admin"}, VerifyValue: true},
	}}, nil)
	token := signRS256(b, key, "k1", claims(time.Now(), map[string]any{"scope": "products:read products:write",
		"email": "user@example.com", "name": "A User"}))
	return s, "Bearer " + token
}

// BenchmarkRS256Cold is a full verification: JWS split and base64, JSON decoding, RSA-2048 verification, claims.
func BenchmarkRS256Cold(b *testing.B) {
	s, auth := benchSetup(b)
	token := strings.TrimPrefix(auth, "Bearer ")
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, f := s.verify(token, now); f.code != "" {
			b.Fatal(f)
		}
	}
}

// BenchmarkRS256Warm is the same token through the whole plugin once it is cached: the Authorization header read
// through the ABI, a seeded hash of the token, a sharded map lookup and a comparison.
func BenchmarkRS256Warm(b *testing.B) {
	s, auth := benchSetup(b)
	p := &Verifier{s: s}
	ex := memexchange.New(memexchange.Request{Header: http.Header{"Authorization": {auth}}})
	if next, _ := p.HandleRequest(ex); !next {
		b.Fatal(ex.Response())
	}
	b.ReportAllocs()
	for b.Loop() {
		if next, _ := p.HandleRequest(ex); !next {
			b.Fatal(ex.Response())
		}
	}
	if n := s.verifications.Load(); n != 1 {
		b.Fatalf("%d full verifications, want 1", n)
	}
}

// BenchmarkRS256WarmParallel is the warm path from every core at once (the cache's locks are sharded).
func BenchmarkRS256WarmParallel(b *testing.B) {
	s, auth := benchSetup(b)
	p := &Verifier{s: s}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ex := memexchange.New(memexchange.Request{Header: http.Header{"Authorization": {auth}}})
		for pb.Next() {
			if next, _ := p.HandleRequest(ex); !next {
				b.Error(ex.Response())
				return
			}
		}
	})
}
