// Package usagestore connects a usage.Guard to the control-plane store: it reads the key table and loads and saves
// quota counters through storage, converting between the two packages' types. Only the node imports it; the
// usage package and the plugins built on it stay free of storage, as the data plane must.
package usagestore

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/portico-gateway/portico/runtime/usage"
	"github.com/portico-gateway/portico/storage"
)

// Source is a usage.Source over a store.
type Source struct {
	Store *storage.Store
}

// New returns a Source reading and writing st.
func New(st *storage.Store) *Source { return &Source{Store: st} }

var _ usage.Source = (*Source)(nil)

// KeyTable reads the key table in one read transaction.
func (s *Source) KeyTable(ctx context.Context) (usage.Table, error) {
	var kt storage.KeyTable
	if err := s.Store.View(ctx, func(tx *storage.Tx) (err error) {
		kt, err = tx.KeyTable(ctx)
		return err
	}); err != nil {
		return usage.Table{}, err
	}
	return Convert(kt)
}

// LoadCounts reads every stored quota counter.
func (s *Source) LoadCounts(ctx context.Context) ([]usage.Count, error) {
	var rows []storage.QuotaUsage
	if err := s.Store.View(ctx, func(tx *storage.Tx) (err error) {
		rows, err = tx.LoadQuotaUsage(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	out := make([]usage.Count, len(rows))
	for i, r := range rows {
		out[i] = usage.Count{KeyID: r.KeyID, StageID: r.StageID, PeriodStart: r.PeriodStart, Count: r.Count}
	}
	return out, nil
}

// SaveCounts writes a batch of counters in one write transaction.
func (s *Source) SaveCounts(ctx context.Context, batch []usage.Count) error {
	rows := make([]storage.QuotaUsage, len(batch))
	for i, c := range batch {
		rows[i] = storage.QuotaUsage{KeyID: c.KeyID, StageID: c.StageID, PeriodStart: c.PeriodStart, Count: c.Count}
	}
	return s.Store.Update(ctx, func(tx *storage.Tx) error { return tx.SaveQuotaUsage(ctx, rows) })
}

// Convert turns the store's key table into the guard's.
func Convert(kt storage.KeyTable) (usage.Table, error) {
	byID := make(map[int64]int, len(kt.Keys))
	t := usage.Table{Keys: make([]usage.Key, len(kt.Keys))}
	for i, k := range kt.Keys {
		byID[k.ID] = i
		out := usage.Key{ID: k.ID, Active: k.Status == storage.KeyActive}
		for j, h := range []string{k.PrimaryHash, k.SecondaryHash} {
			b, err := hex.DecodeString(h)
			if err != nil || len(b) != 32 {
				return usage.Table{}, fmt.Errorf("usagestore: API key %d has a malformed stored digest", k.ID)
			}
			copy(out.Hashes[j][:], b)
		}
		t.Keys[i] = out
	}
	for _, g := range kt.Grants {
		i, ok := byID[g.KeyID]
		if !ok {
			continue
		}
		p, err := usage.ParsePeriod(g.QuotaPeriod)
		if err != nil {
			return usage.Table{}, fmt.Errorf("usagestore: usage plan %s: %w", g.PlanName, err)
		}
		t.Keys[i].Grants = append(t.Keys[i].Grants, usage.Grant{ServiceID: g.ServiceID, Stage: g.StageName,
			StageID: g.StageID, PlanID: g.PlanID, RPS: g.RPS, Period: p, Limit: g.QuotaLimit})
	}
	return t, nil
}
