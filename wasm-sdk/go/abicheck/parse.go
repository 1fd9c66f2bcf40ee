package abicheck

import (
	"bytes"
	"errors"
	"fmt"
)

var errShort = errors.New("abicheck: truncated module")

// Parse reads the type, import, function and export sections of a module.
func Parse(wasm []byte) (*Module, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte("\x00asm")) || !bytes.Equal(wasm[4:8], []byte{1, 0, 0, 0}) {
		return nil, errors.New("abicheck: not a WebAssembly 1.0 binary module")
	}
	m := &Module{Functions: map[string]Signature{}, Memories: map[string]uint32{}}
	var (
		types     []Signature
		funcTypes []uint32 // type index of every function: imported first, then defined
		memMins   []uint32 // minimum pages of every memory: imported first, then defined
	)
	r := &reader{b: wasm[8:]}
	for r.err == nil && len(r.b) > 0 {
		id := r.byte()
		size := r.u32()
		if r.err != nil || int(size) > len(r.b) {
			return nil, errShort
		}
		s := &reader{b: r.b[:size]}
		r.b = r.b[size:]
		switch id {
		case 1: // type
			for n := s.u32(); n > 0 && s.err == nil; n-- {
				if s.byte() != 0x60 {
					return nil, errors.New("abicheck: malformed function type")
				}
				types = append(types, Signature{Params: s.valueTypes(), Results: s.valueTypes()})
			}
		case 2: // import
			for n := s.u32(); n > 0 && s.err == nil; n-- {
				mod, name := s.name(), s.name()
				switch kind := s.byte(); kind {
				case 0:
					t := s.u32()
					funcTypes = append(funcTypes, t)
					if int(t) >= len(types) {
						return nil, fmt.Errorf("abicheck: import %s.%s: bad type index", mod, name)
					}
					m.Imports = append(m.Imports, Import{Module: mod, Name: name, Sig: types[t]})
				case 1:
					s.byte()
					s.limits()
					m.Other = append(m.Other, mod+"."+name)
				case 2:
					memMins = append(memMins, s.limits())
					m.Other = append(m.Other, mod+"."+name)
				case 3:
					s.byte()
					s.byte()
					m.Other = append(m.Other, mod+"."+name)
				default:
					return nil, fmt.Errorf("abicheck: import %s.%s: unknown kind %d", mod, name, kind)
				}
			}
		case 3: // function
			for n := s.u32(); n > 0 && s.err == nil; n-- {
				funcTypes = append(funcTypes, s.u32())
			}
		case 5: // memory
			for n := s.u32(); n > 0 && s.err == nil; n-- {
				memMins = append(memMins, s.limits())
			}
		case 7: // export
			for n := s.u32(); n > 0 && s.err == nil; n-- {
				name, kind, idx := s.name(), s.byte(), s.u32()
				switch kind {
				case 0:
					if int(idx) >= len(funcTypes) || int(funcTypes[idx]) >= len(types) {
						return nil, fmt.Errorf("abicheck: export %s: bad function index", name)
					}
					m.Functions[name] = types[funcTypes[idx]]
				case 2:
					if int(idx) < len(memMins) {
						m.Memories[name] = memMins[idx]
					}
				}
			}
		}
		if s.err != nil {
			return nil, s.err
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.err = errShort
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// u32 reads an unsigned LEB128 value.
func (r *reader) u32() uint32 {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.err = errors.New("abicheck: malformed LEB128")
	return 0
}

func (r *reader) name() string {
	n := r.u32()
	if r.err != nil || int(n) > len(r.b) {
		r.err = errShort
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) valueTypes() []ValueType {
	n := r.u32()
	if r.err != nil || int(n) > len(r.b) {
		r.err = errShort
		return nil
	}
	out := make([]ValueType, n)
	for i := range out {
		out[i] = ValueType(r.byte())
	}
	return out
}

// limits reads a limits pair and returns the minimum.
func (r *reader) limits() uint32 {
	flags := r.byte()
	min := r.u32()
	if flags&1 != 0 {
		r.u32()
	}
	return min
}
