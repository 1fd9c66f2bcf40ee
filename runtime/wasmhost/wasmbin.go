package wasmhost

import (
	"errors"
	"fmt"
)

// reader decodes the parts of the WebAssembly binary format the rewrite in interrupt.go needs. The first error
// sticks and ends the input, so callers check once after a run of reads.
type reader struct {
	b   []byte
	pos int
	err error
}

func (r *reader) len() int { return len(r.b) - r.pos }

// rest consumes and returns what is left.
func (r *reader) rest() []byte {
	v := r.b[r.pos:]
	r.pos = len(r.b)
	return v
}

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

// leb reads an LEB128 number of at most maxBits bits, returning its low bits and whether its sign bit is set.
func (r *reader) leb(maxBits uint) (v uint64, neg bool) {
	var shift uint
	for {
		c := r.byte()
		if r.err != nil {
			return 0, false
		}
		if shift < 64 {
			v |= uint64(c&0x7f) << shift
		}
		shift += 7
		if c&0x80 == 0 {
			return v, c&0x40 != 0
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

// each calls f n times, stopping at the first error: a count read from the input never makes a loop outlive the
// input.
func (r *reader) each(n uint32, f func()) {
	for i := uint32(0); i < n && r.err == nil; i++ {
		f()
	}
}

func (r *reader) name() string { return string(r.bytes(r.u32())) }

// valType reads a value type or a block type (both s33); a reference type with a heap type, (ref null ht) or
// (ref ht), has a second one.
func (r *reader) valType() {
	v, neg := r.leb(33)
	if neg && (v&0x7f == 0x63 || v&0x7f == 0x64) {
		r.leb(33)
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
	if align := r.u32(); align&0x40 != 0 { // multi-memory: a memory index follows
		r.u32()
	}
	r.leb(64)
}

// skipImmediates consumes the immediates of op, for the instructions of wazero's CoreFeaturesV2 (MVP, sign
// extension, non-trapping conversions, multi-value, bulk memory, reference types, SIMD). Anything else fails:
// the runtime would refuse the module anyway, and wazero explains why (see Runtime.Compile).
func (r *reader) skipImmediates(op byte) {
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
		r.valType()
	case op == 0x0c || op == 0x0d || op == 0x10: // br, br_if, call
		r.u32()
	case op == 0x0e: // br_table
		r.each(r.u32(), func() { r.u32() })
		r.u32()
	case op == 0x11: // call_indirect
		r.u32()
		r.u32()
	case op == 0x1c: // select t*
		r.each(r.u32(), r.valType)
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get, table.set
		r.u32()
	case op >= 0x28 && op <= 0x3e: // loads and stores
		r.memarg()
	case op == 0x3f || op == 0x40: // memory.size, memory.grow
		r.u32()
	case op == 0x41: // i32.const
		r.leb(32)
	case op == 0x42: // i64.const
		r.leb(64)
	case op == 0x43: // f32.const
		r.bytes(4)
	case op == 0x44: // f64.const
		r.bytes(8)
	case op == 0xd0: // ref.null
		r.valType()
	case op == 0xd2: // ref.func
		r.u32()
	case op == 0xfc:
		r.skipFC(r.u32())
	case op == 0xfd:
		r.skipFD(r.u32())
	case op <= 0x01 || op == 0x05 || op == 0x0b || op == 0x0f || op == 0x1a || op == 0x1b ||
		(op >= 0x45 && op <= 0xc4) || op == 0xd1:
		// unreachable, nop, else, end, return, drop, select, numeric instructions, ref.is_null
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
