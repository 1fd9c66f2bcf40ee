package jwt

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// Test keys, generated once: RSA key generation is slow.
var (
	keysOnce sync.Once
	rsaKeys  [3]*rsa.PrivateKey
)

func testKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for i := range rsaKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys[i] = k
		}
	})
	return rsaKeys[i]
}

func publicPEM(t testing.TB, k *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// claims are a token's claims with times relative to now.
func claims(now time.Time, extra map[string]any) gojwt.MapClaims {
	c := gojwt.MapClaims{"iss": "https://id.example.com", "sub": "user-1", "aud": []string{"shop"},
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func signRS256(t testing.TB, k *rsa.PrivateKey, kid string, c gojwt.MapClaims) string {
	t.Helper()
	tok := gojwt.NewWithClaims(gojwt.SigningMethodRS256, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func signHS256(t testing.TB, secret string, c gojwt.MapClaims) string {
	t.Helper()
	s, err := gojwt.NewWithClaims(gojwt.SigningMethodHS256, c).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jwk is a public key in JWKS form.
func jwk(k *rsa.PrivateKey, kid string) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

// jwksServer is an identity provider's JWKS endpoint whose key set (or failure) a test can change.
type jwksServer struct {
	*httptest.Server
	mu     sync.Mutex
	body   []byte
	status int
	hits   atomic.Int64
}

func newJWKSServer(t testing.TB, keys ...map[string]string) *jwksServer {
	s := &jwksServer{status: 200}
	s.setKeys(keys...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		status, body := s.status, s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(keys ...map[string]string) {
	body, _ := json.Marshal(map[string]any{"keys": keys})
	s.set(200, body)
}

func (s *jwksServer) set(status int, body []byte) {
	s.mu.Lock()
	s.status, s.body = status, body
	s.mu.Unlock()
}

// clock is a settable clock for the JWKS cache.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// testState compiles cfg into a private (unshared) state on clk.
func testState(t testing.TB, cfg Config, clk *clock) *state {
	t.Helper()
	c, err := compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now
	if clk != nil {
		now = clk.now
	}
	return newState(c, quietLogger, now)
}

// request runs one request with the given Authorization values through p.
func request(p abi.Plugin, authorization ...string) (bool, memexchange.Response) {
	h := http.Header{}
	for _, a := range authorization {
		h.Add("Authorization", a)
	}
	ex := memexchange.New(memexchange.Request{URI: "/products", Header: h, Vars: map[string]string{"request.id": "req-1"}})
	next, _ := p.HandleRequest(ex)
	return next, ex.Response()
}

func wantCode(t testing.TB, next bool, resp memexchange.Response, code string) {
	t.Helper()
	if code == "" {
		if !next {
			t.Fatalf("refused: %d %s", resp.Status, resp.Body)
		}
		return
	}
	if next || resp.Status != 401 || !strings.Contains(string(resp.Body), `"code":"`+code+`"`) {
		t.Fatalf("got next=%v %d %s, want 401 %s", next, resp.Status, resp.Body, code)
	}
	if resp.Header.Get("Www-Authenticate") == "" {
		t.Fatal("a 401 carries WWW-Authenticate")
	}
}
