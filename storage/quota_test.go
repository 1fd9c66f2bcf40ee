package storage

import (
	"context"
	"testing"
	"time"
)

func TestSaveAndLoadQuotaUsage(t *testing.T) {
	f := newPlanFixture(t)
	ctx := context.Background()
	dev, prod := stageID(t, f, "dev"), stageID(t, f, "prod")
	day := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	save := func(batch ...QuotaUsage) {
		t.Helper()
		noErr(t, f.s.Update(ctx, func(tx *Tx) error { return tx.SaveQuotaUsage(ctx, batch) }))
	}
	save(QuotaUsage{KeyID: f.alpha.ID, StageID: dev, PeriodStart: day, Count: 5},
		QuotaUsage{KeyID: f.beta.ID, StageID: prod, PeriodStart: day, Count: 9},
		QuotaUsage{KeyID: 9999, StageID: dev, PeriodStart: day, Count: 1},        // a deleted key: skipped
		QuotaUsage{KeyID: f.alpha.ID, StageID: 9999, PeriodStart: day, Count: 1}) // a deleted stage: skipped
	save(QuotaUsage{KeyID: f.alpha.ID, StageID: dev, PeriodStart: day, Count: 6}) // upsert
	got := get(t, f.s, func(ctx context.Context, tx *Tx) ([]QuotaUsage, error) { return tx.LoadQuotaUsage(ctx) })
	want := []QuotaUsage{
		{KeyID: f.alpha.ID, StageID: dev, PeriodStart: day, Count: 6},
		{KeyID: f.beta.ID, StageID: prod, PeriodStart: day, Count: 9},
	}
	equal(t, got, want, "loaded usage")
	save(QuotaUsage{KeyID: f.beta.ID, StageID: prod}) // zero period start: deleted
	got = get(t, f.s, func(ctx context.Context, tx *Tx) ([]QuotaUsage, error) { return tx.LoadQuotaUsage(ctx) })
	equal(t, len(got), 1, "rows after a delete")

	// Reads show the count of the current period only.
	k := get(t, f.s, func(ctx context.Context, tx *Tx) (APIKey, error) { return tx.GetAPIKey(ctx, "alpha") })
	if q := k.Connections[0].Quota; q.Used != 6 || q.Limit != 100 || q.PeriodStart == nil || !q.PeriodStart.Equal(day) {
		t.Fatalf("today: %+v", q)
	}
	f.clock.t = time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC)
	k = get(t, f.s, func(ctx context.Context, tx *Tx) (APIKey, error) { return tx.GetAPIKey(ctx, "alpha") })
	if q := k.Connections[0].Quota; q.Used != 0 || !q.PeriodStart.Equal(f.clock.t) {
		t.Fatalf("the next day: %+v", q)
	}
	ps := get(t, f.s, func(ctx context.Context, tx *Tx) (PlanStage, error) { return tx.PlanStage(ctx, "gold", "shop1", "dev") })
	if ps.APIKeys[0].Quota.Used != 0 {
		t.Fatalf("plan stage key usage the next day: %+v", ps.APIKeys[0].Quota)
	}
}

func TestKeyTable(t *testing.T) {
	f := newPlanFixture(t)
	tbl := get(t, f.s, func(ctx context.Context, tx *Tx) (KeyTable, error) { return tx.KeyTable(ctx) })
	if len(tbl.Keys) != 3 {
		t.Fatalf("keys %+v", tbl.Keys)
	}
	alpha := tbl.Keys[0]
	if alpha.ID != f.alpha.ID || alpha.Status != KeyActive || alpha.PrimaryHash != HashAPIKey(f.alphaVal.Primary) ||
		alpha.SecondaryHash != HashAPIKey(f.alphaVal.Secondary) {
		t.Fatalf("alpha %+v", alpha)
	}
	if tbl.Keys[1].Status != KeyInactive || tbl.Keys[1].PrimaryHash != HashAPIKey("beta-primary-value-0001") {
		t.Fatalf("beta %+v", tbl.Keys[1])
	}
	want := []KeyGrant{
		{KeyID: f.alpha.ID, StageID: stageID(t, f, "dev"), ServiceID: "shop1", StageName: "dev", PlanID: f.gold.ID,
			PlanName: "gold", RPS: 10, QuotaPeriod: QuotaDay, QuotaLimit: 100},
		{KeyID: f.beta.ID, StageID: stageID(t, f, "prod"), ServiceID: "shop1", StageName: "prod", PlanID: f.gold.ID,
			PlanName: "gold", RPS: 10, QuotaPeriod: QuotaDay, QuotaLimit: 100},
	}
	equal(t, tbl.Grants, want, "grants")
}

func TestQuotaPeriodStart(t *testing.T) {
	kst := time.FixedZone("KST", 9*3600)
	at := time.Date(2025, 3, 1, 8, 0, 0, 0, kst) // 2025-02-28 23:00 UTC
	equal(t, QuotaPeriodStart(QuotaDay, at), time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC), "day start")
	equal(t, QuotaPeriodStart(QuotaMonth, at), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), "month start")
	equal(t, QuotaPeriodStart(QuotaNone, at), time.Time{}, "none")
}
