package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// ErrInvalidModule is wrapped by every error about a module's contents (as opposed to the host failing), so the
// admin API can answer 400 with the message.
var ErrInvalidModule = errors.New("invalid wasm module")

func invalid(name, detail string) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidModule, name, detail)
}

// Validate checks a module at upload without a Runtime: it must be at most MaxModuleSize bytes, decode and
// validate as WebAssembly, fit the default memory limit, import only functions the host provides with their exact signatures (http_handler,
// portico, wasi_snapshot_preview1), import no memory, and export memory, handle_request() -> i64 and
// handle_response(i32, i32). The error names the offending import or export.
func Validate(ctx context.Context, wasm []byte) error {
	if err := admit(wasm); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidModule, err)
	}
	// The interpreter only decodes and validates; no machine code is generated for a check.
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().
		WithMemoryLimitPages(DefaultMemoryLimitPages))
	defer r.Close(ctx)
	compiled, err := r.CompileModule(ctx, wasm)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidModule, err)
	}
	if err := checkModule(compiled, false); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidModule, err)
	}
	if _, err := instrument(wasm); err != nil { // so that what passes the upload check also compiles
		return fmt.Errorf("%w: cannot instrument the module: %v", ErrInvalidModule, err)
	}
	return nil
}

type signature struct{ params, results []api.ValueType }

// checkModule applies the import and export rules to a compiled module; an instrumented one also imports
// portico_runtime.yield (interrupt.go), which a guest may not import itself.
func checkModule(c wazero.CompiledModule, instrumented bool) error {
	for _, f := range c.ImportedFunctions() {
		module, name, _ := f.Import()
		if instrumented && module == moduleRuntime {
			continue // the rewrite added it; guests importing it were refused by the rewrite
		}
		want, ok, err := importSignature(module, name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("import %s.%s: %s has no such function", module, name, module)
		}
		if !slices.Equal(f.ParamTypes(), want.params) || !slices.Equal(f.ResultTypes(), want.results) {
			return fmt.Errorf("import %s.%s has the signature %s, want %s", module, name,
				sigString(f.ParamTypes(), f.ResultTypes()), sigString(want.params, want.results))
		}
	}
	for _, m := range c.ImportedMemories() {
		module, name, _ := m.Import()
		return fmt.Errorf("import %s.%s: a module must define and export its own memory, not import one",
			module, name)
	}
	if _, ok := c.ExportedMemories()[exportMemory]; !ok {
		return fmt.Errorf("missing export: memory %q", exportMemory)
	}
	exports := c.ExportedFunctions()
	for _, want := range []struct {
		name string
		sig  signature
	}{
		{exportHandleRequest, signature{nil, []api.ValueType{i64}}},
		{exportHandleResponse, signature{[]api.ValueType{i32, i32}, nil}},
	} {
		f, ok := exports[want.name]
		if !ok {
			return fmt.Errorf("missing export: function %s%s", want.name, sigString(want.sig.params, want.sig.results))
		}
		if !slices.Equal(f.ParamTypes(), want.sig.params) || !slices.Equal(f.ResultTypes(), want.sig.results) {
			return fmt.Errorf("export %s has the signature %s, want %s", want.name,
				sigString(f.ParamTypes(), f.ResultTypes()), sigString(want.sig.params, want.sig.results))
		}
	}
	for _, name := range []string{exportInitialize, exportStart} {
		if f, ok := exports[name]; ok && (len(f.ParamTypes()) > 0 || len(f.ResultTypes()) > 0) {
			return fmt.Errorf("export %s has the signature %s, want ()", name, sigString(f.ParamTypes(), f.ResultTypes()))
		}
	}
	return nil
}

// importSignature looks up a host function's signature; ok is false for an unknown function of a known module.
func importSignature(module, name string) (sig signature, ok bool, err error) {
	var funcs []hostFunc
	switch module {
	case moduleHTTPHandler:
		funcs = httpHandlerFuncs
	case modulePortico:
		funcs = porticoFuncs
	case moduleWASI:
		defs, err := wasiSignatures()
		if err != nil {
			return signature{}, false, err
		}
		sig, ok = defs[name]
		return sig, ok, nil
	default:
		hint := ""
		if module == "env" && name == "abort" {
			hint = " (AssemblyScript: build with --use abort= pointing at your own function)"
		}
		return signature{}, false, fmt.Errorf("import %s.%s: unknown module %q: only %s, %s and %s are provided%s",
			module, name, module, moduleHTTPHandler, modulePortico, moduleWASI, hint)
	}
	for i := range funcs {
		if funcs[i].name == name {
			return signature{funcs[i].params, funcs[i].results}, true, nil
		}
	}
	return signature{}, false, nil
}

var wasiDefs struct {
	once sync.Once
	sigs map[string]signature
	err  error
}

// wasiSignatures lists the functions of wazero's wasi_snapshot_preview1, read once from the module itself so the
// check can never disagree with what instantiation links.
func wasiSignatures() (map[string]signature, error) {
	wasiDefs.once.Do(func() {
		ctx := context.Background()
		r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
		defer r.Close(ctx)
		c, err := wasi_snapshot_preview1.NewBuilder(r).Compile(ctx)
		if err != nil {
			wasiDefs.err = fmt.Errorf("wasmhost: %s: %w", moduleWASI, err)
			return
		}
		wasiDefs.sigs = map[string]signature{}
		for name, f := range c.ExportedFunctions() {
			wasiDefs.sigs[name] = signature{f.ParamTypes(), f.ResultTypes()}
		}
	})
	return wasiDefs.sigs, wasiDefs.err
}

func sigString(params, results []api.ValueType) string {
	s := "(" + typeList(params) + ")"
	if len(results) > 0 {
		s += " -> " + typeList(results)
	}
	return s
}
