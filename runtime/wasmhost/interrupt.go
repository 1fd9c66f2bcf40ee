package wasmhost

import (
	"errors"
	"fmt"
	"strings"
)

// Interrupting a running guest.
//
// A guest that loops forever must be stopped at its call deadline. wazero can do it (WithCloseOnContextDone), but
// then every call starts a goroutine to watch the context: measured here, 3 allocations and about 1 µs per guest
// call, two calls per request, when the budget of a whole WASM plugin is 1 µs. A check purely in native code, as
// Wasmtime's epoch interruption does, is not enough on Go: native code is never preempted, so while a guest spins,
// a stop-the-world GC waits for it, and so does the timer that would have stopped it (wazero's RATIONALE.md,
// "Why context cancellation is handled in Go code").
//
// So the host rewrites every module at Compile: each function entry and each loop iteration counts down a
// budget global, and every yieldEvery steps calls the host function portico_runtime.yield:
//
//	global.get $budget  i32.const 1  i32.sub  global.set $budget
//	global.get $budget  i32.eqz
//	if
//	  i32.const yieldEvery  global.set $budget
//	  call $yield
//	end
//
// yield runs in Go: it is a preemption point for the scheduler and the GC, and it checks the call's deadline,
// trapping the guest once it has run past it. A guest stops within yieldEvery steps of its deadline, whatever it
// is doing (code with neither loops nor calls finishes in bounded time); a call that never loops long pays
// nothing but the countdown. The rewrite appends one type, one import (shifting the index of every function the
// module defines by one, so calls, ref.func, exports, element segments and function names are renumbered) and
// one global. DWARF sections, whose code offsets would be stale, are dropped. The start section, which wazero
// runs inside instantiation where no deadline reaches it, becomes an export the host calls like _initialize.

const (
	moduleRuntime   = "portico_runtime" // the hidden import module of instrumented guests
	funcYield       = "yield"
	exportWasmStart = "__portico_start"
	yieldEvery      = 1000
)

// Section IDs.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secDataCount = 12
)

// sectionRank is the order sections must appear in.
var sectionRank = map[byte]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

var errTruncated = errors.New("truncated")

type section struct {
	id      byte
	payload []byte
}

// rewriter holds what the rewrite needs from the first pass.
type rewriter struct {
	types         uint32 // number of types: the yield type's index
	importedFuncs uint32 // the yield function's index; defined functions move up by one
	globals       uint32 // imported and defined: the budget global's index
	start         uint32
	hasStart      bool
	check         []byte
}

// fn renumbers a function index.
func (rw *rewriter) fn(i uint32) uint32 {
	if i >= rw.importedFuncs {
		return i + 1
	}
	return i
}

// instrument rewrites a module as described above. It fails on malformed input (see admit) or on instructions
// outside the features the runtime enables; the caller then reports wazero's own error for the original when it
// has one.
func instrument(wasm []byte) ([]byte, error) {
	if err := admit(wasm); err != nil {
		return nil, err
	}
	rw := &rewriter{}
	sections, err := rw.scan(wasm[8:])
	if err != nil {
		return nil, err
	}
	budget, yield := rw.globals, rw.importedFuncs
	check := []byte{0x23}
	check = appendU32(check, budget) // global.get $budget
	check = append(check, 0x41, 0x01, 0x6b, 0x24)
	check = appendU32(check, budget) // i32.const 1, i32.sub, global.set $budget
	check = append(check, 0x23)
	check = appendU32(check, budget)
	check = append(check, 0x45, 0x04, 0x40, 0x41) // i32.eqz, if, i32.const
	check = appendU32(check, yieldEvery)
	check = append(check, 0x24)
	check = appendU32(check, budget) // global.set $budget
	check = append(check, 0x10)
	check = appendU32(check, yield) // call $yield
	rw.check = append(check, 0x0b)  // end

	out := append(make([]byte, 0, len(wasm)+len(wasm)/8), wasm[:8]...)
	for _, s := range sections {
		payload, err := rw.rewrite(s)
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", s.id, err)
		}
		if payload == nil {
			continue
		}
		out = append(out, s.id)
		out = appendU32(out, uint32(len(payload)))
		out = append(out, payload...)
	}
	return out, nil
}

