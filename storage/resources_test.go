package storage

import (
	"context"
	"testing"
)

func paths(tree ResourceTree) []string {
	out := []string{}
	for _, r := range tree.Resources {
		out = append(out, r.Path)
	}
	return out
}

func TestServiceCRUD(t *testing.T) {
	s := openTest(t, testOptions())
	svc := do(t, s, func(ctx context.Context, tx *Tx) (Service, error) {
		return tx.CreateService(ctx, Service{Name: "orders", Description: "order API"})
	})
	if !serviceIDRE.MatchString(svc.ID) || len(svc.ID) != 8 {
		t.Fatalf("generated ID %q is not 8 characters of [a-z0-9]", svc.ID)
	}
	equal(t, svc.Version, int64(1), "new version")
	if svc.CreatedAt.Location().String() != "UTC" {
		t.Fatalf("CreatedAt %v is not UTC", svc.CreatedAt)
	}
	byName := get(t, s, func(ctx context.Context, tx *Tx) (Service, error) { return tx.GetService(ctx, "orders") })
	equal(t, byName, svc, "service by name")

	t.Run("update bumps version once", func(t *testing.T) {
		up := do(t, s, func(ctx context.Context, tx *Tx) (Service, error) {
			return tx.UpdateService(ctx, Service{ID: svc.ID, Name: "orders2"}, svc.Version)
		})
		equal(t, up.Version, int64(2), "version after update")
		equal(t, up.Name, "orders2", "name")
		same := do(t, s, func(ctx context.Context, tx *Tx) (Service, error) {
			return tx.UpdateService(ctx, Service{ID: svc.ID, Name: "orders2"}, up.Version)
		})
		equal(t, same, up, "an update that changes nothing")
		err := s.Update(context.Background(), func(tx *Tx) error {
			_, err := tx.UpdateService(ctx(), Service{ID: svc.ID, Name: "orders3"}, svc.Version)
			return err
		})
		wantError(t, err, KindStale, CodeVersionMismatch, "")
	})

	t.Run("delete cascades", func(t *testing.T) {
		update(t, s, func(ctx context.Context, tx *Tx) error {
			r, err := tx.CreateResource(ctx, svc.ID, "/a")
			if err != nil {
				return err
			}
			if _, err := tx.CreateMethod(ctx, svc.ID, r.ID, Method{HTTPMethod: "GET", Backend: mock(200)}); err != nil {
				return err
			}
			st, err := tx.CreateStage(ctx, Stage{ServiceID: svc.ID, Name: "dev", BackendURL: "http://b"})
			if err != nil {
				return err
			}
			if _, _, err := tx.ApplyResources(ctx, svc.ID, st.Name); err != nil {
				return err
			}
			if _, err := tx.Deploy(ctx, svc.ID, st.Name, "", "", nil); err != nil {
				return err
			}
			_, err = tx.CreateDomain(ctx, Domain{Host: "orders.example.com", ServiceID: svc.ID, StageName: "dev"})
			return err
		})
		update(t, s, func(ctx context.Context, tx *Tx) error { return tx.DeleteService(ctx, svc.ID, 0) })
		for _, table := range []string{"services", "resources", "methods", "stages", "deployments", "domains"} {
			n := get(t, s, func(ctx context.Context, tx *Tx) (int, error) {
				return tx.count(ctx, `SELECT COUNT(*) FROM `+table)
			})
			equal(t, n, 0, table+" rows after deleting the service")
		}
	})
}

func ctx() context.Context { return context.Background() }

