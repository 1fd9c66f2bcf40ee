package storage

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"
)

// planFixture is a store with a service (shop1) whose stages "" , "dev" and "prod" exist; plans gold (DAY 100,
// 10 rps), silver (MONTH 1000) and free (NONE); gold and silver are connected to dev, gold also to prod; keys
// alpha (on gold/dev), beta (on gold/prod) and idle (no connections).
type planFixture struct {
	s        *Store
	clock    *testClock
	alpha    APIKey
	alphaVal KeyValues
	beta     APIKey
	gold     UsagePlan
}

// testClock is a settable clock for the store.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func newPlanFixture(t *testing.T) *planFixture {
	t.Helper()
	clk := &testClock{t: time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)}
	s := openTest(t, Options{Plugins: fakePlugins{}, Now: clk.now})
	f := &planFixture{s: s, clock: clk}
	update(t, s, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.CreateService(ctx, Service{ID: "shop1", Name: "shop"}); err != nil {
			return err
		}
		r, err := tx.CreateResource(ctx, "shop1", "/items")
		if err != nil {
			return err
		}
		if _, err := tx.CreateMethod(ctx, "shop1", r.ID, Method{HTTPMethod: "GET", Backend: httpBackend("/")}); err != nil {
			return err
		}
		for _, name := range []string{"", "dev", "prod"} {
			if _, err := tx.CreateStage(ctx, Stage{ServiceID: "shop1", Name: name, BackendURL: "http://b.example.com"}); err != nil {
				return err
			}
		}
		if f.gold, err = tx.CreateUsagePlan(ctx, UsagePlan{Name: "gold", RPS: 10, QuotaPeriod: QuotaDay, QuotaLimit: 100}); err != nil {
			return err
		}
		if _, err := tx.CreateUsagePlan(ctx, UsagePlan{Name: "silver", QuotaPeriod: "month", QuotaLimit: 1000}); err != nil {
			return err
		}
		if _, err := tx.CreateUsagePlan(ctx, UsagePlan{Name: "free"}); err != nil {
			return err
		}
		for _, c := range []struct{ plan, stage string }{{"gold", "dev"}, {"silver", "dev"}, {"gold", "prod"}} {
			if _, err := tx.ConnectStage(ctx, c.plan, "shop1", c.stage, 0); err != nil {
				return err
			}
		}
		if f.alpha, f.alphaVal, err = tx.CreateAPIKey(ctx, APIKey{Name: "alpha"}, KeyValues{}); err != nil {
			return err
		}
		if f.beta, _, err = tx.CreateAPIKey(ctx, APIKey{Name: "beta", Status: KeyInactive}, KeyValues{
			Primary: "beta-primary-value-0001", Secondary: "beta-secondary-value-01"}); err != nil {
			return err
		}
		if _, _, err = tx.CreateAPIKey(ctx, APIKey{Name: "idle"}, KeyValues{}); err != nil {
			return err
		}
		if _, err := tx.ConnectKey(ctx, "gold", "shop1", "dev", "alpha", 0); err != nil {
			return err
		}
		if _, err := tx.ConnectKey(ctx, "gold", "shop1", "prod", "beta", 0); err != nil {
			return err
		}
		f.gold, err = tx.GetUsagePlan(ctx, "gold")
		return err
	})
	return f
}

func TestCreateAPIKeyGeneratesValuesShownOnce(t *testing.T) {
	f := newPlanFixture(t)
	k, vals := f.alpha, f.alphaVal
	if k.ID == 0 || k.Status != KeyActive || k.Version != 1 {
		t.Fatalf("created %+v", k)
	}
	for _, v := range []string{vals.Primary, vals.Secondary} {
		if len(v) != 32 || strings.ContainsAny(v, "+/=") {
			t.Fatalf("generated value %q: want 32 URL-safe characters", v)
		}
	}
	if vals.Primary == vals.Secondary {
		t.Fatal("primary and secondary values are equal")
	}
	// Given values are not echoed back.
	_, gen, err := createKey(f, APIKey{Name: "given"}, KeyValues{Primary: "a-given-value-0000001"})
	noErr(t, err)
	if gen.Primary != "" || len(gen.Secondary) != 32 {
		t.Fatalf("returned values: primary %q (given: want empty), secondary %d chars", gen.Primary, len(gen.Secondary))
	}
	// Reads never carry a value.
	got := get(t, f.s, func(ctx context.Context, tx *Tx) (APIKey, error) { return tx.GetAPIKey(ctx, "alpha") })
	if s := fmt.Sprintf("%+v", got); strings.Contains(s, vals.Primary) || strings.Contains(s, vals.Secondary) {
		t.Fatalf("a read holds a value: %s", s)
	}
}

