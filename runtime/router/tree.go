package router

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
)

// hash is the hash of a wide level's keys, seeded per router.
func (r *Router[T]) hash(seg []byte) uint32 { return uint32(maphash.Bytes(r.seed, seg)) }

// The compiled tree is one []byte: each node is a record, written in depth-first order, whose static children's
// keys are stored inline right after its header. A lookup through a service's subtree therefore reads a few hundred
// contiguous bytes rather than chasing pointers to nodes, edge arrays and key strings spread over the heap. That is
// what keeps lookups flat as routes grow: with thousands of routes the tree no longer fits in L2, and cache misses,
// not comparisons, are what would make each lookup slower. The tree holds no pointers, so the GC never scans it.
//
// A node record:
//
//	header (headerSize bytes):
//	  [hFlags]  flagParam | flagGreedy | flagMap
//	  [hStatic] number of inline static children (0 with flagMap)
//	  [hHas]    method slots the node has (0: the node does not match)
//	  [hParam]  uint32 offset of the {var} child
//	  [hGreedy] uint32 offset of the {var+} child
//	  [hRoutes] uint32 index in Router.infos and .vals of the node's MethodNotFound info, followed by its routes
//	then, with flagMap: a hash table of the static children (see below)
//	otherwise, per static child: uint8 key length, key bytes, uint32 offset of the child
//
// A level too wide to scan (more than smallStatic static children, e.g. a thousand first-level paths) holds an
// open-addressing hash table instead: uint32 mask, then mask+1 slots of (uint32 hash of the key, uint32 offset of
// the key), a zero offset marking an empty slot; at most half the slots are used, so probing is short and always
// ends. Each child of such a level is written as uint8 key length and key bytes immediately followed by its record,
// so a lookup reads one slot and then the key and the child's header together: two cache lines, where a Go map
// reads its control word, its slot and the key's bytes elsewhere before the child's record. With many routes these
// are mostly cache misses, and they are a lookup's cost.
const (
	hFlags     = 0
	hStatic    = 1
	hHas       = 2
	hParam     = 4
	hGreedy    = 8
	hRoutes    = 12
	headerSize = 16

	flagParam  = 1 << 0
	flagGreedy = 1 << 1
	flagMap    = 1 << 2
)

// smallStatic is the widest static fan-out scanned inline: comparing a few short keys beats hashing one, and above
// this a map keeps the cost flat however many siblings there are (e.g. thousands of first-level paths).
const smallStatic = 8

// noMatch is the offset match returns when nothing below a node matches. The root is at offset 0.
const noMatch = ^uint32(0)

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// match finds the first node with methods, in precedence order, that matches segments i… of p, given that nv
// variables are bound so far, and returns its offset. It records values in p.vals as it descends; a failed branch's
// values are simply overwritten by the next one. Every node is visited at most once per lookup (a child is only
// reached from its one parent, at one segment index), so backtracking costs at most the size of the tree.
func (r *Router[T]) match(off uint32, p *Params, i, nv int) uint32 {
	h := r.tree[off : off+headerSize]
	if i == len(p.segs) {
		if h[hHas] == 0 {
			return noMatch
		}
		p.n = nv
		return off
	}
	flags := h[hFlags]
	if c := r.static(off, flags, h[hStatic], p.seg(i)); c != noMatch {
		if m := r.match(c, p, i+1, nv); m != noMatch {
			return m
		}
	}
	if flags&flagParam != 0 {
		p.vals[nv] = p.segs[i]
		if m := r.match(le32(h[hParam:]), p, i+1, nv+1); m != noMatch {
			return m
		}
	}
	if flags&flagGreedy != 0 {
		if g := le32(h[hGreedy:]); r.tree[g+hHas] != 0 {
			// Decoded segments are stored joined by '/', so the rest of the path is one contiguous slice.
			p.vals[nv] = span{p.segs[i].lo, p.segs[len(p.segs)-1].hi}
			p.n = nv + 1
			return g
		}
	}
	return noMatch
}

