// Package hmac is the "hmac" built-in plugin: the stage's HMAC authentication, exactly as the seed describes it.
//
// A client sends two headers:
//
//	Authorization: hmac algorithm="HmacSHA256", headers="host,x-nhn-client-id", signature="<base64>"
//	x-nhn-date: 2021-02-23T00:00:00+09:00
//
// where signature is base64(HMAC(secret, SignToString)) with HmacSHA256 or HmacSHA1, and SignToString is built
// from the method, the request URI, the x-nhn-date value and the listed headers (see appendSignToString for the
// exact format and how the seed's example is read). The gateway rebuilds SignToString from the request it
// received and compares the signatures in constant time.
//
// A request that fails is answered 401 with one of these error codes:
//
//	hmac_missing          no Authorization or no x-nhn-date header
//	hmac_malformed        an Authorization value that does not parse, or either header sent more than once
//	hmac_algorithm        an algorithm other than HmacSHA256 or HmacSHA1
//	hmac_date             an x-nhn-date that is not ISO 8601 (yyyy-MM-dd'T'HH:mm:ss with Z or ±hh:mm)
//	hmac_expired          x-nhn-date further than validitySeconds from the gateway's clock, in the past or the future
//	hmac_required_header  a required header (config requiredHeaders) absent from the request or from headers="…"
//	hmac_signature        the signature does not match (wrong secret, altered request, different header order …)
//
// The secret never leaves the plugin: it is not logged, and Config formats it redacted.
package hmac

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"log/slog"
	"sync"
	"time"

	"github.com/portico-gateway/portico/builtins/reply"
	"github.com/portico-gateway/portico/runtime/abi"
)

// TypeName is the plugin type's name.
const TypeName = "hmac"

// Error codes of a refused request (HTTP 401).
const (
	CodeMissing        = "hmac_missing"
	CodeMalformed      = "hmac_malformed"
	CodeAlgorithm      = "hmac_algorithm"
	CodeDate           = "hmac_date"
	CodeExpired        = "hmac_expired"
	CodeRequiredHeader = "hmac_required_header"
	CodeSignature      = "hmac_signature"
)

// Header names of the scheme.
const (
	HeaderAuthorization = "authorization"
	HeaderDate          = "x-nhn-date"
)

// Limits on a config.
const (
	MaxValiditySeconds = 86400
	maxSecretLength    = 4096
	maxRequired        = maxHeaderNames
)

func init() {
	abi.Register(abi.Type{Name: TypeName, Phases: []abi.Phase{abi.PhaseRequest},
		Validate: func(_ abi.Site, raw json.RawMessage) error { _, err := Parse(raw); return err },
		New: func(_ abi.BuildContext, raw json.RawMessage) (abi.Plugin, error) {
			v, err := Parse(raw)
			if err != nil {
				return nil, err // not a typed nil inside the interface
			}
			return v, nil
		},
	})
}

// Config is the JSON config, the stage setting "auth" of type hmac as it is:
// {"type":"hmac","secret":"…","validitySeconds":300,"requiredHeaders":["host"]}.
type Config struct {
	// Type is "hmac" when given (the auth setting names its type).
	Type string `json:"type,omitempty"`
	// Secret is the HMAC key: its UTF-8 bytes sign SignToString.
	Secret string `json:"secret"`
	// ValiditySeconds is how far x-nhn-date may be from the gateway's clock, either way; 0 disables the check
	// (and with it replay protection).
	ValiditySeconds int `json:"validitySeconds"`
	// RequiredHeaders must be present in every request and listed in its headers="…" (case-insensitive).
	RequiredHeaders []string `json:"requiredHeaders,omitempty"`
}

// String formats the config with its secret redacted.
func (c Config) String() string {
	return fmt.Sprintf("{type:%q secret:[redacted] validitySeconds:%d requiredHeaders:%q}", c.Type,
		c.ValiditySeconds, c.RequiredHeaders)
}

// LogValue keeps the secret out of structured logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("validitySeconds", c.ValiditySeconds), slog.Any("requiredHeaders", c.RequiredHeaders))
}

