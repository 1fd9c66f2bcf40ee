//go:build !wasip1

package porticotest

import "strings"

// Header is a fake header set: lower-case names to values. Names given in another case are folded when a handler
// starts.
type Header map[string][]string

// Get returns the first value of the named field, "" if absent.
func (h Header) Get(name string) string {
	if v := h[strings.ToLower(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns every value of the named field.
func (h Header) Values(name string) []string { return h[strings.ToLower(name)] }

func (h Header) normalized() Header {
	for n := range h {
		if n != strings.ToLower(n) {
			out := make(Header, len(h))
			for n, v := range h {
				l := strings.ToLower(n)
				out[l] = append(out[l], v...)
			}
			return out
		}
	}
	return h
}
