package router

import (
	"hash/maphash"
	"math/bits"
)

// Status is the outcome of a Lookup.
type Status uint8

const (
	// NotFound: no resource path matches (the zero value, so a forgotten status never reads as a match).
	NotFound Status = iota
	// Found: a resource matches and has the method, or ANY.
	Found
	// MethodNotFound: a resource matches but has neither the method nor ANY; Lookup still returns its RouteInfo.
	MethodNotFound
	// BadPath: the request path is malformed or unsafe (bad escape, "." or ".." segment, too long).
	BadPath
)

func (s Status) String() string {
	switch s {
	case NotFound:
		return "NotFound"
	case Found:
		return "Found"
	case MethodNotFound:
		return "MethodNotFound"
	case BadPath:
		return "BadPath"
	}
	return "Status(?)"
}

// RouteInfo describes a matched route. Lookup returns pointers into the immutable Router: read, never modify.
type RouteInfo struct {
	Path   string   // the resource path template, e.g. "/members/{memberId}"
	Method string   // the method the route was added with (GET, …, ANY); "" for a MethodNotFound result
	Vars   []string // the variable names Path declares, in order; Params.Value(i) is the value of Vars[i]
}

// Method slots: the seven methods of the console model, then ANY. A node records its methods as a bit set over the
// slots, so selecting the method costs a switch, a bit test and a popcount, not a map lookup.
const (
	slotHEAD = iota
	slotOPTIONS
	slotGET
	slotPOST
	slotPUT
	slotDELETE
	slotPATCH
	slotANY
	numSlots
)

var slotNames = [numSlots]string{"HEAD", "OPTIONS", "GET", "POST", "PUT", "DELETE", "PATCH", "ANY"}

// requestSlot maps a request method to its slot, or -1 for another method. Other methods (TRACE, custom ones)
// can only reach a route declared ANY — the extension that means "whatever the method" — and get MethodNotFound
// elsewhere. Matching is case-sensitive, as HTTP methods are.
func requestSlot(m []byte) int {
	switch string(m) { // switch on string(b) does not allocate
	case "GET":
		return slotGET
	case "POST":
		return slotPOST
	case "PUT":
		return slotPUT
	case "DELETE":
		return slotDELETE
	case "PATCH":
		return slotPATCH
	case "HEAD":
		return slotHEAD
	case "OPTIONS":
		return slotOPTIONS
	}
	return -1
}

// Router matches a request method and path to a route. Routers come from Builder.Build (the zero Router is not
// usable) and are immutable, so any number of goroutines may call Lookup concurrently.
type Router[T any] struct {
	tree []byte       // the compiled resource tree; see tree.go
	seed maphash.Seed // of the hash tables of wide levels in tree
	// Per resource: its MethodNotFound info, then one route per method in slot order; vals holds the routes' values
	// at the same indexes (the zero value at a MethodNotFound entry). Apart, because a lookup reads one value but
	// rarely its info: with many routes the values are a dense array that stays in cache, not 64-byte entries.
	infos []RouteInfo
	vals  []T
}

// Lookup matches method and rawPath (the path as sent, percent-encoded, without the query). On Found it returns the
// route's value and RouteInfo, and p holds the variable values; on MethodNotFound it returns the RouteInfo of the
// matched path (and p its values) with a zero value; otherwise route is nil and p.Len() is 0.
//
// Each segment is percent-decoded separately, so %2F never splits a segment. Precedence at every level is static >
// {var} > {var+}, with backtracking: the first path in that order that has any method wins, and its methods decide
// between Found and MethodNotFound. Lookup does not allocate; p must not be nil and must not be shared with another
// request while in use.
func (r *Router[T]) Lookup(method, rawPath []byte, p *Params) (v T, route *RouteInfo, st Status) {
	if st = p.split(rawPath); st != Found {
		return v, nil, st
	}
	off := r.match(0, p, 0, 0)
	if off == noMatch {
		p.n = 0
		return v, nil, NotFound
	}
	h := r.tree[off : off+headerSize]
	has, first := h[hHas], int(le32(h[hRoutes:]))
	slot := requestSlot(method)
	if slot < 0 || has&(1<<slot) == 0 {
		slot = -1
		if has&(1<<slotANY) != 0 && len(method) > 0 {
			slot = slotANY
		}
	}
	if slot < 0 {
		return v, &r.infos[first], MethodNotFound
	}
	// The node's routes are stored in slot order after its MethodNotFound info, so the route for a slot comes after
	// one entry per lower slot the node has.
	i := first + 1 + bits.OnesCount8(has&(1<<slot-1))
	return r.vals[i], &r.infos[i], Found
}
