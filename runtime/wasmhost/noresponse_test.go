package wasmhost

import (
	"testing"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// TestNoResponseReleasesTheInstance: with one instance, a guest that enables FeatureNoResponse serves a second
// request while the first is still waiting for its backend, and its handle_response (which traps) is never called.
func TestNoResponseReleasesTheInstance(t *testing.T) {
	r, _ := newTestRuntime(t, Config{})
	p := newTestPlugin(t, r, "no_response", PluginConfig{MinInstances: 1, MaxInstances: 1})
	ex1 := memexchange.New(memexchange.Request{})
	next, ctx1 := p.HandleRequest(ex1)
	if !next {
		t.Fatalf("first request: %d %s", ex1.Response().Status, ex1.Response().Body)
	}
	ex2 := memexchange.New(memexchange.Request{})
	if next, _ := p.HandleRequest(ex2); !next {
		t.Fatalf("second request waited for the instance: %d %s", ex2.Response().Status, ex2.Response().Body)
	}
	ex1.SetNext()
	p.HandleResponse(ex1, ctx1, false)
	if ex1.Response().Status != 200 {
		t.Fatalf("handle_response ran: %d %s", ex1.Response().Status, ex1.Response().Body)
	}
	if ex1.EnableFeatures(0)&abi.FeatureNoResponse != 0 {
		t.Fatal("the flag leaked into the exchange, where the route's other plugins would see it")
	}
}
