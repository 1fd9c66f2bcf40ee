package portico

import (
	"bytes"
	"errors"
	"strings"
	"time"
	"unsafe"
)

// HeaderField is one header line of an outbound call.
type HeaderField struct {
	Name, Value string
}

// CallRequest is an outbound HTTP request made with HTTPCall.
type CallRequest struct {
	Method  string // "" is GET
	URL     string // absolute http or https URL; its host must be on the binding's allow-list
	Headers []HeaderField
	Body    []byte
	Timeout time.Duration // 0: the host's default; the host caps it at its maximum
}

// CallResponse is the answer to an HTTPCall.
type CallResponse struct {
	StatusCode int
	Headers    []HeaderField // names lower case
	Body       []byte
}

// Header returns the first value of the named response header (case-insensitive).
func (r *CallResponse) Header(name string) (string, bool) {
	for _, f := range r.Headers {
		if strings.EqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// Errors of HTTPCall.
var (
	// ErrNotAllowed: the destination is not on the binding's allow-list (http_call returned -1).
	ErrNotAllowed = errors.New("portico: http_call: destination not allowed")
	// ErrTimeout: no response within the timeout (-2).
	ErrTimeout = errors.New("portico: http_call: timeout")
	// ErrCallFailed: the call failed — connection refused, TLS, a response over the host's size limit, a request
	// the host refused… (-3).
	ErrCallFailed = errors.New("portico: http_call: failed")
	// ErrInvalidHeader: a header field the request cannot carry (a name that is not a token, CR, LF or NUL in the
	// value). Detected by the SDK, before anything is sent.
	ErrInvalidHeader = errors.New("portico: http_call: invalid header field")
)

// HTTPCall makes an outbound HTTP request to a destination on the binding's allow-list and waits for the whole
// response (http_call); redirects are not followed. The time spent waiting for the network does not count toward
// the handler's deadline; req.Timeout bounds it.
func HTTPCall(req CallRequest) (CallResponse, error) {
	hdr, err := encodeHeaders(req.Headers)
	if err != nil {
		return CallResponse{}, err
	}
	method := req.Method
	if method == "" {
		method = "GET"
	}
	status := httpCall(method, req.URL, unsafe.String(unsafe.SliceData(hdr), len(hdr)), req.Body, timeoutMillis(req.Timeout))
	switch {
	case status >= 100:
	case status == -1:
		return CallResponse{}, ErrNotAllowed
	case status == -2:
		return CallResponse{}, ErrTimeout
	default:
		return CallResponse{}, ErrCallFailed
	}
	resp := CallResponse{StatusCode: int(status)}
	resp.Headers = parseHeaderLines(probe(httpCallResponseHeaders))
	resp.Body = probeCopy(httpCallResponseBody)
	return resp, nil
}

func timeoutMillis(d time.Duration) int32 {
	switch {
	case d <= 0:
		return 0
	case d >= time.Duration(1<<31-1)*time.Millisecond:
		return 1<<31 - 1
	}
	return int32((d + time.Millisecond - 1) / time.Millisecond)
}

// encodeHeaders writes fields as "name: value\n" lines.
func encodeHeaders(fields []HeaderField) ([]byte, error) {
	n := 0
	for _, f := range fields {
		if !validName(f.Name) || !validValue(f.Value) {
			return nil, ErrInvalidHeader
		}
		n += len(f.Name) + len(f.Value) + 3
	}
	b := make([]byte, 0, n)
	for _, f := range fields {
		b = append(b, f.Name...)
		b = append(b, ':', ' ')
		b = append(b, f.Value...)
		b = append(b, '\n')
	}
	return b, nil
}

// validName reports whether s is an RFC 9110 token, as header names must be.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\r', '\n', 0:
			return false
		}
	}
	return true
}

// parseHeaderLines reads "name: value\n" lines. A line without a colon is skipped; a trailing CR and blanks around
// the value are dropped; names are lower-cased.
func parseHeaderLines(b []byte) []HeaderField {
	var out []HeaderField
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		out = append(out, HeaderField{Name: strings.ToLower(string(line[:colon])), Value: string(bytes.Trim(line[colon+1:], " \t"))})
	}
	return out
}
