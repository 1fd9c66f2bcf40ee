// Package query is the query-param built-in plugin: it appends parameters to the query string the backend
// receives — never replacing the client's parameters of the same name — with values encoded and allowed to use
// context variables.
package query

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/ctxvar"
	"github.com/portico-gateway/portico/runtime/router"
)

// Type is the plugin type name.
const Type = "query-param"

const maxParams = 64

func init() {
	abi.Register(abi.Type{Name: Type, Phases: []abi.Phase{abi.PhaseRequest},
		Validate: func(at abi.Site, raw json.RawMessage) error { _, err := parse(raw, at.Segments); return err },
		New: func(bc abi.BuildContext, raw json.RawMessage) (abi.Plugin, error) {
			return parse(raw, bc.Segments)
		}})
}

// Config is the plugin's JSON config.
type Config struct {
	Add map[string]string `json:"add"`
}

type param struct {
	name  []byte // already query-escaped
	value *ctxvar.Template
}

// Plugin is the compiled query-param plugin.
type Plugin struct {
	params []param
}

func parse(raw json.RawMessage, scope []router.Segment) (*Plugin, error) {
	var cfg Config
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("config: %w (fields: add)", err)
	}
	if len(cfg.Add) == 0 || len(cfg.Add) > maxParams {
		return nil, fmt.Errorf("add: give 1 to %d parameters", maxParams)
	}
	names := make([]string, 0, len(cfg.Add))
	for n := range cfg.Add {
		names = append(names, n)
	}
	sort.Strings(names)
	p := &Plugin{}
	for _, n := range names {
		if n == "" {
			return nil, fmt.Errorf("add: a parameter name is empty")
		}
		tpl, err := ctxvar.Parse(cfg.Add[n], scope)
		if err != nil {
			return nil, fmt.Errorf("add.%s: %w", n, err)
		}
		p.params = append(p.params, param{name: []byte(url.QueryEscape(n)), value: tpl})
	}
	return p, nil
}

// HandleRequest appends the parameters through set_uri; a URI whose path is unchanged keeps the method's backend
// path, so only the query changes.
func (p *Plugin) HandleRequest(ex abi.Exchange) (bool, uint32) {
	// Buffers handed to an Exchange method escape to the heap, so stack arrays would cost an allocation per
	// request; pooled ones cost none (SetURI copies the URI).
	b := bufPool.Get().(*buffers)
	defer b.release()
	uri := append(b.uri[:0], ex.URI()...)
	sep := byte('?')
	if i := strings.IndexByte(string(uri), '?'); i >= 0 {
		sep = '&'
		if i == len(uri)-1 {
			sep = 0
		}
	}
	for _, prm := range p.params {
		if sep != 0 {
			uri = append(uri, sep)
		}
		sep = '&'
		uri = append(uri, prm.name...)
		uri = append(uri, '=')
		// The whole value is encoded, literal text included: "c&d" must not become a second parameter.
		b.val = prm.value.AppendLookup(b.val[:0], ex, ctxvar.Raw)
		uri = ctxvar.AppendEscaped(uri, b.val, ctxvar.QueryEscape)
	}
	b.uri = uri
	if err := ex.SetURI(uri); err != nil {
		ex.Log(abi.LogWarn, []byte("query-param: the request URI could not be rewritten"))
	}
	return true, 0
}

// buffers are a request's URI and value buffers.
type buffers struct{ uri, val []byte }

// maxPooled bounds the buffers kept between requests, so one huge URI does not stay pinned.
const maxPooled = 16 << 10

var bufPool = sync.Pool{New: func() any { return &buffers{uri: make([]byte, 0, 1024), val: make([]byte, 0, 256)} }}

func (b *buffers) release() {
	if cap(b.uri) > maxPooled || cap(b.val) > maxPooled {
		return
	}
	bufPool.Put(b)
}

func (p *Plugin) HandleResponse(abi.Exchange, uint32, bool) {}

var _ abi.Plugin = (*Plugin)(nil)
