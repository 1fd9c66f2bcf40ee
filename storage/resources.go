package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// parentPath returns the path of p's parent: "/a/b" → "/a", "/a" → "/", "/" → "".
func parentPath(p string) string {
	if p == "/" {
		return ""
	}
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/"
	}
	return p[:i]
}

// pathChain returns "/" and every ancestor of p, root first, ending with p itself.
func pathChain(p string) []string {
	chain := []string{"/"}
	if p == "/" {
		return chain
	}
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			chain = append(chain, p[:i])
		}
	}
	return append(chain, p)
}

// lastVar returns the variable name of p's last segment and whether it is greedy; ok is false for a static segment.
func lastVar(p string) (name string, greedy, ok bool) {
	seg := p[strings.LastIndexByte(p, '/')+1:]
	if len(seg) < 3 || seg[0] != '{' || seg[len(seg)-1] != '}' {
		return "", false, false
	}
	name = seg[1 : len(seg)-1]
	if strings.HasSuffix(name, "+") {
		return name[:len(name)-1], true, true
	}
	return name, false, true
}

// siblingConflict returns a path among paths that the router could not tell apart from p: a sibling variable of
// the same kind with another name (/a/{id} and /a/{name}). {x} beside {y+} is fine: the single segment wins.
func siblingConflict(paths func(yield func(string) bool), p string) string {
	name, greedy, ok := lastVar(p)
	if !ok {
		return ""
	}
	parent := parentPath(p)
	for q := range paths {
		if q == p || parentPath(q) != parent {
			continue
		}
		if n, g, ok := lastVar(q); ok && g == greedy && n != name {
			return q
		}
	}
	return ""
}

func conflictMessage(p, other string) string {
	return fmt.Sprintf("%s conflicts with %s: a request cannot tell the two variables apart; "+
		"use the same variable name", p, other)
}

// CreateResource creates the resource at path, and its missing ancestors (without methods).
func (tx *Tx) CreateResource(ctx context.Context, serviceID, path string) (Resource, error) {
	var id int64
	err := tx.atomic(ctx, func() error {
		if err := tx.requireService(ctx, serviceID); err != nil {
			return err
		}
		if _, e := parseResourcePath("path", path); e != nil {
			return e
		}
		existing, err := tx.resourceIDs(ctx, serviceID)
		if err != nil {
			return err
		}
		if _, ok := existing[path]; ok {
			return conflictOn("path", CodeAlreadyExists, "resource %s already exists", path)
		}
		keys := func(yield func(string) bool) {
			for p := range existing {
				if !yield(p) {
					return
				}
			}
		}
		var parent sql.NullInt64
		for _, p := range pathChain(path) {
			if pid, ok := existing[p]; ok {
				parent = sql.NullInt64{Int64: pid, Valid: true}
				continue
			}
			if other := siblingConflict(keys, p); other != "" {
				return Invalid("path", "%s", conflictMessage(p, other))
			}
			if id, err = tx.insertResource(ctx, serviceID, parent, p); err != nil {
				return err
			}
			existing[p] = id
			parent = sql.NullInt64{Int64: id, Valid: true}
		}
		return nil
	})
	if err != nil {
		return Resource{}, err
	}
	return tx.GetResource(ctx, serviceID, id)
}

func (tx *Tx) insertResource(ctx context.Context, serviceID string, parent sql.NullInt64, path string) (int64, error) {
	now := fmtTime(tx.s.now())
	return tx.insertID(ctx, "resource "+path, `INSERT INTO resources
		(service_id, parent_id, path, version, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)`,
		serviceID, parent, path, now, now)
}

// resourceIDs maps every resource path of a service to its ID.
func (tx *Tx) resourceIDs(ctx context.Context, serviceID string) (map[string]int64, error) {
	rows, err := tx.query(ctx, `SELECT path, id FROM resources WHERE service_id = ?`, serviceID)
	if err != nil {
		return nil, fmt.Errorf("storage: list resource paths: %w", err)
	}
	defer rows.Close()
	m := make(map[string]int64)
	for rows.Next() {
		var p string
		var id int64
		if err := rows.Scan(&p, &id); err != nil {
			return nil, fmt.Errorf("storage: list resource paths: %w", err)
		}
		m[p] = id
	}
	return m, rows.Err()
}

const resourceColumns = `id, service_id, path, version`

