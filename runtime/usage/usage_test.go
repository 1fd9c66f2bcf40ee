package usage

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct{ ns, reads atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}

func (c *clock) now() time.Time          { c.reads.Add(1); return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func digest(v string) [32]byte { return sha256.Sum256([]byte(v)) }

// memSource is an in-memory Source: the key table to serve and the stored counters.
type memSource struct {
	mu     sync.Mutex
	table  Table
	counts map[slotKey]Count
	saves  int
	fail   error
}

func newMemSource(t Table) *memSource { return &memSource{table: t, counts: map[slotKey]Count{}} }

func (m *memSource) KeyTable(context.Context) (Table, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.table, nil
}

func (m *memSource) LoadCounts(context.Context) ([]Count, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Count
	for _, c := range m.counts {
		out = append(out, c)
	}
	return out, nil
}

func (m *memSource) SaveCounts(_ context.Context, batch []Count) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.saves++
	for _, c := range batch {
		k := slotKey{c.KeyID, c.StageID}
		if c.PeriodStart.IsZero() {
			delete(m.counts, k)
		} else {
			m.counts[k] = c
		}
	}
	return nil
}

func (m *memSource) stored(key, stage int64) (Count, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.counts[slotKey{key, stage}]
	return c, ok
}

func (m *memSource) setTable(t Table) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.table = t
}

// Fixture: key 1 ("gold", primary "p1", secondary "s1") on stage shop/test (ID 10); key 2 inactive; key 3 with no
// grants; stage shop/prod (ID 11) has nobody.
func fixture(rps int, period Period, limit int64) Table {
	return Table{Keys: []Key{
		{ID: 1, Active: true, Hashes: [2][32]byte{digest("p1"), digest("s1")},
			Grants: []Grant{{ServiceID: "shop", Stage: "test", StageID: 10, PlanID: 100, RPS: rps, Period: period,
				Limit: limit}}},
		{ID: 2, Active: false, Hashes: [2][32]byte{digest("p2"), digest("s2")},
			Grants: []Grant{{ServiceID: "shop", Stage: "test", StageID: 10, PlanID: 100}}},
		{ID: 3, Active: true, Hashes: [2][32]byte{digest("p3"), digest("s3")}},
	}}
}

func newGuard(t *testing.T, c *clock, src Source) *Guard {
	t.Helper()
	g := New(Config{Source: src, Now: c.now, FlushInterval: -1})
	t.Cleanup(func() { _ = g.Close(context.Background()) })
	return g
}

func check(g *Guard, st *Stage, value string) Result {
	h := digest(value)
	return g.Check(st, &h)
}

func TestCheckDecisions(t *testing.T) {
	c := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	g := newGuard(t, c, nil)
	g.Set(fixture(0, PeriodNone, 0))
	test, prod := g.Stage("shop", "test"), g.Stage("shop", "prod")
	tests := []struct {
		name  string
		stage *Stage
		value string
		want  Decision
		key   int64
	}{
		{"primary value", test, "p1", Allowed, 1},
		{"secondary value", test, "s1", Allowed, 1},
		{"unknown value", test, "nope", KeyUnknown, 0},
		{"inactive key", test, "p2", KeyInactive, 2},
		{"key without plans", test, "p3", NotAllowed, 3},
		{"stage not granted", prod, "p1", NotAllowed, 1},
		{"another service's stage of the same name", g.Stage("other", "test"), "p1", NotAllowed, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check(g, tt.stage, tt.value)
			if r.Decision != tt.want || r.KeyID != tt.key {
				t.Fatalf("got %v key %d, want %v key %d", r.Decision, r.KeyID, tt.want, tt.key)
			}
		})
	}
	if g.Stage("shop", "test") != test {
		t.Fatal("stage handles are not interned")
	}
	// The fixture's plan has neither an RPS limit nor a quota: allowing a key under it needs no clock (a read is
	// ≈ 50 ns on the request path).
	before := c.reads.Load()
	if r := check(g, test, "p1"); r.Decision != Allowed {
		t.Fatalf("got %v", r.Decision)
	}
	if n := c.reads.Load() - before; n != 0 {
		t.Errorf("a key under a plan without limits read the clock %d times", n)
	}
}

