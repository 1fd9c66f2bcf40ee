package usage

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Period is the period of a plan's quota.
type Period uint8

const (
	PeriodNone  Period = iota // no quota
	PeriodDay                 // reset at 00:00 UTC every day
	PeriodMonth               // reset at 00:00 UTC on the 1st of every month

	periodUnbound Period = 255 // a slot not bound to a plan yet (new, or loaded from the store)
)

// ParsePeriod reads "DAY", "MONTH" or "NONE" ("" is NONE).
func ParsePeriod(s string) (Period, error) {
	switch s {
	case "", "NONE":
		return PeriodNone, nil
	case "DAY":
		return PeriodDay, nil
	case "MONTH":
		return PeriodMonth, nil
	}
	return PeriodNone, fmt.Errorf("usage: unknown quota period %q", s)
}

func (p Period) String() string {
	switch p {
	case PeriodDay:
		return "DAY"
	case PeriodMonth:
		return "MONTH"
	case PeriodNone:
		return "NONE"
	}
	return "unbound"
}

const nsPerDay = int64(24 * time.Hour)

// bounds returns the period of kind p that contains now (unix nanoseconds, UTC): its start and end.
func bounds(p Period, now int64) (start, end int64) {
	switch p {
	case PeriodDay:
		start = now - now%nsPerDay
		if now < 0 && now%nsPerDay != 0 {
			start -= nsPerDay
		}
		return start, start + nsPerDay
	case PeriodMonth:
		t := time.Unix(0, now).UTC()
		s := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return s.UnixNano(), s.AddDate(0, 1, 0).UnixNano()
	}
	return 0, math.MaxInt64
}

// slotKey names the counters of one key on one stage (store IDs).
type slotKey struct{ key, stage int64 }

// slot is the state of one (key, stage) that outlives key tables: the token bucket and the quota counter. A key
// that moves to another plan on the same stage keeps its slot, and so its usage.
type slot struct {
	// lim is the token bucket (nil until the key has an RPS limit on the stage); only Set replaces or retunes it.
	lim *rate.Limiter
	rps int

	count atomic.Int64 // requests in the current period
	end   atomic.Int64 // unix nanoseconds when the current period ends (MaxInt64: never)

	mu     sync.Mutex // guards period and start, and serialises rolling over to a new period
	period Period
	start  int64 // unix nanoseconds; 0 for no quota

	flushedStart, flushedCount int64 // what the store has (guarded by Guard.mu)
}

func (g *Guard) slotLocked(k slotKey) *slot {
	s := g.slots[k]
	if s == nil {
		s = &slot{period: periodUnbound}
		s.end.Store(math.MaxInt64)
		g.slots[k] = s
	}
	return s
}

// bind attaches the slot to a plan's period at now, following the seed's rules for a plan whose period changed or a
// key that moved to another plan: DAY and MONTH keep the current count (unless its period has already ended),
// NONE resets it. A count loaded from the store is kept only if it belongs to the current period.
func (s *slot) bind(p Period, now int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p == s.period {
		return
	}
	if p == PeriodNone {
		s.period, s.start = PeriodNone, 0
		s.count.Store(0)
		s.end.Store(math.MaxInt64)
		return
	}
	start, end := bounds(p, now)
	switch {
	case s.period == periodUnbound:
		if s.start != start {
			s.count.Store(0) // new, or loaded from an earlier period
		}
	case s.period == PeriodNone, now >= s.end.Load():
		s.count.Store(0)
	}
	s.period, s.start = p, start
	s.end.Store(end)
}

// tune sets the slot's token bucket to rps (0: none) and returns the limiter the key table should use.
func (s *slot) tune(rps int, now time.Time) *rate.Limiter {
	if rps <= 0 {
		s.rps = 0
		return nil
	}
	switch {
	case s.lim == nil:
		s.lim = rate.NewLimiter(rate.Limit(rps), rps)
	case s.rps != rps:
		s.lim.SetLimitAt(now, rate.Limit(rps))
		s.lim.SetBurstAt(now, rps)
	}
	s.rps = rps
	return s.lim
}

// roll starts a new period if now is past the current one's end.
func (s *slot) roll(now int64) {
	s.mu.Lock()
	if now >= s.end.Load() {
		start, end := bounds(s.period, now)
		s.start = start
		s.count.Store(0)
		s.end.Store(end)
	}
	s.mu.Unlock()
}

// used returns the count of the current period.
func (s *slot) used(now int64) int64 {
	if now >= s.end.Load() {
		s.roll(now)
	}
	return s.count.Load()
}

// take counts one request if the quota allows it.
func (s *slot) take(now, limit int64) bool {
	if now >= s.end.Load() {
		s.roll(now)
	}
	for {
		c := s.count.Load()
		if c >= limit {
			return false
		}
		if s.count.CompareAndSwap(c, c+1) {
			return true
		}
	}
}
