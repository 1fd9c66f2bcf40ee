package jwt

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// maxCacheAge caps how long a verified token is remembered, whatever its exp: a key removed from the JWKS stops
// being honoured for cached tokens as soon as a refetched set would drop it.
const maxCacheAge = jwksTTL

// compiled is what a config compiles to, before any I/O.
type compiled struct {
	algorithm string
	secret    []byte         // HS256
	publicKey *rsa.PublicKey // RS256 with publicKeyPem
	jwksURI   string         // RS256 with jwksUri
	leeway    time.Duration
	rules     []claimRule
}

// compile checks cfg and compiles it. Errors name the field and never quote the secret or the key.
func compile(cfg Config) (*compiled, error) {
	c := &compiled{algorithm: cfg.Algorithm, leeway: time.Duration(cfg.LeewaySeconds) * time.Second}
	if cfg.Type != "" && cfg.Type != TypeName {
		return nil, fmt.Errorf("type: %q is not %q", cfg.Type, TypeName)
	}
	switch cfg.Algorithm {
	case HS256:
		switch {
		case cfg.Secret == "":
			return nil, errors.New("secret: required with HS256")
		case cfg.PublicKeyPEM != "" || cfg.JWKSURI != "":
			return nil, errors.New("publicKeyPem, jwksUri: only with RS256 (HS256 uses secret)")
		}
		c.secret = []byte(cfg.Secret)
	case RS256:
		switch {
		case cfg.Secret != "":
			return nil, errors.New("secret: only with HS256 (RS256 uses publicKeyPem or jwksUri)")
		case (cfg.PublicKeyPEM == "") == (cfg.JWKSURI == ""):
			return nil, errors.New("publicKeyPem, jwksUri: RS256 needs exactly one of them")
		case cfg.PublicKeyPEM != "":
			k, err := gojwt.ParseRSAPublicKeyFromPEM([]byte(cfg.PublicKeyPEM))
			if err != nil {
				return nil, fmt.Errorf("publicKeyPem: not a PEM RSA public key: %w", err)
			}
			if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits {
				return nil, fmt.Errorf("publicKeyPem: a %d-bit key (%d to %d bits are accepted)", bits, minRSABits, maxRSABits)
			}
			c.publicKey = k
		default:
			u, err := url.Parse(cfg.JWKSURI)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, errors.New("jwksUri: not an absolute http or https URI")
			}
			c.jwksURI = cfg.JWKSURI
		}
	default:
		return nil, fmt.Errorf("algorithm: %q is not %q or %q", cfg.Algorithm, HS256, RS256)
	}
	if cfg.LeewaySeconds < 0 || cfg.LeewaySeconds > MaxLeewaySeconds {
		return nil, fmt.Errorf("leewaySeconds: %d is not between 0 and %d", cfg.LeewaySeconds, MaxLeewaySeconds)
	}
	rules, err := compileClaims(cfg.Claims)
	if err != nil {
		return nil, err
	}
	c.rules = rules
	return c, nil
}

// state is a compiled config with its key set and token cache, shared by the bindings of one stage that have the
// same config.
type state struct {
	*compiled
	parser *gojwt.Parser
	keys   *jwks // RS256 with jwksUri
	cache  *tokenCache

	verifications atomic.Int64 // full verifications (the cache missed); tests read it
}

func newState(c *compiled, logger *slog.Logger, now func() time.Time) *state {
	s := &state{compiled: c, cache: newTokenCache(),
		// The parser checks the header's alg against the pinned algorithm before any key is used. Time claims
		// are checked in verify, against the request's clock.
		parser: gojwt.NewParser(gojwt.WithValidMethods([]string{c.algorithm}), gojwt.WithoutClaimsValidation())}
	if c.jwksURI != "" {
		s.keys = newJWKS(c.jwksURI, logger, now)
		s.keys.refresh(false) // the first fetch, in the background
	}
	return s
}

// States are shared through weak pointers: the map never keeps a state alive, the Verifiers using it do, and a
// cleanup removes the entry once the last of them is gone (a deployment replaced by one with another config).
var shared = struct {
	sync.Mutex
	m map[[32]byte]weak.Pointer[state]
}{m: map[[32]byte]weak.Pointer[state]{}}

func sharedState(cfg Config, scope string, logger *slog.Logger) (*state, error) {
	c, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	canonical, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write([]byte(scope))
	h.Write([]byte{0})
	h.Write(canonical)
	var key [32]byte
	h.Sum(key[:0])

	shared.Lock()
	defer shared.Unlock()
	if wp, ok := shared.m[key]; ok {
		if s := wp.Value(); s != nil {
			return s, nil
		}
	}
	s := newState(c, logger, time.Now)
	shared.m[key] = weak.Make(s)
	runtime.AddCleanup(s, func(key [32]byte) {
		shared.Lock()
		if wp, ok := shared.m[key]; ok && wp.Value() == nil {
			delete(shared.m, key)
		}
		shared.Unlock()
	}, key)
	return s, nil
}

// keyFor is the parser's Keyfunc: the configured key for the pinned algorithm (the parser has already refused any
// other alg; the method type is checked again so that a key can never serve another algorithm).
func (s *state) keyFor(t *gojwt.Token) (any, error) {
	switch s.algorithm {
	case HS256:
		if _, ok := t.Method.(*gojwt.SigningMethodHMAC); !ok {
			return nil, gojwt.ErrTokenSignatureInvalid
		}
		return s.secret, nil
	default:
		if _, ok := t.Method.(*gojwt.SigningMethodRSA); !ok {
			return nil, gojwt.ErrTokenSignatureInvalid
		}
		if s.publicKey != nil {
			return s.publicKey, nil
		}
		kid, _ := t.Header["kid"].(string)
		return s.keys.key(kid)
	}
}

// verify fully checks a token at now: signature and algorithm, exp and nbf with the leeway, the claim rules. It
// returns the token's exp (Unix nanoseconds; far in the future without one) when the token passes.
func (s *state) verify(token string, now time.Time) (int64, failure) {
	s.verifications.Add(1)
	claims := gojwt.MapClaims{}
	if _, err := s.parser.ParseWithClaims(token, claims, s.keyFor); err != nil {
		if errors.Is(err, gojwt.ErrTokenMalformed) {
			return 0, failure{CodeMalformed, "the token is not a JWT"}
		}
		if errors.Is(err, errUnknownKey) {
			return 0, failure{CodeInvalid, "no key matches the token"}
		}
		return 0, failure{CodeInvalid, "the token's signature or algorithm is not valid"}
	}
	exp, err1 := claims.GetExpirationTime()
	nbf, err2 := claims.GetNotBefore()
	if err1 != nil || err2 != nil {
		return 0, failure{CodeMalformed, "the token's exp or nbf is not a number"}
	}
	if exp != nil && !now.Before(exp.Add(s.leeway)) {
		return 0, failure{CodeExpired, "the token has expired"}
	}
	if nbf != nil && now.Before(nbf.Add(-s.leeway)) {
		return 0, failure{CodeNotYetValid, "the token is not valid yet"}
	}
	if name, ok := checkClaims(s.rules, claims); !ok {
		return 0, failure{CodeClaim, "the token's claim " + name + " is missing or does not match"}
	}
	if exp == nil {
		return now.Add(maxCacheAge).UnixNano(), failure{}
	}
	return exp.UnixNano(), failure{}
}
