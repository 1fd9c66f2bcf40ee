package memexchange

import (
	"bytes"
	"time"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/kv"
)

// Method implements abi.Exchange.
func (e *Exchange) Method() []byte { return e.method }

// SetMethod implements abi.Exchange.
func (e *Exchange) SetMethod(method []byte) error {
	if e.afterNext {
		return abi.ErrAfterNext
	}
	if !abi.ValidToken(method) {
		return abi.ErrInvalid
	}
	e.method = append(e.method[:0], method...)
	return nil
}

// URI implements abi.Exchange.
func (e *Exchange) URI() []byte { return e.uri }

// SetURI implements abi.Exchange. The path may not climb out of the backend base URL, so dot segments (raw or
// percent-encoded) are refused, like the gateway does.
func (e *Exchange) SetURI(uri []byte) error {
	if e.afterNext {
		return abi.ErrAfterNext
	}
	path, _, _ := bytes.Cut(uri, []byte("?"))
	if len(path) == 0 || path[0] != '/' || hasDotSegment(path) || bytes.ContainsAny(uri, "\r\n\x00 #") {
		return abi.ErrInvalid
	}
	e.uri = append(e.uri[:0], uri...)
	return nil
}

// hasDotSegment reports whether an escaped path has a "." or ".." segment, raw or percent-encoded.
func hasDotSegment(path []byte) bool {
	for seg := range bytes.SplitSeq(path, []byte("/")) {
		switch {
		case bytes.Equal(seg, []byte(".")), bytes.Equal(seg, []byte("..")),
			bytes.EqualFold(seg, []byte("%2e")), bytes.EqualFold(seg, []byte("%2e%2e")),
			bytes.EqualFold(seg, []byte(".%2e")), bytes.EqualFold(seg, []byte("%2e.")):
			return true
		}
	}
	return false
}

// ProtocolVersion implements abi.Exchange.
func (e *Exchange) ProtocolVersion() []byte { return e.proto }

// SourceAddr implements abi.Exchange.
func (e *Exchange) SourceAddr() []byte { return e.addr }

// headers returns the list of kind, or nil for an unknown kind.
func (e *Exchange) headers(kind abi.HeaderKind) *fields {
	switch kind {
	case abi.HeaderRequest:
		return &e.reqHeader
	case abi.HeaderResponse:
		return &e.respHeader
	case abi.HeaderRequestTrailers:
		return &e.reqTrailer
	case abi.HeaderResponseTrailers:
		return &e.respTrailer
	}
	return nil
}

// AppendHeaderNames implements abi.Exchange.
func (e *Exchange) AppendHeaderNames(kind abi.HeaderKind, dst []byte) ([]byte, int) {
	f := e.headers(kind)
	if f == nil {
		return dst, 0
	}
	return f.appendNames(dst)
}

// AppendHeaderValues implements abi.Exchange.
func (e *Exchange) AppendHeaderValues(kind abi.HeaderKind, name, dst []byte) ([]byte, int) {
	f := e.headers(kind)
	if f == nil {
		return dst, 0
	}
	return f.appendValues(name, dst)
}

// writableHeaders applies the rules for changing kind's headers and returns them.
func (e *Exchange) writableHeaders(kind abi.HeaderKind, name, value []byte) (*fields, error) {
	switch kind {
	case abi.HeaderRequest, abi.HeaderResponse:
	case abi.HeaderRequestTrailers, abi.HeaderResponseTrailers:
		if !e.features.Has(abi.FeatureTrailers) {
			return nil, abi.ErrFeature
		}
	default:
		return nil, abi.ErrInvalid
	}
	if !abi.ValidToken(name) || !abi.ValidValue(value) {
		return nil, abi.ErrInvalid
	}
	if e.afterNext && (kind == abi.HeaderRequest || kind == abi.HeaderRequestTrailers) {
		return nil, abi.ErrAfterNext
	}
	return e.headers(kind), nil
}

// SetHeader implements abi.Exchange.
func (e *Exchange) SetHeader(kind abi.HeaderKind, name, value []byte) error {
	f, err := e.writableHeaders(kind, name, value)
	if err != nil {
		return err
	}
	f.set(name, value)
	return nil
}

