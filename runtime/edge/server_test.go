package edge

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/internal/allocguard"
	"github.com/portico-gateway/portico/runtime/ctxvar"
	"github.com/portico-gateway/portico/runtime/pipeline"
	"github.com/portico-gateway/portico/runtime/proxy"
	"github.com/portico-gateway/portico/runtime/router"
)

// fastBackend serves "ok" on a loopback port with fasthttp.
func fastBackend(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

// testServer builds a gateway serving host "svc0001-test.localhost" with a mock route GET /hello and an HTTP route
// GET /items/{id} → backend /api/items/{id}.
func testServer(tb testing.TB, backendAddr string) *Server {
	tb.Helper()
	segs, _ := router.ParsePath("/items/{id}")
	tpl, err := ctxvar.Parse("/api/items/${request.path.id}", segs)
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := ctxvar.Parse("hello", nil)
	target, err := proxy.NewTransport(proxy.Options{}).Target("http://" + backendAddr)
	if err != nil {
		tb.Fatal(err)
	}
	b := router.NewBuilder[*pipeline.Route]()
	if err := b.Add("GET", "/items/{id}", pipeline.NewHTTPRoute("GET", "/items/{id}", target, tpl)); err != nil {
		tb.Fatal(err)
	}
	if err := b.Add("GET", "/hello", pipeline.NewMockRoute("GET", "/hello", 200, nil, body)); err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	stage := pipeline.NewStage("svc0001", "test", 1, b.Build(), logger)
	gw := &pipeline.Gateway{}
	gw.Swap(pipeline.NewTable(map[string]pipeline.HostEntry{"svc0001-test.localhost": {Stage: stage}}))
	return NewServer(gw, ServerConfig{Logger: logger})
}

var peer = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}

// serve runs one request through the server's handler without a socket on the client side.
func serve(s *Server, ctx *fasthttp.RequestCtx, req *fasthttp.Request) {
	ctx.Init(req, peer, nil)
	s.handle(ctx)
}

func newRequest(host, uri string) *fasthttp.Request {
	req := fasthttp.AcquireRequest()
	req.SetRequestURI(uri)
	req.Header.SetHost(host)
	return req
}

func TestHandleDispatch(t *testing.T) {
	s := testServer(t, fastBackend(t))
	tests := []struct {
		host, uri string
		status    int
		body      string
	}{
		{"svc0001-test.localhost", "/hello", 200, "hello"},
		{"SVC0001-TEST.localhost:8080", "/items/7", 200, "ok"},
		{"svc0001-test.localhost.", "/hello", 200, "hello"},
		{"other.localhost", "/hello", 404, `"code":"unknown_host"`},
		{"10.0.0.1", "/healthz", 200, `{"status":"ok"}`},
		{"10.0.0.1:8080", "/readyz", 200, `"stages":1`},
		{"[::1]:8080", "/healthz", 200, `"ok"`},
	}
	for _, tt := range tests {
		var ctx fasthttp.RequestCtx
		serve(s, &ctx, newRequest(tt.host, tt.uri))
		if ctx.Response.StatusCode() != tt.status || !contains(ctx.Response.Body(), tt.body) {
			t.Errorf("%s%s: %d %q", tt.host, tt.uri, ctx.Response.StatusCode(), ctx.Response.Body())
		}
		if len(ctx.Response.Header.Peek("x-request-id")) == 0 {
			t.Errorf("%s%s: no x-request-id", tt.host, tt.uri)
		}
	}
}

