package c

import (
	"testing"

	"github.com/portico-gateway/portico/examples/plugins/internal/exampletest"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// BenchmarkAddHeader is one request through the C add-header plugin on the real WASM host (handle_request and
// handle_response), with a reused in-memory exchange: the per-request cost of a C guest.
func BenchmarkAddHeader(b *testing.B) {
	p, _, err := exampletest.NewPlugin(b, exampletest.Build(b, lang), `{"header":"x-from-wasm","value":"yes"}`)
	if err != nil {
		b.Fatal(err)
	}
	ex := memexchange.New(memexchange.Request{})
	b.ReportAllocs()
	for b.Loop() {
		ex.Reset(memexchange.Request{})
		next, reqCtx := p.HandleRequest(ex)
		if !next {
			b.Fatal("the plugin answered instead of passing the request on")
		}
		ex.SetNext()
		p.HandleResponse(ex, reqCtx, false)
	}
}
