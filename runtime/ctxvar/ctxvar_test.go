package ctxvar

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/portico-gateway/portico/runtime/router"
)

type fakeSource struct {
	ip      string
	params  []string
	headers map[string]string
	query   map[string]string
}

func (f fakeSource) ClientIP() []byte                 { return []byte(f.ip) }
func (f fakeSource) PathParam(i int) []byte           { return []byte(f.params[i]) }
func (f fakeSource) RequestHeader(name []byte) []byte { return []byte(f.headers[string(name)]) }
func (f fakeSource) QueryArg(name []byte) []byte      { return []byte(f.query[string(name)]) }
func (f fakeSource) RequestID() []byte                { return []byte("rid-1") }
func (f fakeSource) StageName() []byte                { return []byte("test") }
func (f fakeSource) ServiceID() []byte                { return []byte("shop0001") }

func scope(t *testing.T, path string) []router.Segment {
	t.Helper()
	segs, err := router.ParsePath(path)
	if err != nil {
		t.Fatalf("ParsePath(%q): %v", path, err)
	}
	return segs
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, path, tpl, want string
	}{
		{"undeclared", "/items", "/x/${request.path.id}", "not declared"},
		{"greedy written plain", "/files/{p+}", "${request.path.p}", "is greedy"},
		{"plain written greedy", "/items/{id}", "${request.path.id+}", "is not greedy"},
		{"unterminated", "/", "abc ${request.clientIp", "unterminated"},
		{"unknown", "/", "${request.body}", "unknown context variable"},
		{"empty header", "/", "${request.header.}", "bad header name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.tpl, scope(t, tt.path))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) error = %v, want it to contain %q", tt.tpl, err, tt.want)
			}
		})
	}
}

func TestAppend(t *testing.T) {
	src := fakeSource{
		ip:      "10.0.0.7",
		params:  []string{"a b/c", "x/../y/./z"},
		headers: map[string]string{"x-user": "bob\r\nx-evil: 1"},
		query:   map[string]string{"q": "a&b=c d"},
	}
	sc := scope(t, "/items/{id}/files/{rest+}")
	tests := []struct {
		name, tpl string
		esc       Escape
		want      string
	}{
		{"literal", "/api/items", PathEscape, "/api/items"},
		{"path var escapes slash and space", "/api/${request.path.id}", PathEscape, "/api/a%20b%2Fc"},
		{"greedy keeps slashes, neutralises dot segments", "/s/${request.path.rest+}", PathEscape, "/s/x/%2E%2E/y/%2E/z"},
		{"header value strips CR LF", "${request.header.x-user}", HeaderValue, "bobx-evil: 1"},
		{"client ip in body", "hello ${request.clientIp}", Raw, "hello 10.0.0.7"},
		{"query escape", "${request.query.q}", QueryEscape, "a%26b%3Dc+d"},
		{"ids", "${request.id}/${stage.name}/${service.id}", Raw, "rid-1/test/shop0001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse(tt.tpl, sc)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(tpl.Append(nil, src, tt.esc)); got != tt.want {
				t.Fatalf("Append(%q) = %q, want %q", tt.tpl, got, tt.want)
			}
			// A copy (a route holds its backend path by value) expands alike, also once the original is gone.
			cp := *tpl
			*tpl = Template{}
			if got := string(cp.Append(nil, src, tt.esc)); got != tt.want {
				t.Fatalf("a copy of %q expands to %q, want %q", tt.tpl, got, tt.want)
			}
		})
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	tpl, err := Parse("/api/${request.path.id}/x", scope(t, "/items/{id}"))
	if err != nil {
		t.Fatal(err)
	}
	src := fakeSource{params: []string{"42"}}
	var s Source = src
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() { buf = tpl.Append(buf[:0], s, PathEscape) })
	// fakeSource converts strings to []byte; the template itself must add nothing beyond that one conversion.
	if allocs > 1 {
		t.Fatalf("Append allocates %.0f times per call", allocs)
	}
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"/a/${request.path.id}", "${request.clientIp}", "${", "$${}}", "${request.path.rest+}x"} {
		f.Add(s, "v/../w")
	}
	sc, _ := router.ParsePath("/items/{id}/f/{rest+}")
	f.Fuzz(func(t *testing.T, tpl, value string) {
		parsed, err := Parse(tpl, sc)
		if err != nil {
			return
		}
		src := fakeSource{ip: value, params: []string{value, value}, headers: map[string]string{}, query: map[string]string{}}
		out := parsed.Append(nil, src, PathEscape)
		// Whatever the values, a variable can never add a dot-segment the literal text did not contain.
		if !strings.Contains(tpl, "..") {
			for _, seg := range strings.Split(string(out), "/") {
				if seg == ".." {
					t.Fatalf("template %q with value %q produced a .. segment: %q", tpl, value, out)
				}
			}
		}
		h := parsed.Append(nil, src, HeaderValue)
		if strings.ContainsAny(string(h), "\r\n") && !strings.ContainsAny(tpl, "\r\n") {
			t.Fatalf("header value contains CR/LF: %q", h)
		}
	})
}

// TestTemplatePartsFirst keeps what expanding a template of up to two parts reads (the count and the inline parts)
// in a Template's first 72 bytes: a route holds its backend path template by value and counts on it
// (pipeline's TestRouteHotFieldsFitTwoCacheLines).
func TestTemplatePartsFirst(t *testing.T) {
	var tpl Template
	if unsafe.Offsetof(tpl.n) != 0 || unsafe.Offsetof(tpl.inline) != 8 || unsafe.Offsetof(tpl.more) != 72 {
		t.Errorf("Template layout: n at %d, inline at %d, more at %d; want 0, 8, 72",
			unsafe.Offsetof(tpl.n), unsafe.Offsetof(tpl.inline), unsafe.Offsetof(tpl.more))
	}
}
