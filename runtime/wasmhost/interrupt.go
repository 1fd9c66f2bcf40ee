package wasmhost

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Interrupting a running guest.
//
// A guest that loops forever must be stopped at its call deadline. wazero can do it (WithCloseOnContextDone), but
// then every call starts a goroutine watching the context: measured here, 3 allocations and about 1 µs per guest
// call, two calls per request — the budget of a whole WASM plugin is 1 µs. So the host stops guests the way
// Wasmtime's epoch interruption does, in the guest's own code: at Compile, the module is rewritten so that every
// function entry and every loop iteration reads an exported i32 global and traps when it is not zero:
//
//	global.get $__portico_interrupt
//	if
//	  unreachable
//	end
//
// When a call's deadline passes, the timer sets the instance's global to 1; the guest traps at its next loop
// iteration or call, whatever it is doing (a function with neither finishes in bounded time). The check costs a
// load and a branch, far less than wazero's per-iteration termination check. The rewrite keeps every function,
// type, global and label index: one global is appended and exported, code bodies grow, and DWARF sections, whose
// code offsets would be stale, are dropped. The start section, which wazero runs inside instantiation where no
// deadline could reach it, becomes an export the host calls under a deadline, like _initialize.

const (
	exportInterrupt = "__portico_interrupt"
	exportWasmStart = "__portico_start"
)

// Section IDs.
const (
	secCustom    = 0
	secImport    = 2
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
)

var errTruncated = errors.New("truncated")

// instrument rewrites a module as described above. It fails on malformed input or on instructions outside the
// features the runtime enables; callers then report wazero's own error for the original module when it has one.
func instrument(wasm []byte) ([]byte, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:8], []byte("\x00asm\x01\x00\x00\x00")) {
		return nil, errors.New("not a WebAssembly 1.0 binary")
	}
	type section struct {
		id      byte
		payload []byte
	}
	var sections []section
	r := &reader{b: wasm[8:]}
	importedGlobals, definedGlobals := uint32(0), uint32(0)
	startFunc, hasStart := uint32(0), false
	for r.len() > 0 {
		id := r.byte()
		payload := r.bytes(r.u32())
		if r.err != nil {
			return nil, fmt.Errorf("section header: %w", r.err)
		}
		var err error
		switch id {
		case secCustom:
			name := (&reader{b: payload}).name()
			if strings.HasPrefix(name, ".debug_") || name == "sourceMappingURL" {
				continue
			}
		case secImport:
			importedGlobals, err = countImportedGlobals(payload)
		case secGlobal:
			definedGlobals, err = (&reader{b: payload}).count()
		case secStart:
			sr := &reader{b: payload}
			startFunc, hasStart, err = sr.u32(), true, sr.err
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		sections = append(sections, section{id, payload})
	}
	g := importedGlobals + definedGlobals
	check := appendU32([]byte{0x23}, g) // global.get g
	check = append(check, 0x04, 0x40, 0x00, 0x0b)

	// The global section goes before the export section, which goes before the start, element, data count, code
	// and data sections; create them there when the module has none.
	order := map[byte]int{secExport: 1, secStart: 2, secElement: 2, secDataCount: 2, secCode: 2, secData: 2}
	newGlobal := []byte{0x7f, 0x01, 0x41, 0x00, 0x0b} // (mut i32) (i32.const 0)
	newExports := appendExport(nil, exportInterrupt, 0x03, g)
	exportCount := uint32(1)
	if hasStart {
		newExports = appendExport(newExports, exportWasmStart, 0x00, startFunc)
		exportCount++
	}
	out := append([]byte(nil), wasm[:8]...)
	wroteGlobal, wroteExport := false, false
	emit := func(id byte, payload []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(payload)))
		out = append(out, payload...)
	}
	for _, s := range sections {
		if s.id != secCustom {
			if !wroteGlobal && s.id != secGlobal && order[s.id] >= 1 {
				emit(secGlobal, append(appendU32(nil, 1), newGlobal...))
				wroteGlobal = true
			}
			if !wroteExport && s.id != secExport && order[s.id] >= 2 {
				emit(secExport, append(appendU32(nil, exportCount), newExports...))
				wroteExport = true
			}
		}
		switch s.id {
		case secGlobal:
			emit(secGlobal, appendVec(s.payload, definedGlobals, 1, newGlobal))
			wroteGlobal = true
		case secExport:
			n, err := (&reader{b: s.payload}).count()
			if err != nil {
				return nil, fmt.Errorf("export section: %w", err)
			}
			emit(secExport, appendVec(s.payload, n, exportCount, newExports))
			wroteExport = true
		case secCode:
			code, err := instrumentCode(s.payload, check)
			if err != nil {
				return nil, err
			}
			emit(secCode, code)
		default:
			emit(s.id, s.payload)
		}
	}
	if !wroteGlobal {
		emit(secGlobal, append(appendU32(nil, 1), newGlobal...))
	}
	if !wroteExport {
		emit(secExport, append(appendU32(nil, exportCount), newExports...))
	}
	return out, nil
}

