package storage

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
)

func TestStagesAndDeployments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portico.db")
	s := openAt(t, path, testOptions())
	var getID int64
	update(t, s, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.CreateService(ctx, Service{ID: "svc1", Name: "svc"}); err != nil {
			return err
		}
		r, err := tx.CreateResource(ctx, "svc1", "/a")
		if err != nil {
			return err
		}
		m, err := tx.CreateMethod(ctx, "svc1", r.ID, Method{HTTPMethod: "GET", Backend: httpBackend("/a")})
		getID = m.ID
		return err
	})
	st := do(t, s, func(ctx context.Context, tx *Tx) (Stage, error) {
		return tx.CreateStage(ctx, Stage{ServiceID: "svc1", Name: "prod", BackendURL: "https://api.example.com/base/",
			Settings: StageSettings{"/": {Settings: Settings{IPACL: json.RawMessage(`{ "allow": ["10.0.0.0/8"] }`)}}}})
	})
	equal(t, st.BackendURL, "https://api.example.com/base", "trailing slash trimmed")
	equal(t, string(st.Settings["/"].IPACL), `{"allow":["10.0.0.0/8"]}`, "settings stored compacted")
	if st.Resources != nil || st.ResourcesAppliedAt != nil {
		t.Fatalf("a new stage has no resources: %+v", st)
	}
	apply := func() (Stage, bool) {
		var out Stage
		var changed bool
		update(t, s, func(ctx context.Context, tx *Tx) error {
			var err error
			out, changed, err = tx.ApplyResources(ctx, "svc1", "prod")
			return err
		})
		return out, changed
	}
	deploy := func(desc string) Deployment {
		return do(t, s, func(ctx context.Context, tx *Tx) (Deployment, error) {
			return tx.Deploy(ctx, "svc1", "prod", desc, "alice", nil)
		})
	}
	history := func() []Deployment {
		return get(t, s, func(ctx context.Context, tx *Tx) ([]Deployment, error) {
			return tx.ListDeployments(ctx, "svc1", "prod")
		})
	}

	t.Run("apply resources", func(t *testing.T) {
		applied, changed := apply()
		equal(t, changed, true, "first apply changes")
		equal(t, paths(*applied.Resources), []string{"/", "/a"}, "applied paths")
		before := digest(t, s)
		again, changed := apply()
		equal(t, changed, false, "second apply changes")
		equal(t, again, applied, "stage after an unchanged apply")
		equal(t, digest(t, s), before, "database after an unchanged apply")
	})

	var d1, d2 Deployment
	t.Run("failing check writes nothing", func(t *testing.T) {
		before := digest(t, s)
		refused := errors.New("route GET /a: plugin config: bad")
		var seen Snapshot
		err := s.Update(context.Background(), func(tx *Tx) error {
			_, err := tx.Deploy(context.Background(), "svc1", "prod", "", "", func(snap Snapshot) error {
				seen = snap
				return refused
			})
			return err
		})
		if err != refused {
			t.Fatalf("Deploy returned %v, want the check's error unchanged", err)
		}
		equal(t, seen.BackendURL, "https://api.example.com/base", "snapshot backend URL given to check")
		equal(t, paths(seen.Resources), []string{"/", "/a"}, "snapshot resources given to check")
		equal(t, digest(t, s), before, "database after a refused deploy")
	})

	t.Run("deploy writes history", func(t *testing.T) {
		d1 = deploy("first")
		equal(t, d1.Status, DeploymentSucceeded, "status")
		equal(t, d1.Deployed && d1.Base, true, "first deployment is deployed and base")
		equal(t, d1.Snapshot.StageName, "prod", "snapshot stage")
		equal(t, string(d1.Snapshot.Settings["/"].IPACL), `{"allow":["10.0.0.0/8"]}`, "snapshot settings")

		// Change the method and the stage, apply, deploy again.
		update(t, s, func(ctx context.Context, tx *Tx) error {
			if _, err := tx.UpdateMethod(ctx, "svc1", Method{ID: getID, Backend: httpBackend("/b")}, 0); err != nil {
				return err
			}
			_, err := tx.UpdateStage(ctx, Stage{ServiceID: "svc1", Name: "prod", BackendURL: "https://v2.example.com"}, 0)
			return err
		})
		if _, changed := apply(); !changed {
			t.Fatal("apply after a method change did not change the stage")
		}
		d2 = deploy("second")
		h := history()
		equal(t, len(h), 2, "history length")
		equal(t, []int64{h[0].ID, h[1].ID}, []int64{d2.ID, d1.ID}, "newest first")
		equal(t, []bool{h[0].Deployed, h[1].Deployed, h[0].Base, h[1].Base}, []bool{true, false, true, false},
			"deployed and base flags")
		if h[0].Snapshot != nil {
			t.Fatal("history carries snapshots")
		}
	})

	t.Run("rollback restores the old state", func(t *testing.T) {
		st := do(t, s, func(ctx context.Context, tx *Tx) (Stage, error) { return tx.Rollback(ctx, "svc1", "prod", d1.ID) })
		equal(t, *st.Resources, d1.Snapshot.Resources, "resources after rollback")
		equal(t, st.BackendURL, "https://api.example.com/base", "backend URL after rollback")
		equal(t, st.Settings, d1.Snapshot.Settings, "settings after rollback")
		equal(t, *st.BaseDeploymentID, d1.ID, "base")
		equal(t, *st.DeployedDeploymentID, d2.ID, "deployed is unchanged until a deploy")
		h := history()
		equal(t, []bool{h[0].Deployed, h[0].Base, h[1].Deployed, h[1].Base}, []bool{true, false, false, true},
			"flags after rollback")
	})

	t.Run("delete deployments", func(t *testing.T) {
		err := s.Update(context.Background(), func(tx *Tx) error {
			return tx.DeleteDeployment(context.Background(), "svc1", "prod", d2.ID)
		})
		wantError(t, err, KindConflict, CodeInUse, "")
		update(t, s, func(ctx context.Context, tx *Tx) error { return tx.DeleteDeployment(ctx, "svc1", "prod", d1.ID) })
		st := get(t, s, func(ctx context.Context, tx *Tx) (Stage, error) { return tx.GetStage(ctx, "svc1", "prod") })
		if st.BaseDeploymentID != nil {
			t.Fatalf("base is %d after deleting the base deployment", *st.BaseDeploymentID)
		}
		equal(t, len(history()), 1, "history length")
	})

	t.Run("restart keeps the live deployment", func(t *testing.T) {
		noErr(t, s.Close())
		s2 := openAt(t, path, testOptions())
		live := get(t, s2, func(ctx context.Context, tx *Tx) ([]Deployment, error) { return tx.LiveDeployments(ctx) })
		equal(t, len(live), 1, "live deployments")
		equal(t, live[0].ID, d2.ID, "live deployment")
		equal(t, *live[0].Snapshot, *d2.Snapshot, "live snapshot")
		equal(t, live[0].Snapshot.Resources.Resources[1].Methods[0].Backend.Path, "/b", "live backend path")
	})
}

