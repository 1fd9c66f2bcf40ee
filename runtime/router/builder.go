package router

import (
	"errors"
	"fmt"
	"math/bits"
	"sort"
	"strings"
)

// Errors Add returns (wrapped, with the method and path) so that a deploy can tell the operator which route is wrong.
// A malformed path is reported as a *PathError (errors.Is(err, ErrPath)).
var (
	// ErrMethod: the method is not one of HEAD, OPTIONS, GET, POST, PUT, DELETE, PATCH, ANY (upper case).
	ErrMethod = errors.New("unknown method")
	// ErrDuplicate: the path already has a route for this method.
	ErrDuplicate = errors.New("duplicate route")
	// ErrVarConflict: a sibling variable at the same level has another name (/a/{id} vs /a/{name}); the request
	// could not tell which name its value belongs to.
	ErrVarConflict = errors.New("conflicting variable names")
)

// Builder collects routes and compiles them into a Router. It is not safe for concurrent use; the Router it builds
// is. A failed Add leaves the builder unchanged.
type Builder[T any] struct {
	root *bnode[T]
}

// bnode is the mutable tree node the builder edits; Build compiles it into node.
type bnode[T any] struct {
	prefix     string // the path template up to and including this node, for error messages
	static     map[string]*bnode[T]
	param      *bnode[T]
	paramName  string
	greedy     *bnode[T]
	greedyName string
	path       string // the resource path, set with the first method
	vars       []string
	has        uint8
	vals       [numSlots]T
}

// NewBuilder returns an empty builder.
func NewBuilder[T any]() *Builder[T] {
	return &Builder[T]{root: &bnode[T]{prefix: "/"}}
}

// Add adds the route (method, path) with value v. method is upper case: HEAD, OPTIONS, GET, POST, PUT, DELETE,
// PATCH or ANY (which answers any of the other seven the path has no route for). path is a resource path (see
// ParsePath).
//
// Variables of the same kind at the same level must share a name: /a/{id}/x and /a/{id}/y are fine, /a/{id} and
// /a/{name} are not. A {var} and a {var+} at the same level may differ, since precedence tells them apart (the
// usual /{proxy+} catch-all next to /{id}).
func (b *Builder[T]) Add(method, path string, v T) error {
	slot := -1
	for i, name := range slotNames {
		if name == method {
			slot = i
		}
	}
	if slot < 0 {
		return fmt.Errorf("route %s %s: %w %q", method, path, ErrMethod, method)
	}
	segs, err := ParsePath(path)
	if err != nil {
		return fmt.Errorf("route %s: %w", method, err)
	}
	// Check everything before changing the tree, so that a failed Add leaves no half-built branch behind.
	n := b.root
	for _, s := range segs {
		var sibling string
		switch s.Kind {
		case Static:
			n = n.static[s.Value]
		case Param:
			sibling, n = n.paramName, n.param
		case Greedy:
			sibling, n = n.greedyName, n.greedy
		}
		if n == nil {
			break // the rest of the path is new: nothing below can conflict
		}
		if s.Kind != Static && sibling != s.Value {
			return fmt.Errorf("route %s %s: {%s} conflicts with %s; variables at one level must share a name: %w",
				method, path, s.Value, n.prefix, ErrVarConflict)
		}
	}
	if n != nil && n.has&(1<<slot) != 0 {
		return fmt.Errorf("route %s %s: %w", method, path, ErrDuplicate)
	}

	n = b.root
	for _, s := range segs {
		n = n.child(s)
	}
	n.path, n.vars = path, Vars(segs)
	n.has |= 1 << slot
	n.vals[slot] = v
	return nil
}

// child returns the child for s, creating it.
func (n *bnode[T]) child(s Segment) *bnode[T] {
	sep := "/"
	if n.prefix == "/" {
		sep = ""
	}
	switch s.Kind {
	case Param:
		if n.param == nil {
			n.param, n.paramName = &bnode[T]{prefix: n.prefix + sep + "{" + s.Value + "}"}, s.Value
		}
		return n.param
	case Greedy:
		if n.greedy == nil {
			n.greedy, n.greedyName = &bnode[T]{prefix: n.prefix + sep + "{" + s.Value + "+}"}, s.Value
		}
		return n.greedy
	}
	c := n.static[s.Value]
	if c == nil {
		if n.static == nil {
			n.static = make(map[string]*bnode[T])
		}
		c = &bnode[T]{prefix: n.prefix + sep + s.Value}
		n.static[s.Value] = c
	}
	return c
}