func TestReadyzBeforeFirstLoad(t *testing.T) {
	s := NewServer(&pipeline.Gateway{}, ServerConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	var ctx fasthttp.RequestCtx
	serve(s, &ctx, newRequest("10.0.0.1", "/readyz"))
	if ctx.Response.StatusCode() != 503 {
		t.Fatalf("readyz before any snapshot: %d", ctx.Response.StatusCode())
	}
}

func TestIncomingRequestIDIsKeptOnlyWhenSafe(t *testing.T) {
	s := testServer(t, fastBackend(t))
	for _, tc := range []struct{ in, want string }{{"abc-123", "abc-123"}, {"bad id\r\n", ""}} {
		var ctx fasthttp.RequestCtx
		req := newRequest("svc0001-test.localhost", "/hello")
		req.Header.Set("x-request-id", tc.in)
		serve(s, &ctx, req)
		got := string(ctx.Response.Header.Peek("x-request-id"))
		if (tc.want != "" && got != tc.want) || (tc.want == "" && (got == tc.in || got == "")) {
			t.Fatalf("incoming %q → %q", tc.in, got)
		}
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// BenchmarkServe measures the gateway's own cost per request (no client socket). "proxy" includes a real loopback
// round trip to a fasthttp backend; "direct" is that round trip alone, the baseline to compare it with.
func BenchmarkServe(b *testing.B) {
	backend := fastBackend(b)
	s := testServer(b, backend)
	b.Run("mock", func(b *testing.B) {
		req := newRequest("svc0001-test.localhost", "/hello")
		var ctx fasthttp.RequestCtx
		b.ReportAllocs()
		for b.Loop() {
			serve(s, &ctx, req)
		}
	})
	b.Run("not-found", func(b *testing.B) {
		req := newRequest("svc0001-test.localhost", "/nope")
		var ctx fasthttp.RequestCtx
		b.ReportAllocs()
		for b.Loop() {
			serve(s, &ctx, req)
		}
	})
	b.Run("proxy", func(b *testing.B) {
		var ctx fasthttp.RequestCtx
		req := fasthttp.AcquireRequest()
		b.ReportAllocs()
		for b.Loop() {
			req.Reset()
			req.SetRequestURI("/items/42?x=1")
			req.Header.SetHost("svc0001-test.localhost")
			serve(s, &ctx, req)
			if ctx.Response.StatusCode() != 200 {
				b.Fatalf("status %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
		}
	})
	b.Run("proxy-parsed", func(b *testing.B) { // a request as the server parses it, with its raw header block
		template := parsedRequest(b)
		var ctx fasthttp.RequestCtx
		var req fasthttp.Request
		b.ReportAllocs()
		for b.Loop() {
			template.CopyTo(&req)
			serve(s, &ctx, &req)
			if ctx.Response.StatusCode() != 200 {
				b.Fatalf("status %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
		}
	})
	b.Run("minimal-proxy", func(b *testing.B) { // the least a fasthttp proxy does, for the gateway's overhead
		template := parsedRequest(b)
		hc := &fasthttp.HostClient{Addr: backend}
		var ctx fasthttp.RequestCtx
		var req fasthttp.Request
		b.ReportAllocs()
		for b.Loop() {
			template.CopyTo(&req)
			ctx.Init(&req, peer, nil)
			ctx.Request.Header.Del("Connection")
			if err := hc.Do(&ctx.Request, &ctx.Response); err != nil || ctx.Response.StatusCode() != 200 {
				b.Fatalf("%v %d", err, ctx.Response.StatusCode())
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		c := &fasthttp.HostClient{Addr: backend}
		req := fasthttp.AcquireRequest()
		resp := fasthttp.AcquireResponse()
		b.ReportAllocs()
		for b.Loop() {
			req.Reset()
			req.SetRequestURI("http://" + backend + "/api/items/42?x=1")
			if err := c.Do(req, resp); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestClientTimeoutsThroughListener checks, through Listen's real sockets (whose connections re-arm deadlines
// lazily), that a kept-alive connection's idle timeout counts from its last request and that a stalled request is
// cut off after the read timeout.
func TestClientTimeoutsThroughListener(t *testing.T) {
	lns, err := Listen(context.Background(), ListenConfig{Addrs: []string{"127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 400 * time.Millisecond
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := NewServer(&pipeline.Gateway{}, ServerConfig{Logger: logger, ReadTimeout: timeout, IdleTimeout: timeout})
	go func() { _ = s.Serve(lns) }()
	defer s.Shutdown(context.Background())
	addr := lns[0].Addr().String()

	t.Run("idle timeout counts from the last request", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		br := bufio.NewReader(c)
		get := func() error {
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n"); err != nil {
				return err
			}
			var resp fasthttp.Response
			return resp.Read(br)
		}
		if err := get(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(timeout * 3 / 4)
		if err := get(); err != nil {
			t.Fatalf("second request within the idle timeout: %v", err)
		}
		start := time.Now()
		time.Sleep(timeout * 3 / 4) // past the first request's idle deadline, within the second's
		if err := get(); err != nil {
			t.Fatalf("third request, %v after the second: %v", time.Since(start), err)
		}
		start = time.Now()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := br.ReadByte(); err == nil {
			t.Fatal("an idle connection got data, want it closed")
		}
		if took := time.Since(start); took < timeout-20*time.Millisecond || took > timeout+2*time.Second {
			t.Fatalf("the idle connection was closed after %v, want about %v", took, timeout)
		}
	})
	t.Run("a stalled request is cut off", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 10.0.0.1\r\n") // no final blank line
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, c) // a 408 answer, then the close
		if took := time.Since(start); took < timeout-20*time.Millisecond || took > timeout+2*time.Second {
			t.Fatalf("the stalled connection ended after %v, want about %v", took, timeout)
		}
	})
}

// parsedRequest parses a typical client request from the wire, as the server does (so its raw header block, which
// the forwarding fields are decided from, is kept).
func parsedRequest(tb testing.TB) *fasthttp.Request {
	tb.Helper()
	const raw = "GET /items/42?x=1 HTTP/1.1\r\nHost: svc0001-test.localhost\r\nAccept: */*\r\n" +
		"User-Agent: bench\r\nCookie: session=\"a b\"\r\nAuthorization: Bearer x\r\n\r\n"
	req := new(fasthttp.Request)
	if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		tb.Fatal(err)
	}
	return req
}

// TestProxiedRequestAllocations keeps the proxied request path (routing, forwarding fields, the backend call over a
// kept-alive connection) free of allocations; only the test's own RequestCtx.Init allocates.
func TestProxiedRequestAllocations(t *testing.T) {
	allocguard.SkipUnderRace(t)
	s := testServer(t, fastBackend(t))
	template := parsedRequest(t)
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	run := func() {
		template.CopyTo(&req)
		serve(s, &ctx, &req)
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("status %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
	for range 100 {
		run()
	}
	if got := testing.AllocsPerRun(500, run); got > 1 {
		t.Fatalf("%.1f allocations per proxied request, want at most 1", got)
	}
}
