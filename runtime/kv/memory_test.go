package kv

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for expiry tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestStore(max int) (*Memory, *fakeClock) {
	m := NewMemory(max)
	c := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	m.now = c.now
	return m, c
}

func TestMemory(t *testing.T) {
	type op struct {
		kind      string // get, set, incr, advance
		ns, key   string
		value     string
		delta     int64
		ttl       time.Duration
		wantValue string
		wantOK    bool
		wantCount int64
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{"missing key", []op{{kind: "get", ns: "p", key: "k"}}},
		{"set then get", []op{
			{kind: "set", ns: "p", key: "k", value: "v"},
			{kind: "get", ns: "p", key: "k", wantValue: "v", wantOK: true},
		}},
		{"overwrite", []op{
			{kind: "set", ns: "p", key: "k", value: "v1"},
			{kind: "set", ns: "p", key: "k", value: "v2"},
			{kind: "get", ns: "p", key: "k", wantValue: "v2", wantOK: true},
		}},
		{"namespaces are apart", []op{
			{kind: "set", ns: "a", key: "k", value: "from a"},
			{kind: "get", ns: "b", key: "k"},
			{kind: "set", ns: "ab", key: "c", value: "x"},
			{kind: "get", ns: "a", key: "bc"},
		}},
		{"value expires", []op{
			{kind: "set", ns: "p", key: "k", value: "v", ttl: time.Second},
			{kind: "advance", ttl: 999 * time.Millisecond},
			{kind: "get", ns: "p", key: "k", wantValue: "v", wantOK: true},
			{kind: "advance", ttl: time.Millisecond},
			{kind: "get", ns: "p", key: "k"},
		}},
		{"zero ttl never expires", []op{
			{kind: "set", ns: "p", key: "k", value: "v"},
			{kind: "advance", ttl: 1000 * time.Hour},
			{kind: "get", ns: "p", key: "k", wantValue: "v", wantOK: true},
		}},
		{"counter counts and reads as decimal", []op{
			{kind: "incr", ns: "p", key: "c", delta: 2, wantCount: 2},
			{kind: "incr", ns: "p", key: "c", delta: 5, wantCount: 7},
			{kind: "incr", ns: "p", key: "c", delta: -10, wantCount: -3},
			{kind: "get", ns: "p", key: "c", wantValue: "-3", wantOK: true},
		}},
		{"counter window is fixed at creation", []op{
			{kind: "incr", ns: "p", key: "c", delta: 1, ttl: time.Minute, wantCount: 1},
			{kind: "advance", ttl: 59 * time.Second},
			{kind: "incr", ns: "p", key: "c", delta: 1, ttl: time.Minute, wantCount: 2},
			{kind: "advance", ttl: time.Second},
			{kind: "incr", ns: "p", key: "c", delta: 1, ttl: time.Minute, wantCount: 1},
		}},
		{"incr over a value starts a counter", []op{
			{kind: "set", ns: "p", key: "k", value: "text"},
			{kind: "incr", ns: "p", key: "k", delta: 3, wantCount: 3},
		}},
		{"set over a counter stores the value", []op{
			{kind: "incr", ns: "p", key: "k", delta: 3, wantCount: 3},
			{kind: "set", ns: "p", key: "k", value: "text"},
			{kind: "get", ns: "p", key: "k", wantValue: "text", wantOK: true},
		}},
		{"oversized value is ignored", []op{
			{kind: "set", ns: "p", key: "k", value: string(make([]byte, MaxValueLen+1))},
			{kind: "get", ns: "p", key: "k"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clock := newTestStore(0)
			for i, o := range tt.ops {
				switch o.kind {
				case "get":
					got, ok := m.Get([]byte(o.ns), []byte(o.key), []byte("prefix:"))
					if ok != o.wantOK || string(got) != "prefix:"+o.wantValue {
						t.Fatalf("op %d: Get = %q, %v; want %q, %v", i, got, ok, "prefix:"+o.wantValue, o.wantOK)
					}
				case "set":
					m.Set([]byte(o.ns), []byte(o.key), []byte(o.value), o.ttl)
				case "incr":
					if got := m.Incr([]byte(o.ns), []byte(o.key), o.delta, o.ttl); got != o.wantCount {
						t.Fatalf("op %d: Incr = %d, want %d", i, got, o.wantCount)
					}
				case "advance":
					clock.t = clock.t.Add(o.ttl)
				}
			}
		})
	}
}

func TestMemoryBounded(t *testing.T) {
	const max = shardCount * 4
	m, clock := newTestStore(max)
	for i := range 10 * max {
		m.Set([]byte("p"), []byte(strconv.Itoa(i)), []byte("v"), time.Second)
		if i%max == 0 {
			clock.t = clock.t.Add(2 * time.Second) // let earlier entries expire too
		}
	}
	if n := m.Len(); n > max {
		t.Fatalf("Len = %d, want at most %d", n, max)
	}
}

// TestMemoryHammer runs concurrent increments on shared and private keys; run it with -race.
func TestMemoryHammer(t *testing.T) {
	m := NewMemory(0)
	const workers, rounds = 8, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := []byte("own" + strconv.Itoa(w))
			for range rounds {
				m.Incr([]byte("p"), []byte("shared"), 1, 0)
				m.Set([]byte("p"), own, own, time.Minute)
				if v, ok := m.Get([]byte("p"), own, nil); !ok || string(v) != string(own) {
					t.Errorf("Get(%s) = %q, %v", own, v, ok)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := m.Incr([]byte("p"), []byte("shared"), 0, 0); got != workers*rounds {
		t.Fatalf("shared counter = %d, want %d", got, workers*rounds)
	}
}

func BenchmarkMemoryIncr(b *testing.B) {
	m := NewMemory(0)
	ns, key := []byte("plugin"), []byte("client-42")
	b.ReportAllocs()
	for b.Loop() {
		m.Incr(ns, key, 1, time.Minute)
	}
}
