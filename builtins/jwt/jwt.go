// Package jwt is the "jwt" built-in plugin: the stage's JWT authentication. It checks the signature and the claims
// of the bearer token in the Authorization header and passes the request on unchanged, token included, so the
// backend can read the token's claims without verifying it again.
//
// A client sends
//
//	Authorization: Bearer <token>
//
// (the seed writes Bearer "<token>", with quotes; both are accepted). The algorithm is pinned by the config: HS256
// with a secret, or RS256 with a PEM public key or a JWKS URI. A token whose header names any other algorithm —
// "none" included, and HS256 when RS256 is configured (the RS/HS key-confusion attack) — is refused before any key
// is used. exp and nbf are checked with leewaySeconds of tolerance; then the claim rules (see Claim).
//
// A verified token is remembered (at most 10 000 tokens of up to 2 KiB, until its exp and never longer than five
// minutes) so that its next requests cost a hash, a map lookup and a comparison instead of an RSA verification.
//
// A refused request is answered 401 with one of these error codes:
//
//	jwt_missing        no Authorization header, or it does not hold a Bearer token
//	jwt_malformed      the token is not a JWT (three base64url parts, JSON header and claims), or is too long
//	jwt_invalid        the signature does not verify, the algorithm is not the configured one, or no key matches
//	jwt_expired        exp is past (beyond the leeway)
//	jwt_not_yet_valid  nbf is in the future (beyond the leeway)
//	jwt_claim          a claim rule fails: a required claim is missing or a verified value does not match
//
// Secrets (the HS256 secret) are never logged and Config formats them redacted.
package jwt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/portico-gateway/portico/builtins/reply"
	"github.com/portico-gateway/portico/runtime/abi"
)

// TypeName is the plugin type's name.
const TypeName = "jwt"

// Error codes of a refused request (HTTP 401).
const (
	CodeMissing     = "jwt_missing"
	CodeMalformed   = "jwt_malformed"
	CodeInvalid     = "jwt_invalid"
	CodeExpired     = "jwt_expired"
	CodeNotYetValid = "jwt_not_yet_valid"
	CodeClaim       = "jwt_claim"
)

// Algorithms.
const (
	HS256 = "HS256"
	RS256 = "RS256"
)

// MaxLeewaySeconds is the largest leewaySeconds (the seed's 0–86400).
const MaxLeewaySeconds = 86400

// maxTokenLength bounds a token: far above real tokens, small enough to hash and parse cheaply.
const maxTokenLength = 8192

func init() {
	abi.Register(abi.Type{Name: TypeName, Phases: []abi.Phase{abi.PhaseRequest},
		Validate: func(_ abi.Site, raw json.RawMessage) error { _, err := ParseConfig(raw); return err },
		New: func(bc abi.BuildContext, raw json.RawMessage) (abi.Plugin, error) {
			cfg, err := ParseConfig(raw)
			if err != nil {
				return nil, err
			}
			logger := bc.Logger
			if logger == nil {
				logger = slog.Default()
			}
			v, err := NewVerifier(cfg, bc.ServiceID+"/"+bc.Stage, logger)
			if err != nil {
				return nil, err // not a typed nil inside the interface
			}
			return v, nil
		},
	})
}

// Config is the JSON config, the stage setting "auth" of type jwt as it is.
type Config struct {
	// Type is "jwt" when given (the auth setting names its type).
	Type string `json:"type,omitempty"`
	// Algorithm is "HS256" or "RS256".
	Algorithm string `json:"algorithm"`
	// Secret is the HS256 key (its UTF-8 bytes).
	Secret string `json:"secret,omitempty"`
	// PublicKeyPEM is an RS256 public key ("PUBLIC KEY", "RSA PUBLIC KEY" or a certificate), 2048 to 8192 bits.
	PublicKeyPEM string `json:"publicKeyPem,omitempty"`
	// JWKSURI is an http(s) URI serving the RS256 keys as a JWKS; tokens pick their key by kid.
	JWKSURI string `json:"jwksUri,omitempty"`
	// LeewaySeconds is the tolerance on exp and nbf, 0 to 86400.
	LeewaySeconds int `json:"leewaySeconds,omitempty"`
	// Claims are the claim rules.
	Claims []Claim `json:"claims,omitempty"`
}

// String formats the config with its secret redacted.
func (c Config) String() string {
	secret := ""
	if c.Secret != "" {
		secret = "[redacted]"
	}
	return fmt.Sprintf("{algorithm:%s secret:%s publicKeyPem:%d bytes jwksUri:%s leewaySeconds:%d claims:%d}",
		c.Algorithm, secret, len(c.PublicKeyPEM), redact(c.JWKSURI), c.LeewaySeconds, len(c.Claims))
}

// LogValue keeps the secret out of structured logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("algorithm", c.Algorithm), slog.String("jwksUri", redact(c.JWKSURI)),
		slog.Int("leewaySeconds", c.LeewaySeconds), slog.Int("claims", len(c.Claims)))
}