func createKey(f *planFixture, k APIKey, vals KeyValues) (APIKey, KeyValues, error) {
	ctx := context.Background()
	var out APIKey
	var gen KeyValues
	err := f.s.Update(ctx, func(tx *Tx) (err error) {
		out, gen, err = tx.CreateAPIKey(ctx, k, vals)
		return err
	})
	return out, gen, err
}

// TestKeyValuesOnlyAsHashes reads every table of the database and finds the values' digests but never the values.
func TestKeyValuesOnlyAsHashes(t *testing.T) {
	f := newPlanFixture(t)
	var regenerated string
	update(t, f.s, func(ctx context.Context, tx *Tx) (err error) {
		_, regenerated, err = tx.RegenerateAPIKey(ctx, "alpha", KeySecondary, 0)
		return err
	})
	dump := digest(t, f.s)
	values := []string{f.alphaVal.Primary, regenerated, "beta-primary-value-0001", "beta-secondary-value-01"}
	for _, v := range values {
		if strings.Contains(dump, v) {
			t.Fatalf("the database holds the plain value %q", v)
		}
		if !strings.Contains(dump, HashAPIKey(v)) {
			t.Fatalf("the database lacks the digest of %q", v)
		}
	}
	if strings.Contains(dump, HashAPIKey(f.alphaVal.Secondary)) {
		t.Fatal("the replaced secondary value's digest is still stored")
	}
}

