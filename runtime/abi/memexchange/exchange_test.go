package memexchange_test

import (
	"testing"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/abitest"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// harness drives a memexchange.Exchange for the conformance suite.
type harness struct{ ex *memexchange.Exchange }

func (h harness) Exchange() abi.Exchange { return h.ex }
func (h harness) Enter()                 { h.ex.Enter() }

func (h harness) Next(resp abitest.Response) {
	h.ex.SetNext()
	h.ex.SetBackendResponse(memexchange.Response(resp))
}

func (h harness) Backend() abitest.Request { return abitest.Request(h.ex.Request()) }
func (h harness) Client() abitest.Response { return abitest.Response(h.ex.Response()) }

func TestConformance(t *testing.T) {
	abitest.Run(t, func(t *testing.T, req abitest.Request) abitest.Harness {
		return harness{memexchange.New(memexchange.Request(req))}
	})
}
