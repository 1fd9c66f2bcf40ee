// Package reply writes the gateway's JSON error responses from a plugin, through the ABI only:
// {"error":{"code":"…","message":"…","requestId":"…"}}, the body every response the gateway makes itself carries.
package reply

import (
	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/errbody"
)

var (
	contentType = []byte("content-type")
	jsonType    = []byte("application/json")
	requestID   = []byte("request.id")
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
