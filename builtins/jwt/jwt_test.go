package jwt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/portico-gateway/portico/runtime/abi"
)

func TestConfigErrors(t *testing.T) {
	pem := publicPEM(t, testKey(t, 0))
	pemJSON, _ := json.Marshal(pem)
	tests := []struct{ name, config, want string }{
		{"empty", ``, "config: missing"},
		{"unknown field", `{"algorithm":"HS256","secret":"s","issuer":"x"}`, `unknown field "issuer"`},
		{"wrong type", `{"type":"hmac","algorithm":"HS256","secret":"s"}`, `type: "hmac" is not "jwt"`},
		{"no algorithm", `{"secret":"s"}`, `algorithm: "" is not "HS256" or "RS256"`},
		{"none", `{"algorithm":"none","secret":"s"}`, `algorithm: "none"`},
		{"ES256", `{"algorithm":"ES256","secret":"s"}`, `algorithm: "ES256"`},
		{"hs256 no secret", `{"algorithm":"HS256"}`, "secret: required with HS256"},
		{"hs256 with pem", `{"algorithm":"HS256","secret":"s","publicKeyPem":` + string(pemJSON) + `}`, "only with RS256"},
		{"rs256 with secret", `{"algorithm":"RS256","secret":"s","jwksUri":"http://x/"}`, "secret: only with HS256"},
		{"rs256 nothing", `{"algorithm":"RS256"}`, "exactly one"},
		{"rs256 both", `{"algorithm":"RS256","jwksUri":"http://x/","publicKeyPem":` + string(pemJSON) + `}`, "exactly one"},
		{"bad pem", `{"algorithm":"RS256","publicKeyPem":"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}`, "publicKeyPem: not a PEM RSA public key"},
		{"bad uri", `{"algorithm":"RS256","jwksUri":"ftp://x/keys"}`, "jwksUri: not an absolute http or https URI"},
		{"relative uri", `{"algorithm":"RS256","jwksUri":"/keys"}`, "jwksUri"},
		{"leeway", `{"algorithm":"HS256","secret":"s","leewaySeconds":86401}`, "leewaySeconds: 86401 is not between 0 and 86400"},
		{"claim no name", `{"algorithm":"HS256","secret":"s","claims":[{"type":"string"}]}`, "claims[0].name: required"},
		{"claim type", `{"algorithm":"HS256","secret":"s","claims":[{"name":"iss","type":"number"}]}`, `claims[0].type: "number"`},
		{"claim no values", `{"algorithm":"HS256","secret":"s","claims":[{"name":"iss","type":"string","verifyValue":true}]}`, "claims[0].values: verifyValue needs"},
		{"string claim two values", `{"algorithm":"HS256","secret":"s","claims":[{"name":"iss","type":"string","values":["a","b"]}]}`, "claims[0].values: a string claim has one value"},
		{"claim twice", `{"algorithm":"HS256","secret":"s","claims":[{"name":"iss","type":"string"},{"name":"iss","type":"array"}]}`, `claims[1].name: "iss" has a rule already`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(json.RawMessage(tt.config))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseConfig(%s) = %v, want %q", tt.config, err, tt.want)
			}
			if strings.Contains(err.Error(), `"s"`) {
				t.Fatalf("the secret leaks: %v", err)
			}
		})
	}
}

