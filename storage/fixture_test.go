package storage

import (
	"context"
	"testing"
)

// fixture is a small, full model at its limits: two services (one without methods), a tree with a managed method,
// two stages of which "dev" is applied, deployed, connected to a usage plan and has a custom domain.
type fixture struct {
	s                    *Store
	root, items, item    int64 // resources "/", "/items", "/items/{id}"
	get, post, options   int64 // GET /items/{id}, POST /items, OPTIONS /items (managed by cors)
	itemPlugin, getPlug  int64 // a headers plugin on /items/{id}, a headers plugin on GET
	deployment           int64 // dev's deployed deployment
	serviceVer, stageVer int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s := openTest(t, Options{
		Limits:  Limits{MaxServices: 2, MaxStagesPerService: 2, MaxMethodsPerService: 3},
		Plugins: fakePlugins{},
		Now:     fixedClock(),
	})
	f := &fixture{s: s}
	update(t, s, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.CreateService(ctx, Service{ID: "shop1", Name: "shop", Description: "the shop API"}); err != nil {
			return err
		}
		if _, err := tx.CreateService(ctx, Service{ID: "empty1", Name: "empty"}); err != nil {
			return err
		}
		item, err := tx.CreateResource(ctx, "shop1", "/items/{id}")
		if err != nil {
			return err
		}
		f.item = item.ID
		items, err := tx.FindResource(ctx, "shop1", "/items")
		if err != nil {
			return err
		}
		f.items = items.ID
		root, err := tx.FindResource(ctx, "shop1", "/")
		if err != nil {
			return err
		}
		f.root = root.ID
		m, err := tx.CreateMethod(ctx, "shop1", f.item, Method{HTTPMethod: "GET", Name: "get item",
			Backend: httpBackend("/v1/items/${request.path.id}"),
			Plugins: []PluginBinding{{Type: "headers", Config: []byte(`{"set": {"x-a": "1"}}`)}}})
		if err != nil {
			return err
		}
		f.get, f.getPlug = m.ID, m.Plugins[0].ID
		if m, err = tx.CreateMethod(ctx, "shop1", f.items, Method{HTTPMethod: "POST",
			Backend: Backend{Type: BackendMock, Status: 201, Headers: map[string]string{"X-Id": "${request.id}"},
				Body: `{"ok":true}`}}); err != nil {
			return err
		}
		f.post = m.ID
		if m, err = tx.CreateMethod(ctx, "shop1", f.items, Method{HTTPMethod: "OPTIONS", ManagedBy: "cors",
			Backend: Backend{Type: BackendMock, Status: 204}}); err != nil {
			return err
		}
		f.options = m.ID
		p, err := tx.AddResourcePlugin(ctx, "shop1", f.item, PluginBinding{Type: "headers", Phase: PhaseResponse})
		if err != nil {
			return err
		}
		f.itemPlugin = p.ID
		if _, err := tx.CreateStage(ctx, Stage{ServiceID: "shop1", BackendURL: "https://api.example.com"}); err != nil {
			return err
		}
		if _, err := tx.CreateStage(ctx, Stage{ServiceID: "shop1", Name: "dev", BackendURL: "http://dev.local:8080/"}); err != nil {
			return err
		}
		if _, _, err := tx.ApplyResources(ctx, "shop1", "dev"); err != nil {
			return err
		}
		d, err := tx.Deploy(ctx, "shop1", "dev", "first", "alice", nil)
		if err != nil {
			return err
		}
		f.deployment = d.ID
		// Usage plans have no operations yet: connect one by hand, as their later implementation will.
		if _, err := tx.exec(ctx, `INSERT INTO usage_plans (name, quota_period, created_at, updated_at)
			VALUES ('gold', 'DAY', 'x', 'x')`); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO plan_stages (plan_id, stage_id, created_at)
			SELECT p.id, s.id, 'x' FROM usage_plans p, stages s WHERE p.name = 'gold' AND s.name = 'dev'`); err != nil {
			return err
		}
		if _, err := tx.CreateDomain(ctx, Domain{Host: "api.example.com", ServiceID: "shop1", StageName: "dev"}); err != nil {
			return err
		}
		svc, err := tx.GetService(ctx, "shop1")
		f.serviceVer = svc.Version
		if err != nil {
			return err
		}
		st, err := tx.GetStage(ctx, "shop1", "dev")
		f.stageVer = st.Version
		return err
	})
	return f
}
