package main

import (
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestRunHoldsTheRate sends to a local server at a modest rate and checks the request count follows the rate (not
// the server's speed), every request carries the headers given, and a failing status counts as an error.
func TestRunHoldsTheRate(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var served, withHeader atomic.Int64
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		served.Add(1)
		if string(ctx.Host()) == "svc.localhost" && string(ctx.Request.Header.Peek("X-Test")) == "yes" {
			withHeader.Add(1)
		}
		if string(ctx.Path()) == "/fail" {
			ctx.SetStatusCode(fasthttp.StatusInternalServerError)
		}
	}}
	go srv.Serve(ln)
	defer srv.Shutdown()

	for _, tc := range []struct {
		path       string
		wantErrors bool
	}{{"/ok", false}, {"/fail", true}} {
		u, _ := url.Parse("http://" + ln.Addr().String() + tc.path)
		req, err := buildRequest(u, []string{"Host: svc.localhost", "X-Test: yes"})
		if err != nil {
			t.Fatal(err)
		}
		served.Store(0)
		withHeader.Store(0)
		res := run(config{addr: u.Host, request: req, rate: 400, duration: time.Second, warmup: 100 * time.Millisecond, conns: 4})
		if res.sent < 360 || res.sent > 440 {
			t.Errorf("%s: sent %d requests in 1 s at 400/s", tc.path, res.sent)
		}
		if n := served.Load(); n != withHeader.Load() || n < int64(res.sent) {
			t.Errorf("%s: the server saw %d requests, %d with the Host and header given", tc.path, n, withHeader.Load())
		}
		if got := res.errors == res.sent; got != tc.wantErrors {
			t.Errorf("%s: %d errors of %d requests", tc.path, res.errors, res.sent)
		}
		if !tc.wantErrors && (len(res.latencies) != res.sent || !strings.Contains(res.String(), "p99=")) {
			t.Errorf("%s: %d latencies for %d requests: %s", tc.path, len(res.latencies), res.sent, res)
		}
	}
	if _, err := buildRequest(&url.URL{Path: "/"}, []string{"no colon"}); err == nil {
		t.Error("a header without a colon was accepted")
	}
}
