package router

import (
	"bytes"
	"testing"
)

func splitB(p *Params, raw []byte) Status {
	p.Reset()
	if len(raw) == 0 || raw[0] != '/' || len(raw) > MaxRequestPathLength {
		return BadPath
	}
	if len(raw) > 2 && raw[len(raw)-1] == '/' {
		raw = raw[:len(raw)-1]
	}
	if len(raw) == 1 {
		return Found
	}
	if cap(p.buf) < len(raw) {
		p.buf = make([]byte, 0, max(len(raw), 512))
	}
	buf, n := p.buf[:len(raw)], 0
	segs, empty := p.segs[:0], false
	rest := raw[1:]
	for {
		seg := rest
		j := bytes.IndexByte(rest, '/')
		if j >= 0 {
			seg = rest[:j]
		}
		lo := n
		if bytes.IndexByte(seg, '%') < 0 {
			n += copy(buf[n:], seg)
		} else {
			for i := 0; i < len(seg); i++ {
				c := seg[i]
				if c == '%' {
					if i+2 >= len(seg) {
						return BadPath
					}
					h, l := unhex(seg[i+1]), unhex(seg[i+2])
					if h|l > 0xf {
						return BadPath
					}
					c = h<<4 | l
					i += 2
				}
				buf[n] = c
				n++
			}
		}
		if n == lo {
			empty = true
		} else if bytes.IndexByte(buf[lo:n], '.') >= 0 && hasDotPiece(buf[lo:n]) {
			return BadPath
		}
		segs = append(segs, span{uint16(lo), uint16(n)})
		if j < 0 {
			break
		}
		buf[n] = '/'
		n++
		rest = rest[j+1:]
	}
	p.buf, p.segs = buf[:n], segs
	if empty {
		return NotFound
	}
	return Found
}

func BenchmarkXSplitB(b *testing.B) {
	p, raw := NewParams(), []byte("/svc42/items/8f3a21c0/sub")
	for b.Loop() {
		splitB(p, raw)
	}
}
func BenchmarkXSplitA(b *testing.B) {
	p, raw := NewParams(), []byte("/svc42/items/8f3a21c0/sub")
	for b.Loop() {
		p.split(raw)
	}
}
func BenchmarkXCopy(b *testing.B) {
	p, raw := NewParams(), []byte("/svc42/items/8f3a21c0/sub")
	for b.Loop() {
		p.buf = append(p.buf[:0], raw...)
	}
}

func loopOnly(buf, raw []byte) int {
	n := 0
	for i := 1; i < len(raw); i++ {
		c := raw[i]
		if c == '/' {
			continue
		}
		buf[n] = c
		n++
	}
	return n
}

var sink int

func BenchmarkXLoop(b *testing.B) {
	buf, raw := make([]byte, 512), []byte("/svc42/items/8f3a21c0/sub")
	for b.Loop() {
		sink = loopOnly(buf, raw)
	}
}

func BenchmarkXEmpty(b *testing.B) {
	p, raw := NewParams(), []byte("/")
	for b.Loop() {
		p.split(raw)
	}
}
