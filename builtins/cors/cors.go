// Package cors is the CORS built-in plugin (type "cors"): it answers preflight requests itself and adds the
// Access-Control-* headers to the responses of cross-origin requests from allowed origins.
//
// Decisions:
//   - A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered by the plugin with 204 and
//     never reaches the backend. A preflight from an origin that is not allowed gets 403 "cors_origin"; one asking
//     for a method that is not allowed gets 403 "cors_method" (the CORS-safelisted GET, HEAD and POST are always
//     allowed, as the Fetch standard says). Requested headers are not checked: the answer lists the allowed ones
//     and the browser decides, which is what the standard expects of a server.
//   - allowMethods ["*"] and allowHeaders ["*"] echo what the preflight asked for instead of sending a literal
//     "*": the literal is ignored by browsers on credentialed requests, the echo works for both.
//   - allowOrigins ["*"] answers "Access-Control-Allow-Origin: *" and cannot be combined with allowCredentials
//     (refused when the config is saved).
//   - Cross-origin responses get their headers in HandleResponse, so they are on backend responses and on the
//     gateway's own errors from later plugins (a 429, a 401) alike — a browser can then read the error.
//   - Every response that passes through the plugin gets "Vary: Origin", even for requests without Origin: the
//     response differs with the Origin header, and a shared cache must not hand an Origin-less copy (without
//     Access-Control-Allow-Origin) to a browser's cross-origin request. Nothing else is added without an Origin.
//   - A path with this plugin needs an OPTIONS route for preflights; the deploy compiler generates it (IsCORS).
package cors

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/portico-gateway/portico/builtins/reply"
	"github.com/portico-gateway/portico/runtime/abi"
)

// Type is the plugin type name.
const Type = "cors"

// Error codes of the gateway's own responses.
const (
	CodeOrigin = "cors_origin" // 403: a preflight from an origin that is not allowed
	CodeMethod = "cors_method" // 403: a preflight asking for a method that is not allowed
)

// IsCORS reports whether a plugin type is the CORS plugin: the deploy compiler gives every path a CORS binding
// applies to a managed OPTIONS route, which the plugin answers.
func IsCORS(typ string) bool { return typ == Type }

func init() {
	abi.Register(abi.Type{Name: Type, Phases: []abi.Phase{abi.PhaseRequest}, Scopes: abi.ScopePath,
		Validate: func(_ abi.Site, raw json.RawMessage) error { _, err := parse(raw); return err },
		New: func(_ abi.BuildContext, raw json.RawMessage) (abi.Plugin, error) {
			return parse(raw)
		}})
}