// Verifier is a compiled hmac binding. It is immutable apart from its pools of keyed hashes, and shared by every
// request of its route.
type Verifier struct {
	validity time.Duration // 0: no time check
	required [][]byte      // lower case
	sha256   sync.Pool     // of hash.Hash, keyed with the secret
	sha1     sync.Pool
}

// Parse decodes and compiles a config. Errors name the field.
func Parse(raw json.RawMessage) (*Verifier, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("config: missing (fields: secret, validitySeconds, requiredHeaders)")
	}
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("config: %w (fields: type, secret, validitySeconds, requiredHeaders)", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("config: one JSON object expected")
	}
	return New(cfg)
}

// New compiles cfg.
func New(cfg Config) (*Verifier, error) {
	switch {
	case cfg.Type != "" && cfg.Type != TypeName:
		return nil, fmt.Errorf("type: %q is not %q", cfg.Type, TypeName)
	case cfg.Secret == "":
		return nil, fmt.Errorf("secret: required")
	case len(cfg.Secret) > maxSecretLength:
		return nil, fmt.Errorf("secret: at most %d bytes", maxSecretLength)
	case cfg.ValiditySeconds < 0 || cfg.ValiditySeconds > MaxValiditySeconds:
		return nil, fmt.Errorf("validitySeconds: %d is not between 0 and %d", cfg.ValiditySeconds, MaxValiditySeconds)
	case len(cfg.RequiredHeaders) > maxRequired:
		return nil, fmt.Errorf("requiredHeaders: at most %d headers", maxRequired)
	}
	v := &Verifier{validity: time.Duration(cfg.ValiditySeconds) * time.Second}
	for i, name := range cfg.RequiredHeaders {
		b := appendLower(nil, []byte(name))
		switch {
		case len(b) == 0 || !isToken(b):
			return nil, fmt.Errorf("requiredHeaders[%d]: %q is not a valid header name", i, name)
		case string(b) == HeaderAuthorization:
			return nil, fmt.Errorf("requiredHeaders[%d]: authorization carries the signature and cannot be signed", i)
		}
		for _, prev := range v.required {
			if bytes.Equal(prev, b) {
				return nil, fmt.Errorf("requiredHeaders[%d]: %q is listed twice", i, name)
			}
		}
		v.required = append(v.required, b)
	}
	key := []byte(cfg.Secret)
	v.sha256.New = func() any { return hmac.New(sha256.New, key) }
	v.sha1.New = func() any { return hmac.New(sha1.New, key) }
	return v, nil
}

func isToken(b []byte) bool {
	for _, c := range b {
		if !isTokenChar(c) {
			return false
		}
	}
	return true
}

// scratch is one request's working memory, pooled: buffers handed to Exchange methods escape, so stack arrays
// would cost allocations on every request.
type scratch struct {
	auth, date, msg, values, mac []byte
	sig                          [maxSignatureLength]byte
}

var scratches = sync.Pool{New: func() any {
	return &scratch{auth: make([]byte, 0, 256), date: make([]byte, 0, 64), msg: make([]byte, 0, 512),
		values: make([]byte, 0, 256), mac: make([]byte, 0, sha256.Size)}
}}

var (
	authorizationName = []byte(HeaderAuthorization)
	dateName          = []byte(HeaderDate)
)

// failure is why a request is refused: a code and a message for the client.
type failure struct{ code, message string }

// HandleRequest passes an authenticated request on or answers 401.
func (v *Verifier) HandleRequest(ex abi.Exchange) (bool, uint32) {
	s := scratches.Get().(*scratch)
	f := v.verify(ex, s)
	scratches.Put(s)
	if f.code == "" {
		return true, 0
	}
	reply.Error(ex, 401, f.code, f.message)
	return false, 0
}

