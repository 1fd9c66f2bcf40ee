package storage

import (
	"context"
	"testing"
)

func TestModules(t *testing.T) {
	s := openTest(t, Options{Plugins: fakePlugins{}, Now: fixedClock()})
	v1, v2 := []byte("\x00asm-one"), []byte("\x00asm-two")

	m1 := do(t, s, func(ctx context.Context, tx *Tx) (Module, error) {
		m, created, err := tx.PutModule(ctx, "add-header", v1)
		if err == nil && !created {
			t.Error("first upload not reported as new")
		}
		return m, err
	})
	again := do(t, s, func(ctx context.Context, tx *Tx) (Module, error) {
		m, created, err := tx.PutModule(ctx, "add-header", v1)
		if err == nil && created {
			t.Error("re-uploading the same bytes made a new version")
		}
		return m, err
	})
	equal(t, again.Digest, m1.Digest, "digest of the same bytes")
	m2 := do(t, s, func(ctx context.Context, tx *Tx) (Module, error) {
		m, _, err := tx.PutModule(ctx, "add-header", v2)
		return m, err
	})
	if m2.Digest == m1.Digest || len(m1.Digest) != 64 {
		t.Fatalf("digests %s %s", m1.Digest, m2.Digest)
	}
	latest := get(t, s, func(ctx context.Context, tx *Tx) (Module, error) { return tx.GetModule(ctx, "add-header") })
	equal(t, latest.Digest, m2.Digest, "newest version")
	list := get(t, s, func(ctx context.Context, tx *Tx) ([]Module, error) { return tx.ListModules(ctx) })
	equal(t, len(list), 1, "modules listed")
	b := get(t, s, func(ctx context.Context, tx *Tx) ([]byte, error) { return tx.ModuleBytes(ctx, "add-header", m1.Digest) })
	equal(t, string(b), string(v1), "old version's bytes")

	for _, tc := range []struct{ name, field string }{{"Bad Name", "name"}, {"", "name"}} {
		err := s.Update(context.Background(), func(tx *Tx) error { _, _, err := tx.PutModule(context.Background(), tc.name, v1); return err })
		wantError(t, err, KindInvalid, CodeInvalid, tc.field)
	}

	// A service that uses it pins it at deploy and blocks deletion.
	update(t, s, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.CreateService(ctx, Service{ID: "svc1", Name: "svc"}); err != nil {
			return err
		}
		r, err := tx.CreateResource(ctx, "svc1", "/x")
		if err != nil {
			return err
		}
		if _, err := tx.CreateMethod(ctx, "svc1", r.ID, Method{HTTPMethod: "GET", Backend: httpBackend("/x"),
			Plugins: []PluginBinding{{Type: PluginTypeWASM, Config: []byte(`{"module":"add-header"}`)}}}); err != nil {
			return err
		}
		if _, err := tx.CreateStage(ctx, Stage{ServiceID: "svc1", Name: "test", BackendURL: "http://127.0.0.1:1"}); err != nil {
			return err
		}
		if _, _, err := tx.ApplyResources(ctx, "svc1", "test"); err != nil {
			return err
		}
		d, err := tx.Deploy(ctx, "svc1", "test", "", "", nil)
		if err != nil {
			return err
		}
		full, err := tx.GetDeployment(ctx, "svc1", "test", d.ID)
		if err != nil {
			return err
		}
		if len(full.Snapshot.Modules) != 1 || full.Snapshot.Modules[0] != (ModuleRef{Name: "add-header", Digest: m2.Digest}) {
			t.Errorf("pinned modules %+v", full.Snapshot.Modules)
		}
		return nil
	})
	err := s.Update(context.Background(), func(tx *Tx) error { return tx.DeleteModule(context.Background(), "add-header") })
	wantError(t, err, KindConflict, CodeInUse, "")

	// A deploy naming a module that was never uploaded fails and records nothing.
	err = s.Update(context.Background(), func(tx *Tx) error {
		ctx := context.Background()
		r, err := tx.FindResource(ctx, "svc1", "/x")
		if err != nil {
			return err
		}
		if _, err := tx.AddResourcePlugin(ctx, "svc1", r.ID, PluginBinding{Type: PluginTypeWASM, Config: []byte(`{"module":"nope"}`)}); err != nil {
			return err
		}
		if _, _, err := tx.ApplyResources(ctx, "svc1", "test"); err != nil {
			return err
		}
		_, err = tx.Deploy(ctx, "svc1", "test", "", "", nil)
		return err
	})
	wantError(t, err, KindInvalid, CodeInvalid, "/x plugins.wasm.module")
}
