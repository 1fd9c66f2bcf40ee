// Package precall is the pre-call built-in plugin (type "pre-call", the stage setting "preCall"): before the
// backend, it calls a configured API with the incoming request's headers; a 200 lets the request go on, any other
// answer is returned to the client as it is.
//
// Decisions:
//   - The pre-call gets the incoming request's headers, without hop-by-hop headers (Connection and the headers it
//     names, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-*), Host (set from the pre-call URL),
//     Content-Length and Expect: it gets no body, whatever its method.
//   - 200 continues. Any other status — 3xx included, redirects are not followed — is the client's answer: status,
//     headers (minus hop-by-hop and Content-Length) and body. A body over 1 MiB, a connection failure or a timeout
//     answers 502 "precall_failed"; the cause goes to the log, never to the client.
//   - Only 200s are cached (the seed), for cacheSeconds, keyed by a SHA-256 of the sorted header lines sent. A
//     collision-resistant hash because a cached 200 stands for an authorization: two header sets must not share
//     one. Per-request correlation headers (x-request-id, traceparent, tracestate) are sent but left out of the
//     key, or no request would ever hit the cache; a pre-call does not authorize by trace ID.
//   - The cache holds at most MaxCacheEntries entries per binding; a full cache drops expired entries it samples,
//     else an arbitrary one (a forgotten 200 costs one more pre-call, nothing else).
//   - Concurrent misses for the same headers each call the pre-call API (no coalescing yet).
//   - Calls use one shared fasthttp client (connections are reused across bindings and deployments) unless the
//     host provides one as BuildContext.Services[ServiceClient].
package precall

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/abi"
)

// Type is the plugin type name.
const Type = "pre-call"

// CodeFailed is the error code of the 502 answered when the pre-call API cannot be called.
const CodeFailed = "precall_failed"

// ServiceClient is the BuildContext.Services key of a Doer to make pre-calls with (optional).
const ServiceClient = "precall.client"

// Limits and defaults.
const (
	DefaultTimeout  = 10 * time.Second
	MaxTimeout      = 60 * time.Second
	MaxCacheSeconds = 86400
	// MaxBodySize bounds a pre-call response body returned to the client.
	MaxBodySize = 1 << 20
	// MaxCacheEntries bounds one binding's cache of 200 answers.
	MaxCacheEntries = 10_000
)

// Doer makes an HTTP request; *fasthttp.Client implements it.
type Doer interface {
	DoTimeout(req *fasthttp.Request, resp *fasthttp.Response, timeout time.Duration) error
}

// defaultClient is shared by every binding so that connections to a pre-call API are reused across routes and
// deployments. Redirects are not followed (Do never does), bodies are bounded, the URL is sent as configured.
var defaultClient = &fasthttp.Client{
	NoDefaultUserAgentHeader: true,
	MaxResponseBodySize:      MaxBodySize,
	DisablePathNormalizing:   true,
	MaxConnsPerHost:          1024,
	// Wait for a free connection rather than fail at once under a burst; the call's timeout still bounds it.
	MaxConnWaitTimeout:  MaxTimeout,
	MaxIdleConnDuration: 30 * time.Second,
}

func init() {
	abi.Register(abi.Type{Name: Type, Phases: []abi.Phase{abi.PhaseRequest},
		Validate: func(_ abi.Site, raw json.RawMessage) error { _, err := parse(raw); return err },
		New: func(bc abi.BuildContext, raw json.RawMessage) (abi.Plugin, error) {
			c, err := parse(raw)
			if err != nil {
				return nil, err
			}
			var client Doer = defaultClient
			if s, ok := bc.Services[ServiceClient]; ok {
				if client, ok = s.(Doer); !ok {
					return nil, fmt.Errorf("pre-call: service %q is a %T, not a precall.Doer", ServiceClient, s)
				}
			}
			return newPlugin(c, client, time.Now), nil
		}})
}

// Config is the plugin's JSON config (a public contract: the stage setting preCall).
type Config struct {
	// Method is the pre-call's method (GET when absent).
	Method string `json:"method,omitempty"`
	// URL is the pre-call API, http:// or https://.
	URL string `json:"url"`
	// CacheSeconds is how long a 200 answer is reused for the same headers, 0 (no cache) to 86400.
	CacheSeconds int `json:"cacheSeconds,omitempty"`
	// TimeoutMs bounds the call, 1..60000 (10000 when absent).
	TimeoutMs int `json:"timeoutMs,omitempty"`
}

// compiled is a checked config.
type compiled struct {
	method  []byte
	url     string
	cache   time.Duration
	timeout time.Duration
}

var methods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}

// parse decodes and checks a config. Errors name the field.
func parse(raw json.RawMessage) (*compiled, error) {
	var cfg Config
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("config: %w (fields: method, url, cacheSeconds, timeoutMs)", err)
	}
	c := &compiled{method: []byte("GET"), timeout: DefaultTimeout}
	if cfg.Method != "" {
		m := strings.ToUpper(cfg.Method)
		found := false
		for _, known := range methods {
			found = found || m == known
		}
		if !found {
			return nil, fmt.Errorf("method: must be one of %s", strings.Join(methods, ", "))
		}
		c.method = []byte(m)
	}
	u, err := url.Parse(cfg.URL)
	switch {
	case cfg.URL == "":
		return nil, fmt.Errorf("url: give the pre-call API's URL, e.g. \"https://auth.example.com/check\"")
	case err != nil:
		return nil, fmt.Errorf("url: %q is not a URL", cfg.URL)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("url: must start with http:// or https://")
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("url: has no host")
	case u.User != nil:
		// Credentials in a URL end up in logs and exports; the pre-call gets the client's own headers instead.
		return nil, fmt.Errorf("url: must not contain a user name or password")
	case u.Fragment != "" || strings.Contains(cfg.URL, "#"):
		return nil, fmt.Errorf("url: must not contain a fragment (#…)")
	case strings.ContainsAny(cfg.URL, " \t\r\n\x00"):
		return nil, fmt.Errorf("url: must not contain spaces or control characters")
	}
	c.url = cfg.URL
	if cfg.CacheSeconds < 0 || cfg.CacheSeconds > MaxCacheSeconds {
		return nil, fmt.Errorf("cacheSeconds: must be from 0 (no cache) to %d", MaxCacheSeconds)
	}
	c.cache = time.Duration(cfg.CacheSeconds) * time.Second
	if cfg.TimeoutMs < 0 || time.Duration(cfg.TimeoutMs)*time.Millisecond > MaxTimeout {
		return nil, fmt.Errorf("timeoutMs: must be from 1 to %d (absent: %d)", MaxTimeout.Milliseconds(),
			DefaultTimeout.Milliseconds())
	}
	if cfg.TimeoutMs > 0 {
		c.timeout = time.Duration(cfg.TimeoutMs) * time.Millisecond
	}
	return c, nil
}
