package jwt

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// FuzzCheck feeds arbitrary Authorization values to an HS256 verifier. Nothing may panic, every refusal carries
// a known code, and whatever passes must be a token the library itself accepts with the pinned algorithm.
func FuzzCheck(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	valid := signHS256(f, hsSecret, claims(now, map[string]any{"tenant": "t1"}))
	none, _ := gojwt.NewWithClaims(gojwt.SigningMethodNone, claims(now, nil)).SignedString(gojwt.UnsafeAllowNoneSignatureType)
	for _, seed := range []string{"Bearer " + valid, `Bearer "` + valid + `"`, "Bearer " + none, "Basic abc", "bearer a.b.c",
		"Bearer " + strings.Replace(valid, ".", "..", 1), "Bearer eyJhbGciOiJIUzI1NiJ9.e30.", ""} {
		f.Add(seed)
	}
	cfg := Config{Algorithm: HS256, Secret: hsSecret, LeewaySeconds: 5, Claims: []Claim{
		{Name: "tenant", Type: ClaimArray, Values: []string{"t1", "t2"}, Required: true, VerifyValue: true}}}
	s := testState(f, cfg, nil)
	codes := map[string]bool{CodeMissing: true, CodeMalformed: true, CodeInvalid: true, CodeExpired: true,
		CodeNotYetValid: true, CodeClaim: true}
	f.Fuzz(func(t *testing.T, auth string) {
		fail := s.check([]byte(auth), now)
		if fail.code != "" {
			if !codes[fail.code] {
				t.Fatalf("unknown code %q", fail.code)
			}
			return
		}
		token, _ := bearerToken([]byte(auth))
		_, err := gojwt.NewParser(gojwt.WithValidMethods([]string{HS256}), gojwt.WithTimeFunc(func() time.Time { return now }),
			gojwt.WithLeeway(5*time.Second)).Parse(string(token), func(*gojwt.Token) (any, error) { return []byte(hsSecret), nil })
		if err != nil {
			t.Fatalf("accepted %q, which the library refuses: %v", auth, err)
		}
	})
}

// FuzzParseJWKS feeds arbitrary documents to the JWKS reader: no panic, and a parsed set only holds usable keys.
func FuzzParseJWKS(f *testing.F) {
	k := testKey(f, 0)
	doc, _ := json.Marshal(map[string]any{"keys": []any{jwk(k, "a"), map[string]string{"kty": "EC"}}})
	f.Add(string(doc))
	f.Add(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`)
	f.Add(`{"keys":[{"kty":"RSA","kid":"x","n":"` + strings.Repeat("_", 400) + `","e":"AAEAAQ"}]}`)
	f.Add(`{"keys":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		s, err := parseJWKS([]byte(body))
		if err != nil {
			return
		}
		if len(s.byKID) == 0 || len(s.byKID) > jwksMaxKeys {
			t.Fatalf("%d keys", len(s.byKID))
		}
		for kid, k := range s.byKID {
			if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits || k.E < 3 || k.E%2 == 0 {
				t.Fatalf("key %q: %d bits, e=%d", kid, bits, k.E)
			}
		}
		if (s.only != nil) != (len(s.byKID) == 1) {
			t.Fatal("only is set exactly when the set has one key")
		}
	})
}
