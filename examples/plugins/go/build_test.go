//go:build !wasip1

package plugins_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/portico-gateway/portico/wasm-sdk/go/abicheck"
)

// TestBuild compiles every example the way build.sh does and checks the module against the ABI: only
// http_handler, portico and WASI imports with the exact signatures, and the guest exports of a reactor.
func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds WebAssembly modules")
	}
	dirs, err := filepath.Glob("*/main.go")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, d := range dirs {
		name := filepath.Dir(d)
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), name+".wasm")
			cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, ".")
			cmd.Dir = name
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, b)
			}
			wasm, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			m, err := abicheck.Parse(wasm)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Check(); err != nil {
				t.Fatal(err)
			}
			if _, ok := m.Functions["_initialize"]; !ok {
				t.Error("no _initialize export: not built as a reactor")
			}
			if pages := m.Memories["memory"]; pages > 256 {
				t.Errorf("initial memory %d pages exceeds Portico's default cap of 16 MiB", pages)
			}
			t.Logf("%d bytes, %d imports, initial memory %d KiB", len(wasm), len(m.Imports), m.Memories["memory"]*64)
		})
	}
}
