package jwt

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// JWKS fetching. The seed caches a JWKS URI's answer for 5 minutes; Portico does the same and adds what a gateway
// needs to stay up: a fetch timeout, a size limit, a refresh when a token names a key the set does not have (key
// rotation) at a bounded rate, and the last good set kept when a refresh fails.
const (
	jwksTTL         = 5 * time.Minute  // a set older than this is refreshed in the background
	jwksMinInterval = 10 * time.Second // fetches start at most this often (unknown kids cannot hammer the IdP)
	jwksTimeout     = 5 * time.Second
	jwksMaxBytes    = 1 << 20
	jwksMaxKeys     = 100
	minRSABits      = 2048
	maxRSABits      = 8192
)

var errUnknownKey = errors.New("no key in the key set matches the token")

// Log keys.
const (
	logKeyURI   = "uri"
	logKeyError = "error"
)

// keySet is one fetched JWKS: immutable, swapped whole.
type keySet struct {
	byKID   map[string]*rsa.PublicKey
	only    *rsa.PublicKey // the set's key when it has exactly one: for tokens without a kid
	fetched time.Time
}

func (s *keySet) find(kid string) *rsa.PublicKey {
	if kid == "" {
		return s.only
	}
	return s.byKID[kid]
}

// jwks is the key set of one JWKS URI. Readers load the current set without locking; the mutex only guards
// starting a fetch.
type jwks struct {
	uri    string
	client *http.Client
	logger *slog.Logger
	now    func() time.Time

	set       atomic.Pointer[keySet]
	lastStart atomic.Int64 // Unix nanoseconds of the last fetch start
	fetches   atomic.Int64 // fetches started (tests)

	mu       sync.Mutex
	inflight chan struct{} // closed when the running fetch ends; nil when none runs
}

func newJWKS(uri string, logger *slog.Logger, now func() time.Time) *jwks {
	return &jwks{uri: uri, client: &http.Client{Timeout: jwksTimeout}, logger: logger, now: now}
}

// key returns the public key a token's kid names. A stale set is refreshed in the background and used meanwhile;
// an unknown kid (or no set yet) waits for a fresh fetch if one may start now or is already running.
func (j *jwks) key(kid string) (*rsa.PublicKey, error) {
	if s := j.set.Load(); s != nil {
		if j.now().Sub(s.fetched) > jwksTTL {
			j.refresh(false)
		}
		if k := s.find(kid); k != nil {
			return k, nil
		}
	}
	j.refresh(true)
	if s := j.set.Load(); s != nil {
		if k := s.find(kid); k != nil {
			return k, nil
		}
	}
	return nil, errUnknownKey
}

// refresh starts a fetch unless one is running or one started less than jwksMinInterval ago, and with wait, waits
// for the running fetch (at most jwksTimeout).
func (j *jwks) refresh(wait bool) {
	now := j.now()
	if last := j.lastStart.Load(); last != 0 && now.Sub(time.Unix(0, last)) < jwksMinInterval && !wait {
		return // the common stale-set case, decided without the lock
	}
	j.mu.Lock()
	ch := j.inflight
	if ch == nil {
		if last := j.lastStart.Load(); last != 0 && now.Sub(time.Unix(0, last)) < jwksMinInterval {
			j.mu.Unlock()
			return
		}
		ch = make(chan struct{})
		j.inflight = ch
		j.lastStart.Store(now.UnixNano())
		j.fetches.Add(1)
		go j.fetch(ch)
	}
	j.mu.Unlock()
	if wait {
		<-ch
	}
}

func (j *jwks) fetch(done chan struct{}) {
	defer func() {
		j.mu.Lock()
		j.inflight = nil
		j.mu.Unlock()
		close(done)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), jwksTimeout)
	defer cancel()
	s, err := j.get(ctx)
	if err != nil {
		level := slog.LevelWarn
		if j.set.Load() == nil {
			level = slog.LevelError // no key at all: every token is refused until a fetch succeeds
		}
		j.logger.Log(ctx, level, "jwt: JWKS fetch failed; keeping the previous key set",
			logKeyURI, redact(j.uri), logKeyError, err)
		return
	}
	j.set.Store(s)
}

// get fetches and parses the key set.
func (j *jwks) get(ctx context.Context) (*keySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > jwksMaxBytes {
		return nil, fmt.Errorf("the key set is larger than %d bytes", jwksMaxBytes)
	}
	s, err := parseJWKS(body)
	if err != nil {
		return nil, err
	}
	s.fetched = j.now()
	return s, nil
}

// parseJWKS reads the RSA signing keys of a JWKS document (RFC 7517). Keys of other types, other uses or other
// algorithms are skipped; a set with no usable key is an error (the previous set stays in use).
func parseJWKS(body []byte) (*keySet, error) {
	var doc struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			Use string `json:"use"`
			Alg string `json:"alg"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not a JWKS document: %w", err)
	}
	s := &keySet{byKID: map[string]*rsa.PublicKey{}}
	var skipped []string
	usable := 0
	for i, k := range doc.Keys {
		if usable == jwksMaxKeys {
			break
		}
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("keys[%d]: %v", i, err))
			continue
		}
		if _, dup := s.byKID[k.Kid]; dup {
			continue // the first key of a kid wins
		}
		s.byKID[k.Kid] = pub
		s.only = pub
		usable++
	}
	if usable != 1 {
		s.only = nil
	}
	if usable == 0 {
		if len(skipped) > 0 {
			return nil, fmt.Errorf("no usable RS256 key (%s)", strings.Join(skipped, "; "))
		}
		return nil, errors.New("no RS256 signing key")
	}
	return s, nil
}

func rsaKey(n, e string) (*rsa.PublicKey, error) {
	nb, err := decodeB64URL(n)
	if err != nil || len(nb) == 0 {
		return nil, errors.New("n is not base64url")
	}
	eb, err := decodeB64URL(e)
	if err != nil || len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("e is not a base64url exponent")
	}
	exp := 0
	for _, b := range eb {
		exp = exp<<8 | int(b)
	}
	if exp < 3 || exp%2 == 0 || exp > 1<<31-1 {
		return nil, errors.New("e is not a valid RSA exponent")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: exp}
	if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("a %d-bit key (%d to %d bits are accepted)", bits, minRSABits, maxRSABits)
	}
	return pub, nil
}

func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// redact drops credentials from a URI before it is logged: user info and the query.
func redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "(unparsable URI)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
