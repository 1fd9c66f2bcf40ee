package config

import (
	"context"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/storage"
)

// keysDoc is the contract's apiKeys and usagePlans sections with a small service to connect them to.
const keysDoc = `
services:
  - name: shop
    resources:
      /products: { methods: { GET: { backend: { type: http, path: /p } } } }
    stages:
      - { name: "", backendUrl: "http://127.0.0.1:9000" }
      - { name: test, backendUrl: "http://127.0.0.1:9000" }
apiKeys:
  - name: partner-a
    description: Partner A
    status: ACTIVE
    primaryKey: env:PARTNER_A_KEY
  - name: partner-b
usagePlans:
  - name: gold
    rps: 50
    quota: { period: DAY, limit: 10000 }
    stages:
      - service: shop
        stage: test
        apiKeys: [partner-a]
  - name: silver
    quota: { period: month, limit: 100 }
    stages:
      - { service: shop, stage: test, apiKeys: [partner-b] }
      - { service: shop, stage: "" }
`

const partnerAKey = "partner-a-secret-value-0001"

func parseDoc(t *testing.T, yaml string) *Document {
	t.Helper()
	doc, err := Parse("keys.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PARTNER_A_KEY": partnerAKey}
	if err := doc.ResolveEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	return doc
}

func apply(t *testing.T, st *storage.Store, doc *Document) (Result, error) {
	t.Helper()
	ctx := context.Background()
	var res Result
	err := st.Update(ctx, func(tx *storage.Tx) (err error) {
		res, err = Apply(ctx, tx, doc, Options{})
		return err
	})
	return res, err
}

func mustApply(t *testing.T, st *storage.Store, doc *Document) Result {
	t.Helper()
	res, err := apply(t, st, doc)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

func actions(res Result) map[string]string {
	m := map[string]string{}
	for _, c := range res.Changes {
		m[c.Object] = c.Action
	}
	return m
}

func TestApplyKeysAndPlans(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	res := mustApply(t, st, parseDoc(t, keysDoc))
	got := actions(res)
	for obj, want := range map[string]string{
		"apiKey partner-a":                                  "created",
		"apiKey partner-b":                                  "created",
		"usagePlan gold":                                    "created",
		"stage shop/test of usagePlan gold":                 "created",
		"apiKey partner-a in usagePlan gold on shop/test":   "created",
		"apiKey partner-b in usagePlan silver on shop/test": "created",
		"stage shop/(default) of usagePlan silver":          "created",
	} {
		if got[obj] != want {
			t.Errorf("%s: %q, want %q (all: %v)", obj, got[obj], want, got)
		}
	}
	// partner-a's primary value was given: only its secondary is generated; partner-b gets both.
	var gen []string
	for _, g := range res.GeneratedKeys {
		if len(g.Value) != 32 {
			t.Fatalf("generated %+v", g)
		}
		gen = append(gen, g.Name+"/"+g.Which)
	}
	if strings.Join(gen, " ") != "partner-a/secondary partner-b/primary partner-b/secondary" {
		t.Fatalf("generated %v", gen)
	}
	var tbl storage.KeyTable
	_ = st.View(ctx, func(tx *storage.Tx) (err error) { tbl, err = tx.KeyTable(ctx); return err })
	if tbl.Keys[0].PrimaryHash != storage.HashAPIKey(partnerAKey) || len(tbl.Grants) != 2 ||
		tbl.Grants[0].PlanName != "gold" || tbl.Grants[0].RPS != 50 || tbl.Grants[0].QuotaLimit != 10000 {
		t.Fatalf("key table %+v", tbl)
	}

	// Again: nothing changes and nothing is generated.
	res = mustApply(t, st, parseDoc(t, keysDoc))
	if res.Changed() || len(res.GeneratedKeys) != 0 {
		t.Fatalf("second apply: %+v", res)
	}

	// The export has no values and applies as it is.
	var doc *Document
	_ = st.View(ctx, func(tx *storage.Tx) (err error) { doc, err = Export(ctx, tx); return err })
	out, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), partnerAKey) || strings.Contains(string(out), "primaryKey") ||
		strings.Contains(string(out), "secondaryKey") {
		t.Fatalf("the export holds key values:\n%s", out)
	}
	if !strings.Contains(string(out), "period: MONTH") || !strings.Contains(string(out), "- partner-b") {
		t.Fatalf("the export lacks the plans:\n%s", out)
	}
	reparsed, err := Parse("export.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if res := mustApply(t, st, reparsed); res.Changed() {
		t.Fatalf("applying the export changed %v", actions(res))
	}
}