// AddHeader implements abi.Exchange.
func (e *Exchange) AddHeader(kind abi.HeaderKind, name, value []byte) error {
	f, err := e.writableHeaders(kind, name, value)
	if err != nil {
		return err
	}
	f.add(name, value)
	return nil
}

// RemoveHeader implements abi.Exchange.
func (e *Exchange) RemoveHeader(kind abi.HeaderKind, name []byte) error {
	f, err := e.writableHeaders(kind, name, nil)
	if err != nil {
		return err
	}
	f.del(name)
	return nil
}

// ReadBody implements abi.Exchange. Bodies are buffered: reading the request body leaves it intact for the
// backend.
func (e *Exchange) ReadBody(kind abi.BodyKind, p []byte) (int, bool, error) {
	var body []byte
	var off *int
	switch kind {
	case abi.BodyRequest:
		body, off = e.reqBody, &e.reqRead
	case abi.BodyResponse:
		body, off = e.respBody, &e.respRead
	default:
		return 0, false, abi.ErrInvalid
	}
	*off = min(*off, len(body))
	n := copy(p, body[*off:])
	*off += n
	return n, *off == len(body), nil
}

// WriteBody implements abi.Exchange.
func (e *Exchange) WriteBody(kind abi.BodyKind, p []byte) error {
	switch kind {
	case abi.BodyRequest:
		if e.afterNext {
			return abi.ErrAfterNext
		}
		e.reqBody = writeBody(e.reqBody, p, &e.reqWrote, &e.reqRead)
	case abi.BodyResponse:
		e.respBody = writeBody(e.respBody, p, &e.respWrote, &e.respRead)
		e.preNextBody = e.preNextBody || !e.afterNext
	default:
		return abi.ErrInvalid
	}
	return nil
}

// writeBody replaces body on the first write of a handler call and appends on later ones.
func writeBody(body, p []byte, wrote *bool, read *int) []byte {
	if !*wrote {
		*wrote, *read = true, 0
		body = body[:0]
	}
	return append(body, p...)
}

// StatusCode implements abi.Exchange.
func (e *Exchange) StatusCode() uint32 { return e.status }

// SetStatusCode implements abi.Exchange.
func (e *Exchange) SetStatusCode(code uint32) error {
	if code < 100 || code > 999 {
		return abi.ErrInvalid
	}
	e.status = code
	return nil
}

// ContextVar implements abi.Exchange from Request.Vars.
func (e *Exchange) ContextVar(name, dst []byte) ([]byte, bool) {
	v, ok := e.vars[string(name)]
	if !ok {
		return dst, false
	}
	return append(dst, v...), true
}

// KVGet implements abi.Exchange.
func (e *Exchange) KVGet(key, dst []byte) ([]byte, bool) {
	if e.KV == nil {
		return dst, false
	}
	return e.KV.Get(e.Namespace, key, dst)
}

// KVSet implements abi.Exchange. Keys and values beyond the store's limits are abi.ErrInvalid.
func (e *Exchange) KVSet(key, value []byte, ttl time.Duration) error {
	if e.KV == nil {
		return abi.ErrNotAllowed
	}
	if len(key) == 0 || len(e.Namespace)+1+len(key) > kv.MaxKeyLen || len(value) > kv.MaxValueLen || ttl < 0 {
		return abi.ErrInvalid
	}
	e.KV.Set(e.Namespace, key, value, ttl)
	return nil
}

// CounterIncr implements abi.Exchange.
func (e *Exchange) CounterIncr(key []byte, delta int64, ttl time.Duration) (int64, error) {
	if e.KV == nil {
		return 0, abi.ErrNotAllowed
	}
	if len(key) == 0 || len(e.Namespace)+1+len(key) > kv.MaxKeyLen || ttl < 0 {
		return 0, abi.ErrInvalid
	}
	return e.KV.Incr(e.Namespace, key, delta, ttl), nil
}

// HTTPCall implements abi.Exchange through Call.
func (e *Exchange) HTTPCall(req *abi.CallRequest, resp *abi.CallResponse) error {
	if e.Call == nil {
		return abi.ErrNotAllowed
	}
	return e.Call(req, resp)
}

// NowUnixNano implements abi.Exchange with the real clock.
func (e *Exchange) NowUnixNano() int64 { return time.Now().UnixNano() }