// scan splits the module into sections, counts what the rewrite needs, and adds the sections it must extend
// when the module has none.
func (rw *rewriter) scan(b []byte) ([]section, error) {
	var sections []section
	r := &reader{b: b}
	for r.len() > 0 {
		s := section{id: r.byte()}
		s.payload = r.bytes(r.u32())
		if r.err != nil {
			return nil, fmt.Errorf("section header: %w", r.err)
		}
		var err error
		switch s.id {
		case secType:
			rw.types, err = (&reader{b: s.payload}).count()
		case secImport:
			err = rw.scanImports(s.payload)
		case secGlobal:
			var n uint32
			n, err = (&reader{b: s.payload}).count()
			rw.globals += n
		case secStart:
			sr := &reader{b: s.payload}
			rw.start, rw.hasStart, err = sr.u32(), true, sr.err
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", s.id, err)
		}
		sections = append(sections, s)
	}
	for _, id := range []byte{secType, secImport, secGlobal, secExport} {
		sections = ensureSection(sections, id)
	}
	return sections, nil
}

// ensureSection adds an empty vector section id in its place when the module lacks it.
func ensureSection(sections []section, id byte) []section {
	at := len(sections)
	for i, s := range sections {
		if s.id == id {
			return sections
		}
		if s.id != secCustom && sectionRank[s.id] > sectionRank[id] && at == len(sections) {
			at = i
		}
	}
	return append(sections[:at], append([]section{{id, []byte{0}}}, sections[at:]...)...)
}

func (rw *rewriter) scanImports(payload []byte) error {
	r := &reader{b: payload}
	n := r.u32()
	for i := uint32(0); i < n && r.err == nil; i++ {
		module := r.name()
		field := r.name()
		if module == moduleRuntime {
			return fmt.Errorf("import %s.%s: the module %s is reserved", module, field, moduleRuntime)
		}
		switch kind := r.byte(); kind {
		case 0x00: // func
			r.u32()
			rw.importedFuncs++
		case 0x01: // table
			r.valType()
			r.limits()
		case 0x02: // memory
			r.limits()
		case 0x03: // global
			r.valType()
			r.byte()
			rw.globals++
		case 0x04: // tag
			r.byte()
			r.u32()
		default:
			return fmt.Errorf("import kind %#x", kind)
		}
		if r.err != nil {
			return r.err
		}
	}
	return r.err
}

// rewrite returns the new payload of s; nil drops the section.
func (rw *rewriter) rewrite(s section) ([]byte, error) {
	r := &reader{b: s.payload}
	var out []byte
	switch s.id {
	case secCustom:
		name := r.name()
		switch {
		case strings.HasPrefix(name, ".debug_") || name == "sourceMappingURL":
			return nil, nil
		case name == "name":
			if names, err := rw.names(r.rest()); err == nil {
				return append(appendName(nil, name), names...), nil
			}
			return nil, nil // optional: better without names than with wrong ones
		}
		return s.payload, nil
	case secType:
		n := r.u32()
		out = append(appendU32(nil, n+1), r.rest()...)
		out = append(out, 0x60, 0x00, 0x00) // func () -> ()
	case secImport:
		n := r.u32()
		out = append(appendU32(nil, n+1), r.rest()...)
		out = appendName(out, moduleRuntime)
		out = appendName(out, funcYield)
		out = append(out, 0x00)
		out = appendU32(out, rw.types)
	case secGlobal:
		n := r.u32()
		out = appendU32(nil, n+1)
		for i := uint32(0); i < n && r.err == nil; i++ {
			at := r.pos
			r.valType()
			r.byte()
			out = append(out, r.b[at:r.pos]...)
			out = rw.expr(r, out)
		}
		out = append(out, 0x7f, 0x01, 0x41) // (mut i32) (i32.const yieldEvery)
		out = appendU32(out, yieldEvery)
		out = append(out, 0x0b)
	case secExport:
		n := r.u32()
		extra := uint32(0)
		if rw.hasStart {
			extra = 1
		}
		out = appendU32(nil, n+extra)
		for i := uint32(0); i < n && r.err == nil; i++ {
			out = appendName(out, r.name())
			kind, index := r.byte(), r.u32()
			if kind == 0x00 {
				index = rw.fn(index)
			}
			out = appendU32(append(out, kind), index)
		}
		if rw.hasStart {
			out = appendU32(append(appendName(out, exportWasmStart), 0x00), rw.fn(rw.start))
		}
	case secStart:
		return nil, nil // now an export
	case secElement:
		out = rw.elements(r)
	case secCode:
		out = rw.code(r)
	default:
		return s.payload, nil
	}
	if r.err == nil && r.len() > 0 {
		r.fail(errors.New("trailing bytes"))
	}
	return out, r.err
}

