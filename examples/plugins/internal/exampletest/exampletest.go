// Package exampletest holds what the tests of the non-Go example plugins share: building a language's examples
// with ../build-all.sh, loading a module on Portico's real WASM host (runtime/wasmhost), and the add-header cases,
// the same as the Go example's (examples/plugins/go/add-header), so that every version behaves alike.
//
// The functions are called from a language's directory (examples/plugins/LANG), the working directory of its
// tests. Without the language's toolchain they skip, unless PORTICO_REQUIRE_TOOLCHAINS is set (for CI, which
// installs it).
package exampletest

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

type buildResult struct {
	out     []byte
	err     error
	missing bool
}

var (
	buildsMu sync.Mutex
	builds   = map[string]func() buildResult{}
)

// Build builds lang's examples once per test binary with ../build-all.sh LANG (SKIP_MISSING=1) and returns
// add-header's module.
func Build(tb testing.TB, lang string) []byte {
	tb.Helper()
	buildsMu.Lock()
	once, ok := builds[lang]
	if !ok {
		once = sync.OnceValue(func() buildResult {
			cmd := exec.Command("bash", "../build-all.sh", lang)
			cmd.Env = append(os.Environ(), "SKIP_MISSING=1")
			var r buildResult
			r.out, r.err = cmd.CombinedOutput()
			r.missing = bytes.Contains(r.out, []byte("== "+lang+": TOOLCHAIN MISSING"))
			return r
		})
		builds[lang] = once
	}
	buildsMu.Unlock()
	built := once()
	if built.err != nil {
		tb.Fatalf("build-all.sh %s: %v\n%s", lang, built.err, built.out)
	}
	if built.missing {
		if os.Getenv("PORTICO_REQUIRE_TOOLCHAINS") != "" {
			tb.Fatalf("toolchain missing:\n%s", built.out)
		}
		tb.Skipf("skipping: toolchain missing:\n%s", built.out)
	}
	wasm, err := os.ReadFile("add-header/add-header.wasm")
	if err != nil {
		tb.Fatal(err)
	}
	return wasm
}

// NewPlugin compiles wasm on a fresh runtime and binds it to config, as a deployment does. It returns the
// plugin, what the host logged and NewPlugin's error.
func NewPlugin(tb testing.TB, wasm []byte, config string) (*wasmhost.Plugin, *bytes.Buffer, error) {
	tb.Helper()
	ctx := context.Background()
	logs := &bytes.Buffer{}
	r, err := wasmhost.New(ctx, wasmhost.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close(ctx) })
	if err := wasmhost.Validate(ctx, wasm); err != nil {
		tb.Fatalf("Validate: %v", err)
	}
	m, err := r.Compile(ctx, "add-header", wasm)
	if err != nil {
		tb.Fatalf("Compile: %v", err)
	}
	tb.Cleanup(func() { _ = m.Close() })
	p, err := m.NewPlugin(ctx, wasmhost.PluginConfig{Config: []byte(config), MaxInstances: 2})
	if err == nil {
		tb.Cleanup(func() { _ = p.Close() })
	}
	return p, logs, err
}

// RunAddHeader checks that add-header (wasm) sets its configured header, whether the request had it or not.
func RunAddHeader(t *testing.T, wasm []byte) {
	t.Helper()
	p, logs, err := NewPlugin(t, wasm, `{"header": "x-from-wasm", "value": "yes"}`)
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

// RunAddHeaderConfig checks that add-header (wasm) refuses bad configs, saying why in the log, and ignores
// unknown fields.
func RunAddHeaderConfig(t *testing.T, wasm []byte) {
	t.Helper()
	for _, tc := range []struct{ name, config, wantLog string }{
		{"missing header", `{"value": "yes"}`, `"header" must be a header name`},
		{"not JSON", `nope`, "add-header: config: "},
		{"header not a string", `{"header": 1}`, `"header" must be a string`},
		{"header with a space", `{"header": "a b"}`, `"header" must be a header name`},
		{"value with CRLF", `{"header": "a", "value": "a\r\nb"}`, `"value" must not contain CR, LF or NUL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, logs, err := NewPlugin(t, wasm, tc.config)
			if err == nil {
				t.Fatal("NewPlugin accepted a bad config")
			}
			if !strings.Contains(logs.String(), strings.ReplaceAll(tc.wantLog, `"`, `\"`)) {
				t.Fatalf("log does not say %q:\n%s", tc.wantLog, logs)
			}
		})
	}
	if _, logs, err := NewPlugin(t, wasm, `{"header": "x-a", "other": {"n": [1, "}"]}}`); err != nil {
		t.Fatalf("unknown fields must be ignored: %v\n%s", err, logs)
	}
}
