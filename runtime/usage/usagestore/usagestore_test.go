package usagestore

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/usage"
	"github.com/portico-gateway/portico/storage"
)

type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

func openStore(t *testing.T, path string, c *clock) *storage.Store {
	t.Helper()
	st, err := storage.Open(context.Background(), path, storage.Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// seed creates service shop1 with stage test, plan gold (DAY 10) connected to it, and key partner on gold there.
func seed(t *testing.T, st *storage.Store) storage.KeyValues {
	t.Helper()
	ctx := context.Background()
	var vals storage.KeyValues
	err := st.Update(ctx, func(tx *storage.Tx) error {
		if _, err := tx.CreateService(ctx, storage.Service{ID: "shop1", Name: "shop"}); err != nil {
			return err
		}
		r, err := tx.CreateResource(ctx, "shop1", "/p")
		if err != nil {
			return err
		}
		if _, err := tx.CreateMethod(ctx, "shop1", r.ID, storage.Method{HTTPMethod: "GET",
			Backend: storage.Backend{Type: storage.BackendMock, Status: 200}}); err != nil {
			return err
		}
		if _, err := tx.CreateStage(ctx, storage.Stage{ServiceID: "shop1", Name: "test", BackendURL: "http://b.example"}); err != nil {
			return err
		}
		if _, err := tx.CreateUsagePlan(ctx, storage.UsagePlan{Name: "gold", QuotaPeriod: storage.QuotaDay, QuotaLimit: 10}); err != nil {
			return err
		}
		if _, err := tx.ConnectStage(ctx, "gold", "shop1", "test", 0); err != nil {
			return err
		}
		if _, vals, err = tx.CreateAPIKey(ctx, storage.APIKey{Name: "partner"}, storage.KeyValues{}); err != nil {
			return err
		}
		_, err = tx.ConnectKey(ctx, "gold", "shop1", "test", "partner", 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

func check(g *usage.Guard, value string) usage.Decision {
	h := sha256.Sum256([]byte(value))
	return g.Check(g.Stage("shop1", "test"), &h).Decision
}

// TestUsageSurvivesRestart runs a guard over a real SQLite store, restarts both, and finds the count again.
func TestUsageSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	c := &clock{}
	c.ns.Store(time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC).UnixNano())
	path := filepath.Join(t.TempDir(), "portico.db")
	st := openStore(t, path, c)
	vals := seed(t, st)

	g := usage.New(usage.Config{Source: New(st), Now: c.now, FlushInterval: -1})
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		v := vals.Primary
		if i%2 == 1 {
			v = vals.Secondary
		}
		if d := check(g, v); d != usage.Allowed {
			t.Fatalf("request %d: %v", i, d)
		}
	}
	if err := g.Close(ctx); err != nil { // the final flush
		t.Fatal(err)
	}
	st.Close()

	st = openStore(t, path, c)
	defer st.Close()
	var k storage.APIKey
	_ = st.View(ctx, func(tx *storage.Tx) (err error) { k, err = tx.GetAPIKey(ctx, "partner"); return err })
	if q := k.Connections[0].Quota; q.Used != 7 {
		t.Fatalf("stored usage %+v", q)
	}
	g = usage.New(usage.Config{Source: New(st), Now: c.now, FlushInterval: -1})
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer g.Close(ctx)
	for range 3 {
		if d := check(g, vals.Primary); d != usage.Allowed {
			t.Fatal(d)
		}
	}
	if d := check(g, vals.Primary); d != usage.QuotaExceeded {
		t.Fatalf("the 11th request of the day: %v", d)
	}
	// Midnight UTC: a new day.
	c.ns.Store(time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC).UnixNano())
	if d := check(g, vals.Primary); d != usage.Allowed {
		t.Fatalf("the next day: %v", d)
	}
	if err := g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var rows []storage.QuotaUsage
	_ = st.View(ctx, func(tx *storage.Tx) (err error) { rows, err = tx.LoadQuotaUsage(ctx); return err })
	if len(rows) != 1 || rows[0].Count != 1 || !rows[0].PeriodStart.Equal(c.now()) {
		t.Fatalf("rows %+v", rows)
	}
}

// TestDeletedKeyCountsAreSkipped flushes a count of a key deleted meanwhile: the batch still succeeds.
func TestDeletedKeyCountsAreSkipped(t *testing.T) {
	ctx := context.Background()
	c := &clock{}
	c.ns.Store(time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC).UnixNano())
	st := openStore(t, filepath.Join(t.TempDir(), "portico.db"), c)
	defer st.Close()
	vals := seed(t, st)
	g := usage.New(usage.Config{Source: New(st), Now: c.now, FlushInterval: -1})
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	check(g, vals.Primary)
	if err := st.Update(ctx, func(tx *storage.Tx) error {
		if err := tx.DisconnectKey(ctx, "gold", "shop1", "test", "partner", 0); err != nil {
			return err
		}
		return tx.DeleteAPIKey(ctx, "partner", 0)
	}); err != nil {
		t.Fatal(err)
	}
	if err := g.Flush(ctx); err != nil { // before the guard heard of the deletion
		t.Fatalf("flush: %v", err)
	}
	if err := g.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if d := check(g, vals.Primary); d != usage.KeyUnknown {
		t.Fatalf("deleted key: %v", d)
	}
	if err := g.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestConvertRefusesMalformedDigests(t *testing.T) {
	_, err := Convert(storage.KeyTable{Keys: []storage.TableKey{{ID: 1, PrimaryHash: "zz", SecondaryHash: "00"}}})
	if err == nil || !strings.Contains(err.Error(), "API key 1") {
		t.Fatalf("error %v", err)
	}
	_, err = Convert(storage.KeyTable{
		Keys:   []storage.TableKey{{ID: 1, PrimaryHash: storage.HashAPIKey("a"), SecondaryHash: storage.HashAPIKey("b")}},
		Grants: []storage.KeyGrant{{KeyID: 1, PlanName: "p", QuotaPeriod: "WEEK"}},
	})
	if err == nil {
		t.Fatal("an unknown period was accepted")
	}
}
