package proxy

import (
	"errors"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/lazydeadline"
	"github.com/portico-gateway/portico/runtime/rawio"
)

func TestParseBackendURL(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{"http://127.0.0.1:9000", ""},
		{"https://api.example.com/apis", ""},
		{"example.com", "scheme must be"},
		{"ftp://example.com", "scheme must be"},
		{"http://", "missing host"},
		{"http://u:p@example.com", "user info"},
		{"http://example.com/?a=1", "no query"},
		{"http://example.com/#x", "no query"},
	} {
		_, err := ParseBackendURL(tc.in)
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseBackendURL(%q) = %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestTargetsShareOriginPools(t *testing.T) {
	tr := NewTransport(Options{})
	a, _ := tr.Target("http://example.com/a")
	b, _ := tr.Target("http://example.com:80/b/")
	c, _ := tr.Target("https://example.com/a")
	if a.client != b.client || a.client == c.client || a.breaker != b.breaker {
		t.Fatal("targets on one origin must share the pool and breaker; other origins must not")
	}
	if string(b.BasePath()) != "/b" || !c.client.IsTLS {
		t.Fatalf("base path %q, TLS %v", b.BasePath(), c.client.IsTLS)
	}
}

func TestStripHopByHop(t *testing.T) {
	var req fasthttp.Request
	req.Header.Set("Connection", "keep-alive, X-Private")
	req.Header.Set("X-Private", "secret")
	req.Header.Set("Keep-Alive", "timeout=5")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Proxy-Authorization", "Basic x")
	req.Header.Set("X-Kept", "yes")
	req.Header.SetConnectionClose()
	stripRequest(&req.Header)
	for _, h := range []string{"Connection", "X-Private", "Keep-Alive", "Upgrade", "Proxy-Authorization"} {
		if v := req.Header.Peek(h); len(v) > 0 {
			t.Errorf("%s = %q survived", h, v)
		}
	}
	if string(req.Header.Peek("X-Kept")) != "yes" || req.Header.ConnectionClose() {
		t.Fatal("an end-to-end header was dropped, or the connection-close flag kept")
	}

	var resp fasthttp.Response
	resp.Header.Set("Connection", "close, X-Hop")
	resp.Header.Set("X-Hop", "1")
	StripResponse(&resp.Header)
	if len(resp.Header.Peek("X-Hop")) > 0 || resp.Header.ConnectionClose() {
		t.Fatal("response hop-by-hop headers survived")
	}
}

func TestFailure(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{fasthttp.ErrTimeout, 504, "backend_timeout"},
		{fasthttp.ErrDialTimeout, 504, "backend_timeout"},
		{fasthttp.ErrBodyTooLarge, 502, "backend_response_too_large"},
		{fasthttp.ErrNoFreeConns, 503, "backend_busy"},
		{ErrCircuitOpen, 503, "backend_circuit_open"},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, 502, "backend_unavailable"},
	} {
		if status, code := Failure(tc.err); status != tc.status || code != tc.code {
			t.Errorf("Failure(%v) = %d %s", tc.err, status, code)
		}
	}
}

func TestBreaker(t *testing.T) {
	now := int64(0)
	b := newBreaker(3, time.Second)
	b.now = func() int64 { return now }
	for i := 0; i < 2; i++ {
		if !b.allow() {
			t.Fatal("closed breaker refused a call")
		}
		b.record(true)
	}
	b.record(false) // an answer resets the count
	for i := 0; i < 3; i++ {
		if !b.allow() {
			t.Fatalf("call %d refused before the threshold", i)
		}
		b.record(true)
	}
	if b.allow() {
		t.Fatal("open breaker let a call through")
	}
	now += int64(time.Second)
	if !b.allow() {
		t.Fatal("no probe after the open period")
	}
	if b.allow() {
		t.Fatal("a second concurrent probe was let through")
	}
	b.record(true) // the probe timed out: open again
	if b.allow() {
		t.Fatal("breaker closed after a failed probe")
	}
	now += int64(time.Second)
	if !b.allow() {
		t.Fatal("no probe after the second open period")
	}
	b.record(false)
	for i := 0; i < 2; i++ { // closed again: every call goes through, not only one probe
		if !b.allow() {
			t.Fatalf("call %d refused after a successful probe", i)
		}
	}
}

