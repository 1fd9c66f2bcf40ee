// Package c tests the C example plugins. add-header runs on Portico's real WASM host
// (runtime/wasmhost) against an in-memory exchange, with the same cases as the Go example
// (examples/plugins/go/add-header), so that the C and Go versions behave alike.
//
// The module is built with ../build-all.sh, which also checks its imports and exports against the ABI. Without
// the C toolchain the tests skip, unless PORTICO_REQUIRE_TOOLCHAINS is set (for CI, which installs it).
package c

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/portico-gateway/portico/runtime/abi/memexchange"
	"github.com/portico-gateway/portico/runtime/wasmhost"
)

const lang = "c"

var built struct {
	once    sync.Once
	out     []byte
	err     error
	missing bool
}

// build builds this language's examples once per test binary and returns add-header's module.
func build(t testing.TB) []byte {
	t.Helper()
	built.once.Do(func() {
		cmd := exec.Command("bash", "../build-all.sh", lang)
		cmd.Env = append(os.Environ(), "SKIP_MISSING=1")
		built.out, built.err = cmd.CombinedOutput()
		built.missing = bytes.Contains(built.out, []byte("== "+lang+": TOOLCHAIN MISSING"))
	})
	if built.err != nil {
		t.Fatalf("build-all.sh %s: %v\n%s", lang, built.err, built.out)
	}
	if built.missing {
		if os.Getenv("PORTICO_REQUIRE_TOOLCHAINS") != "" {
			t.Fatalf("toolchain missing:\n%s", built.out)
		}
		t.Skipf("skipping: toolchain missing:\n%s", built.out)
	}
	wasm, err := os.ReadFile("add-header/add-header.wasm")
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

// newPlugin compiles wasm on a fresh runtime and binds it to config, as a deployment does.
func newPlugin(t testing.TB, wasm []byte, config string) (*wasmhost.Plugin, *bytes.Buffer, error) {
	t.Helper()
	ctx := context.Background()
	logs := &bytes.Buffer{}
	r, err := wasmhost.New(ctx, wasmhost.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(ctx) })
	if err := wasmhost.Validate(ctx, wasm); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	m, err := r.Compile(ctx, "add-header", wasm)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	p, err := m.NewPlugin(ctx, wasmhost.PluginConfig{Config: []byte(config), MaxInstances: 2})
	if err == nil {
		t.Cleanup(func() { _ = p.Close() })
	}
	return p, logs, err
}

func TestAddHeader(t *testing.T) {
	wasm := build(t)
	p, logs, err := newPlugin(t, wasm, `{"header": "x-from-wasm", "value": "yes"}`)
	if err != nil {
		t.Fatalf("NewPlugin: %v\n%s", err, logs)
	}
	for _, tc := range []struct {
		name   string
		before http.Header
	}{
		{"absent", nil},
		{"replaced", http.Header{"X-From-Wasm": {"no", "maybe"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 3 { // the instance is reused
				ex := memexchange.New(memexchange.Request{URI: "/edge", Header: tc.before.Clone()})
				ex.Enter()
				next, reqCtx := p.HandleRequest(ex)
				if !next {
					t.Fatalf("the request did not reach the backend: %+v\n%s", ex.Response(), logs)
				}
				ex.SetNext()
				ex.SetBackendResponse(memexchange.Response{Status: 200})
				p.HandleResponse(ex, reqCtx, false)
				if got := ex.Request().Header.Values("x-from-wasm"); len(got) != 1 || got[0] != "yes" {
					t.Fatalf("x-from-wasm = %q, want [yes]", got)
				}
			}
		})
	}
}

func TestAddHeaderConfig(t *testing.T) {
	wasm := build(t)
	for _, tc := range []struct{ name, config, wantLog string }{
		{"missing header", `{"value": "yes"}`, `"header" must be a header name`},
		{"not JSON", `nope`, "add-header: config: "},
		{"header not a string", `{"header": 1}`, `"header" must be a string`},
		{"header with a space", `{"header": "a b"}`, `"header" must be a header name`},
		{"value with CRLF", `{"header": "a", "value": "a\r\nb"}`, `"value" must not contain CR, LF or NUL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, logs, err := newPlugin(t, wasm, tc.config)
			if err == nil {
				t.Fatal("NewPlugin accepted a bad config")
			}
			if !strings.Contains(logs.String(), strings.ReplaceAll(tc.wantLog, `"`, `\"`)) {
				t.Fatalf("log does not say %q:\n%s", tc.wantLog, logs)
			}
		})
	}
	if _, logs, err := newPlugin(t, wasm, `{"header": "x-a", "other": {"n": [1, "}"]}}`); err != nil {
		t.Fatalf("unknown fields must be ignored: %v\n%s", err, logs)
	}
}
