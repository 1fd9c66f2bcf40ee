// Package kv is the in-memory key-value and counter store behind the plugin ABI's kv_get, kv_set and
// counter_incr, and the state of the built-in rate limiter. Keys live in namespaces (one per plugin binding), so
// plugins cannot read each other's state.
//
// The store is bounded: it holds at most a fixed number of entries, values and keys have a maximum size, and
// expired entries are removed as they are met. When a shard is full, an arbitrary entry is evicted (Go's map
// iteration order is random): a counter that is evicted starts again from zero, so a rate limiter built on it
// fails open rather than blocking traffic — the trade-off for never growing without bound.
package kv

import (
	"hash/maphash"
	"strconv"
	"sync"
	"time"
)

const (
	// MaxKeyLen is the longest key (namespace included) the store accepts.
	MaxKeyLen = 1024
	// MaxValueLen is the largest value the store accepts.
	MaxValueLen = 64 << 10
	// DefaultMaxEntries bounds a store created with a zero size.
	DefaultMaxEntries = 100_000

	// shardCount spreads keys over independently locked maps, so concurrent requests rarely contend: there is no
	// global lock on the request path.
	shardCount = 64
	// sweepSample is how many entries an insert examines for expiry, amortising cleanup over writes the way
	// Redis's active expiry does, instead of a background goroutine scanning everything.
	sweepSample = 8
)

// Memory is a bounded, sharded in-memory store. Its zero value is not usable; call NewMemory. It is safe for
// concurrent use.
type Memory struct {
	seed     maphash.Seed
	perShard int
	shards   [shardCount]shard
	now      func() time.Time // the clock; tests replace it
}

type shard struct {
	mu      sync.Mutex
	entries map[string]*entry
}

// entry is either a value or a counter; expires is a Unix time in nanoseconds, 0 for never.
type entry struct {
	value   []byte
	counter int64
	isCount bool
	expires int64
}

// NewMemory returns a store holding at most maxEntries entries (DefaultMaxEntries when maxEntries <= 0).
func NewMemory(maxEntries int) *Memory {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	m := &Memory{seed: maphash.MakeSeed(), perShard: (maxEntries + shardCount - 1) / shardCount, now: time.Now}
	for i := range m.shards {
		m.shards[i].entries = make(map[string]*entry)
	}
	return m
}

// Get appends the value stored under (namespace, key) to dst. A counter reads as its decimal value.
func (m *Memory) Get(namespace, key, dst []byte) ([]byte, bool) {
	var kb [256]byte
	k := joinKey(kb[:0], namespace, key)
	if len(k) > MaxKeyLen {
		return dst, false
	}
	s := m.shard(k)
	now := m.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[string(k)]
	if !ok {
		return dst, false
	}
	if e.expired(now) {
		delete(s.entries, string(k))
		return dst, false
	}
	if e.isCount {
		return strconv.AppendInt(dst, e.counter, 10), true
	}
	return append(dst, e.value...), true
}

// Set stores a copy of value under (namespace, key); ttl <= 0 means no expiry. Keys longer than MaxKeyLen and
// values larger than MaxValueLen are ignored: callers (the Exchange implementations) refuse them first with
// abi.ErrInvalid, so reaching this is a programming error that must not grow the store.
func (m *Memory) Set(namespace, key, value []byte, ttl time.Duration) {
	var kb [256]byte
	k := joinKey(kb[:0], namespace, key)
	if len(k) > MaxKeyLen || len(value) > MaxValueLen {
		return
	}
	s := m.shard(k)
	now := m.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.lookupOrInsert(k, now, m.perShard)
	e.value = append(e.value[:0], value...)
	e.isCount, e.counter = false, 0
	e.expires = expiry(now, ttl)
}

// Incr adds delta to the counter under (namespace, key) and returns the new value. A counter that does not exist
// (or expired, or held a plain value) starts at zero and expires ttl after its creation; later increments keep
// that expiry, which makes a fixed window for rate limits.
func (m *Memory) Incr(namespace, key []byte, delta int64, ttl time.Duration) int64 {
	var kb [256]byte
	k := joinKey(kb[:0], namespace, key)
	if len(k) > MaxKeyLen {
		return 0
	}
	s := m.shard(k)
	now := m.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[string(k)]
	if !ok || e.expired(now) || !e.isCount {
		e = s.lookupOrInsert(k, now, m.perShard)
		e.value = e.value[:0]
		e.isCount, e.counter = true, 0
		e.expires = expiry(now, ttl)
	}
	e.counter += delta
	return e.counter
}

// Len is the number of entries held, expired ones not yet removed included.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}

func (m *Memory) shard(k []byte) *shard {
	return &m.shards[maphash.Bytes(m.seed, k)%shardCount]
}

// lookupOrInsert returns the live entry for k, creating it (after making room) when absent. s.mu is held.
func (s *shard) lookupOrInsert(k []byte, now int64, limit int) *entry {
	if e, ok := s.entries[string(k)]; ok {
		return e
	}
	s.sweep(now)
	for len(s.entries) >= limit {
		for victim := range s.entries {
			delete(s.entries, victim)
			break
		}
	}
	e := &entry{}
	s.entries[string(k)] = e
	return e
}

// sweep removes expired entries among a few examined ones.
func (s *shard) sweep(now int64) {
	n := 0
	for k, e := range s.entries {
		if e.expired(now) {
			delete(s.entries, k)
		}
		if n++; n == sweepSample {
			return
		}
	}
}

func (e *entry) expired(now int64) bool { return e.expires != 0 && now >= e.expires }

func expiry(now int64, ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return now + int64(ttl)
}

// joinKey builds namespace NUL key; the NUL keeps ("a", "bc") and ("ab", "c") apart.
func joinKey(dst, namespace, key []byte) []byte {
	dst = append(dst, namespace...)
	dst = append(dst, 0)
	return append(dst, key...)
}
