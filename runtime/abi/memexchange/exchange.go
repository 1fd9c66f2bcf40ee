// Package memexchange is an in-memory abi.Exchange: one HTTP request and its response held in plain Go values.
// It enforces the ABI's rules the way the gateway does, so a plugin that works against it works in Portico. Tests
// use it, and so does `portico plugin test`, which runs a plugin against a sample request without a server.
//
// A chain drives it like the gateway does:
//
//	ex := memexchange.New(req)
//	next, reqCtx := plugin.HandleRequest(ex)
//	if next {
//		ex.SetNext()                    // the request goes on; from now on it cannot change
//		ex.SetBackendResponse(response) // what the backend answered
//		ex.Enter()                      // a new handler call starts
//		plugin.HandleResponse(ex, reqCtx, false)
//	}
//	sent, got := ex.Request(), ex.Response()
//
// # Rules
//
// Before next (HandleRequest, first handler calls):
//   - the request line, headers, body and trailers can be read and changed;
//   - the response can be written and read back too: a plugin that does not pass the request on answers it
//     itself (status, headers, body). When the request does go on, response headers set before next are kept on
//     top of the backend's response (a CORS plugin adds its headers this way), and a response body written before
//     next is kept in front of the backend's body (http-wasm's behaviour: guest and backend write one stream; the
//     http-wasm TCK relies on it).
//
// After next (HandleResponse):
//   - the request can still be read (as the backend received it) but every change returns abi.ErrAfterNext;
//   - the response (status, headers, body, trailers) is the backend's and can be read and changed. The gateway
//     buffers every response, so FeatureBufferResponse is accepted but not required; the same holds for
//     FeatureBufferRequest and reading the request body.
//
// Always:
//   - changing trailers needs FeatureTrailers (abi.ErrFeature without it); reading them does not, as upstream;
//   - header names must be RFC 9110 tokens and values must not contain CR, LF or NUL (abi.ErrInvalid), the same for
//     methods; set_uri needs a path starting with "/", without dot segments, CR, LF, NUL, space or "#";
//   - status codes are 100–999; unknown header or body kinds are abi.ErrInvalid for changes and empty for reads;
//   - the first write_body of a handler call replaces the body, later writes in the same call append; each
//     handler call reads bodies from their start (Enter marks a call's start).
//
// abi.ErrBeforeNext is never returned: before next, the response is the one the plugin is writing.
package memexchange

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/kv"
)

// Request is a request as a client sends it (New) or as the backend receives it (Exchange.Request).
type Request struct {
	Method     string // "GET" when empty
	URI        string // path and query, "/" when empty
	Protocol   string // "HTTP/1.1" when empty
	Header     http.Header
	Trailer    http.Header
	Body       []byte
	SourceAddr string // the client's "ip:port"; "127.0.0.1:50000" when empty
	// Vars are the context variables get_context_var resolves ("request.id", "request.clientIp",
	// "request.path.id", …).
	Vars map[string]string
}

// Response is the response a backend answers (SetBackendResponse) or the client gets (Exchange.Response).
type Response struct {
	Status  uint32 // 200 when zero
	Header  http.Header
	Trailer http.Header
	Body    []byte
}

// KV is the store behind KVGet, KVSet and CounterIncr; *kv.Memory implements it.
type KV interface {
	Get(namespace, key, dst []byte) ([]byte, bool)
	Set(namespace, key, value []byte, ttl time.Duration)
	Incr(namespace, key []byte, delta int64, ttl time.Duration) int64
}

// LogEntry is a line a plugin logged.
type LogEntry struct {
	Level   abi.LogLevel
	Message string
}

// Exchange is an in-memory abi.Exchange. Configure the exported fields before the first plugin call. Like every
// Exchange it is used by one goroutine at a time.
type Exchange struct {
	// KV holds the plugin's key-value state; New gives each Exchange a private store. Share one store between
	// exchanges to keep state across requests.
	KV KV
	// Namespace is the KV namespace of the plugin being run.
	Namespace []byte
	// Call answers HTTPCall; nil refuses every call with abi.ErrNotAllowed.
	Call func(req *abi.CallRequest, resp *abi.CallResponse) error
	// LogLevel is the lowest level LogEnabled reports as enabled; New sets abi.LogDebug (everything).
	LogLevel abi.LogLevel
	// Logger, when set, also receives every logged line.
	Logger *slog.Logger

	features  abi.Features
	afterNext bool

	method, uri, proto, addr []byte
	reqHeader, reqTrailer    fields
	reqBody                  []byte
	vars                     map[string]string

	status                  uint32
	respHeader, respTrailer fields
	respBody                []byte
	reqRead, respRead       int  // read offsets of the current handler call
	reqWrote, respWrote     bool // a write_body of the current handler call already replaced the body
	preNextBody             bool // the response body was written before next
	logMu                   sync.Mutex
	logs                    []LogEntry
	scratchHeader           fields
	scratch                 []byte
}

var _ abi.Exchange = (*Exchange)(nil)

// New returns an exchange holding req, before next, with an empty 200 response.
func New(req Request) *Exchange {
	e := &Exchange{KV: kv.NewMemory(10_000), Namespace: []byte("plugin"), LogLevel: abi.LogDebug}
	e.Reset(req)
	return e
}