// static returns the offset of the static child of node off for a decoded segment (never empty), or noMatch.
// Neither form allocates: the compiler turns string(b) in a comparison or a map index into a view of the bytes.
func (r *Router[T]) static(off uint32, flags, n byte, seg []byte) uint32 {
	tab := r.tree[off+headerSize:]
	if flags&flagMap != 0 {
		mask := le32(tab)
		h := r.hash(seg)
		for i := h & mask; ; i = (i + 1) & mask {
			slot := tab[4+8*i:]
			k := le32(slot[4:])
			if k == 0 {
				return noMatch
			}
			if le32(slot) == h {
				if l := uint32(r.tree[k]); int(l) == len(seg) && string(r.tree[k+1:k+1+l]) == string(seg) {
					return k + 1 + l
				}
			}
		}
	}
	for ; n > 0; n-- {
		l := int(tab[0])
		// Most keys differ in length or first byte; test those before comparing the rest.
		if l == len(seg) && tab[1] == seg[0] && string(tab[1:1+l]) == string(seg) {
			return le32(tab[1+l:])
		}
		tab = tab[1+l+4:]
	}
	return noMatch
}

// compile writes n's record and then its subtrees (static children in key order, the {var} child, the {var+}
// child) and returns the record's offset. Child offsets are patched in once each child is written.
func (r *Router[T]) compile(n *bnode[T]) uint32 {
	off := uint32(len(r.tree))
	var h [headerSize]byte
	h[hHas] = n.has
	if n.param != nil {
		h[hFlags] |= flagParam
	}
	if n.greedy != nil {
		h[hFlags] |= flagGreedy
	}
	if n.has != 0 {
		binary.LittleEndian.PutUint32(h[hRoutes:], uint32(len(r.infos)))
		r.addRoutes(n)
	}
	keys := n.sortedKeys()
	if len(keys) > smallStatic {
		h[hFlags] |= flagMap
	} else {
		h[hStatic] = byte(len(keys))
	}
	r.tree = append(r.tree, h[:]...)

	// Write the static table (inline keys, or the hash table of a wide level), remembering where each child's
	// offset goes.
	wide := len(keys) > smallStatic
	patch := make([]int, len(keys))
	table := len(r.tree)
	if wide {
		slots := 1 << bits.Len(uint(2*len(keys)-1)) // a power of two, at least twice the keys
		r.tree = binary.LittleEndian.AppendUint32(r.tree, uint32(slots-1))
		r.tree = append(r.tree, make([]byte, 8*slots)...)
	} else {
		for i, k := range keys {
			r.tree = append(r.tree, byte(len(k))) // static segments fit: a resource path is at most 255 bytes
			r.tree = append(r.tree, k...)
			patch[i] = len(r.tree)
			r.tree = append(r.tree, 0, 0, 0, 0)
		}
	}
	for i, k := range keys {
		if !wide {
			child := r.compile(n.static[k]) // before indexing r.tree: compiling appends to it
			binary.LittleEndian.PutUint32(r.tree[patch[i]:], child)
			continue
		}
		keyOff := uint32(len(r.tree))
		r.tree = append(r.tree, byte(len(k)))
		r.tree = append(r.tree, k...)
		r.compile(n.static[k]) // its record follows the key
		h := r.hash([]byte(k))
		mask := le32(r.tree[table:])
		for j := h & mask; ; j = (j + 1) & mask {
			slot := r.tree[table+4+8*int(j):]
			if le32(slot[4:]) == 0 {
				binary.LittleEndian.PutUint32(slot, h)
				binary.LittleEndian.PutUint32(slot[4:], keyOff)
				break
			}
		}
	}
	if n.param != nil {
		child := r.compile(n.param)
		binary.LittleEndian.PutUint32(r.tree[off+hParam:], child)
	}
	if n.greedy != nil {
		child := r.compile(n.greedy)
		binary.LittleEndian.PutUint32(r.tree[off+hGreedy:], child)
	}
	return off
}

// addRoutes appends n's MethodNotFound info and then one route per method, in slot order (the order Lookup
// counts in).
func (r *Router[T]) addRoutes(n *bnode[T]) {
	vars := append([]string(nil), n.vars...)
	var none T
	r.infos, r.vals = append(r.infos, RouteInfo{Path: n.path, Vars: vars}), append(r.vals, none)
	for i, m := range slotNames {
		if n.has&(1<<i) != 0 {
			info := RouteInfo{Path: n.path, Method: m, Vars: vars}
			r.infos, r.vals = append(r.infos, info), append(r.vals, n.vals[i])
		}
	}
}

// routeCount is how many Router.infos (and .vals) entries n's subtree needs, so that each is allocated once.
func (n *bnode[T]) routeCount() int {
	c := 0
	if n.has != 0 {
		c = 1 + bits.OnesCount8(n.has)
	}
	for _, s := range n.static {
		c += s.routeCount()
	}
	if n.param != nil {
		c += n.param.routeCount()
	}
	if n.greedy != nil {
		c += n.greedy.routeCount()
	}
	return c
}