// TestBreakerOpensOnRealTimeouts drives a real slow backend through a Target.
func TestBreakerOpensOnRealTimeouts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { calls.Add(1); time.Sleep(200 * time.Millisecond) }}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Shutdown()

	tr := NewTransport(Options{Timeout: 30 * time.Millisecond, BreakerThreshold: 2, BreakerOpenFor: time.Minute})
	tg, err := tr.Target("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	call := func() error {
		var req fasthttp.Request
		var resp fasthttp.Response
		tg.Prepare(&req, []byte("/x"))
		return tg.Do(&req, &resp)
	}
	for i := 0; i < 2; i++ {
		if err := call(); !isTimeout(err) {
			t.Fatalf("call %d: %v, want a timeout", i, err)
		}
	}
	before := calls.Load()
	if err := call(); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("third call: %v, want ErrCircuitOpen", err)
	}
	time.Sleep(50 * time.Millisecond) // a request that did leave would have arrived by now
	if calls.Load() != before {
		t.Fatal("the open circuit let a request reach the backend")
	}
}

func BenchmarkBreakerClosed(b *testing.B) {
	br := newBreaker(5, time.Second)
	b.ReportAllocs()
	for b.Loop() {
		if br.allow() {
			br.record(false)
		}
	}
}

// TestTimeoutOnReusedConnection checks the backend timeout counts from each call, not from the first call on a kept
// alive connection (backend connections re-arm their deadlines lazily, see dialLazy).
func TestTimeoutOnReusedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			d, _ := time.ParseDuration(string(ctx.QueryArgs().Peek("sleep")))
			time.Sleep(d)
		},
		ConnState: func(_ net.Conn, s fasthttp.ConnState) {
			if s == fasthttp.StateNew {
				accepted.Add(1)
			}
		},
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Shutdown()

	const timeout = 400 * time.Millisecond
	tg, err := NewTransport(Options{Timeout: timeout}).Target("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	call := func(sleep time.Duration) (time.Duration, error) {
		var req fasthttp.Request
		var resp fasthttp.Response
		tg.Prepare(&req, []byte("/x"))
		req.URI().SetQueryString("sleep=" + sleep.String())
		start := time.Now()
		err := tg.Do(&req, &resp)
		return time.Since(start), err
	}
	if _, err := call(0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(timeout * 3 / 4)
	// 3/4 of the timeout after the first call, a call that takes 3/4 of the timeout ends after the first call's
	// deadline but within its own.
	if _, err := call(timeout * 3 / 4); err != nil {
		t.Fatalf("second call on the kept-alive connection: %v", err)
	}
	if n := accepted.Load(); n != 1 {
		t.Fatalf("the backend accepted %d connections, want 1 (keep-alive)", n)
	}
	took, err := call(3 * timeout)
	if !isTimeout(err) {
		t.Fatalf("a call slower than the timeout: %v, want a timeout", err)
	}
	if took < timeout-10*time.Millisecond || took > timeout+2*time.Second {
		t.Fatalf("the timeout fired after %v, want about %v", took, timeout)
	}
}

// TestBackendConnectionsAreWrapped: backend connections have lazy deadlines over raw reads and writes (on Linux).
func TestBackendConnectionsAreWrapped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := dialLazy(ln.Addr().String(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lazy, ok := c.(*lazydeadline.Conn)
	if !ok {
		t.Fatalf("the backend connection (%T) has no lazy deadlines", c)
	}
	if runtime.GOOS == "linux" && !rawio.Wrapped(lazy.Conn) {
		t.Fatalf("the backend connection (%T under the lazy deadlines) does not read and write raw", lazy.Conn)
	}
}
