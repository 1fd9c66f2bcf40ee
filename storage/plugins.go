package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// pluginOwner names the column that owns a binding.
type pluginOwner string

const (
	ownerResource pluginOwner = "resource_id"
	ownerMethod   pluginOwner = "method_id"
)

const pluginColumns = `id, type, phase, override_children, config, version`

func scanPlugin(row interface{ Scan(...any) error }, extra ...any) (PluginBinding, error) {
	var p PluginBinding
	var config string
	dest := append(extra, &p.ID, &p.Type, &p.Phase, &p.OverrideChildren, &config, &p.Version)
	if err := row.Scan(dest...); err != nil {
		return p, err
	}
	if config != "" {
		p.Config = []byte(config)
	}
	return p, nil
}

// loadPlugins returns the bindings matching where, in order, grouped by owning resource and owning method.
func (tx *Tx) loadPlugins(ctx context.Context, where string, args ...any) (byResource, byMethod map[int64][]PluginBinding, err error) {
	rows, err := tx.query(ctx, `SELECT resource_id, method_id, `+pluginColumns+` FROM plugin_bindings
		WHERE `+where+` ORDER BY position, id`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: load plugins: %w", err)
	}
	defer rows.Close()
	byResource = make(map[int64][]PluginBinding)
	byMethod = make(map[int64][]PluginBinding)
	for rows.Next() {
		var res, meth sql.NullInt64
		p, err := scanPlugin(rows, &res, &meth)
		if err != nil {
			return nil, nil, fmt.Errorf("storage: load plugins: %w", err)
		}
		if res.Valid {
			byResource[res.Int64] = append(byResource[res.Int64], p)
		} else {
			byMethod[meth.Int64] = append(byMethod[meth.Int64], p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("storage: load plugins: %w", err)
	}
	return byResource, byMethod, nil
}

// insertPlugin writes a validated binding at position.
func (tx *Tx) insertPlugin(ctx context.Context, serviceID string, owner pluginOwner, ownerID int64, position int, p PluginBinding) (int64, error) {
	now := fmtTime(tx.s.now())
	return tx.insertID(ctx, "plugin "+p.Type, `INSERT INTO plugin_bindings (service_id, `+string(owner)+`, position,
		type, phase, override_children, config, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		serviceID, ownerID, position, p.Type, p.Phase, p.OverrideChildren, string(p.Config), now, now)
}

// appendPlugin validates p and adds it after the owner's other bindings.
func (tx *Tx) appendPlugin(ctx context.Context, serviceID string, owner pluginOwner, ownerID int64, p PluginBinding) (int64, error) {
	path, method, err := tx.ownerSite(ctx, owner, ownerID)
	if err != nil {
		return 0, err
	}
	p, e := validatePlugin(tx.s.opts.Plugins, path, method, p)
	if e != nil {
		return 0, e
	}
	next, err := tx.count(ctx, `SELECT COALESCE(MAX(position), -1) + 1 FROM plugin_bindings WHERE `+
		string(owner)+` = ?`, ownerID)
	if err != nil {
		return 0, err
	}
	return tx.insertPlugin(ctx, serviceID, owner, ownerID, next, p)
}

// AddResourcePlugin attaches a plugin to a resource path, after its existing plugins.
func (tx *Tx) AddResourcePlugin(ctx context.Context, serviceID string, resourceID int64, p PluginBinding) (PluginBinding, error) {
	var id int64
	err := tx.atomic(ctx, func() error {
		if _, err := tx.resourceRow(ctx, serviceID, `id = ?`, resourceID); err != nil {
			return err
		}
		var err error
		id, err = tx.appendPlugin(ctx, serviceID, ownerResource, resourceID, p)
		return err
	})
	if err != nil {
		return PluginBinding{}, err
	}
	return tx.GetPlugin(ctx, serviceID, id)
}

// AddMethodPlugin attaches a plugin to one method, after its existing plugins. A method managed by a plugin takes
// no plugins of its own.
func (tx *Tx) AddMethodPlugin(ctx context.Context, serviceID string, methodID int64, p PluginBinding) (PluginBinding, error) {
	var id int64
	err := tx.atomic(ctx, func() error {
		m, path, err := tx.methodRow(ctx, serviceID, methodID)
		if err != nil {
			return err
		}
		if m.ManagedBy != "" {
			return managedError(m, path)
		}
		id, err = tx.appendPlugin(ctx, serviceID, ownerMethod, methodID, p)
		return err
	})
	if err != nil {
		return PluginBinding{}, err
	}
	return tx.GetPlugin(ctx, serviceID, id)
}

// GetPlugin returns one plugin binding of the service.
func (tx *Tx) GetPlugin(ctx context.Context, serviceID string, id int64) (PluginBinding, error) {
	p, err := scanPlugin(tx.queryRow(ctx, `SELECT `+pluginColumns+` FROM plugin_bindings
		WHERE id = ? AND service_id = ?`, id, serviceID))
	if errors.Is(err, sql.ErrNoRows) {
		if err := tx.requireService(ctx, serviceID); err != nil {
			return p, err
		}
		return p, NotFound("plugin %d not found in service %q", id, serviceID)
	}
	if err != nil {
		return p, fmt.Errorf("storage: get plugin %d: %w", id, err)
	}
	return p, nil
}

// UpdatePlugin changes a binding's phase, overrideChildren and config; its type is fixed.
func (tx *Tx) UpdatePlugin(ctx context.Context, serviceID string, p PluginBinding, ifVersion int64) (PluginBinding, error) {
	err := tx.atomic(ctx, func() error {
		cur, err := tx.GetPlugin(ctx, serviceID, p.ID)
		if err != nil {
			return err
		}
		if err := checkVersion(fmt.Sprintf("plugin %d", cur.ID), cur.Version, ifVersion); err != nil {
			return err
		}
		if p.Type != "" && p.Type != cur.Type {
			return Invalid("type", "a plugin's type cannot change (%s): delete it and add a %s plugin", cur.Type, p.Type)
		}
		p.Type = cur.Type
		path, method, err := tx.bindingSite(ctx, cur.ID)
		if err != nil {
			return err
		}
		var e *Error
		if p, e = validatePlugin(tx.s.opts.Plugins, path, method, p); e != nil {
			return e
		}
		return tx.updatePluginRow(ctx, cur, p)
	})
	if err != nil {
		return PluginBinding{}, err
	}
	return tx.GetPlugin(ctx, serviceID, p.ID)
}

// updatePluginRow writes p's editable fields over cur, bumping the version, unless nothing changed.
func (tx *Tx) updatePluginRow(ctx context.Context, cur, p PluginBinding) error {
	if samePlugin(cur, p) {
		return nil
	}
	if _, err := tx.exec(ctx, `UPDATE plugin_bindings SET phase = ?, override_children = ?, config = ?,
		version = version + 1, updated_at = ? WHERE id = ?`, p.Phase, p.OverrideChildren, string(p.Config),
		fmtTime(tx.s.now()), cur.ID); err != nil {
		return fmt.Errorf("storage: update plugin %d: %w", cur.ID, err)
	}
	return nil
}

// samePlugin compares two normalised bindings (config compacted).
func samePlugin(a, b PluginBinding) bool {
	return a.Type == b.Type && a.Phase == b.Phase && a.OverrideChildren == b.OverrideChildren &&
		bytes.Equal(a.Config, b.Config)
}

// DeletePlugin removes a plugin binding.
func (tx *Tx) DeletePlugin(ctx context.Context, serviceID string, id int64, ifVersion int64) error {
	return tx.atomic(ctx, func() error {
		cur, err := tx.GetPlugin(ctx, serviceID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(fmt.Sprintf("plugin %d", cur.ID), cur.Version, ifVersion); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM plugin_bindings WHERE id = ?`, id); err != nil {
			return fmt.Errorf("storage: delete plugin %d: %w", id, err)
		}
		return nil
	})
}

