// Package reply writes the gateway's JSON error responses from a plugin, through the ABI only:
// {"error":{"code":"…","message":"…","requestId":"…"}}, the body every response the gateway makes itself carries.
package reply

import (
	"strconv"
	"time"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/errbody"
)

var (
	contentType = []byte("content-type")
	jsonType    = []byte("application/json")
	requestID   = []byte("request.id")
	retryAfter  = []byte("retry-after")
)

// Error answers the request with status and a JSON error body. The caller returns next=false from HandleRequest.
func Error(ex abi.Exchange, status uint32, code, message string) {
	var idBuf [64]byte
	id, _ := ex.ContextVar(requestID, idBuf[:0])
	b := errbody.Append(make([]byte, 0, 256), code, message, id)
	_ = ex.SetStatusCode(status)
	_ = ex.SetHeader(abi.HeaderResponse, contentType, jsonType)
	_ = ex.WriteBody(abi.BodyResponse, b)
}

// RetryAfter sets Retry-After to d in whole seconds, rounded up and at least 1 (a refusal's "try again in 0
// seconds" would invite an immediate retry that is refused again).
func RetryAfter(ex abi.Exchange, d time.Duration) {
	secs := max(int64((d+time.Second-1)/time.Second), 1)
	var b [20]byte
	_ = ex.SetHeader(abi.HeaderResponse, retryAfter, strconv.AppendInt(b[:0], secs, 10))
}
