package precall

import (
	"crypto/sha256"
	"math"
	"sync"
)

const (
	// cacheShards spreads the cache over independently locked maps: concurrent requests rarely share a lock.
	// The first byte of a SHA-256 is uniform, so it picks the shard.
	cacheShards = 16
	// cacheSample is how many entries an insert into a full shard examines for expired ones.
	cacheSample = 8
)

// cache remembers, per set of request headers, until when the pre-call's 200 holds. Bounded: see put.
type cache struct {
	perShard int
	shards   [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]int64 // key → expiry, Unix nanoseconds
	_  [64]byte                    // keep neighbouring shards' locks off one cache line
}

func newCache(maxEntries int) *cache {
	c := &cache{perShard: max(1, (maxEntries+cacheShards-1)/cacheShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[[sha256.Size]byte]int64)
	}
	return c
}

func (c *cache) shard(key [sha256.Size]byte) *cacheShard { return &c.shards[key[0]%cacheShards] }

// fresh reports whether key holds a 200 that has not expired at now; an expired entry is removed.
func (c *cache) fresh(key [sha256.Size]byte, now int64) bool {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.m[key]
	if ok && now >= exp {
		delete(s.m, key)
		return false
	}
	return ok
}

// put records a 200 for key until expires. A full shard first drops the expired entries among a sample and, if
// none had expired, the sampled entry closest to expiry (Go's map iteration starts at a random place, so samples
// differ): forgetting a 200 only costs one more pre-call.
func (c *cache) put(key [sha256.Size]byte, now, expires int64) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; !ok && len(s.m) >= c.perShard {
		var victim [sha256.Size]byte
		soonest := int64(math.MaxInt64)
		seen := 0
		for k, exp := range s.m {
			if seen == cacheSample {
				break
			}
			seen++
			if now >= exp {
				delete(s.m, k)
				continue
			}
			if exp < soonest {
				victim, soonest = k, exp
			}
		}
		if len(s.m) >= c.perShard {
			delete(s.m, victim)
		}
	}
	s.m[key] = expires
}

// len is the number of entries (tests).
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}
