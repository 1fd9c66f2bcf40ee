package wasmhost

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/http-wasm/http-wasm-host-go/tck"
)

func TestValidate(t *testing.T) {
	r, _ := newTestRuntime(t, Config{})
	tests := []struct {
		guest   string
		wantErr string // "" for a valid module
	}{
		{"roundtrip", ""},
		{"header_rewrite", ""},
		{"command", ""},
		{"invalid/unknown_function", "import http_handler.get_everything: http_handler has no such function"},
		{"invalid/wrong_signature",
			"import http_handler.get_uri has the signature (i32) -> i32, want (i32, i32) -> i32"},
		{"invalid/wrong_portico_signature",
			"import portico.kv_set has the signature (i32, i32, i32, i32, i32), want (i32, i32, i32, i32, i64)"},
		{"invalid/unknown_module", `import env.abort: unknown module "env"`},
		{"invalid/unknown_wasi", "import wasi_snapshot_preview1.sock_teleport: wasi_snapshot_preview1 has no such function"},
		{"invalid/imported_memory", "import env.memory: a module must define and export its own memory"},
		{"invalid/no_memory", `missing export: memory "memory"`},
		{"invalid/no_handle_response", "missing export: function handle_response(i32, i32)"},
		{"invalid/handle_request_i32", "export handle_request has the signature () -> i32, want () -> i64"},
		{"invalid/start_signature", "export _start has the signature (i32), want ()"},
		{"invalid/too_much_memory", "min 300 pages (18 Mi) over limit of 256 pages (16 Mi)"},
	}
	for _, tt := range tests {
		t.Run(tt.guest, func(t *testing.T) {
			wasm := guest(t, tt.guest)
			check := func(what string, err error) {
				t.Helper()
				if tt.wantErr == "" {
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					return
				}
				if !errors.Is(err, ErrInvalidModule) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("%s error = %v, want ErrInvalidModule with %q", what, err, tt.wantErr)
				}
			}
			check("Validate", Validate(context.Background(), wasm))
			m, err := r.Compile(context.Background(), tt.guest, wasm)
			check("Compile", err)
			if m != nil {
				_ = m.Close()
			}
		})
	}
	t.Run("not wasm", func(t *testing.T) {
		if err := Validate(context.Background(), []byte("hello")); !errors.Is(err, ErrInvalidModule) {
			t.Fatalf("Validate = %v", err)
		}
	})
	t.Run("the TCK guest", func(t *testing.T) {
		if err := Validate(context.Background(), tck.GuestWASM); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCompilationCache(t *testing.T) {
	dir := t.TempDir()
	wasm := guest(t, "roundtrip")
	for i := range 2 { // the second runtime loads the machine code the first one wrote
		r, _ := newTestRuntime(t, Config{CacheDir: dir})
		m, err := r.Compile(context.Background(), "roundtrip", wasm)
		if err != nil {
			t.Fatalf("runtime %d: %v", i, err)
		}
		p, err := m.NewPlugin(context.Background(), PluginConfig{Config: []byte("n")})
		if err != nil {
			t.Fatalf("runtime %d: %v", i, err)
		}
		_ = p.Close()
		_ = m.Close()
		_ = r.Close(context.Background())
	}
	files := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return err
	})
	if err != nil || files == 0 {
		t.Fatalf("nothing cached in %s (%v)", dir, err)
	}
}
