// Package assemblyscript tests the AssemblyScript SDK: test/sdk-check.ts, which calls every helper, runs on
// Portico's real WASM host (runtime/wasmhost) against an in-memory exchange, and what it reports is compared with
// what the host holds. test/abi-check.ts (checked by examples/plugins/build-all.sh) covers the import signatures,
// test/abort-check.ts the abort handler.
//
// Without Node.js >= 20 and npm the tests skip, unless PORTICO_REQUIRE_TOOLCHAINS is set (for CI, which installs
// them). The first run installs the pinned compiler with npm into node_modules/.
package assemblyscript

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
	"github.com/portico-gateway/portico/runtime/wasmhost"
	"github.com/portico-gateway/portico/wasm-sdk/internal/sdktest"
)

// build compiles test/NAME.ts with the flags examples/plugins/assemblyscript/add-header/build.sh uses, installing
// the pinned compiler (package.json) on first use.
func build(t *testing.T, name string) []byte {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			sdktest.ToolchainMissing(t, tool+" not found: AssemblyScript needs Node.js >= 20 with npm")
		}
	}
	out, err := sdktest.Run(".", "node", "-p", "process.versions.node.split('.')[0] >= 20")
	if err != nil || strings.TrimSpace(string(out)) != "true" {
		sdktest.ToolchainMissing(t, "AssemblyScript needs Node.js >= 20")
	}
	if _, err := os.Stat("node_modules/.bin/asc"); err != nil {
		if out, err := sdktest.Run(".", "npm", "install", "--no-audit", "--no-fund", "--no-package-lock"); err != nil {
			t.Fatalf("npm install: %v\n%s", err, out)
		}
	}
	wasm := filepath.Join(t.TempDir(), name+".wasm")
	args := []string{"test/" + name + ".ts", "-o", wasm, "--runtime", "incremental", "-O3",
		"--use", "abort=assembly/index/handleAbort"}
	if out, err := sdktest.Run(".", "node_modules/.bin/asc", args...); err != nil {
		t.Fatalf("asc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	b, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSDK(t *testing.T) {
	want := sdktest.WantReport + "unicode=héllo✓\n" + `config=n=42 s=aé o={"k": [1, "}"]}` + "\n"
	got := sdktest.RunSDKCheck(t, build(t, "sdk-check"), `{"n": 42, "s": "a\u00e9", "o": {"k": [1, "}"]}, "t": true}`)
	if got != want {
		t.Fatalf("sdk-check reported:\n%s\nwant:\n%s", got, want)
	}
}

func TestAbort(t *testing.T) {
	ctx := context.Background()
	r, err := wasmhost.New(ctx, wasmhost.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	m, err := r.Compile(ctx, "abort-check", build(t, "abort-check"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	p, err := m.NewPlugin(ctx, wasmhost.PluginConfig{MaxInstances: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ex := memexchange.New(memexchange.Request{})
	ex.Enter()
	if next, _ := p.HandleRequest(ex); next {
		t.Fatal("the request went on after abort")
	}
	if status := ex.Response().Status; status != 500 {
		t.Fatalf("status %d, want 500", status)
	}
	want := "abort: abort-check failed on purpose at test/abort-check.ts:5:"
	if l := ex.Logs(); len(l) != 1 || l[0].Level != abi.LogError || !strings.HasPrefix(l[0].Message, want) {
		t.Fatalf("logs %+v, want one error starting %q", l, want)
	}
}
