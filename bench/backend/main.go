// Command backend is the load benchmark's upstream: a fasthttp server that answers every request with a short fixed
// body, so that the backend is never the bottleneck of bench/run.sh.
package main

import (
	"flag"
	"log"

	"github.com/valyala/fasthttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18000", "listen address")
	flag.Parse()
	body := []byte("hello from the bench backend\n")
	s := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			ctx.SetContentType("text/plain")
			ctx.SetBody(body)
		},
		Name:                          "bench-backend",
		NoDefaultDate:                 true,
		DisableHeaderNamesNormalizing: true,
	}
	log.Fatal(s.ListenAndServe(*addr))
}
