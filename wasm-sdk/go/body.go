package portico

import (
	"io"
	"unsafe"
)

// Body is a request or response body. Each handler call reads it from its start, and reads continue where the
// previous one stopped (read_body is a stream); the first write in a handler call replaces the body and later
// writes in the same call append (write_body).
type Body struct{ kind bodyKind }

var (
	_ io.Reader       = Body{}
	_ io.Writer       = Body{}
	_ io.StringWriter = Body{}
)

// Read reads the next bytes of the body. It returns io.EOF, possibly together with the last bytes, at the end.
func (b Body) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil // read_body with buf_limit 0 traps
	}
	r := readBody(b.kind, p)
	n := int(uint32(r))
	if r>>32 != 0 {
		return n, io.EOF
	}
	return n, nil
}

// ReadAll reads the rest of the body.
func (b Body) ReadAll() []byte {
	var out []byte
	for {
		r := readBody(b.kind, scratch)
		out = append(out, scratch[:uint32(r)]...)
		if r>>32 != 0 {
			return out
		}
	}
}

// Write writes p to the body; it never fails (the host traps on a body it cannot take).
func (b Body) Write(p []byte) (int, error) {
	writeBody(b.kind, p)
	return len(p), nil
}

// WriteString is Write for a string, without copying it.
func (b Body) WriteString(s string) (int, error) {
	writeBody(b.kind, unsafe.Slice(unsafe.StringData(s), len(s)))
	return len(s), nil
}