func TestResourceTree(t *testing.T) {
	s := openTest(t, testOptions())
	update(t, s, func(ctx context.Context, tx *Tx) error {
		_, err := tx.CreateService(ctx, Service{ID: "svc1", Name: "svc"})
		return err
	})

	r := do(t, s, func(ctx context.Context, tx *Tx) (Resource, error) {
		return tx.CreateResource(ctx, "svc1", "/members/{memberId}/orders")
	})
	equal(t, r.Path, "/members/{memberId}/orders", "created path")
	tree := get(t, s, func(ctx context.Context, tx *Tx) (ResourceTree, error) { return tx.ResourceTree(ctx, "svc1") })
	equal(t, paths(tree), []string{"/", "/members", "/members/{memberId}", "/members/{memberId}/orders"},
		"ancestors created")

	t.Run("variable siblings of different kinds", func(t *testing.T) {
		update(t, s, func(ctx context.Context, tx *Tx) error {
			_, err := tx.CreateResource(ctx, "svc1", "/members/{rest+}")
			return err
		})
	})

	t.Run("methods and plugins", func(t *testing.T) {
		m := do(t, s, func(ctx context.Context, tx *Tx) (Method, error) {
			return tx.CreateMethod(ctx, "svc1", r.ID, Method{HTTPMethod: "post", Name: "order",
				Backend: Backend{Type: "HTTP", Path: "/m/${request.path.memberId}/o"}})
		})
		equal(t, m.HTTPMethod, "POST", "method upper-cased")
		equal(t, m.Backend.Type, BackendHTTP, "backend type lower-cased")
		p1 := do(t, s, func(ctx context.Context, tx *Tx) (PluginBinding, error) {
			return tx.AddMethodPlugin(ctx, "svc1", m.ID, PluginBinding{Type: "headers", Config: []byte(`{ "a" : 1 }`)})
		})
		equal(t, p1.Phase, PhaseRequest, "default phase")
		equal(t, string(p1.Config), `{"a":1}`, "compacted config")
		p2 := do(t, s, func(ctx context.Context, tx *Tx) (PluginBinding, error) {
			return tx.AddMethodPlugin(ctx, "svc1", m.ID, PluginBinding{Type: "cors"})
		})
		got := get(t, s, func(ctx context.Context, tx *Tx) (Method, error) { return tx.GetMethod(ctx, "svc1", m.ID) })
		equal(t, []int64{got.Plugins[0].ID, got.Plugins[1].ID}, []int64{p1.ID, p2.ID}, "plugin order")

		up := do(t, s, func(ctx context.Context, tx *Tx) (PluginBinding, error) {
			return tx.UpdatePlugin(ctx, "svc1", PluginBinding{ID: p1.ID, Phase: PhaseResponse, Config: []byte(`{"a":2}`)}, 1)
		})
		equal(t, up.Version, int64(2), "plugin version after update")
		equal(t, up.Type, "headers", "plugin type kept")

		um := do(t, s, func(ctx context.Context, tx *Tx) (Method, error) {
			return tx.UpdateMethod(ctx, "svc1", Method{ID: m.ID, Name: "renamed", Backend: mock(204)}, m.Version)
		})
		equal(t, um.Version, int64(2), "method version after update")
		equal(t, um.HTTPMethod, "POST", "method kept")
		equal(t, um.Backend, mock(204), "backend replaced")

		update(t, s, func(ctx context.Context, tx *Tx) error { return tx.DeletePlugin(ctx, "svc1", p2.ID, 1) })
		res := get(t, s, func(ctx context.Context, tx *Tx) (Resource, error) { return tx.GetResource(ctx, "svc1", r.ID) })
		equal(t, len(res.Methods), 1, "methods on the resource")
		equal(t, len(res.Methods[0].Plugins), 1, "plugins left on the method")
	})

	t.Run("subtree delete cascades", func(t *testing.T) {
		members := get(t, s, func(ctx context.Context, tx *Tx) (Resource, error) {
			return tx.FindResource(ctx, "svc1", "/members")
		})
		update(t, s, func(ctx context.Context, tx *Tx) error {
			if _, err := tx.CreateResource(ctx, "svc1", "/other"); err != nil {
				return err
			}
			return tx.DeleteResource(ctx, "svc1", members.ID, members.Version)
		})
		tree := get(t, s, func(ctx context.Context, tx *Tx) (ResourceTree, error) { return tx.ResourceTree(ctx, "svc1") })
		equal(t, paths(tree), []string{"/", "/other"}, "paths after deleting /members")
		for _, table := range []string{"methods", "plugin_bindings"} {
			n := get(t, s, func(ctx context.Context, tx *Tx) (int, error) {
				return tx.count(ctx, `SELECT COUNT(*) FROM `+table)
			})
			equal(t, n, 0, table+" left after the subtree delete")
		}
		root := get(t, s, func(ctx context.Context, tx *Tx) (Resource, error) { return tx.FindResource(ctx, "svc1", "/") })
		update(t, s, func(ctx context.Context, tx *Tx) error { return tx.DeleteResource(ctx, "svc1", root.ID, 0) })
		tree = get(t, s, func(ctx context.Context, tx *Tx) (ResourceTree, error) { return tx.ResourceTree(ctx, "svc1") })
		equal(t, paths(tree), []string{}, "paths after deleting /")
	})
}