func TestStageDefaultAlias(t *testing.T) {
	s := openTest(t, testOptions())
	update(t, s, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.CreateService(ctx, Service{ID: "svc1", Name: "svc"}); err != nil {
			return err
		}
		r, err := tx.CreateResource(ctx, "svc1", "/")
		if err != nil {
			return err
		}
		if _, err := tx.CreateMethod(ctx, "svc1", r.ID, Method{HTTPMethod: "GET", Backend: mock(200)}); err != nil {
			return err
		}
		_, err = tx.CreateStage(ctx, Stage{ServiceID: "svc1", BackendURL: "http://b.local"})
		return err
	})
	st := get(t, s, func(ctx context.Context, tx *Tx) (Stage, error) { return tx.GetStage(ctx, "svc1", "default") })
	equal(t, st.Name, "", "the default stage's name")
	up := do(t, s, func(ctx context.Context, tx *Tx) (Stage, error) {
		return tx.UpdateStage(ctx, Stage{ServiceID: "svc1", Name: "default", Description: "main",
			BackendURL: "http://b.local"}, st.Version)
	})
	equal(t, up.Version, st.Version+1, "version after update")
	same := do(t, s, func(ctx context.Context, tx *Tx) (Stage, error) {
		return tx.UpdateStage(ctx, Stage{ServiceID: "svc1", Name: "", Description: "main",
			BackendURL: "http://b.local/"}, up.Version)
	})
	equal(t, same.Version, up.Version, "version after an update that changes nothing")
	d := do(t, s, func(ctx context.Context, tx *Tx) (Domain, error) {
		return tx.CreateDomain(ctx, Domain{Host: "Shop.Example.com.", ServiceID: "svc1", StageName: "default", BasePath: "/v1/"})
	})
	equal(t, d, Domain{Host: "shop.example.com", ServiceID: "svc1", StageName: "", BasePath: "/v1", Version: 1,
		CreatedAt: d.CreatedAt}, "domain normalised")
	update(t, s, func(ctx context.Context, tx *Tx) error { return tx.DeleteStage(ctx, "svc1", "default", 0) })
	ds := get(t, s, func(ctx context.Context, tx *Tx) ([]Domain, error) { return tx.ListDomains(ctx) })
	equal(t, len(ds), 0, "domains of a deleted stage")
}
