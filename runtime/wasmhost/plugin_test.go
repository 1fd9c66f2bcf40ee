package wasmhost

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// serve runs p the way a chain of one plugin does, around a backend answering backend.
func serve(p abi.Plugin, ex *memexchange.Exchange, backend memexchange.Response) (next bool) {
	ex.Enter()
	next, reqCtx := p.HandleRequest(ex)
	if next {
		ex.SetNext()
		ex.SetBackendResponse(backend)
		p.HandleResponse(ex, reqCtx, false)
	}
	return next
}

func okBackend() memexchange.Response {
	return memexchange.Response{Status: 200, Header: http.Header{"X-Backend": {"yes"}}, Body: []byte("backend")}
}

// body reads the guest's little-endian reports off a response body.
type body struct {
	t *testing.T
	b []byte
}

func (r *body) take(n int) []byte {
	r.t.Helper()
	if len(r.b) < n {
		r.t.Fatalf("response body too short: want %d more bytes, have %q", n, r.b)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *body) i32() int32 { r.t.Helper(); return int32(binary.LittleEndian.Uint32(r.take(4))) }
func (r *body) i64() int64 { r.t.Helper(); return int64(binary.LittleEndian.Uint64(r.take(8))) }

func wantHeader(t *testing.T, h http.Header, name string, want ...string) {
	t.Helper()
	if got := h.Values(name); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("header %s = %q, want %q", name, got, want)
	}
}

