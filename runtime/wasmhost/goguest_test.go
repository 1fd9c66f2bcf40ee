package wasmhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

var goGuest struct {
	once sync.Once
	wasm []byte
	err  error
	msg  []byte
}

// buildGoGuest builds testdata/goguest with the Go toolchain running the tests (GOOS=wasip1, -buildmode=c-shared).
func buildGoGuest(t testing.TB) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a Go guest")
	}
	goGuest.once.Do(func() {
		dir, err := os.MkdirTemp("", "goguest")
		if err != nil {
			goGuest.err = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "goguest.wasm")
		build := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, ".")
		build.Dir = "testdata/goguest"
		build.Env = append(build.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		if goGuest.msg, goGuest.err = build.CombinedOutput(); goGuest.err == nil {
			goGuest.wasm, goGuest.err = os.ReadFile(out)
		}
	})
	if goGuest.err != nil {
		t.Fatalf("go build: %v\n%s", goGuest.err, goGuest.msg)
	}
	return goGuest.wasm
}

// TestGoGuest serves requests with a plugin written in Go: a real compiler's output through the rewrite,
// _initialize starting the Go runtime, go:wasmimport calls into http_handler, the Go GC inside the memory cap.
func TestGoGuest(t *testing.T) {
	r, logs := newTestRuntime(t, Config{})
	m, err := r.Compile(context.Background(), "goguest", buildGoGuest(t))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.NewPlugin(context.Background(), PluginConfig{MaxInstances: 1})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	t.Cleanup(func() { _ = p.Close(); _ = m.Close() })
	sum := sha256.Sum256([]byte("/hash"))
	for i := range 200 {
		ex := memexchange.New(memexchange.Request{URI: "/hash"})
		if !serve(p, ex, okBackend()) {
			t.Fatalf("request %d: %d %s\n%s", i, ex.Response().Status, ex.Response().Body, logs)
		}
		wantHeader(t, ex.Request().Header, "X-Plugin", "go")
		wantHeader(t, ex.Response().Header, "X-Uri-Sha256", hex.EncodeToString(sum[:]))
	}
	if n := p.created.Load(); n != 1 {
		t.Errorf("%d instances created, want 1 reused throughout", n)
	}
}
