package wasmhost

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/http-wasm/http-wasm-host-go/tck"
	"github.com/tetratelabs/wazero"

	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// TestInstrumentKeepsTheWiring runs a guest whose calls, call_indirect through an element segment, ref.func in a
// global, export and start section all depend on function indexes the rewrite shifts.
func TestInstrumentKeepsTheWiring(t *testing.T) {
	r, logs := newTestRuntime(t, Config{})
	p := newTestPlugin(t, r, "interrupt", PluginConfig{Config: []byte("a")})
	ex := memexchange.New(memexchange.Request{})
	serve(p, ex, okBackend())
	if resp := ex.Response(); resp.Status != 200 || resp.Header.Get("X-Result") != "ok" {
		t.Fatalf("status %d, x-result %q\n%s", resp.Status, resp.Header.Get("X-Result"), logs)
	}
}

func TestInstrumentKeepsFunctionNames(t *testing.T) {
	r, logs := newTestRuntime(t, Config{})
	p := newTestPlugin(t, r, "interrupt", PluginConfig{Config: []byte("u")})
	serve(p, memexchange.New(memexchange.Request{}), okBackend())
	if !strings.Contains(logs.String(), "deep_trap") {
		t.Fatalf("the stack trace does not name the trapping function:\n%s", logs)
	}
}

// TestDeadlineStopsGuests checks that a call's deadline stops a guest however it spins.
func TestDeadlineStopsGuests(t *testing.T) {
	r, logs := newTestRuntime(t, Config{})
	for _, tt := range []struct{ name, config string }{
		{"endless loop", "l"},
		{"exponential recursion without loops", "r"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPlugin(t, r, "interrupt", PluginConfig{Config: []byte(tt.config), CallTimeout: 50 * time.Millisecond})
			ex := memexchange.New(memexchange.Request{})
			start := time.Now()
			serve(p, ex, okBackend())
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("stopped after %v, the deadline is 50ms", took)
			}
			wantPluginError(t, ex.Response(), 500, codePluginFailed)
			if !strings.Contains(logs.String(), "exceeded its deadline of 50ms") {
				t.Errorf("log:\n%s", logs)
			}
		})
	}
}

// TestDeadlineWithGC spins a guest while another goroutine keeps asking for garbage collections. Native code is
// never preempted: without the yields of the instrumented code, a stop-the-world would wait for the guest
// forever, and so would the deadline.
func TestDeadlineWithGC(t *testing.T) {
	r, _ := newTestRuntime(t, Config{})
	p := newTestPlugin(t, r, "interrupt", PluginConfig{Config: []byte("l"), CallTimeout: 300 * time.Millisecond})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve(p, memexchange.New(memexchange.Request{}), okBackend())
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Error("the spinning guest was never stopped")
	}
	close(stop)
	wg.Wait()
}

func TestStartDeadline(t *testing.T) {
	r, _ := newTestRuntime(t, Config{StartTimeout: 100 * time.Millisecond})
	for _, name := range []string{"start_loop", "start_section_loop"} {
		t.Run(name, func(t *testing.T) {
			m, err := r.Compile(context.Background(), name, guest(t, name))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			_, err = m.NewPlugin(context.Background(), PluginConfig{})
			if err == nil || !strings.Contains(err.Error(), "did not finish within the start deadline") {
				t.Fatalf("NewPlugin error = %v", err)
			}
		})
	}
}

// instrumentable lists the binaries the rewrite is tested on: the test guests, the TCK's TinyGo guest, and the
// example plugins' builds (Go, Rust, C, AssemblyScript) when they are there and wanted (they are large: the
// fuzzer is better off without them).
func instrumentable(t testing.TB, examples bool) map[string][]byte {
	bins := map[string][]byte{"tck": tck.GuestWASM}
	for _, name := range []string{"roundtrip", "header_rewrite", "command", "interrupt", "start_section_loop"} {
		bins[name] = guest(t, name)
	}
	var paths []string
	if examples {
		paths, _ = filepath.Glob("../../examples/plugins/*/*/*.wasm")
	}
	for _, path := range paths {
		if wasm, err := os.ReadFile(path); err == nil {
			bins[path] = wasm
		}
	}
	return bins
}

func TestInstrumentOutputValidates(t *testing.T) {
	ctx := context.Background()
	check := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer check.Close(ctx)
	for name, wasm := range instrumentable(t, true) {
		t.Run(name, func(t *testing.T) {
			out, err := instrument(wasm)
			if err != nil {
				t.Fatal(err)
			}
			c, err := check.CompileModule(ctx, out)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := c.ExportedFunctions()[exportHandleRequest]; !ok {
				t.Fatal("lost an export")
			}
		})
	}
}

func TestInstrumentRefuses(t *testing.T) {
	reserved := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x04\x01\x60\x00\x00" + // type section: () -> ()
		"\x02\x19\x01\x0fportico_runtime\x05yield\x00\x00") // import portico_runtime.yield
	for _, tt := range []struct {
		name string
		wasm []byte
		want string
	}{
		{"not wasm", []byte("hello"), "not a WebAssembly 1.0 binary"},
		{"truncated", []byte("\x00asm\x01\x00\x00\x00\x01\x05\x01"), "truncated"},
		{"reserved import", reserved, "the module portico_runtime is reserved"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := instrument(tt.wasm); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("instrument error = %v, want %q", err, tt.want)
			}
		})
	}
}

// FuzzInstrument checks that the rewrite never panics and never turns a valid module into an invalid one.
func FuzzInstrument(f *testing.F) {
	for _, wasm := range instrumentable(f, false) {
		f.Add(wasm)
	}
	ctx := context.Background()
	check := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer check.Close(ctx)
	f.Fuzz(func(t *testing.T, wasm []byte) {
		if admit(wasm) != nil {
			return // wazero is never given what admit refuses
		}
		out, err := instrument(wasm)
		if _, verr := check.CompileModule(ctx, wasm); verr != nil || err != nil {
			return // invalid input, or refused by the rewrite (Compile then reports wazero's reason)
		}
		if _, err := check.CompileModule(ctx, out); err != nil {
			t.Fatalf("a valid module became invalid: %v", err)
		}
	})
}

func TestHTTPCallTimeDoesNotCount(t *testing.T) {
	in := &instance{limit: 50 * time.Millisecond, started: time.Now().Add(-40 * time.Millisecond)}
	before := in.started
	paused := in.pauseDeadline()
	time.Sleep(20 * time.Millisecond)
	in.resumeDeadline(paused)
	if shift := in.started.Sub(before); shift < 20*time.Millisecond {
		t.Fatalf("the clock moved on by %v while the host waited", 20*time.Millisecond-shift)
	}

	idle := &instance{limit: time.Millisecond} // no yield yet: the clock has not started, nothing to shift
	idle.resumeDeadline(idle.pauseDeadline())
	if !idle.started.IsZero() {
		t.Fatal("resume started the clock")
	}
}
