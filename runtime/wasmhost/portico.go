package wasmhost

import (
	"bytes"
	"context"
	"errors"
	"os"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/portico-gateway/portico/runtime/abi"
)

// The "portico" extension module (signatures in the package documentation). Like http_handler, every function
// goes through the request's Exchange, so KV namespaces, the http_call allow-list and context variables are the
// gateway's, shared with built-ins.

// http_call results that are not a status.
const (
	callNotAllowed int32 = -1
	callTimeout    int32 = -2
	callFailed     int32 = -3
)

func version(_ context.Context, _ api.Module, stack []uint64) { stack[0] = abi.Version }

func getContextVar(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "get_context_var"
	in := current(ctx)
	ex := in.exchange(name)
	varName := guestBytes(mod, name, uint32(stack[0]), uint32(stack[1]))
	var found bool
	in.scratch, found = ex.ContextVar(varName, in.scratch[:0])
	stack[0] = writeFound(mod, name, uint32(stack[2]), uint32(stack[3]), in.scratch, found)
}

func kvGet(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "kv_get"
	in := current(ctx)
	ex := in.exchange(name)
	key := guestBytes(mod, name, uint32(stack[0]), uint32(stack[1]))
	var found bool
	in.scratch, found = ex.KVGet(key, in.scratch[:0])
	stack[0] = writeFound(mod, name, uint32(stack[2]), uint32(stack[3]), in.scratch, found)
}

func kvSet(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "kv_set"
	ex := current(ctx).exchange(name)
	key := guestBytes(mod, name, uint32(stack[0]), uint32(stack[1]))
	value := guestBytes(mod, name, uint32(stack[2]), uint32(stack[3]))
	checkErr(name, ex.KVSet(key, value, millis(name, int64(stack[4]))))
}

func counterIncr(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "counter_incr"
	ex := current(ctx).exchange(name)
	key := guestBytes(mod, name, uint32(stack[0]), uint32(stack[1]))
	n, err := ex.CounterIncr(key, int64(stack[2]), millis(name, int64(stack[3])))
	checkErr(name, err)
	stack[0] = uint64(n)
}

func millis(fn string, ms int64) time.Duration {
	if ms < 0 || ms > int64(365*24*time.Hour/time.Millisecond) {
		fault(fn, abi.ErrInvalid)
	}
	return time.Duration(ms) * time.Millisecond
}

func httpCall(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "http_call"
	in := current(ctx)
	ex := in.exchange(name)
	req := &in.callReq
	req.Method = guestBytes(mod, name, uint32(stack[0]), uint32(stack[1]))
	req.URL = guestBytes(mod, name, uint32(stack[2]), uint32(stack[3]))
	req.Headers = guestBytes(mod, name, uint32(stack[4]), uint32(stack[5]))
	req.Body = guestBytes(mod, name, uint32(stack[6]), uint32(stack[7]))
	req.Timeout = 0
	if ms := int32(uint32(stack[8])); ms > 0 {
		req.Timeout = time.Duration(ms) * time.Millisecond
	}
	resp := &in.callResp
	resp.Status, resp.Headers, resp.Body = 0, resp.Headers[:0], resp.Body[:0]
	if !in.p.allowed(req.URL) {
		stack[0] = i32Result(callNotAllowed)
		return
	}
	// Time spent waiting for the network is not the guest's: the deadline pauses so that a call may use its own
	// timeout without the instance being killed for it.
	paused := in.pauseDeadline()
	err := ex.HTTPCall(req, resp)
	in.resumeDeadline(paused)
	*req = abi.CallRequest{} // drop the views of guest memory
	stack[0] = i32Result(callResult(err, resp.Status))
}

// i32Result puts a signed i32 on the stack the way wasm expects it: zero-extended from 32 bits.
func i32Result(v int32) uint64 { return uint64(uint32(v)) }

func callResult(err error, status uint32) int32 {
	switch {
	case err == nil && status >= 100 && status <= 999:
		return int32(status)
	case errors.Is(err, abi.ErrNotAllowed):
		return callNotAllowed
	case isTimeout(err):
		return callTimeout
	}
	return callFailed
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func httpCallResponseHeaders(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "http_call_response_headers"
	in := current(ctx)
	in.exchange(name)
	stack[0] = uint64(writeIfFits(mod, name, uint32(stack[0]), uint32(stack[1]), in.callResp.Headers))
}

func httpCallResponseBody(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "http_call_response_body"
	in := current(ctx)
	in.exchange(name)
	stack[0] = uint64(writeIfFits(mod, name, uint32(stack[0]), uint32(stack[1]), in.callResp.Body))
}

func nowUnixNano(ctx context.Context, _ api.Module, stack []uint64) {
	in := current(ctx)
	if in.ex != nil {
		stack[0] = uint64(in.ex.NowUnixNano())
		return
	}
	stack[0] = uint64(time.Now().UnixNano())
}

// hostOf extracts the host (and port) of an absolute http(s) URL, lower-cased; nil when the URL is not one.
func hostOf(url []byte) []byte {
	scheme, rest, ok := bytes.Cut(url, []byte("://"))
	if !ok || !(bytes.EqualFold(scheme, []byte("http")) || bytes.EqualFold(scheme, []byte("https"))) {
		return nil
	}
	if i := bytes.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := bytes.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:] // userinfo
	}
	return rest
}

// allowed applies AllowHosts to an http_call URL.
func (p *Plugin) allowed(url []byte) bool {
	if len(p.allow) == 0 {
		return true
	}
	host := hostOf(url)
	if len(host) == 0 {
		return false
	}
	hostOnly := host
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && !bytes.HasSuffix(host, []byte("]")) {
		hostOnly = host[:i]
	}
	for _, a := range p.allow {
		switch {
		case bytes.HasPrefix(a, []byte("*.")):
			if len(hostOnly) > len(a)-1 && equalFoldSuffix(hostOnly, a[1:]) {
				return true
			}
		case bytes.EqualFold(a, host), bytes.EqualFold(a, hostOnly):
			return true
		}
	}
	return false
}

func equalFoldSuffix(s, suffix []byte) bool {
	return len(s) >= len(suffix) && bytes.EqualFold(s[len(s)-len(suffix):], suffix)
}
