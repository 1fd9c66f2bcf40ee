package router

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// testRoutes is the router most Lookup tests run against. Each route's value is "METHOD PATH".
var testRoutes = [][2]string{
	{"GET", "/"},
	{"GET", "/products"},
	{"POST", "/products"},
	{"GET", "/products/{id}"},
	{"DELETE", "/products/{id}"},
	{"GET", "/products/featured"},
	{"GET", "/products/{id}/reviews"},
	{"GET", "/a/b/c"},
	{"GET", "/a/{x}/d"},
	{"GET", "/a/{x}/{y+}"},
	{"GET", "/files/{path+}"},
	{"GET", "/files/{name}/meta"},
	{"ANY", "/any/{id}"},
	{"GET", "/any/{id}"},
	{"GET", "/x/{a}/{b}/{c}"},
	{"PUT", "/intermediate/child"},
	{"GET", "/c++"},
	{"GET", "/m/{id}/n"},
	{"POST", "/m/{id}/{rest+}"},
}

func mustBuild[T any](t testing.TB, routes [][2]string, val func(method, path string) T) *Router[T] {
	t.Helper()
	b := NewBuilder[T]()
	for _, r := range routes {
		if err := b.Add(r[0], r[1], val(r[0], r[1])); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

func label(method, path string) string { return method + " " + path }

type lookupCase struct {
	name   string
	method string
	path   string
	st     Status
	value  string   // the route's value on Found
	tmpl   string   // RouteInfo.Path on Found and MethodNotFound
	vals   []string // Params values on Found and MethodNotFound
}

func runLookups(t *testing.T, r *Router[string], tests []lookupCase) {
	t.Helper()
	p := NewParams()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, info, st := r.Lookup([]byte(tt.method), []byte(tt.path), p)
			if st != tt.st {
				t.Fatalf("%s %q: status %v, want %v", tt.method, tt.path, st, tt.st)
			}
			if v != tt.value {
				t.Errorf("value %q, want %q", v, tt.value)
			}
			switch st {
			case Found, MethodNotFound:
				if info == nil || info.Path != tt.tmpl {
					t.Fatalf("route %+v, want path %q", info, tt.tmpl)
				}
				if st == MethodNotFound && info.Method != "" {
					t.Errorf("MethodNotFound route has method %q", info.Method)
				}
				if st == Found && tt.value != label(info.Method, info.Path) {
					t.Errorf("route %s %s does not belong to value %q", info.Method, info.Path, tt.value)
				}
				if p.Len() != len(info.Vars) {
					t.Fatalf("Len %d, want len(Vars) = %d", p.Len(), len(info.Vars))
				}
			default:
				if info != nil {
					t.Errorf("route %+v, want nil", info)
				}
				if p.Len() != 0 {
					t.Errorf("Len %d, want 0", p.Len())
				}
			}
			var got []string
			for i := 0; i < p.Len(); i++ {
				got = append(got, string(p.Value(i)))
			}
			if !reflect.DeepEqual(got, tt.vals) {
				t.Errorf("values %q, want %q", got, tt.vals)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	r := mustBuild(t, testRoutes, label)
	runLookups(t, r, []lookupCase{
		{"root", "GET", "/", Found, "GET /", "/", nil},
		{"static", "GET", "/products", Found, "GET /products", "/products", nil},
		{"static other method", "POST", "/products", Found, "POST /products", "/products", nil},
		{"trailing slash", "GET", "/products/", Found, "GET /products", "/products", nil},
		{"two trailing slashes", "GET", "/products//", NotFound, "", "", nil},
		{"root double slash", "GET", "//", NotFound, "", "", nil},
		{"empty inner segment", "GET", "/products//reviews", NotFound, "", "", nil},
		{"leading double slash", "GET", "//products", NotFound, "", "", nil},
		{"param", "GET", "/products/42", Found, "GET /products/{id}", "/products/{id}", []string{"42"}},
		{"param trailing slash", "GET", "/products/42/", Found, "GET /products/{id}", "/products/{id}", []string{"42"}},
		{"static beats param", "GET", "/products/featured", Found, "GET /products/featured", "/products/featured", nil},
		{"static beats param, other method", "DELETE", "/products/featured", MethodNotFound, "", "/products/featured", nil},
		{"param below param", "GET", "/products/7/reviews", Found, "GET /products/{id}/reviews", "/products/{id}/reviews", []string{"7"}},
		{"backtrack from static", "GET", "/a/b/d", Found, "GET /a/{x}/d", "/a/{x}/d", []string{"b"}},
		{"static path wins", "GET", "/a/b/c", Found, "GET /a/b/c", "/a/b/c", nil},
		{"backtrack to greedy", "GET", "/a/b/e", Found, "GET /a/{x}/{y+}", "/a/{x}/{y+}", []string{"b", "e"}},
		{"param beats greedy", "GET", "/files/report/meta", Found, "GET /files/{name}/meta", "/files/{name}/meta", []string{"report"}},
		{"methodless node falls to greedy", "GET", "/files/report", Found, "GET /files/{path+}", "/files/{path+}", []string{"report"}},
		{"greedy many segments", "GET", "/files/a/b/c.txt", Found, "GET /files/{path+}", "/files/{path+}", []string{"a/b/c.txt"}},
		{"greedy decodes segments", "GET", "/files/a%20b/%C3%A9", Found, "GET /files/{path+}", "/files/{path+}", []string{"a b/\u00e9"}},
		{"greedy needs a segment", "GET", "/files", NotFound, "", "", nil},
		{"greedy needs a segment, trailing slash", "GET", "/files/", NotFound, "", "", nil},
		{"greedy rejects empty segment", "GET", "/files/a//b", NotFound, "", "", nil},
		{"encoded slash stays in segment", "GET", "/products/a%2Fb", Found, "GET /products/{id}", "/products/{id}", []string{"a/b"}},
		{"encoded slash is not a separator", "GET", "/products/1%2Freviews", Found, "GET /products/{id}", "/products/{id}", []string{"1/reviews"}},
		{"encoded slash lowercase hex", "GET", "/a/b%2fd", NotFound, "", "", nil},
		{"encoded slash in greedy", "GET", "/files/a%2Fb/c", Found, "GET /files/{path+}", "/files/{path+}", []string{"a/b/c"}},
		{"encoded static", "GET", "/c%2B%2b", Found, "GET /c++", "/c++", nil},
		{"encoded static name", "GET", "/%70roducts", Found, "GET /products", "/products", nil},
		{"plus stays plus", "GET", "/products/a+b", Found, "GET /products/{id}", "/products/{id}", []string{"a+b"}},
		{"ANY", "PUT", "/any/1", Found, "ANY /any/{id}", "/any/{id}", []string{"1"}},
		{"method beats ANY", "GET", "/any/1", Found, "GET /any/{id}", "/any/{id}", []string{"1"}},
		{"ANY answers HEAD", "HEAD", "/any/1", Found, "ANY /any/{id}", "/any/{id}", []string{"1"}},
		{"ANY takes other methods too", "TRACE", "/any/1", Found, "ANY /any/{id}", "/any/{id}", []string{"1"}},
		{"lower-case method", "get", "/products", MethodNotFound, "", "/products", nil},
		{"ANY is not a request method", "ANY", "/products", MethodNotFound, "", "/products", nil},
		{"method not found", "PUT", "/products/1", MethodNotFound, "", "/products/{id}", []string{"1"}},
		{"method not found root", "POST", "/", MethodNotFound, "", "/", nil},
		{"no backtrack on method", "POST", "/m/1/n", MethodNotFound, "", "/m/{id}/n", []string{"1"}},
		{"greedy after param", "POST", "/m/1/x/y", Found, "POST /m/{id}/{rest+}", "/m/{id}/{rest+}", []string{"1", "x/y"}},
		{"three params", "GET", "/x/1/2/3", Found, "GET /x/{a}/{b}/{c}", "/x/{a}/{b}/{c}", []string{"1", "2", "3"}},
		{"too few segments", "GET", "/x/1/2", NotFound, "", "", nil},
		{"too many segments", "GET", "/x/1/2/3/4", NotFound, "", "", nil},
		{"methodless node", "GET", "/intermediate", NotFound, "", "", nil},
		{"below methodless node", "GET", "/intermediate/child", MethodNotFound, "", "/intermediate/child", nil},
		{"unknown", "GET", "/nope", NotFound, "", "", nil},
		{"case-sensitive static", "GET", "/Products", NotFound, "", "", nil},
		{"dot", "GET", "/products/.", BadPath, "", "", nil},
		{"dot dot", "GET", "/products/../products", BadPath, "", "", nil},
		{"encoded dot dot", "GET", "/products/%2e%2E", BadPath, "", "", nil},
		{"encoded dot", "GET", "/files/%2e/x", BadPath, "", "", nil},
		{"dot dot behind encoded slash", "GET", "/products/a%2F..%2Fb", BadPath, "", "", nil},
		{"dot dot after encoded slash", "GET", "/files/%2F..", BadPath, "", "", nil},
		{"dot trailing slash", "GET", "/products/./", BadPath, "", "", nil},
		{"three dots are fine", "GET", "/products/...", Found, "GET /products/{id}", "/products/{id}", []string{"..."}},
		{"dot prefix is fine", "GET", "/products/.hidden", Found, "GET /products/{id}", "/products/{id}", []string{".hidden"}},
		{"bad escape", "GET", "/products/%zz", BadPath, "", "", nil},
		{"truncated escape", "GET", "/products/%4", BadPath, "", "", nil},
		{"lone percent", "GET", "/products/%", BadPath, "", "", nil},
		{"bad escape beats empty segment", "GET", "//%g0", BadPath, "", "", nil},
		{"empty path", "GET", "", BadPath, "", "", nil},
		{"relative path", "GET", "products", BadPath, "", "", nil},
		{"asterisk", "OPTIONS", "*", BadPath, "", "", nil},
		{"too long", "GET", "/products/" + strings.Repeat("a", MaxRequestPathLength), BadPath, "", "", nil},
	})
}

func TestLookupCatchAll(t *testing.T) {
	r := mustBuild(t, [][2]string{
		{"ANY", "/{proxy+}"},
		{"GET", "/{id}"},
		{"GET", "/health"},
	}, label)
	runLookups(t, r, []lookupCase{
		{"root has no route", "GET", "/", NotFound, "", "", nil},
		{"static", "GET", "/health", Found, "GET /health", "/health", nil},
		{"param", "GET", "/42", Found, "GET /{id}", "/{id}", []string{"42"}},
		{"param method falls to nothing", "POST", "/42", MethodNotFound, "", "/{id}", []string{"42"}},
		{"static falls to greedy", "GET", "/health/x", Found, "ANY /{proxy+}", "/{proxy+}", []string{"health/x"}},
		{"greedy", "DELETE", "/a/b/c", Found, "ANY /{proxy+}", "/{proxy+}", []string{"a/b/c"}},
		{"long greedy", "GET", strings.Repeat("/a", MaxRequestPathLength/2), Found, "ANY /{proxy+}", "/{proxy+}",
			[]string{strings.Repeat("a/", MaxRequestPathLength/2-1) + "a"}},
	})
}

func TestLookupManyStaticSiblings(t *testing.T) {
	// More than smallStatic siblings switches a level to a map; both forms must agree.
	for _, n := range []int{1, smallStatic, smallStatic + 1, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var routes [][2]string
			for i := 0; i < n; i++ {
				routes = append(routes, [2]string{"GET", fmt.Sprintf("/s%d/{id}", i)})
			}
			r := mustBuild(t, routes, label)
			p := NewParams()
			for i := 0; i < n; i++ {
				v, _, st := r.Lookup([]byte("GET"), []byte(fmt.Sprintf("/s%d/x", i)), p)
				if want := fmt.Sprintf("GET /s%d/{id}", i); st != Found || v != want {
					t.Fatalf("s%d: %v %q, want %q", i, st, v, want)
				}
			}
			if _, _, st := r.Lookup([]byte("GET"), []byte(fmt.Sprintf("/s%d/x", n)), p); st != NotFound {
				t.Fatalf("s%d: %v, want NotFound", n, st)
			}
		})
	}
}

func TestAddErrors(t *testing.T) {
	tests := []struct {
		name   string
		before [][2]string
		method string
		path   string
		want   error
	}{
		{"duplicate", [][2]string{{"GET", "/a"}}, "GET", "/a", ErrDuplicate},
		{"duplicate ANY", [][2]string{{"ANY", "/a/{id}"}}, "ANY", "/a/{id}", ErrDuplicate},
		{"duplicate root", [][2]string{{"GET", "/"}}, "GET", "/", ErrDuplicate},
		{"sibling var names", [][2]string{{"GET", "/a/{id}"}}, "GET", "/a/{name}", ErrVarConflict},
		{"sibling var names deeper", [][2]string{{"GET", "/a/{id}/x"}}, "POST", "/a/{name}/y", ErrVarConflict},
		{"sibling greedy names", [][2]string{{"GET", "/a/{p+}"}}, "POST", "/a/{q+}", ErrVarConflict},
		{"lower-case method", nil, "get", "/a", ErrMethod},
		{"unknown method", nil, "TRACE", "/a", ErrMethod},
		{"bad path", nil, "GET", "/a/", ErrPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder[string]()
			for _, r := range tt.before {
				if err := b.Add(r[0], r[1], label(r[0], r[1])); err != nil {
					t.Fatal(err)
				}
			}
			err := b.Add(tt.method, tt.path, "new")
			if !errors.Is(err, tt.want) {
				t.Fatalf("Add(%s %s) = %v, want %v", tt.method, tt.path, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name the path", err)
			}
			// A failed Add leaves the builder as it was: the earlier routes still match, the new one does not.
			r := b.Build()
			p := NewParams()
			for _, rt := range tt.before {
				if v, _, st := r.Lookup([]byte(strings.Replace(rt[0], "ANY", "GET", 1)), []byte(rt[1]), p); st != Found || v == "new" {
					t.Errorf("after failed Add, %s %s: %v %q", rt[0], rt[1], st, v)
				}
			}
		})
	}
}

func TestAddAllowsMixedKinds(t *testing.T) {
	b := NewBuilder[int]()
	for _, path := range []string{"/a/{id}", "/a/{rest+}", "/a/b", "/a/{id}/x", "/a/{id}/{more+}"} {
		if err := b.Add("GET", path, 0); err != nil {
			t.Errorf("Add(%s): %v", path, err)
		}
	}
}

func TestBuildIsIndependentOfBuilder(t *testing.T) {
	b := NewBuilder[int]()
	if err := b.Add("GET", "/a", 1); err != nil {
		t.Fatal(err)
	}
	r1 := b.Build()
	if err := b.Add("POST", "/a", 2); err != nil {
		t.Fatal(err)
	}
	if err := b.Add("GET", "/b", 3); err != nil {
		t.Fatal(err)
	}
	r2 := b.Build()
	p := NewParams()
	if _, _, st := r1.Lookup([]byte("POST"), []byte("/a"), p); st != MethodNotFound {
		t.Errorf("r1 POST /a: %v, want MethodNotFound", st)
	}
	if _, _, st := r1.Lookup([]byte("GET"), []byte("/b"), p); st != NotFound {
		t.Errorf("r1 GET /b: %v, want NotFound", st)
	}
	if v, _, st := r2.Lookup([]byte("POST"), []byte("/a"), p); st != Found || v != 2 {
		t.Errorf("r2 POST /a: %v %d", st, v)
	}
}

func TestRouteInfo(t *testing.T) {
	r := mustBuild(t, testRoutes, label)
	p := NewParams()
	_, info, _ := r.Lookup([]byte("POST"), []byte("/m/1/x"), p)
	want := &RouteInfo{Path: "/m/{id}/{rest+}", Method: "POST", Vars: []string{"id", "rest"}}
	if !reflect.DeepEqual(info, want) {
		t.Errorf("RouteInfo %+v, want %+v", info, want)
	}
}

func TestParamsValueAliasing(t *testing.T) {
	r := mustBuild(t, testRoutes, label)
	p := NewParams()
	r.Lookup([]byte("GET"), []byte("/x/1/2/3"), p)
	v := p.Value(0)
	if cap(v) != len(v) {
		t.Errorf("Value has spare capacity %d: an append would overwrite the next value", cap(v)-len(v))
	}
	_ = append(v, 'z')
	if got := string(p.Value(1)); got != "2" {
		t.Errorf("Value(1) = %q after appending to Value(0)", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("Value(Len()) did not panic")
		}
	}()
	p.Value(p.Len())
}

func TestZeroParams(t *testing.T) {
	r := mustBuild(t, testRoutes, label)
	var p Params
	if v, _, st := r.Lookup([]byte("GET"), []byte("/products/9"), &p); st != Found || string(p.Value(0)) != "9" {
		t.Fatalf("zero Params: %v %q", st, v)
	}
	p.Reset()
	if p.Len() != 0 {
		t.Errorf("Len after Reset = %d", p.Len())
	}
}

func TestLookupAllocs(t *testing.T) {
	r := mustBuild(t, testRoutes, label)
	p := NewParams()
	for _, c := range []struct{ method, path string }{
		{"GET", "/"},
		{"GET", "/products/42/reviews"},
		{"GET", "/a/b/d"},
		{"GET", "/files/a%2Fb/c/d"},
		{"PUT", "/any/x"},
		{"PUT", "/products/1"},
		{"GET", "/nope"},
		{"GET", "/products/%zz"},
		{"GET", "/products/%2e%2e"},
	} {
		m, path := []byte(c.method), []byte(c.path)
		if n := testing.AllocsPerRun(200, func() { r.Lookup(m, path, p) }); n != 0 {
			t.Errorf("%s %s: %v allocs per Lookup, want 0", c.method, c.path, n)
		}
	}
	// A zero Params allocates its buffers once, then never again.
	var zp Params
	path := []byte("/files/a/b/c")
	r.Lookup([]byte("GET"), path, &zp)
	if n := testing.AllocsPerRun(200, func() { r.Lookup([]byte("GET"), path, &zp) }); n != 0 {
		t.Errorf("warm zero Params: %v allocs per Lookup", n)
	}
}

// TestConcurrentLookup hammers one Router from many goroutines, each with its own Params; run with -race.
func TestConcurrentLookup(t *testing.T) {
	r := mustBuild(t, testRoutes, label)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := NewParams()
			for i := 0; i < 2000; i++ {
				id := fmt.Sprint(g*10000 + i)
				v, _, st := r.Lookup([]byte("GET"), []byte("/products/"+id+"/reviews"), p)
				if st != Found || v != "GET /products/{id}/reviews" || string(p.Value(0)) != id {
					t.Errorf("goroutine %d: %v %q %q", g, st, v, p.Value(0))
					return
				}
			}
		}()
	}
	wg.Wait()
}
