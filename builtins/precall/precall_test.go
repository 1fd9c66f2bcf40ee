package precall

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

func TestConfig(t *testing.T) {
	tests := []struct{ name, config, want string }{
		{"contract", `{"method":"GET","url":"http://127.0.0.1:9200/check","cacheSeconds":30}`, ""},
		{"defaults", `{"url":"https://auth.example.com/check?x=1"}`, ""},
		{"lower-case method", `{"method":"post","url":"http://a.example"}`, ""},
		{"max", `{"url":"http://a.example","cacheSeconds":86400,"timeoutMs":60000}`, ""},
		{"unknown field", `{"url":"http://a.example","cache":1}`, "unknown field"},
		{"no url", `{"method":"GET"}`, "url: give"},
		{"bad scheme", `{"url":"ftp://a.example"}`, "url: must start with"},
		{"relative", `{"url":"/check"}`, "url: must start with"},
		{"no host", `{"url":"http:///check"}`, "url: has no host"},
		{"user info", `{"url":"http://u:p@a.example/"}`, "user name or password"},
		{"fragment", `{"url":"http://a.example/#x"}`, "fragment"},
		{"space", `{"url":"http://a.example/a b"}`, "url:"},
		{"bad method", `{"method":"TRACE","url":"http://a.example"}`, "method:"},
		{"cache negative", `{"url":"http://a.example","cacheSeconds":-1}`, "cacheSeconds:"},
		{"cache too long", `{"url":"http://a.example","cacheSeconds":86401}`, "cacheSeconds:"},
		{"timeout too long", `{"url":"http://a.example","timeoutMs":60001}`, "timeoutMs:"},
		{"timeout negative", `{"url":"http://a.example","timeoutMs":-5}`, "timeoutMs:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := abi.Default().ValidatePlugin("/products/{productId}", "GET", Type, "", json.RawMessage(tt.config))
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

// precallServer is a pre-call API that records what it received and answers with handler.
type precallServer struct {
	*httptest.Server
	calls atomic.Int64
	mu    sync.Mutex
	last  *http.Request
}

func newServer(t *testing.T, handler http.HandlerFunc) *precallServer {
	s := &precallServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		s.mu.Lock()
		s.last = r
		s.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *precallServer) lastRequest() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func build(t testing.TB, config string, services map[string]any) *Plugin {
	t.Helper()
	typ, _ := abi.Default().Lookup(Type)
	p, err := typ.New(abi.BuildContext{Path: "/", Method: "GET", Phase: abi.PhaseRequest, Services: services},
		json.RawMessage(config))
	if err != nil {
		t.Fatal(err)
	}
	return p.(*Plugin)
}

func request(h http.Header) memexchange.Request {
	return memexchange.Request{Method: "GET", URI: "/products/1", Header: h,
		Vars: map[string]string{"request.id": "req-1"}}
}

// call runs one request through p and returns next and the client's response (when the plugin answered).
func call(p *Plugin, req memexchange.Request) (bool, memexchange.Response) {
	ex := memexchange.New(req)
	next, _ := p.HandleRequest(ex)
	return next, ex.Response()
}

func TestHeadersSent(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	p := build(t, `{"method":"post","url":"`+srv.URL+`/check?from=portico"}`, nil)
	next, _ := call(p, request(http.Header{
		"Authorization":     {"Bearer abc"},
		"X-Multi":           {"1", "2"},
		"Host":              {"api.example.com"},
		"Connection":        {"keep-alive, X-Hop"},
		"X-Hop":             {"dropped"},
		"Keep-Alive":        {"timeout=5"},
		"Te":                {"trailers"},
		"Upgrade":           {"websocket"},
		"Proxy-Connection":  {"keep-alive"},
		"Transfer-Encoding": {"chunked"},
		"Content-Length":    {"12"},
		"Expect":            {"100-continue"},
		"X-Request-Id":      {"abc"},
	}))
	if !next {
		t.Fatal("a 200 pre-call did not pass the request on")
	}
	got := srv.lastRequest()
	if got.Method != "POST" || got.URL.String() != "/check?from=portico" || got.Host != srv.Listener.Addr().String() {
		t.Errorf("pre-call request %s %s host %s", got.Method, got.URL, got.Host)
	}
	if got.Header.Get("Authorization") != "Bearer abc" || strings.Join(got.Header.Values("X-Multi"), ",") != "1,2" ||
		got.Header.Get("X-Request-Id") != "abc" {
		t.Errorf("end-to-end headers missing: %v", got.Header)
	}
	for _, h := range []string{"X-Hop", "Keep-Alive", "Te", "Upgrade", "Proxy-Connection", "Expect", "User-Agent"} {
		if v := got.Header.Get(h); v != "" {
			t.Errorf("%s was sent: %q", h, v)
		}
	}
	if got.ContentLength > 0 || len(got.TransferEncoding) > 0 {
		t.Errorf("a body was announced: length %d, %v", got.ContentLength, got.TransferEncoding)
	}
}

func TestAnswers(t *testing.T) {
	big := strings.Repeat("x", MaxBodySize+1)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		config  string // extra config fields
		next    bool
		status  uint32
		body    string // substring
		header  map[string]string
	}{
		{"200 continues", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ignored")) },
			"", true, 0, "", nil},
		{"401 relayed", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Set-Cookie", "a=1")
			w.Header().Add("Set-Cookie", "b=2")
			w.Header().Set("WWW-Authenticate", `Bearer realm="shop"`)
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Connection", "X-Private")
			w.Header().Set("X-Private", "hop")
			w.Header().Set("Keep-Alive", "timeout=5")
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"title":"no"}`))
		}, "", false, 401, `{"title":"no"}`, map[string]string{"Set-Cookie": "a=1,b=2",
			"Www-Authenticate": `Bearer realm="shop"`, "Content-Type": "application/problem+json", "X-Private": "",
			"Keep-Alive": "", "Connection": "", "Content-Length": ""}},
		{"204 is not 200", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) },
			"", false, 204, "", nil},
		{"redirect not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, "", false, 302, "", map[string]string{"Location": "/elsewhere"}},
		{"500 relayed", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) },
			"", false, 500, "down", nil},
		{"body too large", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(403)
			_, _ = w.Write([]byte(big))
		}, "", false, 502, `"code":"precall_failed"`, map[string]string{"Content-Type": "application/json"}},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}, `,"timeoutMs":50`, false, 502, `"code":"precall_failed"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			p := build(t, `{"url":"`+srv.URL+`/check"`+tt.config+`}`, nil)
			start := time.Now()
			next, resp := call(p, request(http.Header{"Authorization": {"x"}}))
			if time.Since(start) > time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			if next != tt.next {
				t.Fatalf("next=%v, want %v", next, tt.next)
			}
			if next {
				return
			}
			if resp.Status != tt.status || !strings.Contains(string(resp.Body), tt.body) {
				t.Errorf("got %d %.200q, want %d containing %q", resp.Status, resp.Body, tt.status, tt.body)
			}
			for name, want := range tt.header {
				if v := strings.Join(resp.Header.Values(name), ","); v != want {
					t.Errorf("%s: %q, want %q", name, v, want)
				}
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	p := build(t, `{"url":"http://`+addr+`/check"}`, nil)
	ex := memexchange.New(request(nil))
	next, _ := p.HandleRequest(ex)
	resp := ex.Response()
	if next || resp.Status != 502 || !strings.Contains(string(resp.Body), CodeFailed) {
		t.Fatalf("got next=%v %d %s", next, resp.Status, resp.Body)
	}
	if strings.Contains(string(resp.Body), addr) {
		t.Error("the pre-call address leaked to the client")
	}
	logs := ex.Logs()
	if len(logs) != 1 || !strings.Contains(logs[0].Message, addr) {
		t.Errorf("the failure was not logged with the URL: %v", logs)
	}
}

func TestCache(t *testing.T) {
	status := atomic.Int64{}
	status.Store(200)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(int(status.Load())) })
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	p := build(t, `{"url":"`+srv.URL+`","cacheSeconds":30}`, nil)
	p.now = func() time.Time { return now }
	alice := http.Header{"Authorization": {"alice"}, "X-Request-Id": {"1"}, "Traceparent": {"00-a-b-01"}}
	steps := []struct {
		name    string
		advance time.Duration
		header  http.Header
		status  int64
		next    bool
		calls   int64 // pre-calls made so far
	}{
		{"first call", 0, alice, 200, true, 1},
		{"cached", 10 * time.Second, alice, 200, true, 1},
		{"cached despite new correlation ids", 0,
			http.Header{"Authorization": {"alice"}, "X-Request-Id": {"2"}, "Tracestate": {"x"}}, 200, true, 1},
		{"other headers are another key", 0, http.Header{"Authorization": {"bob"}}, 401, false, 2},
		{"a non-200 is not cached", 0, http.Header{"Authorization": {"bob"}}, 200, true, 3},
		{"header order does not matter", 0,
			http.Header{"X-B": {"1"}, "X-A": {"2"}, "Authorization": {"alice"}}, 200, true, 4},
		{"same set, same key", 0, http.Header{"X-A": {"2"}, "Authorization": {"alice"}, "X-B": {"1"}}, 200, true, 4},
		{"value order matters", 0, http.Header{"X-B": {"1", "2"}}, 200, true, 5},
		{"value order matters 2", 0, http.Header{"X-B": {"2", "1"}}, 200, true, 6},
		{"expired", 20 * time.Second, alice, 403, false, 7},
		{"a refusal leaves nothing cached", 0, alice, 200, true, 8},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		status.Store(s.status)
		next, _ := call(p, request(s.header))
		if next != s.next || srv.calls.Load() != s.calls {
			t.Fatalf("%s: next=%v after %d pre-calls; want %v after %d", s.name, next, srv.calls.Load(), s.next, s.calls)
		}
	}
}

func TestNoCache(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	p := build(t, `{"url":"`+srv.URL+`","cacheSeconds":0}`, nil)
	for range 3 {
		call(p, request(http.Header{"Authorization": {"a"}}))
	}
	if srv.calls.Load() != 3 || p.cache != nil {
		t.Fatalf("%d pre-calls for 3 requests without a cache", srv.calls.Load())
	}
}

// TestServiceClient: the host can supply the client; here one that trusts a test server's certificate.
func TestServiceClient(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(418) }))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	client := &fasthttp.Client{TLSConfig: &tls.Config{RootCAs: pool}}
	p := build(t, `{"url":"`+srv.URL+`/check"}`, map[string]any{ServiceClient: client})
	if next, resp := call(p, request(nil)); next || resp.Status != 418 {
		t.Fatalf("https pre-call: next=%v status %d %s", next, resp.Status, resp.Body)
	}
	typ, _ := abi.Default().Lookup(Type)
	if _, err := typ.New(abi.BuildContext{Services: map[string]any{ServiceClient: "nope"}},
		json.RawMessage(`{"url":"http://a.example"}`)); err == nil {
		t.Fatal("a service of the wrong type was accepted")
	}
}

