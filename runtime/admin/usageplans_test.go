package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/config"
	"github.com/portico-gateway/portico/runtime/usage"
	"github.com/portico-gateway/portico/storage"
)

func TestUsagePlansHTTP(t *testing.T) {
	e, kr := newKeyEnv(t)
	svc, _, _ := e.seed() // service "members" with stage dev
	key := must(e.client.CreateAPIKey(ctxBG, APIKeyInput{Name: "partner"}))(t)
	value := key.PrimaryKey

	r := e.call("POST", "/v1/usageplans", `{"name":"gold","rps":100,"quotaPeriod":"DAY","quotaLimit":2}`)
	if r.status != http.StatusCreated || r.header.Get("Location") != "/v1/usageplans/gold" || r.header.Get("ETag") != `"1"` {
		t.Fatalf("create plan: %d %v %s", r.status, r.header, r.body)
	}
	_, err := e.client.CreateUsagePlan(ctxBG, UsagePlanInput{Name: "bad", QuotaPeriod: "WEEK", QuotaLimit: 1})
	wantAPIError(t, err, http.StatusBadRequest, storage.CodeInvalid)
	must(e.client.CreateUsagePlan(ctxBG, UsagePlanInput{Name: "silver", QuotaPeriod: "MONTH", QuotaLimit: 1000}))(t)
	must(e.client.CreateUsagePlan(ctxBG, UsagePlanInput{Name: "free"}))(t)

	// Connect the stage (the service by name in the body; If-Match names the plan's version).
	_, err = e.client.ConnectPlanStage(ctxBG, "gold", "members", "dev", 5)
	wantAPIError(t, err, http.StatusPreconditionFailed, storage.CodeVersionMismatch)
	ps := must(e.client.ConnectPlanStage(ctxBG, "gold", "members", "dev", 1))(t)
	if ps.ServiceID != svc.ID || ps.StageName != "dev" {
		t.Fatalf("connected %+v", ps)
	}
	_, err = e.client.ConnectPlanStage(ctxBG, "gold", "members", "dev", 0)
	wantAPIError(t, err, http.StatusConflict, storage.CodeAlreadyExists)
	_, err = e.client.ConnectPlanStage(ctxBG, "gold", "nope", "dev", 0)
	if ae := wantAPIError(t, err, http.StatusBadRequest, storage.CodeInvalid); ae.Field != "service" {
		t.Fatalf("field %q", ae.Field)
	}
	_, err = e.client.ConnectPlanStage(ctxBG, "gold", "members", "qa", 0)
	if ae := wantAPIError(t, err, http.StatusBadRequest, storage.CodeInvalid); ae.Field != "stage" {
		t.Fatalf("field %q", ae.Field)
	}
	must(e.client.ConnectPlanStage(ctxBG, "silver", svc.ID, "dev", 0))(t)

	// Connect the key: the gateway lets it through at once (no deploy).
	if d := kr.decide(svc.ID, "dev", value); d != usage.NotAllowed {
		t.Fatalf("before connecting: %v", d)
	}
	_, err = e.client.ConnectPlanKey(ctxBG, "gold", "members", "dev", "nobody", 0)
	if ae := wantAPIError(t, err, http.StatusBadRequest, storage.CodeInvalid); ae.Field != "apiKey" {
		t.Fatalf("field %q", ae.Field)
	}
	ps = must(e.client.ConnectPlanKey(ctxBG, "gold", "members", "dev", "partner", 0))(t)
	if len(ps.APIKeys) != 1 || ps.APIKeys[0].Name != "partner" {
		t.Fatalf("connected %+v", ps)
	}
	_, err = e.client.ConnectPlanKey(ctxBG, "silver", "members", "dev", "partner", 0)
	if ae := wantAPIError(t, err, http.StatusConflict, storage.CodeKeyInOtherPlan); !strings.Contains(ae.Message, `"gold"`) {
		t.Fatalf("message %q does not name the other plan", ae.Message)
	}
	for i := range 2 {
		if d := kr.decide(svc.ID, "dev", value); d != usage.Allowed {
			t.Fatalf("request %d: %v", i, d)
		}
	}
	if d := kr.decide(svc.ID, "dev", value); d != usage.QuotaExceeded {
		t.Fatalf("over quota: %v", d)
	}

	// GET responses show the live usage.
	plan := must(e.client.GetUsagePlan(ctxBG, "gold"))(t)
	if q := plan.Stages[0].APIKeys[0].Quota; q.Used != 2 || q.Limit != 2 || q.PeriodStart == nil {
		t.Fatalf("plan usage %+v", q)
	}
	k := must(e.client.GetAPIKey(ctxBG, "partner"))(t)
	if len(k.Connections) != 1 || k.Connections[0].Quota.Used != 2 || k.Connections[0].PlanName != "gold" {
		t.Fatalf("key connections %+v", k.Connections)
	}
	keys := must(e.client.ListPlanKeys(ctxBG, "gold", svc.ID, "dev"))(t)
	if len(keys) != 1 || keys[0].Quota.Used != 2 {
		t.Fatalf("plan keys %+v", keys)
	}
	stages := must(e.client.ListPlanStages(ctxBG, "gold"))(t)
	if len(stages) != 1 || stages[0].APIKeys[0].Quota.Used != 2 {
		t.Fatalf("plan stages %+v", stages)
	}

	// Plan edits apply without a deploy: a higher limit lets the key through; NONE resets the usage.
	plan = must(e.client.UpdateUsagePlan(ctxBG, "gold", UsagePlanPatch{QuotaLimit: ptr(int64(5))}, plan.Version))(t)
	if d := kr.decide(svc.ID, "dev", value); d != usage.Allowed {
		t.Fatalf("after raising the limit: %v", d)
	}
	plan = must(e.client.UpdateUsagePlan(ctxBG, "gold", UsagePlanPatch{QuotaPeriod: ptr("NONE")}, 0))(t)
	if plan.QuotaPeriod != storage.QuotaNone || plan.QuotaLimit != 0 || plan.Stages[0].APIKeys[0].Quota.Used != 0 {
		t.Fatalf("after NONE: %+v", plan)
	}
	plan = must(e.client.UpdateUsagePlan(ctxBG, "gold", UsagePlanPatch{QuotaPeriod: ptr("DAY"), QuotaLimit: ptr(int64(3))}, 0))(t)
	if used, _, _ := kr.guard.Usage(key.ID, ps.StageID); used != 0 {
		t.Fatalf("usage after NONE and back: %d", used)
	}
	kr.decide(svc.ID, "dev", value)

	// Move the key to silver (MONTH): its usage is kept.
	_, err = e.client.MoveKey(ctxBG, "gold", "members", "dev", "partner", "free", 0)
	wantAPIError(t, err, http.StatusConflict, storage.CodeStageNotConnected)
	_, err = e.client.MoveKey(ctxBG, "gold", "members", "dev", "partner", "platinum", 0)
	if ae := wantAPIError(t, err, http.StatusBadRequest, storage.CodeInvalid); ae.Field != "plan" {
		t.Fatalf("field %q", ae.Field)
	}
	ps = must(e.client.MoveKey(ctxBG, "gold", "members", "dev", "partner", "silver", 0))(t)
	if len(ps.APIKeys) != 1 || ps.APIKeys[0].Quota.Period != storage.QuotaMonth || ps.APIKeys[0].Quota.Used != 1 {
		t.Fatalf("after the move %+v", ps)
	}

	// Deletion rules, each naming the blocker.
	err = e.client.DisconnectPlanStage(ctxBG, "silver", "members", "dev", 0)
	if ae := wantAPIError(t, err, http.StatusConflict, storage.CodeInUse); !strings.Contains(ae.Message, `"partner"`) {
		t.Fatalf("message %q", ae.Message)
	}
	err = e.client.DeleteUsagePlan(ctxBG, "gold", 0)
	if ae := wantAPIError(t, err, http.StatusConflict, storage.CodeInUse); !strings.Contains(ae.Message, `"dev"`) {
		t.Fatalf("message %q", ae.Message)
	}
	err = e.client.DeleteAPIKey(ctxBG, "partner", 0)
	if ae := wantAPIError(t, err, http.StatusConflict, storage.CodeInUse); !strings.Contains(ae.Message, `"silver"`) {
		t.Fatalf("message %q", ae.Message)
	}
	err = e.client.DeleteStage(ctxBG, svc.ID, "dev", 0)
	wantAPIError(t, err, http.StatusConflict, storage.CodeInUse)

	// Undo: disconnect the key (the gateway refuses it at once), the stages, delete plans and key.
	if err := e.client.DisconnectPlanKey(ctxBG, "silver", "members", "dev", "partner", 0); err != nil {
		t.Fatal(err)
	}
	if d := kr.decide(svc.ID, "dev", value); d != usage.NotAllowed {
		t.Fatalf("after disconnecting: %v", d)
	}
	wantAPIError(t, e.client.DisconnectPlanKey(ctxBG, "silver", "members", "dev", "partner", 0), http.StatusNotFound,
		storage.CodeNotFound)
	for _, p := range []string{"gold", "silver"} {
		if err := e.client.DisconnectPlanStage(ctxBG, p, "members", "dev", 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"gold", "silver", "free"} {
		if err := e.client.DeleteUsagePlan(ctxBG, p, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.client.DeleteAPIKey(ctxBG, "partner", 0); err != nil {
		t.Fatal(err)
	}
	if plans := must(e.client.ListUsagePlans(ctxBG))(t); len(plans) != 0 {
		t.Fatalf("plans left %+v", plans)
	}
}

func TestPlanRoutesOnTheDefaultStage(t *testing.T) {
	e, kr := newKeyEnv(t)
	svc, _, _ := e.seed()
	must(e.client.CreateStage(ctxBG, svc.ID, StageInput{BackendURL: "http://127.0.0.1:9"}))(t)
	key := must(e.client.CreateAPIKey(ctxBG, APIKeyInput{Name: "k"}))(t)
	must(e.client.CreateUsagePlan(ctxBG, UsagePlanInput{Name: "p"}))(t)
	if r := e.call("POST", "/v1/usageplans/p/stages", `{"service":"members","stage":"default"}`); r.status != 201 ||
		r.header.Get("Location") != "/v1/usageplans/p/stages/"+svc.ID+"/default" {
		t.Fatalf("connect: %d %v %s", r.status, r.header, r.body)
	}
	if r := e.call("POST", "/v1/usageplans/p/stages/members/default/apikeys", `{"apiKey":"k"}`); r.status != 201 {
		t.Fatalf("connect key: %d %s", r.status, r.body)
	}
	if d := kr.decide(svc.ID, "", key.PrimaryKey); d != usage.Allowed {
		t.Fatalf("decision %v", d)
	}
	if r := e.call("GET", "/v1/usageplans/p/stages/members/default/apikeys", ""); r.status != 200 ||
		r.header.Get("ETag") != `"3"` {
		t.Fatalf("list keys: %d %v", r.status, r.header)
	}
}

func TestApplyConfigWithKeys(t *testing.T) {
	e, kr := newKeyEnv(t)
	doc := config.Document{
		Services: []config.Service{{Name: "shop", Resources: map[string]config.Resource{
			"/p": {Methods: map[string]config.Method{"GET": {Backend: config.Backend{Type: "mock", Status: 200}}}}},
			Stages: []config.Stage{{Name: "test", BackendURL: "http://127.0.0.1:9"}}}},
		APIKeys: []config.APIKey{{Name: "partner-a"}},
		UsagePlans: []config.UsagePlan{{Name: "gold", RPS: 5, Stages: []config.PlanStage{
			{Service: "shop", Stage: "test", APIKeys: []string{"partner-a"}}}}},
	}
	var res config.Result
	if err := e.client.Do(ctxBG, http.MethodPost, "/v1/apply?dryRun=true", doc, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.GeneratedKeys) != 0 || !res.DryRun {
		t.Fatalf("a dry run showed values that were rolled back: %+v", res)
	}
	if err := e.client.Do(ctxBG, http.MethodPost, "/v1/apply", doc, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.GeneratedKeys) != 2 {
		t.Fatalf("generated %+v", res.GeneratedKeys)
	}
	svc := must(e.client.GetService(ctxBG, "shop"))(t)
	if d := kr.decide(svc.ID, "test", res.GeneratedKeys[0].Value); d != usage.Allowed {
		t.Fatalf("the applied key does not reach the gateway: %v", d)
	}
	var exported config.Document
	if err := e.client.Do(ctxBG, http.MethodGet, "/v1/export", nil, &exported); err != nil {
		t.Fatal(err)
	}
	if len(exported.APIKeys) != 1 || exported.APIKeys[0].PrimaryKey != "" || len(exported.UsagePlans) != 1 {
		t.Fatalf("export %+v", exported)
	}
}
