// Package ratelimit is the rate-limit built-in plugin (type "rate-limit", the stage setting "rateLimit"): lock-free
// token buckets (see bucket), one per binding or one per value of a request key, and 429 beyond them.
//
// Decisions:
//   - Token bucket: rps tokens a second, burst tokens at most (burst defaults to rps, so "rps: 5" lets 5 requests
//     through at once and 5 a second after that). The seed warns that the count is approximate.
//   - Keys: "none" is one bucket for the binding (the deploy compiler shares one binding per declaration, so a root
//     setting limits the whole stage and a method's setting that method); "ip" the client IP; "header" the named
//     request header's values; "pathVariable" a path variable declared on the binding's path (checked at save
//     time). A request whose key is missing is not limited, as the seed says.
//   - Bounded memory: see table — a bucket is dropped once it has been full again for IdleTTL, at most MaxKeys
//     per binding, and a full table evicts, of a sample, the bucket that was full again first. Buckets live as
//     long as the deployment: a redeploy starts afresh.
//   - Over the limit: 429 "rate_limited" with Retry-After (seconds until a request would pass, at least 1) and the
//     IETF draft headers RateLimit-Limit (burst), RateLimit-Remaining (0) and RateLimit-Reset (seconds until the
//     bucket is full again).
//   - Allowed requests that were counted also get the RateLimit-* headers, on whatever response the client gets:
//     clients can pace themselves before they hit 429s, the draft's intent (Kong does the same). They replace a
//     backend's own RateLimit-* headers: the gateway's limit is the one in front of the client.
package ratelimit

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portico-gateway/portico/builtins/reply"
	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/router"
)

// Type is the plugin type name.
const Type = "rate-limit"

// CodeRateLimited is the error code of the 429 response.
const CodeRateLimited = "rate_limited"

// Limits on a config.
const (
	MaxRPS   = 100_000
	MaxBurst = 100_000
)

// Key types.
const (
	KeyNone         = "none"
	KeyIP           = "ip"
	KeyHeader       = "header"
	KeyPathVariable = "pathVariable"
)

func init() {
	abi.Register(abi.Type{Name: Type, Phases: []abi.Phase{abi.PhaseRequest},
		Validate: func(at abi.Site, raw json.RawMessage) error { _, err := parse(raw, at.Path, at.Segments); return err },
		New: func(bc abi.BuildContext, raw json.RawMessage) (abi.Plugin, error) {
			c, err := parse(raw, bc.Path, bc.Segments)
			if err != nil {
				return nil, err
			}
			return newPlugin(c, time.Now, MaxKeys), nil
		}})
}

// Config is the plugin's JSON config (a public contract: the stage setting rateLimit).
type Config struct {
	// RPS is the sustained number of requests per second, 1..100000.
	RPS int `json:"rps"`
	// Burst is how many requests may arrive at once, 1..100000; 0 or absent means RPS.
	Burst int `json:"burst,omitempty"`
	// Key selects what is limited separately; absent means {"type":"none"}.
	Key *Key `json:"key,omitempty"`
}

// Key is the config's key: type none | ip | header | pathVariable, and the header or path variable's name.
type Key struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

type keyKind uint8

const (
	kindNone keyKind = iota
	kindIP
	kindHeader
	kindPathVar
)

// compiled is a checked config.
type compiled struct {
	rps, burst int
	kind       keyKind
	name       []byte // the header name, or the context variable ("request.path.id") of a path variable
}

var ctxClientIP = []byte("request.clientIp")

