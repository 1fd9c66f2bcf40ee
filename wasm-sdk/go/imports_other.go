//go:build !wasip1

package portico

import "github.com/portico-gateway/portico/wasm-sdk/go/internal/host"

// Outside WebAssembly the host functions go to host.Current, a fake host that package porticotest installs.

var (
	initFn   func(config []byte) error
	lastHost host.Host
)

func init() {
	host.HandleRequest = handleRequest
	host.HandleResponse = handleResponse
	host.Initialize = func() error {
		if initFn == nil {
			return nil
		}
		return initFn(Config())
	}
}

// runInit records fn; porticotest runs it when it sets up an instance, as `_initialize` would.
func runInit(fn func(config []byte) error) { initFn = fn }

// h returns the installed host.
func h() host.Host {
	c := host.Current
	if c == nil {
		panic("portico: no host: run the plugin inside Portico (GOOS=wasip1) or under package porticotest")
	}
	return c
}

// hostChanged reports whether a test installed another host since the last call, which invalidates what the SDK
// caches per instance (the config).
func hostChanged() bool {
	if c := host.Current; c != lastHost {
		lastHost = c
		return true
	}
	return false
}

func enableFeatures(f uint32) uint32             { return h().EnableFeatures(f) }
func getConfig(buf []byte) uint32                { return h().GetConfig(buf) }
func logEnabled(level int32) uint32              { return h().LogEnabled(level) }
func logMessage(level int32, msg string)         { h().Log(level, msg) }
func getMethod(buf []byte) uint32                { return h().GetMethod(buf) }
func setMethod(method string)                    { h().SetMethod(method) }
func getURI(buf []byte) uint32                   { return h().GetURI(buf) }
func setURI(uri string)                          { h().SetURI(uri) }
func getProtocolVersion(buf []byte) uint32       { return h().GetProtocolVersion(buf) }
func getSourceAddr(buf []byte) uint32            { return h().GetSourceAddr(buf) }
func getStatusCode() uint32                      { return h().GetStatusCode() }
func setStatusCode(code uint32)                  { h().SetStatusCode(code) }
func removeHeader(kind headerKind, name string)  { h().RemoveHeader(uint32(kind), name) }
func readBody(kind bodyKind, buf []byte) uint64  { return h().ReadBody(uint32(kind), buf) }
func writeBody(kind bodyKind, body []byte)       { h().WriteBody(uint32(kind), body) }
func kvGet(key string, buf []byte) uint64        { return h().KVGet(key, buf) }
func kvSet(key string, value []byte, ttl int64)  { h().KVSet(key, value, ttl) }
func counterIncr(key string, d, ttl int64) int64 { return h().CounterIncr(key, d, ttl) }
func nowUnixNano() int64                         { return h().NowUnixNano() }
func version() int32                             { return h().Version() }

func getHeaderNames(kind headerKind, buf []byte) uint64 {
	return h().GetHeaderNames(uint32(kind), buf)
}

func getHeaderValues(kind headerKind, name string, buf []byte) uint64 {
	return h().GetHeaderValues(uint32(kind), name, buf)
}

func setHeaderValue(kind headerKind, name, value string) {
	h().SetHeaderValue(uint32(kind), name, value)
}
func addHeaderValue(kind headerKind, name, value string) {
	h().AddHeaderValue(uint32(kind), name, value)
}

func getContextVar(name string, buf []byte) uint64 { return h().GetContextVar(name, buf) }

func httpCall(method, url, headers string, body []byte, timeoutMillis int32) int32 {
	return h().HTTPCall(method, url, headers, body, timeoutMillis)
}

func httpCallResponseHeaders(buf []byte) uint32 { return h().HTTPCallResponseHeaders(buf) }
func httpCallResponseBody(buf []byte) uint32    { return h().HTTPCallResponseBody(buf) }
