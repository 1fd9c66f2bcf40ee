package headers

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/internal/allocguard"
	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
	"github.com/portico-gateway/portico/runtime/router"
)

func mustParse(t testing.TB, raw string) *compiled {
	t.Helper()
	segs, err := router.ParsePath("/items/{id}")
	if err != nil {
		t.Fatal(err)
	}
	c, err := parse(json.RawMessage(raw), segs)
	if err != nil {
		t.Fatalf("parse(%s): %v", raw, err)
	}
	return c
}

func TestConfigErrors(t *testing.T) {
	segs, _ := router.ParsePath("/items/{id}")
	for _, tc := range []struct{ raw, want string }{
		{``, "set or remove at least one header"},
		{`{}`, "set or remove at least one header"},
		{`{"add":{"x":"1"}}`, `unknown field "add"`},
		{`{"set":{"bad name":"1"}}`, "set.bad name: not a valid header name"},
		{`{"set":{"x-a":"a\r\nb"}}`, "set.x-a: a value has no CR, LF or NUL"},
		{`{"set":{"x-a":"${request.path.nope}"}}`, "set.x-a:"},
		{`{"remove":["ok","bad:name"]}`, `remove[1]: "bad:name" is not a valid header name`},
		{`{"set":{"x-a":"` + strings.Repeat("v", maxValueLength+1) + `"}}`, "at most 8192 bytes"},
	} {
		_, err := parse(json.RawMessage(tc.raw), segs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parse(%.60s) = %v, want an error containing %q", tc.raw, err, tc.want)
		}
	}
}

func TestRequestHeader(t *testing.T) {
	p := &Request{c: mustParse(t, `{"set":{"x-client-ip":"${request.clientIp}","X-Item":"item-${request.path.id}","x-one":"replaced"},"remove":["x-drop"]}`)}
	ex := memexchange.New(memexchange.Request{
		Header: http.Header{"X-One": {"a", "b"}, "X-Drop": {"1"}, "X-Keep": {"k"}},
		Vars:   map[string]string{"request.clientIp": "203.0.113.7", "request.path.id": "42"},
	})
	if next, _ := p.HandleRequest(ex); !next {
		t.Fatal("the request-header plugin must pass the request on")
	}
	for name, want := range map[string][]string{
		"x-client-ip": {"203.0.113.7"}, "x-item": {"item-42"}, "x-one": {"replaced"}, "x-drop": nil, "x-keep": {"k"},
	} {
		if got := values(ex, abi.HeaderRequest, name); !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestResponseHeader(t *testing.T) {
	p := &Response{c: mustParse(t, `{"set":{"cache-control":"no-store"},"remove":["server"]}`)}
	ex := memexchange.New(memexchange.Request{})
	if next, _ := p.HandleRequest(ex); !next {
		t.Fatal("the response-header plugin must pass the request on")
	}
	ex.SetNext()
	ex.SetBackendResponse(memexchange.Response{Status: 200,
		Header: http.Header{"Cache-Control": {"max-age=60", "public"}, "Server": {"backend/1.0"}}})
	p.HandleResponse(ex, 0, false)
	got := ex.Response().Header
	if cc := got.Values("Cache-Control"); !slices.Equal(cc, []string{"no-store"}) {
		t.Errorf("Cache-Control = %q, want [no-store]", cc)
	}
	if s := got.Values("Server"); len(s) != 0 {
		t.Errorf("Server = %q, want it removed", s)
	}
}

// values reads every value of a header through the ABI.
func values(ex abi.Exchange, kind abi.HeaderKind, name string) []string {
	buf, n := ex.AppendHeaderValues(kind, []byte(name), nil)
	if n == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(buf), "\x00"), "\x00")
}

// BenchmarkRequestHeader sets one header from a context variable and one literal, on a reused exchange.
func BenchmarkRequestHeader(b *testing.B) {
	p := &Request{c: mustParse(b, `{"set":{"x-client-ip":"${request.clientIp}","x-gateway":"portico"}}`)}
	req := memexchange.Request{Vars: map[string]string{"request.clientIp": "203.0.113.7"}}
	ex := memexchange.New(req)
	b.ReportAllocs()
	for b.Loop() {
		ex.Reset(req)
		p.HandleRequest(ex)
	}
}

// TestNoAllocations: the plugins run on every request of their routes, so they must not allocate.
func TestNoAllocations(t *testing.T) {
	allocguard.SkipUnderRace(t)
	p := &Request{c: mustParse(t, `{"set":{"x-client-ip":"${request.clientIp}","x-gateway":"portico"},"remove":["x-drop"]}`)}
	req := memexchange.Request{Vars: map[string]string{"request.clientIp": "203.0.113.7"}}
	ex := memexchange.New(req)
	p.HandleRequest(ex)
	if got := testing.AllocsPerRun(200, func() { ex.Reset(req); p.HandleRequest(ex) }); got > 0 {
		t.Fatalf("%.1f allocations per request, want 0", got)
	}
}
