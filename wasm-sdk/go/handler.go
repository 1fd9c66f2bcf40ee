package portico

// RequestHandler runs before the backend (the export handle_request). Return next=true to pass the request on to
// the following plugins and the backend; then HandleResponse's function runs with reqCtx once the response is
// there. Return next=false when the plugin wrote the response itself (status, headers, body): nothing further
// runs and reqCtx is ignored.
type RequestHandler func(req Request, resp Response) (next bool, reqCtx uint32)

// ResponseHandler runs after the backend answered (the export handle_response) for requests whose RequestHandler
// returned next=true, with the reqCtx it returned. isError is true when there is no backend response and resp is
// the gateway's own error response (backend unreachable, timed out…). A plugin bound in the response phase gets
// only this call, with reqCtx 0.
type ResponseHandler func(reqCtx uint32, req Request, resp Response, isError bool)

var (
	requestHandler  RequestHandler
	responseHandler ResponseHandler
)

// HandleRequest registers the request handler. Call it from init. Without one, every request is passed on.
func HandleRequest(fn RequestHandler) { requestHandler = fn }

// HandleResponse registers the response handler. Call it from init. Without one, responses are left alone.
func HandleResponse(fn ResponseHandler) { responseHandler = fn }

// Init registers fn to run once per instance with the binding's config (get_config), during instance
// initialisation — `_initialize`, before the instance serves any request. Call it from init, after the handlers.
// An error fails the instance: it is logged and the module does not load, so a bad config is reported when the
// deployment is made instead of on a request.
func Init(fn func(config []byte) error) { runInit(fn) }

func handleRequest() uint64 {
	if responseHandler == nil {
		// Nothing to do after the backend: Portico gives this instance back to its pool at once instead of holding
		// it for handle_response (other hosts ignore the flag).
		enableFeatures(uint32(featureNoResponse))
	}
	if requestHandler == nil {
		return 1
	}
	next, reqCtx := requestHandler(Request{}, Response{})
	r := uint64(reqCtx) << 32
	if next {
		r |= 1
	}
	return r
}

func handleResponse(reqCtx, isError uint32) {
	if responseHandler != nil {
		responseHandler(reqCtx, Request{}, Response{}, isError != 0)
	}
}
