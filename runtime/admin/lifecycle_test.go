package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/storage"
)

// TestLifecycle walks the console's path through the Client: service → resource → method → plugin → stage → deploy →
// history → rollback → delete deployment → delete stage and service.
func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	c := e.client
	svc, res, m := e.seed()

	if got := must(c.GetService(ctxBG, "members"))(t); got.ID != svc.ID {
		t.Fatalf("service by name: %+v", got)
	}
	list := must(c.ListServices(ctxBG))(t)
	if len(list) != 1 || list[0].ID != svc.ID {
		t.Fatalf("services %+v", list)
	}
	tree, tag, err := c.ResourceTree(ctxBG, svc.ID)
	if err != nil || tag == "" {
		t.Fatalf("tree: %v (ETag %q)", err, tag)
	}
	if !treeHasMethod(tree, "/members/{memberId}", "GET") {
		t.Fatalf("tree %+v lacks GET /members/{memberId}", tree)
	}
	if got := must(c.GetResource(ctxBG, svc.ID, res.ID))(t); got.Path != "/members/{memberId}" {
		t.Fatalf("resource %+v", got)
	}
	p := must(c.AddMethodPlugin(ctxBG, svc.ID, m.ID, PluginInput{Type: "headers", Phase: storage.PhaseRequest,
		Config: json.RawMessage(`{"set":{"x-a":"1"}}`)}))(t)
	if got := must(c.GetPlugin(ctxBG, svc.ID, p.ID))(t); got.Type != "headers" {
		t.Fatalf("plugin %+v", got)
	}

	// The default stage is "" in the model and "default" in URLs.
	def := must(c.CreateStage(ctxBG, svc.ID, StageInput{BackendURL: "http://127.0.0.1:8"}))(t)
	if def.Name != "" {
		t.Fatalf("default stage named %q", def.Name)
	}
	if got := must(c.GetStage(ctxBG, svc.ID, ""))(t); got.ID != def.ID {
		t.Fatalf("default stage %+v", got)
	}
	if r := e.call("GET", "/v1/services/"+svc.ID+"/stages/default", ""); r.status != 200 {
		t.Fatalf("GET …/stages/default: %d %s", r.status, r.body)
	}
	if got := must(c.ListStages(ctxBG, svc.ID))(t); len(got) != 2 {
		t.Fatalf("stages %+v", got)
	}

	// Apply resources, then deploy twice.
	ar := must(c.ApplyResources(ctxBG, svc.ID, "dev"))(t)
	if !ar.Changed || ar.Stage.Resources == nil {
		t.Fatalf("apply resources: %+v", ar)
	}
	if again := must(c.ApplyResources(ctxBG, svc.ID, "dev"))(t); again.Changed {
		t.Fatal("second apply resources reported a change")
	}
	checks0, reloads0 := e.rt.counts()
	d1 := must(c.Deploy(ctxBG, svc.ID, "dev", "first", false))(t)
	if d1.Author != "tester" || d1.Description != "first" || d1.Status != storage.DeploymentSucceeded {
		t.Fatalf("deployment %+v", d1)
	}
	checks, reloads := e.rt.counts()
	if checks != checks0+1 || reloads != reloads0+1 {
		t.Fatalf("deploy: %d checks, %d reloads; want one more of each", checks-checks0, reloads-reloads0)
	}
	if snap := e.rt.lastCheck(); snap.ServiceID != svc.ID || snap.StageName != "dev" {
		t.Fatalf("checked snapshot %+v", snap)
	}
	must(c.UpdateMethod(ctxBG, svc.ID, m.ID, MethodPatch{Description: ptr("v2")}, 0))(t)
	d2 := must(c.Deploy(ctxBG, svc.ID, "dev", "second", true))(t)

	hist := must(c.ListDeployments(ctxBG, svc.ID, "dev"))(t)
	if len(hist) != 2 {
		t.Fatalf("history %+v", hist)
	}
	byID := map[int64]storage.Deployment{}
	for _, d := range hist {
		if d.Snapshot != nil {
			t.Errorf("history entry %d carries its snapshot", d.ID)
		}
		byID[d.ID] = d
	}
	if !byID[d2.ID].Deployed || byID[d1.ID].Deployed {
		t.Fatalf("history %+v: want %d deployed", hist, d2.ID)
	}
	full := must(c.GetDeployment(ctxBG, svc.ID, "dev", d1.ID))(t)
	if full.Snapshot == nil || !snapshotHasMethod(full.Snapshot, "GET") {
		t.Fatalf("deployment %d snapshot %+v", d1.ID, full.Snapshot)
	}

	// Rollback changes the editable stage, not what is served.
	_, reloads = e.rt.counts()
	st := must(c.Rollback(ctxBG, svc.ID, "dev", d1.ID))(t)
	if st.BaseDeploymentID == nil || *st.BaseDeploymentID != d1.ID {
		t.Fatalf("after rollback the stage is based on %v, want %d", st.BaseDeploymentID, d1.ID)
	}
	if st.DeployedDeploymentID == nil || *st.DeployedDeploymentID != d2.ID {
		t.Fatalf("after rollback the stage serves %v, want %d", st.DeployedDeploymentID, d2.ID)
	}
	if _, r := e.rt.counts(); r != reloads {
		t.Error("rollback reloaded the gateway")
	}
	d3 := must(c.Deploy(ctxBG, svc.ID, "dev", "third", false))(t)

	// The served deployment cannot be deleted; an old one can.
	if err := c.DeleteDeployment(ctxBG, svc.ID, "dev", d3.ID); err == nil {
		t.Fatal("deleted the deployment the stage serves")
	}
	if err := c.DeleteDeployment(ctxBG, svc.ID, "dev", d1.ID); err != nil {
		t.Fatal(err)
	}
	hist = must(c.ListDeployments(ctxBG, svc.ID, "dev"))(t)
	if len(hist) != 2 {
		t.Fatalf("history after delete %+v", hist)
	}
	_, err = c.GetDeployment(ctxBG, svc.ID, "dev", d1.ID)
	wantAPIError(t, err, 404, storage.CodeNotFound)

	status := must(c.Status(ctxBG))(t)
	if !status.Ready || len(status.Stages) != 1 {
		t.Fatalf("status %+v", status)
	}

	// Deleting the stage and the service reloads the gateway.
	_, reloads = e.rt.counts()
	if err := c.DeleteStage(ctxBG, svc.ID, "dev", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteService(ctxBG, svc.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, r := e.rt.counts(); r != reloads+2 {
		t.Errorf("%d reloads for deleting a stage and a service, want 2", r-reloads)
	}
	_, err = c.GetService(ctxBG, svc.ID)
	wantAPIError(t, err, 404, storage.CodeNotFound)
}

func TestDeployCheckFails(t *testing.T) {
	e := newEnv(t)
	svc, _, _ := e.seed()
	e.rt.set(errors.New("GET /members/{memberId}: plugin headers: set.x-a: bad value"), nil)
	_, reloads0 := e.rt.counts()
	_, err := e.client.Deploy(ctxBG, svc.ID, "dev", "doomed", true)
	ae := wantAPIError(t, err, http.StatusBadRequest, "deploy_check_failed")
	if !strings.Contains(ae.Message, "set.x-a: bad value") {
		t.Errorf("message %q lacks the check's message", ae.Message)
	}
	if hist := must(e.client.ListDeployments(ctxBG, svc.ID, "dev"))(t); len(hist) != 0 {
		t.Fatalf("a refused deploy left history %+v", hist)
	}
	// applyResources ran in the same transaction: it rolled back too.
	if st := must(e.client.GetStage(ctxBG, svc.ID, "dev"))(t); st.Resources != nil {
		t.Errorf("a refused deploy applied resources: %+v", st.Resources)
	}
	if checks, reloads := e.rt.counts(); checks != 1 || reloads != reloads0 {
		t.Errorf("%d checks, %d reloads", checks, reloads-reloads0)
	}

	// A check error that is a storage error keeps its field.
	e.rt.set(storage.Invalid("resources[0].methods[0].plugins[0].config.set", "bad header"), nil)
	_, err = e.client.Deploy(ctxBG, svc.ID, "dev", "doomed", true)
	ae = wantAPIError(t, err, http.StatusBadRequest, storage.CodeInvalid)
	if ae.Field != "resources[0].methods[0].plugins[0].config.set" {
		t.Errorf("field %q", ae.Field)
	}
}

func TestDeployReloadFails(t *testing.T) {
	e := newEnv(t)
	svc, _, _ := e.seed()
	e.rt.set(nil, errors.New("listener on :443: secret detail"))
	_, err := e.client.Deploy(ctxBG, svc.ID, "dev", "", true)
	ae := wantAPIError(t, err, http.StatusInternalServerError, "reload_failed")
	if !strings.Contains(ae.Message, "committed") || strings.Contains(ae.Message, "secret detail") {
		t.Errorf("message %q: want it to say the deployment is recorded, without the cause", ae.Message)
	}
	hist := must(e.client.ListDeployments(ctxBG, svc.ID, "dev"))(t)
	if len(hist) != 1 || !hist[0].Deployed || hist[0].Author != "tester" {
		t.Fatalf("history %+v: the deployment must stay recorded", hist)
	}
	if !strings.Contains(e.logs.String(), "secret detail") {
		t.Error("the reload error is not in the log")
	}
}

func TestDeployDefaultAuthorAndEmptyBody(t *testing.T) {
	e := newEnv(t)
	svc, _, _ := e.seed()
	must(e.client.ApplyResources(ctxBG, svc.ID, "dev"))(t)
	r := e.call("POST", "/v1/services/members/stages/dev/deploy", "")
	if r.status != http.StatusCreated {
		t.Fatalf("deploy without a body: %d %s", r.status, r.body)
	}
	var d storage.Deployment
	if err := json.Unmarshal(r.body, &d); err != nil || d.Author != DefaultAuthor {
		t.Fatalf("deployment %s: %v", r.body, err)
	}
	if loc := r.header.Get("Location"); !strings.HasSuffix(loc, "/stages/dev/deployments/"+itoa(d.ID)) {
		t.Errorf("Location %q", loc)
	}
}

func TestDomains(t *testing.T) {
	e := newEnv(t)
	svc, _, _ := e.seed()
	_, reloads0 := e.rt.counts()
	d := must(e.client.CreateDomain(ctxBG, DomainInput{Host: "api.example.com", ServiceID: "members",
		StageName: "dev"}))(t)
	if d.ServiceID != svc.ID {
		t.Fatalf("domain %+v: service name not resolved", d)
	}
	_, err := e.client.CreateDomain(ctxBG, DomainInput{Host: "x.example.com", ServiceID: "nosuch"})
	if ae := wantAPIError(t, err, 400, storage.CodeInvalid); ae.Field != "serviceId" {
		t.Errorf("field %q", ae.Field)
	}
	if got := must(e.client.ListDomains(ctxBG))(t); len(got) != 1 || got[0].Host != "api.example.com" {
		t.Fatalf("domains %+v", got)
	}
	err = e.client.DeleteDomain(ctxBG, "api.example.com", d.Version+1)
	wantAPIError(t, err, http.StatusPreconditionFailed, storage.CodeVersionMismatch)
	if err := e.client.DeleteDomain(ctxBG, "api.example.com", d.Version); err != nil {
		t.Fatal(err)
	}
	if _, reloads := e.rt.counts(); reloads != reloads0+2 {
		t.Errorf("%d reloads for creating and deleting a domain, want 2", reloads-reloads0)
	}
}

func TestNoRuntime(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Runtime = nil })
	svc, _, _ := e.seed()
	must(e.client.Deploy(ctxBG, svc.ID, "dev", "", true))(t)
	st := must(e.client.Status(ctxBG))(t)
	if st.Version != "v-test" || st.Stages == nil {
		t.Fatalf("status %+v", st)
	}
}

func treeHasMethod(tree storage.ResourceTree, path, method string) bool {
	for _, r := range tree.Resources {
		if r.Path != path {
			continue
		}
		for _, m := range r.Methods {
			if m.HTTPMethod == method {
				return true
			}
		}
	}
	return false
}

func snapshotHasMethod(s *storage.Snapshot, method string) bool {
	for _, r := range s.Resources.Resources {
		for _, m := range r.Methods {
			if m.HTTPMethod == method {
				return true
			}
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