func TestEmptyGuardRefusesEverything(t *testing.T) {
	g := New(Config{})
	if r := check(g, g.Stage("shop", ""), "p1"); r.Decision != KeyUnknown {
		t.Fatalf("got %v", r.Decision)
	}
}

func TestRPS(t *testing.T) {
	c := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	g := newGuard(t, c, nil)
	g.Set(fixture(2, PeriodNone, 0))
	st := g.Stage("shop", "test")
	for i := range 2 {
		if r := check(g, st, "p1"); r.Decision != Allowed {
			t.Fatalf("request %d: %v", i, r.Decision)
		}
	}
	r := check(g, st, "s1") // both values share the key's bucket
	if r.Decision != RPSExceeded || r.RetryAfter <= 0 || r.RetryAfter > time.Second {
		t.Fatalf("third request: %v retry after %v", r.Decision, r.RetryAfter)
	}
	c.advance(500 * time.Millisecond) // 2 rps: one token back
	if r := check(g, st, "p1"); r.Decision != Allowed {
		t.Fatalf("after 0.5 s: %v", r.Decision)
	}
	// A plan edit applies at once: 2 → 5 rps.
	g.Set(fixture(5, PeriodNone, 0))
	c.advance(time.Second)
	allowed := 0
	for range 10 {
		if check(g, st, "p1").Decision == Allowed {
			allowed++
		}
	}
	if allowed != 5 {
		t.Fatalf("5 rps allowed %d in a burst", allowed)
	}
}

func TestQuotaDayResetsAtMidnightUTC(t *testing.T) {
	c := newClock(time.Date(2025, 3, 1, 23, 59, 58, 0, time.UTC))
	g := newGuard(t, c, nil)
	g.Set(fixture(0, PeriodDay, 3))
	st := g.Stage("shop", "test")
	for i := range 3 {
		if r := check(g, st, "p1"); r.Decision != Allowed {
			t.Fatalf("request %d: %v", i, r.Decision)
		}
	}
	r := check(g, st, "p1")
	if r.Decision != QuotaExceeded || r.RetryAfter != 2*time.Second {
		t.Fatalf("fourth: %v retry after %v", r.Decision, r.RetryAfter)
	}
	if used, start, _ := g.Usage(1, 10); used != 3 || !start.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("usage %d since %v", used, start)
	}
	c.set(time.Date(2025, 3, 1, 23, 59, 59, 999999999, time.UTC))
	if r := check(g, st, "p1"); r.Decision != QuotaExceeded {
		t.Fatalf("one nanosecond before midnight: %v", r.Decision)
	}
	c.set(time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC))
	if used, _, _ := g.Usage(1, 10); used != 0 {
		t.Fatalf("usage at midnight %d", used)
	}
	if r := check(g, st, "p1"); r.Decision != Allowed {
		t.Fatalf("at midnight: %v", r.Decision)
	}
	if used, start, _ := g.Usage(1, 10); used != 1 || !start.Equal(time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("usage %d since %v", used, start)
	}
}

func TestQuotaMonthResetsOnTheFirst(t *testing.T) {
	tests := []struct {
		name          string
		last, first   time.Time
		wantRetryDays int
	}{
		{"January", time.Date(2025, 1, 31, 23, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), 0},
		{"February of a leap year", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), 0},
		{"December", time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{"mid-month", time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC), time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(tt.last)
			g := newGuard(t, c, nil)
			g.Set(fixture(0, PeriodMonth, 2))
			st := g.Stage("shop", "test")
			check(g, st, "p1")
			check(g, st, "p1")
			r := check(g, st, "p1")
			if r.Decision != QuotaExceeded || r.RetryAfter != tt.first.Sub(tt.last) {
				t.Fatalf("third: %v retry after %v, want %v", r.Decision, r.RetryAfter, tt.first.Sub(tt.last))
			}
			c.set(tt.first.Add(-time.Nanosecond))
			if check(g, st, "p1").Decision != QuotaExceeded {
				t.Fatal("reset before the 1st")
			}
			c.set(tt.first)
			if r := check(g, st, "p1"); r.Decision != Allowed {
				t.Fatalf("on the 1st: %v", r.Decision)
			}
		})
	}
}

