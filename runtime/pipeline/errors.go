package pipeline

import (
	"github.com/valyala/fasthttp"

	"github.com/portico-gateway/portico/runtime/errbody"
)

// Stable codes of the errors the gateway answers itself (documented in docs/errors.md).
const (
	CodeUnknownHost        = "unknown_host"
	CodeRouteNotFound      = "route_not_found"
	CodeMethodNotFound     = "method_not_found"
	CodeBadPath            = "bad_path"
	CodeBadRequest         = "bad_request"
	CodeBodyTooLarge       = "request_body_too_large"
	CodeNotReady           = "not_ready"
	CodeInternal           = "internal"
	CodeBackendTimeout     = "backend_timeout"
	CodeBackendUnavailable = "backend_unavailable"
	CodeBackendTooLarge    = "backend_response_too_large"
	CodeBackendBusy        = "backend_busy"
	CodeBackendCircuitOpen = "backend_circuit_open"
)

// HeaderRequestID is set on every response and forwarded to backends.
const HeaderRequestID = "x-request-id"

// WriteError replaces the response with the gateway's JSON error body:
// {"error":{"code":"…","message":"…","requestId":"…"}}. It does not allocate beyond the response buffer.
func WriteError(ctx *fasthttp.RequestCtx, status int, code, message string, requestID []byte) {
	resp := &ctx.Response
	resp.Reset()
	resp.SetStatusCode(status)
	resp.Header.SetContentType("application/json")
	if len(requestID) > 0 {
		resp.Header.SetBytesV(HeaderRequestID, requestID)
	}
	var scratch [512]byte
	b := errbody.Append(scratch[:0], code, message, requestID)
	resp.SetBody(b)
}
