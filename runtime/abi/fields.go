package abi

// ValidToken reports whether b is a non-empty RFC 9110 token, as header names and methods must be. Every Exchange
// refuses a name or method that is not one with ErrInvalid.
func ValidToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenChar[c] {
			return false
		}
	}
	return true
}

// tokenChar marks the bytes a token may hold: visible ASCII except the delimiters.
var tokenChar = func() (t [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range []byte(`"(),/:;<=>?@[\]{}`) {
		t[c] = false
	}
	return t
}()

// ValidValue reports whether b may be a header value: no CR, LF or NUL, which would let it end its line and start
// another header. A plain loop: bytes.ContainsAny builds its byte set on every call, which costs more than the scan,
// and every plugin header write passes here.
func ValidValue(b []byte) bool {
	for _, c := range b {
		if c <= '\r' && (c == '\r' || c == '\n' || c == 0) {
			return false
		}
	}
	return true
}