func TestLimitsDoNotUseEachOtherUp(t *testing.T) {
	c := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	g := newGuard(t, c, nil)
	g.Set(fixture(1, PeriodDay, 2))
	st := g.Stage("shop", "test")
	if check(g, st, "p1").Decision != Allowed {
		t.Fatal("first")
	}
	if r := check(g, st, "p1"); r.Decision != RPSExceeded {
		t.Fatalf("second in the same second: %v", r.Decision)
	}
	if used, _, _ := g.Usage(1, 10); used != 1 {
		t.Fatalf("a request refused for RPS was counted: %d", used)
	}
	c.advance(time.Second)
	check(g, st, "p1")
	c.advance(time.Second)
	if r := check(g, st, "p1"); r.Decision != QuotaExceeded {
		t.Fatalf("over quota: %v", r.Decision)
	}
	// The refused request did not take the token: the key still has one after the quota resets.
	c.set(time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC))
	if r := check(g, st, "p1"); r.Decision != Allowed {
		t.Fatalf("next day: %v", r.Decision)
	}
}

// TestPlanChangesKeepOrResetUsage follows the seed: moving a key to a DAY or MONTH plan (or editing the plan's period
// between them) keeps its usage, possibly over a lower limit; NONE resets it.
func TestPlanChangesKeepOrResetUsage(t *testing.T) {
	day := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		from, to Period
		toLimit  int64
		after    time.Duration // time between the requests and the change
		wantUsed int64
		want     Decision // the next request, after the change
	}{
		{"day to month keeps", PeriodDay, PeriodMonth, 100, 0, 5, Allowed},
		{"month to day keeps", PeriodMonth, PeriodDay, 100, 0, 5, Allowed},
		{"day to a lower day limit keeps and exceeds", PeriodDay, PeriodDay, 3, 0, 5, QuotaExceeded},
		{"day to month after the day ended starts over", PeriodDay, PeriodMonth, 100, 13 * time.Hour, 0, Allowed},
		{"day to none resets", PeriodDay, PeriodNone, 0, 0, 0, Allowed},
		{"month to none resets", PeriodMonth, PeriodNone, 0, 0, 0, Allowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(day)
			g := newGuard(t, c, nil)
			g.Set(fixture(0, tt.from, 10))
			st := g.Stage("shop", "test")
			for range 5 {
				if r := check(g, st, "p1"); r.Decision != Allowed {
					t.Fatal(r.Decision)
				}
			}
			c.advance(tt.after)
			moved := fixture(0, tt.to, tt.toLimit)
			moved.Keys[0].Grants[0].PlanID = 200 // another plan on the same stage
			g.Set(moved)
			if used, _, _ := g.Usage(1, 10); used != tt.wantUsed {
				t.Fatalf("usage after the change %d, want %d", used, tt.wantUsed)
			}
			if r := check(g, st, "p1"); r.Decision != tt.want {
				t.Fatalf("next request %v, want %v", r.Decision, tt.want)
			}
		})
	}
	t.Run("none back to day starts at zero", func(t *testing.T) {
		c := newClock(day)
		g := newGuard(t, c, nil)
		g.Set(fixture(0, PeriodDay, 10))
		st := g.Stage("shop", "test")
		check(g, st, "p1")
		g.Set(fixture(0, PeriodNone, 0))
		check(g, st, "p1")
		g.Set(fixture(0, PeriodDay, 10))
		if used, _, _ := g.Usage(1, 10); used != 0 {
			t.Fatalf("usage %d", used)
		}
	})
}

