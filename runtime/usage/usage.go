// Package usage enforces API keys and usage plans in the data plane: which key may call which stage, at what rate
// (RPS token buckets, golang.org/x/time/rate) and within what quota (requests per day or month, reset at 00:00 UTC
// daily or on the 1st). It never touches the store on the request path: the control plane hands it an immutable
// key table (Set, or Reload through a Source) that is swapped atomically, so plan edits apply without a deploy;
// quota counters live in memory, are flushed in batches every FlushInterval and on Close, and are loaded again at
// start so that usage survives a restart.
//
// The hot path (Check) is an atomic pointer load, one map lookup by key digest, a short scan of the key's stages,
// a token bucket and an atomic compare-and-swap: no locks shared between keys and no allocations.
package usage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ServiceKey is the key under which the deploy compiler puts the *Guard in abi.BuildContext.Services.
const ServiceKey = "usage"

// DefaultFlushInterval is how often quota counters are written to the store.
const DefaultFlushInterval = 10 * time.Second

// Count is the quota count of one (key, stage) in the period that starts at PeriodStart; a zero PeriodStart means
// the plan has no quota (the stored row, if any, is deleted).
type Count struct {
	KeyID       int64
	StageID     int64
	PeriodStart time.Time
	Count       int64
}

// Source is where a Guard reads its key table and keeps its counters: the control-plane store, through an adapter
// (runtime/usage/usagestore), so that this package and the plugins using it stay free of storage.
type Source interface {
	KeyTable(ctx context.Context) (Table, error)
	LoadCounts(ctx context.Context) ([]Count, error)
	SaveCounts(ctx context.Context, batch []Count) error
}

// Config configures a Guard.
type Config struct {
	// Source is read by Start and Reload and written by Flush. Nil: Set alone feeds the guard and nothing persists.
	Source Source
	// FlushInterval is how often counters are flushed (default 10 s; negative: only by Flush and Close).
	FlushInterval time.Duration
	// Now is the clock (default time.Now); tests inject one to cross day and month boundaries.
	Now    func() time.Time
	Logger *slog.Logger
}

// Guard is the in-memory state of API keys and usage plans. It is safe for concurrent use.
type Guard struct {
	cfg   Config
	now   func() time.Time
	log   *slog.Logger
	table atomic.Pointer[table]

	reloadMu sync.Mutex // serialises Reload, so the last one to finish read the store last
	mu       sync.Mutex // guards stages and slots; never taken by Check
	stages   map[stageKey]*Stage
	slots    map[slotKey]*slot

	flushMu sync.Mutex // serialises flushes
	stop    chan struct{}
	done    chan struct{}
	closed  bool
}

// New returns a Guard with an empty key table (every key is unknown until Set or Start).
func New(cfg Config) *Guard {
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	g := &Guard{cfg: cfg, now: cfg.Now, log: cfg.Logger, stages: map[stageKey]*Stage{}, slots: map[slotKey]*slot{}}
	g.table.Store(&table{})
	return g
}

// Start loads the stored counters, then the key table, and starts the periodic flush. Call it once, before the
// gateway serves; Close stops it.
func (g *Guard) Start(ctx context.Context) error {
	if g.cfg.Source != nil {
		counts, err := g.cfg.Source.LoadCounts(ctx)
		if err != nil {
			return fmt.Errorf("usage: load quota counters: %w", err)
		}
		g.load(counts)
		if err := g.Reload(ctx); err != nil {
			return err
		}
	}
	if g.cfg.Source != nil && g.cfg.FlushInterval > 0 {
		g.stop, g.done = make(chan struct{}), make(chan struct{})
		go g.flushLoop(g.cfg.FlushInterval)
	}
	return nil
}

// Reload reads the key table from the Source and serves it (the admin API calls it after every committed change
// of keys, plans or their connections).
func (g *Guard) Reload(ctx context.Context) error {
	if g.cfg.Source == nil {
		return errors.New("usage: no source to reload from")
	}
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	t, err := g.cfg.Source.KeyTable(ctx)
	if err != nil {
		return fmt.Errorf("usage: read key table: %w", err)
	}
	g.Set(t)
	return nil
}

// load restores stored counters; Set binds them to their plans' periods (a count of a past period is dropped).
func (g *Guard) load(counts []Count) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range counts {
		s := g.slotLocked(slotKey{c.KeyID, c.StageID})
		s.mu.Lock()
		if !c.PeriodStart.IsZero() {
			s.start = c.PeriodStart.UnixNano()
			s.count.Store(c.Count)
			s.flushedStart, s.flushedCount = s.start, c.Count
		}
		s.mu.Unlock()
	}
}

func (g *Guard) flushLoop(every time.Duration) {
	defer close(g.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), every)
			if err := g.Flush(ctx); err != nil {
				g.log.Warn("usage: flushing quota counters failed; retrying at the next interval", "error", err)
			}
			cancel()
		}
	}
}

// Flush writes the counters that changed since the last flush to the Source, in one batch.
func (g *Guard) Flush(ctx context.Context) error {
	if g.cfg.Source == nil {
		return nil
	}
	g.flushMu.Lock()
	defer g.flushMu.Unlock()
	type pending struct {
		s            *slot
		start, count int64
	}
	var todo []pending
	var batch []Count
	g.mu.Lock()
	for k, s := range g.slots {
		s.mu.Lock()
		start, count := s.start, s.count.Load()
		s.mu.Unlock()
		if start == s.flushedStart && count == s.flushedCount {
			continue
		}
		todo = append(todo, pending{s, start, count})
		c := Count{KeyID: k.key, StageID: k.stage, Count: count}
		if start != 0 {
			c.PeriodStart = time.Unix(0, start).UTC()
		}
		batch = append(batch, c)
	}
	g.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := g.cfg.Source.SaveCounts(ctx, batch); err != nil {
		return fmt.Errorf("usage: save %d quota counters: %w", len(batch), err)
	}
	g.mu.Lock()
	for _, p := range todo {
		p.s.flushedStart, p.s.flushedCount = p.start, p.count
	}
	g.mu.Unlock()
	return nil
}

// Close stops the periodic flush and flushes once more. Check keeps working (it needs no resources).
func (g *Guard) Close(ctx context.Context) error {
	g.mu.Lock()
	closed := g.closed
	g.closed = true
	g.mu.Unlock()
	if closed {
		return nil
	}
	if g.stop != nil {
		close(g.stop)
		<-g.done
	}
	return g.Flush(ctx)
}

// Usage reports the live quota count of a key on a stage (by their store IDs) in the current period, and the
// period's start (zero for a plan without quota). ok is false when the guard has never seen the pair.
func (g *Guard) Usage(keyID, stageID int64) (used int64, periodStart time.Time, ok bool) {
	g.mu.Lock()
	s := g.slots[slotKey{keyID, stageID}]
	g.mu.Unlock()
	if s == nil {
		return 0, time.Time{}, false
	}
	now := g.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.period == periodUnbound || s.period == PeriodNone {
		return 0, time.Time{}, true
	}
	if now >= s.end.Load() {
		start, _ := bounds(s.period, now)
		return 0, time.Unix(0, start).UTC(), true
	}
	return s.count.Load(), time.Unix(0, s.start).UTC(), true
}