// syncPlugins makes the bindings of one owner equal to want (validated), keeping the rows (IDs, versions) of
// bindings that are unchanged. Bindings are matched in order by type, preferring an identical one; positions are
// rewritten to 0..n-1 without bumping versions (order is the owner's property, not the binding's).
func (tx *Tx) syncPlugins(ctx context.Context, serviceID string, owner pluginOwner, ownerID int64, have, want []PluginBinding) error {
	used := make([]bool, len(have))
	ids := make([]int64, len(want))
	for i, w := range want {
		match := -1
		for j, h := range have {
			if used[j] || h.Type != w.Type {
				continue
			}
			if samePlugin(h, w) {
				match = j
				break
			}
			if match < 0 {
				match = j
			}
		}
		if match < 0 {
			id, err := tx.insertPlugin(ctx, serviceID, owner, ownerID, i, w)
			if err != nil {
				return err
			}
			ids[i] = id
			continue
		}
		used[match] = true
		ids[i] = have[match].ID
		if err := tx.updatePluginRow(ctx, have[match], w); err != nil {
			return err
		}
	}
	for j, h := range have {
		if !used[j] {
			if _, err := tx.exec(ctx, `DELETE FROM plugin_bindings WHERE id = ?`, h.ID); err != nil {
				return fmt.Errorf("storage: delete plugin %d: %w", h.ID, err)
			}
		}
	}
	for i, id := range ids {
		if _, err := tx.exec(ctx, `UPDATE plugin_bindings SET position = ? WHERE id = ? AND position != ?`,
			i, id, i); err != nil {
			return fmt.Errorf("storage: order plugins: %w", err)
		}
	}
	return nil
}

// ownerSite returns the resource path (and HTTP method, for a method) a binding owned by ownerID is attached to.
func (tx *Tx) ownerSite(ctx context.Context, owner pluginOwner, ownerID int64) (path, method string, err error) {
	if owner == ownerResource {
		err = tx.queryRow(ctx, `SELECT path FROM resources WHERE id = ?`, ownerID).Scan(&path)
	} else {
		err = tx.queryRow(ctx, `SELECT r.path, m.http_method FROM methods m JOIN resources r ON r.id = m.resource_id
			WHERE m.id = ?`, ownerID).Scan(&path, &method)
	}
	if err != nil {
		return "", "", fmt.Errorf("storage: find the owner of a plugin: %w", err)
	}
	return path, method, nil
}

// bindingSite returns where an existing binding is attached.
func (tx *Tx) bindingSite(ctx context.Context, id int64) (path, method string, err error) {
	var resID, methodID sql.NullInt64
	if err := tx.queryRow(ctx, `SELECT resource_id, method_id FROM plugin_bindings WHERE id = ?`, id).Scan(&resID,
		&methodID); err != nil {
		return "", "", fmt.Errorf("storage: find plugin %d: %w", id, err)
	}
	if resID.Valid {
		return tx.ownerSite(ctx, ownerResource, resID.Int64)
	}
	return tx.ownerSite(ctx, ownerMethod, methodID.Int64)
}
