// Package portico is the Go SDK for Portico WebAssembly plugins: the guest side of the ABI specified in
// wasm-sdk/ABI.md (the http-wasm HTTP handler ABI plus Portico's "portico" extension module).
//
// The import path ends in "go", which is not a valid package name, so import it with a name:
//
//	import portico "github.com/portico-gateway/portico/wasm-sdk/go"
//
// A plugin is a main package built as a WASI reactor with Go 1.24 or later:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
//
// In a reactor main is never run. Register handlers from init; the host runs every init once per instance (the
// `_initialize` export) before the instance serves requests:
//
//	func init() {
//		portico.Init(func(config []byte) error { return json.Unmarshal(config, &cfg) })
//		portico.HandleRequest(func(req portico.Request, resp portico.Response) (next bool, reqCtx uint32) {
//			req.Headers().Set(cfg.Header, cfg.Value)
//			return true, 0
//		})
//	}
//
//	func main() {}
//
// An instance serves one request at a time, so package-level state needs no locks; it lives as long as the
// instance (instances are pooled and replaced at any time, so keep nothing there that must survive). State shared
// by all instances of a plugin binding goes through KVGet, KVSet and CounterIncr.
//
// Breaking a rule of the ABI (changing the request after it was passed on, reading a body without the feature
// that allows it, an invalid header name…) makes the host trap: the request is answered with a generic 500 and the
// instance discarded. So does a panic. The SDK does not turn these into errors; it documents them.
//
// Functions of the "portico" module (ContextVar, KVGet, KVSet, CounterIncr, HTTPCall, Now, HostVersion) are only
// imported by a plugin that calls them: a plugin that uses only the http_handler part is a plain http-wasm guest
// and also runs on other http-wasm hosts.
//
// Outside WebAssembly the package talks to the fake host of package porticotest, so plugins can be unit-tested
// with `go test`.
package portico