// appendVec re-encodes a vector section holding n entries with extra entries appended.
func appendVec(payload []byte, n, extraN uint32, extra []byte) []byte {
	r := &reader{b: payload}
	r.u32()
	out := appendU32(nil, n+extraN)
	out = append(out, r.rest()...)
	return append(out, extra...)
}

func appendExport(dst []byte, name string, kind byte, index uint32) []byte {
	dst = appendU32(dst, uint32(len(name)))
	dst = append(dst, name...)
	dst = append(dst, kind)
	return appendU32(dst, index)
}

func countImportedGlobals(payload []byte) (uint32, error) {
	r := &reader{b: payload}
	n := r.u32()
	globals := uint32(0)
	for range n {
		r.name()
		r.name()
		switch kind := r.byte(); kind {
		case 0x00: // func
			r.u32()
		case 0x01: // table
			r.blockType() // a reference type, possibly with a heap type
			r.limits()
		case 0x02: // memory
			r.limits()
		case 0x03: // global
			r.blockType()
			r.byte()
			globals++
		case 0x04: // tag
			r.byte()
			r.u32()
		default:
			return 0, fmt.Errorf("import kind %#x", kind)
		}
		if r.err != nil {
			return 0, r.err
		}
	}
	return globals, r.err
}

// instrumentCode inserts check at the entry of every function body and after every loop instruction.
func instrumentCode(payload []byte, check []byte) ([]byte, error) {
	r := &reader{b: payload}
	n := r.u32()
	out := appendU32(make([]byte, 0, len(payload)+int(n)*len(check)*2), n)
	var body []byte
	for i := range n {
		b := &reader{b: r.bytes(r.u32())}
		if r.err != nil {
			return nil, fmt.Errorf("code section: %w", r.err)
		}
		for range b.u32() { // local declarations: count, type
			b.u32()
			b.blockType()
		}
		body = append(body[:0], b.b[:b.pos]...)
		body = append(body, check...)
		for b.len() > 0 && b.err == nil {
			at := b.pos
			op := b.byte()
			b.skipImmediates(op)
			body = append(body, b.b[at:b.pos]...)
			if op == 0x03 { // loop: check at the top of every iteration
				body = append(body, check...)
			}
		}
		if b.err != nil {
			return nil, fmt.Errorf("function %d: %w", i, b.err)
		}
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	return out, r.err
}

// reader decodes the parts of the binary format the rewrite needs; the first error sticks.
type reader struct {
	b   []byte
	pos int
	err error
}

func (r *reader) len() int { return len(r.b) - r.pos }

// rest is what is left to read.
func (r *reader) rest() []byte { return r.b[r.pos:] }

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.pos = len(r.b)
}

