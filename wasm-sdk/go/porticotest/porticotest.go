//go:build !wasip1

// Package porticotest runs plugins written with the Go SDK natively, against a fake host that keeps the rules of
// wasm-sdk/ABI.md, so a plugin can be unit-tested with `go test` before it is built for WebAssembly:
//
//	h := &porticotest.Host{Config: []byte(`{"header":"x-a","value":"b"}`)}
//	if next, _ := h.HandleRequest(); !next || h.RequestHeader.Get("x-a") != "b" { t.Fatal(...) }
//
// Like an instance in Portico, the fake serves one request at a time, and the SDK has one current host: tests that
// use porticotest must not run in parallel. Breaking an ABI rule panics with a *Trap. The fake keeps the portable
// rules of wasm-sdk/ABI.md §7: it insists on buffer_request and buffer_response where Portico, which holds messages
// whole, would let a call through, so a plugin tested here also runs on other http-wasm hosts.
package porticotest

import (
	"errors"
	"sort"
	"strings"
	"time"

	portico "github.com/portico-gateway/portico/wasm-sdk/go"
	"github.com/portico-gateway/portico/wasm-sdk/go/internal/host"
)

// Host is a fake Portico host serving one plugin instance. Set the fields that describe the request (and, for
// HandleResponse, the response) and call HandleRequest, HandleResponse or Run; then read what the plugin changed
// from the same fields. Zero values stand for the defaults noted on each field.
type Host struct {
	Config []byte // the binding's config (get_config)

	Method          string // "" is GET
	URI             string // "" is "/"
	ProtocolVersion string // "" is HTTP/1.1
	SourceAddr      string // "" is 127.0.0.1:0
	RequestHeader   Header
	RequestTrailer  Header
	RequestBody     []byte

	StatusCode      uint32 // 0 is 200
	ResponseHeader  Header
	ResponseTrailer Header
	ResponseBody    []byte

	// Vars are the context variables (get_context_var). "request.clientIp" defaults to the IP of SourceAddr and
	// "request.id" to "test-request".
	Vars map[string]string
	// Call answers http_call; nil allows no destination. Return portico.ErrNotAllowed, ErrTimeout or any other
	// error for the negative results.
	Call func(req portico.CallRequest) (portico.CallResponse, error)
	// Clock is the wall clock of now_unix_nano and of KV and counter expiry; nil is time.Now.
	Clock func() time.Time

	// Features are the features enabled for the instance (EnableFeatures outside a request); Supported the ones
	// the fake grants (0: all three).
	Features, Supported portico.Features
	// MinLogLevel is the lowest level logged (the zero value is LogInfo); Logs collects what the plugin logged.
	MinLogLevel portico.LogLevel
	Logs        []Log

	initialized bool
	inRequest   bool
	afterNext   bool
	respPhase   bool // HandleResponse without HandleRequest: a response-phase binding
	features    portico.Features
	reqRead     int  // request body bytes read
	reqWritten  bool // the current handler wrote the request body
	respRead    int
	respWritten bool

	kv       map[string]entry[[]byte]
	counters map[string]entry[int64]

	callHeaders []byte
	callBody    []byte
}

// Log is one message the plugin logged.
type Log struct {
	Level   portico.LogLevel
	Message string
}

// Trap is the panic value of a call that breaks an ABI rule; in Portico the instance would trap.
type Trap struct{ Reason string }

func (t *Trap) Error() string { return "porticotest: trap: " + t.Reason }

func trap(parts ...string) {
	panic(&Trap{Reason: strings.Join(parts, "")})
}

type entry[T any] struct {
	v       T
	expires time.Time
}

var _ host.Host = (*Host)(nil)

// Init makes h the SDK's current host and, the first time, runs the plugin's Init function with h.Config, as
// `_initialize` does. HandleRequest and HandleResponse call it; call it yourself to test a config that must fail.
func (h *Host) Init() error {
	host.Current = h
	if h.initialized {
		return nil
	}
	h.initialized = true
	return host.Initialize()
}

func (h *Host) mustInit() {
	if err := h.Init(); err != nil {
		panic("porticotest: plugin init failed: " + err.Error())
	}
}

