package pipeline

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/proxy"
	"github.com/portico-gateway/portico/runtime/router"
)

// exchange is the gateway's abi.Exchange: the fasthttp request being served and, after next, the response that
// will be sent. It lives inside the pooled Request, so serving plugins allocates nothing of its own.
type exchange struct {
	r         *Request
	binding   *Binding // the plugin being called: its name, KV namespace and http_call allow-list
	features  abi.Features
	afterNext bool

	uri    []byte // set_uri: the path and query the backend receives (nil: derived from the route)
	uriSet bool
	// uriPath is whether set_uri changed the path. A plugin that only changes the query (the query-param plugin
	// appends to it) keeps the method's backend path; a changed path replaces it, under the backend base URL.
	uriPath bool

	// reqFieldsSet are the proxy.Classify bits of the request fields plugins set or added: the backend call uses
	// them with the fields the client sent to decide which forwarding fields need replacing.
	reqFieldsSet int

	reqRead, respRead   int  // read_body offsets
	reqWrote, respWrote bool // a write_body in the current handler call already replaced the body
	// preNext records response-header changes made before next: the backend's response replaces the response
	// object, so they are replayed onto it, as a net/http middleware's w.Header() changes would survive.
	preNext []headerOp
	// preNextBody and preNextStatus are a response body written and a status set before next: like a net/http
	// middleware writing before it calls the next handler, they come first (the backend's body follows) and the
	// status stands.
	preNextBody   []byte
	preNextStatus int
	preNextBytes  []byte // the names and values of preNext

	name []byte // canonicalName's buffer
	// names is a copy of the request header for listing its names (see AppendHeaderNames); made on first use and
	// kept with the pooled request.
	names *fasthttp.RequestHeader
}

// headerOp is one recorded change: its name and value are preNextBytes[start:mid] and [mid:end]. Offsets, not
// slices, so that the arena can grow (and be reused by the next request) without an allocation per change.
type headerOp struct {
	op              byte // 's'et, 'a'dd, 'r'emove
	start, mid, end int
}

var _ abi.Exchange = (*exchange)(nil)

func (e *exchange) reset(r *Request) {
	*e = exchange{r: r, uri: e.uri[:0], preNext: e.preNext[:0], preNextBody: e.preNextBody[:0],
		preNextBytes: e.preNextBytes[:0], name: e.name[:0], names: e.names}
}

// enter prepares the exchange for a call of b's plugin: reads of that call start at the beginning of a body and
// writes start by replacing it.
func (e *exchange) enter(b *Binding) {
	e.binding = b
	e.reqWrote, e.respWrote = false, false
	e.reqRead, e.respRead = 0, 0
}

// RespondError answers the request with the gateway's own JSON error, replacing whatever the plugin wrote (the
// WASM host calls it when a guest fails: no guest output, and no trap text, reaches the client).
func (e *exchange) RespondError(status int, code, message string) {
	e.preNext, e.preNextBody, e.preNextStatus, e.preNextBytes = e.preNext[:0], e.preNextBody[:0], 0, e.preNextBytes[:0]
	WriteError(e.r.Ctx, status, code, message, e.r.requestID)
}

func (e *exchange) EnableFeatures(f abi.Features) abi.Features {
	e.features |= f
	return e.features
}

func (e *exchange) Log(level abi.LogLevel, msg []byte) {
	if !e.LogEnabled(level) {
		return
	}
	e.r.stage.log.Log(context.Background(), slogLevel(level), string(msg), "plugin", e.pluginName(),
		"requestId", string(e.r.requestID), "service", e.r.stage.ServiceID, "stage", e.r.stage.Name)
}

func (e *exchange) LogEnabled(level abi.LogLevel) bool {
	if level >= abi.LogNone {
		return false
	}
	return e.r.stage.log.Enabled(context.Background(), slogLevel(level))
}

func (e *exchange) pluginName() string {
	if e.binding == nil {
		return ""
	}
	return e.binding.Name
}

func (e *exchange) Method() []byte { return e.r.Ctx.Request.Header.Method() }

func (e *exchange) SetMethod(method []byte) error {
	if e.afterNext {
		return abi.ErrAfterNext
	}
	if !abi.ValidToken(method) {
		return abi.ErrInvalid
	}
	e.r.Ctx.Request.Header.SetMethodBytes(method)
	return nil
}

