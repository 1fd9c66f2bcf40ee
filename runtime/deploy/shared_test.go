package deploy

import (
	"testing"

	"github.com/portico-gateway/portico/runtime/ctxvar"
	"github.com/portico-gateway/portico/runtime/proxy"
	"github.com/portico-gateway/portico/runtime/router"
)

// paramSource gives path parameters by index; other variables are empty.
type paramSource []string

func (p paramSource) ClientIP() []byte            { return nil }
func (p paramSource) PathParam(i int) []byte      { return []byte(p[i]) }
func (p paramSource) RequestHeader([]byte) []byte { return nil }
func (p paramSource) QueryArg([]byte) []byte      { return nil }
func (p paramSource) RequestID() []byte           { return nil }
func (p paramSource) StageName() []byte           { return nil }
func (p paramSource) ServiceID() []byte           { return nil }

func TestSharedPartsTemplates(t *testing.T) {
	sp := newSharedParts()
	parse := func(tpl, path string) *ctxvar.Template {
		t.Helper()
		segs, err := router.ParsePath(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sp.template(tpl, segs)
		if err != nil {
			t.Fatalf("template(%q, %q): %v", tpl, path, err)
		}
		return got
	}
	const tpl = "/x/${request.path.id}"
	a := parse(tpl, "/a/{id}")
	tests := []struct {
		name, tpl, path string
		params          paramSource
		shared          bool
		want            string
	}{
		{"same text, same variables", tpl, "/b/{id}", paramSource{"7"}, true, "/x/7"},
		{"same text, variable at another index", tpl, "/c/{other}/{id}", paramSource{"o", "7"}, false, "/x/7"},
		{"same text, more variables", tpl, "/d/{id}/{more}", paramSource{"7", "m"}, false, "/x/7"},
		{"other text", "/y/${request.path.id}", "/a/{id}", paramSource{"7"}, false, "/y/7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parse(tc.tpl, tc.path)
			if (got == a) != tc.shared {
				t.Errorf("shared with the first = %v, want %v", got == a, tc.shared)
			}
			if s := string(got.Append(nil, tc.params, ctxvar.PathEscape)); s != tc.want {
				t.Errorf("expands to %q, want %q", s, tc.want)
			}
		})
	}
	segs, _ := router.ParsePath("/a/{id}")
	for range 2 { // an error is not remembered as a template
		if _, err := sp.template("/${request.path.nope}", segs); err == nil {
			t.Fatal("undeclared variable accepted")
		}
	}
}

func TestSharedPartsTargets(t *testing.T) {
	sp, tr := newSharedParts(), proxy.NewTransport(proxy.Options{})
	get := func(u string) *proxy.Target {
		t.Helper()
		tg, err := sp.target(tr, u)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	a, b, c := get("http://127.0.0.1:9000/api"), get("http://127.0.0.1:9000/api"), get("http://127.0.0.1:9000/v2")
	if a != b {
		t.Error("two routes on one backend URL got two targets")
	}
	if a == c || string(c.BasePath()) != "/v2" {
		t.Errorf("another base path shares the target (base path %q)", c.BasePath())
	}
	if _, err := sp.target(tr, "ftp://x"); err == nil {
		t.Error("bad URL accepted")
	}
}
