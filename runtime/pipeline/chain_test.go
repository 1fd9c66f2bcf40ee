package pipeline

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/ctxvar"
	"github.com/portico-gateway/portico/runtime/proxy"
	"github.com/portico-gateway/portico/runtime/router"
)

// funcPlugin is a test plugin made of two functions.
type funcPlugin struct {
	req  func(ex abi.Exchange) (bool, uint32)
	resp func(ex abi.Exchange, reqCtx uint32, isError bool)
}

func (p funcPlugin) HandleRequest(ex abi.Exchange) (bool, uint32) {
	if p.req == nil {
		return true, 0
	}
	return p.req(ex)
}

func (p funcPlugin) HandleResponse(ex abi.Exchange, reqCtx uint32, isError bool) {
	if p.resp != nil {
		p.resp(ex, reqCtx, isError)
	}
}

func binding(name string, phase abi.Phase, p abi.Plugin) Binding {
	return Binding{Name: name, Plugin: p, Phase: phase}
}

// echoBackend answers with the method, request URI and a few headers it received.
func echoBackend(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("X-Backend", "yes")
		ctx.SetBodyString(string(ctx.Method()) + " " + string(ctx.RequestURI()) + " x-added=" +
			string(ctx.Request.Header.Peek("X-Added")) + " body=" + string(ctx.PostBody()))
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

func stageWith(t *testing.T, backend, path, backendPath string, bindings ...Binding) *Stage {
	t.Helper()
	segs, err := router.ParsePath(path)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := ctxvar.Parse(backendPath, segs)
	if err != nil {
		t.Fatal(err)
	}
	target, err := proxy.NewTransport(proxy.Options{}).Target(backend)
	if err != nil {
		t.Fatal(err)
	}
	b := router.NewBuilder[*Route]()
	if err := b.Add("ANY", path, NewHTTPRoute("ANY", path, target, tpl).WithPlugins(segs, bindings)); err != nil {
		t.Fatal(err)
	}
	return NewStage("svc00001", "test", 1, b.Build(), slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func serveStage(s *Stage, method, uri, body string) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	req.Header.SetHost("svc00001-test.localhost")
	req.SetBodyString(body)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 5555}, nil)
	r := AcquireRequest(&ctx)
	r.NewRequestID()
	r.ClientIP = mustAddr("192.0.2.7")
	r.Scheme = "http"
	s.Serve(r, "")
	ReleaseRequest(r)
	resp := &fasthttp.Response{}
	ctx.Response.CopyTo(resp)
	return resp
}

func TestChainOrderAndPhases(t *testing.T) {
	var order []string
	mark := func(name string) funcPlugin {
		return funcPlugin{
			req: func(ex abi.Exchange) (bool, uint32) {
				order = append(order, "req:"+name)
				return true, uint32(len(order))
			},
			resp: func(ex abi.Exchange, reqCtx uint32, isError bool) {
				order = append(order, "resp:"+name)
			},
		}
	}
	s := stageWith(t, echoBackend(t), "/items/{id}", "/api/${request.path.id}",
		binding("a", abi.PhaseRequest, mark("a")),
		binding("b", abi.PhaseRequest, mark("b")),
		binding("r", abi.PhaseResponse, mark("r")),
	)
	resp := serveStage(s, "GET", "/items/7", "")
	if resp.StatusCode() != 200 {
		t.Fatalf("status %d %s", resp.StatusCode(), resp.Body())
	}
	want := "req:a req:b resp:b resp:a resp:r"
	if got := strings.Join(order, " "); got != want {
		t.Fatalf("order %q, want %q", got, want)
	}
}

func TestPluginAnswersWithoutBackend(t *testing.T) {
	responded := false
	deny := funcPlugin{req: func(ex abi.Exchange) (bool, uint32) {
		_ = ex.SetStatusCode(403)
		_ = ex.SetHeader(abi.HeaderResponse, []byte("content-type"), []byte("text/plain"))
		_ = ex.WriteBody(abi.BodyResponse, []byte("denied "))
		_ = ex.WriteBody(abi.BodyResponse, []byte("by plugin"))
		return false, 0
	}}
	after := funcPlugin{req: func(ex abi.Exchange) (bool, uint32) {
		t.Fatal("a plugin after the one that answered ran")
		return true, 0
	}}
	respPlugin := funcPlugin{resp: func(ex abi.Exchange, _ uint32, _ bool) {
		responded = true
		_ = ex.SetHeader(abi.HeaderResponse, []byte("x-resp"), []byte("1"))
	}}
	s := stageWith(t, "http://127.0.0.1:1", "/x", "/x",
		binding("deny", abi.PhaseRequest, deny), binding("after", abi.PhaseRequest, after),
		binding("resp", abi.PhaseResponse, respPlugin))
	resp := serveStage(s, "GET", "/x", "")
	if resp.StatusCode() != 403 || string(resp.Body()) != "denied by plugin" || !responded || string(resp.Header.Peek("x-resp")) != "1" {
		t.Fatalf("status %d body %q responded %v", resp.StatusCode(), resp.Body(), responded)
	}
}