func TestContractConfig(t *testing.T) {
	// The stage setting of portico.example.yaml, as the lead hands it over.
	raw := `{"type":"jwt","algorithm":"RS256","jwksUri":"http://127.0.0.1:9100/.well-known/jwks.json","leewaySeconds":30,
		"claims":[{"name":"iss","type":"string","values":["https://id.example.com"],"required":true,"verifyValue":true},
		{"name":"aud","type":"array","values":["shop","admin"],"required":false,"verifyValue":true}]}`
	if err := abi.Default().ValidatePlugin("/", "", TypeName, "", json.RawMessage(raw)); err != nil {
		t.Fatal(err)
	}
	bc := abi.BuildContext{ServiceID: "shop0001", Stage: "test", Phase: abi.PhaseRequest, Logger: quietLogger}
	p, err := abi.Default().Build(TypeName, bc, json.RawMessage(`{"type":"jwt","algorithm":"HS256","secret":"`+hsSecret+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	next, resp := request(p, "Bearer "+signHS256(t, hsSecret, claims(time.Now(), nil)))
	wantCode(t, next, resp, "")
	if p, err := abi.Default().Build(TypeName, bc, json.RawMessage(`{"algorithm":"none"}`)); err == nil || p != nil {
		t.Fatalf("Build = %v, %v: want an error and a nil plugin", p, err)
	}
}

func TestSecretRedacted(t *testing.T) {
	c := Config{Algorithm: HS256, Secret: "top-secret-value", JWKSURI: "https://u:pw@id.example.com/keys?token=abc"}
	s := c.String() + c.LogValue().String()
	for _, leak := range []string{"top-secret-value", "pw", "token=abc"} {
		if strings.Contains(s, leak) {
			t.Fatalf("%q leaks in %s", leak, s)
		}
	}
}

const hsSecret = "a-256-bit-secret-a-256-bit-secret!"

func TestVerify(t *testing.T) {
	now := time.Now()
	key, other := testKey(t, 0), testKey(t, 1)
	pem := publicPEM(t, key)
	rules := []Claim{
		{Name: "iss", Type: ClaimString, Values: []string{"https://id.example.com"}, Required: true, VerifyValue: true},
		{Name: "aud", Type: ClaimArray, Values: []string{"shop", "admin"}, VerifyValue: true},
		{Name: "tenant", Type: ClaimString, Required: true},
	}
	rs := Config{Algorithm: RS256, PublicKeyPEM: pem, Claims: rules}
	rsLeeway := rs
	rsLeeway.LeewaySeconds = 30
	hs := Config{Algorithm: HS256, Secret: hsSecret, Claims: rules}
	ok := func(extra map[string]any) gojwt.MapClaims {
		m := map[string]any{"tenant": "t1"}
		for k, v := range extra {
			m[k] = v
		}
		return claims(now, m)
	}
	none, err := gojwt.NewWithClaims(gojwt.SigningMethodNone, ok(nil)).SignedString(gojwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	good := signRS256(t, key, "", ok(nil))
	parts := strings.Split(good, ".")
	adminClaims := strings.Split(signRS256(t, other, "", ok(map[string]any{"sub": "admin"})), ".")[1]
	rsWith := func(extra map[string]any) []string { return []string{"Bearer " + signRS256(t, key, "", ok(extra))} }
	expIn := func(d time.Duration) map[string]any { return map[string]any{"exp": now.Add(d).Unix()} }
	nbfIn := func(d time.Duration) map[string]any { return map[string]any{"nbf": now.Add(d).Unix()} }
	tests := []struct {
		name   string
		cfg    Config
		header []string
		want   string
	}{
		{"RS256", rs, []string{"Bearer " + good}, ""},
		{"seed's quoted form", rs, []string{`Bearer "` + good + `"`}, ""},
		{"lower-case scheme", rs, []string{"bearer " + good}, ""},
		{"HS256", hs, []string{"Bearer " + signHS256(t, hsSecret, ok(nil))}, ""},
		{"no header", rs, nil, CodeMissing},
		{"basic", rs, []string{"Basic dXNlcjpwdw=="}, CodeMissing},
		{"bearer alone", rs, []string{"Bearer "}, CodeMissing},
		{"two headers", rs, []string{"Bearer " + good, "Bearer " + good}, CodeMalformed},
		{"not a jwt", rs, []string{"Bearer abc.def"}, CodeMalformed},
		{"bad characters", rs, []string{"Bearer a$b.c.d"}, CodeMalformed},
		{"bad json", rs, []string{"Bearer e30.bm90IGpzb24." + parts[2]}, CodeMalformed},
		{"too long", rs, []string{"Bearer " + strings.Repeat("a", maxTokenLength) + ".b.c"}, CodeMalformed},
		{"alg none", rs, []string{"Bearer " + none}, CodeInvalid},
		{"alg none against HS256", hs, []string{"Bearer " + none}, CodeInvalid},
		{"HS256 signed with the RS256 public key", rs, []string{"Bearer " + signHS256(t, pem, ok(nil))}, CodeInvalid},
		{"RS256 token against HS256", hs, []string{"Bearer " + good}, CodeInvalid},
		{"other key", rs, []string{"Bearer " + signRS256(t, other, "", ok(nil))}, CodeInvalid},
		{"wrong HS256 secret", hs, []string{"Bearer " + signHS256(t, "another-secret", ok(nil))}, CodeInvalid},
		{"tampered claims", rs, []string{"Bearer " + parts[0] + "." + adminClaims + "." + parts[2]}, CodeInvalid},
		{"expired", rs, rsWith(expIn(-10 * time.Second)), CodeExpired},
		{"expired within the leeway", rsLeeway, rsWith(expIn(-10 * time.Second)), ""},
		{"expired beyond the leeway", rsLeeway, rsWith(expIn(-40 * time.Second)), CodeExpired},
		{"not yet valid", rs, rsWith(nbfIn(10 * time.Second)), CodeNotYetValid},
		{"not yet valid within the leeway", rsLeeway, rsWith(nbfIn(10 * time.Second)), ""},
		{"not yet valid beyond the leeway", rsLeeway, rsWith(nbfIn(60 * time.Second)), CodeNotYetValid},
		{"exp not a number", rs, rsWith(map[string]any{"exp": "tomorrow"}), CodeMalformed},
		{"no exp", rs, rsWith(map[string]any{"exp": nil}), ""},
		{"wrong issuer", rs, rsWith(map[string]any{"iss": "https://evil.example.com"}), CodeClaim},
		{"issuer not a string", rs, rsWith(map[string]any{"iss": []string{"https://id.example.com"}}), CodeClaim},
		{"missing required issuer", rs, rsWith(map[string]any{"iss": nil}), CodeClaim},
		{"missing required claim without value check", rs, []string{"Bearer " + signRS256(t, key, "", claims(now, nil))}, CodeClaim},
		{"aud string in the set", rs, rsWith(map[string]any{"aud": "admin"}), ""},
		{"aud array intersects", rs, rsWith(map[string]any{"aud": []string{"blog", "admin"}}), ""},
		{"aud array disjoint", rs, rsWith(map[string]any{"aud": []string{"blog", "wiki"}}), CodeClaim},
		{"aud string outside", rs, rsWith(map[string]any{"aud": "blog"}), CodeClaim},
		{"aud absent, not required", rs, rsWith(map[string]any{"aud": nil}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, resp := request(&Verifier{s: testState(t, tt.cfg, nil)}, tt.header...)
			wantCode(t, next, resp, tt.want)
		})
	}
}

func TestCache(t *testing.T) {
	now := time.Now()
	key := testKey(t, 0)
	s := testState(t, Config{Algorithm: RS256, PublicKeyPEM: publicPEM(t, key)}, nil)
	exp := now.Add(2 * time.Minute)
	auth := []byte("Bearer " + signRS256(t, key, "", claims(now, map[string]any{"exp": exp.Unix()})))
	for i := range 3 {
		if f := s.check(auth, now.Add(time.Duration(i)*time.Second)); f.code != "" {
			t.Fatal(f)
		}
	}
	if n := s.verifications.Load(); n != 1 {
		t.Fatalf("%d full verifications for one token checked three times, want 1", n)
	}
	// At exp the entry is gone: the token is verified again, and refused.
	if f := s.check(auth, exp.Add(time.Second)); f.code != CodeExpired {
		t.Fatalf("after exp: %v, want %s", f, CodeExpired)
	}
	if n := s.verifications.Load(); n != 2 {
		t.Fatalf("%d verifications, want 2", n)
	}
	// Failures are not cached.
	bad := []byte("Bearer " + signRS256(t, testKey(t, 1), "", claims(now, nil)))
	s.check(bad, now)
	s.check(bad, now)
	if n := s.verifications.Load(); n != 4 {
		t.Fatalf("%d verifications, want 4", n)
	}
	// A token without exp is remembered for maxCacheAge only.
	noExp := []byte("Bearer " + signRS256(t, key, "", claims(now, map[string]any{"exp": nil})))
	s.check(noExp, now)
	s.check(noExp, now.Add(maxCacheAge-time.Second))
	s.check(noExp, now.Add(maxCacheAge+time.Second))
	if n := s.verifications.Load(); n != 6 {
		t.Fatalf("%d verifications, want 6", n)
	}
}

func TestCacheBounded(t *testing.T) {
	c := newTokenCache()
	now := time.Now().UnixNano()
	for i := range 3 * cacheEntries {
		c.add([]byte(fmt.Sprintf("token-%d", i)), now+int64(time.Minute), now)
	}
	if n := c.len(); n > cacheEntries {
		t.Fatalf("%d entries, the bound is %d", n, cacheEntries)
	}
	last := []byte(fmt.Sprintf("token-%d", 3*cacheEntries-1))
	if !c.valid(last, now) {
		t.Fatal("the token added last is not in the cache")
	}
	if c.valid(last, now+int64(time.Minute)) {
		t.Fatal("an entry is valid at its expiry")
	}
	expired := []byte("expired")
	c.add(expired, now, now) // already expired: not added
	if c.valid(expired, now-1) {
		t.Fatal("an entry that was expired when added is kept")
	}
	long := bytes.Repeat([]byte("a"), maxCachedToken+1)
	c.add(long, now+int64(time.Minute), now)
	if c.valid(long, now) {
		t.Fatal("a token longer than maxCachedToken is kept")
	}
}

// TestCacheHitNeedsTheSameToken: an entry is found by a hash of the token, but only the token itself hits it.
func TestCacheHitNeedsTheSameToken(t *testing.T) {
	c := newTokenCache()
	now := time.Now().UnixNano()
	token := []byte("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln")
	c.add(token, now+int64(time.Minute), now)
	// Plant the entry of a different token under the hash of another: a lookup of that one must still miss.
	other := []byte("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ5In0.c2ln")
	h := maphash.Bytes(c.seed, other)
	s := &c.shards[h%cacheShards]
	s.m[h] = cacheEntry{token: string(token), exp: now + int64(time.Minute)}
	if c.valid(other, now) {
		t.Fatal("a token whose hash maps to another token's entry was accepted")
	}
	if !c.valid(token, now) {
		t.Fatal("the cached token is not found")
	}
}

func TestShared(t *testing.T) {
	cfg := Config{Algorithm: HS256, Secret: hsSecret}
	a, err := NewVerifier(cfg, "svc/test", quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewVerifier(cfg, "svc/test", quietLogger)
	c, _ := NewVerifier(cfg, "svc/prod", quietLogger)
	cfg.LeewaySeconds = 5
	d, _ := NewVerifier(cfg, "svc/test", quietLogger)
	if a.s != b.s || a.s == c.s || a.s == d.s {
		t.Fatal("the same config in the same scope shares one state, and only then")
	}
}

// TestConcurrent hammers one verifier from many goroutines (run with -race): the cache, the JWKS key set and the
// parser are shared.
func TestConcurrent(t *testing.T) {
	key := testKey(t, 0)
	srv := newJWKSServer(t, jwk(key, "k1"))
	p, err := NewVerifier(Config{Algorithm: RS256, JWKSURI: srv.URL}, t.Name(), quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tokens := make([]string, 8)
	for i := range tokens {
		tokens[i] = "Bearer " + signRS256(t, key, "k1", claims(now, map[string]any{"sub": string(rune('a' + i))}))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if next, resp := request(p, tokens[(g+i)%len(tokens)]); !next {
					t.Errorf("refused: %s", resp.Body)
					return
				}
			}
		})
	}
	wg.Wait()
}