// ParseConfig decodes and checks a config: everything a deploy would check, without fetching a JWKS. Errors name
// the field.
func ParseConfig(raw json.RawMessage) (Config, error) {
	var cfg Config
	if len(bytes.TrimSpace(raw)) == 0 {
		return cfg, fmt.Errorf("config: missing (fields: algorithm, secret, publicKeyPem, jwksUri, leewaySeconds, claims)")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("config: %w (fields: type, algorithm, secret, publicKeyPem, jwksUri, leewaySeconds, "+
			"claims)", err)
	}
	if dec.More() {
		return cfg, fmt.Errorf("config: one JSON object expected")
	}
	_, err := compile(cfg)
	return cfg, err
}

// Verifier is a compiled jwt binding. Bindings of the same stage with the same config share their key set and
// token cache (see NewVerifier), so a stage-wide setting fetches its JWKS once, not once per route.
type Verifier struct{ s *state }

// NewVerifier compiles cfg. scope names the bindings that may share state (Portico uses "serviceID/stage"):
// an identical config in the same scope returns a Verifier over the same key set and token cache, which stays
// alive while any of them is in use (a redeploy with an unchanged config keeps its cache warm). For a JWKS URI, the
// first fetch starts in the background; requests that arrive before it ends wait for it (at most 5 s).
func NewVerifier(cfg Config, scope string, logger *slog.Logger) (*Verifier, error) {
	s, err := sharedState(cfg, scope, logger)
	if err != nil {
		return nil, err
	}
	return &Verifier{s: s}, nil
}

var (
	authorizationName = []byte("authorization")
	wwwAuthenticate   = []byte("www-authenticate")
	bearerChallenge   = []byte(`Bearer`)
	invalidChallenge  = []byte(`Bearer error="invalid_token"`)
)

// headerBufs holds the buffers the Authorization header is read into (a buffer handed to an Exchange method
// escapes, so a stack array would cost an allocation per request).
var headerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// HandleRequest passes a request with a valid token on or answers 401.
func (v *Verifier) HandleRequest(ex abi.Exchange) (bool, uint32) {
	bp := headerBufs.Get().(*[]byte)
	b, n := ex.AppendHeaderValues(abi.HeaderRequest, authorizationName, (*bp)[:0])
	var f failure
	switch n {
	case 0:
		f = failure{CodeMissing, "the Authorization header is missing"}
	case 1:
		f = v.s.check(b[:len(b)-1], time.Unix(0, ex.NowUnixNano()))
	default:
		f = failure{CodeMalformed, "the Authorization header is sent more than once"}
	}
	*bp = b[:0]
	headerBufs.Put(bp)
	if f.code == "" {
		return true, 0
	}
	challenge := invalidChallenge
	if f.code == CodeMissing {
		challenge = bearerChallenge
	}
	_ = ex.SetHeader(abi.HeaderResponse, wwwAuthenticate, challenge)
	reply.Error(ex, 401, f.code, f.message)
	return false, 0
}

// HandleResponse does nothing: authentication only runs before the backend.
func (v *Verifier) HandleResponse(abi.Exchange, uint32, bool) {}

// failure is why a request is refused; the zero failure means it passes.
type failure struct{ code, message string }

// check verifies the Authorization value: the cache first, then the full verification.
func (s *state) check(auth []byte, now time.Time) failure {
	token, f := bearerToken(auth)
	if f.code != "" {
		return f
	}
	if s.cache.valid(token, now.UnixNano()) {
		return failure{}
	}
	if !wellFormed(token) {
		return failure{CodeMalformed, "the token is not a JWT"}
	}
	exp, f := s.verify(string(token), now)
	if f.code == "" {
		s.cache.add(token, min(exp, now.Add(maxCacheAge).UnixNano()), now.UnixNano())
	}
	return f
}

// bearerToken takes the token out of `Bearer <token>` or the seed's `Bearer "<token>"`.
func bearerToken(auth []byte) ([]byte, failure) {
	auth = bytes.TrimSpace(auth)
	const scheme = "bearer"
	if len(auth) <= len(scheme) || !bytes.EqualFold(auth[:len(scheme)], []byte(scheme)) ||
		(auth[len(scheme)] != ' ' && auth[len(scheme)] != '\t') {
		return nil, failure{CodeMissing, "the Authorization header holds no Bearer token"}
	}
	token := bytes.TrimSpace(auth[len(scheme):])
	if len(token) >= 2 && token[0] == '"' && token[len(token)-1] == '"' {
		token = token[1 : len(token)-1]
	}
	if len(token) == 0 {
		return nil, failure{CodeMissing, "the Authorization header holds no Bearer token"}
	}
	if len(token) > maxTokenLength {
		return nil, failure{CodeMalformed, "the token is too long"}
	}
	return token, failure{}
}

// wellFormed checks a token's alphabet: three base64url parts joined by dots. A token found in the cache was
// checked when it was verified, so only a cache miss pays for this.
func wellFormed(token []byte) bool {
	dots, bad := 0, uint8(0)
	for _, c := range token {
		k := tokenAlphabet[c]
		dots += int(k >> 1)
		bad |= (k - 1) >> 7 // 1 for k == 0 only: no branch per byte
	}
	return bad == 0 && dots == 2
}

// tokenAlphabet classifies a token's bytes: 1 for base64url, 2 for the dot, 0 for anything else.
var tokenAlphabet = func() (t [256]uint8) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = 1
	}
	t['.'] = 2
	return t
}()

var _ abi.Plugin = (*Verifier)(nil)
