package router

import "bytes"

// MaxRequestPathLength bounds the raw (percent-encoded) request path Lookup accepts; a longer one is BadPath. The
// bound keeps a Params buffer small and lets segment offsets fit in 16 bits.
const MaxRequestPathLength = 8 << 10

// maxVars bounds the variables one matched route can bind: a resource path is at most MaxPathLength characters and
// each variable takes at least four of them ("/{a}"). A fixed array of this size keeps Params free of per-request
// allocations.
const maxVars = MaxPathLength/4 + 1

// span is where one decoded segment, or one variable value, lies in Params.buf.
type span struct{ lo, hi uint16 }

// Params holds the decoded request path and the variable values bound by the last Lookup.
//
// A Params is used by one request at a time: Lookup overwrites it, and the slices Value returns alias its buffer, so
// they are valid only until the next Lookup or Reset on the same Params. Copy a value to keep it longer. A Params
// never refers to the caller's raw path (it decodes into its own buffer), so reusing it through a sync.Pool after the
// request is done is safe. The zero value is ready to use; NewParams preallocates so that even the first Lookup does
// not allocate for ordinary paths.
type Params struct {
	buf  []byte // decoded segments joined by '/'
	segs []span // where each decoded segment lies in buf
	vals [maxVars]span
	n    int
}

// NewParams returns a Params with buffers sized for typical request paths; they grow (once) for longer ones.
func NewParams() *Params {
	return &Params{buf: make([]byte, 0, 512), segs: make([]span, 0, 32)}
}

// Reset forgets the last lookup; the buffers are kept for reuse.
func (p *Params) Reset() {
	p.buf = p.buf[:0]
	p.segs = p.segs[:0]
	p.n = 0
}

// Len is the number of variable values bound: len(route.Vars) after a Found or MethodNotFound lookup, else 0.
func (p *Params) Len() int { return p.n }

// Value is the percent-decoded value of the i-th variable the matched path declares (the order of RouteInfo.Vars).
// A greedy {name+} value is its decoded segments joined by '/'. The slice has no spare capacity, so appending to it
// never overwrites the Params buffer. It panics if i is not in [0, Len()).
func (p *Params) Value(i int) []byte {
	s := p.vals[:p.n][i]
	return p.buf[s.lo:s.hi:s.hi]
}

// seg is the i-th decoded request segment.
func (p *Params) seg(i int) []byte {
	s := p.segs[i]
	return p.buf[s.lo:s.hi]
}

// split decodes raw into p's buffer and records where each segment lies. It returns BadPath for a path that is
// malformed or unsafe (bad escape, a "." or ".." segment, too long), NotFound for one with an empty segment (no
// resource can match it), else Found. Every segment is validated before an empty one is reported, so a malformed
// path is always BadPath whatever else is wrong with it.
//
// Decoded segments are stored joined by '/', so the rest of the path from any segment on is one contiguous slice:
// the value of a greedy variable.
func (p *Params) split(raw []byte) Status {
	p.Reset()
	if len(raw) == 0 || raw[0] != '/' || len(raw) > MaxRequestPathLength {
		return BadPath
	}
	// One trailing slash is ignored ("/products/" is "/products"), but not the second slash of "//", which is an
	// empty segment after the root rather than a trailing slash on it.
	if len(raw) > 2 && raw[len(raw)-1] == '/' {
		raw = raw[:len(raw)-1]
	}
	if len(raw) == 1 {
		return Found // the root: no segments
	}
	if cap(p.buf) < len(raw) {
		// Decoding never lengthens a segment, so one allocation covers the whole path.
		p.buf = make([]byte, 0, max(len(raw), 512))
	}
	if bytes.IndexByte(raw, '%') < 0 {
		return p.splitPlain(raw)
	}
	return p.splitEncoded(raw)
}

// splitPlain handles the common path without escapes: it is its own decoding, so it is copied in one go and only
// scanned for slashes. Dots are looked for once in the whole path (most paths have none, or only in a last
// "file.ext" segment); the inner loop does nothing but find the next '/', because anything more made the compiler
// shuffle registers on every byte and tripled the cost.
func (p *Params) splitPlain(raw []byte) Status {
	buf := append(p.buf[:0], raw[1:]...)
	dots := bytes.IndexByte(buf, '.') >= 0
	segs, empty := p.segs[:0], false
	for lo := 0; ; {
		i := lo
		for i < len(buf) && buf[i] != '/' {
			i++
		}
		if i == lo {
			empty = true
		} else if dots && i-lo <= 2 && hasDotPiece(buf[lo:i]) {
			return p.bad(segs)
		}
		segs = append(segs, span{uint16(lo), uint16(i)})
		if i == len(buf) {
			break
		}
		lo = i + 1
	}
	p.buf, p.segs = buf, segs
	if empty {
		return NotFound
	}
	return Found
}

// splitEncoded handles a path with escapes, byte by byte: segments are split on the raw bytes (so an encoded slash
// stays inside its segment) while they are decoded. Decoding writes at n, never ahead of the raw byte being read, so
// the buffer needs no growth checks. (Finding each segment first and decoding it in a helper measured slower: the
// paths are short and the per-segment calls dominate.)
func (p *Params) splitEncoded(raw []byte) Status {
	buf, n := p.buf[:len(raw)], 0
	segs, empty := p.segs[:0], false
	for i := 1; ; i++ { // i is the start of a segment in raw
		lo, dot := n, false
		for ; i < len(raw); i++ {
			c := raw[i]
			if c == '/' {
				break
			}
			if c == '%' {
				if i+2 >= len(raw) {
					return p.bad(segs)
				}
				h, l := unhex(raw[i+1]), unhex(raw[i+2])
				if h|l > 0xf {
					return p.bad(segs)
				}
				c = h<<4 | l
				i += 2
			}
			dot = dot || c == '.'
			buf[n] = c
			n++
		}
		if n == lo {
			empty = true
		} else if dot && hasDotPiece(buf[lo:n]) {
			return p.bad(segs)
		}
		segs = append(segs, span{uint16(lo), uint16(n)})
		if i >= len(raw) {
			break
		}
		buf[n] = '/'
		n++
	}
	p.buf, p.segs = buf[:n], segs
	if empty {
		return NotFound
	}
	return Found
}

// bad keeps a grown segs slice for the next request and reports BadPath.
func (p *Params) bad(segs []span) Status {
	p.segs = segs[:0]
	return BadPath
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}

// hasDotPiece reports whether a decoded segment, split at the slashes it may contain (from %2F), has a "." or ".."
// piece. Such a segment is rejected even though %2F never splits it for routing: a variable's value is expanded into
// a backend path, and "a%2F..%2Fb" there would climb out of the backend base path.
func hasDotPiece(s []byte) bool {
	for len(s) > 0 {
		piece := s
		if i := bytes.IndexByte(s, '/'); i >= 0 {
			piece, s = s[:i], s[i+1:]
		} else {
			s = nil
		}
		if len(piece) == 1 && piece[0] == '.' || len(piece) == 2 && piece[0] == '.' && piece[1] == '.' {
			return true
		}
	}
	return false
}
