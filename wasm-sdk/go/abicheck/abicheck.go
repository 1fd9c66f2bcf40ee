// Package abicheck checks a compiled guest module against the Portico plugin ABI (wasm-sdk/ABI.md): every function
// it imports from "http_handler" or "portico" must be one the ABI defines, with the exact signature; other imports
// may only come from "wasi_snapshot_preview1"; and the guest exports must be present with their signatures. It
// reads the binary format directly and runs nothing.
package abicheck

import (
	"errors"
	"fmt"
	"slices"
)

// ValueType is a WebAssembly value type.
type ValueType byte

const (
	I32 ValueType = 0x7f
	I64 ValueType = 0x7e
	F32 ValueType = 0x7d
	F64 ValueType = 0x7c
)

func (v ValueType) String() string {
	switch v {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	}
	return fmt.Sprintf("type(0x%x)", byte(v))
}

// Signature is a function type.
type Signature struct {
	Params, Results []ValueType
}

func (s Signature) String() string { return fmt.Sprint(s.Params, " -> ", s.Results) }

func (s Signature) equal(o Signature) bool {
	return slices.Equal(s.Params, o.Params) && slices.Equal(s.Results, o.Results)
}

func sig(params []ValueType, results ...ValueType) Signature {
	return Signature{Params: params, Results: results}
}

func n32(n int) []ValueType {
	out := make([]ValueType, n)
	for i := range out {
		out[i] = I32
	}
	return out
}

// Module names.
const (
	HTTPHandler = "http_handler"
	Portico     = "portico"
	WASI        = "wasi_snapshot_preview1"
)

// Imports are the host functions of the ABI by module and name.
var Imports = map[string]map[string]Signature{
	HTTPHandler: {
		"enable_features":      sig(n32(1), I32),
		"get_config":           sig(n32(2), I32),
		"log_enabled":          sig(n32(1), I32),
		"log":                  sig(n32(3)),
		"get_method":           sig(n32(2), I32),
		"set_method":           sig(n32(2)),
		"get_uri":              sig(n32(2), I32),
		"set_uri":              sig(n32(2)),
		"get_protocol_version": sig(n32(2), I32),
		"get_header_names":     sig(n32(3), I64),
		"get_header_values":    sig(n32(5), I64),
		"set_header_value":     sig(n32(5)),
		"add_header_value":     sig(n32(5)),
		"remove_header":        sig(n32(3)),
		"read_body":            sig(n32(3), I64),
		"write_body":           sig(n32(3)),
		"get_status_code":      sig(nil, I32),
		"set_status_code":      sig(n32(1)),
		"get_source_addr":      sig(n32(2), I32),
	},
	Portico: {
		"get_context_var":            sig(n32(4), I64),
		"kv_get":                     sig(n32(4), I64),
		"kv_set":                     sig(append(n32(4), I64)),
		"counter_incr":               sig([]ValueType{I32, I32, I64, I64}, I64),
		"http_call":                  sig(n32(9), I32),
		"http_call_response_headers": sig(n32(2), I32),
		"http_call_response_body":    sig(n32(2), I32),
		"now_unix_nano":              sig(nil, I64),
		"version":                    sig(nil, I32),
	},
}

// Exports are the guest's function exports; "memory" must be exported too. _initialize is optional (a WASI
// reactor has it).
var Exports = map[string]Signature{
	"handle_request":  sig(nil, I64),
	"handle_response": sig(n32(2)),
}

// Optional exports, checked when present.
var Optional = map[string]Signature{
	"_initialize": sig(nil),
	"_start":      sig(nil),
}

// Import is one function import.
type Import struct {
	Module, Name string
	Sig          Signature
}

// Module is what abicheck reads from a binary.
type Module struct {
	Imports   []Import             // function imports
	Other     []string             // non-function imports, "module.name"
	Functions map[string]Signature // function exports
	Memories  map[string]uint32    // memory exports and their minimum size in 64 KiB pages
}

// Check parses wasm and reports every way it breaks the ABI, joined; nil when it conforms.
func Check(wasm []byte) error {
	m, err := Parse(wasm)
	if err != nil {
		return err
	}
	return m.Check()
}

// Check reports every way m breaks the ABI, joined.
func (m *Module) Check() error {
	var errs []error
	for _, imp := range m.Imports {
		switch imp.Module {
		case WASI:
		case HTTPHandler, Portico:
			want, ok := Imports[imp.Module][imp.Name]
			if !ok {
				errs = append(errs, fmt.Errorf("import %s.%s: not a function of the ABI", imp.Module, imp.Name))
			} else if !want.equal(imp.Sig) {
				errs = append(errs, fmt.Errorf("import %s.%s: signature %v, want %v", imp.Module, imp.Name, imp.Sig, want))
			}
		default:
			errs = append(errs, fmt.Errorf("import %s.%s: unknown module %q", imp.Module, imp.Name, imp.Module))
		}
	}
	for _, o := range m.Other {
		errs = append(errs, fmt.Errorf("import %s: only functions may be imported", o))
	}
	if _, ok := m.Memories["memory"]; !ok {
		errs = append(errs, errors.New(`export "memory": missing`))
	}
	for name, want := range Exports {
		if got, ok := m.Functions[name]; !ok {
			errs = append(errs, fmt.Errorf("export %s: missing", name))
		} else if !want.equal(got) {
			errs = append(errs, fmt.Errorf("export %s: signature %v, want %v", name, got, want))
		}
	}
	for name, want := range Optional {
		if got, ok := m.Functions[name]; ok && !want.equal(got) {
			errs = append(errs, fmt.Errorf("export %s: signature %v, want %v", name, got, want))
		}
	}
	return errors.Join(errs...)
}
