// Package ctxvar parses and expands context-variable templates such as "/api/items/${request.path.id}" or
// "hello ${request.clientIp}". Templates are parsed and checked against the variables a resource path declares at
// save/deploy time; at request time they only append bytes.
package ctxvar

import (
	"fmt"
	"strings"
	"sync"

	"github.com/portico-gateway/portico/runtime/router"
)

// Kind names a context variable.
type Kind uint8

const (
	ClientIP   Kind = iota + 1 // ${request.clientIp}
	PathVar                    // ${request.path.NAME} for {NAME}
	PathGreedy                 // ${request.path.NAME+} for {NAME+}
	Header                     // ${request.header.NAME}
	Query                      // ${request.query.NAME}
	RequestID                  // ${request.id}
	StageName                  // ${stage.name}
	ServiceID                  // ${service.id}
)

// Var is one variable reference inside a template.
type Var struct {
	Kind  Kind
	Name  string // the path variable, header or query name
	Index int    // for PathVar and PathGreedy: index of the variable among the route's path variables
	key   []byte // Name as bytes, precomputed so expansion does not convert
	full  []byte // the variable's full name ("request.path.id"), for lookups through a plugin Exchange
}

// Escape selects how a variable's value is written into its destination. Literal text is never escaped.
type Escape uint8

const (
	// Raw writes values as they are (mock bodies).
	Raw Escape = iota
	// PathEscape writes values as path segments: {var} values have '/' escaped; {var+} values keep '/' between
	// segments but every segment is escaped, so a value can never add a segment such as "..".
	PathEscape
	// HeaderValue drops CR, LF and NUL so a value can never start a new header line.
	HeaderValue
	// QueryEscape writes values as a query-string component.
	QueryEscape
)

// Source gives the values of the variables of the current request. Implemented by the pipeline's request context.
type Source interface {
	ClientIP() []byte
	PathParam(i int) []byte
	RequestHeader(name []byte) []byte
	QueryArg(name []byte) []byte
	RequestID() []byte
	StageName() []byte
	ServiceID() []byte
}

// Template is a parsed template: literal text and variable references in order.
//
// It is laid out for expansion from cold memory (one template per route, most routes out of cache): the parts of a
// template of up to two (a literal and a variable, the usual backend path) are held inline, literals are slices of
// the raw text, and a part carries what expanding a path variable needs, so expansion reads the template and the raw
// text rather than a chain of small objects. A Template is immutable and may be copied by value, so that an owner
// (a route) can hold it inside its own memory.
type Template struct {
	n      int     // parts used in inline, when more is nil
	inline [2]part //
	more   []part  // the parts of a template of more than two
	raw    string
}

// parts returns the template's parts in order.
func (t *Template) parts() []part {
	if t.more != nil {
		return t.more
	}
	return t.inline[:t.n]
}

// part is 32 bytes, so a two-part template's parts share a cache line with its header.
type part struct {
	lit   string // for a literal: a slice of raw
	v     *Var   // nil for a literal
	kind  Kind   // v.Kind and v.Index, copied so path variables expand without reading v
	index int32
}

// Error says what is wrong with a template; Field-aware callers wrap it.
type Error struct {
	Template string
	Reason   string
}

func (e *Error) Error() string { return fmt.Sprintf("template %q: %s", e.Template, e.Reason) }

// Parse parses s and binds its path variables to scope, the path segments of the resource the template belongs to
// (including those of its ancestors: the full path). A variable not declared in scope is an error.
func Parse(s string, scope []router.Segment) (*Template, error) {
	t := &Template{raw: s}
	parts := t.inline[:0] // appending moves them out of inline past two
	rest := s
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			if rest != "" {
				parts = append(parts, part{lit: rest})
			}
			break
		}
		if i > 0 {
			parts = append(parts, part{lit: rest[:i]})
		}
		end := strings.IndexByte(rest[i:], '}')
		if end < 0 {
			return nil, &Error{Template: s, Reason: "unterminated ${"}
		}
		name := rest[i+2 : i+end]
		v, err := resolve(name, scope)
		if err != nil {
			return nil, &Error{Template: s, Reason: err.Error()}
		}
		v.full = []byte(name)
		parts = append(parts, part{v: v, kind: v.Kind, index: int32(v.Index)})
		rest = rest[i+end+1:]
	}
	if len(parts) > len(t.inline) {
		t.more = parts
	} else {
		t.n = len(parts)
	}
	return t, nil
}

func resolve(name string, scope []router.Segment) (*Var, error) {
	switch {
	case name == "request.clientIp":
		return &Var{Kind: ClientIP}, nil
	case name == "request.id":
		return &Var{Kind: RequestID}, nil
	case name == "stage.name":
		return &Var{Kind: StageName}, nil
	case name == "service.id":
		return &Var{Kind: ServiceID}, nil
	case strings.HasPrefix(name, "request.header."):
		h := strings.ToLower(strings.TrimPrefix(name, "request.header."))
		if h == "" || strings.ContainsAny(h, " \t\r\n:") {
			return nil, fmt.Errorf("${%s}: bad header name", name)
		}
		return &Var{Kind: Header, Name: h, key: []byte(h)}, nil
	case strings.HasPrefix(name, "request.query."):
		q := strings.TrimPrefix(name, "request.query.")
		if q == "" {
			return nil, fmt.Errorf("${%s}: missing query parameter name", name)
		}
		return &Var{Kind: Query, Name: q, key: []byte(q)}, nil
	case strings.HasPrefix(name, "request.path."):
		pv := strings.TrimPrefix(name, "request.path.")
		greedy := strings.HasSuffix(pv, "+")
		pv = strings.TrimSuffix(pv, "+")
		idx := 0
		for _, seg := range scope {
			if seg.Kind == router.Static {
				continue
			}
			if seg.Value == pv {
				if greedy != (seg.Kind == router.Greedy) {
					if seg.Kind == router.Greedy {
						return nil, fmt.Errorf("${%s}: {%s+} is greedy; write ${request.path.%s+}", name, pv, pv)
					}
					return nil, fmt.Errorf("${%s}: {%s} is not greedy; write ${request.path.%s}", name, pv, pv)
				}
				kind := PathVar
				if greedy {
					kind = PathGreedy
				}
				return &Var{Kind: kind, Name: pv, Index: idx}, nil
			}
			idx++
		}
		return nil, fmt.Errorf("${%s}: path variable {%s} is not declared on this path or its ancestors", name, pv)
	}
	return nil, fmt.Errorf("${%s}: unknown context variable (known: request.clientIp, request.path.NAME, request.path.NAME+, request.header.NAME, request.query.NAME, request.id, stage.name, service.id)", name)
}