func TestExchangeRewritesReachTheBackend(t *testing.T) {
	var sawBody string
	rewrite := funcPlugin{
		req: func(ex abi.Exchange) (bool, uint32) {
			buf := make([]byte, 64)
			n, eof, err := ex.ReadBody(abi.BodyRequest, buf)
			if err != nil || !eof {
				t.Errorf("read body: %d %v %v", n, eof, err)
			}
			sawBody = string(buf[:n])
			if err := ex.SetHeader(abi.HeaderRequest, []byte("x-added"), []byte("v")); err != nil {
				t.Error(err)
			}
			if err := ex.SetURI([]byte("/rewritten/path?q=1")); err != nil {
				t.Error(err)
			}
			if err := ex.SetHeader(abi.HeaderResponse, []byte("x-pre-next"), []byte("kept")); err != nil {
				t.Error(err)
			}
			return true, 42
		},
		resp: func(ex abi.Exchange, reqCtx uint32, isError bool) {
			if reqCtx != 42 || isError {
				t.Errorf("reqCtx %d isError %v", reqCtx, isError)
			}
			if err := ex.SetHeader(abi.HeaderRequest, []byte("x-late"), []byte("v")); err != abi.ErrAfterNext {
				t.Errorf("request header after next: %v", err)
			}
			if err := ex.SetURI([]byte("/late")); err != abi.ErrAfterNext {
				t.Errorf("set_uri after next: %v", err)
			}
			if got, _ := ex.AppendHeaderValues(abi.HeaderResponse, []byte("x-backend"), nil); string(got) != "yes\x00" {
				t.Errorf("backend header %q", got)
			}
		},
	}
	s := stageWith(t, echoBackend(t)+"/base", "/items/{id}", "/api/${request.path.id}", binding("rw", abi.PhaseRequest, rewrite))
	resp := serveStage(s, "POST", "/items/7?orig=1", "payload")
	want := "POST /base/rewritten/path?q=1 x-added=v body=payload"
	if string(resp.Body()) != want || sawBody != "payload" {
		t.Fatalf("backend saw %q (plugin read %q), want %q", resp.Body(), sawBody, want)
	}
	if string(resp.Header.Peek("x-pre-next")) != "kept" {
		t.Fatal("a response header set before next was lost")
	}
}

func TestSetURIWithOnlyANewQueryKeepsTheBackendPath(t *testing.T) {
	addQuery := funcPlugin{req: func(ex abi.Exchange) (bool, uint32) {
		uri := append([]byte(nil), ex.URI()...)
		if err := ex.SetURI(append(uri, "&lang=ko"...)); err != nil {
			t.Error(err)
		}
		return true, 0
	}}
	s := stageWith(t, echoBackend(t), "/items/{id}", "/api/${request.path.id}", binding("q", abi.PhaseRequest, addQuery))
	resp := serveStage(s, "GET", "/items/7?x=1", "")
	if want := "GET /api/7?x=1&lang=ko x-added= body="; string(resp.Body()) != want {
		t.Fatalf("backend saw %q, want %q", resp.Body(), want)
	}
}