// Build compiles the routes added so far into a Router. The Router shares nothing mutable with the builder, so
// later Adds do not affect it and Build may be called again.
func (b *Builder[T]) Build() *Router[T] {
	// First pass: size the slabs and lay out the key bytes; second pass: fill the slabs in the same order. Slabs are
	// allocated at their final size, so pointers into them stay valid.
	var c compiler[T]
	var keys strings.Builder
	b.root.measure(&c, &keys)
	c.keys = keys.String()
	c.nodes = make([]node[T], 0, c.nnodes)
	c.edges = make([]edge[T], 0, c.nedges)
	c.res = make([]resource[T], 0, c.nres)
	c.routes = make([]route[T], 0, c.nroutes)
	return &Router[T]{root: c.compile(b.root)}
}

type compiler[T any] struct {
	nnodes, nedges, nres, nroutes int
	keys                          string // every static key, in depth-first order
	nodes                         []node[T]
	edges                         []edge[T]
	res                           []resource[T]
	routes                        []route[T]
}

// sortedKeys is n's static children's keys in order, so that both passes (and every build) walk children alike.
func (n *bnode[T]) sortedKeys() []string {
	ks := make([]string, 0, len(n.static))
	for k := range n.static {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (n *bnode[T]) measure(c *compiler[T], keys *strings.Builder) {
	c.nnodes++
	if n.has != 0 {
		c.nres++
		c.nroutes += bits.OnesCount8(n.has)
	}
	ks := n.sortedKeys()
	if len(ks) <= smallStatic {
		c.nedges += len(ks)
	}
	for _, k := range ks {
		keys.WriteString(k)
	}
	for _, k := range ks {
		n.static[k].measure(c, keys)
	}
	if n.param != nil {
		n.param.measure(c, keys)
	}
	if n.greedy != nil {
		n.greedy.measure(c, keys)
	}
}

// compile places n in the slabs (pre-order: a node, then its edges, then its subtrees) and returns its node.
func (c *compiler[T]) compile(n *bnode[T]) *node[T] {
	c.nodes = append(c.nodes, node[T]{})
	nd := &c.nodes[len(c.nodes)-1]
	if n.has != 0 {
		vars := append([]string(nil), n.vars...)
		c.res = append(c.res, resource[T]{has: n.has, info: RouteInfo{Path: n.path, Vars: vars}})
		r := &c.res[len(c.res)-1]
		start := len(c.routes)
		for i, m := range slotNames {
			if n.has&(1<<i) != 0 {
				r.idx[i] = uint8(len(c.routes) - start)
				c.routes = append(c.routes, route[T]{info: RouteInfo{Path: n.path, Method: m, Vars: vars}, val: n.vals[i]})
			}
		}
		r.routes = c.routes[start:len(c.routes):len(c.routes)]
		nd.res = r
	}
	ks := n.sortedKeys()
	var edges []edge[T]
	if len(ks) > smallStatic {
		nd.byKey = make(map[string]*node[T], len(ks))
	} else if len(ks) > 0 {
		start := len(c.edges)
		c.edges = c.edges[:start+len(ks)]
		edges = c.edges[start : start+len(ks) : start+len(ks)]
		nd.edges = edges
	}
	// Keys come from the arena rather than the caller's path strings, so that a level's keys (even a map's) sit
	// together in memory.
	arena := make([]string, len(ks))
	for i, k := range ks {
		arena[i], c.keys = c.keys[:len(k)], c.keys[len(k):]
	}
	for i, k := range ks {
		child := c.compile(n.static[k])
		if edges != nil {
			edges[i] = edge[T]{key: arena[i], child: child}
		} else {
			nd.byKey[arena[i]] = child
		}
	}
	if n.param != nil {
		nd.param = c.compile(n.param)
	}
	if n.greedy != nil {
		nd.greedy = c.compile(n.greedy)
	}
	return nd
}
