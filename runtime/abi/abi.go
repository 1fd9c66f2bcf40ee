// Package abi is Portico's plugin ABI as Go. It mirrors, one method per host function, the http-wasm HTTP handler
// ABI (import module "http_handler") plus Portico's extension (import module "portico"). Built-in plugins are Go
// code written against these interfaces only; user plugins are WebAssembly modules whose host functions the
// wasmhost package adapts onto the very same Exchange. wasm-sdk/ABI.md is the normative description.
package abi

import (
	"errors"
	"time"
)

// Version is the version of Portico's extension module ("portico"). The http_handler part follows http-wasm.
const Version = 1

// HeaderKind selects a header set (http-wasm header_kind).
type HeaderKind uint32

const (
	HeaderRequest          HeaderKind = 0
	HeaderResponse         HeaderKind = 1
	HeaderRequestTrailers  HeaderKind = 2
	HeaderResponseTrailers HeaderKind = 3
)

// BodyKind selects a body (http-wasm body_kind).
type BodyKind uint32

const (
	BodyRequest  BodyKind = 0
	BodyResponse BodyKind = 1
)

// Features are http-wasm feature flags a plugin enables.
type Features uint32

const (
	// FeatureBufferRequest keeps the request body readable by the plugin and still sent to the backend.
	FeatureBufferRequest Features = 1 << 0
	// FeatureBufferResponse buffers the response so that HandleResponse can read and rewrite it.
	FeatureBufferResponse Features = 1 << 1
	// FeatureTrailers enables access to trailers.
	FeatureTrailers Features = 1 << 2
	// FeatureNoResponse is Portico's extension: a guest enables it (during _initialize, or in handle_request) to say
	// it has no handle_response work, so the host gives its instance back as soon as handle_request passes the
	// request on instead of holding it across the backend call. Hosts that do not know it ignore it.
	FeatureNoResponse Features = 1 << 16
)

// Has reports whether f includes all of want.
func (f Features) Has(want Features) bool { return f&want == want }

// LogLevel is an http-wasm log level.
type LogLevel int32

const (
	LogDebug LogLevel = -1
	LogInfo  LogLevel = 0
	LogWarn  LogLevel = 1
	LogError LogLevel = 2
	LogNone  LogLevel = 3
)

// Phase says when a plugin binding runs: before the backend (request) or before the client (response).
type Phase uint8

const (
	PhaseRequest Phase = iota + 1
	PhaseResponse
)

// ParsePhase reads a phase name ("request", "response"; "" is request).
func ParsePhase(s string) (Phase, error) {
	switch s {
	case "", "request":
		return PhaseRequest, nil
	case "response":
		return PhaseResponse, nil
	}
	return 0, errors.New(`phase must be "request" or "response"`)
}

func (p Phase) String() string {
	if p == PhaseResponse {
		return "response"
	}
	return "request"
}

// Errors an Exchange returns for calls that break the ABI's rules. The WASM host turns them into a trap (the
// instance is discarded and the request answered with a generic 500); built-ins must not provoke them.
var (
	// ErrAfterNext: the request line, request headers or request body were changed after the request went on.
	ErrAfterNext = errors.New("abi: the request cannot be changed after it was passed on (next)")
	// ErrBeforeNext: the response was read before there is one.
	ErrBeforeNext = errors.New("abi: there is no response before the request was passed on (next)")
	// ErrFeature: trailers or a body were used without enabling the feature that allows it.
	ErrFeature = errors.New("abi: feature not enabled")
	// ErrInvalid: a bad argument (unknown kind, a header name or value with CR/LF/NUL, a status outside 100–999).
	ErrInvalid = errors.New("abi: invalid argument")
	// ErrNotAllowed: an http_call destination outside the plugin's allow-list.
	ErrNotAllowed = errors.New("abi: destination not allowed")
)

