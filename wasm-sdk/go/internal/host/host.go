// Package host is the seam between the SDK and a host that is not WebAssembly. Inside Portico (GOOS=wasip1) the SDK
// calls the imported host functions directly and never looks here; in native builds it calls Current, which
// porticotest installs, so plugins and the SDK itself can be tested with `go test`.
//
// Host mirrors the imports of wasm-sdk/ABI.md one method each, with guest memory replaced by Go slices: a buf is
// the (buf, buf_limit) pair, a string or []byte parameter the (ptr, len) pair. Results are packed exactly as on the
// wire.
package host

// Host is the host functions of "http_handler" and "portico".
type Host interface {
	// http_handler
	EnableFeatures(features uint32) uint32
	GetConfig(buf []byte) uint32
	LogEnabled(level int32) uint32
	Log(level int32, msg string)
	GetMethod(buf []byte) uint32
	SetMethod(method string)
	GetURI(buf []byte) uint32
	SetURI(uri string)
	GetProtocolVersion(buf []byte) uint32
	GetHeaderNames(kind uint32, buf []byte) uint64
	GetHeaderValues(kind uint32, name string, buf []byte) uint64
	SetHeaderValue(kind uint32, name, value string)
	AddHeaderValue(kind uint32, name, value string)
	RemoveHeader(kind uint32, name string)
	ReadBody(kind uint32, buf []byte) uint64
	WriteBody(kind uint32, body []byte)
	GetStatusCode() uint32
	SetStatusCode(code uint32)
	GetSourceAddr(buf []byte) uint32

	// portico
	GetContextVar(name string, buf []byte) uint64
	KVGet(key string, buf []byte) uint64
	KVSet(key string, value []byte, ttlMillis int64)
	CounterIncr(key string, delta, ttlMillis int64) int64
	HTTPCall(method, url, headers string, body []byte, timeoutMillis int32) int32
	HTTPCallResponseHeaders(buf []byte) uint32
	HTTPCallResponseBody(buf []byte) uint32
	NowUnixNano() int64
	Version() int32
}

// Current is the host the SDK talks to in native builds; nil until a test installs one.
var Current Host

// Guest entry points, set by the SDK in native builds: the exports handle_request and handle_response, and the
// instance initialisation that runs the plugin's Init function (what `_initialize` does inside Portico).
var (
	HandleRequest  func() uint64
	HandleResponse func(reqCtx, isError uint32)
	Initialize     func() error
)
