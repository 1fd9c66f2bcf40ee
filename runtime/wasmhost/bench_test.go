package wasmhost

import (
	"context"
	"testing"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// nopExchange accepts the header rewrite and nothing else: it isolates the host's own cost (pool, deadline,
// wazero call, host function) from any Exchange's.
type nopExchange struct{ abi.Exchange }

func (nopExchange) SetHeader(abi.HeaderKind, []byte, []byte) error { return nil }

func benchmarkPlugin(b *testing.B, cfg PluginConfig) *Plugin {
	r, _ := newTestRuntime(b, Config{})
	if cfg.MaxInstances == 0 {
		cfg.MinInstances, cfg.MaxInstances = 1, 1 // no background growth during the measurement
	}
	return newTestPlugin(b, r, "header_rewrite", cfg)
}

// BenchmarkHeaderRewrite is one request through a WASM plugin that sets a request header: HandleRequest and
// HandleResponse (two guest calls) on a reused memexchange, the way the gateway reuses its exchange.
func BenchmarkHeaderRewrite(b *testing.B) {
	p := benchmarkPlugin(b, PluginConfig{})
	ex := memexchange.New(memexchange.Request{})
	b.ReportAllocs()
	for b.Loop() {
		ex.Reset(memexchange.Request{})
		next, reqCtx := p.HandleRequest(ex)
		if !next {
			b.Fatalf("status %d: %s", ex.Response().Status, ex.Response().Body)
		}
		ex.SetNext()
		p.HandleResponse(ex, reqCtx, false)
	}
}

// BenchmarkHeaderRewriteHostOnly is BenchmarkHeaderRewrite without an Exchange's work.
func BenchmarkHeaderRewriteHostOnly(b *testing.B) {
	p := benchmarkPlugin(b, PluginConfig{})
	var ex abi.Exchange = nopExchange{}
	b.ReportAllocs()
	for b.Loop() {
		next, reqCtx := p.HandleRequest(ex)
		if !next {
			b.Fatal("the plugin failed")
		}
		p.HandleResponse(ex, reqCtx, false)
	}
}

// BenchmarkGuestCall is one guest call (handle_request, calling set_header_value once) through an instance:
// deadline armed, CallWithStack on the instance's stack, host function, deadline stopped.
func BenchmarkGuestCall(b *testing.B) {
	p := benchmarkPlugin(b, PluginConfig{})
	in := <-p.idle
	defer p.put(in)
	var ex abi.Exchange = nopExchange{}
	b.ReportAllocs()
	for b.Loop() {
		if err := in.call(in.handleRequest, ex); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHeaderRewriteParallel runs requests on every P through a pool of 2×GOMAXPROCS instances.
func BenchmarkHeaderRewriteParallel(b *testing.B) {
	p := benchmarkPlugin(b, PluginConfig{MinInstances: 1, MaxInstances: 0})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ex := memexchange.New(memexchange.Request{})
		for pb.Next() {
			ex.Reset(memexchange.Request{})
			next, reqCtx := p.HandleRequest(ex)
			if !next {
				b.Errorf("status %d", ex.Response().Status)
				return
			}
			ex.SetNext()
			p.HandleResponse(ex, reqCtx, false)
		}
	})
}

// BenchmarkInstanceCreation is the cost of one instance (instantiate, start, close): what the pool pays off the
// request path when it grows or replaces an instance.
func BenchmarkInstanceCreation(b *testing.B) {
	for _, name := range []string{"header_rewrite", "roundtrip", "goguest"} {
		b.Run(name, func(b *testing.B) {
			var wasm []byte
			if name == "goguest" {
				wasm = buildGoGuest(b)
			} else {
				wasm = guest(b, name)
			}
			r, _ := newTestRuntime(b, Config{})
			m, err := r.Compile(context.Background(), name, wasm)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			p := newPlugin(m, PluginConfig{})
			b.ReportAllocs()
			for b.Loop() {
				in, err := p.newInstance(0)
				if err != nil {
					b.Fatal(err)
				}
				in.close()
			}
		})
	}
}

// BenchmarkGoGuestHeaderRewrite is BenchmarkHeaderRewrite with the plugin written in Go (testdata/goguest).
func BenchmarkGoGuestHeaderRewrite(b *testing.B) {
	r, _ := newTestRuntime(b, Config{})
	m, err := r.Compile(context.Background(), "goguest", buildGoGuest(b))
	if err != nil {
		b.Fatal(err)
	}
	p, err := m.NewPlugin(context.Background(), PluginConfig{MinInstances: 1, MaxInstances: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close(); _ = m.Close() })
	ex := memexchange.New(memexchange.Request{})
	b.ReportAllocs()
	for b.Loop() {
		ex.Reset(memexchange.Request{})
		next, reqCtx := p.HandleRequest(ex)
		if !next {
			b.Fatalf("status %d: %s", ex.Response().Status, ex.Response().Body)
		}
		ex.SetNext()
		p.HandleResponse(ex, reqCtx, false)
	}
}
