// Package headers is the request-header and response-header built-in plugins: set (add or replace) and remove
// headers; values may use context variables, and can never inject CR or LF.
package headers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/ctxvar"
	"github.com/portico-gateway/portico/runtime/router"
)

// Plugin type names.
const (
	RequestType  = "request-header"
	ResponseType = "response-header"
)

// Limits on a config.
const (
	maxHeaders     = 64
	maxValueLength = 8 << 10
)

func init() {
	abi.Register(abi.Type{Name: RequestType, Phases: []abi.Phase{abi.PhaseRequest},
		Validate: func(at abi.Site, raw json.RawMessage) error { _, err := parse(raw, at.Segments); return err },
		New: func(bc abi.BuildContext, raw json.RawMessage) (abi.Plugin, error) {
			c, err := parse(raw, bc.Segments)
			if err != nil {
				return nil, err
			}
			return &Request{c: c}, nil
		}})
	abi.Register(abi.Type{Name: ResponseType, Phases: []abi.Phase{abi.PhaseResponse},
		Validate: func(at abi.Site, raw json.RawMessage) error { _, err := parse(raw, at.Segments); return err },
		New: func(bc abi.BuildContext, raw json.RawMessage) (abi.Plugin, error) {
			c, err := parse(raw, bc.Segments)
			if err != nil {
				return nil, err
			}
			return &Response{c: c}, nil
		}})
}

// Config is the JSON config of both plugins.
type Config struct {
	Set    map[string]string `json:"set,omitempty"`
	Remove []string          `json:"remove,omitempty"`
}

type setHeader struct {
	name  []byte
	value *ctxvar.Template
}

type compiled struct {
	set    []setHeader // sorted by name: a deterministic order
	remove [][]byte
}

// parse decodes and checks a config against the context variables of scope. Errors name the field.
func parse(raw json.RawMessage, scope []router.Segment) (*compiled, error) {
	var cfg Config
	if len(raw) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("config: %w (fields: set, remove)", err)
		}
	}
	if len(cfg.Set) == 0 && len(cfg.Remove) == 0 {
		return nil, fmt.Errorf("config: set or remove at least one header")
	}
	if len(cfg.Set)+len(cfg.Remove) > maxHeaders {
		return nil, fmt.Errorf("config: at most %d headers", maxHeaders)
	}
	c := &compiled{}
	names := make([]string, 0, len(cfg.Set))
	for name := range cfg.Set {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		value := cfg.Set[name]
		if !validName(name) {
			return nil, fmt.Errorf("set.%s: not a valid header name", name)
		}
		if strings.ContainsAny(value, "\r\n\x00") || len(value) > maxValueLength {
			return nil, fmt.Errorf("set.%s: a value has no CR, LF or NUL and is at most %d bytes", name, maxValueLength)
		}
		tpl, err := ctxvar.Parse(value, scope)
		if err != nil {
			return nil, fmt.Errorf("set.%s: %w", name, err)
		}
		c.set = append(c.set, setHeader{name: []byte(http.CanonicalHeaderKey(name)), value: tpl})
	}
	for i, name := range cfg.Remove {
		if !validName(name) {
			return nil, fmt.Errorf("remove[%d]: %q is not a valid header name", i, name)
		}
		c.remove = append(c.remove, []byte(name))
	}
	return c, nil
}

func validName(s string) bool {
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

// apply changes kind's headers.
func (c *compiled) apply(ex abi.Exchange, kind abi.HeaderKind) {
	for _, name := range c.remove {
		_ = ex.RemoveHeader(kind, name)
	}
	if len(c.set) == 0 {
		return
	}
	// A buffer passed to an Exchange method escapes, so it comes from a pool rather than the stack.
	buf := valuePool.Get().(*[]byte)
	for i := range c.set {
		h := &c.set[i]
		v := h.value.AppendLookup((*buf)[:0], ex, ctxvar.HeaderValue)
		_ = ex.SetHeader(kind, h.name, v)
		*buf = v[:0]
	}
	valuePool.Put(buf)
}

var valuePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Request is the request-header plugin.
type Request struct{ c *compiled }

func (p *Request) HandleRequest(ex abi.Exchange) (bool, uint32) {
	p.c.apply(ex, abi.HeaderRequest)
	return true, 0
}

func (p *Request) HandleResponse(abi.Exchange, uint32, bool) {}

// Response is the response-header plugin.
type Response struct{ c *compiled }

func (p *Response) HandleRequest(abi.Exchange) (bool, uint32) { return true, 0 }

func (p *Response) HandleResponse(ex abi.Exchange, _ uint32, _ bool) {
	p.c.apply(ex, abi.HeaderResponse)
}

var (
	_ abi.Plugin = (*Request)(nil)
	_ abi.Plugin = (*Response)(nil)
)
