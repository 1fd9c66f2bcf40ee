package pipeline

import (
	"bytes"
	"log/slog"
	"sync/atomic"

	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/ctxvar"
	"github.com/portico-gateway/portico/runtime/proxy"
	"github.com/portico-gateway/portico/runtime/router"
)

// Stage is one deployed stage compiled for serving: an immutable router over compiled routes.
type Stage struct {
	ServiceID    string
	Name         string
	DeploymentID int64

	serviceIDBytes []byte
	nameBytes      []byte
	routes         *router.Router[*Route]
	log            *slog.Logger
	closers        []abi.Closer
	// inflight counts the requests being served, so that a replaced stage's plugin pools are released as soon as
	// its last request is done rather than after a fixed delay. Only a stage with closers counts: the counter is
	// one cache line every core's requests write, and a stage with nothing to release does not need it.
	inflight atomic.Int64
}

// InFlight is the number of requests the stage is serving, counted when it has closers (see SetClosers): there is
// nothing to wait for before closing a stage without.
func (s *Stage) InFlight() int64 { return s.inflight.Load() }

// SetClosers records the plugins whose resources Close releases. It is called before the stage serves.
func (s *Stage) SetClosers(c []abi.Closer) { s.closers = c }

// Close releases the stage's plugin resources (WASM instance pools). Call it once no request uses the stage.
func (s *Stage) Close() error {
	var first error
	for _, c := range s.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// NewStage wraps a built router. DeploymentID identifies the snapshot it was compiled from.
func NewStage(serviceID, name string, deploymentID int64, routes *router.Router[*Route], log *slog.Logger) *Stage {
	if log == nil {
		log = slog.Default()
	}
	return &Stage{
		ServiceID: serviceID, Name: name, DeploymentID: deploymentID,
		serviceIDBytes: []byte(serviceID), nameBytes: []byte(name),
		routes: routes, log: log,
	}
}

// Route is one compiled (path, method) with its plugin chain and backend.
//
// The fields every request reads come first and the HTTP backend, with its path template, is held by value: with
// many routes, each request touches a route that is likely out of cache, and what it reads is then the route's first
// two cache lines (and the template's text) instead of four objects in different places.
type Route struct {
	// request are the request-phase bindings in order (path plugins from the root down, then method plugins);
	// response the response-phase ones.
	request  []Binding
	response []Binding
	http     httpBackend // target is nil for a custom-response route
	mock     *mockBackend
	vars     []router.Segment // the path's variables, in order: params index → name
	Path     string
	Method   string
	_        [24]byte // to 256 bytes: Go's allocator places objects of that size at multiples of 256, so on line boundaries
}

// WithPlugins returns r with its path's variable segments and its plugin bindings set (at deploy time).
func (r *Route) WithPlugins(segs []router.Segment, bindings []Binding) *Route {
	for _, s := range segs {
		if s.Kind != router.Static {
			r.vars = append(r.vars, s)
		}
	}
	for _, b := range bindings {
		if b.Phase == abi.PhaseResponse {
			r.response = append(r.response, b)
		} else {
			r.request = append(r.request, b)
		}
	}
	return r
}

type httpBackend struct {
	target *proxy.Target
	path   ctxvar.Template // by value: in the route's own memory, next to what the request reads before it
}

type mockBackend struct {
	status  int
	headers []mockHeader
	body    *ctxvar.Template
	rawBody []byte // body when it has no variables
}

type mockHeader struct {
	name  []byte
	value *ctxvar.Template
}

// NewHTTPRoute returns a route that forwards to target + path (a template whose variables are bound to the route).
func NewHTTPRoute(method, path string, target *proxy.Target, backendPath *ctxvar.Template) *Route {
	return &Route{Path: path, Method: method, http: httpBackend{target: target, path: *backendPath}}
}

// MockHeader is a custom-response header with its value template.
type MockHeader struct {
	Name  string
	Value *ctxvar.Template
}

// NewMockRoute returns a route that answers with a custom response.
func NewMockRoute(method, path string, status int, headers []MockHeader, body *ctxvar.Template) *Route {
	m := &mockBackend{status: status, body: body}
	for _, h := range headers {
		m.headers = append(m.headers, mockHeader{name: []byte(h.Name), value: h.Value})
	}
	if body != nil && body.IsLiteral() {
		m.rawBody = body.Append(nil, nil, ctxvar.Raw)
	}
	return &Route{Path: path, Method: method, mock: m}
}

// Serve routes r (whose request path, after basePath is stripped, selects the route) and writes the response.
func (s *Stage) Serve(r *Request, basePath string) {
	if len(s.closers) > 0 {
		s.inflight.Add(1)
		defer s.inflight.Add(-1)
	}
	r.stage = s
	ctx := r.Ctx
	path := ctx.URI().PathOriginal()
	if basePath != "" {
		rest, ok := bytes.CutPrefix(path, []byte(basePath))
		if !ok || (len(rest) > 0 && rest[0] != '/') {
			WriteError(ctx, fasthttp.StatusNotFound, CodeRouteNotFound, "no resource matches this path", r.requestID)
			return
		}
		if len(rest) == 0 {
			rest = []byte("/")
		}
		path = rest
	}
	route, _, st := s.routes.Lookup(ctx.Method(), path, &r.params)
	switch st {
	case router.Found:
	case router.MethodNotFound:
		WriteError(ctx, fasthttp.StatusNotFound, CodeMethodNotFound, "the resource has no such method", r.requestID)
		return
	case router.BadPath:
		WriteError(ctx, fasthttp.StatusBadRequest, CodeBadPath, "malformed request path", r.requestID)
		return
	default:
		WriteError(ctx, fasthttp.StatusNotFound, CodeRouteNotFound, "no resource matches this path", r.requestID)
		return
	}
	r.route = route
	route.serve(s, r)
}

// serve runs the plugin chain around the backend: request-phase plugins in order until one answers itself, the
// backend (unless one did), then handle_response of every plugin that passed the request on, last first, then the
// response-phase plugins.
func (route *Route) serve(s *Stage, r *Request) {
	ex := &r.ex
	ex.reset(r)
	passed := 0
	answered := false
	for i := range route.request {
		b := &route.request[i]
		ex.enter(b)
		next, reqCtx := b.Plugin.HandleRequest(ex)
		r.reqCtxs = append(r.reqCtxs, reqCtx)
		if !next {
			answered = true
			break
		}
		passed++
	}
	ex.afterNext = true
	isError := false
	if !answered {
		switch {
		case route.http.target != nil:
			isError = !route.http.serve(s, r)
		case route.mock != nil:
			route.mock.serve(r)
		}
		if len(ex.preNext) > 0 || len(ex.preNextBody) > 0 || ex.preNextStatus != 0 {
			ex.replayPreNext(isError)
		}
	}
	for i := passed - 1; i >= 0; i-- {
		b := &route.request[i]
		ex.enter(b)
		b.Plugin.HandleResponse(ex, r.reqCtxs[i], isError)
	}
	for i := range route.response {
		b := &route.response[i]
		ex.enter(b)
		b.Plugin.HandleResponse(ex, 0, isError)
	}
}

func (m *mockBackend) serve(r *Request) {
	ctx := r.Ctx
	src := source{r}
	ctx.Response.Reset()
	ctx.SetStatusCode(m.status)
	for i := range m.headers {
		h := &m.headers[i]
		r.scratch = h.value.Append(r.scratch[:0], src, ctxvar.HeaderValue)
		ctx.Response.Header.SetBytesKV(h.name, r.scratch)
	}
	switch {
	case m.rawBody != nil:
		ctx.Response.SetBodyRaw(m.rawBody) // immutable, shared by every request: no copy
	case m.body != nil:
		r.scratch = m.body.Append(r.scratch[:0], src, ctxvar.Raw)
		ctx.Response.SetBody(r.scratch)
	}
}

// serve calls the backend; it reports false when the call failed and the response is the gateway's error.
func (h *httpBackend) serve(s *Stage, r *Request) bool {
	ctx := r.Ctx
	req := &ctx.Request

	// Backend path: base path of the target + the method's path with variables escaped as path segments, or the
	// path a plugin set with set_uri (whose query then replaces the client's).
	buf := append(r.scratch[:0], h.target.BasePath()...)
	var query []byte
	overrideQuery := false
	if r.ex.uriSet {
		path, q, _ := bytes.Cut(r.ex.uri, []byte("?"))
		query, overrideQuery = q, true
		if r.ex.uriPath {
			buf = append(buf, path...)
		} else {
			buf = h.path.Append(buf, source{r}, ctxvar.PathEscape)
		}
	} else {
		buf = h.path.Append(buf, source{r}, ctxvar.PathEscape)
	}
	if len(buf) == 0 {
		buf = append(buf, '/')
	}
	r.scratch = buf

	// Forwarding headers are computed from the client-facing request before it is re-pointed at the backend.
	fwd := proxy.Forwarded{Peer: r.Peer, Proto: r.Scheme, RequestID: r.requestID}
	proxy.PrepareRequest(&req.Header, &fwd, r.ex.reqFieldsSet)
	h.target.Prepare(req, buf)
	if overrideQuery {
		req.URI().SetQueryStringBytes(query)
	}

	if err := h.target.Do(req, &ctx.Response); err != nil {
		status, code := proxy.Failure(err)
		s.log.Warn("backend call failed", "requestId", string(r.requestID), "service", s.ServiceID,
			"stage", s.Name, "backend", h.target.URL, "error", err)
		WriteError(ctx, status, code, backendMessage(code), r.requestID)
		return false
	}
	proxy.StripResponse(&ctx.Response.Header)
	return true
}

func backendMessage(code string) string {
	switch code {
	case CodeBackendTimeout:
		return "the backend did not answer in time"
	case CodeBackendTooLarge:
		return "the backend response is larger than the gateway allows"
	case CodeBackendBusy:
		return "the backend has no free connection"
	case CodeBackendCircuitOpen:
		return "the backend keeps timing out; requests to it are refused for a while"
	}
	return "the backend could not be reached"
}
