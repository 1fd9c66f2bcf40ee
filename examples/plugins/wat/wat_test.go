// Package wat tests the hand-written WAT example plugins on Portico's real WASM host (runtime/wasmhost) against an
// in-memory exchange.
//
// The modules are built with ../build-all.sh, which also checks their imports and exports against the ABI. Without
// wabt the tests skip, unless PORTICO_REQUIRE_TOOLCHAINS is set (for CI, which installs it).
package wat

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/portico-gateway/portico/runtime/abi/memexchange"
	"github.com/portico-gateway/portico/runtime/wasmhost"
)

var built struct {
	once    sync.Once
	out     []byte
	err     error
	missing bool
}

// build builds the WAT examples once per test binary and returns name.wasm.
func build(t *testing.T, name string) []byte {
	t.Helper()
	built.once.Do(func() {
		cmd := exec.Command("bash", "../build-all.sh", "wat")
		cmd.Env = append(os.Environ(), "SKIP_MISSING=1")
		built.out, built.err = cmd.CombinedOutput()
		built.missing = bytes.Contains(built.out, []byte("== wat: TOOLCHAIN MISSING"))
	})
	if built.err != nil {
		t.Fatalf("build-all.sh wat: %v\n%s", built.err, built.out)
	}
	if built.missing {
		if os.Getenv("PORTICO_REQUIRE_TOOLCHAINS") != "" {
			t.Fatalf("toolchain missing:\n%s", built.out)
		}
		t.Skipf("skipping: toolchain missing:\n%s", built.out)
	}
	wasm, err := os.ReadFile(name + ".wasm")
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

// newPlugin compiles wasm on a fresh runtime and binds it to an empty config, as a deployment does.
func newPlugin(t *testing.T, wasm []byte) *wasmhost.Plugin {
	t.Helper()
	ctx := context.Background()
	r, err := wasmhost.New(ctx, wasmhost.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(ctx) })
	if err := wasmhost.Validate(ctx, wasm); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	m, err := r.Compile(ctx, "wat", wasm)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	p, err := m.NewPlugin(ctx, wasmhost.PluginConfig{MaxInstances: 2})
	if err != nil {
		t.Fatalf("NewPlugin: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestAddHeader(t *testing.T) {
	p := newPlugin(t, build(t, "add-header"))
	for range 3 { // the instance is reused
		ex := memexchange.New(memexchange.Request{URI: "/edge"})
		ex.Enter()
		next, reqCtx := p.HandleRequest(ex)
		if !next {
			t.Fatalf("the request did not reach the backend: %+v", ex.Response())
		}
		ex.SetNext()
		ex.SetBackendResponse(memexchange.Response{Status: 200})
		p.HandleResponse(ex, reqCtx, false)
		if got := ex.Request().Header.Values("x-from-wat"); len(got) != 1 || got[0] != "yes" {
			t.Fatalf("x-from-wat = %q, want [yes]", got)
		}
	}
}

func TestDeny(t *testing.T) {
	p := newPlugin(t, build(t, "deny"))
	for range 3 {
		ex := memexchange.New(memexchange.Request{URI: "/edge"})
		ex.Enter()
		if next, _ := p.HandleRequest(ex); next {
			t.Fatal("deny passed the request on")
		}
		resp := ex.Response()
		if resp.Status != 403 || resp.Header.Get("content-type") != "application/json" ||
			string(resp.Body) != "{\"error\":\"forbidden by plugin\"}\n" {
			t.Fatalf("response = %d %v %q", resp.Status, resp.Header, resp.Body)
		}
	}
}