func (r *reader) byte() byte {
	if r.pos >= len(r.b) {
		r.fail(errTruncated)
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *reader) bytes(n uint32) []byte {
	if uint64(n) > uint64(r.len()) {
		r.fail(errTruncated)
		return nil
	}
	v := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return v
}

// leb reads an LEB128 number of at most maxBits, returning its raw bits and whether it was signed-negative.
func (r *reader) leb(maxBits uint) (v uint64, neg bool) {
	var shift uint
	for {
		c := r.byte()
		if r.err != nil {
			return 0, false
		}
		v |= uint64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			return v, c&0x40 != 0 && shift < 64
		}
		if shift >= maxBits {
			r.fail(errors.New("LEB128 number too long"))
			return 0, false
		}
	}
}

func (r *reader) u32() uint32 {
	v, _ := r.leb(32)
	return uint32(v)
}

func (r *reader) count() (uint32, error) { return r.u32(), r.err }

func (r *reader) name() string { return string(r.bytes(r.u32())) }

// blockType reads a block type or value type (s33); reference types with a heap type have a second one.
func (r *reader) blockType() {
	v, neg := r.leb(33)
	if neg {
		switch v & 0x7f {
		case 0x63, 0x64: // (ref null ht), (ref ht)
			r.leb(33)
		}
	}
}

func (r *reader) limits() {
	flags := r.byte()
	r.leb(64)
	if flags&0x01 != 0 {
		r.leb(64)
	}
}

func (r *reader) memarg() {
	align := r.u32()
	if align&0x40 != 0 { // multi-memory: a memory index follows
		r.u32()
	}
	r.leb(64)
}

// skipImmediates consumes the immediates of op, for the instructions of wazero's CoreFeaturesV2 (MVP, sign
// extension, non-trapping conversions, multi-value, bulk memory, reference types, SIMD).
func (r *reader) skipImmediates(op byte) {
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
		r.blockType()
	case op == 0x0c || op == 0x0d: // br, br_if
		r.u32()
	case op == 0x0e: // br_table
		for range r.u32() {
			r.u32()
		}
		r.u32()
	case op == 0x10: // call
		r.u32()
	case op == 0x11: // call_indirect
		r.u32()
		r.u32()
	case op == 0x1c: // select t*
		for range r.u32() {
			r.blockType()
		}
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
		r.u32()
	case op >= 0x28 && op <= 0x3e: // loads and stores
		r.memarg()
	case op == 0x3f || op == 0x40: // memory.size, memory.grow
		r.u32()
	case op == 0x41: // i32.const
		r.leb(32)
	case op == 0x42: // i64.const
		r.leb(64)
	case op == 0x43:
		r.bytes(4)
	case op == 0x44:
		r.bytes(8)
	case op == 0xd0: // ref.null
		r.blockType()
	case op == 0xd2: // ref.func
		r.u32()
	case op == 0xfc:
		r.skipFC(r.u32())
	case op == 0xfd:
		r.skipFD(r.u32())
	case op <= 0x01 || op == 0x05 || op == 0x0b || op == 0x0f || op == 0x1a || op == 0x1b ||
		(op >= 0x45 && op <= 0xc4) || op == 0xd1:
		// no immediates
	default:
		r.fail(fmt.Errorf("unsupported instruction %#x", op))
	}
}

func (r *reader) skipFC(sub uint32) {
	switch {
	case sub <= 7: // saturating truncations
	case sub == 8: // memory.init data mem
		r.u32()
		r.u32()
	case sub == 9 || sub == 11 || sub == 13 || sub == 15 || sub == 16 || sub == 17: // one index
		r.u32()
	case sub == 10 || sub == 12 || sub == 14: // memory.copy, table.init, table.copy: two indexes
		r.u32()
		r.u32()
	default:
		r.fail(fmt.Errorf("unsupported instruction 0xfc %d", sub))
	}
}

func (r *reader) skipFD(sub uint32) {
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // v128 loads and stores
		r.memarg()
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		r.bytes(16)
	case sub >= 21 && sub <= 34: // extract and replace lane
		r.byte()
	case sub >= 84 && sub <= 91: // load and store lane
		r.memarg()
		r.byte()
	case sub <= 255: // the rest have no immediates
	default:
		r.fail(fmt.Errorf("unsupported instruction 0xfd %d", sub))
	}
}

func appendU32(dst []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}
