package pipeline

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/router"
)

// Request is the per-request state the pipeline works on. Requests are pooled: nothing may keep a reference to one
// after the response is written.
type Request struct {
	Ctx *fasthttp.RequestCtx
	// ClientIP is the resolved client address (PROXY protocol source, trusted X-Forwarded-For hop, or peer).
	ClientIP netip.Addr
	// Peer is the socket peer (or PROXY protocol source) — the hop that X-Forwarded-For is extended with.
	Peer netip.Addr
	// Scheme is "http" or "https": the scheme the client used to reach the gateway.
	Scheme string

	stage       *Stage
	route       *Route
	params      router.Params
	requestID   []byte
	clientIP    []byte
	scratch     []byte
	addrScratch []byte
	ex          exchange
	reqCtxs     []uint32 // the reqCtx each request-phase plugin returned
}

var requestPool = sync.Pool{New: func() any { return &Request{} }}

// AcquireRequest returns a Request for ctx from the pool.
func AcquireRequest(ctx *fasthttp.RequestCtx) *Request {
	r := requestPool.Get().(*Request)
	r.Ctx = ctx
	return r
}

// ReleaseRequest returns r to the pool.
func ReleaseRequest(r *Request) {
	r.Ctx = nil
	r.stage = nil
	r.route = nil
	r.ex.reset(nil)
	r.reqCtxs = r.reqCtxs[:0]
	r.ClientIP = netip.Addr{}
	r.Peer = netip.Addr{}
	r.params.Reset()
	r.requestID = r.requestID[:0]
	r.clientIP = r.clientIP[:0]
	r.scratch = r.scratch[:0]
	requestPool.Put(r)
}

// RequestID returns the request's ID (set by SetRequestID or NewRequestID).
func (r *Request) RequestID() []byte { return r.requestID }

// SetRequestID uses id (an incoming x-request-id the caller accepted) as the request's ID.
func (r *Request) SetRequestID(id []byte) { r.requestID = append(r.requestID[:0], id...) }

// requestIDs makes request IDs: a random per-process prefix and a counter, so IDs are unique without a syscall or
// an allocation per request.
type requestIDs struct {
	prefix [12]byte
	n      atomic.Uint64
}

var ids = func() *requestIDs {
	g := &requestIDs{}
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	hex.Encode(g.prefix[:], raw[:])
	return g
}()

// NewRequestID gives r a fresh ID.
func (r *Request) NewRequestID() {
	n := ids.n.Add(1)
	b := append(r.requestID[:0], ids.prefix[:]...)
	b = append(b, '-')
	var digits [16]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = hexDigits[n&15]
		n >>= 4
	}
	r.requestID = append(b, digits[:]...)
}

// ValidRequestID reports whether an incoming x-request-id is safe to reuse: 1–64 characters of [A-Za-z0-9._:-].
func ValidRequestID(id []byte) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// Context-variable source (ctxvar.Source).

// ClientIP returns the client's IP as text.
func (r *Request) clientIPText() []byte {
	if len(r.clientIP) == 0 && r.ClientIP.IsValid() {
		r.clientIP = r.ClientIP.AppendTo(r.clientIP[:0])
	}
	return r.clientIP
}

type source struct{ r *Request }

func (s source) ClientIP() []byte                 { return s.r.clientIPText() }
func (s source) PathParam(i int) []byte           { return s.r.params.Value(i) }
func (s source) RequestHeader(name []byte) []byte { return s.r.Ctx.Request.Header.PeekBytes(name) }
func (s source) QueryArg(name []byte) []byte      { return s.r.Ctx.QueryArgs().PeekBytes(name) }
func (s source) RequestID() []byte                { return s.r.requestID }
func (s source) StageName() []byte                { return s.r.stage.nameBytes }
func (s source) ServiceID() []byte                { return s.r.stage.serviceIDBytes }

const hexDigits = "0123456789abcdef"
