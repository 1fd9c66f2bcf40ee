// Command backend is the load benchmark's upstream: a fasthttp server that answers every request with a short fixed
// body, so that the backend is never the bottleneck of bench/run.sh.
//
// Two extras let run.sh check that every proxy is configured comparably:
//   - GET /__conns answers with the number of TCP connections accepted so far: a proxy that keeps its upstream
//     connections alive opens about as many as it has concurrent requests, one that does not opens one per request;
//   - a request to /__echo/… carrying X-From-Wasm gets it back as X-Echo-From-Wasm, to check the WASM plugin really
//     ran. Only there: under load the answer is the same for every scenario, so a scenario's cost is its own (an
//     echoed field would make the WASM scenario's responses a field longer than the bare one's).
package main

import (
	"bytes"
	"flag"
	"log"
	"net"
	"strconv"
	"sync/atomic"

	"github.com/valyala/fasthttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18000", "listen address")
	flag.Parse()
	body := []byte("hello from the bench backend\n")
	var accepted atomic.Int64
	s := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			if v := ctx.Request.Header.Peek("X-From-Wasm"); len(v) > 0 && bytes.HasPrefix(ctx.Path(), []byte("/__echo/")) {
				ctx.Response.Header.SetBytesV("X-Echo-From-Wasm", v)
			}
			if string(ctx.Path()) == "/__conns" {
				ctx.SetBodyString(strconv.FormatInt(accepted.Load(), 10))
				return
			}
			ctx.SetContentType("text/plain")
			ctx.SetBody(body)
		},
		ConnState: func(_ net.Conn, st fasthttp.ConnState) {
			if st == fasthttp.StateNew {
				accepted.Add(1)
			}
		},
		Name:          "bench-backend",
		NoDefaultDate: true,
	}
	log.Fatal(s.ListenAndServe(*addr))
}
