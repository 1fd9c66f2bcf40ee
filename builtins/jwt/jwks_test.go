package jwt

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// waitFetches waits until the background fetches started so far have ended.
func waitFetches(j *jwks) {
	for {
		j.mu.Lock()
		ch := j.inflight
		j.mu.Unlock()
		if ch == nil {
			return
		}
		<-ch
	}
}

func TestJWKSRotation(t *testing.T) {
	k1, k2, k3 := testKey(t, 0), testKey(t, 1), testKey(t, 2)
	srv := newJWKSServer(t, jwk(k1, "k1"))
	clk := newClock()
	s := testState(t, Config{Algorithm: RS256, JWKSURI: srv.URL}, clk)
	p := &Verifier{s: s}
	now := time.Now()
	jti := 0
	token := func(k *rsa.PrivateKey, kid string) string { // distinct tokens: none is answered from the token cache
		jti++
		return "Bearer " + signRS256(t, k, kid, claims(now, map[string]any{"jti": jti}))
	}

	// The first request waits for the first fetch (started by newState).
	next, resp := request(p, token(k1, "k1"))
	wantCode(t, next, resp, "")
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}

	// The IdP rotates to k2. A token with the new kid makes the gateway refetch at once — but only once per
	// jwksMinInterval: the first fetch was just now.
	srv.setKeys(jwk(k2, "k2"), jwk(k1, "k1"))
	next, resp = request(p, token(k2, "k2"))
	wantCode(t, next, resp, CodeInvalid)
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("a refresh inside the minimum interval: %d fetches", n)
	}
	clk.advance(jwksMinInterval + time.Second)
	next, resp = request(p, token(k2, "k2"))
	wantCode(t, next, resp, "")
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	// Unknown kids cannot hammer the IdP: many of them within the interval cause no fetch.
	for range 20 {
		next, resp = request(p, token(k3, "k3"))
		wantCode(t, next, resp, CodeInvalid)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("unknown kids caused %d fetches, want 2", n)
	}

	// The IdP goes down. After the 5-minute TTL, a request triggers a background refresh, which fails: the stale
	// set keeps serving.
	srv.set(500, []byte("down"))
	clk.advance(jwksTTL + time.Second)
	next, resp = request(p, token(k2, "k2"))
	wantCode(t, next, resp, "")
	waitFetches(s.keys)
	if n := srv.hits.Load(); n != 3 {
		t.Fatalf("%d fetches, want 3", n)
	}
	next, resp = request(p, token(k1, "k1"))
	wantCode(t, next, resp, "")

	// It comes back with k3 only; the next refresh (after the minimum interval) drops k1.
	srv.setKeys(jwk(k3, "k3"))
	clk.advance(jwksMinInterval + time.Second)
	request(p, token(k2, "k2-cached-kid-is-irrelevant")) // unknown kid: a synchronous refresh
	next, resp = request(p, token(k3, "k3"))
	wantCode(t, next, resp, "")
	next, resp = request(p, token(k1, "k1"))
	wantCode(t, next, resp, CodeInvalid)
}

func TestJWKSUnreachable(t *testing.T) {
	srv := newJWKSServer(t)
	srv.set(404, []byte("not found"))
	s := testState(t, Config{Algorithm: RS256, JWKSURI: srv.URL}, newClock())
	next, resp := request(&Verifier{s: s}, "Bearer "+signRS256(t, testKey(t, 0), "k1", claims(time.Now(), nil)))
	wantCode(t, next, resp, CodeInvalid)
	if s.keys.set.Load() != nil {
		t.Fatal("no key set from a 404")
	}
}

func TestJWKSSizeLimit(t *testing.T) {
	srv := newJWKSServer(t)
	big, _ := json.Marshal(map[string]any{"keys": []any{}, "padding": strings.Repeat("x", jwksMaxBytes)})
	srv.set(200, big)
	j := newJWKS(srv.URL, quietLogger, time.Now)
	_, err := j.get(t.Context())
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("get = %v, want a size error", err)
	}
}

func TestJWKSTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the fetch timeout")
	}
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	j := newJWKS(srv.URL, quietLogger, time.Now)
	start := time.Now()
	if _, err := j.key("k1"); err == nil {
		t.Fatal("a stalled JWKS has no key")
	}
	if d := time.Since(start); d > jwksTimeout+2*time.Second {
		t.Fatalf("the fetch took %s, the timeout is %s", d, jwksTimeout)
	}
}

func TestParseJWKS(t *testing.T) {
	k := testKey(t, 0)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec := map[string]string{"kty": "EC", "kid": "e1", "crv": "P-256", "x": "AA", "y": "AA"}
	enc := jwk(k, "enc")
	enc["use"] = "enc"
	ps := jwk(k, "ps")
	ps["alg"] = "PS256"
	noKid := jwk(k, "")
	tests := []struct {
		name    string
		keys    []map[string]string
		kids    []string // usable
		only    bool
		wantErr string
	}{
		{"one key", []map[string]string{jwk(k, "a")}, []string{"a"}, true, ""},
		{"skips others", []map[string]string{ec, enc, ps, jwk(k, "a"), jwk(small, "small")}, []string{"a"}, true, ""},
		{"two keys", []map[string]string{jwk(k, "a"), jwk(k, "b")}, []string{"a", "b"}, false, ""},
		{"no kid", []map[string]string{noKid}, []string{""}, true, ""},
		{"nothing usable", []map[string]string{ec, jwk(small, "small")}, nil, false, "keys[1]: a 1024-bit key"},
		{"empty", nil, nil, false, "no RS256 signing key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"keys": tt.keys})
			s, err := parseJWKS(body)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseJWKS = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.byKID) != len(tt.kids) || (s.only != nil) != tt.only {
				t.Fatalf("got %d keys (only=%v), want %v (only=%v)", len(s.byKID), s.only != nil, tt.kids, tt.only)
			}
			for _, kid := range tt.kids {
				if s.byKID[kid] == nil {
					t.Fatalf("no key %q", kid)
				}
			}
		})
	}
	if _, err := parseJWKS([]byte(`{"keys":[{"kty":"RSA","n":"!!","e":"AQAB"}]}`)); err == nil {
		t.Fatal("a bad modulus is refused")
	}
	if _, err := parseJWKS([]byte(`not json`)); err == nil {
		t.Fatal("not JSON is refused")
	}
}