// Header names and constant values, as bytes once so that the request path converts nothing.
var (
	hOrigin           = []byte("Origin")
	hRequestMethod    = []byte("Access-Control-Request-Method")
	hRequestHeaders   = []byte("Access-Control-Request-Headers")
	hAllowOrigin      = []byte("Access-Control-Allow-Origin")
	hAllowMethods     = []byte("Access-Control-Allow-Methods")
	hAllowHeaders     = []byte("Access-Control-Allow-Headers")
	hAllowCredentials = []byte("Access-Control-Allow-Credentials")
	hExposeHeaders    = []byte("Access-Control-Expose-Headers")
	hMaxAge           = []byte("Access-Control-Max-Age")
	hVary             = []byte("Vary")

	vAny           = []byte("*")
	vTrue          = []byte("true")
	vOrigin        = []byte("Origin")
	vPreflightVary = []byte("Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	mOptions       = []byte("OPTIONS")
)

// reqCtx values handed from HandleRequest to HandleResponse: which Access-Control-Allow-Origin to send.
const (
	ctxNone = 0 // no Origin, or one that is not allowed: only Vary
	ctxAny  = 1 // allowOrigins ["*"]: "*"
	// ctxAny+1+i: origins[i]
)

// Plugin is a compiled CORS binding; immutable and shared by every request of its routes.
type Plugin struct {
	anyOrigin   bool
	origins     [][]byte // normalized, lower case
	credentials bool

	anyMethod    bool
	methods      [][]byte
	allowMethods []byte // methods joined with ", "

	echoHeaders   bool
	allowHeaders  []byte // "" when none
	exposeHeaders []byte // "" when none
	maxAge        []byte // nil: no header
}

// HandleRequest answers preflights and remembers, for HandleResponse, whether the origin is allowed.
func (p *Plugin) HandleRequest(ex abi.Exchange) (bool, uint32) {
	s := getScratch()
	defer s.release()
	origin, n := ex.AppendHeaderValues(abi.HeaderRequest, hOrigin, s.buf[:0])
	s.keep(origin)
	if n == 0 {
		return true, ctxNone
	}
	origin = firstValue(origin)
	rc := p.match(origin)

	if !bytes.Equal(ex.Method(), mOptions) {
		return true, rc
	}
	method, n := ex.AppendHeaderValues(abi.HeaderRequest, hRequestMethod, s.buf[:0])
	s.keep(method)
	if n == 0 {
		return true, rc // an OPTIONS request that is not a preflight: an ordinary request
	}
	method = firstValue(method)
	if rc == ctxNone {
		_ = ex.SetHeader(abi.HeaderResponse, hVary, vPreflightVary)
		reply.Error(ex, 403, CodeOrigin, "this origin is not allowed to call this API")
		return false, 0
	}
	if !p.methodAllowed(method) {
		_ = ex.SetHeader(abi.HeaderResponse, hVary, vPreflightVary)
		reply.Error(ex, 403, CodeMethod, "this method is not allowed for cross-origin requests")
		return false, 0
	}
	p.preflight(ex, rc, method, s)
	return false, 0
}

// preflight writes the 204 answer to an allowed preflight. method lives in s.buf and is used before s.buf is
// reused for the requested headers.
func (p *Plugin) preflight(ex abi.Exchange, rc uint32, method []byte, s *scratch) {
	_ = ex.SetStatusCode(204)
	p.setOrigin(ex, rc)
	if p.anyMethod {
		_ = ex.SetHeader(abi.HeaderResponse, hAllowMethods, method)
	} else {
		_ = ex.SetHeader(abi.HeaderResponse, hAllowMethods, p.allowMethods)
	}
	if p.echoHeaders {
		requested, n := ex.AppendHeaderValues(abi.HeaderRequest, hRequestHeaders, s.buf[:0])
		s.keep(requested)
		if n > 0 {
			_ = ex.SetHeader(abi.HeaderResponse, hAllowHeaders, joinValues(requested))
		}
	} else if len(p.allowHeaders) > 0 {
		_ = ex.SetHeader(abi.HeaderResponse, hAllowHeaders, p.allowHeaders)
	}
	if p.maxAge != nil {
		_ = ex.SetHeader(abi.HeaderResponse, hMaxAge, p.maxAge)
	}
	_ = ex.SetHeader(abi.HeaderResponse, hVary, vPreflightVary)
	_ = ex.WriteBody(abi.BodyResponse, nil)
}

// HandleResponse adds the CORS headers to the response of an allowed cross-origin request, whatever produced it.
func (p *Plugin) HandleResponse(ex abi.Exchange, rc uint32, _ bool) {
	addVaryOrigin(ex)
	if rc == ctxNone {
		return
	}
	p.setOrigin(ex, rc)
	if len(p.exposeHeaders) > 0 {
		_ = ex.SetHeader(abi.HeaderResponse, hExposeHeaders, p.exposeHeaders)
	}
}

// setOrigin sets Access-Control-Allow-Origin (replacing a backend's own) and, when configured,
// Access-Control-Allow-Credentials. The configured origin is sent, normalized the way browsers serialize Origin
// (lower case, no default port), so it equals the request's Origin byte for byte and needs no copy of it.
func (p *Plugin) setOrigin(ex abi.Exchange, rc uint32) {
	if rc == ctxAny {
		_ = ex.SetHeader(abi.HeaderResponse, hAllowOrigin, vAny)
	} else {
		_ = ex.SetHeader(abi.HeaderResponse, hAllowOrigin, p.origins[rc-ctxAny-1])
	}
	if p.credentials {
		_ = ex.SetHeader(abi.HeaderResponse, hAllowCredentials, vTrue)
	}
}

// match returns the reqCtx for an Origin value.
func (p *Plugin) match(origin []byte) uint32 {
	if p.anyOrigin {
		return ctxAny
	}
	for i, o := range p.origins {
		if bytes.EqualFold(o, origin) {
			return uint32(ctxAny + 1 + i)
		}
	}
	return ctxNone
}

func (p *Plugin) methodAllowed(m []byte) bool {
	if p.anyMethod || string(m) == "GET" || string(m) == "HEAD" || string(m) == "POST" {
		return true
	}
	for _, am := range p.methods {
		if bytes.Equal(am, m) {
			return true
		}
	}
	return false
}

// addVaryOrigin adds "Origin" to the response's Vary unless a Vary value already names it (or is "*"), keeping
// whatever the backend varies on.
func addVaryOrigin(ex abi.Exchange) {
	s := getScratch()
	defer s.release()
	vals, n := ex.AppendHeaderValues(abi.HeaderResponse, hVary, s.buf[:0])
	s.keep(vals)
	if n > 0 && varyCovers(vals) {
		return
	}
	_ = ex.AddHeader(abi.HeaderResponse, hVary, vOrigin)
}

// varyCovers reports whether NUL-separated Vary values list "origin" or "*" (comma-separated, any case).
func varyCovers(vals []byte) bool {
	for len(vals) > 0 {
		end := len(vals)
		if i := bytes.IndexAny(vals, ",\x00"); i >= 0 {
			end = i
		}
		tok := bytes.TrimSpace(vals[:end])
		if bytes.EqualFold(tok, vOrigin) || bytes.Equal(tok, vAny) {
			return true
		}
		if end == len(vals) {
			break
		}
		vals = vals[end+1:]
	}
	return false
}

// firstValue returns the first of NUL-terminated header values.
func firstValue(vals []byte) []byte {
	if i := bytes.IndexByte(vals, 0); i >= 0 {
		return vals[:i]
	}
	return vals
}

// joinValues turns NUL-terminated values into one comma-separated value, in place.
func joinValues(vals []byte) []byte {
	vals = bytes.TrimRight(vals, "\x00")
	out := vals[:0]
	for i := 0; i < len(vals); i++ {
		if vals[i] == 0 {
			out = append(out, ',')
			continue
		}
		out = append(out, vals[i])
	}
	return out
}

// scratch is a reusable byte buffer for reading header values. Buffers handed to an interface method escape to
// the heap, so a stack array would cost an allocation per request; a pooled buffer costs none.
type scratch struct{ buf []byte }

// maxScratch bounds the buffer a scratch keeps between uses, so one huge header does not stay pinned.
const maxScratch = 16 << 10

var scratchPool = sync.Pool{New: func() any { return &scratch{buf: make([]byte, 0, 512)} }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// keep adopts b, an append result on s.buf, as the buffer if it grew (within maxScratch).
func (s *scratch) keep(b []byte) {
	if cap(b) > cap(s.buf) && cap(b) <= maxScratch {
		s.buf = b[:0]
	}
}

func (s *scratch) release() { scratchPool.Put(s) }

var _ abi.Plugin = (*Plugin)(nil)
