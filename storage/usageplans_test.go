package storage

import (
	"context"
	"testing"
	"time"
)

func TestPlanConnectionsLifecycle(t *testing.T) {
	f := newPlanFixture(t)
	ctx := context.Background()
	gold := f.gold
	if len(gold.Stages) != 2 || gold.Stages[0].StageName != "dev" || len(gold.Stages[0].APIKeys) != 1 ||
		gold.Stages[0].APIKeys[0].Name != "alpha" || gold.Stages[1].StageName != "prod" {
		t.Fatalf("gold: %+v", gold.Stages)
	}
	// Connect the default stage and the idle key there; versions count connection changes.
	ps := do(t, f.s, func(ctx context.Context, tx *Tx) (PlanStage, error) {
		return tx.ConnectStage(ctx, "gold", "shop1", "default", gold.Version)
	})
	if ps.StageName != "" || len(ps.APIKeys) != 0 {
		t.Fatalf("connected %+v", ps)
	}
	ps = do(t, f.s, func(ctx context.Context, tx *Tx) (PlanStage, error) {
		return tx.ConnectKey(ctx, "gold", "shop1", "", "idle", gold.Version+1)
	})
	if len(ps.APIKeys) != 1 || ps.APIKeys[0].Name != "idle" || ps.APIKeys[0].Quota.Limit != 100 {
		t.Fatalf("after connecting idle: %+v", ps)
	}
	// Move alpha from gold to silver on dev, then back.
	ps = do(t, f.s, func(ctx context.Context, tx *Tx) (PlanStage, error) {
		return tx.MoveKey(ctx, "gold", "shop1", "dev", "alpha", "silver", 0)
	})
	if len(ps.APIKeys) != 1 || ps.APIKeys[0].Name != "alpha" || ps.APIKeys[0].Quota.Period != QuotaMonth {
		t.Fatalf("silver on dev after the move: %+v", ps)
	}
	k := get(t, f.s, func(ctx context.Context, tx *Tx) (APIKey, error) { return tx.GetAPIKey(ctx, "alpha") })
	if len(k.Connections) != 1 || k.Connections[0].PlanName != "silver" {
		t.Fatalf("alpha's connections: %+v", k.Connections)
	}
	// Undo everything: disconnect keys, then stages, then delete plans and keys.
	noErr(t, f.s.Update(ctx, func(tx *Tx) error {
		for _, c := range []struct{ plan, stage, key string }{{"silver", "dev", "alpha"}, {"gold", "prod", "beta"}, {"gold", "", "idle"}} {
			if err := tx.DisconnectKey(ctx, c.plan, "shop1", c.stage, c.key, 0); err != nil {
				return err
			}
		}
		for _, c := range []struct{ plan, stage string }{{"gold", "dev"}, {"gold", "prod"}, {"gold", ""}, {"silver", "dev"}} {
			if err := tx.DisconnectStage(ctx, c.plan, "shop1", c.stage, 0); err != nil {
				return err
			}
		}
		for _, p := range []string{"gold", "silver", "free"} {
			if err := tx.DeleteUsagePlan(ctx, p, 0); err != nil {
				return err
			}
		}
		for _, k := range []string{"alpha", "beta", "idle"} {
			if err := tx.DeleteAPIKey(ctx, k, 0); err != nil {
				return err
			}
		}
		return tx.DeleteService(ctx, "shop1", 0)
	}))
	plans := get(t, f.s, func(ctx context.Context, tx *Tx) ([]UsagePlan, error) { return tx.ListUsagePlans(ctx) })
	keys := get(t, f.s, func(ctx context.Context, tx *Tx) ([]APIKey, error) { return tx.ListAPIKeys(ctx) })
	if len(plans) != 0 || len(keys) != 0 {
		t.Fatalf("left: %d plans, %d keys", len(plans), len(keys))
	}
}

