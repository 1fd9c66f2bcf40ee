package hmac

import (
	"github.com/portico-gateway/portico/runtime/abi"
)

// appendSignToString appends the seed's SignToString of the request to dst:
//
//	[HTTP method]\n
//	[request URL: path and query as the client sent it]\n
//	[x-nhn-date value]\n
//	[header1-name]:[value1]\n
//	[header2-name]:[value1,value2…]\n
//
// one header line per name of headers="…", in the order listed, the name in lower case, the values of a header
// sent several times joined by commas with no space, each line (the last one too) ending in "\n". A listed header
// the request does not carry is left out, line and all (the seed's rule). Values are taken as the request carries
// them; a header value with commas of its own is signed as it is.
//
// The seed's worked example is inconsistent with its own rules in two ways, and the rules win:
//   - Its request shows "Host: http://kr1-example.api.nhncloudservice.com" but its SignToString signs
//     "host:kr1-example.api.nhncloudservice.com". A Host header never carries a scheme (RFC 9110 §7.2), so the
//     request line is a typo for "Host: kr1-example.api.nhncloudservice.com"; the value signed is the Host header as
//     received, and the SignToString line agrees with that.
//   - Its SignToString shows "x-nhn-client-id: nhn" and "x-nhn-client-ip: 10.0.0.1,10.0.0.2" with a space after the
//     colon, right under "host:…" without one, while the rules say "header name and value are separated by a colon
//     … without any whitespace". Portico signs "x-nhn-client-id:nhn": no space, as the rules say and as the host
//     line shows. A client that copies the example's spacing gets hmac_signature.
//
// scratch receives header values; the result is dst and the (possibly grown) scratch.
func appendSignToString(dst, scratch []byte, ex abi.Exchange, date, headerList []byte) (out, scratchOut []byte) {
	dst = append(dst, ex.Method()...)
	dst = append(dst, '\n')
	dst = append(dst, ex.URI()...)
	dst = append(dst, '\n')
	dst = append(dst, date...)
	dst = append(dst, '\n')
	it := newNames(headerList)
	for {
		name, ok := it.next()
		if !ok {
			break
		}
		var n int
		scratch, n = ex.AppendHeaderValues(abi.HeaderRequest, name, scratch[:0])
		if n == 0 {
			continue
		}
		dst = appendLower(dst, name)
		dst = append(dst, ':')
		// Values come NUL-terminated; a NUL never occurs inside a value (the ABI forbids it), so each one becomes
		// a comma, the last one the line's end.
		start := len(dst)
		dst = append(dst, scratch...)
		for i := start; i < len(dst); i++ {
			if dst[i] == 0 {
				dst[i] = ','
			}
		}
		dst[len(dst)-1] = '\n'
	}
	return dst, scratch
}

func appendLower(dst, s []byte) []byte {
	for _, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
