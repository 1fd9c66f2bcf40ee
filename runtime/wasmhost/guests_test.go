package wasmhost

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test guests are WebAssembly text in testdata, compiled with wat2wasm (Debian's wabt package) once per test
// binary. Without wat2wasm the tests that need a guest skip, except in CI, where they fail: CI installs wabt.
var guests struct {
	once sync.Once
	wasm map[string][]byte // by path below testdata, without ".wat"
	err  error
}

func compileGuests() {
	guests.wasm = map[string][]byte{}
	wat2wasm, err := exec.LookPath("wat2wasm")
	if err != nil {
		guests.err = fmt.Errorf("wat2wasm not found (apt-get install -y wabt): %w", err)
		return
	}
	dir, err := os.MkdirTemp("", "wasmhost-guests")
	if err != nil {
		guests.err = err
		return
	}
	defer os.RemoveAll(dir)
	sources, _ := filepath.Glob("testdata/*.wat")
	more, _ := filepath.Glob("testdata/invalid/*.wat")
	for _, src := range append(sources, more...) {
		name := strings.TrimSuffix(strings.TrimPrefix(src, "testdata/"), ".wat")
		out := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".wasm")
		if msg, err := exec.Command(wat2wasm, "--debug-names", src, "-o", out).CombinedOutput(); err != nil {
			guests.err = fmt.Errorf("wat2wasm %s: %v\n%s", src, err, msg)
			return
		}
		if guests.wasm[name], err = os.ReadFile(out); err != nil {
			guests.err = err
			return
		}
	}
}

// guest returns the compiled testdata/<name>.wat.
func guest(t testing.TB, name string) []byte {
	t.Helper()
	guests.once.Do(compileGuests)
	if guests.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("test guests: %v", guests.err)
		}
		t.Skipf("skipping: test guests unavailable: %v", guests.err)
	}
	wasm, ok := guests.wasm[name]
	if !ok {
		t.Fatalf("no test guest testdata/%s.wat", name)
	}
	return wasm
}

// logBuffer collects the runtime's log for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestRuntime returns a runtime logging to the returned buffer, closed with the test.
func newTestRuntime(t testing.TB, cfg Config) (*Runtime, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	var w io.Writer = logs
	if testing.Verbose() {
		w = io.MultiWriter(logs, os.Stderr)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = time.Second // generous: -race and a shared CI machine slow guests down
	}
	r, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r, logs
}

// newTestPlugin compiles testdata/<name>.wat and makes a plugin of it, closed with the test.
func newTestPlugin(t testing.TB, r *Runtime, name string, cfg PluginConfig) *Plugin {
	t.Helper()
	m, err := r.Compile(context.Background(), name, guest(t, name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.NewPlugin(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.Close()
		_ = m.Close()
	})
	return p
}