func TestExchangeRules(t *testing.T) {
	check := funcPlugin{req: func(ex abi.Exchange) (bool, uint32) {
		for _, tc := range []struct {
			name string
			err  error
			want error
		}{
			{"CRLF in value", ex.SetHeader(abi.HeaderRequest, []byte("x"), []byte("a\r\nb: c")), abi.ErrInvalid},
			{"bad name", ex.SetHeader(abi.HeaderRequest, []byte("a b"), []byte("v")), abi.ErrInvalid},
			{"trailers need the feature", ex.SetHeader(abi.HeaderRequestTrailers, []byte("x"), []byte("v")), abi.ErrFeature},
			{"uri with dot segment", ex.SetURI([]byte("/a/../b")), abi.ErrInvalid},
			{"uri with encoded dot segment", ex.SetURI([]byte("/a/%2e%2E/b")), abi.ErrInvalid},
			{"uri without slash", ex.SetURI([]byte("a")), abi.ErrInvalid},
			{"status out of range", ex.SetStatusCode(42), abi.ErrInvalid},
		} {
			if tc.err != tc.want {
				t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
			}
		}
		ex.EnableFeatures(abi.FeatureTrailers)
		if err := ex.SetHeader(abi.HeaderRequestTrailers, []byte("x-t"), []byte("1")); err != nil {
			t.Errorf("trailer with the feature: %v", err)
		}
		names, n := ex.AppendHeaderNames(abi.HeaderRequestTrailers, nil)
		if n != 1 || string(names) != "x-t\x00" {
			t.Errorf("trailer names %q", names)
		}
		for name, want := range map[string]string{
			"request.clientIp": "192.0.2.7", "request.path.id": "7", "stage.name": "test", "service.id": "svc00001",
			"request.query.q": "z", "request.header.x-in": "hi",
		} {
			if v, ok := ex.ContextVar([]byte(name), nil); !ok || string(v) != want {
				t.Errorf("context var %s = %q %v, want %q", name, v, ok, want)
			}
		}
		if _, ok := ex.ContextVar([]byte("request.path.nope"), nil); ok {
			t.Error("an unknown path variable resolved")
		}
		if got := string(ex.SourceAddr()); got != "192.0.2.7:5555" {
			t.Errorf("source addr %q", got)
		}
		names, n = ex.AppendHeaderNames(abi.HeaderRequest, nil)
		if n < 2 || !strings.Contains(string(names), "x-in\x00") || !strings.Contains(string(names), "host\x00") {
			t.Errorf("request header names %q (%d)", names, n)
		}
		return true, 0
	}}
	s := stageWith(t, echoBackend(t), "/items/{id}", "/api/${request.path.id}", binding("check", abi.PhaseRequest, check))
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	req.SetRequestURI("/items/7?q=z")
	req.Header.Set("X-In", "hi")
	req.Header.SetHost("h")
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 5555}, nil)
	r := AcquireRequest(&ctx)
	r.NewRequestID()
	r.ClientIP = mustAddr("192.0.2.7")
	s.Serve(r, "")
	ReleaseRequest(r)
}

var benchName, benchValue = []byte("x-a"), []byte("1")

func BenchmarkChain(b *testing.B) {
	noop := funcPlugin{req: func(ex abi.Exchange) (bool, uint32) {
		_ = ex.SetHeader(abi.HeaderRequest, benchName, benchValue)
		_ = ex.SetHeader(abi.HeaderResponse, benchName, benchValue) // recorded before next, replayed after
		return true, 0
	}}
	segs, _ := router.ParsePath("/hello")
	body, _ := ctxvar.Parse("hi", segs)
	rb := router.NewBuilder[*Route]()
	_ = rb.Add("GET", "/hello", NewMockRoute("GET", "/hello", 200, nil, body).WithPlugins(segs,
		[]Binding{binding("a", abi.PhaseRequest, noop), binding("b", abi.PhaseRequest, noop)}))
	s := NewStage("svc00001", "test", 1, rb.Build(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	req.SetRequestURI("/hello")
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 5555}, nil)
	b.ReportAllocs()
	for b.Loop() {
		r := AcquireRequest(&ctx)
		s.Serve(r, "")
		ReleaseRequest(r)
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestPluginTrailers(t *testing.T) {
	var sawTrailer string
	p := funcPlugin{
		req: func(ex abi.Exchange) (bool, uint32) {
			names, n := ex.AppendHeaderNames(abi.HeaderRequestTrailers, nil)
			v, _ := ex.AppendHeaderValues(abi.HeaderRequestTrailers, []byte("x-checksum"), nil)
			if n != 1 || string(names) != "x-checksum\x00" {
				t.Errorf("request trailer names %q (%d)", names, n)
			}
			sawTrailer = string(v)
			if err := ex.SetHeader(abi.HeaderResponseTrailers, []byte("x-plugin"), []byte("1")); err != abi.ErrFeature {
				t.Errorf("writing a trailer without the feature: %v", err)
			}
			ex.EnableFeatures(abi.FeatureTrailers)
			return true, 0
		},
		resp: func(ex abi.Exchange, _ uint32, _ bool) {
			if err := ex.SetHeader(abi.HeaderResponseTrailers, []byte("x-plugin"), []byte("done")); err != nil {
				t.Errorf("response trailer: %v", err)
			}
		},
	}
	s := stageWith(t, echoBackend(t), "/x", "/x", binding("trailers", abi.PhaseRequest, p))
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	req.Header.SetMethod("POST")
	req.SetRequestURI("/x")
	req.Header.SetHost("h")
	if err := req.Header.AddTrailer("X-Checksum"); err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Checksum", "abc")
	req.SetBodyString("data")
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 5555}, nil)
	r := AcquireRequest(&ctx)
	r.NewRequestID()
	s.Serve(r, "")
	ReleaseRequest(r)
	if sawTrailer != "abc\x00" {
		t.Fatalf("the plugin read request trailer %q", sawTrailer)
	}
	announced := false
	for k := range ctx.Response.Header.Trailers() {
		announced = announced || strings.EqualFold(string(k), "x-plugin")
	}
	if !announced || string(ctx.Response.Header.Peek("X-Plugin")) != "done" {
		t.Fatalf("response trailer not set: %s", ctx.Response.Header.String())
	}
}