// Exchange is one HTTP request and its response as a plugin sees them. Its methods are the host functions, one
// each. Byte slices it returns are valid until the next call on the exchange: copy what you keep. An Exchange is
// used by one goroutine at a time.
type Exchange interface {
	// EnableFeatures adds features and returns all features now enabled (enable_features).
	EnableFeatures(f Features) Features
	// Log writes msg at level with the request ID and the plugin's name (log).
	Log(level LogLevel, msg []byte)
	// LogEnabled reports whether level is logged (log_enabled).
	LogEnabled(level LogLevel) bool

	// Method is the request method (get_method).
	Method() []byte
	// SetMethod changes the method the backend receives (set_method). Before next only.
	SetMethod(method []byte) error
	// URI is the request URI as the client sent it: path and query (get_uri).
	URI() []byte
	// SetURI replaces the path and query the backend receives, under the backend base URL (set_uri). Before next
	// only. The path must start with "/".
	SetURI(uri []byte) error
	// ProtocolVersion is "HTTP/1.1", "HTTP/1.0" or "HTTP/2.0" (get_protocol_version).
	ProtocolVersion() []byte

	// AppendHeaderNames appends the names of kind's headers, each followed by a NUL byte, to dst, and returns the
	// result and the number of names (get_header_names). Names are lower case.
	AppendHeaderNames(kind HeaderKind, dst []byte) (out []byte, count int)
	// AppendHeaderValues appends the values of the named header, each followed by a NUL byte, to dst
	// (get_header_values). The name is case-insensitive.
	AppendHeaderValues(kind HeaderKind, name, dst []byte) (out []byte, count int)
	// SetHeader sets (adds or replaces) a header (set_header_value).
	SetHeader(kind HeaderKind, name, value []byte) error
	// AddHeader adds a value to a header (add_header_value).
	AddHeader(kind HeaderKind, name, value []byte) error
	// RemoveHeader removes every value of a header (remove_header).
	RemoveHeader(kind HeaderKind, name []byte) error

	// ReadBody reads the next bytes of kind's body into p (read_body). The whole body is buffered, so a request
	// body the plugin reads still reaches the backend intact.
	ReadBody(kind BodyKind, p []byte) (n int, eof bool, err error)
	// WriteBody writes kind's body (write_body): the first write in a handler replaces the body, later writes in
	// the same handler append.
	WriteBody(kind BodyKind, p []byte) error

	// StatusCode is the response status (get_status_code); 200 before there is a response.
	StatusCode() uint32
	// SetStatusCode sets the response status (set_status_code).
	SetStatusCode(code uint32) error
	// SourceAddr is the client's address as "ip:port" (get_source_addr): the resolved client IP.
	SourceAddr() []byte

	// Portico extension.

	// ContextVar appends the value of a context variable ("request.clientIp", "request.path.id",
	// "request.header.x-user", "stage.name", …) to dst (get_context_var). ok is false for an unknown name.
	ContextVar(name, dst []byte) (out []byte, ok bool)
	// KVGet appends the value stored under key in the plugin's own namespace to dst (kv_get).
	KVGet(key, dst []byte) (out []byte, ok bool)
	// KVSet stores value under key in the plugin's namespace; ttl 0 means no expiry (kv_set).
	KVSet(key, value []byte, ttl time.Duration) error
	// CounterIncr adds delta to the counter under key and returns the new value; a new counter expires after ttl
	// (counter_incr). The built-in rate limiter uses the same store.
	CounterIncr(key []byte, delta int64, ttl time.Duration) (int64, error)
	// HTTPCall makes an outbound request to a destination on the plugin's allow-list (http_call).
	HTTPCall(req *CallRequest, resp *CallResponse) error
	// NowUnixNano is the wall clock (now_unix_nano).
	NowUnixNano() int64
}

// CallRequest is an outbound request of HTTPCall.
type CallRequest struct {
	Method  []byte
	URL     []byte
	Headers []byte // "name: value\n" lines
	Body    []byte
	Timeout time.Duration // 0: the host's default (and never more than its maximum)
}

// CallResponse is what HTTPCall returns; Body and Headers are appended to.
type CallResponse struct {
	Status  uint32
	Headers []byte // "name: value\n" lines
	Body    []byte
}

// Plugin is a compiled plugin binding. HandleRequest runs before the backend: next=true passes the request on (to
// the following plugins and finally the backend); next=false means the plugin wrote the response itself. reqCtx is
// handed back to HandleResponse, which runs — for plugins whose HandleRequest returned next=true — after the
// backend answered (isError: the backend call failed and the response is the gateway's error). A binding in the
// response phase only gets HandleResponse, with reqCtx 0.
//
// A Plugin is shared by every request of its route; it keeps per-request state only in reqCtx or the Exchange.
type Plugin interface {
	HandleRequest(ex Exchange) (next bool, reqCtx uint32)
	HandleResponse(ex Exchange, reqCtx uint32, isError bool)
}

// Closer is implemented by plugins that hold resources (WASM instance pools); Close runs when the deployment that
// uses the plugin is replaced.
type Closer interface {
	Close() error
}