func TestUpdateUsagePlan(t *testing.T) {
	f := newPlanFixture(t)
	p := f.gold
	same := do(t, f.s, func(ctx context.Context, tx *Tx) (UsagePlan, error) { return tx.UpdateUsagePlan(ctx, p, p.Version) })
	equal(t, same.Version, p.Version, "version after a no-op update")
	p.RPS, p.QuotaPeriod, p.QuotaLimit, p.Description = 0, "month", 5000, "monthly now"
	got := do(t, f.s, func(ctx context.Context, tx *Tx) (UsagePlan, error) { return tx.UpdateUsagePlan(ctx, p, p.Version) })
	if got.RPS != 0 || got.QuotaPeriod != QuotaMonth || got.QuotaLimit != 5000 || got.Version != p.Version+1 {
		t.Fatalf("updated %+v", got)
	}
	lists := get(t, f.s, func(ctx context.Context, tx *Tx) ([]UsagePlan, error) { return tx.ListUsagePlans(ctx) })
	if len(lists) != 3 || lists[0].Name != "free" || lists[1].Name != "gold" || len(lists[1].Stages) != 2 {
		t.Fatalf("list %+v", lists)
	}
}

// usageRow reads the stored quota row of a key on the stage dev.
func usageRow(t *testing.T, f *planFixture, key string) (QuotaUsage, bool) {
	t.Helper()
	rows := get(t, f.s, func(ctx context.Context, tx *Tx) ([]QuotaUsage, error) { return tx.LoadQuotaUsage(ctx) })
	k := get(t, f.s, func(ctx context.Context, tx *Tx) (APIKey, error) { return tx.apiKeyRow(ctx, key) })
	for _, r := range rows {
		if r.KeyID == k.ID {
			return r, true
		}
	}
	return QuotaUsage{}, false
}

func stageID(t *testing.T, f *planFixture, name string) int64 {
	t.Helper()
	return get(t, f.s, func(ctx context.Context, tx *Tx) (Stage, error) { return tx.GetStage(ctx, "shop1", name) }).ID
}

// TestQuotaRulesOnPlanChanges follows the seed: a key moved to a DAY or MONTH plan (or a plan whose period changes
// between them) keeps its usage; NONE resets it.
func TestQuotaRulesOnPlanChanges(t *testing.T) {
	today := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	month := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		change    func(ctx context.Context, tx *Tx, f *planFixture) error
		wantKept  bool
		wantStart time.Time
	}{
		{"move to a MONTH plan keeps", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.MoveKey(ctx, "gold", "shop1", "dev", "alpha", "silver", 0)
			return err
		}, true, month},
		{"plan period DAY to MONTH keeps", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.UpdateUsagePlan(ctx, UsagePlan{ID: f.gold.ID, Name: "gold", QuotaPeriod: QuotaMonth, QuotaLimit: 10}, 0)
			return err
		}, true, month},
		{"plan limit lowered keeps", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.UpdateUsagePlan(ctx, UsagePlan{ID: f.gold.ID, Name: "gold", QuotaPeriod: QuotaDay, QuotaLimit: 1}, 0)
			return err
		}, true, today},
		{"plan period to NONE resets", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.UpdateUsagePlan(ctx, UsagePlan{ID: f.gold.ID, Name: "gold"}, 0)
			return err
		}, false, time.Time{}},
		{"move to a NONE plan resets", func(ctx context.Context, tx *Tx, f *planFixture) error {
			if _, err := tx.ConnectStage(ctx, "free", "shop1", "dev", 0); err != nil {
				return err
			}
			_, err := tx.MoveKey(ctx, "gold", "shop1", "dev", "alpha", "free", 0)
			return err
		}, false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPlanFixture(t)
			ctx := context.Background()
			dev := stageID(t, f, "dev")
			noErr(t, f.s.Update(ctx, func(tx *Tx) error {
				return tx.SaveQuotaUsage(ctx, []QuotaUsage{{KeyID: f.alpha.ID, StageID: dev, PeriodStart: today, Count: 42}})
			}))
			noErr(t, f.s.Update(ctx, func(tx *Tx) error { return tt.change(ctx, tx, f) }))
			row, ok := usageRow(t, f, "alpha")
			if ok != tt.wantKept {
				t.Fatalf("row kept=%v: %+v", ok, row)
			}
			if ok && (row.Count != 42 || !row.PeriodStart.Equal(tt.wantStart)) {
				t.Fatalf("row %+v, want 42 since %v", row, tt.wantStart)
			}
			k := get(t, f.s, func(ctx context.Context, tx *Tx) (APIKey, error) { return tx.GetAPIKey(ctx, "alpha") })
			want := int64(0)
			if tt.wantKept {
				want = 42
			}
			if k.Connections[0].Quota.Used != want {
				t.Fatalf("shown usage %+v, want %d", k.Connections[0].Quota, want)
			}
		})
	}
}