// Reset makes e hold req again, as New does, keeping its configuration (KV, Call, logging) and its buffers: a
// benchmark or a long `plugin test` run reuses one Exchange without allocating.
func (e *Exchange) Reset(req Request) {
	e.features, e.afterNext = 0, false
	e.method = append(e.method[:0], orDefault(req.Method, "GET")...)
	e.uri = append(e.uri[:0], orDefault(req.URI, "/")...)
	e.proto = append(e.proto[:0], orDefault(req.Protocol, "HTTP/1.1")...)
	e.addr = append(e.addr[:0], orDefault(req.SourceAddr, "127.0.0.1:50000")...)
	e.reqHeader.load(req.Header)
	e.reqTrailer.load(req.Trailer)
	e.reqBody = append(e.reqBody[:0], req.Body...)
	e.vars = req.Vars
	e.status = 200
	e.respHeader.reset()
	e.respTrailer.reset()
	e.respBody = e.respBody[:0]
	e.reqRead, e.respRead, e.reqWrote, e.respWrote, e.preNextBody = 0, 0, false, false, false
	e.logMu.Lock()
	e.logs = e.logs[:0]
	e.logMu.Unlock()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Enter marks the start of a plugin handler call (handle_request or handle_response of one plugin): its first
// write_body replaces a body, and it reads bodies from their start.
func (e *Exchange) Enter() {
	e.reqRead, e.respRead = 0, 0
	e.reqWrote, e.respWrote = false, false
}

// SetNext passes the request on: from now on it is what the backend receives and cannot change. It also starts a
// new handler call (Enter).
func (e *Exchange) SetNext() {
	e.afterNext = true
	e.Enter()
}

// AfterNext reports whether SetNext was called.
func (e *Exchange) AfterNext() bool { return e.afterNext }

// SetBackendResponse installs the backend's answer after SetNext: its status, headers, trailers and body replace
// the response, except that response headers plugins set before next are kept over the backend's, and a response
// body plugins wrote before next stays in front of the backend's body.
func (e *Exchange) SetBackendResponse(resp Response) {
	e.status = resp.Status
	if e.status == 0 {
		e.status = 200
	}
	// The plugins' headers win: load the backend's, then put every pre-next name back with its values.
	e.scratchHeader, e.respHeader = e.respHeader, e.scratchHeader
	e.respHeader.load(resp.Header)
	e.scratch, _ = e.scratchHeader.appendNames(e.scratch[:0])
	names := e.scratch
	for len(names) > 0 {
		end := indexNUL(names)
		name := names[:end]
		e.respHeader.del(name)
		for i := range e.scratchHeader {
			if equalFold(e.scratchHeader[i].name, name) {
				e.respHeader.add(name, e.scratchHeader[i].value)
			}
		}
		names = names[end+1:]
	}
	e.respTrailer.load(resp.Trailer)
	if !e.preNextBody {
		e.respBody = e.respBody[:0]
	}
	e.respBody = append(e.respBody, resp.Body...)
	e.respRead, e.respWrote = 0, false
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}

// Request is the request as it is now; after SetNext, the request the backend received.
func (e *Exchange) Request() Request {
	return Request{
		Method:     string(e.method),
		URI:        string(e.uri),
		Protocol:   string(e.proto),
		Header:     e.reqHeader.header(),
		Trailer:    e.reqTrailer.header(),
		Body:       append([]byte(nil), e.reqBody...),
		SourceAddr: string(e.addr),
		Vars:       e.vars,
	}
}

// Response is the response as it is now: at the end of the chain, what the client gets.
func (e *Exchange) Response() Response {
	return Response{
		Status:  e.status,
		Header:  e.respHeader.header(),
		Trailer: e.respTrailer.header(),
		Body:    append([]byte(nil), e.respBody...),
	}
}

// Logs returns the lines plugins logged.
func (e *Exchange) Logs() []LogEntry {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return append([]LogEntry(nil), e.logs...)
}

// RespondError answers the request with the gateway's own JSON error, replacing the response body and status and
// keeping the other headers. The WASM host uses it to answer with a 500 when a plugin fails (see
// wasmhost.ErrorResponder); the request ID comes from the "request.id" variable.
func (e *Exchange) RespondError(status int, code, message string) {
	e.status = uint32(status)
	e.respHeader.set([]byte("content-type"), []byte("application/json"))
	b := append(e.respBody[:0], `{"error":{"code":`...)
	b = strconv.AppendQuote(b, code)
	b = append(b, `,"message":`...)
	b = strconv.AppendQuote(b, message)
	b = append(b, `,"requestId":`...)
	b = strconv.AppendQuote(b, e.vars["request.id"])
	e.respBody = append(b, "}}"...)
	e.respWrote = true
}

// EnableFeatures implements abi.Exchange: every feature is supported, so the result is all features asked so far.
func (e *Exchange) EnableFeatures(f abi.Features) abi.Features {
	e.features |= f & (abi.FeatureBufferRequest | abi.FeatureBufferResponse | abi.FeatureTrailers)
	return e.features
}

// Log implements abi.Exchange.
func (e *Exchange) Log(level abi.LogLevel, msg []byte) {
	if !e.LogEnabled(level) {
		return
	}
	e.logMu.Lock()
	e.logs = append(e.logs, LogEntry{Level: level, Message: string(msg)})
	e.logMu.Unlock()
	if e.Logger != nil {
		e.Logger.Log(context.Background(), slogLevel(level), string(msg))
	}
}

// LogEnabled implements abi.Exchange.
func (e *Exchange) LogEnabled(level abi.LogLevel) bool {
	return level >= e.LogLevel && level < abi.LogNone
}

func slogLevel(l abi.LogLevel) slog.Level {
	switch l {
	case abi.LogDebug:
		return slog.LevelDebug
	case abi.LogInfo:
		return slog.LevelInfo
	case abi.LogWarn:
		return slog.LevelWarn
	}
	return slog.LevelError
}
