// Package router compiles a stage's resource tree into an immutable structure that matches a request's method and
// path to a route, with the precedence static > {var} > {var+}.
package router

import (
	"errors"
	"fmt"
	"strings"
)

// MaxPathLength is the longest full resource path the seed allows.
const MaxPathLength = 255

// SegmentKind says how one segment of a resource path matches.
type SegmentKind uint8

const (
	// Static matches one request segment equal to Value.
	Static SegmentKind = iota
	// Param ({name}) matches exactly one non-empty request segment.
	Param
	// Greedy ({name+}) matches one or more request segments, the rest of the path; it is always last.
	Greedy
)

func (k SegmentKind) String() string {
	switch k {
	case Static:
		return "static"
	case Param:
		return "param"
	case Greedy:
		return "greedy"
	}
	return "unknown"
}

// Segment is one `/`-separated part of a resource path.
type Segment struct {
	Kind  SegmentKind
	Value string // the literal for Static, the variable name for Param and Greedy
}

// PathError says what is wrong with a resource path; callers branch on it to report a field error.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string { return fmt.Sprintf("resource path %q: %s", e.Path, e.Reason) }

// ErrPath is matched by every *PathError through errors.Is.
var ErrPath = errors.New("invalid resource path")

// Is lets errors.Is(err, ErrPath) recognise a *PathError.
func (e *PathError) Is(target error) bool { return target == ErrPath }

// ParsePath parses a resource path such as "/members/{memberId}" or "/files/{path+}". The root "/" has no segments.
// Rules (from the seed): starts with "/", at most 255 characters, no empty segments, variables are whole segments
// named [A-Za-z0-9_.-]+, a name appears once, and a greedy variable is the last segment.
func ParsePath(p string) ([]Segment, error) {
	bad := func(format string, args ...any) ([]Segment, error) {
		return nil, &PathError{Path: p, Reason: fmt.Sprintf(format, args...)}
	}
	if p == "" || p[0] != '/' {
		return bad("must start with /")
	}
	if len(p) > MaxPathLength {
		return bad("is %d characters long; the limit is %d", len(p), MaxPathLength)
	}
	if p == "/" {
		return nil, nil
	}
	parts := strings.Split(p[1:], "/")
	segs := make([]Segment, 0, len(parts))
	seen := make(map[string]bool, 2)
	for i, part := range parts {
		if part == "" {
			return bad("has an empty segment (a doubled or trailing /)")
		}
		if part == "." || part == ".." {
			return bad("segment %q is not allowed", part)
		}
		if part[0] == '{' || part[len(part)-1] == '}' {
			if len(part) < 3 || part[0] != '{' || part[len(part)-1] != '}' {
				return bad("segment %q: a variable is written {name} or {name+} and fills the whole segment", part)
			}
			name := part[1 : len(part)-1]
			kind := Param
			if strings.HasSuffix(name, "+") {
				kind = Greedy
				name = name[:len(name)-1]
			}
			if !validVarName(name) {
				return bad("variable %q: names use letters, digits, '_', '-' and '.'", part)
			}
			if seen[name] {
				return bad("variable {%s} is declared twice", name)
			}
			seen[name] = true
			if kind == Greedy && i != len(parts)-1 {
				return bad("{%s+} matches the rest of the path, so nothing may follow it", name)
			}
			segs = append(segs, Segment{Kind: kind, Value: name})
			continue
		}
		for j := 0; j < len(part); j++ {
			if !validStaticByte(part[j]) {
				return bad("segment %q: character %q is not allowed", part, part[j])
			}
		}
		segs = append(segs, Segment{Kind: Static, Value: part})
	}
	return segs, nil
}

// Vars lists the variable names a parsed path declares, in order.
func Vars(segs []Segment) []string {
	var names []string
	for _, s := range segs {
		if s.Kind != Static {
			names = append(names, s.Value)
		}
	}
	return names
}

// IsGreedy reports whether the path ends in a {name+} variable (and so may have no children).
func IsGreedy(segs []Segment) bool {
	return len(segs) > 0 && segs[len(segs)-1].Kind == Greedy
}

func validVarName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validStaticByte allows RFC 3986 pchar characters except '%' (static segments are matched after percent-decoding,
// so they are written decoded) and the braces reserved for variables.
func validStaticByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0
}
