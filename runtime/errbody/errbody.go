// Package errbody builds the JSON body of every response the gateway makes itself:
// {"error":{"code":"…","message":"…","requestId":"…"}}. The pipeline and the built-in plugins (which reach the
// response only through the plugin ABI) write the same bytes with it.
package errbody

// Append appends the error body to dst.
func Append[T string | []byte](dst []byte, code, message string, requestID T) []byte {
	dst = append(dst, `{"error":{"code":`...)
	dst = appendString(dst, code)
	dst = append(dst, `,"message":`...)
	dst = appendString(dst, message)
	dst = append(dst, `,"requestId":`...)
	dst = appendString(dst, requestID)
	return append(dst, "}}\n"...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string literal.
func appendString[T string | []byte](b []byte, s T) []byte {
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
