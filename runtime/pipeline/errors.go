package pipeline

import (
	"github.com/valyala/fasthttp"
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
	b := append(scratch[:0], `{"error":{"code":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, message)
	b = append(b, `,"requestId":`...)
	b = appendJSONString(b, requestID)
	b = append(b, "}}\n"...)
	resp.SetBody(b)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal.
func appendJSONString[T string | []byte](b []byte, s T) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
