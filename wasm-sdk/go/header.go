package portico

// Header is one set of header fields: request or response headers or trailers. Names are case-insensitive;
// the host reports them in lower case. Values must not contain CR, LF or NUL and names must be valid tokens:
// anything else traps.
type Header struct{ kind headerKind }

// Names returns the distinct field names, lower case (get_header_names).
func (h Header) Names() []string {
	b, count := probeCount(func(buf []byte) uint64 { return getHeaderNames(h.kind, buf) })
	return splitNUL(b, count)
}

// Get returns the first value of the named field and whether the field is present (get_header_values).
func (h Header) Get(name string) (string, bool) {
	b, count := probeCount(func(buf []byte) uint64 { return getHeaderValues(h.kind, name, buf) })
	if count == 0 {
		return "", false
	}
	return firstNUL(b), true
}

// GetAll returns every value of the named field, in order (get_header_values).
func (h Header) GetAll(name string) []string {
	b, count := probeCount(func(buf []byte) uint64 { return getHeaderValues(h.kind, name, buf) })
	return splitNUL(b, count)
}

// Set replaces every value of the named field with value, adding the field if absent (set_header_value).
func (h Header) Set(name, value string) { setHeaderValue(h.kind, name, value) }

// Add adds a value to the named field (add_header_value).
func (h Header) Add(name, value string) { addHeaderValue(h.kind, name, value) }

// Remove removes the named field (remove_header); removing an absent field does nothing.
func (h Header) Remove(name string) { removeHeader(h.kind, name) }
