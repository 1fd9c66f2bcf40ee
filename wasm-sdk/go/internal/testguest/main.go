// Command testguest calls every function of the SDK, so that its build imports every host function of the ABI;
// abicheck's test compiles it for wasip1 and checks the imports. It is never run.
package main

import (
	"io"
	"time"

	portico "github.com/portico-gateway/portico/wasm-sdk/go"
)

func init() {
	portico.Init(func(config []byte) error {
		portico.EnableFeatures(portico.FeatureBufferRequest)
		return nil
	})
	portico.HandleRequest(func(req portico.Request, resp portico.Response) (bool, uint32) {
		req.SetMethod(req.Method())
		req.SetURI(req.URI() + req.ProtocolVersion() + req.SourceAddr())
		h := req.Headers()
		for _, n := range h.Names() {
			v, _ := h.Get(n)
			h.Set(n, v)
			h.Add(n, h.GetAll(n)[0])
		}
		h.Remove("x")
		b, _ := io.ReadAll(req.Body())
		req.Body().Write(b)
		resp.SetStatusCode(resp.StatusCode())
		if portico.LogEnabled(portico.LogDebug) {
			portico.Log(portico.LogDebug, "x")
		}
		v, _ := portico.ContextVar("request.id")
		kv, _ := portico.KVGet(v)
		portico.KVSet(v, kv, time.Second)
		portico.CounterIncr(v, 1, time.Second)
		r, _ := portico.HTTPCall(portico.CallRequest{URL: "http://x/"})
		_ = portico.Now().Add(time.Duration(portico.HostVersion()) + time.Duration(len(r.Body)))
		return true, 0
	})
}

func main() {}