func sampleTree() ResourceTree {
	return ResourceTree{Resources: []Resource{
		{Path: "/items/{id}", Plugins: []PluginBinding{{Type: "headers", Config: []byte(`{"x": 1}`)}},
			Methods: []Method{
				{HTTPMethod: "get", Backend: httpBackend("/items/${request.path.id}"),
					Plugins: []PluginBinding{{Type: "cors"}, {Type: "headers", Phase: PhaseResponse}}},
				{HTTPMethod: "DELETE", Backend: mock(204)},
			}},
		{Path: "/files/{path+}", Methods: []Method{{HTTPMethod: "ANY", Backend: httpBackend("/f/${request.path.path+}")}}},
	}}
}

func TestReplaceTree(t *testing.T) {
	s := openTest(t, testOptions())
	update(t, s, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.CreateService(ctx, Service{ID: "svc1", Name: "svc"}); err != nil {
			return err
		}
		_, err := tx.CreateResource(ctx, "svc1", "/old/path") // replaced away
		return err
	})
	readTree := func() ResourceTree {
		return get(t, s, func(ctx context.Context, tx *Tx) (ResourceTree, error) { return tx.ResourceTree(ctx, "svc1") })
	}
	replace := func(tree ResourceTree) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx *Tx) error { return tx.ReplaceTree(ctx, "svc1", tree) })
	}

	replace(sampleTree())
	first := readTree()
	equal(t, paths(first), []string{"/", "/files", "/files/{path+}", "/items", "/items/{id}"}, "paths")

	t.Run("idempotent", func(t *testing.T) {
		before := digest(t, s)
		replace(sampleTree())
		equal(t, readTree(), first, "tree after applying it again")
		if after := digest(t, s); after != before {
			t.Fatalf("applying the same tree again wrote to the database")
		}
	})

	t.Run("changes touch only what changed", func(t *testing.T) {
		tree := sampleTree()
		// A new plugin in front of the resource's plugin, a changed backend, a removed method and resource.
		tree.Resources[0].Plugins = append([]PluginBinding{{Type: "cors"}}, tree.Resources[0].Plugins...)
		tree.Resources[0].Methods[0].Backend = httpBackend("/v2/items/${request.path.id}")
		tree.Resources[0].Methods = tree.Resources[0].Methods[:1]
		tree.Resources = tree.Resources[:1]
		replace(tree)
		got := readTree()
		equal(t, paths(got), []string{"/", "/items", "/items/{id}"}, "paths")
		oldItem, newItem := first.Resources[4], got.Resources[2]
		equal(t, newItem.ID, oldItem.ID, "resource kept")
		equal(t, newItem.Plugins[1], oldItem.Plugins[0], "existing plugin kept as is behind the new one")
		equal(t, newItem.Plugins[0].Type, "cors", "new plugin first")
		equal(t, len(newItem.Methods), 1, "methods")
		oldGet, newGet := oldItem.Methods[1], newItem.Methods[0] // sorted: DELETE, GET
		equal(t, newGet.ID, oldGet.ID, "method kept")
		equal(t, newGet.Version, oldGet.Version+1, "changed method's version")
		equal(t, newGet.Plugins, oldGet.Plugins, "method plugins untouched")

		before := digest(t, s)
		replace(tree)
		if digest(t, s) != before {
			t.Fatalf("applying the changed tree again wrote to the database")
		}
	})

	t.Run("managed methods are replaced", func(t *testing.T) {
		update(t, s, func(ctx context.Context, tx *Tx) error {
			r, err := tx.FindResource(ctx, "svc1", "/items")
			if err != nil {
				return err
			}
			_, err = tx.CreateMethod(ctx, "svc1", r.ID, Method{HTTPMethod: "OPTIONS", ManagedBy: "cors", Backend: mock(204)})
			return err
		})
		replace(ResourceTree{Resources: []Resource{{Path: "/items"}}})
		equal(t, paths(readTree()), []string{"/", "/items"}, "paths")
		equal(t, readTree().Resources[1].Methods, []Method(nil), "methods of /items")
	})
}