// parse decodes and checks a config; path and segs are where the binding is declared. Errors name the field.
func parse(raw json.RawMessage, path string, segs []router.Segment) (*compiled, error) {
	var cfg Config
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("config: %w (fields: rps, burst, key)", err)
	}
	if cfg.RPS < 1 || cfg.RPS > MaxRPS {
		return nil, fmt.Errorf("rps: must be a whole number from 1 to %d", MaxRPS)
	}
	if cfg.Burst < 0 || cfg.Burst > MaxBurst {
		return nil, fmt.Errorf("burst: must be from 1 to %d (absent: the rps)", MaxBurst)
	}
	c := &compiled{rps: cfg.RPS, burst: cfg.Burst}
	if c.burst == 0 {
		c.burst = c.rps
	}
	if cfg.Key == nil {
		return c, nil
	}
	k := cfg.Key
	switch k.Type {
	case KeyNone:
		c.kind = kindNone
	case KeyIP:
		c.kind = kindIP
	case KeyHeader:
		if !validToken(k.Name) {
			return nil, fmt.Errorf("key.name: give the request header to limit by, e.g. \"x-user-id\"")
		}
		c.kind, c.name = kindHeader, []byte(strings.ToLower(k.Name))
		return c, nil
	case KeyPathVariable:
		v, err := pathVariable(k.Name, path, segs)
		if err != nil {
			return nil, err
		}
		c.kind, c.name = kindPathVar, []byte(v)
		return c, nil
	default:
		return nil, fmt.Errorf(`key.type: must be "none", "ip", "header" or "pathVariable"`)
	}
	if k.Name != "" {
		return nil, fmt.Errorf("key.name: only a header or pathVariable key has a name")
	}
	return c, nil
}

// pathVariable checks that name is a variable of the binding's path and returns its context variable. A greedy
// {name+} may be given as "name" or "name+".
func pathVariable(name, path string, segs []router.Segment) (string, error) {
	var declared []string
	for _, s := range segs {
		switch s.Kind {
		case router.Param:
			if name == s.Value {
				return "request.path." + s.Value, nil
			}
			declared = append(declared, s.Value)
		case router.Greedy:
			if name == s.Value || name == s.Value+"+" {
				return "request.path." + s.Value + "+", nil
			}
			declared = append(declared, s.Value+"+")
		}
	}
	if name == "" {
		return "", fmt.Errorf("key.name: give the path variable to limit by")
	}
	if len(declared) == 0 {
		return "", fmt.Errorf("key.name: path variable %q is not declared: %s has no path variables", name, orRoot(path))
	}
	return "", fmt.Errorf("key.name: path variable %q is not declared on %s (declared: %s)", name, orRoot(path),
		strings.Join(declared, ", "))
}