func TestKeyChangesApplyAtOnce(t *testing.T) {
	c := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	g := newGuard(t, c, nil)
	tbl := fixture(0, PeriodNone, 0)
	g.Set(tbl)
	st := g.Stage("shop", "test")
	// Deactivate, regenerate the secondary value, disconnect, delete: each applies with the next Set.
	tbl.Keys[0].Active = false
	g.Set(tbl)
	if r := check(g, st, "p1"); r.Decision != KeyInactive {
		t.Fatalf("inactive: %v", r.Decision)
	}
	tbl.Keys[0].Active = true
	tbl.Keys[0].Hashes[1] = digest("s1-new")
	g.Set(tbl)
	if check(g, st, "s1").Decision != KeyUnknown || check(g, st, "s1-new").Decision != Allowed {
		t.Fatal("regenerated value")
	}
	tbl.Keys[0].Grants = nil
	g.Set(tbl)
	if r := check(g, st, "p1"); r.Decision != NotAllowed {
		t.Fatalf("disconnected: %v", r.Decision)
	}
	tbl.Keys = tbl.Keys[1:]
	g.Set(tbl)
	if r := check(g, st, "p1"); r.Decision != KeyUnknown {
		t.Fatalf("deleted: %v", r.Decision)
	}
	if _, _, ok := g.Usage(1, 10); ok {
		t.Fatal("the deleted key's counters were kept")
	}
}

func TestFlushAndRestart(t *testing.T) {
	ctx := context.Background()
	c := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	src := newMemSource(fixture(0, PeriodDay, 100))
	g := New(Config{Source: src, Now: c.now, FlushInterval: -1})
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	st := g.Stage("shop", "test")
	for range 7 {
		check(g, st, "p1")
	}
	if _, ok := src.stored(1, 10); ok {
		t.Fatal("a count reached the store before a flush")
	}
	if err := g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := src.stored(1, 10); got.Count != 7 || !got.PeriodStart.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("stored %+v", got)
	}
	saves := src.saves
	if err := g.Flush(ctx); err != nil || src.saves != saves {
		t.Fatalf("a flush without changes wrote (err %v)", err)
	}
	check(g, st, "p1")
	if err := g.Close(ctx); err != nil { // Close flushes
		t.Fatal(err)
	}
	if got, _ := src.stored(1, 10); got.Count != 8 {
		t.Fatalf("stored after close %+v", got)
	}

	// A new guard on the same store continues the count.
	g2 := New(Config{Source: src, Now: c.now, FlushInterval: -1})
	if err := g2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer g2.Close(ctx)
	if used, _, _ := g2.Usage(1, 10); used != 8 {
		t.Fatalf("usage after restart %d", used)
	}

	// A restart on the next day drops yesterday's count.
	c.set(time.Date(2025, 3, 2, 0, 0, 1, 0, time.UTC))
	g3 := New(Config{Source: src, Now: c.now, FlushInterval: -1})
	if err := g3.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer g3.Close(ctx)
	if used, _, _ := g3.Usage(1, 10); used != 0 {
		t.Fatalf("usage the next day %d", used)
	}
}

func TestFlushResetToNoneDeletesTheRow(t *testing.T) {
	ctx := context.Background()
	c := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	src := newMemSource(fixture(0, PeriodDay, 100))
	g := New(Config{Source: src, Now: c.now, FlushInterval: -1})
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer g.Close(ctx)
	check(g, g.Stage("shop", "test"), "p1")
	if err := g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	src.setTable(fixture(0, PeriodNone, 0))
	if err := g.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if err := g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, ok := src.stored(1, 10); ok {
		t.Fatalf("row kept after the plan became NONE: %+v", got)
	}
}