func TestHostFunctions(t *testing.T) {
	r, logs := newTestRuntime(t, Config{})
	pong := func(req *abi.CallRequest, resp *abi.CallResponse) error {
		if string(req.URL) != "http://allowed.test/x" {
			return abi.ErrNotAllowed
		}
		resp.Status = 200
		resp.Headers = append(resp.Headers, "x-a: 1\n"...)
		resp.Body = append(resp.Body, "pong"...)
		return nil
	}
	checkPortico := func(t *testing.T, ex *memexchange.Exchange, next bool) {
		resp := ex.Response()
		wantHeader(t, resp.Header, "X-Ctx", "req-9")
		wantHeader(t, resp.Header, "X-Kv", "v")
		b := &body{t, resp.Body}
		if c1, c2 := b.i64(), b.i64(); c1 != 5 || c2 != 10 {
			t.Errorf("counter_incr = %d, %d; want 5, 10", c1, c2)
		}
		if v := b.i32(); v != abi.Version {
			t.Errorf("version = %d, want %d", v, abi.Version)
		}
		if now := time.Unix(0, b.i64()); time.Since(now).Abs() > time.Minute {
			t.Errorf("now_unix_nano = %v", now)
		}
		if s := b.i32(); s != 200 {
			t.Errorf("http_call = %d, want 200", s)
		}
		if h := b.take(int(b.i32())); string(h) != "x-a: 1\n" {
			t.Errorf("http_call_response_headers = %q", h)
		}
		if got := b.take(int(b.i32())); string(got) != "pong" {
			t.Errorf("http_call_response_body = %q", got)
		}
		if s := b.i32(); s != callNotAllowed {
			t.Errorf("http_call to a host not allowed = %d, want %d", s, callNotAllowed)
		}
	}
	payload := bytes.Repeat([]byte("0123456789abcdef"), 40) // 640 bytes: many 7-byte reads

	tests := []struct {
		name    string
		plugin  PluginConfig
		req     memexchange.Request
		backend memexchange.Response
		call    func(req *abi.CallRequest, resp *abi.CallResponse) error
		check   func(t *testing.T, ex *memexchange.Exchange, next bool)
	}{
		{
			name:   "getters: method, uri, protocol, source address, config",
			plugin: PluginConfig{Config: []byte("m")},
			req:    memexchange.Request{Method: "PATCH", URI: "/a%26b?x=1", SourceAddr: "198.51.100.1:1234"},
			check: func(t *testing.T, ex *memexchange.Exchange, next bool) {
				h := ex.Response().Header
				wantHeader(t, h, "X-Method", "PATCH")
				wantHeader(t, h, "X-Uri", "/a%26b?x=1")
				wantHeader(t, h, "X-Proto", "HTTP/1.1")
				wantHeader(t, h, "X-Addr", "198.51.100.1:1234")
				wantHeader(t, h, "X-Config", "m")
			},
		},
		{
			name:   "header values and names are NUL-terminated lists with count<<32|len",
			plugin: PluginConfig{Config: []byte("h")},
			req:    memexchange.Request{Header: http.Header{"X-In": {"a", "bb"}, "X-Other": {"1"}}},
			check: func(t *testing.T, ex *memexchange.Exchange, next bool) {
				b := &body{t, ex.Response().Body}
				values := b.i64()
				if values>>32 != 2 || string(b.take(int(uint32(values)))) != "a\x00bb\x00" {
					t.Errorf("get_header_values = %#x", values)
				}
				names := b.i64()
				if names>>32 != 2 || string(b.take(int(uint32(names)))) != "x-in\x00x-other\x00" {
					t.Errorf("get_header_names = %#x", names)
				}
			},
		},
		{
			name:   "buf_limit probing writes nothing into a small buffer",
			plugin: PluginConfig{Config: []byte("p")},
			req:    memexchange.Request{URI: "/probe?long=1", Header: http.Header{"X-A": {"1"}, "X-B": {"2"}}},
			check: func(t *testing.T, ex *memexchange.Exchange, next bool) {
				resp := ex.Response()
				if resp.Status != 200 {
					t.Fatalf("status %d: a guest-side probing check failed", resp.Status)
				}
				wantHeader(t, resp.Header, "X-Uri", "/probe?long=1")
				if string(resp.Body) != "x-a\x00x-b\x00" {
					t.Errorf("names = %q", resp.Body)
				}
			},
		},
		{
			name:   "request changes before next reach the backend",
			plugin: PluginConfig{Config: []byte("s")},
			req: memexchange.Request{Method: "GET", URI: "/old",
				Header: http.Header{"X-Remove": {"gone"}, "X-Add": {"1"}}, Body: []byte("old body")},
			backend: okBackend(),
			check: func(t *testing.T, ex *memexchange.Exchange, next bool) {
				got := ex.Request()
				if !next || got.Method != "POST" || got.URI != "/rewritten?q=1" || string(got.Body) != "new body" {
					t.Errorf("next %v, backend got %s %s %q", next, got.Method, got.URI, got.Body)
				}
				wantHeader(t, got.Header, "X-Set", "1")
				wantHeader(t, got.Header, "X-Add", "1", "2")
				wantHeader(t, got.Header, "X-Remove")
			},
		},
		{
			name:    "a request body the guest read reaches the backend intact",
			plugin:  PluginConfig{Config: []byte("b")},
			req:     memexchange.Request{Method: "POST", Body: payload},
			backend: okBackend(),
			check: func(t *testing.T, ex *memexchange.Exchange, next bool) {
				if got := ex.Request().Body; !bytes.Equal(got, payload) {
					t.Errorf("backend body = %q", got)
				}
				if got := ex.Response().Body; !bytes.Equal(got, payload) {
					t.Errorf("the guest read %q", got)
				}
			},
		},
		{
			name:    "handle_response gets the req_ctx of handle_request",
			plugin:  PluginConfig{Config: []byte("c")},
			backend: okBackend(),
			check: func(t *testing.T, ex *memexchange.Exchange, next bool) {
				b := &body{t, ex.Response().Body}
				if reqCtx, isError := b.i32(), b.i32(); reqCtx != 42 || isError != 0 {
					t.Errorf("handle_response(%d, %d), want (42, 0)", reqCtx, isError)
				}
			},
		},
		{
			name:    "the response after next: status, headers and body",
			plugin:  PluginConfig{Config: []byte("r")},
			backend: memexchange.Response{Status: 202, Body: []byte("backend!")},
			check: func(t *testing.T, ex *memexchange.Exchange, next bool) {
				resp := ex.Response()
				wantHeader(t, resp.Header, "X-After", "1")
				b := &body{t, resp.Body}
				if got := b.take(len("wrapped:backend!")); string(got) != "wrapped:backend!" {
					t.Errorf("body = %q", got)
				}
				if status := b.i32(); status != 202 || resp.Status != 201 {
					t.Errorf("get_status_code = %d (want 202), final status %d (want 201)", status, resp.Status)
				}
			},
		},
		{
			name:    "trailers with the feature",
			plugin:  PluginConfig{Config: []byte("t")},
			backend: okBackend(),
			check: func(t *testing.T, ex *memexchange.Exchange, next bool) {
				wantHeader(t, ex.Request().Trailer, "X-Trl", "t")
				wantHeader(t, ex.Response().Trailer, "X-Trl", "t")
			},
		},
		{
			name:   "_initialize runs once, and features it enables hold for every request",
			plugin: PluginConfig{Config: []byte("i")},
			check: func(t *testing.T, ex *memexchange.Exchange, next bool) {
				if b := (&body{t, ex.Response().Body}); b.i32() != 1 {
					t.Error("_initialize did not run")
				}
				wantHeader(t, ex.Response().Trailer, "X-Trl", "t")
			},
		},
		{
			name:   "portico: context variables, kv, counters, version, clock, http_call",
			plugin: PluginConfig{Config: []byte("x")},
			req:    memexchange.Request{Vars: map[string]string{"request.id": "req-9"}},
			call:   pong,
			check:  checkPortico,
		},
		{
			name:   "portico: AllowHosts refuses http_call before the Exchange sees it",
			plugin: PluginConfig{Config: []byte("x"), AllowHosts: []string{"ALLOWED.test"}},
			req:    memexchange.Request{Vars: map[string]string{"request.id": "req-9"}},
			call: func(req *abi.CallRequest, resp *abi.CallResponse) error {
				if string(req.URL) != "http://allowed.test/x" {
					t.Errorf("the exchange was asked for %s", req.URL)
				}
				return pong(req, resp)
			},
			check: checkPortico,
		},
		{
			name:   "wasi: real clocks, randomness, stdout to the log",
			plugin: PluginConfig{Name: "wasi-guest", Config: []byte("w")},
			check: func(t *testing.T, ex *memexchange.Exchange, next bool) {
				b := &body{t, ex.Response().Body}
				if wall := time.Unix(0, b.i64()); time.Since(wall).Abs() > time.Minute {
					t.Errorf("realtime clock = %v", wall)
				}
				if mono := b.i64(); mono <= 0 {
					t.Errorf("monotonic clock = %d", mono)
				}
				if random := b.take(16); bytes.Equal(random, make([]byte, 16)) {
					t.Error("random_get returned zeros")
				}
				if !strings.Contains(logs.String(), "plugin=wasi-guest") ||
					!strings.Contains(logs.String(), `line="hello from guest"`) {
					t.Errorf("guest stdout not logged with the plugin name:\n%s", logs)
				}
			},
		},
		{
			name:   "log and log_enabled go to the Exchange",
			plugin: PluginConfig{Config: []byte("L")},
			check: func(t *testing.T, ex *memexchange.Exchange, next bool) {
				b := &body{t, ex.Response().Body}
				if debug, none := b.i32(), b.i32(); debug != 1 || none != 0 {
					t.Errorf("log_enabled(debug) = %d, log_enabled(none) = %d", debug, none)
				}
				if l := ex.Logs(); len(l) != 1 || l[0].Message != "hello from guest" || l[0].Level != abi.LogInfo {
					t.Errorf("logs = %+v", l)
				}
			},
		},
		{
			name:   "memory is capped",
			plugin: PluginConfig{Config: []byte("g")},
			check: func(t *testing.T, ex *memexchange.Exchange, next bool) {
				if pages := (&body{t, ex.Response().Body}).i32(); pages != DefaultMemoryLimitPages {
					t.Errorf("memory grew to %d pages, want the cap of %d", pages, DefaultMemoryLimitPages)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPlugin(t, r, "roundtrip", tt.plugin)
			ex := memexchange.New(tt.req)
			ex.Call = tt.call
			next := serve(p, ex, tt.backend)
			if resp := ex.Response(); resp.Status == 500 {
				t.Fatalf("500: %s\nlog:\n%s", resp.Body, logs)
			}
			tt.check(t, ex, next)
		})
	}
}
