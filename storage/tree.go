package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
)

// wantResource is one resource of a tree being applied, validated and normalised.
type wantResource struct {
	path    string
	origin  int // index in the input tree, for error fields; that of the first descendant for added ancestors
	methods []Method
	plugins []PluginBinding
}

// ReplaceTree makes the service's tree equal to tree (used by declarative apply and Swagger import). Resources are
// matched by path, methods by HTTP method, plugins by order and type; IDs, versions and the input's ID/version fields
// are ignored. Rows that do not change are not written, so applying the same tree twice changes no version. Missing
// ancestors are added without methods. Everything is validated as the single operations do, except that a plugin-
// managed method may be replaced or removed here.
func (tx *Tx) ReplaceTree(ctx context.Context, serviceID string, tree ResourceTree) error {
	return tx.atomic(ctx, func() error {
		if err := tx.requireService(ctx, serviceID); err != nil {
			return err
		}
		want, order, err := tx.normalizeTree(tree)
		if err != nil {
			return err
		}
		total := 0
		for _, w := range want {
			total += len(w.methods)
		}
		if err := tx.checkMethodLimit(ctx, serviceID, 0, total); err != nil {
			return err
		}
		current, err := tx.ResourceTree(ctx, serviceID)
		if err != nil {
			return err
		}
		have := make(map[string]Resource, len(current.Resources))
		for _, r := range current.Resources {
			have[r.Path] = r
		}
		// Delete what goes away first: a parent before its children (sorted), whose rows cascade.
		for _, r := range current.Resources {
			if _, ok := want[r.Path]; !ok {
				if _, err := tx.exec(ctx, `DELETE FROM resources WHERE id = ?`, r.ID); err != nil {
					return fmt.Errorf("storage: delete resource %s: %w", r.Path, err)
				}
			}
		}
		ids := make(map[string]int64, len(want))
		for _, p := range order { // sorted: every parent comes before its children
			w := want[p]
			if old, ok := have[p]; ok {
				ids[p] = old.ID
				if err := tx.syncResource(ctx, serviceID, old, w); err != nil {
					return err
				}
				continue
			}
			var parent sql.NullInt64
			if pp := parentPath(p); pp != "" {
				parent = sql.NullInt64{Int64: ids[pp], Valid: true}
			}
			id, err := tx.insertResource(ctx, serviceID, parent, p)
			if err != nil {
				return err
			}
			ids[p] = id
			if err := tx.syncResource(ctx, serviceID, Resource{ID: id, Path: p}, w); err != nil {
				return err
			}
		}
		return nil
	})
}

// normalizeTree validates an input tree and returns it by path with ancestors added, and the paths sorted.
func (tx *Tx) normalizeTree(tree ResourceTree) (map[string]*wantResource, []string, error) {
	want := make(map[string]*wantResource, len(tree.Resources))
	for i, r := range tree.Resources {
		prefix := fmt.Sprintf("resources[%d]", i)
		scope, e := parseResourcePath("path", r.Path)
		if e != nil {
			return nil, nil, e.WithField(prefix)
		}
		if prev, ok := want[r.Path]; ok {
			return nil, nil, Invalid(prefix+".path", "%s is listed twice (also resources[%d])", r.Path, prev.origin)
		}
		w := &wantResource{path: r.Path, origin: i}
		for j, p := range r.Plugins {
			vp, e := validatePlugin(tx.s.opts.Plugins, r.Path, "", p)
			if e != nil {
				return nil, nil, e.WithField(fmt.Sprintf("%s.plugins[%d]", prefix, j))
			}
			w.plugins = append(w.plugins, vp)
		}
		seen := make(map[string]int, len(r.Methods))
		for j, m := range r.Methods {
			mprefix := fmt.Sprintf("%s.methods[%d]", prefix, j)
			vm, e := validateMethod(m, scope)
			if e != nil {
				return nil, nil, e.WithField(mprefix)
			}
			if k, ok := seen[vm.HTTPMethod]; ok {
				return nil, nil, Invalid(mprefix+".method", "method %s is listed twice on %s (also methods[%d])",
					vm.HTTPMethod, r.Path, k)
			}
			seen[vm.HTTPMethod] = j
			vm.Plugins = nil // replaced by the validated bindings
			for k, p := range m.Plugins {
				vp, e := validatePlugin(tx.s.opts.Plugins, r.Path, vm.HTTPMethod, p)
				if e != nil {
					return nil, nil, e.WithField(fmt.Sprintf("%s.plugins[%d]", mprefix, k))
				}
				vm.Plugins = append(vm.Plugins, vp)
			}
			w.methods = append(w.methods, vm)
		}
		want[r.Path] = w
	}
	// Add missing ancestors; they report errors under the resource that implied them.
	for i, r := range tree.Resources {
		for _, p := range pathChain(r.Path) {
			if _, ok := want[p]; !ok {
				want[p] = &wantResource{path: p, origin: i}
			}
		}
	}
	order := make([]string, 0, len(want))
	for p := range want {
		order = append(order, p)
	}
	sort.Strings(order)
	all := func(yield func(string) bool) {
		for _, p := range order {
			if !yield(p) {
				return
			}
		}
	}
	for _, p := range order {
		if other := siblingConflict(all, p); other != "" {
			return nil, nil, Invalid(fmt.Sprintf("resources[%d].path", want[p].origin), "%s", conflictMessage(p, other))
		}
	}
	return want, order, nil
}

// syncResource makes the methods and plugins of the stored resource have equal to w.
func (tx *Tx) syncResource(ctx context.Context, serviceID string, have Resource, w *wantResource) error {
	if err := tx.syncPlugins(ctx, serviceID, ownerResource, have.ID, have.Plugins, w.plugins); err != nil {
		return err
	}
	old := make(map[string]Method, len(have.Methods))
	for _, m := range have.Methods {
		old[m.HTTPMethod] = m
	}
	for _, m := range w.methods {
		cur, ok := old[m.HTTPMethod]
		if !ok {
			id, err := tx.insertMethod(ctx, serviceID, have.ID, m)
			if err != nil {
				return err
			}
			if err := tx.syncPlugins(ctx, serviceID, ownerMethod, id, nil, m.Plugins); err != nil {
				return err
			}
			continue
		}
		delete(old, m.HTTPMethod)
		if _, err := tx.updateMethodRow(ctx, cur, m); err != nil {
			return err
		}
		if err := tx.syncPlugins(ctx, serviceID, ownerMethod, cur.ID, cur.Plugins, m.Plugins); err != nil {
			return err
		}
	}
	for _, m := range old {
		if _, err := tx.exec(ctx, `DELETE FROM methods WHERE id = ?`, m.ID); err != nil {
			return fmt.Errorf("storage: delete method %d: %w", m.ID, err)
		}
	}
	return nil
}