// elements renumbers the function indexes of element segments.
func (rw *rewriter) elements(r *reader) []byte {
	n := r.u32()
	out := appendU32(nil, n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		flags := r.u32()
		out = appendU32(out, flags)
		if flags&0x02 != 0 && flags&0x01 == 0 { // an explicit table index
			out = appendU32(out, r.u32())
		}
		if flags&0x01 == 0 { // active: an offset
			out = rw.expr(r, out)
		}
		if flags&0x03 != 0 { // elemkind or reftype
			at := r.pos
			if flags&0x04 == 0 {
				r.byte()
			} else {
				r.valType()
			}
			out = append(out, r.b[at:r.pos]...)
		}
		count := r.u32()
		out = appendU32(out, count)
		for j := uint32(0); j < count && r.err == nil; j++ {
			if flags&0x04 == 0 {
				out = appendU32(out, rw.fn(r.u32()))
			} else {
				out = rw.expr(r, out)
			}
		}
		if r.err != nil {
			return nil
		}
	}
	return out
}

// expr copies a constant expression up to its end, renumbering ref.func.
func (rw *rewriter) expr(r *reader, out []byte) []byte {
	for r.err == nil {
		at := r.pos
		op := r.byte()
		if op == 0xd2 { // ref.func
			out = appendU32(append(out, op), rw.fn(r.u32()))
			continue
		}
		r.skipImmediates(op)
		out = append(out, r.b[at:r.pos]...)
		if op == 0x0b {
			return out
		}
	}
	return out
}

// code inserts the check at the entry of every function body and after every loop instruction, and renumbers
// calls and ref.func.
func (rw *rewriter) code(r *reader) []byte {
	n := r.u32()
	out := appendU32(make([]byte, 0, r.len()+int(n)*len(rw.check)*2), n)
	var body []byte
	for i := uint32(0); i < n && r.err == nil; i++ {
		b := &reader{b: r.bytes(r.u32())}
		locals := b.u32()
		for j := uint32(0); j < locals && b.err == nil; j++ { // local declarations: count, type
			b.u32()
			b.valType()
		}
		body = append(body[:0], b.b[:b.pos]...)
		body = append(body, rw.check...)
		for b.len() > 0 && b.err == nil {
			at := b.pos
			op := b.byte()
			switch op {
			case 0x10, 0xd2: // call, ref.func
				body = appendU32(append(body, op), rw.fn(b.u32()))
				continue
			}
			b.skipImmediates(op)
			body = append(body, b.b[at:b.pos]...)
			if op == 0x03 { // loop: the check runs at the top of every iteration
				body = append(body, rw.check...)
			}
		}
		if b.err != nil {
			r.fail(b.err)
			return nil
		}
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	return out
}

// names renumbers the function indexes of the name section's function, local and label subsections.
func (rw *rewriter) names(b []byte) ([]byte, error) {
	r := &reader{b: b}
	var out []byte
	for r.len() > 0 && r.err == nil {
		id := r.byte()
		sub := &reader{b: r.bytes(r.u32())}
		var content []byte
		switch id {
		case 1: // function names: namemap
			n := sub.u32()
			content = appendU32(nil, n)
			for i := uint32(0); i < n && sub.err == nil; i++ {
				content = appendU32(content, rw.fn(sub.u32()))
				content = appendName(content, sub.name())
			}
		case 2, 3: // local and label names: indirect namemap by function
			n := sub.u32()
			content = appendU32(nil, n)
			for i := uint32(0); i < n && sub.err == nil; i++ {
				content = appendU32(content, rw.fn(sub.u32()))
				at := sub.pos
				m := sub.u32()
				for j := uint32(0); j < m && sub.err == nil; j++ {
					sub.u32()
					sub.name()
				}
				content = append(content, sub.b[at:sub.pos]...)
			}
		default:
			content = sub.b
			sub.pos = len(sub.b)
		}
		if sub.err != nil || sub.len() > 0 {
			return nil, errors.New("malformed name section")
		}
		out = append(out, id)
		out = appendU32(out, uint32(len(content)))
		out = append(out, content...)
	}
	return out, r.err
}

func appendName(dst []byte, s string) []byte { return append(appendU32(dst, uint32(len(s))), s...) }

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