func TestFlushFailureIsRetried(t *testing.T) {
	ctx := context.Background()
	c := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	src := newMemSource(fixture(0, PeriodDay, 100))
	g := New(Config{Source: src, Now: c.now, FlushInterval: -1})
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	check(g, g.Stage("shop", "test"), "p1")
	src.fail = errors.New("disk full")
	if err := g.Flush(ctx); err == nil {
		t.Fatal("no error")
	}
	src.fail = nil
	if err := g.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := src.stored(1, 10); got.Count != 1 {
		t.Fatalf("the failed batch was not written later: %+v", got)
	}
}

func TestPeriodicFlush(t *testing.T) {
	ctx := context.Background()
	c := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	src := newMemSource(fixture(0, PeriodMonth, 100))
	g := New(Config{Source: src, Now: c.now, FlushInterval: 5 * time.Millisecond})
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer g.Close(ctx)
	check(g, g.Stage("shop", "test"), "p1")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, ok := src.stored(1, 10); ok && got.Count == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the flush loop never wrote the count")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHammer checks under -race that concurrent requests never exceed the quota and that Set, Flush and Usage
// can run beside them.
func TestHammer(t *testing.T) {
	ctx := context.Background()
	c := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	src := newMemSource(fixture(0, PeriodDay, 1000))
	g := New(Config{Source: src, Now: c.now, FlushInterval: -1})
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	st := g.Stage("shop", "test")
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			values := []string{"p1", "s1"}
			for range 400 {
				if check(g, st, values[w%2]).Decision == Allowed {
					allowed.Add(1)
				}
			}
		}()
	}
	for range 20 {
		g.Set(fixture(0, PeriodDay, 1000))
		_ = g.Flush(ctx)
		g.Usage(1, 10)
	}
	wg.Wait()
	if allowed.Load() != 1000 {
		t.Fatalf("allowed %d of 3200 with a quota of 1000", allowed.Load())
	}
	if err := g.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := src.stored(1, 10); got.Count != 1000 {
		t.Fatalf("stored %+v", got)
	}
}

func TestBounds(t *testing.T) {
	tests := []struct {
		p          Period
		at         time.Time
		start, end time.Time
	}{
		{PeriodDay, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)},
		{PeriodDay, time.Date(2025, 3, 1, 23, 59, 59, 0, time.FixedZone("KST", 9*3600)), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)},
		{PeriodMonth, time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{PeriodMonth, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		s, e := bounds(tt.p, tt.at.UnixNano())
		if s != tt.start.UnixNano() || e != tt.end.UnixNano() {
			t.Errorf("%v at %v: [%v, %v)", tt.p, tt.at, time.Unix(0, s).UTC(), time.Unix(0, e).UTC())
		}
	}
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]Period{"": PeriodNone, "NONE": PeriodNone, "DAY": PeriodDay, "MONTH": PeriodMonth} {
		p, err := ParsePeriod(in)
		if err != nil || p != want {
			t.Errorf("ParsePeriod(%q) = %v, %v", in, p, err)
		}
		if in != "" && p.String() != in {
			t.Errorf("%v.String() = %q", p, p.String())
		}
	}
	if _, err := ParsePeriod("WEEK"); err == nil {
		t.Fatal("WEEK accepted")
	}
}

func BenchmarkCheckAllowed(b *testing.B) {
	c := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	g := New(Config{Now: c.now})
	tbl := fixture(0, PeriodDay, 1<<60)
	for i := range 1000 { // a realistic table: many keys
		tbl.Keys = append(tbl.Keys, Key{ID: int64(100 + i), Active: true,
			Hashes: [2][32]byte{digest("k" + string(rune(i))), digest("s" + string(rune(i)))}})
	}
	g.Set(tbl)
	st := g.Stage("shop", "test")
	h := digest("p1")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if g.Check(st, &h).Decision != Allowed {
			b.Fatal("refused")
		}
	}
}

func BenchmarkCheckAllowedWithRPS(b *testing.B) {
	g := New(Config{})
	g.Set(fixture(1_000_000, PeriodDay, 1<<60))
	st := g.Stage("shop", "test")
	h := digest("p1")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			g.Check(st, &h)
		}
	})
}