func TestCacheBounded(t *testing.T) {
	c := newCache(160) // 10 a shard
	for i := range 5000 {
		var k [32]byte
		k[0], k[1], k[2] = byte(i), byte(i>>8), byte(i>>16)
		c.put(k, 0, int64(1000+i))
		if c.len() > 160 {
			t.Fatalf("after %d entries the cache holds %d", i+1, c.len())
		}
	}
	var k [32]byte
	if c.put(k, 0, 1); !c.fresh(k, 0) || c.fresh(k, 1) || c.fresh(k, 0) {
		t.Fatal("expiry: an entry is fresh until its expiry, then gone")
	}
}

func TestListed(t *testing.T) {
	for _, c := range []struct {
		conn, name string
		want       bool
	}{
		{"keep-alive, X-Hop", "x-hop", true}, {"a\x00 b ,c", "b", true}, {"close", "x-hop", false}, {"", "a", false},
		{"x-hop2", "x-hop", false},
	} {
		if got := listed([]byte(c.conn), []byte(c.name)); got != c.want {
			t.Errorf("listed(%q, %q) = %v", c.conn, c.name, got)
		}
	}
}

// benchHeaders is a typical browser-ish request: a dozen headers.
var benchHeaders = []string{"accept", "application/json", "accept-encoding", "gzip, br", "accept-language", "ko-KR",
	"authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl", "user-agent",
	"Mozilla/5.0 (X11; Linux x86_64)", "x-request-id", "abc-123", "cookie", "session=0123456789abcdef",
	"x-nhn-apikey", "key-0123456789", "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
	"origin", "https://shop.example.com", "referer", "https://shop.example.com/cart", "connection", "keep-alive"}

