package portico

// Most getters follow the ABI's probing protocol: the host returns the value's length and writes the value only if
// it fits in buf_limit; otherwise the guest calls again with a buffer that large. The SDK probes with one
// package-level scratch buffer (an instance serves one request at a time, so there is no concurrent use) and
// converts or copies the result before the next host call.

const (
	scratchInitial = 1024
	// scratchMax bounds the reusable buffer so one large value does not pin memory for the instance's lifetime;
	// larger values get a buffer of their own.
	scratchMax = 64 << 10
)

var scratch = make([]byte, scratchInitial)

// probe returns the value get writes. The result aliases scratch when it fits there: use it before the next host
// call.
func probe(get func(buf []byte) uint32) []byte {
	buf := scratch
	for {
		n := get(buf)
		if int(n) <= len(buf) {
			return buf[:n]
		}
		buf = bufFor(int(n))
	}
}

// probeCount is probe for functions that return count<<32|len (NUL-terminated lists) or found<<32|len.
func probeCount(get func(buf []byte) uint64) (b []byte, hi uint32) {
	buf := scratch
	for {
		r := get(buf)
		n := uint32(r)
		if int(n) <= len(buf) {
			return buf[:n], uint32(r >> 32)
		}
		buf = bufFor(int(n))
	}
}

// bufFor returns a buffer of at least n bytes: the grown scratch buffer, or a one-off one above scratchMax.
func bufFor(n int) []byte {
	if n > scratchMax {
		return make([]byte, n)
	}
	size := len(scratch)
	for size < n {
		size *= 2
	}
	scratch = make([]byte, size)
	return scratch
}

// probeString is probe converted to a string.
func probeString(get func(buf []byte) uint32) string { return string(probe(get)) }

// probeCopy is probe copied into a slice the caller owns; nil for an empty value.
func probeCopy(get func(buf []byte) uint32) []byte {
	b := probe(get)
	if len(b) == 0 {
		return nil
	}
	if len(b) > scratchMax {
		return b // a one-off buffer already
	}
	return append([]byte(nil), b...)
}

// splitNUL splits a sequence of count NUL-terminated strings. Malformed input (a missing final NUL, a count that
// does not match) yields the strings that are there.
func splitNUL(b []byte, count uint32) []string {
	if count == 0 || len(b) == 0 {
		return nil
	}
	out := make([]string, 0, count)
	start := 0
	for i, c := range b {
		if c == 0 {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	if start < len(b) {
		out = append(out, string(b[start:]))
	}
	return out
}

// firstNUL returns the first of a sequence of NUL-terminated strings.
func firstNUL(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
