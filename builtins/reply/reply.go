// Package reply writes the gateway's JSON error responses from a plugin, through the ABI only:
// {"error":{"code":"…","message":"…","requestId":"…"}}, the body every response the gateway makes itself carries.
package reply

import (
	"github.com/portico-gateway/portico/runtime/abi"
)

var (
	contentType = []byte("content-type")
	jsonType    = []byte("application/json")
	requestID   = []byte("request.id")
)

// Error answers the request with status and a JSON error body. The caller returns next=false from HandleRequest.
func Error(ex abi.Exchange, status uint32, code, message string) {
	var buf [512]byte
	b := append(buf[:0], `{"error":{"code":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, message)
	b = append(b, `,"requestId":`...)
	var idBuf [64]byte
	id, _ := ex.ContextVar(requestID, idBuf[:0])
	b = appendJSONString(b, id)
	b = append(b, "}}\n"...)
	_ = ex.SetStatusCode(status)
	_ = ex.SetHeader(abi.HeaderResponse, contentType, jsonType)
	_ = ex.WriteBody(abi.BodyResponse, b)
}

const hex = "0123456789abcdef"

func appendJSONString[T string | []byte](b []byte, s T) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
