package ratelimit

import (
	"sync/atomic"
	"time"
)

// bucket is one token bucket, kept as the single number GCRA (the generic cell rate algorithm) needs: the time at
// which the bucket will be full again, in nanoseconds since the limiter's epoch. A bucket that is full now holds
// any time not after now; 0 is a full bucket.
//
// Why not golang.org/x/time/rate (which the usage plans use): its Limiter takes a mutex on every call, twice for a
// decision plus the remaining count the RateLimit-* fields need, and is ≈ 80 bytes per key behind a pointer. Here a
// decision is one atomic load and one compare-and-swap on 8 bytes, and the remaining count and the reset time fall
// out of the same number. Times are integers, so there is no float rounding either.
type bucket struct{ full atomic.Int64 }

// limits are a binding's bucket parameters: interval is the time one token takes to come back (1 s / rps, in
// nanoseconds) and window the time an empty bucket takes to fill (burst × interval).
type limits struct {
	interval int64
	window   int64
}

func newLimits(rps, burst int) limits {
	interval := (int64(time.Second) + int64(rps)/2) / int64(rps) // rounded; rps ≤ 100 000, so ≥ 10 µs
	return limits{interval: interval, window: int64(burst) * interval}
}

// take takes one token from b at now (nanoseconds since the epoch). When it is allowed, wait is how long until the
// bucket is full again after it; when refused, how long until it is full without it. Concurrent takes each retry
// their compare-and-swap until one wins, so exactly the tokens there are get taken.
func (l limits) take(b *bucket, now int64) (allowed bool, wait int64) {
	for {
		old := b.full.Load()
		full := max(old, now)
		if full+l.interval-now > l.window {
			return false, full - now
		}
		if b.full.CompareAndSwap(old, full+l.interval) {
			return true, full + l.interval - now
		}
	}
}

// remaining is the whole number of tokens left in a bucket that is full again in wait.
func (l limits) remaining(wait int64) int64 { return (l.window - wait) / l.interval }

// retryAfter is how long a refused request's client waits for one token, given the bucket is full again in wait:
// until the bucket lacks at most one interval of being full minus the token.
func (l limits) retryAfter(wait int64) int64 { return wait - l.window + l.interval }

// ceilSeconds rounds a duration in nanoseconds up to whole seconds.
func ceilSeconds(ns int64) int64 { return (ns + int64(time.Second) - 1) / int64(time.Second) }
