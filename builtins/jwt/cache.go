package jwt

import (
	"sync"
)

// Token cache bounds.
const (
	cacheEntries = 10_000
	cacheShards  = 64
	perShard     = cacheEntries / cacheShards
)

// tokenCache remembers tokens that passed every check, by the SHA-256 of the token, until an expiry: a repeated
// token then skips signature verification, JSON decoding and the claim rules. It is bounded (cacheEntries) and
// sharded by the digest's first byte, so readers of different tokens rarely share a lock and a lookup costs a
// read lock and a map probe.
//
// Only successes are cached, and an entry never outlives what was verified: the caller gives the token's exp
// (capped, see maxCacheAge) as the expiry, and a lookup at or after it misses.
type tokenCache struct {
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[[32]byte]int64 // digest → expiry, Unix nanoseconds
	_  [64]byte           // keep shards off each other's cache lines
}

func newTokenCache() *tokenCache {
	c := &tokenCache{}
	for i := range c.shards {
		c.shards[i].m = make(map[[32]byte]int64, perShard)
	}
	return c
}

// valid reports whether digest was verified and is not expired at now.
func (c *tokenCache) valid(digest *[32]byte, now int64) bool {
	s := &c.shards[digest[0]%cacheShards]
	s.mu.RLock()
	exp, ok := s.m[*digest]
	s.mu.RUnlock()
	return ok && now < exp
}

// add records a verified token until exp. A full shard first drops its expired entries, then, if none were, one
// arbitrary entry (Go's map iteration starts at a random place): cheap, and an attacker cannot pin entries.
func (c *tokenCache) add(digest *[32]byte, exp, now int64) {
	if exp <= now {
		return
	}
	s := &c.shards[digest[0]%cacheShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[*digest]; !ok && len(s.m) >= perShard {
		for k, e := range s.m {
			if e <= now {
				delete(s.m, k)
			}
		}
		if len(s.m) >= perShard {
			for k := range s.m {
				delete(s.m, k)
				break
			}
		}
	}
	s.m[*digest] = exp
}

// len is the number of entries (tests).
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
