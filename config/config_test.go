package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/storage"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       int
		want       string
	}{
		{"unknown field", "services:\n  - name: a\n    colour: red\n", 3, "colour"},
		{"malformed", "services:\n  - name: [a\n", 0, ""},
		{"duplicate method", "services:\n  - name: a\n    resources:\n      /x:\n        methods:\n          GET: {backend: {type: mock, status: 200}}\n          GET: {backend: {type: mock, status: 200}}\n", 7, "already defined"},
		{"duplicate method by case", "services:\n  - name: a\n    resources:\n      /x:\n        methods:\n          GET: {backend: {type: mock, status: 200}}\n          get: {backend: {type: mock, status: 200}}\n", 0, "defined twice"},
		{"wrong type", "services:\n  - name: a\n    stages: 3\n", 3, "into []Stage"},
		{"missing name", "services:\n  - description: x\n", 0, "name is required"},
		{"empty", "", 0, "empty"},
		{"two documents", "services: []\n---\nservices: []\n", 0, "one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.yaml))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v, want a *ParseError", err)
			}
			if pe.File != "f.yaml" || (tt.line > 0 && pe.Line != tt.line) || !strings.Contains(pe.Msg, tt.want) {
				t.Fatalf("error = %q (line %d), want line %d and %q", err, pe.Line, tt.line, tt.want)
			}
		})
	}
}

func TestContractFileParses(t *testing.T) {
	data, err := os.ReadFile("../../shared/contract/portico.example.yaml")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI checks out shared/ beside the repository: %v", err) // the contract must be tested there
		}
		t.Skip("the shared contract file is not beside this checkout")
	}
	doc, err := Parse("portico.example.yaml", data)
	if err != nil {
		t.Fatalf("the contract file does not parse: %v", err)
	}
	if len(doc.Services) != 1 || len(doc.Services[0].Resources) != 5 || len(doc.Services[0].Stages) != 3 {
		t.Fatalf("parsed %+v", doc)
	}
	if doc.Services[0].Stages[1].Settings["/products/{productId}"].Methods["GET"].BackendURL != "http://127.0.0.1:9001" {
		t.Fatal("method settings were not parsed")
	}
}

func TestResolveEnv(t *testing.T) {
	doc, err := Parse("f.yaml", []byte(`
services:
  - name: a
    stages:
      - name: s
        backendUrl: http://b
        settings:
          /: { auth: { type: hmac, secret: env:MY_SECRET } }
apiKeys:
  - { name: k, primaryKey: env:MY_KEY }
`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MY_SECRET": "s3cret"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := doc.ResolveEnv(lookup); err == nil || !strings.Contains(err.Error(), "MY_KEY") {
		t.Fatalf("missing variable: error %v", err)
	}
	env["MY_KEY"] = "k3y"
	if err := doc.ResolveEnv(lookup); err != nil {
		t.Fatal(err)
	}
	if doc.APIKeys[0].PrimaryKey != "k3y" || doc.Services[0].Stages[0].Settings["/"].Auth.(map[string]any)["secret"] != "s3cret" {
		t.Fatalf("not resolved: %+v", doc)
	}
}

func openStore(t *testing.T) *storage.Store {
	t.Helper()
	st, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestApplyIsIdempotentAndExportRoundTrips(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile("../examples/config/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse("shop.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	apply := func() Result {
		var res Result
		if err := st.Update(ctx, func(tx *storage.Tx) error {
			var err error
			res, err = Apply(ctx, tx, doc, Options{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return res
	}
	if first := apply(); !first.Changed() {
		t.Fatalf("first apply changed nothing: %+v", first)
	}
	if second := apply(); second.Changed() {
		t.Fatalf("second apply changed something: %+v", second)
	}

	var exported *Document
	if err := st.View(ctx, func(tx *storage.Tx) error {
		var err error
		exported, err = Export(ctx, tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	out, err := exported.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	reparsed, err := Parse("export.yaml", out)
	if err != nil {
		t.Fatalf("the export does not parse: %v\n%s", err, out)
	}
	doc = reparsed
	if third := apply(); third.Changed() {
		t.Fatalf("applying the export changed something: %+v\n%s", third, out)
	}
}

func TestApplyErrorsNameTheFieldAndChangeNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tests := []struct {
		name, yaml, field string
	}{
		{"undeclared variable", `
services:
  - name: a
    resources:
      /x: { methods: { GET: { backend: { type: http, path: "/y/${request.path.id}" } } } }
`, "services[0].resources"},
		{"backend url without scheme", `
services:
  - name: a
    resources:
      /x: { methods: { GET: { backend: { type: mock, status: 200 } } } }
    stages:
      - { name: s, backendUrl: "example.com" }
`, "services[0].stages[0]"},
		{"bad path", `
services:
  - name: a
    resources:
      /x//y: { methods: { GET: { backend: { type: mock, status: 200 } } } }
`, "services[0].resources"},
		{"module without a file that was never uploaded", `
services: []
modules: [{ name: nope }]
`, "modules[0].file"},
		{"api key with a bad status", `
services: []
apiKeys: [{ name: k, status: ON }]
`, "apiKeys[0].status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse("f.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			err = st.Update(ctx, func(tx *storage.Tx) error { _, err := Apply(ctx, tx, doc, Options{}); return err })
			se, ok := storage.AsError(err)
			if !ok || se.Kind != storage.KindInvalid || !strings.HasPrefix(se.Field, tt.field) {
				t.Fatalf("error = %#v, want an invalid-argument error on %s…", err, tt.field)
			}
			var n int
			_ = st.View(ctx, func(tx *storage.Tx) error {
				svcs, err := tx.ListServices(ctx)
				n = len(svcs)
				return err
			})
			if n != 0 {
				t.Fatalf("a failed apply left %d services", n)
			}
		})
	}
}

func TestApplyErrorFieldUsesPaths(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	doc, err := Parse("f.yaml", []byte(`
services:
  - name: a
    resources:
      /a: { methods: { GET: { backend: { type: mock, status: 200 } } } }
      /b/{id}: { methods: { POST: { backend: { type: http, path: "/x/${request.path.nope}" } } } }
`))
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx *storage.Tx) error { _, err := Apply(ctx, tx, doc, Options{}); return err })
	se, ok := storage.AsError(err)
	if !ok || se.Field != "services[0].resources[/b/{id}].methods.POST.backend.path" {
		t.Fatalf("error %v, field %q", err, se.Field)
	}
}
