package router

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

// Method slots: the seven methods of the console model, then ANY. A resource keeps one value per slot in an array,
// so selecting the method costs a switch and an index, not a map lookup.
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

// requestSlot maps a request method to its slot, or -1. A request cannot ask for ANY: "ANY" on the wire is just an
// unknown method. Unknown methods (TRACE, CONNECT, …) do not fall back to ANY either: the gateway only serves the
// seven methods it models, so such a request gets MethodNotFound instead of reaching a backend. Matching is
// case-sensitive, as HTTP methods are.
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

// Router matches a request method and path to a route. It is immutable once built, so any number of goroutines
// may call Lookup concurrently.
type Router[T any] struct {
	root *node[T]
}

// smallStatic is the largest static fan-out kept as a slice: comparing a few short strings beats hashing one, and
// above this a map keeps the cost flat however many siblings there are (e.g. thousands of first-level paths).
const smallStatic = 8

// node is one level of the compiled resource tree. Build lays nodes, edges, key bytes and resources out in
// depth-first order in a few large slices, so that the walk for one request stays within a few cache lines instead
// of chasing pointers across the heap: with thousands of routes the tree no longer fits in L2, and cache misses, not
// comparisons, are what would make lookups slower as routes grow.
type node[T any] struct {
	edges  []edge[T]           // static children when there are at most smallStatic of them
	byKey  map[string]*node[T] // static children when there are more
	param  *node[T]            // the {var} child
	greedy *node[T]            // the {var+} child; it has no children of its own
	res    *resource[T]        // nil when the path has no methods: such a node never matches
}

// edge is one static child: the decoded segment it matches and the node it leads to.
type edge[T any] struct {
	key   string
	child *node[T]
}

// resource is a path that has at least one method. It is kept small (the routes live in their own slab) because
// it is the last thing every lookup touches, and with thousands of routes it is rarely in cache.
type resource[T any] struct {
	has    uint8           // bit i set when slot i has a route
	idx    [numSlots]uint8 // for each slot in has, its index in routes
	routes []route[T]      // in slot order
	info   RouteInfo       // Method "", returned with MethodNotFound
}

// route is one (path, method) and its value.
type route[T any] struct {
	info RouteInfo
	val  T
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
	res := r.root.match(p, 0, 0)
	if res == nil {
		p.n = 0
		return v, nil, NotFound
	}
	slot := requestSlot(method)
	if slot >= 0 && res.has&(1<<slot) == 0 {
		slot = -1
		if res.has&(1<<slotANY) != 0 {
			slot = slotANY
		}
	}
	if slot < 0 {
		return v, &res.info, MethodNotFound
	}
	rt := &res.routes[res.idx[slot]]
	return rt.val, &rt.info, Found
}

// match finds the first resource, in precedence order, that matches segments i… of p, given that nv variables are
// bound so far. It records values in p.vals as it descends; a failed branch's values are simply overwritten by the
// next one. Every tree node is visited at most once per lookup (a child is only reached from its one parent, at one
// segment index), so backtracking costs at most the size of the tree, never more.
func (n *node[T]) match(p *Params, i, nv int) *resource[T] {
	if i == len(p.segs) {
		if n.res != nil {
			p.n = nv
		}
		return n.res
	}
	if c := n.static(p.seg(i)); c != nil {
		if res := c.match(p, i+1, nv); res != nil {
			return res
		}
	}
	if n.param != nil {
		p.vals[nv] = p.segs[i]
		if res := n.param.match(p, i+1, nv+1); res != nil {
			return res
		}
	}
	if g := n.greedy; g != nil && g.res != nil {
		// The decoded segments are stored joined by '/', so the rest of the path is one contiguous slice.
		p.vals[nv] = span{p.segs[i].lo, p.segs[len(p.segs)-1].hi}
		p.n = nv + 1
		return g.res
	}
	return nil
}

// static returns the static child for a decoded segment, or nil. Neither form allocates: the compiler turns
// string(seg) in a comparison or a map index into a view of the bytes.
func (n *node[T]) static(seg []byte) *node[T] {
	if n.byKey != nil {
		return n.byKey[string(seg)]
	}
	for i := range n.edges {
		if e := &n.edges[i]; e.key == string(seg) {
			return e.child
		}
	}
	return nil
}