// TestInFlightCountsServingRequests: a stage with plugins to release counts the requests it is serving (the runtime
// closes a replaced stage when the count reaches zero); one without does not count at all.
func TestInFlightCountsServingRequests(t *testing.T) {
	for _, withClosers := range []bool{true, false} {
		entered, release := make(chan struct{}), make(chan struct{})
		block := funcPlugin{req: func(abi.Exchange) (bool, uint32) {
			close(entered)
			<-release
			return true, 0
		}}
		segs, _ := router.ParsePath("/hello")
		body, _ := ctxvar.Parse("hi", segs)
		rb := router.NewBuilder[*Route]()
		_ = rb.Add("GET", "/hello", NewMockRoute("GET", "/hello", 200, nil, body).WithPlugins(segs,
			[]Binding{binding("block", abi.PhaseRequest, block)}))
		s := NewStage("svc00001", "test", 1, rb.Build(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if withClosers {
			s.SetClosers([]abi.Closer{closerFunc(func() error { return nil })})
		}
		var ctx fasthttp.RequestCtx
		var req fasthttp.Request
		req.SetRequestURI("/hello")
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 5555}, nil)
		done := make(chan struct{})
		go func() {
			r := AcquireRequest(&ctx)
			s.Serve(r, "")
			ReleaseRequest(r)
			close(done)
		}()
		<-entered
		want := int64(0)
		if withClosers {
			want = 1
		}
		if got := s.InFlight(); got != want {
			t.Errorf("closers %v: %d in flight while a request is served, want %d", withClosers, got, want)
		}
		close(release)
		<-done
		if got := s.InFlight(); got != 0 {
			t.Errorf("closers %v: %d in flight after the request, want 0", withClosers, got)
		}
	}
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// TestRouteHotFieldsFitTwoCacheLines keeps what every request reads of its route (the plugin bindings, the backend
// target and the path template's parts) within the route's first 128 bytes, and the route 256 bytes long, a size Go
// allocates on cache-line boundaries: with many routes most are out of cache, and each extra line is a miss.
func TestRouteHotFieldsFitTwoCacheLines(t *testing.T) {
	var r Route
	if size := unsafe.Sizeof(r); size != 256 {
		t.Errorf("Route is %d bytes, want 256 (adjust its padding)", size)
	}
	// A template's parts are its first 72 bytes (ctxvar's TestTemplatePartsFirst keeps them there).
	tplPartsEnd := unsafe.Offsetof(r.http) + unsafe.Offsetof(r.http.path) + 72
	for name, end := range map[string]uintptr{
		"request":       unsafe.Offsetof(r.request) + unsafe.Sizeof(r.request),
		"response":      unsafe.Offsetof(r.response) + unsafe.Sizeof(r.response),
		"http.target":   unsafe.Offsetof(r.http) + unsafe.Offsetof(r.http.target) + unsafe.Sizeof(r.http.target),
		"template part": tplPartsEnd,
	} {
		if end > 128 {
			t.Errorf("Route.%s ends at byte %d, past the first two cache lines", name, end)
		}
	}
}

// TestHeaderNamesDoNotAllocate: plugins read and set fields through the exchange on every request, whatever the
// length of their names; a name copied into a string for fasthttp's lookups was allocated past 32 bytes.
func TestHeaderNamesDoNotAllocate(t *testing.T) {
	var ctx fasthttp.RequestCtx
	r := AcquireRequest(&ctx)
	defer ReleaseRequest(r)
	r.ex.reset(r)
	value, dst := []byte("v"), make([]byte, 0, 64)
	for _, name := range []string{"x-short", "x-" + strings.Repeat("long", 10)} {
		n := []byte(name)
		got := testing.AllocsPerRun(100, func() {
			_ = r.ex.SetHeader(abi.HeaderRequest, n, value)
			_ = r.ex.SetHeader(abi.HeaderResponse, n, value)
			dst, _ = r.ex.AppendHeaderValues(abi.HeaderRequest, n, dst[:0])
			dst, _ = r.ex.AppendHeaderValues(abi.HeaderResponse, n, dst[:0])
		})
		if got > 0 {
			t.Errorf("%d-byte name: %.1f allocations per set and read, want 0", len(n), got)
		}
	}
}
