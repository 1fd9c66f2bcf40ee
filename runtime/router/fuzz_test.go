package router

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fuzzRoutes is testRoutes plus a variable at the root, so that backtracking can climb all the way up, and a ninth
// static at the root, so that the root's static children are looked up through a map rather than scanned.
var fuzzRoutes = append(append(slices.Clip(testRoutes),
	[2]string{"GET", "/{top}/y"},
	[2]string{"PATCH", "/{top}/x/{rest+}"},
	[2]string{"HEAD", "/zzz/{id}"},
), wideLevel()...)

// wideLevel makes the root wider than smallStatic, so the reference comparisons also go through a wide level's hash
// table (and backtrack out of it: "/w3/y" matches "/{top}/y").
func wideLevel() [][2]string {
	var rs [][2]string
	for i := range 12 {
		rs = append(rs, [2]string{"GET", fmt.Sprintf("/w%d/{id}", i)})
	}
	return rs
}

// refResult is what the reference matcher expects from Lookup.
type refResult struct {
	st    Status
	value string // "METHOD PATH" on Found
	tmpl  string // the matched path on Found and MethodNotFound
	vals  []string
}

// refLookup is a deliberately naive, independent model of Lookup's documented semantics: decode with net/url, try
// every route, and pick the match whose segment kinds are smallest in lexicographic order (static < {var} <
// {var+}), which is what depth-first precedence with backtracking amounts to.
func refLookup(routes [][2]string, method, raw string) refResult {
	if raw == "" || raw[0] != '/' || len(raw) > MaxRequestPathLength {
		return refResult{st: BadPath}
	}
	if len(raw) > 2 && strings.HasSuffix(raw, "/") {
		raw = raw[:len(raw)-1]
	}
	var req []string
	empty := false
	if raw != "/" {
		for _, part := range strings.Split(raw[1:], "/") {
			dec, err := url.PathUnescape(part)
			if err != nil {
				return refResult{st: BadPath}
			}
			for _, piece := range strings.Split(dec, "/") {
				if piece == "." || piece == ".." {
					return refResult{st: BadPath}
				}
			}
			empty = empty || dec == ""
			req = append(req, dec)
		}
	}
	if empty {
		return refResult{st: NotFound}
	}
	var best *refResult
	var bestKinds []SegmentKind
	methods := map[string]map[string]bool{}
	for _, r := range routes {
		if methods[r[1]] == nil {
			methods[r[1]] = map[string]bool{}
		}
		methods[r[1]][r[0]] = true
		segs, err := ParsePath(r[1])
		if err != nil {
			panic(err)
		}
		vals, kinds, ok := refMatch(segs, req)
		if ok && (best == nil || slices.Compare(kinds, bestKinds) < 0) {
			best, bestKinds = &refResult{tmpl: r[1], vals: vals}, kinds
		}
	}
	if best == nil {
		return refResult{st: NotFound}
	}
	has := methods[best.tmpl]
	switch {
	case method != "ANY" && has[method]: // "ANY" on the wire is an unknown method
		best.st, best.value = Found, method+" "+best.tmpl
	case has["ANY"] && method != "": // ANY answers every method the node does not list itself
		best.st, best.value = Found, "ANY "+best.tmpl
	default:
		best.st = MethodNotFound
	}
	return *best
}

func refMatch(tmpl []Segment, req []string) (vals []string, kinds []SegmentKind, ok bool) {
	for i, s := range tmpl {
		if i >= len(req) {
			return nil, nil, false
		}
		kinds = append(kinds, s.Kind)
		switch s.Kind {
		case Static:
			if req[i] != s.Value {
				return nil, nil, false
			}
		case Param:
			vals = append(vals, req[i])
		case Greedy:
			return append(vals, strings.Join(req[i:], "/")), kinds, true
		}
	}
	return vals, kinds, len(tmpl) == len(req)
}