// BenchmarkPrecall measures a cache hit (header copy, SHA-256, lookup) and a real call to a local pre-call API
// over a reused connection.
func BenchmarkPrecall(b *testing.B) {
	srv := newFastServer(b)
	for _, c := range []struct {
		name   string
		config string
	}{
		{"cached", `{"url":"http://` + srv + `/check","cacheSeconds":3600}`},
		{"call", `{"url":"http://` + srv + `/check"}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := build(b, c.config, nil)
			req := memexchange.Request{Method: "GET", Header: http.Header{}}
			for i := 0; i < len(benchHeaders); i += 2 {
				req.Header.Add(benchHeaders[i], benchHeaders[i+1])
			}
			// No Reset in the loop: HandleRequest only reads the request when it passes it on, and Reset would
			// reload the http.Header, which allocates.
			ex := memexchange.New(req)
			b.ReportAllocs()
			for b.Loop() {
				if next, _ := p.HandleRequest(ex); !next {
					b.Fatal("refused")
				}
			}
		})
	}
}

// newFastServer serves 200s with fasthttp on a loopback port: cheaper than net/http, so the benchmark shows the
// client side.
func newFastServer(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {}}
	go func() { _ = s.Serve(l) }()
	b.Cleanup(func() { _ = s.Shutdown() })
	return l.Addr().String()
}

// FuzzConfig: any config either fails with a field error or compiles into something within the limits.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{`{"method":"GET","url":"http://127.0.0.1:9200/check","cacheSeconds":30}`,
		`{"url":"https://a.example/x?y=1","timeoutMs":5}`, `{"url":"http://[::1]:80"}`, `{}`, `[`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := parse(json.RawMessage(raw))
		if err != nil {
			return
		}
		if c.timeout <= 0 || c.timeout > MaxTimeout || c.cache < 0 || c.cache > MaxCacheSeconds*time.Second ||
			!strings.HasPrefix(c.url, "http") {
			t.Fatalf("accepted %s as %+v", raw, c)
		}
		var req fasthttp.Request
		req.SetRequestURI(c.url) // must not panic
	})
}

// FuzzCollect: whatever the header values, the lines parse back into the same headers.
func FuzzCollect(f *testing.F) {
	f.Add("a", "1", "b", "2")
	f.Add("connection", "x-a", "x-a", "v\nw")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2 string) {
		h := http.Header{}
		h.Add(n1, v1)
		h.Add(n2, v2)
		ex := memexchange.New(memexchange.Request{Method: "GET", Header: h})
		var s scratch
		s.collect(ex)
		var req fasthttp.Request
		s.copyTo(&req)
		if !bytes.HasPrefix(s.sent, s.keyed[:0]) || bytes.Count(s.sent, []byte{'\n'}) < bytes.Count(s.keyed, []byte{'\n'}) {
			t.Fatalf("keyed lines are not a subset: %q / %q", s.keyed, s.sent)
		}
	})
}
