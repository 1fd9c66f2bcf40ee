package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

const methodColumns = `id, resource_id, http_method, name, description, backend, managed_by, version`

func scanMethod(row interface{ Scan(...any) error }) (Method, error) {
	var m Method
	var backend string
	if err := row.Scan(&m.ID, &m.ResourceID, &m.HTTPMethod, &m.Name, &m.Description, &backend, &m.ManagedBy,
		&m.Version); err != nil {
		return m, err
	}
	if err := json.Unmarshal([]byte(backend), &m.Backend); err != nil {
		return m, fmt.Errorf("storage: method %d: bad stored backend: %w", m.ID, err)
	}
	return m, nil
}

// loadMethods returns the methods matching where, grouped by resource ID and sorted by HTTP method. Plugins are
// not filled.
func (tx *Tx) loadMethods(ctx context.Context, where string, args ...any) (map[int64][]Method, error) {
	rows, err := tx.query(ctx, `SELECT `+methodColumns+` FROM methods WHERE `+where+
		` ORDER BY resource_id, http_method`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: load methods: %w", err)
	}
	defer rows.Close()
	out := make(map[int64][]Method)
	for rows.Next() {
		m, err := scanMethod(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: load methods: %w", err)
		}
		out[m.ResourceID] = append(out[m.ResourceID], m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: load methods: %w", err)
	}
	return out, nil
}

// methodRow returns a method of the service with the path of its resource.
func (tx *Tx) methodRow(ctx context.Context, serviceID string, id int64) (Method, string, error) {
	var path string
	var m Method
	var backend string
	err := tx.queryRow(ctx, `SELECT m.id, m.resource_id, m.http_method, m.name, m.description, m.backend,
		m.managed_by, m.version, r.path FROM methods m JOIN resources r ON r.id = m.resource_id
		WHERE m.id = ? AND m.service_id = ?`, id, serviceID).Scan(&m.ID, &m.ResourceID, &m.HTTPMethod, &m.Name,
		&m.Description, &backend, &m.ManagedBy, &m.Version, &path)
	if errors.Is(err, sql.ErrNoRows) {
		if err := tx.requireService(ctx, serviceID); err != nil {
			return m, "", err
		}
		return m, "", NotFound("method %d not found in service %q", id, serviceID)
	}
	if err != nil {
		return m, "", fmt.Errorf("storage: get method %d: %w", id, err)
	}
	if err := json.Unmarshal([]byte(backend), &m.Backend); err != nil {
		return m, "", fmt.Errorf("storage: method %d: bad stored backend: %w", m.ID, err)
	}
	return m, path, nil
}

// GetMethod returns a method with its plugins.
func (tx *Tx) GetMethod(ctx context.Context, serviceID string, id int64) (Method, error) {
	m, _, err := tx.methodRow(ctx, serviceID, id)
	if err != nil {
		return m, err
	}
	_, byMethod, err := tx.loadPlugins(ctx, `method_id = ?`, id)
	if err != nil {
		return m, err
	}
	m.Plugins = byMethod[id]
	return m, nil
}

// checkMethodLimit refuses adding n methods to a service that would then exceed MaxMethodsPerService.
func (tx *Tx) checkMethodLimit(ctx context.Context, serviceID string, have, adding int) error {
	max := tx.s.limits.MaxMethodsPerService
	if max < 0 {
		return nil
	}
	if have < 0 {
		var err error
		if have, err = tx.count(ctx, `SELECT COUNT(*) FROM methods WHERE service_id = ?`, serviceID); err != nil {
			return err
		}
	}
	if have+adding > max {
		return Limit("a service holds at most %d methods over all its paths; this would make %d", max, have+adding)
	}
	return nil
}

// CreateMethod adds a method to a resource. Plugins given in m are added to it, in order.
func (tx *Tx) CreateMethod(ctx context.Context, serviceID string, resourceID int64, m Method) (Method, error) {
	var id int64
	err := tx.atomic(ctx, func() error {
		r, err := tx.resourceRow(ctx, serviceID, `id = ?`, resourceID)
		if err != nil {
			return err
		}
		scope, e := parseResourcePath("path", r.Path)
		if e != nil {
			return e
		}
		if m, e = validateMethod(m, scope); e != nil {
			return e
		}
		plugins := make([]PluginBinding, len(m.Plugins))
		for i, p := range m.Plugins {
			if plugins[i], e = validatePlugin(tx.s.opts.Plugins, r.Path, m.HTTPMethod, p); e != nil {
				return e.WithField(fmt.Sprintf("plugins[%d]", i))
			}
		}
		n, err := tx.count(ctx, `SELECT COUNT(*) FROM methods WHERE resource_id = ? AND http_method = ?`,
			r.ID, m.HTTPMethod)
		if err != nil {
			return err
		}
		if n > 0 {
			return conflictOn("method", CodeAlreadyExists, "method %s already exists on %s", m.HTTPMethod, r.Path)
		}
		if err := tx.checkMethodLimit(ctx, serviceID, -1, 1); err != nil {
			return err
		}
		if id, err = tx.insertMethod(ctx, serviceID, r.ID, m); err != nil {
			return err
		}
		for i, p := range plugins {
			if _, err := tx.insertPlugin(ctx, serviceID, ownerMethod, id, i, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Method{}, err
	}
	return tx.GetMethod(ctx, serviceID, id)
}

// insertMethod writes a validated method.
func (tx *Tx) insertMethod(ctx context.Context, serviceID string, resourceID int64, m Method) (int64, error) {
	backend, err := json.Marshal(m.Backend)
	if err != nil {
		return 0, fmt.Errorf("storage: encode backend: %w", err)
	}
	now := fmtTime(tx.s.now())
	return tx.insertID(ctx, "method "+m.HTTPMethod, `INSERT INTO methods (service_id, resource_id, http_method,
		name, description, backend, managed_by, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		serviceID, resourceID, m.HTTPMethod, m.Name, m.Description, string(backend), m.ManagedBy, now, now)
}

// updateMethodRow writes m's editable fields over the stored method cur and bumps its version, unless nothing
// changed. It reports whether it wrote.
func (tx *Tx) updateMethodRow(ctx context.Context, cur, m Method) (bool, error) {
	if sameMethod(cur, m) {
		return false, nil
	}
	backend, err := json.Marshal(m.Backend)
	if err != nil {
		return false, fmt.Errorf("storage: encode backend: %w", err)
	}
	if _, err := tx.exec(ctx, `UPDATE methods SET name = ?, description = ?, backend = ?, managed_by = ?,
		version = version + 1, updated_at = ? WHERE id = ?`, m.Name, m.Description, string(backend), m.ManagedBy,
		fmtTime(tx.s.now()), cur.ID); err != nil {
		return false, fmt.Errorf("storage: update method %d: %w", cur.ID, err)
	}
	return true, nil
}

// sameMethod compares the stored fields of two normalised methods (not plugins).
func sameMethod(a, b Method) bool {
	if a.HTTPMethod != b.HTTPMethod || a.Name != b.Name || a.Description != b.Description || a.ManagedBy != b.ManagedBy {
		return false
	}
	ab, err1 := json.Marshal(a.Backend)
	bb, err2 := json.Marshal(b.Backend)
	return err1 == nil && err2 == nil && string(ab) == string(bb)
}

func managedError(m Method, path string) *Error {
	return Conflict(CodeManaged, "method %s on %s is managed by the %s plugin: change or remove the plugin instead",
		m.HTTPMethod, path, m.ManagedBy)
}

// UpdateMethod changes a method's name, description and backend. The HTTP method is immutable (delete and create
// again). Methods managed by a plugin cannot be changed.
func (tx *Tx) UpdateMethod(ctx context.Context, serviceID string, m Method, ifVersion int64) (Method, error) {
	err := tx.atomic(ctx, func() error {
		cur, path, err := tx.methodRow(ctx, serviceID, m.ID)
		if err != nil {
			return err
		}
		if cur.ManagedBy != "" {
			return managedError(cur, path)
		}
		if err := checkVersion(fmt.Sprintf("method %s %s", cur.HTTPMethod, path), cur.Version, ifVersion); err != nil {
			return err
		}
		if m.HTTPMethod != "" {
			hm, e := normalizeHTTPMethod("method", m.HTTPMethod)
			if e != nil {
				return e
			}
			if hm != cur.HTTPMethod {
				return Invalid("method", "the HTTP method of a method cannot change (%s): delete it and create %s",
					cur.HTTPMethod, hm)
			}
		}
		if m.ManagedBy != "" {
			return Invalid("managedBy", "only the plugin that creates a method can mark it managed")
		}
		m.HTTPMethod = cur.HTTPMethod
		scope, e := parseResourcePath("path", path)
		if e != nil {
			return e
		}
		if m, e = validateMethod(m, scope); e != nil {
			return e
		}
		_, err = tx.updateMethodRow(ctx, cur, m)
		return err
	})
	if err != nil {
		return Method{}, err
	}
	return tx.GetMethod(ctx, serviceID, m.ID)
}

// DeleteMethod deletes a method and its plugins. Methods managed by a plugin cannot be deleted.
func (tx *Tx) DeleteMethod(ctx context.Context, serviceID string, id int64, ifVersion int64) error {
	return tx.atomic(ctx, func() error {
		cur, path, err := tx.methodRow(ctx, serviceID, id)
		if err != nil {
			return err
		}
		if cur.ManagedBy != "" {
			return managedError(cur, path)
		}
		if err := checkVersion(fmt.Sprintf("method %s %s", cur.HTTPMethod, path), cur.Version, ifVersion); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM methods WHERE id = ?`, id); err != nil {
			return fmt.Errorf("storage: delete method %d: %w", id, err)
		}
		return nil
	})
}
