package usage

import (
	"golang.org/x/time/rate"
)

// Table is the key table as the control plane hands it over: every API key with its value digests and status,
// and the stages each may call with the limits of its plan there.
type Table struct {
	Keys []Key
}

// Key is one API key.
type Key struct {
	ID     int64
	Active bool
	// Hashes are the SHA-256 digests of the primary and secondary values (a zero digest is skipped).
	Hashes [2][32]byte
	Grants []Grant
}

// Grant lets a key call one stage within its plan's limits.
type Grant struct {
	ServiceID string
	Stage     string // "" is the default stage
	StageID   int64  // the store's ID: counters are kept per (key ID, stage ID)
	PlanID    int64
	RPS       int // requests per second; 0: no limit
	Period    Period
	Limit     int64 // requests per period (Period != PeriodNone)
}

// Stage identifies a stage for Check. Get it once per compiled plugin with Guard.Stage: handles are interned, so
// Check compares pointers.
type Stage struct {
	serviceID, name string
}

// ServiceID and Name say which stage the handle stands for.
func (s *Stage) ServiceID() string { return s.serviceID }
func (s *Stage) Name() string      { return s.name }

type stageKey struct{ service, name string }

// Stage returns the handle of a stage ("" is the default stage). The same stage always gets the same handle.
func (g *Guard) Stage(serviceID, name string) *Stage {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stageLocked(serviceID, name)
}

func (g *Guard) stageLocked(serviceID, name string) *Stage {
	k := stageKey{serviceID, name}
	st := g.stages[k]
	if st == nil {
		st = &Stage{serviceID: serviceID, name: name}
		g.stages[k] = st
	}
	return st
}

// table is the compiled, immutable key table Check reads.
type table struct {
	byHash map[[32]byte]*key
}

type key struct {
	id     int64
	active bool
	hashes [2][32]byte
	grants []grant
}

type grant struct {
	stage  *Stage
	lim    *rate.Limiter // nil: no RPS limit
	rps    int
	period Period
	limit  int64
	slot   *slot
}

// Set compiles t and serves it from now on; requests already in Check finish with the previous table. Counters
// are kept per (key, stage) across tables: a plan edit or a key moved to another plan keeps the key's usage (reset
// only when the quota period becomes NONE). Counters of keys no longer in t are dropped.
func (g *Guard) Set(t Table) {
	g.mu.Lock()
	defer g.mu.Unlock()
	nowT := g.now()
	now := nowT.UnixNano()
	nt := &table{byHash: make(map[[32]byte]*key, 2*len(t.Keys))}
	keys := make(map[int64]bool, len(t.Keys))
	var zero [32]byte
	for _, in := range t.Keys {
		keys[in.ID] = true
		k := &key{id: in.ID, active: in.Active, hashes: in.Hashes, grants: make([]grant, 0, len(in.Grants))}
		for _, gr := range in.Grants {
			s := g.slotLocked(slotKey{in.ID, gr.StageID})
			s.bind(gr.Period, now)
			k.grants = append(k.grants, grant{stage: g.stageLocked(gr.ServiceID, gr.Stage), lim: s.tune(gr.RPS, nowT),
				rps: gr.RPS, period: gr.Period, limit: gr.Limit, slot: s})
		}
		for _, h := range in.Hashes {
			if h != zero {
				nt.byHash[h] = k
			}
		}
	}
	for sk := range g.slots {
		if !keys[sk.key] {
			delete(g.slots, sk) // a deleted key: the store dropped its rows with it
		}
	}
	g.table.Store(nt)
}
