package ratelimit

import (
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

const (
	// shardCount spreads keys over independently locked maps: there is no global lock on the request path, and
	// requests for different keys rarely meet on the same lock.
	shardCount = 64
	// MaxKeys bounds the buckets one binding keeps (per-key bindings only). At roughly 250 bytes a bucket, a
	// binding holds at most about 16 MB however many distinct keys arrive.
	MaxKeys = 64 << 10
	// IdleTTL is how long a key's bucket is kept after its last request (longer when the bucket takes longer to
	// refill: a bucket is only forgotten once it is full, when forgetting it changes nothing). Keeping buckets a
	// while past refilling saves re-creating them for clients that call every few seconds.
	IdleTTL = time.Minute
	// maxKeyLen is the longest key kept as it is; longer keys (a header value can be kilobytes) are replaced by a
	// 128-bit hash, so that MaxKeys bounds memory and not just the entry count.
	maxKeyLen = 128
	// sweepSample is how many buckets an insert looks at to drop expired ones; evictSample how many it looks at to
	// pick a victim when the shard is full. Sampling on insert is the Redis approach: the table only grows on
	// insert, so cleaning there bounds it without a janitor goroutine to start, stop and leak.
	sweepSample = 2
	evictSample = 8
	// touchEvery limits how often a bucket's last-seen time is written: many cores hitting one key would
	// otherwise all write the same cache line on every request just for the clock.
	touchEvery = int64(time.Second)
)

// table is a bounded, sharded map from a key to its token bucket.
//
// Expiry: a bucket idle for its ttl (IdleTTL, or the time it takes to refill plus touchEvery, the most the
// last-seen time can lag, if that is longer) is full, so dropping it loses nothing; inserts drop the expired buckets they sample, keeping the table close to the keys active within
// the ttl.
//
// When a shard is full, an insert evicts the least recently seen of the buckets it samples (approximate LRU). An
// evicted key that comes back starts with a full bucket: under a flood of distinct keys the limiter forgets some
// keys — failing open for them — instead of growing without bound or refusing keys it has no room for.
type table struct {
	seed, seed2 maphash.Seed
	perShard    int
	limit       rate.Limit
	burst       int
	ttl         int64     // nanoseconds
	epoch       time.Time // last-seen times are nanoseconds since epoch: monotonic, immune to wall-clock steps
	shards      [shardCount]shard
}

type shard struct {
	mu sync.RWMutex
	m  map[string]*bucket
	_  [128 - 32]byte // a shard per 128 bytes: locks of neighbouring shards never share a cache line (pair)
}

// bucket is one key's token bucket and when it was last used (nanoseconds since the table's epoch, updated at
// most every touchEvery).
type bucket struct {
	lim  *rate.Limiter
	seen atomic.Int64
}

func newTable(limit rate.Limit, burst, maxKeys int) *table {
	refill := time.Duration(float64(burst) / float64(limit) * float64(time.Second))
	t := &table{seed: maphash.MakeSeed(), seed2: maphash.MakeSeed(), limit: limit, burst: burst,
		perShard: max(1, (maxKeys+shardCount-1)/shardCount), ttl: max(int64(IdleTTL), int64(refill)+touchEvery),
		epoch: time.Now()}
	for i := range t.shards {
		t.shards[i].m = make(map[string]*bucket)
	}
	return t
}

// limiter returns key's token bucket, creating it if needed. key may be reused by the caller afterwards.
func (t *table) limiter(key []byte, now time.Time) *rate.Limiter {
	var hashed [17]byte
	if len(key) > maxKeyLen {
		key = t.hashKey(&hashed, key)
	}
	ns := int64(now.Sub(t.epoch))
	s := t.shardOf(key)
	s.mu.RLock()
	b := s.m[string(key)] // no allocation: the compiler looks up without converting
	s.mu.RUnlock()
	if b != nil {
		if ns-b.seen.Load() > touchEvery {
			b.seen.Store(ns)
		}
		return b.lim
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if b = s.m[string(key)]; b != nil {
		return b.lim // another request created it meanwhile
	}
	t.sweep(s, ns)
	b = &bucket{lim: rate.NewLimiter(t.limit, t.burst)}
	b.seen.Store(ns)
	s.m[string(key)] = b
	return b.lim
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
// still at its bound, evicts the least recently seen sampled bucket. Go's map iteration starts at a random place,
// so successive sweeps look at different buckets.
func (t *table) sweep(s *shard, now int64) {
	sample := sweepSample
	if len(s.m) >= t.perShard {
		sample = evictSample
	}
	var victim string
	oldest := int64(math.MaxInt64)
	seen := 0
	for k, b := range s.m {
		if seen == sample {
			break
		}
		seen++
		last := b.seen.Load()
		if now-last >= t.ttl {
			delete(s.m, k) // deleting during range is allowed
			continue
		}
		if last < oldest {
			victim, oldest = k, last
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
