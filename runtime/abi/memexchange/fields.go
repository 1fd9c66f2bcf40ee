package memexchange

import (
	"bytes"
	"net/http"
	"slices"
)

// field is one header or trailer line. Names are kept in lower case: header names are case-insensitive and the
// ABI hands them to plugins in lower case.
type field struct{ name, value []byte }

// fields is an ordered header list. Its element slices are reused across resets, so a reused Exchange reaches a
// steady state without allocating.
type fields []field

func (f fields) appendNames(dst []byte) ([]byte, int) {
	count := 0
	for i := range f {
		if f.firstIndex(f[i].name) != i {
			continue // each name once
		}
		dst = append(append(dst, f[i].name...), 0)
		count++
	}
	return dst, count
}

func (f fields) appendValues(name, dst []byte) ([]byte, int) {
	count := 0
	for i := range f {
		if equalFold(f[i].name, name) {
			dst = append(append(dst, f[i].value...), 0)
			count++
		}
	}
	return dst, count
}

func (f fields) firstIndex(name []byte) int {
	for i := range f {
		if equalFold(f[i].name, name) {
			return i
		}
	}
	return -1
}

func (f *fields) add(name, value []byte) {
	n := len(*f)
	if n < cap(*f) {
		*f = (*f)[:n+1]
	} else {
		*f = append(*f, field{})
	}
	e := &(*f)[n]
	e.name = appendLower(e.name[:0], name)
	e.value = append(e.value[:0], value...)
}

func (f *fields) set(name, value []byte) {
	f.del(name)
	f.add(name, value)
}

// del removes every line named name, keeping the order of the others. The removed elements' buffers move to the
// tail so that later adds reuse them.
func (f *fields) del(name []byte) {
	s := *f
	kept := 0
	for i := range s {
		if equalFold(s[i].name, name) {
			continue
		}
		s[kept], s[i] = s[i], s[kept]
		kept++
	}
	*f = s[:kept]
}

func (f *fields) reset() { *f = (*f)[:0] }

// load replaces the list with h, names sorted so that a map's random order never leaks into results.
func (f *fields) load(h http.Header) {
	f.reset()
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range h[name] {
			f.add([]byte(name), []byte(v))
		}
	}
}

// header converts the list to an http.Header (canonical keys).
func (f fields) header() http.Header {
	h := make(http.Header, len(f))
	for _, e := range f {
		h.Add(string(e.name), string(e.value))
	}
	return h
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

func equalFold(a, b []byte) bool { return len(a) == len(b) && bytes.EqualFold(a, b) }
