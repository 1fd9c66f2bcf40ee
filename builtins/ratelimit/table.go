package ratelimit

import (
	"hash/maphash"
	"math"
	"sync"
	"time"
)

const (
	// shardCount spreads keys over independently locked maps: there is no global lock on the request path, and
	// requests for different keys rarely meet on the same lock.
	shardCount = 64
	// MaxKeys bounds the buckets one binding keeps (per-key bindings only). A bucket costs its key (at most
	// maxKeyLen bytes), its map slot and 8 bytes, under 200 bytes (≈ 50 for an IP address), so a binding holds at
	// most about 12 MB however many distinct keys arrive.
	MaxKeys = 64 << 10
	// IdleTTL is how long a key's bucket is kept once it is full again: a bucket is only forgotten when forgetting
	// it changes nothing, and keeping it a while past that saves re-creating it for clients that call every few
	// seconds.
	IdleTTL = time.Minute
	// maxKeyLen is the longest key kept as it is; longer keys (a header value can be kilobytes) are replaced by a
	// 128-bit hash, so that MaxKeys bounds memory and not just the entry count.
	maxKeyLen = 128
	// sweepSample is how many buckets an insert looks at to drop expired ones; evictSample how many it looks at to
	// pick a victim when the shard is full. Sampling on insert is the Redis approach: the table only grows on
	// insert, so cleaning there bounds it without a janitor goroutine to start, stop and leak.
	sweepSample = 2
	evictSample = 8
)

// table is a bounded, sharded map from a key to its token bucket.
//
// Expiry: a bucket that has been full for IdleTTL is expired, and dropping it loses nothing; inserts drop the
// expired buckets they sample, keeping the table close to the keys active within the last IdleTTL or so. A
// bucket's full-again time is all it keeps, so requests never write anything else to it (no last-seen time).
//
// When a shard is full, an insert evicts the bucket that was full again first among those it samples: the one
// whose loss forgets the fewest taken tokens, which is also nearly always the one used longest ago. An evicted key
// that comes back starts with a full bucket: under a flood of distinct keys the limiter forgets some keys — failing
// open for them — instead of growing without bound or refusing keys it has no room for.
type table struct {
	seed, seed2 maphash.Seed
	perShard    int
	shards      [shardCount]shard
}

type shard struct {
	mu sync.RWMutex
	m  map[string]*bucket
	_  [128 - 32]byte // a shard per 128 bytes: locks of neighbouring shards never share a cache line (pair)
}

func newTable(maxKeys int) *table {
	t := &table{seed: maphash.MakeSeed(), seed2: maphash.MakeSeed(), perShard: max(1, (maxKeys+shardCount-1)/shardCount)}
	for i := range t.shards {
		t.shards[i].m = make(map[string]*bucket)
	}
	return t
}

// bucket returns key's token bucket, creating it (full) if needed; now is in nanoseconds since the limiter's epoch.
// key may be reused by the caller afterwards.
func (t *table) bucket(key []byte, now int64) *bucket {
	var hashed [17]byte
	if len(key) > maxKeyLen {
		key = t.hashKey(&hashed, key)
	}
	s := t.shardOf(key)
	s.mu.RLock()
	b := s.m[string(key)] // no allocation: the compiler looks up without converting
	s.mu.RUnlock()
	if b != nil {
		return b
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if b = s.m[string(key)]; b != nil {
		return b // another request created it meanwhile
	}
	t.sweep(s, now)
	b = new(bucket)
	b.full.Store(now) // full now: expires IdleTTL from now if the request that made it is not counted
	s.m[string(key)] = b
	return b
}

func (t *table) shardOf(key []byte) *shard { return &t.shards[maphash.Bytes(t.seed, key)%shardCount] }

// hashKey replaces a long key by a marker byte and two 64-bit hashes with independent random seeds. A client
// cannot aim for a collision without the seeds; a chance collision merely shares a bucket.
func (t *table) hashKey(dst *[17]byte, key []byte) []byte {
	h1, h2 := maphash.Bytes(t.seed, key), maphash.Bytes(t.seed2, key)
	dst[0] = 0xff
	for i := range 8 {
		dst[1+i] = byte(h1 >> (8 * i))
		dst[9+i] = byte(h2 >> (8 * i))
	}
	return dst[:]
}

// sweep runs under s.mu before an insert: it drops expired buckets among a few sampled ones and, when the shard is
// still at its bound, evicts the sampled bucket that was full again first. Go's map iteration starts at a random
// place, so successive sweeps look at different buckets.
func (t *table) sweep(s *shard, now int64) {
	sample := sweepSample
	if len(s.m) >= t.perShard {
		sample = evictSample
	}
	var victim string
	earliest := int64(math.MaxInt64)
	seen := 0
	for k, b := range s.m {
		if seen == sample {
			break
		}
		seen++
		full := b.full.Load()
		if now-full >= int64(IdleTTL) {
			delete(s.m, k) // deleting during range is allowed
			continue
		}
		if full < earliest {
			victim, earliest = k, full
		}
	}
	if len(s.m) >= t.perShard {
		delete(s.m, victim) // nothing sampled had expired, so victim is set
	}
}

// len is the number of buckets held (tests).
func (t *table) len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