func TestApplyMovesAndRemovesConnections(t *testing.T) {
	st := openStore(t)
	mustApply(t, st, parseDoc(t, keysDoc))
	// partner-a moves to silver on shop/test, partner-b leaves it, silver leaves the default stage, partner-a
	// gets a new primary value.
	moved := strings.NewReplacer(
		"primaryKey: env:PARTNER_A_KEY", "primaryKey: partner-a-secret-value-0002",
		"apiKeys: [partner-a]", "apiKeys: []",
		"apiKeys: [partner-b] }\n      - { service: shop, stage: \"\" }", "apiKeys: [partner-a] }",
	).Replace(keysDoc)
	res := mustApply(t, st, parseDoc(t, moved))
	got := actions(res)
	for obj, want := range map[string]string{
		"apiKey partner-a": "updated",
		"apiKey partner-b": "unchanged",
		"apiKey partner-a in usagePlan silver on shop/test": "updated", // moved from gold
		"apiKey partner-b in usagePlan silver on shop/test": "removed",
		"stage shop/(default) of usagePlan silver":          "removed",
		"stage shop/test of usagePlan gold":                 "unchanged",
	} {
		if got[obj] != want {
			t.Errorf("%s: %q, want %q (all: %v)", obj, got[obj], want, got)
		}
	}
	ctx := context.Background()
	var tbl storage.KeyTable
	_ = st.View(ctx, func(tx *storage.Tx) (err error) { tbl, err = tx.KeyTable(ctx); return err })
	if len(tbl.Grants) != 1 || tbl.Grants[0].PlanName != "silver" ||
		tbl.Keys[0].PrimaryHash != storage.HashAPIKey("partner-a-secret-value-0002") {
		t.Fatalf("key table %+v", tbl)
	}
	if res := mustApply(t, st, parseDoc(t, moved)); res.Changed() {
		t.Fatalf("second apply changed %v", actions(res))
	}
}

func TestApplyKeyAndPlanErrors(t *testing.T) {
	tests := []struct {
		name, yaml, field string
	}{
		{"key listed under two plans for one stage", `
apiKeys: [{ name: k }]
usagePlans:
  - { name: a, stages: [{ service: shop, stage: test, apiKeys: [k] }] }
  - { name: b, stages: [{ service: shop, stage: test, apiKeys: [k] }] }
`, "usagePlans[1].stages[0].apiKeys[0]"},
		{"unknown key", `
usagePlans:
  - { name: a, stages: [{ service: shop, stage: test, apiKeys: [nobody] }] }
`, "usagePlans[0].stages[0].apiKeys[0]"},
		{"unknown service", `
usagePlans:
  - { name: a, stages: [{ service: nope, stage: test }] }
`, "usagePlans[0].stages[0].service"},
		{"unknown stage", `
usagePlans:
  - { name: a, stages: [{ service: shop, stage: prod }] }
`, "usagePlans[0].stages[0].stage"},
		{"stage listed twice", `
usagePlans:
  - { name: a, stages: [{ service: shop, stage: test }, { service: shop, stage: test }] }
`, "usagePlans[0].stages[1]"},
		{"bad quota period", `
usagePlans:
  - { name: a, quota: { period: WEEK, limit: 3 } }
`, "usagePlans[0].quota.period"},
		{"quota without a limit", `
usagePlans:
  - { name: a, quota: { period: DAY } }
`, "usagePlans[0].quota.limit"},
		{"duplicate plan", `
usagePlans: [{ name: a }, { name: a }]
`, "usagePlans[1].name"},
		{"duplicate key", `
apiKeys: [{ name: k }, { name: k }]
`, "apiKeys[1].name"},
		{"short key value", `
apiKeys: [{ name: k, primaryKey: short }]
`, "apiKeys[0].primaryKey"},
	}
	base := `
services:
  - name: shop
    resources:
      /p: { methods: { GET: { backend: { type: mock, status: 200 } } } }
    stages: [{ name: test, backendUrl: "http://127.0.0.1:9" }]
`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			_, err := apply(t, st, parseDoc(t, base+tt.yaml))
			se, ok := storage.AsError(err)
			if !ok || se.Kind != storage.KindInvalid || se.Field != tt.field {
				t.Fatalf("error %v (field %q), want an invalid-argument error on %s", err, fieldOf(err), tt.field)
			}
		})
	}
}

func fieldOf(err error) string {
	if se, ok := storage.AsError(err); ok {
		return se.Field
	}
	return ""
}
