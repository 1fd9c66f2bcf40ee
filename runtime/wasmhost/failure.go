package wasmhost

import (
	"encoding/json"
	"errors"

	"github.com/portico-gateway/portico/runtime/abi"
)

// Error codes of the responses the host makes itself (docs/errors.md).
const (
	codePluginFailed = "plugin_failed"
	msgPluginFailed  = "the plugin failed to process the request"
	codePluginBusy   = "plugin_busy"
	msgPluginBusy    = "the plugin is busy, try again"
)

// Log keys.
const (
	logKeyPlugin    = "plugin"
	logKeyRequestID = "requestId"
)

var errDeadline = errors.New("call deadline exceeded")

// ErrorResponder is implemented by exchanges that can answer a request with the gateway's own error response,
// replacing whatever a plugin wrote (status, body) — the gateway's, with its request ID header. The host uses it
// when a guest fails; other exchanges get the same answer through plain Exchange calls, which cannot take back a
// response body the failed call had already written in the same handler call (the error is appended to it).
type ErrorResponder interface {
	RespondError(status int, code, message string)
}

// respondError answers the request with {"error":{"code","message","requestId"}}. No guest detail (trap text)
// reaches the client; it goes to the log.
func respondError(ex abi.Exchange, status int, code, message string) {
	if r, ok := ex.(ErrorResponder); ok {
		r.RespondError(status, code, message)
		return
	}
	_ = ex.SetStatusCode(uint32(status))
	_ = ex.SetHeader(abi.HeaderResponse, []byte("content-type"), []byte("application/json"))
	type body struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
	}
	b, _ := json.Marshal(struct {
		Error body `json:"error"`
	}{body{code, message, requestID(ex)}})
	_ = ex.WriteBody(abi.BodyResponse, b)
}

// requestID is the request's ID for logs (failure paths only: it allocates).
func requestID(ex abi.Exchange) string {
	id, _ := ex.ContextVar([]byte("request.id"), nil)
	return string(id)
}
