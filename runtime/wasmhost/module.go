package wasmhost

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"
)

// Guest exports.
const (
	exportMemory         = "memory"
	exportHandleRequest  = "handle_request"
	exportHandleResponse = "handle_response"
	exportInitialize     = "_initialize"
	exportStart          = "_start"
)

var errModuleClosed = errors.New("wasmhost: module closed")

// Module is a compiled, validated guest binary. Plugins made from it share its machine code; each has its own
// instances. It is safe for concurrent use.
type Module struct {
	rt       *Runtime
	name     string
	compiled wazero.CompiledModule
	start    string // "_initialize", "_start" or ""

	mu      sync.Mutex
	plugins int
	closing bool
	closed  bool
}

// Compile compiles and validates wasm (see Validate for the rules). name identifies the module in errors and
// logs. Compiling the same bytes again is cheap: the machine code comes from the cache.
func (r *Runtime) Compile(ctx context.Context, name string, wasm []byte) (*Module, error) {
	if err := admit(wasm); err != nil {
		return nil, invalid(name, err.Error())
	}
	instrumented, err := instrument(wasm)
	if err != nil {
		return nil, r.originalError(ctx, name, wasm, fmt.Errorf("cannot instrument the module: %w", err))
	}
	compiled, err := r.wr.CompileModule(ctx, instrumented)
	if err != nil {
		return nil, r.originalError(ctx, name, wasm, err)
	}
	if err := checkModule(compiled, true); err != nil {
		_ = compiled.Close(ctx)
		return nil, invalid(name, err.Error())
	}
	m := &Module{rt: r, name: name, compiled: compiled}
	exports := compiled.ExportedFunctions()
	if _, ok := exports[exportInitialize]; ok {
		m.start = exportInitialize // a reactor: _start, if any, would be a command's main
	} else if _, ok := exports[exportStart]; ok {
		m.start = exportStart // a command whose main registers the handlers (TinyGo http-wasm guests)
	}
	return m, nil
}

// originalError reports what is wrong with a module the host could not instrument or compile: the original
// module's own validation error when it has one (its offsets and indexes are the ones the author knows), else err.
func (r *Runtime) originalError(ctx context.Context, name string, wasm []byte, err error) error {
	check := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().
		WithMemoryLimitPages(r.cfg.MemoryLimitPages))
	defer check.Close(ctx)
	if _, verr := check.CompileModule(ctx, wasm); verr != nil {
		return invalid(name, verr.Error())
	}
	return invalid(name, err.Error())
}

// Name is the name the module was compiled with.
func (m *Module) Name() string { return m.name }

// moduleConfig is the instance configuration of a plugin: sandboxed WASI with real clocks and randomness, the
// guest's output to the log, no name (instances need not be unique by name, and nothing imports a guest). wazero
// runs no start function: the instance does, under a deadline.
func (m *Module) moduleConfig(stdout, stderr io.Writer) wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader).
		WithStdout(stdout).
		WithStderr(stderr)
}

// acquire counts a plugin using the module.
func (m *Module) acquire() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return errModuleClosed
	}
	m.plugins++
	return nil
}

// release is called once by each plugin when its last instance is closed.
func (m *Module) release() {
	m.mu.Lock()
	m.plugins--
	closeNow := m.closing && m.plugins == 0 && !m.closed
	if closeNow {
		m.closed = true
	}
	m.mu.Unlock()
	if closeNow {
		_ = m.compiled.Close(context.Background())
	}
}

// Close closes the compiled module once no plugin uses it: now, or when the last plugin made from it has
// closed its last instance. New plugins cannot be made from a closed module.
func (m *Module) Close() error {
	m.mu.Lock()
	m.closing = true
	closeNow := m.plugins == 0 && !m.closed
	if closeNow {
		m.closed = true
	}
	m.mu.Unlock()
	if closeNow {
		return m.compiled.Close(context.Background())
	}
	return nil
}

// startError explains why a new instance could not start.
func startError(module, start string, err error, timedOut bool) error {
	var exit *sys.ExitError
	switch {
	case timedOut:
		return fmt.Errorf("module %q: %s did not finish within the start deadline", module, start)
	case errors.As(err, &exit):
		return fmt.Errorf("module %q: %s exited with code %d: a command's main must return without exiting "+
			"(build Go guests with -buildmode=c-shared)", module, start, exit.ExitCode())
	case err != nil:
		return fmt.Errorf("module %q: %s: %w", module, start, err)
	}
	return fmt.Errorf("module %q: the instance closed during %s", module, start)
}
