package ratelimit

import (
	"testing"
	"time"
)

// FuzzBucket drives a bucket with any sequence of clock steps and takes and compares every answer with a plain
// credit counter (the bucket as most texts describe it: credit grows with time up to the burst, a request spends
// one token's worth), which GCRA's single full-again time must match exactly.
func FuzzBucket(f *testing.F) {
	f.Add(uint16(5), uint16(5), []byte{0, 0, 0, 0, 0, 0, 100, 100, 255})
	f.Add(uint16(1), uint16(1), []byte{0, 0, 99, 1})
	f.Add(uint16(3), uint16(10), []byte{0, 0, 0, 7, 33, 0, 0, 200, 5})
	f.Fuzz(func(t *testing.T, rps, burst uint16, steps []byte) {
		rpsN, burstN := int(rps)%MaxRPS+1, int(burst)%1000+1
		l := newLimits(rpsN, burstN)
		var b bucket
		now := int64(0)
		credit := l.window // the reference: a full bucket
		for i, step := range steps {
			// A step advances the clock by 0–127 units of a millisecond, or of a tenth of an interval.
			unit := int64(time.Millisecond)
			if step&0x80 != 0 {
				unit = l.interval / 10
			}
			elapsed := int64(step&0x7f) * unit
			now += elapsed
			credit = min(l.window, credit+elapsed)

			wantAllowed := credit >= l.interval
			if wantAllowed {
				credit -= l.interval
			}
			allowed, wait := l.take(&b, now)
			if allowed != wantAllowed || wait != l.window-credit {
				t.Fatalf("step %d (rps %d, burst %d, now %d): allowed %v wait %d; want %v, %d", i, rpsN, burstN, now,
					allowed, wait, wantAllowed, l.window-credit)
			}
			if allowed {
				if r := l.remaining(wait); r < 0 || r > int64(burstN)-1 || r != credit/l.interval {
					t.Fatalf("step %d: remaining %d, want %d", i, r, credit/l.interval)
				}
			} else if r := l.retryAfter(wait); r <= 0 || r > l.interval || r != l.interval-credit {
				t.Fatalf("step %d: retry after %d ns, want %d (interval %d)", i, r, l.interval-credit, l.interval)
			}
		}
	})
}

func TestNewLimits(t *testing.T) {
	for _, c := range []struct {
		rps, burst             int
		wantInterval, wantWind int64
	}{
		{1, 1, 1e9, 1e9}, {5, 5, 2e8, 1e9}, {3, 10, 333_333_333, 3_333_333_330}, {MaxRPS, MaxBurst, 10_000, 1e9},
		{2, 1, 5e8, 5e8},
	} {
		if l := newLimits(c.rps, c.burst); l.interval != c.wantInterval || l.window != c.wantWind {
			t.Errorf("newLimits(%d, %d) = %+v, want interval %d window %d", c.rps, c.burst, l, c.wantInterval,
				c.wantWind)
		}
	}
}

func TestCeilSeconds(t *testing.T) {
	for _, c := range []struct{ ns, want int64 }{{0, 0}, {1, 1}, {1e9, 1}, {1e9 + 1, 2}, {2_500_000_000, 3}} {
		if got := ceilSeconds(c.ns); got != c.want {
			t.Errorf("ceilSeconds(%d) = %d, want %d", c.ns, got, c.want)
		}
	}
}