// HandleRequest runs the plugin's request handler (handle_request) on the request in h.
func (h *Host) HandleRequest() (next bool, reqCtx uint32) {
	h.mustInit()
	h.normalize()
	h.inRequest, h.afterNext, h.respPhase = true, false, false
	h.features = h.Features
	h.reqRead, h.respRead = 0, 0
	h.reqWritten, h.respWritten = false, false
	r := host.HandleRequest()
	next, reqCtx = r&1 == 1, uint32(r>>32)
	if h.reqRead > 0 && !h.reqWritten && !h.features.Has(portico.FeatureBufferRequest) {
		h.RequestBody = h.RequestBody[h.reqRead:] // read without buffering: consumed
	}
	if !next {
		h.inRequest = false
	}
	return next, reqCtx
}

// HandleResponse runs the plugin's response handler (handle_response) on the response in h. Called after
// HandleRequest returned next, it continues that request; called alone, it acts as a response-phase binding.
func (h *Host) HandleResponse(reqCtx uint32, isError bool) {
	h.mustInit()
	h.normalize()
	if !h.inRequest {
		h.respPhase = true
		h.features = h.Features
	}
	h.inRequest, h.afterNext = true, true
	h.reqRead, h.respRead, h.reqWritten, h.respWritten = 0, 0, false, false
	e := uint32(0)
	if isError {
		e = 1
	}
	host.HandleResponse(reqCtx, e)
	h.inRequest = false
}

// Run handles one request end to end: HandleRequest, then — if the plugin passed the request on — backend (which
// plays the backend: it reads the request fields and sets the response fields; nil leaves an empty 200) and
// HandleResponse. It reports whether the request reached the backend.
func (h *Host) Run(backend func(h *Host)) (next bool) {
	next, reqCtx := h.HandleRequest()
	if !next {
		return false
	}
	if backend != nil {
		backend(h)
	}
	h.HandleResponse(reqCtx, false)
	return true
}

func (h *Host) normalize() {
	h.RequestHeader = h.RequestHeader.normalized()
	h.RequestTrailer = h.RequestTrailer.normalized()
	h.ResponseHeader = h.ResponseHeader.normalized()
	h.ResponseTrailer = h.ResponseTrailer.normalized()
}

func (h *Host) enabled() portico.Features {
	if h.inRequest {
		return h.features
	}
	return h.Features
}

func (h *Host) supported() portico.Features {
	if h.Supported == 0 {
		return portico.FeatureBufferRequest | portico.FeatureBufferResponse | portico.FeatureTrailers
	}
	return h.Supported
}

func (h *Host) mustRequest(fn string) {
	if !h.inRequest {
		trap(fn, " called outside a request")
	}
}

// mustBeforeNext guards changes to the request.
func (h *Host) mustBeforeNext(fn string) {
	h.mustRequest(fn)
	if h.afterNext {
		trap(fn, ": the request was already passed on (next)")
	}
}

// mustBeforeNextOr guards the response: before next it is the plugin's own, after next it needs the feature
// (implicit in a response-phase binding).
func (h *Host) mustBeforeNextOr(f portico.Features, fn string) {
	h.mustRequest(fn)
	if h.afterNext && !h.respPhase && !h.features.Has(f) {
		trap(fn, " after next needs feature ", f.String())
	}
}

