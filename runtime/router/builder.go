package router

import (
	"errors"
	"fmt"
	"hash/maphash"
	"sort"
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

// bnode is the mutable tree node the builder edits; Build compiles the tree into a Router (see tree.go).
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
	n := b.root.routeCount()
	r := &Router[T]{seed: maphash.MakeSeed(), infos: make([]RouteInfo, 0, n), vals: make([]T, 0, n)}
	r.compile(b.root)
	r.tree = append([]byte(nil), r.tree...) // drop append's spare capacity: a Router may live long
	return r
}

// sortedKeys is n's static children's keys in order, so that every build lays the tree out alike.
func (n *bnode[T]) sortedKeys() []string {
	ks := make([]string, 0, len(n.static))
	for k := range n.static {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