// verify checks the request, cheapest checks first, and returns the zero failure when it is authentic.
func (v *Verifier) verify(ex abi.Exchange, s *scratch) failure {
	var n int
	if s.auth, n = ex.AppendHeaderValues(abi.HeaderRequest, authorizationName, s.auth[:0]); n != 1 {
		return countFailure(n, "Authorization")
	}
	if s.date, n = ex.AppendHeaderValues(abi.HeaderRequest, dateName, s.date[:0]); n != 1 {
		return countFailure(n, HeaderDate)
	}
	auth, err := parseAuthorization(s.auth[:len(s.auth)-1]) // drop the value's NUL
	if err != nil {
		return failure{CodeMalformed, err.Error()}
	}
	pool := v.pool(auth.algorithm)
	if pool == nil {
		return failure{CodeAlgorithm, `the algorithm is not "HmacSHA256" or "HmacSHA1"`}
	}
	date := s.date[:len(s.date)-1]
	t, ok := parseDate(date)
	if !ok {
		return failure{CodeDate, "x-nhn-date is not an ISO 8601 time (yyyy-MM-ddTHH:mm:ssZ or yyyy-MM-ddTHH:mm:ss±hh:mm)"}
	}
	if v.validity > 0 {
		if d := time.Duration(ex.NowUnixNano() - t); d > v.validity || d < -v.validity {
			return failure{CodeExpired, "x-nhn-date is outside the validity window"}
		}
	}
	if f := v.checkRequired(ex, s, auth.headers); f.code != "" {
		return f
	}
	sigLen, ok := decodeSignature(s.sig[:], auth.signature)
	if !ok {
		return failure{CodeMalformed, "the signature is not base64"}
	}
	s.msg, s.values = appendSignToString(s.msg[:0], s.values, ex, date, auth.headers)
	h := pool.Get().(hash.Hash)
	h.Reset()
	h.Write(s.msg)
	s.mac = h.Sum(s.mac[:0])
	pool.Put(h)
	if !hmac.Equal(s.mac, s.sig[:sigLen]) {
		return failure{CodeSignature, "the signature does not match the request"}
	}
	return failure{}
}

func countFailure(n int, header string) failure {
	if n == 0 {
		return failure{CodeMissing, "the " + header + " header is missing"}
	}
	return failure{CodeMalformed, "the " + header + " header is sent more than once"}
}

// pool returns the keyed hashes of an algorithm name (Java's names, compared case-insensitively), nil for others.
func (v *Verifier) pool(algorithm []byte) *sync.Pool {
	switch {
	case bytes.EqualFold(algorithm, []byte("HmacSHA256")):
		return &v.sha256
	case bytes.EqualFold(algorithm, []byte("HmacSHA1")):
		return &v.sha1
	}
	return nil
}

// checkRequired checks that each required header is listed in headers="…" and present in the request.
func (v *Verifier) checkRequired(ex abi.Exchange, s *scratch, list []byte) failure {
	for _, req := range v.required {
		listed := false
		for it := newNames(list); ; {
			name, ok := it.next()
			if !ok {
				break
			}
			if bytes.EqualFold(name, req) {
				listed = true
				break
			}
		}
		if !listed {
			return failure{CodeRequiredHeader, "the required header " + string(req) + " is not in headers=\"…\""}
		}
		var n int
		if s.values, n = ex.AppendHeaderValues(abi.HeaderRequest, req, s.values[:0]); n == 0 {
			return failure{CodeRequiredHeader, "the required header " + string(req) + " is missing"}
		}
	}
	return failure{}
}

var (
	base64Std = base64.StdEncoding.Strict()
	base64Raw = base64.RawStdEncoding.Strict()
)

// decodeSignature decodes base64 (standard alphabet, padded as Java's encoder writes it, or unpadded).
func decodeSignature(dst, text []byte) (int, bool) {
	enc := base64Std
	if len(text)%4 != 0 {
		enc = base64Raw
	}
	n, err := enc.Decode(dst, text)
	return n, err == nil
}

// HandleResponse does nothing: authentication only runs before the backend.
func (v *Verifier) HandleResponse(abi.Exchange, uint32, bool) {}

var _ abi.Plugin = (*Verifier)(nil)
