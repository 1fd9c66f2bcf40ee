package ratelimit

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
	"github.com/portico-gateway/portico/runtime/router"
)

// clock is a settable clock for window semantics.
type clock struct{ n atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.n.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.n.Load()) }
func (c *clock) advance(d time.Duration) { c.n.Add(int64(d)) }

func mustPlugin(t testing.TB, raw, path string, now func() time.Time, maxKeys int) *Plugin {
	t.Helper()
	segs, err := router.ParsePath(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := parse(json.RawMessage(raw), path, segs)
	if err != nil {
		t.Fatalf("parse(%s): %v", raw, err)
	}
	return newPlugin(c, now, maxKeys)
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name, path, config, want string // want: a substring of the error, "" for valid
	}{
		{"contract root", "/", `{"rps":100,"key":{"type":"ip"}}`, ""},
		{"contract method", "/products/{productId}", `{"rps":5,"key":{"type":"pathVariable","name":"productId"}}`, ""},
		{"no key", "/", `{"rps":1}`, ""},
		{"none key", "/", `{"rps":1,"burst":10,"key":{"type":"none"}}`, ""},
		{"header key", "/", `{"rps":1,"key":{"type":"header","name":"X-NHN-CLOUD"}}`, ""},
		{"greedy", "/files/{path+}", `{"rps":1,"key":{"type":"pathVariable","name":"path"}}`, ""},
		{"greedy with plus", "/files/{path+}", `{"rps":1,"key":{"type":"pathVariable","name":"path+"}}`, ""},
		{"max", "/", `{"rps":100000,"burst":100000}`, ""},
		{"unknown field", "/", `{"rps":1,"limit":2}`, "unknown field"},
		{"rps missing", "/", `{}`, "rps:"},
		{"rps zero", "/", `{"rps":0}`, "rps:"},
		{"rps too big", "/", `{"rps":100001}`, "rps:"},
		{"rps fraction", "/", `{"rps":1.5}`, "config:"},
		{"burst negative", "/", `{"rps":1,"burst":-1}`, "burst:"},
		{"burst too big", "/", `{"rps":1,"burst":100001}`, "burst:"},
		{"bad key type", "/", `{"rps":1,"key":{"type":"cookie"}}`, "key.type:"},
		{"empty key type", "/", `{"rps":1,"key":{}}`, "key.type:"},
		{"ip with name", "/", `{"rps":1,"key":{"type":"ip","name":"x"}}`, "key.name: only"},
		{"header without name", "/", `{"rps":1,"key":{"type":"header"}}`, "key.name:"},
		{"header bad name", "/", `{"rps":1,"key":{"type":"header","name":"x y"}}`, "key.name:"},
		{"path var at root", "/", `{"rps":1,"key":{"type":"pathVariable","name":"id"}}`, `key.name: path variable "id" is not declared: / has no path variables`},
		{"path var undeclared", "/products/{productId}", `{"rps":1,"key":{"type":"pathVariable","name":"id"}}`, "(declared: productId)"},
		{"path var without name", "/products/{productId}", `{"rps":1,"key":{"type":"pathVariable"}}`, "key.name: give"},
		{"plus on a plain var", "/products/{productId}", `{"rps":1,"key":{"type":"pathVariable","name":"productId+"}}`, "not declared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Through the registry, as the admin API validates a saved setting.
			err := abi.Default().ValidatePlugin(tt.path, "GET", Type, "", json.RawMessage(tt.config))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("no error, want one containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// send runs one request through p like the gateway does and returns what the client gets.
func send(p *Plugin, req memexchange.Request) (bool, memexchange.Response) {
	ex := memexchange.New(req)
	next, rc := p.HandleRequest(ex)
	if next {
		ex.SetNext()
		ex.SetBackendResponse(memexchange.Response{Status: 200, Header: http.Header{"Ratelimit-Limit": {"9999"}}})
		ex.Enter()
		p.HandleResponse(ex, rc, false)
	}
	return next, ex.Response()
}

func fromIP(ip string) memexchange.Request {
	return memexchange.Request{Vars: map[string]string{"request.clientIp": ip, "request.id": "r1"}}
}

// TestWindow checks the token-bucket arithmetic and the headers against a hand-driven clock.
func TestWindow(t *testing.T) {
	type step struct {
		advance   time.Duration
		allowed   bool
		remaining string // RateLimit-Remaining
		reset     string // RateLimit-Reset
		retry     string // Retry-After ("" on allowed)
	}
	tests := []struct {
		name   string
		config string
		steps  []step
	}{
		{"rps 5: burst of 5, then one per 200ms", `{"rps":5}`, []step{
			{0, true, "4", "1", ""}, {0, true, "3", "1", ""}, {0, true, "2", "1", ""}, {0, true, "1", "1", ""},
			{0, true, "0", "1", ""},
			{0, false, "0", "1", "1"},
			{100 * time.Millisecond, false, "0", "1", "1"}, // half a token
			{100 * time.Millisecond, true, "0", "1", ""},   // a whole token
			{time.Second, true, "4", "1", ""},              // refilled to 5, took one
		}},
		{"burst 1 at rps 1", `{"rps":1,"burst":1}`, []step{
			{0, true, "0", "1", ""},
			{0, false, "0", "1", "1"},
			{999 * time.Millisecond, false, "0", "1", "1"},
			{time.Millisecond, true, "0", "1", ""},
		}},
		{"burst above rps: slow refill", `{"rps":2,"burst":10}`, []step{
			{0, true, "9", "1", ""},
			{0, true, "8", "1", ""}, // 2 tokens short: 1 s at 2/s
			{2 * time.Second, true, "9", "1", ""},
		}},
		{"long reset", `{"rps":1,"burst":3}`, []step{
			{0, true, "2", "1", ""}, {0, true, "1", "2", ""}, {0, true, "0", "3", ""},
			{0, false, "0", "3", "1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			p := mustPlugin(t, tt.config, "/", clk.now, MaxKeys)
			for i, s := range tt.steps {
				clk.advance(s.advance)
				next, resp := send(p, fromIP("10.0.0.1"))
				if next != s.allowed {
					t.Fatalf("step %d: allowed=%v, want %v", i, next, s.allowed)
				}
				want := uint32(200)
				if !s.allowed {
					want = 429
					if !strings.Contains(string(resp.Body), `"code":"rate_limited"`) {
						t.Errorf("step %d: body %s", i, resp.Body)
					}
				}
				h := resp.Header
				if resp.Status != want || h.Get("RateLimit-Remaining") != s.remaining ||
					h.Get("RateLimit-Reset") != s.reset || h.Get("Retry-After") != s.retry ||
					h.Get("RateLimit-Limit") != strconv.Itoa(p.c.burst) || len(h.Values("RateLimit-Limit")) != 1 {
					t.Errorf("step %d: %d %v; want %d remaining %s reset %s retry %q", i, resp.Status, h, want,
						s.remaining, s.reset, s.retry)
				}
			}
		})
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name, path, config string
		a, b, none         memexchange.Request // a and b have separate buckets; none has no key
	}{
		{"ip", "/", `{"rps":1,"key":{"type":"ip"}}`, fromIP("10.0.0.1"), fromIP("10.0.0.2"),
			memexchange.Request{}},
		{"header", "/", `{"rps":1,"key":{"type":"header","name":"X-NHN-CLOUD"}}`,
			memexchange.Request{Header: http.Header{"X-Nhn-Cloud": {"a"}}},
			memexchange.Request{Header: http.Header{"X-Nhn-Cloud": {"a", "b"}}}, // a second line is another key
			memexchange.Request{Header: http.Header{"X-Nhn-Cloud": {""}}}},
		{"path variable", "/products/{productId}", `{"rps":1,"key":{"type":"pathVariable","name":"productId"}}`,
			memexchange.Request{Vars: map[string]string{"request.path.productId": "1"}},
			memexchange.Request{Vars: map[string]string{"request.path.productId": "2"}},
			memexchange.Request{Vars: map[string]string{"request.path.other": "1"}}},
		{"greedy path variable", "/files/{path+}", `{"rps":1,"key":{"type":"pathVariable","name":"path"}}`,
			memexchange.Request{Vars: map[string]string{"request.path.path+": "a/b"}},
			memexchange.Request{Vars: map[string]string{"request.path.path+": "a/c"}},
			memexchange.Request{Vars: map[string]string{"request.path.path": "a/b"}}},
		{"long keys hashed apart", "/", `{"rps":1,"key":{"type":"header","name":"x-k"}}`,
			memexchange.Request{Header: http.Header{"X-K": {strings.Repeat("a", 4000) + "1"}}},
			memexchange.Request{Header: http.Header{"X-K": {strings.Repeat("a", 4000) + "2"}}},
			memexchange.Request{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPlugin(t, tt.config, tt.path, newClock().now, MaxKeys)
			for _, step := range []struct {
				req  memexchange.Request
				want bool
			}{{tt.a, true}, {tt.a, false}, {tt.b, true}, {tt.b, false}} {
				if next, _ := send(p, step.req); next != step.want {
					t.Fatalf("%v: allowed=%v, want %v", step.req, next, step.want)
				}
			}
			for range 3 {
				next, resp := send(p, tt.none)
				if !next || resp.Header.Get("RateLimit-Remaining") != "" {
					t.Fatalf("a request without the key was limited or counted: %v %v", next, resp.Header)
				}
			}
		})
	}
}

func TestNoneIsOneBucket(t *testing.T) {
	p := mustPlugin(t, `{"rps":2,"key":{"type":"none"}}`, "/", newClock().now, MaxKeys)
	for i, want := range []bool{true, true, false} {
		if next, _ := send(p, fromIP(strconv.Itoa(i))); next != want {
			t.Fatalf("request %d: allowed=%v", i, next)
		}
	}
}

func TestCtxPacking(t *testing.T) {
	for _, c := range []struct {
		remaining, reset   int64
		wantRem, wantReset int
	}{
		{0, 0, 0, 0}, {100000, 16383, 100000, 16383}, {5, 99999, 5, 16383}, {-1, 1, 0, 1}, {1 << 20, 1, 1<<17 - 1, 1},
	} {
		rc := packCtx(c.remaining, c.reset)
		if rc == 0 {
			t.Fatalf("packCtx(%d, %d) = 0, which means not counted", c.remaining, c.reset)
		}
		if rem, reset := unpackCtx(rc); rem != c.wantRem || reset != c.wantReset {
			t.Errorf("packCtx(%d, %d) unpacks to %d, %d", c.remaining, c.reset, rem, reset)
		}
	}
}

// FuzzConfig: any config either fails or compiles within the limits, with a key kind that has what it needs.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{`{"rps":100,"key":{"type":"ip"}}`, `{"rps":5,"key":{"type":"pathVariable","name":"id"}}`,
		`{"rps":1,"burst":3,"key":{"type":"header","name":"x-k"}}`, `{}`} {
		f.Add(s, "/items/{id}")
	}
	f.Fuzz(func(t *testing.T, raw, path string) {
		segs, err := router.ParsePath(path)
		if err != nil {
			return
		}
		c, err := parse(json.RawMessage(raw), path, segs)
		if err != nil {
			return
		}
		if c.rps < 1 || c.rps > MaxRPS || c.burst < 1 || c.burst > MaxBurst ||
			(c.kind == kindHeader || c.kind == kindPathVar) != (len(c.name) > 0) {
			t.Fatalf("accepted %s on %s as %+v", raw, path, c)
		}
	})
}
