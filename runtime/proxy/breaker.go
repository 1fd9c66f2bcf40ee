package proxy

import (
	"errors"
	"sync/atomic"
	"time"
)

// ErrCircuitOpen is returned without calling the backend while its circuit is open.
var ErrCircuitOpen = errors.New("proxy: backend circuit open after repeated timeouts")

// Circuit-breaker defaults: the seed refuses requests for a while to a backend that keeps not answering (timeouts),
// but never because of the backend's own 4xx/5xx answers.
const (
	DefaultBreakerThreshold = 5
	DefaultBreakerOpenFor   = 30 * time.Second
)

// breaker is a per-origin circuit breaker counting consecutive timeouts. Closed: every call goes through. After
// threshold consecutive timeouts it opens for openFor: calls fail fast with ErrCircuitOpen. Then one probe call at a
// time goes through (half-open); a probe that answers closes the circuit, a probe that times out opens it again.
// The closed path costs two atomic loads and no clock read.
type breaker struct {
	threshold int32
	openFor   int64 // nanoseconds
	failures  atomic.Int32
	openUntil atomic.Int64 // unix nanoseconds; 0 while closed
	probing   atomic.Bool
	now       func() int64
}

func newBreaker(threshold int, openFor time.Duration) *breaker {
	return &breaker{threshold: int32(threshold), openFor: int64(openFor), now: func() int64 { return time.Now().UnixNano() }}
}

// allow reports whether a call may go to the backend now.
func (b *breaker) allow() bool {
	until := b.openUntil.Load()
	if until == 0 {
		return true
	}
	if b.now() < until {
		return false
	}
	return b.probing.CompareAndSwap(false, true)
}

// record notes the outcome of a call that allow let through.
func (b *breaker) record(timedOut bool) {
	if !timedOut {
		if b.failures.Load() != 0 {
			b.failures.Store(0)
		}
		if b.openUntil.Load() != 0 {
			b.openUntil.Store(0)
			b.probing.Store(false)
		}
		return
	}
	if b.failures.Add(1) >= b.threshold {
		b.openUntil.Store(b.now() + b.openFor)
		b.probing.Store(false)
	}
}
