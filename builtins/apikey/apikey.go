// Package apikey is the "api-key" built-in: the stage setting "API key required" (DESIGN §3 step 4). It reads the
// key from a request header (x-nhn-apikey unless configured), looks its SHA-256 digest up in the usage guard, and
// answers 401, 403 or 429 itself when the key is missing, unknown, inactive, not connected to a usage plan on this
// stage, or over its plan's RPS or quota. Key values are never logged: only their digests are handled past the
// header read.
//
// Config: true (required, default header), false (off), or {"header": "x-my-key"}. The plugin needs the
// *usage.Guard in abi.BuildContext.Services[usage.ServiceKey].
package apikey

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/portico-gateway/portico/builtins/reply"
	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/usage"
)

// Type is the plugin type name.
const Type = "api-key"

// DefaultHeader is the header that carries the key (the seed's).
const DefaultHeader = "x-nhn-apikey"

// maxValueLen bounds the value looked up: no key value is longer (storage.MaxKeyValueLen).
const maxValueLen = 256

// Error codes of the responses the plugin answers itself (docs/errors.md).
const (
	CodeMissing       = "apikey_missing"
	CodeInvalid       = "apikey_invalid"
	CodeInactive      = "apikey_inactive"
	CodeNotAllowed    = "apikey_not_allowed"
	CodeRPSExceeded   = "usage_rps_exceeded"
	CodeQuotaExceeded = "usage_quota_exceeded"
)

func init() {
	abi.Register(abi.Type{Name: Type, Phases: []abi.Phase{abi.PhaseRequest},
		Validate: func(_ abi.Site, raw json.RawMessage) error { _, err := Parse(raw); return err },
		New:      New})
}

// Config is the decoded configuration.
type Config struct {
	Enabled bool
	Header  string // lower case
}

// Parse reads true, false or {"header": "name"}.
func Parse(raw json.RawMessage) (Config, error) {
	t := bytes.TrimSpace(raw)
	switch string(t) {
	case "", "true", "{}":
		return Config{Enabled: true, Header: DefaultHeader}, nil
	case "false", "null":
		return Config{}, nil
	}
	var obj struct {
		Header *string `json:"header"`
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&obj); err != nil {
		return Config{}, fmt.Errorf(`apiKey: use true, false or {"header": "x-nhn-apikey"}: %w`, err)
	}
	c := Config{Enabled: true, Header: DefaultHeader}
	if obj.Header != nil {
		if !validHeader(*obj.Header) {
			return Config{}, fmt.Errorf("header: %q is not a valid header name", *obj.Header)
		}
		c.Header = strings.ToLower(*obj.Header)
	}
	return c, nil
}

func validHeader(s string) bool {
	if s == "" || len(s) > 128 {
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

// New compiles a binding for a route of the stage bc names.
func New(bc abi.BuildContext, raw json.RawMessage) (abi.Plugin, error) {
	c, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	if !c.Enabled {
		return off{}, nil
	}
	g, ok := bc.Services[usage.ServiceKey].(*usage.Guard)
	if !ok || g == nil {
		return nil, fmt.Errorf("API keys are not available: this gateway has no usage guard (Services[%q])",
			usage.ServiceKey)
	}
	return &Plugin{
		guard:      g,
		stage:      g.Stage(bc.ServiceID, bc.Stage),
		header:     []byte(c.Header),
		msgMissing: "an API key is required: send it in the " + c.Header + " header",
	}, nil
}

// Plugin checks the API key of every request of its routes.
type Plugin struct {
	guard      *usage.Guard
	stage      *usage.Stage
	header     []byte
	msgMissing string
}

// valueBuf holds a header read. The Exchange is an interface, so a stack buffer handed to it would escape: a
// pool keeps the allowed path free of allocations.
type valueBuf [maxValueLen + 64]byte

var bufPool = sync.Pool{New: func() any { return new(valueBuf) }}

// HandleRequest answers the request itself unless the key may call the stage.
func (p *Plugin) HandleRequest(ex abi.Exchange) (bool, uint32) {
	hash, code := p.digest(ex)
	switch code {
	case CodeMissing:
		reply.Error(ex, 401, CodeMissing, p.msgMissing)
		return false, 0
	case CodeInvalid:
		reply.Error(ex, 401, CodeInvalid, "the API key is not valid")
		return false, 0
	}
	r := p.guard.Check(p.stage, &hash)
	switch r.Decision {
	case usage.Allowed:
		return true, 0
	case usage.KeyUnknown:
		reply.Error(ex, 401, CodeInvalid, "the API key is not valid")
	case usage.KeyInactive:
		reply.Error(ex, 403, CodeInactive, "the API key is inactive")
	case usage.NotAllowed:
		reply.Error(ex, 403, CodeNotAllowed, "the API key is not connected to a usage plan of this stage")
	case usage.RPSExceeded:
		reply.RetryAfter(ex, r.RetryAfter)
		reply.Error(ex, 429, CodeRPSExceeded, "too many requests per second for this API key's usage plan")
	case usage.QuotaExceeded:
		reply.RetryAfter(ex, r.RetryAfter)
		reply.Error(ex, 429, CodeQuotaExceeded, "this API key's request quota for the period is used up")
	default:
		reply.Error(ex, 500, "internal", "internal error")
	}
	return false, 0
}

// digest reads the key value (the header's first value, spaces trimmed) and returns its SHA-256 digest, or the
// error code that refuses the request. The value itself goes no further.
func (p *Plugin) digest(ex abi.Exchange) ([32]byte, string) {
	buf := bufPool.Get().(*valueBuf)
	defer bufPool.Put(buf)
	vals, n := ex.AppendHeaderValues(abi.HeaderRequest, p.header, buf[:0])
	if n == 0 {
		return [32]byte{}, CodeMissing
	}
	if i := bytes.IndexByte(vals, 0); i >= 0 {
		vals = vals[:i] // the first value; a client sends one
	}
	v := bytes.TrimSpace(vals)
	switch {
	case len(v) == 0:
		return [32]byte{}, CodeMissing
	case len(v) > maxValueLen:
		return [32]byte{}, CodeInvalid
	}
	return sha256.Sum256(v), ""
}

func (p *Plugin) HandleResponse(abi.Exchange, uint32, bool) {}

// off is a binding configured false: API keys switched off below a path that requires them.
type off struct{}

func (off) HandleRequest(abi.Exchange) (bool, uint32) { return true, 0 }
func (off) HandleResponse(abi.Exchange, uint32, bool) {}

var (
	_ abi.Plugin = (*Plugin)(nil)
	_ abi.Plugin = off{}
)
