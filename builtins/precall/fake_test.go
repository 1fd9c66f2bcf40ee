package precall

import (
	"bytes"

	"github.com/portico-gateway/portico/runtime/abi"
)

// benchExchange is the smallest abi.Exchange the plugin's benchmarks need: fixed request headers and a response
// header list whose buffers are reused, so that a benchmark's allocations are the plugin's own (memexchange
// converts http.Header values on every Reset). Methods the plugin does not call panic through the nil embed.
type benchExchange struct {
	abi.Exchange
	method []byte
	req    []benchField
	resp   []benchField
	status uint32
	body   []byte
}

type benchField struct{ name, value []byte }

func newBenchExchange(method string, kv ...string) *benchExchange {
	e := &benchExchange{method: []byte(method)}
	for i := 0; i < len(kv); i += 2 {
		e.req = append(e.req, benchField{[]byte(kv[i]), []byte(kv[i+1])})
	}
	return e
}

// reset forgets the response, keeping its buffers.
func (e *benchExchange) reset() { e.resp, e.status, e.body = e.resp[:0], 200, e.body[:0] }

func (e *benchExchange) Method() []byte { return e.method }

func (e *benchExchange) AppendHeaderNames(_ abi.HeaderKind, dst []byte) ([]byte, int) {
	for _, f := range e.req {
		dst = append(append(dst, f.name...), 0) // names are distinct in the benchmarks
	}
	return dst, len(e.req)
}

func (e *benchExchange) LogEnabled(abi.LogLevel) bool { return false }

func (e *benchExchange) AppendHeaderValues(kind abi.HeaderKind, name, dst []byte) ([]byte, int) {
	list := e.req
	if kind == abi.HeaderResponse {
		list = e.resp
	}
	n := 0
	for _, f := range list {
		if bytes.EqualFold(f.name, name) {
			dst = append(append(dst, f.value...), 0)
			n++
		}
	}
	return dst, n
}

func (e *benchExchange) SetHeader(kind abi.HeaderKind, name, value []byte) error {
	for i := range e.resp {
		if bytes.EqualFold(e.resp[i].name, name) {
			e.resp[i].value = append(e.resp[i].value[:0], value...)
			return nil
		}
	}
	return e.AddHeader(kind, name, value)
}

func (e *benchExchange) AddHeader(_ abi.HeaderKind, name, value []byte) error {
	n := len(e.resp)
	if n < cap(e.resp) {
		e.resp = e.resp[:n+1]
	} else {
		e.resp = append(e.resp, benchField{})
	}
	f := &e.resp[n]
	f.name, f.value = append(f.name[:0], name...), append(f.value[:0], value...)
	return nil
}

func (e *benchExchange) SetStatusCode(code uint32) error { e.status = code; return nil }

func (e *benchExchange) WriteBody(_ abi.BodyKind, p []byte) error {
	e.body = append(e.body[:0], p...)
	return nil
}

func (e *benchExchange) ContextVar(name, dst []byte) ([]byte, bool) {
	if string(name) == "request.id" {
		return append(dst, "req-1"...), true
	}
	return dst, false
}
