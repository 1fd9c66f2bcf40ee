package wasmhost

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/http-wasm/http-wasm-host-go/tck"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// TestTCK runs the http-wasm TCK (its TinyGo guest and its test runner, unmodified) against this host: an HTTP
// server feeds each request through a memexchange chain of one Plugin around the TCK's backend handler. The
// gateway runs the same TCK end to end against a running Portico.
func TestTCK(t *testing.T) {
	r, _ := newTestRuntime(t, Config{})
	m, err := r.Compile(context.Background(), "tck", tck.GuestWASM)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.NewPlugin(context.Background(), PluginConfig{Name: "tck"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(); _ = m.Close() })

	server := httptest.NewServer(chainHandler(p, tck.BackendHandler()))
	t.Cleanup(server.Close)
	tck.Run(t, server.Client(), server.URL)
}

// chainHandler serves HTTP through plugin p in front of backend, the way the gateway's pipeline does.
func chainHandler(p abi.Plugin, backend http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		header := req.Header.Clone()
		header.Set("Host", req.Host)
		ex := memexchange.New(memexchange.Request{
			Method: req.Method, URI: req.RequestURI, Protocol: req.Proto, Header: header,
			Body: body, SourceAddr: req.RemoteAddr,
		})
		ex.Enter()
		next, reqCtx := p.HandleRequest(ex)
		if next {
			ex.SetNext()
			sent := ex.Request()
			out, _ := http.NewRequest(sent.Method, sent.URI, nil)
			out.RequestURI, out.Header = sent.URI, sent.Header
			rec := httptest.NewRecorder()
			backend.ServeHTTP(rec, out)
			ex.SetBackendResponse(memexchange.Response{
				Status: uint32(rec.Code), Header: rec.Header(), Body: rec.Body.Bytes(),
			})
			p.HandleResponse(ex, reqCtx, false)
		}
		resp := ex.Response()
		for name, values := range resp.Header {
			w.Header()[name] = values
		}
		w.WriteHeader(int(resp.Status))
		_, _ = w.Write(resp.Body)
	})
}