func scanResource(row interface{ Scan(...any) error }) (Resource, error) {
	var r Resource
	err := row.Scan(&r.ID, &r.ServiceID, &r.Path, &r.Version)
	return r, err
}

// GetResource returns a resource with its methods (and their plugins) and its plugins.
func (tx *Tx) GetResource(ctx context.Context, serviceID string, id int64) (Resource, error) {
	r, err := tx.resourceRow(ctx, serviceID, `id = ?`, id)
	if err != nil {
		return r, err
	}
	return r, tx.fillResource(ctx, &r)
}

// FindResource returns the resource at path, like GetResource.
func (tx *Tx) FindResource(ctx context.Context, serviceID, path string) (Resource, error) {
	r, err := tx.resourceRow(ctx, serviceID, `path = ?`, path)
	if err != nil {
		return r, err
	}
	return r, tx.fillResource(ctx, &r)
}

func (tx *Tx) resourceRow(ctx context.Context, serviceID, where string, arg any) (Resource, error) {
	r, err := scanResource(tx.queryRow(ctx, `SELECT `+resourceColumns+` FROM resources
		WHERE service_id = ? AND `+where, serviceID, arg))
	if errors.Is(err, sql.ErrNoRows) {
		if err := tx.requireService(ctx, serviceID); err != nil {
			return r, err
		}
		return r, NotFound("resource %v not found in service %q", arg, serviceID)
	}
	if err != nil {
		return r, fmt.Errorf("storage: get resource %v: %w", arg, err)
	}
	return r, nil
}

func (tx *Tx) fillResource(ctx context.Context, r *Resource) error {
	methods, err := tx.loadMethods(ctx, `resource_id = ?`, r.ID)
	if err != nil {
		return err
	}
	byRes, byMethod, err := tx.loadPlugins(ctx,
		`resource_id = ?1 OR method_id IN (SELECT id FROM methods WHERE resource_id = ?1)`, r.ID)
	if err != nil {
		return err
	}
	r.Plugins = byRes[r.ID]
	r.Methods = methods[r.ID]
	for i := range r.Methods {
		r.Methods[i].Plugins = byMethod[r.Methods[i].ID]
	}
	return nil
}

// ResourceTree returns a service's whole tree: resources sorted by path, each with its methods (sorted by HTTP
// method) and plugins (in order).
func (tx *Tx) ResourceTree(ctx context.Context, serviceID string) (ResourceTree, error) {
	tree := ResourceTree{Resources: []Resource{}}
	if err := tx.requireService(ctx, serviceID); err != nil {
		return tree, err
	}
	rows, err := tx.query(ctx, `SELECT `+resourceColumns+` FROM resources WHERE service_id = ? ORDER BY path`,
		serviceID)
	if err != nil {
		return tree, fmt.Errorf("storage: resource tree: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return tree, fmt.Errorf("storage: resource tree: %w", err)
		}
		tree.Resources = append(tree.Resources, r)
	}
	if err := rows.Err(); err != nil {
		return tree, fmt.Errorf("storage: resource tree: %w", err)
	}
	methods, err := tx.loadMethods(ctx, `service_id = ?`, serviceID)
	if err != nil {
		return tree, err
	}
	byRes, byMethod, err := tx.loadPlugins(ctx, `service_id = ?`, serviceID)
	if err != nil {
		return tree, err
	}
	for i := range tree.Resources {
		r := &tree.Resources[i]
		r.Plugins = byRes[r.ID]
		r.Methods = methods[r.ID]
		for j := range r.Methods {
			r.Methods[j].Plugins = byMethod[r.Methods[j].ID]
		}
	}
	return tree, nil
}

// DeleteResource deletes a resource with its whole subtree, their methods and plugins. "/" is an ordinary resource:
// deleting it empties the tree.
func (tx *Tx) DeleteResource(ctx context.Context, serviceID string, id int64, ifVersion int64) error {
	return tx.atomic(ctx, func() error {
		r, err := tx.resourceRow(ctx, serviceID, `id = ?`, id)
		if err != nil {
			return err
		}
		if err := checkVersion("resource "+r.Path, r.Version, ifVersion); err != nil {
			return err
		}
		// parent_id ON DELETE CASCADE removes the subtree; methods and plugins cascade from their owners.
		if _, err := tx.exec(ctx, `DELETE FROM resources WHERE id = ?`, id); err != nil {
			return fmt.Errorf("storage: delete resource %s: %w", r.Path, err)
		}
		return nil
	})
}