// String returns the template as written.
func (t *Template) String() string { return t.raw }

// IsLiteral reports whether the template has no variables.
func (t *Template) IsLiteral() bool {
	for _, p := range t.parts() {
		if p.v != nil {
			return false
		}
	}
	return true
}

// Vars lists the variables the template references.
func (t *Template) Vars() []Var {
	var vs []Var
	for _, p := range t.parts() {
		if p.v != nil {
			vs = append(vs, *p.v)
		}
	}
	return vs
}

// Append expands the template onto dst, escaping variable values with esc.
func (t *Template) Append(dst []byte, src Source, esc Escape) []byte {
	parts := t.parts()
	for i := range parts {
		p := &parts[i]
		if p.v == nil {
			dst = append(dst, p.lit...)
			continue
		}
		var val []byte
		switch p.kind {
		case ClientIP:
			val = src.ClientIP()
		case PathVar, PathGreedy:
			val = src.PathParam(int(p.index))
		case Header:
			val = src.RequestHeader(p.v.key)
		case Query:
			val = src.QueryArg(p.v.key)
		case RequestID:
			val = src.RequestID()
		case StageName:
			val = src.StageName()
		case ServiceID:
			val = src.ServiceID()
		}
		dst = appendEscaped(dst, val, esc, p.kind == PathGreedy)
	}
	return dst
}

// Lookup resolves a variable by its full name, appending its value to dst: the plugin ABI's get_context_var, which
// abi.Exchange's ContextVar method satisfies.
type Lookup interface {
	ContextVar(name, dst []byte) ([]byte, bool)
}

// AppendLookup expands the template onto dst like Append, resolving variables by name through l. Built-in plugins
// use it: they reach the request only through the plugin ABI.
func (t *Template) AppendLookup(dst []byte, l Lookup, esc Escape) []byte {
	var tmp *[]byte
	parts := t.parts()
	for i := range parts {
		p := &parts[i]
		if p.v == nil {
			dst = append(dst, p.lit...)
			continue
		}
		if tmp == nil {
			// A buffer handed to an interface method escapes: a stack array would cost an allocation per call.
			tmp = scratchPool.Get().(*[]byte)
		}
		val, _ := l.ContextVar(p.v.full, (*tmp)[:0])
		dst = appendEscaped(dst, val, esc, p.v.Kind == PathGreedy)
		*tmp = val[:0]
	}
	if tmp != nil {
		scratchPool.Put(tmp)
	}
	return dst
}

var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// AppendEscaped appends val to dst escaped with esc (PathEscape treats val as one segment).
func AppendEscaped(dst, val []byte, esc Escape) []byte { return appendEscaped(dst, val, esc, false) }

func appendEscaped(dst, val []byte, esc Escape, greedy bool) []byte {
	switch esc {
	case PathEscape:
		return appendPath(dst, val, greedy)
	case HeaderValue:
		for _, c := range val {
			if c == '\r' || c == '\n' || c == 0 {
				continue
			}
			dst = append(dst, c)
		}
		return dst
	case QueryEscape:
		for _, c := range val {
			if shouldEscapeQuery(c) {
				dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
			} else if c == ' ' {
				dst = append(dst, '+')
			} else {
				dst = append(dst, c)
			}
		}
		return dst
	}
	return append(dst, val...)
}

const upperhex = "0123456789ABCDEF"

// appendPath escapes val as path segments. For a greedy value '/' separates segments; "." and ".." segments are
// escaped as %2E so that no backend can read them as dot-segments.
func appendPath(dst, val []byte, greedy bool) []byte {
	start := 0
	for i := 0; i <= len(val); i++ {
		if i < len(val) && !(greedy && val[i] == '/') {
			continue
		}
		seg := val[start:i]
		if len(seg) > 0 && len(seg) <= 2 && (string(seg) == "." || string(seg) == "..") {
			for range seg {
				dst = append(dst, "%2E"...)
			}
		} else {
			for _, c := range seg {
				if shouldEscapePath(c) {
					dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
				} else {
					dst = append(dst, c)
				}
			}
		}
		if i < len(val) {
			dst = append(dst, '/')
		}
		start = i + 1
	}
	return dst
}

// shouldEscapePath follows RFC 3986 pchar: unreserved and sub-delims and ':' '@' stay, everything else is escaped.
func shouldEscapePath(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return false
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@", c) < 0
}

func shouldEscapeQuery(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return false
	case c == '-' || c == '_' || c == '.' || c == '~':
		return false
	case c == ' ':
		return false // written as '+'
	}
	return true
}
