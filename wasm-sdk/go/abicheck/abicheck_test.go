package abicheck_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/wasm-sdk/go/abicheck"
)

// A hand-assembled module: imports http_handler.get_uri (i32 i32 -> i32) and exports memory, handle_request and
// handle_response with the right signatures.
var minimal = []byte{
	0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00,
	// type: 3 types
	0x01, 0x10, 0x03,
	0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // (i32 i32) -> i32
	0x60, 0x00, 0x01, 0x7e, // () -> i64
	0x60, 0x02, 0x7f, 0x7f, 0x00, // (i32 i32) -> ()
	// import: http_handler.get_uri, type 0
	0x02, 0x18, 0x01,
	0x0c, 'h', 't', 't', 'p', '_', 'h', 'a', 'n', 'd', 'l', 'e', 'r',
	0x07, 'g', 'e', 't', '_', 'u', 'r', 'i',
	0x00, 0x00,
	// function: 2 functions of types 1 and 2
	0x03, 0x03, 0x02, 0x01, 0x02,
	// memory: one, min 1
	0x05, 0x03, 0x01, 0x00, 0x01,
	// export: memory, handle_request (func 1), handle_response (func 2)
	0x07, 0x2d, 0x03,
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
	0x0e, 'h', 'a', 'n', 'd', 'l', 'e', '_', 'r', 'e', 'q', 'u', 'e', 's', 't', 0x00, 0x01,
	0x0f, 'h', 'a', 'n', 'd', 'l', 'e', '_', 'r', 'e', 's', 'p', 'o', 'n', 's', 'e', 0x00, 0x02,
	// code: two empty bodies (i64.const 0 for the first)
	0x0a, 0x09, 0x02, 0x04, 0x00, 0x42, 0x00, 0x0b, 0x02, 0x00, 0x0b,
}

func TestMinimal(t *testing.T) {
	m, err := abicheck.Parse(minimal)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	if len(m.Imports) != 1 || m.Imports[0].Name != "get_uri" || m.Memories["memory"] != 1 {
		t.Fatalf("parsed %+v", m)
	}
}

func TestViolations(t *testing.T) {
	bad := append([]byte(nil), minimal...)
	// get_uri -> get_url: not a function of the ABI.
	i := strings.Index(string(bad), "get_uri")
	bad[i+6] = 'l'
	// handle_response -> handle_responsX: missing export.
	j := strings.Index(string(bad), "handle_response")
	bad[j+14] = 'X'
	err := abicheck.Check(bad)
	if err == nil || !strings.Contains(err.Error(), "import http_handler.get_url: not a function of the ABI") ||
		!strings.Contains(err.Error(), "export handle_response: missing") {
		t.Fatalf("Check = %v", err)
	}
	if _, err := abicheck.Parse(minimal[:20]); err == nil {
		t.Fatal("truncated module parsed")
	}
}

// TestSDKImports builds a guest that calls every SDK function and checks that together they import every host
// function of the ABI, each with its exact signature.
func TestSDKImports(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a WebAssembly module")
	}
	out := filepath.Join(t.TempDir(), "testguest.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "../internal/testguest")
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
		t.Error("no _initialize export")
	}
	imported := map[string]bool{}
	for _, imp := range m.Imports {
		imported[imp.Module+"."+imp.Name] = true
	}
	var missing []string
	for mod, fns := range abicheck.Imports {
		for name := range fns {
			if !imported[mod+"."+name] {
				missing = append(missing, mod+"."+name)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("the SDK does not import %v", missing)
	}
}
