package router

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// formatPath writes parsed segments back as a resource path; ParsePath(formatPath(s)) == s for every parsed path.
func formatPath(segs []Segment) string {
	if len(segs) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		switch s.Kind {
		case Param:
			b.WriteString("{" + s.Value + "}")
		case Greedy:
			b.WriteString("{" + s.Value + "+}")
		default:
			b.WriteString(s.Value)
		}
	}
	return b.String()
}

func TestParsePathGood(t *testing.T) {
	st := func(v string) Segment { return Segment{Static, v} }
	pr := func(v string) Segment { return Segment{Param, v} }
	gr := func(v string) Segment { return Segment{Greedy, v} }
	tests := []struct {
		name string
		path string
		want []Segment
	}{
		{"root", "/", nil},
		{"static", "/members", []Segment{st("members")}},
		{"param", "/members/{memberId}", []Segment{st("members"), pr("memberId")}},
		{"greedy root", "/{proxy+}", []Segment{gr("proxy")}},
		{"greedy after param", "/a/{id}/{rest+}", []Segment{st("a"), pr("id"), gr("rest")}},
		{"var name charset", "/{a.b_c-9}", []Segment{pr("a.b_c-9")}},
		{"static pchar", "/a-b._~!$&'()*+,;=:@", []Segment{st("a-b._~!$&'()*+,;=:@")}},
		{"three dots is a name", "/...", []Segment{st("...")}},
		{"plus in static", "/c++", []Segment{st("c++")}},
		{"max length", "/" + strings.Repeat("a", MaxPathLength-1), []Segment{st(strings.Repeat("a", MaxPathLength-1))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePath(tt.path)
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tt.path, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParsePath(%q) = %v, want %v", tt.path, got, tt.want)
			}
			if f := formatPath(got); f != tt.path {
				t.Fatalf("formatPath = %q, want %q", f, tt.path)
			}
		})
	}
}

func TestParsePathBad(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		reason string // a substring of the error
	}{
		{"empty", "", "must start with /"},
		{"relative", "members", "must start with /"},
		{"too long", "/" + strings.Repeat("a", MaxPathLength), "the limit is 255"},
		{"trailing slash", "/members/", "empty segment"},
		{"double slash", "/a//b", "empty segment"},
		{"dot", "/a/./b", `"." is not allowed`},
		{"dot dot", "/a/..", `".." is not allowed`},
		{"open brace only", "/{id", "fills the whole segment"},
		{"close brace only", "/id}", "fills the whole segment"},
		{"brace inside", "/a{id}", "fills the whole segment"},
		{"empty var", "/{}", "fills the whole segment"},
		{"empty greedy", "/{+}", "names use letters"},
		{"double plus", "/{a++}", "names use letters"},
		{"bad var char", "/{a b}", "names use letters"},
		{"nested brace", "/{{a}}", "names use letters"},
		{"var name too long", "/{" + strings.Repeat("a", 65) + "}", "names use letters"},
		{"duplicate var", "/{id}/x/{id}", "declared twice"},
		{"duplicate across kinds", "/{id}/{id+}", "declared twice"},
		{"greedy not last", "/{p+}/x", "nothing may follow"},
		{"percent", "/a%20b", "not allowed"},
		{"space", "/a b", "not allowed"},
		{"query", "/a?b", "not allowed"},
		{"non-ascii", "/caf\u00e9", "not allowed"},
		{"brace in static", "/a{b", "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, err := ParsePath(tt.path)
			if err == nil {
				t.Fatalf("ParsePath(%q) = %v, want an error", tt.path, segs)
			}
			var pe *PathError
			if !errors.As(err, &pe) || !errors.Is(err, ErrPath) {
				t.Fatalf("error %v is not a *PathError matching ErrPath", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("error %q does not say %q", err, tt.reason)
			}
		})
	}
}

func TestVarsAndIsGreedy(t *testing.T) {
	segs, err := ParsePath("/a/{id}/b/{rest+}")
	if err != nil {
		t.Fatal(err)
	}
	if got := Vars(segs); !reflect.DeepEqual(got, []string{"id", "rest"}) {
		t.Errorf("Vars = %v", got)
	}
	if !IsGreedy(segs) {
		t.Error("IsGreedy = false")
	}
	if IsGreedy(nil) {
		t.Error("IsGreedy(root) = true")
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"/", "/a", "/a/{b}", "/{p+}", "/a//b", "/{a}/{a}", "/{+}", "/..", "/a/{b}/{c+}", "/{x}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		segs, err := ParsePath(p)
		if err != nil {
			if !errors.Is(err, ErrPath) {
				t.Fatalf("ParsePath(%q): error %v is not an ErrPath", p, err)
			}
			return
		}
		if f := formatPath(segs); f != p {
			t.Fatalf("ParsePath(%q) re-serialises to %q", p, f)
		}
		seen := map[string]bool{}
		for i, s := range segs {
			if s.Value == "" {
				t.Fatalf("ParsePath(%q): empty segment %d", p, i)
			}
			if s.Kind == Static && (s.Value == "." || s.Value == "..") {
				t.Fatalf("ParsePath(%q): dot segment", p)
			}
			if s.Kind != Static {
				if seen[s.Value] {
					t.Fatalf("ParsePath(%q): variable %q twice", p, s.Value)
				}
				seen[s.Value] = true
			}
			if s.Kind == Greedy && i != len(segs)-1 {
				t.Fatalf("ParsePath(%q): greedy not last", p)
			}
		}
	})
}