func TestKeyValuesAreRedacted(t *testing.T) {
	v := KeyValues{Primary: "secret-primary-0000000", Secondary: "secret-secondary-000000"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("created", "values", v)
	for _, s := range []string{fmt.Sprint(v), fmt.Sprintf("%v %+v %#v %s", v, v, v, v), logs.String()} {
		if strings.Contains(s, "secret") {
			t.Fatalf("a value leaked: %s", s)
		}
	}
}

func TestAPIKeyUpdateRegenerateDelete(t *testing.T) {
	f := newPlanFixture(t)
	ctx := context.Background()
	k := f.alpha
	byID := get(t, f.s, func(ctx context.Context, tx *Tx) (APIKey, error) {
		return tx.GetAPIKey(ctx, strconv.FormatInt(k.ID, 10))
	})
	if byID.Name != "alpha" || len(byID.Connections) != 1 || byID.Connections[0].PlanName != "gold" ||
		byID.Connections[0].StageName != "dev" || byID.Connections[0].Quota.Period != QuotaDay {
		t.Fatalf("by ID: %+v", byID)
	}
	// Unchanged update writes nothing.
	same := do(t, f.s, func(ctx context.Context, tx *Tx) (APIKey, error) {
		return tx.UpdateAPIKey(ctx, APIKey{ID: k.ID, Name: "alpha", Status: KeyActive}, k.Version)
	})
	equal(t, same.Version, k.Version, "version after a no-op update")
	upd := do(t, f.s, func(ctx context.Context, tx *Tx) (APIKey, error) {
		return tx.UpdateAPIKey(ctx, APIKey{ID: k.ID, Name: "alpha2", Description: "renamed", Status: KeyInactive}, k.Version)
	})
	if upd.Name != "alpha2" || upd.Status != KeyInactive || upd.Version != k.Version+1 {
		t.Fatalf("updated %+v", upd)
	}
	var v1, v2 string
	update(t, f.s, func(ctx context.Context, tx *Tx) (err error) {
		_, v1, err = tx.RegenerateAPIKey(ctx, "alpha2", KeyPrimary, upd.Version)
		if err != nil {
			return err
		}
		_, v2, err = tx.RegenerateAPIKey(ctx, "alpha2", KeyPrimary, 0)
		return err
	})
	if v1 == "" || v1 == v2 || v1 == f.alphaVal.Primary {
		t.Fatal("regenerate did not make a new value")
	}
	tbl := get(t, f.s, func(ctx context.Context, tx *Tx) (KeyTable, error) { return tx.KeyTable(ctx) })
	for _, tk := range tbl.Keys {
		if tk.ID == k.ID && (tk.PrimaryHash != HashAPIKey(v2) || tk.SecondaryHash != HashAPIKey(f.alphaVal.Secondary)) {
			t.Fatal("the key table does not hold the regenerated value's digest")
		}
	}
	// Declarative values: set once (changed), again (unchanged).
	for i, want := range []bool{true, false} {
		_, changed := do2(t, f.s, func(ctx context.Context, tx *Tx) (APIKey, bool, error) {
			return tx.SetAPIKeyValue(ctx, "idle", KeySecondary, "declared-value-000000001")
		})
		if changed != want {
			t.Fatalf("set #%d changed=%v", i, changed)
		}
	}
	noErr(t, f.s.Update(ctx, func(tx *Tx) error { return tx.DeleteAPIKey(ctx, "idle", 0) }))
	n := get(t, f.s, func(ctx context.Context, tx *Tx) (int, error) { return tx.count(ctx, `SELECT COUNT(*) FROM api_keys`) })
	equal(t, n, 2, "keys left")
}

// do2 runs one write returning two values.
func do2[A, B any](t *testing.T, s *Store, fn func(ctx context.Context, tx *Tx) (A, B, error)) (A, B) {
	t.Helper()
	var a A
	var b B
	update(t, s, func(ctx context.Context, tx *Tx) (err error) {
		a, b, err = fn(ctx, tx)
		return err
	})
	return a, b
}

type planRule struct {
	ruleCase
	opf func(ctx context.Context, tx *Tx, f *planFixture) error
}

func pInvalid(name, field string, op func(context.Context, *Tx, *planFixture) error) planRule {
	return planRule{ruleCase{name: name, kind: KindInvalid, code: CodeInvalid, field: field}, op}
}

func pConflict(name, code, field string, op func(context.Context, *Tx, *planFixture) error) planRule {
	return planRule{ruleCase{name: name, kind: KindConflict, code: code, field: field}, op}
}

func pNotFound(name string, op func(context.Context, *Tx, *planFixture) error) planRule {
	return planRule{ruleCase{name: name, kind: KindNotFound, code: CodeNotFound}, op}
}

func pStale(name string, op func(context.Context, *Tx, *planFixture) error) planRule {
	return planRule{ruleCase{name: name, kind: KindStale, code: CodeVersionMismatch}, op}
}

func newKey(k APIKey, v KeyValues) func(context.Context, *Tx, *planFixture) error {
	return func(ctx context.Context, tx *Tx, f *planFixture) error {
		_, _, err := tx.CreateAPIKey(ctx, k, v)
		return err
	}
}

func newPlan(p UsagePlan) func(context.Context, *Tx, *planFixture) error {
	return func(ctx context.Context, tx *Tx, f *planFixture) error {
		_, err := tx.CreateUsagePlan(ctx, p)
		return err
	}
}

// TestKeyAndPlanRules runs every refused operation on keys, plans and their connections inside a transaction
// that commits anyway, and checks the error and that the database did not change. Messages of deletion refusals
// name the blocker.
func TestKeyAndPlanRules(t *testing.T) {
	f := newPlanFixture(t)
	long := strings.Repeat("x", 51)
	cases := []planRule{
		// keys
		pInvalid("key name required", "name", newKey(APIKey{}, KeyValues{})),
		pInvalid("key name too long", "name", newKey(APIKey{Name: long}, KeyValues{})),
		pInvalid("key name only digits", "name", newKey(APIKey{Name: "123"}, KeyValues{})),
		pInvalid("key status", "status", newKey(APIKey{Name: "k", Status: "ON"}, KeyValues{})),
		pConflict("key duplicate name", CodeAlreadyExists, "name", newKey(APIKey{Name: "alpha"}, KeyValues{})),
		pInvalid("key value too short", "primaryKey", newKey(APIKey{Name: "k"}, KeyValues{Primary: "short"})),
		pInvalid("key value with a space", "secondaryKey", newKey(APIKey{Name: "k"}, KeyValues{Secondary: "has a space in it!!"})),
		pInvalid("key value not ASCII", "primaryKey", newKey(APIKey{Name: "k"}, KeyValues{Primary: "키-값-0123456789"})),
		pInvalid("key values equal", "secondaryKey", newKey(APIKey{Name: "k"}, KeyValues{Primary: "same-value-0000000", Secondary: "same-value-0000000"})),
		pConflict("key value of another key", CodeAlreadyExists, "secondaryKey", newKey(APIKey{Name: "k"}, KeyValues{Secondary: "beta-primary-value-0001"})),
		pStale("update key stale", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.UpdateAPIKey(ctx, APIKey{ID: f.alpha.ID, Name: "x", Status: KeyActive}, f.alpha.Version+1)
			return err
		}),
		pConflict("rename key to a taken name", CodeAlreadyExists, "name", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.UpdateAPIKey(ctx, APIKey{ID: f.alpha.ID, Name: "beta", Status: KeyActive}, 0)
			return err
		}),
		pInvalid("update key status", "status", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.UpdateAPIKey(ctx, APIKey{ID: f.alpha.ID, Name: "alpha", Status: "active"}, 0)
			return err
		}),
		pInvalid("regenerate which", "which", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, _, err := tx.RegenerateAPIKey(ctx, "alpha", "tertiary", 0)
			return err
		}),
		pStale("regenerate stale", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, _, err := tx.RegenerateAPIKey(ctx, "alpha", KeyPrimary, 99)
			return err
		}),
		pNotFound("regenerate unknown key", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, _, err := tx.RegenerateAPIKey(ctx, "nope", KeyPrimary, 0)
			return err
		}),
		pInvalid("set value equal to the other one", "primaryKey", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, _, err := tx.SetAPIKeyValue(ctx, "beta", KeyPrimary, "beta-secondary-value-01")
			return err
		}),
		pConflict("delete a connected key", CodeInUse, "", func(ctx context.Context, tx *Tx, f *planFixture) error {
			return tx.DeleteAPIKey(ctx, "alpha", 0)
		}),
		pStale("delete key stale", func(ctx context.Context, tx *Tx, f *planFixture) error {
			return tx.DeleteAPIKey(ctx, "idle", 7)
		}),
		pNotFound("delete unknown key", func(ctx context.Context, tx *Tx, f *planFixture) error {
			return tx.DeleteAPIKey(ctx, "999", 0)
		}),

		// plans
		pInvalid("plan name required", "name", newPlan(UsagePlan{})),
		pConflict("plan duplicate name", CodeAlreadyExists, "name", newPlan(UsagePlan{Name: "gold"})),
		pInvalid("plan negative rps", "rps", newPlan(UsagePlan{Name: "p", RPS: -1})),
		pInvalid("plan rps too high", "rps", newPlan(UsagePlan{Name: "p", RPS: MaxPlanRPS + 1})),
		pInvalid("plan period unknown", "quotaPeriod", newPlan(UsagePlan{Name: "p", QuotaPeriod: "WEEK", QuotaLimit: 1})),
		pInvalid("plan limit without a period", "quotaLimit", newPlan(UsagePlan{Name: "p", QuotaLimit: 5})),
		pInvalid("plan period without a limit", "quotaLimit", newPlan(UsagePlan{Name: "p", QuotaPeriod: QuotaDay})),
		pStale("update plan stale", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.UpdateUsagePlan(ctx, UsagePlan{ID: f.gold.ID, Name: "gold"}, 1)
			return err
		}),
		pConflict("delete a plan with stages", CodeInUse, "", func(ctx context.Context, tx *Tx, f *planFixture) error {
			return tx.DeleteUsagePlan(ctx, "silver", 0)
		}),
		pNotFound("delete unknown plan", func(ctx context.Context, tx *Tx, f *planFixture) error {
			return tx.DeleteUsagePlan(ctx, "platinum", 0)
		}),

		// stage connections
		pConflict("connect a stage twice", CodeAlreadyExists, "", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.ConnectStage(ctx, "gold", "shop1", "dev", 0)
			return err
		}),
		pNotFound("connect an unknown stage", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.ConnectStage(ctx, "gold", "shop1", "qa", 0)
			return err
		}),
		pNotFound("connect a stage of an unknown service", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.ConnectStage(ctx, "gold", "nope", "dev", 0)
			return err
		}),
		pStale("connect a stage stale", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.ConnectStage(ctx, "gold", "shop1", "", f.gold.Version-1)
			return err
		}),
		pConflict("disconnect a stage with keys", CodeInUse, "", func(ctx context.Context, tx *Tx, f *planFixture) error {
			return tx.DisconnectStage(ctx, "gold", "shop1", "dev", 0)
		}),
		pNotFound("disconnect a stage not connected", func(ctx context.Context, tx *Tx, f *planFixture) error {
			return tx.DisconnectStage(ctx, "free", "shop1", "dev", 0)
		}),
		pConflict("delete a stage connected to a plan", CodeInUse, "", func(ctx context.Context, tx *Tx, f *planFixture) error {
			return tx.DeleteStage(ctx, "shop1", "prod", 0)
		}),
		pConflict("delete a service with a connected stage", CodeInUse, "", func(ctx context.Context, tx *Tx, f *planFixture) error {
			return tx.DeleteService(ctx, "shop1", 0)
		}),

		// key connections
		pNotFound("connect a key on a stage the plan lacks", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.ConnectKey(ctx, "silver", "shop1", "prod", "idle", 0)
			return err
		}),
		pConflict("connect a key twice", CodeAlreadyExists, "apiKey", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.ConnectKey(ctx, "gold", "shop1", "dev", "alpha", 0)
			return err
		}),
		pConflict("connect a key in another plan on the stage", CodeKeyInOtherPlan, "apiKey", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.ConnectKey(ctx, "silver", "shop1", "dev", "alpha", 0)
			return err
		}),
		pNotFound("connect an unknown key", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.ConnectKey(ctx, "gold", "shop1", "dev", "nope", 0)
			return err
		}),
		pNotFound("disconnect a key not connected", func(ctx context.Context, tx *Tx, f *planFixture) error {
			return tx.DisconnectKey(ctx, "silver", "shop1", "dev", "alpha", 0)
		}),
		pStale("disconnect a key stale", func(ctx context.Context, tx *Tx, f *planFixture) error {
			return tx.DisconnectKey(ctx, "gold", "shop1", "dev", "alpha", 1)
		}),
		pConflict("move to a plan not connected to the stage", CodeStageNotConnected, "plan", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.MoveKey(ctx, "gold", "shop1", "dev", "alpha", "free", 0)
			return err
		}),
		pInvalid("move to the same plan", "plan", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.MoveKey(ctx, "gold", "shop1", "dev", "alpha", "gold", 0)
			return err
		}),
		pNotFound("move a key from a plan it is not in", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.MoveKey(ctx, "silver", "shop1", "dev", "alpha", "gold", 0)
			return err
		}),
		pNotFound("move to an unknown plan", func(ctx context.Context, tx *Tx, f *planFixture) error {
			_, err := tx.MoveKey(ctx, "gold", "shop1", "dev", "alpha", "platinum", 0)
			return err
		}),
	}
	blockers := map[string][]string{
		"delete a connected key":                     {`"alpha"`, `"gold"`, `"dev"`},
		"delete a plan with stages":                  {`"silver"`, `"dev"`},
		"disconnect a stage with keys":               {`"alpha"`, `"gold"`},
		"connect a key in another plan on the stage": {`"gold"`, `"silver"`},
		"delete a stage connected to a plan":         {`"gold"`},
		"move to a plan not connected to the stage":  {`"free"`},
	}
	before := digest(t, f.s)
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var opErr error
			noErr(t, f.s.Update(ctx, func(tx *Tx) error {
				opErr = tc.opf(ctx, tx, f)
				return nil
			}))
			wantError(t, opErr, tc.kind, tc.code, tc.field)
			for _, want := range blockers[tc.name] {
				if !strings.Contains(opErr.Error(), want) {
					t.Errorf("message %q does not name %s", opErr, want)
				}
			}
			if after := digest(t, f.s); after != before {
				t.Fatalf("the refused operation changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}