func orRoot(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// validToken reports whether s is an RFC 9110 token (a header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// Plugin is a compiled rate-limit binding; its buckets are shared by every route the binding applies to.
type Plugin struct {
	c      *compiled
	limits limits
	single *bucket // kindNone
	table  *table  // the other kinds
	now    func() time.Time
	epoch  time.Time // bucket times are nanoseconds since epoch: monotonic, immune to wall-clock steps

	limitValue []byte // RateLimit-Limit
	message    string // the 429 message
}

func newPlugin(c *compiled, now func() time.Time, maxKeys int) *Plugin {
	p := &Plugin{c: c, limits: newLimits(c.rps, c.burst), now: now, epoch: now(),
		limitValue: strconv.AppendInt(nil, int64(c.burst), 10),
		message:    fmt.Sprintf("too many requests: the limit is %d per second", c.rps)}
	if c.kind == kindNone {
		p.single = new(bucket)
	} else {
		p.table = newTable(maxKeys)
	}
	return p
}

var (
	hLimit     = []byte("RateLimit-Limit")
	hRemaining = []byte("RateLimit-Remaining")
	hReset     = []byte("RateLimit-Reset")
	vZero      = []byte("0")
)

// HandleRequest takes a token from the request's bucket, or answers 429.
func (p *Plugin) HandleRequest(ex abi.Exchange) (bool, uint32) {
	now := int64(p.now().Sub(p.epoch))
	b := p.single
	if b == nil {
		s := getScratch()
		key, ok := p.appendKey(ex, s.buf[:0])
		s.keep(key)
		if !ok {
			s.release()
			return true, 0 // no key, no limit (seed)
		}
		b = p.table.bucket(key, now)
		s.release()
	}
	allowed, wait := p.limits.take(b, now)
	if allowed {
		return true, packCtx(p.limits.remaining(wait), ceilSeconds(wait))
	}
	reply.RetryAfter(ex, time.Duration(p.limits.retryAfter(wait)))
	s := getScratch()
	_ = ex.SetHeader(abi.HeaderResponse, hLimit, p.limitValue)
	_ = ex.SetHeader(abi.HeaderResponse, hRemaining, vZero)
	v := strconv.AppendInt(s.buf[:0], ceilSeconds(wait), 10)
	_ = ex.SetHeader(abi.HeaderResponse, hReset, v)
	s.release()
	reply.Error(ex, 429, CodeRateLimited, p.message)
	return false, 0
}

// HandleResponse adds the RateLimit-* headers of a counted request to its response.
func (p *Plugin) HandleResponse(ex abi.Exchange, rc uint32, _ bool) {
	if rc == 0 {
		return
	}
	remaining, reset := unpackCtx(rc)
	s := getScratch()
	_ = ex.SetHeader(abi.HeaderResponse, hLimit, p.limitValue)
	b := strconv.AppendInt(s.buf[:0], int64(remaining), 10)
	_ = ex.SetHeader(abi.HeaderResponse, hRemaining, b)
	b = strconv.AppendInt(b[:0], int64(reset), 10)
	_ = ex.SetHeader(abi.HeaderResponse, hReset, b)
	s.release()
}

// appendKey appends the request's key to dst; ok is false when the request has none.
func (p *Plugin) appendKey(ex abi.Exchange, dst []byte) ([]byte, bool) {
	switch p.c.kind {
	case kindIP:
		out, ok := ex.ContextVar(ctxClientIP, dst)
		return out, ok && len(out) > len(dst)
	case kindPathVar:
		out, ok := ex.ContextVar(p.c.name, dst)
		return out, ok && len(out) > len(dst)
	case kindHeader:
		// The key is every line of the header, NUL-separated, so it is the header as the client sent it. A
		// header whose values are all empty counts as missing, like an absent one.
		out, n := ex.AppendHeaderValues(abi.HeaderRequest, p.c.name, dst)
		return out, n > 0 && len(out)-len(dst) > n
	}
	return dst, false
}

// reqCtx packing for HandleResponse: bit 31 marks a counted request, bits 17–30 hold the reset seconds (clamped
// to 16383, reached only when burst/rps exceeds 4.5 hours) and bits 0–16 the remaining tokens (burst ≤ 100000 <
// 2^17).
const (
	ctxCounted   = 1 << 31
	remainingBit = 17
	maxReset     = 1<<14 - 1
)

func packCtx(remaining, reset int64) uint32 {
	return ctxCounted | uint32(min(reset, maxReset))<<remainingBit | uint32(min(max(remaining, 0), 1<<remainingBit-1))
}

func unpackCtx(rc uint32) (remaining, reset int) {
	return int(rc & (1<<remainingBit - 1)), int(rc >> remainingBit & maxReset)
}

// scratch is a reusable byte buffer for keys and header values. Buffers handed to an interface method escape to
// the heap, so a stack array would cost an allocation per request; a pooled buffer costs none.
type scratch struct{ buf []byte }

// maxScratch bounds the buffer a scratch keeps between uses, so one huge header does not stay pinned.
const maxScratch = 16 << 10

var scratchPool = sync.Pool{New: func() any { return &scratch{buf: make([]byte, 0, 256)} }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// keep adopts b, an append result on s.buf, as the buffer if it grew (within maxScratch).
func (s *scratch) keep(b []byte) {
	if cap(b) > cap(s.buf) && cap(b) <= maxScratch {
		s.buf = b[:0]
	}
}

func (s *scratch) release() { scratchPool.Put(s) }

var _ abi.Plugin = (*Plugin)(nil)