// checkAgainstRef runs one lookup and compares it with the reference and the invariants every result must hold.
func checkAgainstRef(t *testing.T, r *Router[string], p *Params, method, path string) {
	t.Helper()
	v, info, st := r.Lookup([]byte(method), []byte(path), p)
	want := refLookup(fuzzRoutes, method, path)
	if st != want.st || v != want.value {
		t.Fatalf("%q %q: got %v %q, want %v %q", method, path, st, v, want.st, want.value)
	}
	if (info != nil) != (st == Found || st == MethodNotFound) {
		t.Fatalf("%q %q: %v with route %+v", method, path, st, info)
	}
	if info == nil {
		if p.Len() != 0 {
			t.Fatalf("%q %q: %v with %d params", method, path, st, p.Len())
		}
		return
	}
	if info.Path != want.tmpl {
		t.Fatalf("%q %q: matched %q, want %q", method, path, info.Path, want.tmpl)
	}
	if st == Found && info.Method != method && info.Method != "ANY" {
		t.Fatalf("%q %q: route method %q", method, path, info.Method)
	}
	if p.Len() != len(info.Vars) {
		t.Fatalf("%q %q: %d params for vars %v", method, path, p.Len(), info.Vars)
	}
	got := make([]string, p.Len())
	for i := range got {
		val := p.Value(i)
		if len(val) == 0 {
			t.Fatalf("%q %q: empty value for {%s}", method, path, info.Vars[i])
		}
		for _, piece := range bytes.Split(val, []byte("/")) {
			if string(piece) == "." || string(piece) == ".." {
				t.Fatalf("%q %q: value %q of {%s} has a dot segment", method, path, val, info.Vars[i])
			}
		}
		got[i] = string(val)
	}
	if len(want.vals) != 0 || len(got) != 0 {
		if !reflect.DeepEqual(got, want.vals) {
			t.Fatalf("%q %q: values %q, want %q", method, path, got, want.vals)
		}
	}
}

func FuzzLookup(f *testing.F) {
	for _, s := range [][2]string{
		{"GET", "/"}, {"GET", "/products/1/reviews"}, {"GET", "/a/b/d"}, {"GET", "/a/b/e/f"},
		{"PUT", "/any/%2e"}, {"TRACE", "/files/a%2Fb/c"}, {"GET", "/products/a%2F..%2Fb"},
		{"PATCH", "/q/x/y/"}, {"GET", "//"}, {"DELETE", "/products/%zz"}, {"HEAD", "/c%2B+"},
	} {
		f.Add(s[0], s[1])
	}
	r := mustBuild(f, fuzzRoutes, label)
	p := NewParams()
	f.Fuzz(func(t *testing.T, method, path string) {
		checkAgainstRef(t, r, p, method, path)
	})
}

// TestLookupMatchesReference compares Lookup with refLookup on paths built from pieces that exercise precedence,
// backtracking, escapes and dot segments, so that the comparison runs on every `go test`, not only when fuzzing.
func TestLookupMatchesReference(t *testing.T) {
	r := mustBuild(t, fuzzRoutes, label)
	p := NewParams()
	pieces := []string{"", "a", "b", "c", "d", "e", "x", "y", "n", "m", "products", "featured", "reviews", "files",
		"meta", "any", "intermediate", "child", "zzz", "c++", "c%2B%2b", ".", "..", "%2e", "%2E%2e", "a%2Fb", "%2F",
		"%2F..", "...", "%", "%4", "%zz", "%41", "%C3%A9", "1", "42", "w0", "w3", "w11", "w12", "w%33"}
	methods := append(slices.Clone(slotNames[:]), "TRACE", "get")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 50000; i++ {
		var b strings.Builder
		for n := rng.IntN(6); n >= 0; n-- {
			b.WriteString("/" + pieces[rng.IntN(len(pieces))])
		}
		checkAgainstRef(t, r, p, methods[rng.IntN(len(methods))], b.String())
	}
}
