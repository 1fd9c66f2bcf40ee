package proxy

import (
	"bytes"
	"net/netip"

	"github.com/valyala/fasthttp"
)

// hopByHop are the headers of RFC 9110 §7.6.1 that describe one connection, not the message; a proxy must not
// forward them. Trailer is not among them: it announces the message's trailer fields, which fasthttp keeps in
// their own section and forwards (chunked) when the field is kept.
var hopByHop = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Transfer-Encoding", "Upgrade",
}

// Forwarded is what the gateway tells a backend about the client side of a request.
type Forwarded struct {
	Peer      netip.Addr // the address the request came from, appended to X-Forwarded-For when valid
	Proto     string     // X-Forwarded-Proto: the scheme the client used
	RequestID []byte     // X-Request-Id
}

var (
	headerXFF       = []byte("X-Forwarded-For")
	headerXFH       = []byte("X-Forwarded-Host")
	headerXFP       = []byte("X-Forwarded-Proto")
	headerRequestID = []byte("X-Request-Id")
)

// Fields PrepareRequest looks for, as bits.
const (
	SeenHopByHop = 1 << iota
	seenXFF
	seenXFH
	seenXFP
	seenRequestID
)

// PrepareRequest readies a client request for its backend: it removes hop-by-hop fields (and those the Connection
// field names), appends f.Peer to X-Forwarded-For, and sets X-Forwarded-Host (the client's Host), X-Forwarded-Proto
// and X-Request-Id, replacing every line of those the client sent. Call it before Target.Prepare changes the Host.
//
// touched are the Classify bits of the request fields a plugin set or added (0 when none did). Most requests carry
// none of these fields: one pass over the field names as received, plus touched, proves it, and the new fields are
// then appended without the scan each Set or Del makes. The pass reads the raw header block rather than
// RequestHeader.All, which would parse the Cookie field and forward it re-serialised (quotes dropped, invalid
// cookies removed) instead of as the client sent it.
func PrepareRequest(h *fasthttp.RequestHeader, f *Forwarded, touched int) {
	seen := touched
	if raw := h.RawHeaders(); len(raw) > 0 {
		seen |= classifyRaw(raw)
	} else {
		seen = ^0 // built in code, not read from a client: take the path that assumes every field may be there
	}
	if seen&SeenHopByHop != 0 {
		stripRequest(h)
	}
	h.ResetConnectionClose()
	if f.Peer.IsValid() {
		var buf [256]byte
		v := buf[:0]
		if seen&seenXFF != 0 {
			// Every line counts, in order, as one list (RFC 9110 §5.3); the copy is made before the lines are deleted.
			for _, line := range h.PeekAll(fasthttp.HeaderXForwardedFor) {
				if line = bytes.TrimSpace(line); len(line) > 0 {
					v = append(append(v, line...), ", "...)
				}
			}
			h.DelBytes(headerXFF)
		}
		h.AddBytesKV(headerXFF, f.Peer.AppendTo(v))
	}
	replace(h, headerXFH, h.Host(), seen&seenXFH != 0)
	if seen&seenXFP != 0 {
		h.DelBytes(headerXFP)
	}
	h.AddBytesK(headerXFP, f.Proto)
	replace(h, headerRequestID, f.RequestID, seen&seenRequestID != 0)
}

// replace sets name to value, deleting every line of it first when the request may have one.
func replace(h *fasthttp.RequestHeader, name, value []byte, present bool) {
	if present {
		h.DelBytes(name)
	}
	h.AddBytesKV(name, value)
}

// classifyRaw ORs the Classify bits of the field names in a raw header block ("Name: value" lines).
func classifyRaw(raw []byte) int {
	seen := 0
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if i := bytes.IndexByte(line, ':'); i > 0 {
			seen |= Classify(bytes.TrimRight(line[:i], " \t"))
		}
	}
	return seen
}

// Classify returns the bit of a request field name (any case) PrepareRequest handles: SeenHopByHop for a hop-by-hop
// field, another non-zero bit for a forwarding field, 0 for any other name.
func Classify(name []byte) int {
	switch len(name) {
	case 12:
		if bytes.EqualFold(name, headerRequestID) {
			return seenRequestID
		}
		return 0
	case 15:
		if bytes.EqualFold(name, headerXFF) {
			return seenXFF
		}
		return 0
	case 16:
		if bytes.EqualFold(name, headerXFH) {
			return seenXFH
		}
	case 17:
		if bytes.EqualFold(name, headerXFP) {
			return seenXFP
		}
	}
	if isHopByHop(name) {
		return SeenHopByHop
	}
	return 0
}

// stripRequest removes hop-by-hop headers, including those the Connection header names, from a request about to be
// forwarded, and clears fasthttp's connection-close flag so the backend connection is kept alive.
func stripRequest(h *fasthttp.RequestHeader) {
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
