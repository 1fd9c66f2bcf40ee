// Command fastproxy is the benchmark's reference point for a Go reverse proxy: the least a fasthttp-based proxy can
// do (one HostClient with keep-alive, no routing, no plugins). It shows what the Go runtime and fasthttp cost on this
// machine, so Portico's own overhead is the difference between the two.
package main

import (
	"flag"
	"log"

	"github.com/valyala/fasthttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18084", "listen address")
	upstream := flag.String("upstream", "127.0.0.1:18000", "backend address")
	flag.Parse()
	hc := &fasthttp.HostClient{Addr: *upstream, MaxConns: 1024}
	s := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			ctx.Request.Header.Del("Connection")
			if err := hc.Do(&ctx.Request, &ctx.Response); err != nil {
				ctx.Error("bad gateway", fasthttp.StatusBadGateway)
			}
		},
		NoDefaultServerHeader: true,
		NoDefaultDate:         true,
	}
	log.Fatal(s.ListenAndServe(*addr))
}