// write copies a value into buf if it fits and returns its length.
func write(buf []byte, v string) uint32 {
	if len(v) <= len(buf) {
		copy(buf, v)
	}
	return uint32(len(v))
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// http_handler

func (h *Host) EnableFeatures(f uint32) uint32 {
	want := portico.Features(f) & h.supported()
	if h.inRequest {
		h.features |= want
		return uint32(h.features)
	}
	h.Features |= want
	return uint32(h.Features)
}

func (h *Host) GetConfig(buf []byte) uint32 { return write(buf, string(h.Config)) }

func (h *Host) LogEnabled(level int32) uint32 {
	if portico.LogLevel(level) >= h.MinLogLevel && portico.LogLevel(level) < portico.LogNone {
		return 1
	}
	return 0
}

func (h *Host) Log(level int32, msg string) {
	if h.LogEnabled(level) == 1 {
		h.Logs = append(h.Logs, Log{Level: portico.LogLevel(level), Message: msg})
	}
}

func (h *Host) GetMethod(buf []byte) uint32 {
	h.mustRequest("get_method")
	return write(buf, or(h.Method, "GET"))
}

func (h *Host) SetMethod(method string) {
	h.mustBeforeNext("set_method")
	if !validName(method) {
		trap("set_method: invalid method ", method)
	}
	h.Method = method
}

func (h *Host) GetURI(buf []byte) uint32 {
	h.mustRequest("get_uri")
	return write(buf, or(h.URI, "/"))
}

func (h *Host) SetURI(uri string) {
	h.mustBeforeNext("set_uri")
	path, _, _ := strings.Cut(uri, "?")
	if !strings.HasPrefix(path, "/") || strings.ContainsFunc(uri, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' }) ||
		hasDotSegment(path) {
		trap("set_uri: the URI must start with / and contain no blanks, control characters, # or dot segments: ", uri)
	}
	h.URI = uri
}

func (h *Host) GetProtocolVersion(buf []byte) uint32 {
	h.mustRequest("get_protocol_version")
	return write(buf, or(h.ProtocolVersion, "HTTP/1.1"))
}

func (h *Host) GetSourceAddr(buf []byte) uint32 {
	h.mustRequest("get_source_addr")
	return write(buf, or(h.SourceAddr, "127.0.0.1:0"))
}

func (h *Host) GetStatusCode() uint32 {
	h.mustRequest("get_status_code")
	if h.StatusCode == 0 {
		return 200
	}
	return h.StatusCode
}

func (h *Host) SetStatusCode(code uint32) {
	h.mustBeforeNextOr(portico.FeatureBufferResponse, "set_status_code")
	if code < 100 || code > 999 {
		trap("set_status_code: status outside 100-999")
	}
	h.StatusCode = code
}

// headers returns the header set of kind for reading; nil (no fields) for trailers that are not enabled.
func (h *Host) headers(kind uint32, fn string) *Header {
	h.mustRequest(fn)
	var p *Header
	switch kind {
	case 0:
		p = &h.RequestHeader
	case 1:
		p = &h.ResponseHeader
	case 2:
		p = &h.RequestTrailer
	case 3:
		p = &h.ResponseTrailer
	default:
		trap(fn, ": unknown header kind")
	}
	if kind >= 2 && !h.enabled().Has(portico.FeatureTrailers) {
		return nil
	}
	return p
}

// mutableHeaders returns the header set of kind for a change, enforcing the phase and feature rules.
func (h *Host) mutableHeaders(kind uint32, name, fn string) *Header {
	switch kind {
	case 0, 2:
		h.mustBeforeNext(fn)
	case 1, 3:
		h.mustBeforeNextOr(portico.FeatureBufferResponse, fn)
	}
	p := h.headers(kind, fn)
	if p == nil {
		trap(fn, ": trailers need feature trailers")
	}
	if !validName(name) {
		trap(fn, ": invalid header name ", name)
	}
	if *p == nil {
		*p = Header{}
	}
	return p
}

func (h *Host) GetHeaderNames(kind uint32, buf []byte) uint64 {
	p := h.headers(kind, "get_header_names")
	if p == nil {
		return 0
	}
	names := make([]string, 0, len(*p))
	for n, v := range *p {
		if len(v) > 0 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return writeList(buf, names)
}

func (h *Host) GetHeaderValues(kind uint32, name string, buf []byte) uint64 {
	p := h.headers(kind, "get_header_values")
	if name == "" {
		trap("get_header_values: empty header name")
	}
	if p == nil {
		return 0
	}
	return writeList(buf, (*p)[strings.ToLower(name)])
}

func (h *Host) SetHeaderValue(kind uint32, name, value string) {
	p := h.mutableHeaders(kind, name, "set_header_value")
	if !validValue(value) {
		trap("set_header_value: CR, LF or NUL in the value of ", name)
	}
	(*p)[strings.ToLower(name)] = []string{value}
}

func (h *Host) AddHeaderValue(kind uint32, name, value string) {
	p := h.mutableHeaders(kind, name, "add_header_value")
	if !validValue(value) {
		trap("add_header_value: CR, LF or NUL in the value of ", name)
	}
	n := strings.ToLower(name)
	(*p)[n] = append((*p)[n], value)
}

func (h *Host) RemoveHeader(kind uint32, name string) {
	p := h.mutableHeaders(kind, name, "remove_header")
	delete(*p, strings.ToLower(name))
}

func writeList(buf []byte, vs []string) uint64 {
	n := 0
	for _, v := range vs {
		n += len(v) + 1
	}
	if n <= len(buf) {
		i := 0
		for _, v := range vs {
			i += copy(buf[i:], v)
			buf[i] = 0
			i++
		}
	}
	return uint64(len(vs))<<32 | uint64(n)
}

func (h *Host) ReadBody(kind uint32, buf []byte) uint64 {
	if len(buf) == 0 {
		trap("read_body: buf_limit 0")
	}
	var body []byte
	var pos *int
	switch kind {
	case 0:
		h.mustRequest("read_body")
		if h.afterNext && !h.respPhase && !h.features.Has(portico.FeatureBufferRequest) {
			trap("read_body: the request body after next needs feature buffer_request")
		}
		body, pos = h.RequestBody, &h.reqRead
	case 1:
		h.mustBeforeNextOr(portico.FeatureBufferResponse, "read_body")
		body, pos = h.ResponseBody, &h.respRead
	default:
		trap("read_body: unknown body kind")
	}
	if *pos > len(body) {
		*pos = len(body)
	}
	n := copy(buf, body[*pos:])
	*pos += n
	r := uint64(n)
	if *pos == len(body) {
		r |= 1 << 32
	}
	return r
}

func (h *Host) WriteBody(kind uint32, b []byte) {
	switch kind {
	case 0:
		h.mustBeforeNext("write_body")
		if !h.reqWritten {
			h.RequestBody, h.reqWritten, h.reqRead = nil, true, 0
		}
		h.RequestBody = append(h.RequestBody, b...)
	case 1:
		h.mustBeforeNextOr(portico.FeatureBufferResponse, "write_body")
		if !h.respWritten {
			h.ResponseBody, h.respWritten, h.respRead = nil, true, 0
		}
		h.ResponseBody = append(h.ResponseBody, b...)
	default:
		trap("write_body: unknown body kind")
	}
}

// portico

func (h *Host) now() time.Time {
	if h.Clock != nil {
		return h.Clock()
	}
	return time.Now()
}

func (h *Host) GetContextVar(name string, buf []byte) uint64 {
	h.mustRequest("get_context_var")
	v, ok := h.Vars[name]
	if !ok {
		switch name {
		case "request.clientIp":
			v, ok = clientIP(or(h.SourceAddr, "127.0.0.1:0")), true
		case "request.id":
			v, ok = "test-request", true
		}
	}
	if !ok {
		return 0
	}
	return 1<<32 | uint64(write(buf, v))
}

func clientIP(addr string) string {
	if strings.HasPrefix(addr, "[") {
		if i := strings.IndexByte(addr, ']'); i > 0 {
			return addr[1:i]
		}
	}
	if strings.Count(addr, ":") == 1 {
		return addr[:strings.IndexByte(addr, ':')]
	}
	return addr
}

func (h *Host) expiry(ttlMillis int64, fn string) time.Time {
	if ttlMillis < 0 || ttlMillis > int64(portico.MaxTTL/time.Millisecond) {
		trap(fn, ": ttl_ms negative or above 365 days")
	}
	if ttlMillis == 0 {
		return time.Time{}
	}
	return h.now().Add(time.Duration(ttlMillis) * time.Millisecond)
}

func live[T any](e entry[T], ok bool, now time.Time) bool {
	return ok && (e.expires.IsZero() || now.Before(e.expires))
}

func (h *Host) KVGet(key string, buf []byte) uint64 {
	h.mustRequest("kv_get")
	e, ok := h.kv[key]
	if !live(e, ok, h.now()) {
		return 0
	}
	return 1<<32 | uint64(write(buf, string(e.v)))
}

func (h *Host) KVSet(key string, value []byte, ttlMillis int64) {
	h.mustRequest("kv_set")
	if h.kv == nil {
		h.kv = map[string]entry[[]byte]{}
	}
	h.kv[key] = entry[[]byte]{v: append([]byte(nil), value...), expires: h.expiry(ttlMillis, "kv_set")}
}

func (h *Host) CounterIncr(key string, delta, ttlMillis int64) int64 {
	h.mustRequest("counter_incr")
	if h.counters == nil {
		h.counters = map[string]entry[int64]{}
	}
	e, ok := h.counters[key]
	if !live(e, ok, h.now()) {
		e = entry[int64]{expires: h.expiry(ttlMillis, "counter_incr")}
	}
	e.v += delta
	h.counters[key] = e
	return e.v
}

// KV returns the value the plugin stored under key, if it has not expired.
func (h *Host) KV(key string) ([]byte, bool) {
	e, ok := h.kv[key]
	if !live(e, ok, h.now()) {
		return nil, false
	}
	return e.v, true
}

// Counter returns the counter under key, 0 if absent or expired.
func (h *Host) Counter(key string) int64 {
	e, ok := h.counters[key]
	if !live(e, ok, h.now()) {
		return 0
	}
	return e.v
}

func (h *Host) HTTPCall(method, url, headers string, body []byte, timeoutMillis int32) int32 {
	h.mustRequest("http_call")
	h.callHeaders, h.callBody = nil, nil
	if h.Call == nil || !(strings.HasPrefix(url, "http://") || strings.HasPrefix(url, "https://")) {
		return -1
	}
	fields, ok := parseHeaders(headers)
	if !ok || !validName(method) {
		return -3 // the host refuses the request
	}
	req := portico.CallRequest{Method: method, URL: url, Headers: fields, Body: append([]byte(nil), body...)}
	if timeoutMillis > 0 {
		req.Timeout = time.Duration(timeoutMillis) * time.Millisecond
	}
	resp, err := h.Call(req)
	switch {
	case errors.Is(err, portico.ErrNotAllowed):
		return -1
	case errors.Is(err, portico.ErrTimeout):
		return -2
	case err != nil, resp.StatusCode < 100 || resp.StatusCode > 999:
		return -3
	}
	for _, f := range resp.Headers {
		h.callHeaders = append(h.callHeaders, strings.ToLower(f.Name)+": "+f.Value+"\n"...)
	}
	h.callBody = resp.Body
	return int32(resp.StatusCode)
}

func (h *Host) HTTPCallResponseHeaders(buf []byte) uint32 {
	h.mustRequest("http_call_response_headers")
	return write(buf, string(h.callHeaders))
}

func (h *Host) HTTPCallResponseBody(buf []byte) uint32 {
	h.mustRequest("http_call_response_body")
	return write(buf, string(h.callBody))
}

func (h *Host) NowUnixNano() int64 { return h.now().UnixNano() }

func (h *Host) Version() int32 { return 1 }

func parseHeaders(s string) ([]portico.HeaderField, bool) {
	var out []portico.HeaderField
	for s != "" {
		line, rest, found := strings.Cut(s, "\n")
		if !found {
			return nil, false // every line ends with \n
		}
		s = rest
		name, value, ok := strings.Cut(line, ":")
		value = strings.Trim(value, " \t")
		if !ok || !validName(name) || !validValue(value) {
			return nil, false
		}
		out = append(out, portico.HeaderField{Name: name, Value: value})
	}
	return out, true
}

// validName accepts an HTTP token (RFC 9110): what header names and methods are made of.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || !tchar[c] {
			return false
		}
	}
	return true
}

var tchar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func validValue(s string) bool { return !strings.ContainsAny(s, "\r\n\x00") }

// hasDotSegment reports whether an escaped path has a "." or ".." segment, raw or percent-encoded.
func hasDotSegment(path string) bool {
	for _, seg := range strings.Split(path, "/") {
		switch strings.ToLower(seg) {
		case ".", "..", "%2e", "%2e%2e", ".%2e", "%2e.":
			return true
		}
	}
	return false
}
