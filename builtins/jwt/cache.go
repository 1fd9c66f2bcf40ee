package jwt

import (
	"hash/maphash"
	"sync"
)

// Token cache bounds.
const (
	cacheEntries = 10_000
	cacheShards  = 64
	perShard     = cacheEntries / cacheShards
	// maxCachedToken is the longest token the cache keeps (it keeps the token itself, see tokenCache): real tokens
	// are well under it, and it bounds the cache at cacheEntries × maxCachedToken bytes. A longer token is valid
	// all the same; it is verified on every request.
	maxCachedToken = 2048
)

// tokenCache remembers tokens that passed every check until an expiry: a repeated token then skips signature
// verification, JSON decoding and the claim rules. It is bounded (cacheEntries) and sharded, so readers of
// different tokens rarely share a lock and a lookup costs a read lock and a map probe.
//
// Entries are found by a seeded 64-bit hash of the token and hold the token itself, which a hit must equal. A
// SHA-256 digest as the key (which needs no comparison) cost ≈ 300 ns per request for a 500-byte RS256 token,
// a tenth of the whole full-chain plugin work; the seeded hash costs ≈ 30 ns. The comparison is safe without
// being constant-time: only a token whose hash, under a seed nobody outside the process knows, equals a cached
// token's ever reaches it.
//
// Only successes are cached, and an entry never outlives what was verified: the caller gives the token's exp
// (capped, see maxCacheAge) as the expiry, and a lookup at or after it misses.
type tokenCache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[uint64]cacheEntry // hash of the token → the token and its expiry
	_  [64]byte              // keep shards off each other's cache lines
}

type cacheEntry struct {
	token string
	exp   int64 // Unix nanoseconds
}

func newTokenCache() *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]cacheEntry, perShard)
	}
	return c
}

// valid reports whether token was verified and is not expired at now.
func (c *tokenCache) valid(token []byte, now int64) bool {
	h := maphash.Bytes(c.seed, token)
	s := &c.shards[h%cacheShards]
	s.mu.RLock()
	e, ok := s.m[h]
	s.mu.RUnlock()
	return ok && now < e.exp && e.token == string(token)
}

// add records a verified token until exp. A full shard first drops its expired entries, then, if none were, one
// arbitrary entry (Go's map iteration starts at a random place): cheap, and an attacker cannot pin entries. Two
// tokens with the same hash take turns in one entry.
func (c *tokenCache) add(token []byte, exp, now int64) {
	if exp <= now || len(token) > maxCachedToken {
		return
	}
	h := maphash.Bytes(c.seed, token)
	s := &c.shards[h%cacheShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[h]; !ok && len(s.m) >= perShard {
		for k, e := range s.m {
			if e.exp <= now {
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
	s.m[h] = cacheEntry{token: string(token), exp: exp}
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
