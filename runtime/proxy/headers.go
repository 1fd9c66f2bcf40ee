package proxy

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// hopByHop are the headers of RFC 9110 §7.6.1 that describe one connection, not the message; a proxy must not
// forward them. Trailer is not among them: it announces the message's trailer fields, which fasthttp keeps in
// their own section and forwards (chunked) when the field is kept.
var hopByHop = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Transfer-Encoding", "Upgrade",
}

// StripRequest removes hop-by-hop headers, including those the Connection header names, from a request about to be
// forwarded, and clears fasthttp's connection-close flag so the backend connection is kept alive.
func StripRequest(h *fasthttp.RequestHeader) {
	h.ResetConnectionClose()
	// Most requests carry no hop-by-hop field: one pass over the names is cheaper than deleting each candidate
	// (every Del normalises its key and scans all fields).
	found := false
	for k := range h.All() {
		if isHopByHop(k) {
			found = true
			break
		}
	}
	if !found {
		return
	}
	if conn := h.Peek(fasthttp.HeaderConnection); len(conn) > 0 {
		// Copy: deleting headers may reuse the storage conn points into.
		var buf [128]byte
		forEachToken(append(buf[:0], conn...), h.DelBytes)
	}
	for _, name := range hopByHop {
		h.Del(name)
	}
	h.ResetConnectionClose()
}

// StripResponse does the same for a backend response before it goes to the client. The client connection's fate is
// the gateway's decision, not the backend's, so the connection-close flag is cleared too.
func StripResponse(h *fasthttp.ResponseHeader) {
	h.ResetConnectionClose()
	found := false
	for k := range h.All() {
		if isHopByHop(k) {
			found = true
			break
		}
	}
	if !found {
		return
	}
	if conn := h.Peek(fasthttp.HeaderConnection); len(conn) > 0 {
		var buf [128]byte
		forEachToken(append(buf[:0], conn...), h.DelBytes)
	}
	for _, name := range hopByHop {
		h.Del(name)
	}
	h.ResetConnectionClose()
}

// isHopByHop reports whether a field name (any case) is one of hopByHop.
func isHopByHop(name []byte) bool {
	switch len(name) {
	case 2, 7, 10, 16, 17, 18, 19:
	default:
		return false
	}
	for _, h := range hopByHop {
		if len(h) == len(name) && bytes.EqualFold(name, []byte(h)) {
			return true
		}
	}
	return false
}

// forEachToken calls fn for each comma-separated, trimmed, non-empty token of v except "close" and "keep-alive",
// which fasthttp handles itself.
func forEachToken(v []byte, fn func([]byte)) {
	for len(v) > 0 {
		var tok []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			tok, v = v[:i], v[i+1:]
		} else {
			tok, v = v, nil
		}
		tok = bytes.TrimSpace(tok)
		if len(tok) == 0 || bytes.EqualFold(tok, []byte("close")) || bytes.EqualFold(tok, []byte("keep-alive")) {
			continue
		}
		fn(tok)
	}
}