func (e *exchange) URI() []byte {
	if e.uriSet {
		return e.uri
	}
	return e.r.Ctx.Request.Header.RequestURI()
}

// SetURI replaces the path and query the backend receives. The path is kept as given (already escaped), but it
// may not climb out of the backend base URL: dot segments, raw or encoded, are refused.
func (e *exchange) SetURI(uri []byte) error {
	if e.afterNext {
		return abi.ErrAfterNext
	}
	path, _, _ := bytes.Cut(uri, []byte("?"))
	if len(path) == 0 || path[0] != '/' || hasDotSegment(path) || bytes.ContainsAny(uri, "\r\n\x00 #") {
		return abi.ErrInvalid
	}
	orig, _, _ := bytes.Cut(e.r.Ctx.Request.Header.RequestURI(), []byte("?"))
	e.uriPath = !bytes.Equal(path, orig)
	e.uri = append(e.uri[:0], uri...)
	e.uriSet = true
	return nil
}

func (e *exchange) ProtocolVersion() []byte { return e.r.Ctx.Request.Header.Protocol() }

func (e *exchange) AppendHeaderNames(kind abi.HeaderKind, dst []byte) ([]byte, int) {
	count := 0
	base := len(dst) // what the caller had in dst is not part of the list
	add := func(name []byte) {
		start := len(dst)
		for _, c := range name {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		if seenBefore(dst[base:start], dst[start:]) {
			dst = dst[:start]
			return
		}
		dst = append(dst, 0)
		count++
	}
	switch kind {
	case abi.HeaderRequest:
		// All is the only way fasthttp lists a request's fields, and it parses the Cookie field into its cookie
		// list, after which the request is forwarded with the field re-serialised (quotes dropped, invalid cookies
		// removed). A copy takes that side effect; listing names is rare, so the copy costs little overall.
		if e.names == nil {
			e.names = new(fasthttp.RequestHeader)
		}
		e.r.Ctx.Request.Header.CopyTo(e.names)
		for k := range e.names.All() {
			add(k)
		}
	case abi.HeaderResponse:
		for k := range e.r.Ctx.Response.Header.All() {
			add(k)
		}
	case abi.HeaderRequestTrailers:
		for k := range e.r.Ctx.Request.Header.Trailers() {
			add(k)
		}
	case abi.HeaderResponseTrailers:
		for k := range e.r.Ctx.Response.Header.Trailers() {
			add(k)
		}
	}
	return dst, count
}

// seenBefore reports whether name is one of the NUL-terminated names in list.
func seenBefore(list, name []byte) bool {
	for len(list) > 0 {
		i := bytes.IndexByte(list, 0)
		if bytes.Equal(list[:i], name) {
			return true
		}
		list = list[i+1:]
	}
	return false
}

func (e *exchange) AppendHeaderValues(kind abi.HeaderKind, name, dst []byte) ([]byte, int) {
	count := 0
	add := func(v []byte) {
		dst = append(append(dst, v...), 0)
		count++
	}
	switch kind {
	case abi.HeaderRequest:
		h := &e.r.Ctx.Request.Header
		if e.announced(true, name) {
			// PeekAll would add the trailer's values: the request-header view has only the header section's.
			for k, v := range h.All() {
				if bytes.EqualFold(k, name) {
					add(v)
				}
			}
			break
		}
		// Not All: it parses the Cookie field into fasthttp's cookie list, which then forwards it re-serialised
		// (quotes dropped, invalid cookies removed) instead of as the client sent it.
		var values [][]byte
		if canon, ok := e.canonicalToken(name); ok {
			values = requestValues(h, canon)
		} else {
			values = h.PeekAll(view(name)) // no field has such a name; fasthttp decides what a malformed one matches
		}
		for _, v := range values {
			add(v)
		}
	case abi.HeaderResponse:
		for k, v := range e.r.Ctx.Response.Header.All() {
			if bytes.EqualFold(k, name) {
				add(v)
			}
		}
	case abi.HeaderRequestTrailers:
		if e.announced(true, name) {
			for _, v := range e.r.Ctx.Request.Header.PeekAll(view(name)) {
				add(v)
			}
		}
	case abi.HeaderResponseTrailers:
		if e.announced(false, name) {
			for _, v := range e.r.Ctx.Response.Header.PeekAll(view(name)) {
				add(v)
			}
		}
	}
	return dst, count
}

// trailerHeader is what fasthttp's request and response headers offer for trailers: announced names (the
// Trailer field) whose values live in their own section, sent after a chunked body.
type trailerHeader interface {
	AddTrailerBytes(trailer []byte) error
	SetBytesKV(key, value []byte)
	AddBytesKV(key, value []byte)
	DelBytes(key []byte)
}

// announced reports whether name is announced as a trailer of the request (or else the response). It ranges over
// the concrete header's iterator, which is inlined and does not allocate; through the trailerHeader interface the
// iterator's closure escapes, one allocation per call, and request-header reads ask this on every request.
func (e *exchange) announced(request bool, name []byte) bool {
	if request {
		for k := range e.r.Ctx.Request.Header.Trailers() {
			if bytes.EqualFold(k, name) {
				return true
			}
		}
		return false
	}
	for k := range e.r.Ctx.Response.Header.Trailers() {
		if bytes.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func (e *exchange) trailerHeader(kind abi.HeaderKind) trailerHeader {
	if kind == abi.HeaderRequestTrailers {
		return &e.r.Ctx.Request.Header
	}
	return &e.r.Ctx.Response.Header
}

// checkHeaderWrite applies the value, phase and feature rules to a header change (the caller has checked the name:
// SetHeader with canonicalToken, which it needs for the fold anyway, AddHeader and RemoveHeader with ValidToken).
func (e *exchange) checkHeaderWrite(kind abi.HeaderKind, value []byte) error {
	if !abi.ValidValue(value) {
		return abi.ErrInvalid
	}
	switch kind {
	case abi.HeaderRequest:
		if e.afterNext {
			return abi.ErrAfterNext
		}
	case abi.HeaderResponse:
	case abi.HeaderRequestTrailers:
		if !e.features.Has(abi.FeatureTrailers) {
			return abi.ErrFeature
		}
		if e.afterNext {
			return abi.ErrAfterNext
		}
	case abi.HeaderResponseTrailers:
		if !e.features.Has(abi.FeatureTrailers) {
			return abi.ErrFeature
		}
	default:
		return abi.ErrInvalid
	}
	return nil
}

func (e *exchange) SetHeader(kind abi.HeaderKind, name, value []byte) error {
	canon, ok := e.canonicalToken(name)
	if !ok {
		return abi.ErrInvalid
	}
	if err := e.checkHeaderWrite(kind, value); err != nil {
		return err
	}
	switch kind {
	case abi.HeaderRequest:
		e.reqFieldsSet |= proxy.Classify(name)
		e.setRequestField(name, canon, value)
	case abi.HeaderResponse:
		e.setResponseField(name, canon, value)
		e.recordPreNext('s', canon, value) // canonical already: the replay needs no fold
	default:
		h := e.trailerHeader(kind)
		if !e.announced(kind == abi.HeaderRequestTrailers, name) {
			if err := h.AddTrailerBytes(name); err != nil {
				return abi.ErrInvalid // a field that may not be a trailer (Content-Length, Host, …)
			}
		}
		h.SetBytesKV(name, value)
	}
	return nil
}

// setRequestField and setResponseField replace every value of a field: fasthttp's Set alone replaces only the
// first of repeated fields. A field that is there at most once (nearly always; counted with PeekAll for a request,
// whose All would parse its Cookie field, and by a scan for a response) is set in place under its canonical name; a
// repeated field, a field
// fasthttp keeps apart (Content-Type, Set-Cookie, …) and an announced trailer take the general path, delete then
// add, which normalises and scans twice (≈ 7× the cost).
func (e *exchange) setRequestField(name, canon, value []byte) {
	h := &e.r.Ctx.Request.Header
	if requestSpecial(canon) || e.announced(true, canon) || len(requestValues(h, canon)) > 1 {
		h.DelBytes(name)
		h.AddBytesKV(name, value)
	} else {
		h.SetCanonical(canon, value)
	}
}

func (e *exchange) setResponseField(name, canon, value []byte) {
	h := &e.r.Ctx.Response.Header
	if responseSpecial(canon) || e.announced(false, canon) || responseRepeated(h, canon) {
		h.DelBytes(name)
		h.AddBytesKV(name, value)
	} else {
		h.SetCanonical(canon, value)
	}
}

// canonicalToken checks that name is a token (a valid field name) and returns it as fasthttp stores a parsed
// field's name (the first letter and every letter after a '-' in upper case, the others in lower case), in a buffer
// the exchange reuses: one pass for both, as every header write and read needs both. Not fasthttp's
// AppendNormalizedHeaderKeyBytes: that one also scans the name twice for line breaks and once for bytes a name may
// not hold (TestCanonicalTokenMatchesFasthttp keeps the two equal on tokens). Each byte's table is chosen by the
// byte before it in name, not by the folded one, so no byte waits for the previous one's lookup ('-' folds to
// itself, so the two are the same).
func (e *exchange) canonicalToken(name []byte) ([]byte, bool) {
	if len(name) == 0 {
		return nil, false
	}
	if cap(e.name) < len(name) {
		e.name = make([]byte, 0, max(64, len(name)))
	}
	dst := e.name[:len(name)]
	valid := true
	prev := byte('-')
	for i, c := range name {
		f := lowerToken[c]
		if prev == '-' {
			f = upperToken[c]
		}
		prev = c
		dst[i] = f
		if f == 0 {
			valid = false
		}
	}
	return dst, valid
}

// upperToken and lowerToken map each byte a token may hold to its upper- or lower-case ASCII letter (any other
// token byte to itself), and every other byte to 0, which no token holds.
var upperToken, lowerToken = func() (upper, lower [256]byte) {
	for c := range 256 {
		if abi.ValidToken([]byte{byte(c)}) {
			upper[c], lower[c] = byte(c), byte(c)
		}
	}
	for c := byte('a'); c <= 'z'; c++ {
		upper[c], lower[c-'a'+'A'] = c-'a'+'A', c
	}
	return upper, lower
}()

// requestValues and responseValues are PeekAll for a name already in canonical form: normalising is switched off
// for the lookup, which otherwise checks and folds the name once more on every call. The fields they search were
// stored normalised (the server and the client parse with normalising on), so the result is PeekAll's.
func requestValues(h *fasthttp.RequestHeader, canon []byte) [][]byte {
	normalizing := !h.DisableNormalizing()
	values := h.PeekAll(view(canon))
	if normalizing {
		h.EnableNormalizing()
	}
	return values
}

// responseRepeated reports whether the response has the field canon (in canonical form, not one of fasthttp's
// special fields) more than once. It scans the fields with the concrete header's iterator, comparing names as
// stored: PeekAll would copy the name and scan it twice for line breaks first, ≈ 20 % of a response header write.
// A response announcing trailers takes PeekAll: All formats its Trailer field into a new slice.
func responseRepeated(h *fasthttp.ResponseHeader, canon []byte) bool {
	if len(h.PeekTrailerKeys()) > 0 {
		return len(responseValues(h, canon)) > 1
	}
	n := 0
	for k := range h.All() {
		if string(k) == string(canon) {
			if n++; n > 1 {
				return true
			}
		}
	}
	return false
}

func responseValues(h *fasthttp.ResponseHeader, canon []byte) [][]byte {
	normalizing := !h.DisableNormalizing()
	values := h.PeekAll(view(canon))
	if normalizing {
		h.EnableNormalizing()
	}
	return values
}

// view returns b as a string without copying it, for fasthttp's lookups that take a name as a string and do not
// keep it (PeekAll copies it into its own buffer). string(b) would copy, and a name longer than 32 bytes would
// then be allocated on every call.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// requestSpecial and responseSpecial are the fields fasthttp keeps outside its list of lines (and Set-Cookie and
// Cookie, whose Set adds a cookie rather than replacing the field): setting one in place is not Set's meaning.
func requestSpecial(canon []byte) bool {
	switch string(canon) {
	case "Host", "Content-Type", "Content-Length", "Connection", "Cookie", "Transfer-Encoding", "Trailer",
		"User-Agent":
		return true
	}
	return false
}

func responseSpecial(canon []byte) bool {
	switch string(canon) {
	case "Content-Type", "Content-Length", "Content-Encoding", "Connection", "Server", "Set-Cookie",
		"Transfer-Encoding", "Trailer", "Date":
		return true
	}
	return false
}

func (e *exchange) recordPreNext(op byte, name, value []byte) {
	if !e.afterNext {
		start := len(e.preNextBytes)
		e.preNextBytes = append(e.preNextBytes, name...)
		mid := len(e.preNextBytes)
		e.preNextBytes = append(e.preNextBytes, value...)
		e.preNext = append(e.preNext, headerOp{op: op, start: start, mid: mid, end: len(e.preNextBytes)})
	}
}

// replayPreNext applies the response changes made before next to the response the backend produced.
// After a failed backend call the gateway's error response stands: only the headers are replayed.
func (e *exchange) replayPreNext(backendFailed bool) {
	resp := &e.r.Ctx.Response
	if e.preNextStatus != 0 && !backendFailed {
		resp.SetStatusCode(e.preNextStatus)
	}
	if len(e.preNextBody) > 0 && !backendFailed {
		backend := append(e.r.scratch[:0], resp.Body()...)
		resp.SetBody(e.preNextBody)
		resp.AppendBody(backend)
		e.r.scratch = backend
	}
	h := &resp.Header
	for _, o := range e.preNext {
		name, value := e.preNextBytes[o.start:o.mid], e.preNextBytes[o.mid:o.end]
		switch o.op {
		case 's':
			e.setResponseField(name, name, value) // recorded in canonical form
		case 'a':
			h.AddBytesKV(name, value)
		case 'r':
			h.DelBytes(name)
		}
	}
}

func (e *exchange) AddHeader(kind abi.HeaderKind, name, value []byte) error {
	if !abi.ValidToken(name) { // fasthttp folds the name itself here, so only the check is needed
		return abi.ErrInvalid
	}
	if err := e.checkHeaderWrite(kind, value); err != nil {
		return err
	}
	switch kind {
	case abi.HeaderRequest:
		e.reqFieldsSet |= proxy.Classify(name)
		e.r.Ctx.Request.Header.AddBytesKV(name, value)
	case abi.HeaderResponse:
		e.r.Ctx.Response.Header.AddBytesKV(name, value)
		e.recordPreNext('a', name, value)
	default:
		h := e.trailerHeader(kind)
		if !e.announced(kind == abi.HeaderRequestTrailers, name) {
			if err := h.AddTrailerBytes(name); err != nil {
				return abi.ErrInvalid
			}
		}
		h.AddBytesKV(name, value)
	}
	return nil
}

func (e *exchange) RemoveHeader(kind abi.HeaderKind, name []byte) error {
	if !abi.ValidToken(name) { // fasthttp folds the name itself here, so only the check is needed
		return abi.ErrInvalid
	}
	if err := e.checkHeaderWrite(kind, nil); err != nil {
		return err
	}
	switch kind {
	case abi.HeaderRequest:
		e.r.Ctx.Request.Header.DelBytes(name)
	case abi.HeaderResponse:
		e.r.Ctx.Response.Header.DelBytes(name)
		e.recordPreNext('r', name, nil)
	default:
		e.trailerHeader(kind).DelBytes(name)
	}
	return nil
}

func (e *exchange) ReadBody(kind abi.BodyKind, p []byte) (int, bool, error) {
	var body []byte
	var off *int
	switch kind {
	case abi.BodyRequest:
		body, off = e.r.Ctx.Request.Body(), &e.reqRead
	case abi.BodyResponse:
		body, off = e.r.Ctx.Response.Body(), &e.respRead
	default:
		return 0, false, abi.ErrInvalid
	}
	if *off > len(body) {
		*off = len(body)
	}
	n := copy(p, body[*off:])
	*off += n
	return n, *off == len(body), nil
}

func (e *exchange) WriteBody(kind abi.BodyKind, p []byte) error {
	switch kind {
	case abi.BodyRequest:
		if e.afterNext {
			return abi.ErrAfterNext
		}
		if e.reqWrote {
			e.r.Ctx.Request.AppendBody(p)
		} else {
			e.r.Ctx.Request.SetBody(p)
			e.reqWrote, e.reqRead = true, 0
		}
	case abi.BodyResponse:
		if e.respWrote {
			e.r.Ctx.Response.AppendBody(p)
		} else {
			e.r.Ctx.Response.SetBody(p)
			e.respWrote, e.respRead = true, 0
		}
		if !e.afterNext {
			e.preNextBody = append(e.preNextBody, p...)
		}
	default:
		return abi.ErrInvalid
	}
	return nil
}

func (e *exchange) StatusCode() uint32 { return uint32(e.r.Ctx.Response.StatusCode()) }

func (e *exchange) SetStatusCode(code uint32) error {
	if code < 100 || code > 999 {
		return abi.ErrInvalid
	}
	e.r.Ctx.Response.SetStatusCode(int(code))
	if !e.afterNext {
		e.preNextStatus = int(code)
	}
	return nil
}

func (e *exchange) SourceAddr() []byte {
	buf := e.r.clientIPText()
	port := 0
	if a, ok := e.r.Ctx.RemoteAddr().(*net.TCPAddr); ok {
		port = a.Port
	}
	out := e.r.addrScratch[:0]
	if e.r.ClientIP.Is6() {
		out = append(append(append(out, '['), buf...), ']')
	} else {
		out = append(out, buf...)
	}
	out = strconv.AppendInt(append(out, ':'), int64(port), 10)
	e.r.addrScratch = out
	return out
}

// ContextVar resolves the Portico context variables by name.
func (e *exchange) ContextVar(name, dst []byte) ([]byte, bool) {
	r := e.r
	switch {
	case string(name) == "request.clientIp":
		return append(dst, r.clientIPText()...), true
	case string(name) == "request.id":
		return append(dst, r.requestID...), true
	case string(name) == "stage.name":
		return append(dst, r.stage.nameBytes...), true
	case string(name) == "service.id":
		return append(dst, r.stage.serviceIDBytes...), true
	case bytes.HasPrefix(name, []byte("request.header.")):
		v := r.Ctx.Request.Header.PeekBytes(name[len("request.header."):])
		return append(dst, v...), v != nil
	case bytes.HasPrefix(name, []byte("request.query.")):
		v := r.Ctx.QueryArgs().PeekBytes(name[len("request.query."):])
		return append(dst, v...), v != nil
	case bytes.HasPrefix(name, []byte("request.path.")) && r.route != nil:
		pv := name[len("request.path."):]
		greedy := len(pv) > 0 && pv[len(pv)-1] == '+'
		if greedy {
			pv = pv[:len(pv)-1]
		}
		for i, seg := range r.route.vars {
			if seg.Value == string(pv) && (seg.Kind == router.Greedy) == greedy {
				return append(dst, r.params.Value(i)...), true
			}
		}
	}
	return dst, false
}

func (e *exchange) KVGet(key, dst []byte) ([]byte, bool) {
	if e.binding == nil || e.binding.KV == nil {
		return dst, false
	}
	return e.binding.KV.Get(e.binding.Namespace, key, dst)
}

func (e *exchange) KVSet(key, value []byte, ttl time.Duration) error {
	if e.binding == nil || e.binding.KV == nil {
		return abi.ErrNotAllowed
	}
	e.binding.KV.Set(e.binding.Namespace, key, value, ttl)
	return nil
}

func (e *exchange) CounterIncr(key []byte, delta int64, ttl time.Duration) (int64, error) {
	if e.binding == nil || e.binding.KV == nil {
		return 0, abi.ErrNotAllowed
	}
	return e.binding.KV.Incr(e.binding.Namespace, key, delta, ttl), nil
}

func (e *exchange) HTTPCall(req *abi.CallRequest, resp *abi.CallResponse) error {
	if e.binding == nil || e.binding.Caller == nil {
		return abi.ErrNotAllowed
	}
	return e.binding.Caller.Call(req, resp)
}

func (e *exchange) NowUnixNano() int64 { return time.Now().UnixNano() }

// hasDotSegment reports whether an escaped path has a "." or ".." segment, raw or percent-encoded.
func hasDotSegment(path []byte) bool {
	for _, seg := range bytes.Split(path, []byte("/")) {
		switch {
		case len(seg) == 0:
		case bytes.Equal(seg, []byte(".")), bytes.Equal(seg, []byte("..")),
			bytes.EqualFold(seg, []byte("%2e")), bytes.EqualFold(seg, []byte("%2e%2e")),
			bytes.EqualFold(seg, []byte(".%2e")), bytes.EqualFold(seg, []byte("%2e.")):
			return true
		}
	}
	return false
}
