// Package proxy calls HTTP(S) backends for the data plane: one pooled keep-alive fasthttp.HostClient per backend
// origin, shared by every route and stage that uses it, with timeouts and response size limits.
package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/lazydeadline"
	"github.com/portico-gateway/portico/runtime/rawio"
)

// Defaults from the seed: 60 s per call, 10 MB responses.
const (
	DefaultTimeout          = 60 * time.Second
	DefaultMaxResponseBytes = 10 << 20
	DefaultMaxConnsPerHost  = 1024
	DefaultIdleConnTimeout  = 90 * time.Second
)

// Options tune the backend transport. Zero values take the defaults above.
type Options struct {
	Timeout          time.Duration
	MaxResponseBytes int
	MaxConnsPerHost  int
	IdleConnTimeout  time.Duration
	// TLSConfig is cloned for HTTPS backends; nil uses the system roots.
	TLSConfig *tls.Config
	// BreakerThreshold consecutive timeouts open a backend's circuit for BreakerOpenFor (defaults 5 and 30 s).
	BreakerThreshold int
	BreakerOpenFor   time.Duration
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.MaxConnsPerHost <= 0 {
		o.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	if o.IdleConnTimeout <= 0 {
		o.IdleConnTimeout = DefaultIdleConnTimeout
	}
	if o.BreakerThreshold <= 0 {
		o.BreakerThreshold = DefaultBreakerThreshold
	}
	if o.BreakerOpenFor <= 0 {
		o.BreakerOpenFor = DefaultBreakerOpenFor
	}
	return o
}

// Transport owns the connection pools. Targets are resolved at deploy time (under a lock, off the request path);
// requests only use the *Target they were compiled with.
type Transport struct {
	opts    Options
	mu      sync.Mutex
	origins map[string]*origin // key: scheme://host:port
}

// origin is one backend origin: its connection pool and its circuit breaker, shared by every target on it.
type origin struct {
	client  *fasthttp.HostClient
	breaker *breaker
}

// NewTransport returns a Transport with opts.
func NewTransport(opts Options) *Transport {
	return &Transport{opts: opts.withDefaults(), origins: make(map[string]*origin)}
}

// Timeout is the per-call timeout requests use.
func (t *Transport) Timeout() time.Duration { return t.opts.Timeout }

// Target is a parsed backend base URL bound to its connection pool.
type Target struct {
	URL      string
	client   *fasthttp.HostClient
	breaker  *breaker
	scheme   []byte
	host     []byte // host[:port] as written, sent as the Host header
	basePath []byte // without a trailing slash; "" for the origin root
	timeout  time.Duration
}

// Target parses a backend base URL such as "https://api.example.com/apis" and returns it bound to the pool of its
// origin.
func (t *Transport) Target(rawURL string) (*Target, error) {
	u, err := ParseBackendURL(rawURL)
	if err != nil {
		return nil, err
	}
	isTLS := u.Scheme == "https"
	addr := u.Host
	if u.Port() == "" {
		if isTLS {
			addr = net.JoinHostPort(u.Hostname(), "443")
		} else {
			addr = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	key := u.Scheme + "://" + addr
	t.mu.Lock()
	o, ok := t.origins[key]
	if !ok {
		c := &fasthttp.HostClient{
			Addr:                addr,
			IsTLS:               isTLS,
			MaxConns:            t.opts.MaxConnsPerHost,
			MaxIdleConnDuration: t.opts.IdleConnTimeout,
			MaxResponseBodySize: t.opts.MaxResponseBytes,
			// No ReadTimeout or WriteTimeout: Do's per-call timeout already bounds writing the request and reading the
			// response (both deadlines are set from it), and each of these would read the clock again per call.
			NoDefaultUserAgentHeader: true,
			DisablePathNormalizing:   true, // paths are escaped by the gateway; re-normalising would undo that
			// Retrying a non-idempotent request on another connection could run it twice on the backend.
			MaxIdemponentCallAttempts: 1,
			DialTimeout:               dialLazy,
			// The most recently used idle connection first, as nginx's upstream keepalive cache does: below
			// saturation a few warm connections carry the traffic and the rest reach their idle timeout.
			ConnPoolStrategy: fasthttp.LIFO,
		}
		if isTLS {
			if t.opts.TLSConfig != nil {
				c.TLSConfig = t.opts.TLSConfig.Clone()
			}
			if c.TLSConfig == nil {
				c.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			if c.TLSConfig.ServerName == "" {
				c.TLSConfig.ServerName = u.Hostname()
			}
		}
		o = &origin{client: c, breaker: newBreaker(t.opts.BreakerThreshold, t.opts.BreakerOpenFor)}
		t.origins[key] = o
	}
	t.mu.Unlock()
	return &Target{
		URL:      rawURL,
		client:   o.client,
		breaker:  o.breaker,
		scheme:   []byte(u.Scheme),
		host:     []byte(u.Host),
		basePath: []byte(strings.TrimSuffix(u.EscapedPath(), "/")),
		timeout:  t.opts.Timeout,
	}, nil
}

// ParseBackendURL checks a backend base URL: http or https, a host, no query, fragment or user info.
func ParseBackendURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("backend URL %q: %w", rawURL, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("backend URL %q: scheme must be http:// or https://", rawURL)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("backend URL %q: missing host", rawURL)
	case u.User != nil:
		return nil, fmt.Errorf("backend URL %q: user info is not allowed", rawURL)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, fmt.Errorf("backend URL %q: no query string or fragment allowed", rawURL)
	}
	return u, nil
}

// BasePath is the path prefix every backend path is appended to (no trailing slash).
func (tg *Target) BasePath() []byte { return tg.basePath }

// Prepare points req at this target: scheme, host (also the Host header) and path (already escaped). The query
// string of req is kept.
func (tg *Target) Prepare(req *fasthttp.Request, escapedPath []byte) {
	uri := req.URI()
	uri.DisablePathNormalizing = true
	uri.SetSchemeBytes(tg.scheme)
	uri.SetHostBytes(tg.host)
	uri.SetPathBytes(escapedPath)
	req.UseHostHeader = false
	req.Header.SetHostBytes(tg.host)
}

// Do sends req and reads resp within the target's timeout, unless the origin's circuit is open.
func (tg *Target) Do(req *fasthttp.Request, resp *fasthttp.Response) error {
	if !tg.breaker.allow() {
		return ErrCircuitOpen
	}
	err := tg.client.DoTimeout(req, resp, tg.timeout)
	tg.breaker.record(err != nil && isTimeout(err))
	return err
}

func isTimeout(err error) bool {
	if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Failure classifies a backend error into the status and stable code the gateway answers with.
func Failure(err error) (status int, code string) {
	switch {
	case errors.Is(err, ErrCircuitOpen):
		return fasthttp.StatusServiceUnavailable, "backend_circuit_open"
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout):
		return fasthttp.StatusGatewayTimeout, "backend_timeout"
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return fasthttp.StatusBadGateway, "backend_response_too_large"
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return fasthttp.StatusServiceUnavailable, "backend_busy"
	}
	if isTimeout(err) {
		return fasthttp.StatusGatewayTimeout, "backend_timeout"
	}
	return fasthttp.StatusBadGateway, "backend_unavailable"
}

// dialLazy dials like fasthttp's default dialer (with its DNS cache) and wraps the connection with lazy deadlines (the
// client re-arms its read and write deadlines on every call) over raw reads and writes (see package rawio).
func dialLazy(addr string, timeout time.Duration) (net.Conn, error) {
	var (
		c   net.Conn
		err error
	)
	if timeout > 0 {
		c, err = fasthttp.DialTimeout(addr, timeout)
	} else {
		c, err = fasthttp.Dial(addr)
	}
	if err != nil {
		return nil, err
	}
	return lazydeadline.Wrap(rawio.Wrap(c)), nil
}
