package wasmhost

import (
	"bytes"
	"errors"
	"fmt"
)

// Limits of an uploaded module, checked before wazero decodes it.
const (
	// MaxModuleSize bounds a module's binary. Go guests are a few MiB, TinyGo and C ones far less.
	MaxModuleSize = 64 << 20
	// maxFunctionLocals bounds the locals one function declares, as V8 and Wasmtime do.
	maxFunctionLocals = 50_000
)

// admit checks a module's structure before wazero decodes it. wazero sizes its allocations by the counts it
// reads before it reads what they count: a ten-byte function declaring four billion locals, or an import section
// announcing billions of imports, makes it allocate gigabytes, and an uploaded module could bring the gateway
// down. admit walks every section whose counts wazero allocates by and checks that each count is backed by
// entries that are really there, so that wazero's allocations stay proportional to the module's size.
func admit(wasm []byte) error {
	if len(wasm) > MaxModuleSize {
		return fmt.Errorf("the module is %d bytes, more than the %d allowed", len(wasm), MaxModuleSize)
	}
	if len(wasm) < 8 || !bytes.Equal(wasm[:8], []byte("\x00asm\x01\x00\x00\x00")) {
		return errors.New("not a WebAssembly 1.0 binary")
	}
	r := &reader{b: wasm[8:]}
	for r.len() > 0 {
		id := r.byte()
		s := &reader{b: r.bytes(r.u32())}
		if r.err != nil {
			return fmt.Errorf("section header: %w", r.err)
		}
		admitSection(id, s)
		if s.err == nil && s.len() > 0 {
			s.fail(errors.New("trailing bytes"))
		}
		if s.err != nil {
			return fmt.Errorf("section %d: %w", id, s.err)
		}
	}
	return nil
}

func admitSection(id byte, s *reader) {
	rw := &rewriter{} // its parsers, without renumbering
	switch id {
	case secCustom:
		if s.name() == "name" {
			if _, err := rw.names(s.rest()); err != nil {
				s.fail(err)
			}
		} else {
			s.rest()
		}
	case secType:
		s.each(s.u32(), func() {
			if form := s.byte(); form != 0x60 {
				s.fail(fmt.Errorf("type form %#x", form))
			}
			s.each(s.u32(), s.valType) // params
			s.each(s.u32(), s.valType) // results
		})
	case secImport:
		if err := rw.scanImports(s.rest()); err != nil {
			s.fail(err)
		}
	case 3: // function: type indexes
		s.each(s.u32(), func() { s.u32() })
	case 4: // table
		s.each(s.u32(), func() { s.valType(); s.limits() })
	case 5: // memory
		s.each(s.u32(), s.limits)
	case 13: // tag
		s.each(s.u32(), func() { s.byte(); s.u32() })
	case secGlobal:
		s.each(s.u32(), func() { s.valType(); s.byte(); rw.expr(s, nil) })
	case secExport:
		s.each(s.u32(), func() { s.name(); s.byte(); s.u32() })
	case secStart, secDataCount:
		s.u32()
	case secElement:
		rw.elements(s)
	case secCode:
		s.each(s.u32(), func() { admitBody(s) })
	case 11: // data
		s.each(s.u32(), func() {
			switch flags := s.u32(); flags {
			case 0:
				rw.expr(s, nil)
			case 1:
			case 2:
				s.u32()
				rw.expr(s, nil)
			default:
				s.fail(fmt.Errorf("data segment flags %d", flags))
			}
			s.bytes(s.u32())
		})
	default:
		s.fail(fmt.Errorf("unknown section"))
	}
}

// admitBody checks a function body's size and locals; its instructions are the rewrite's business.
func admitBody(s *reader) {
	b := &reader{b: s.bytes(s.u32())}
	total := uint64(0)
	b.each(b.u32(), func() {
		total += uint64(b.u32())
		b.valType()
	})
	if total > maxFunctionLocals {
		b.fail(fmt.Errorf("a function declares %d locals, more than %d", total, maxFunctionLocals))
	}
	if b.err != nil {
		s.fail(b.err)
	}
}
