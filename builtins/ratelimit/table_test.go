package ratelimit

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// hit sends req through p on ex, reset to hold it, and reports whether it was allowed. A request with only
// variables (fromIP) resets without allocating, so that benchmarks can reuse one exchange.
func hit(p *Plugin, ex *memexchange.Exchange, req memexchange.Request) bool {
	ex.Reset(req)
	next, rc := p.HandleRequest(ex)
	if next {
		p.HandleResponse(ex, rc, false)
	}
	return next
}

func TestTableBounded(t *testing.T) {
	const maxKeys = 640 // 10 a shard
	clk := newClock()
	p := mustPlugin(t, `{"rps":1,"key":{"type":"ip"}}`, "/", clk.now, maxKeys)
	req := fromIP("")
	ex := memexchange.New(req)
	for i := range 20_000 {
		req.Vars["request.clientIp"] = "10.0." + strconv.Itoa(i>>8) + "." + strconv.Itoa(i&255)
		if !hit(p, ex, req) {
			t.Fatalf("request %d: a new key was limited", i)
		}
		if i%100 == 0 && p.table.len() > maxKeys {
			t.Fatalf("after %d keys the table holds %d buckets, more than %d", i+1, p.table.len(), maxKeys)
		}
	}
}

// TestTableExpires: buckets that have been full again for IdleTTL are dropped by later inserts; a bucket in use
// stays, with its count, and so does one that is idle but not yet full again.
func TestTableExpires(t *testing.T) {
	clk := newClock()
	p := mustPlugin(t, `{"rps":10,"burst":10,"key":{"type":"ip"}}`, "/", clk.now, MaxKeys)
	slow := mustPlugin(t, `{"rps":1,"burst":100,"key":{"type":"ip"}}`, "/", clk.now, MaxKeys)
	req := fromIP("")
	ex := memexchange.New(req)
	for i := range 200 {
		req.Vars["request.clientIp"] = "old-" + strconv.Itoa(i)
		hit(p, ex, req) // one token: full again 100 ms later
		hit(slow, ex, req)
	}
	req.Vars["request.clientIp"] = "slow"
	for range 100 {
		hit(slow, ex, req) // empty: full again 100 s later
	}
	clk.advance(IdleTTL + 100*time.Millisecond)
	req.Vars["request.clientIp"] = "kept"
	for range 10 {
		hit(p, ex, req) // the bucket is empty now, and the clock stands still
	}
	for i := 0; p.table.len() > i+1; i++ {
		if i == 50_000 {
			t.Fatalf("idle buckets are not dropped: %d buckets for %d new keys", p.table.len(), i)
		}
		req.Vars["request.clientIp"] = "new-" + strconv.Itoa(i)
		hit(p, ex, req)
		hit(slow, ex, req)
	}
	req.Vars["request.clientIp"] = "kept"
	if hit(p, ex, req) {
		t.Fatal("a bucket in use was dropped with the idle ones")
	}
	s := slow.table.shardOf([]byte("slow"))
	s.mu.RLock()
	_, kept := s.m["slow"]
	s.mu.RUnlock()
	if !kept {
		t.Fatal("a bucket that was not full again yet was dropped")
	}
}

// TestEvictsFullestBucket: at its bound, a shard gives up the sampled bucket that was full again first (here the
// one used longest ago).
func TestEvictsFullestBucket(t *testing.T) {
	lim := newLimits(1, 10)
	tb := newTable(2 * shardCount) // two buckets a shard
	lim.take(tb.bucket([]byte("old"), 0), 0)
	s := tb.shardOf([]byte("old"))
	now := int64(10 * time.Second)
	recent := new(bucket)
	lim.take(recent, now)
	s.mu.Lock()
	s.m["recent"] = recent // the shard is now at its bound
	s.mu.Unlock()
	other := ""
	for i := 0; other == ""; i++ {
		if k := "k" + strconv.Itoa(i); tb.shardOf([]byte(k)) == s {
			other = k
		}
	}
	tb.bucket([]byte(other), now)
	s.mu.RLock()
	_, oldKept := s.m["old"]
	_, recentKept := s.m["recent"]
	_, otherKept := s.m[other]
	n := len(s.m)
	s.mu.RUnlock()
	if oldKept || !recentKept || !otherKept || n != 2 {
		t.Fatalf("old kept %v, recent kept %v, new kept %v, %d buckets; want false, true, true, 2", oldKept,
			recentKept, otherKept, n)
	}
}

// TestHammer runs many goroutines against one key and against many keys with a frozen clock: exactly burst
// requests per key may pass, whatever the interleaving. Run with -race.
func TestHammer(t *testing.T) {
	tests := []struct {
		name    string
		keys    int
		maxKeys int
	}{
		{"one key", 1, MaxKeys},
		{"many keys", 500, MaxKeys},
		{"many keys, small table", 500, shardCount}, // evictions under contention: only bounds are checked
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const burst, workers, perWorker = 7, 8, 2000
			p := mustPlugin(t, `{"rps":1,"burst":7,"key":{"type":"ip"}}`, "/", newClock().now, tt.maxKeys)
			allowed := make([]atomic.Int64, tt.keys)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					req := fromIP("")
					ex := memexchange.New(req)
					for i := range perWorker {
						k := (i*workers + w) % tt.keys
						req.Vars["request.clientIp"] = "10.1." + strconv.Itoa(k)
						if hit(p, ex, req) {
							allowed[k].Add(1)
						}
					}
				})
			}
			wg.Wait()
			for k := range allowed {
				got := allowed[k].Load()
				if tt.maxKeys == MaxKeys && got != burst {
					t.Fatalf("key %d: %d requests allowed, want exactly %d", k, got, burst)
				}
				if got < burst {
					t.Fatalf("key %d: %d requests allowed, fewer than the burst %d", k, got, burst)
				}
			}
			if n := p.table.len(); n > max(tt.maxKeys, tt.keys) {
				t.Fatalf("table holds %d buckets", n)
			}
		})
	}
}

// BenchmarkAllowed is the allowed path from request to response, in parallel, with a limit high enough never to
// refuse: one key (every goroutine on the same bucket), many keys (1024 per goroutine, already in the table), and
// the keyless "none" bucket.
func BenchmarkAllowed(b *testing.B) {
	high := func(kind keyKind) *Plugin {
		return newPlugin(&compiled{rps: 1e9, burst: 1e9, kind: kind}, time.Now, MaxKeys)
	}
	cases := []struct {
		name string
		p    *Plugin
		keys int
	}{
		{"none", high(kindNone), 1},
		{"one-key", high(kindIP), 1},
		{"many-keys", high(kindIP), 1024},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var worker atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := worker.Add(1)
				reqs := make([]memexchange.Request, c.keys)
				for i := range reqs {
					reqs[i] = fromIP("10." + strconv.FormatInt(w, 10) + "." + strconv.Itoa(i))
				}
				ex := memexchange.New(reqs[0])
				i := 0
				for pb.Next() {
					if !hit(c.p, ex, reqs[i%len(reqs)]) {
						b.Fatal("refused")
					}
					i++
				}
			})
		})
	}
}

// BenchmarkRefused is the 429 path (headers and the JSON error body).
func BenchmarkRefused(b *testing.B) {
	p := newPlugin(&compiled{rps: 1, burst: 1, kind: kindIP}, newClock().now, MaxKeys)
	req := fromIP("10.0.0.1")
	ex := memexchange.New(req)
	hit(p, ex, req)
	b.ReportAllocs()
	for b.Loop() {
		if hit(p, ex, req) {
			b.Fatal("allowed")
		}
	}
}
