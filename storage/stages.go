package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

const stageColumns = `id, service_id, name, description, backend_url, settings, resources, resources_applied_at,
	base_deployment_id, deployed_deployment_id, version, created_at, updated_at`

// stageColumnsNoTree selects the same columns without the applied tree, which lists do not need.
const stageColumnsNoTree = `id, service_id, name, description, backend_url, settings, NULL, resources_applied_at,
	base_deployment_id, deployed_deployment_id, version, created_at, updated_at`

func scanStage(row interface{ Scan(...any) error }) (Stage, error) {
	var st Stage
	var settings, created, updated string
	var resources, applied sql.NullString
	var base, deployed sql.NullInt64
	if err := row.Scan(&st.ID, &st.ServiceID, &st.Name, &st.Description, &st.BackendURL, &settings, &resources,
		&applied, &base, &deployed, &st.Version, &created, &updated); err != nil {
		return st, err
	}
	var err error
	if st.Settings, err = decodeSettings(settings); err != nil {
		return st, fmt.Errorf("storage: stage %d: %w", st.ID, err)
	}
	if resources.Valid {
		st.Resources = new(ResourceTree)
		if err := json.Unmarshal([]byte(resources.String), st.Resources); err != nil {
			return st, fmt.Errorf("storage: stage %d: bad stored resources: %w", st.ID, err)
		}
	}
	if st.ResourcesAppliedAt, err = parseNullTime(applied); err != nil {
		return st, err
	}
	st.BaseDeploymentID, st.DeployedDeploymentID = ptrInt(base), ptrInt(deployed)
	if st.CreatedAt, err = parseTime(created); err != nil {
		return st, err
	}
	st.UpdatedAt, err = parseTime(updated)
	return st, err
}

func decodeSettings(s string) (StageSettings, error) {
	var out StageSettings
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("bad stored settings: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func encodeSettings(s StageSettings) (string, error) {
	if len(s) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("storage: encode settings: %w", err)
	}
	return string(b), nil
}

// stageRow returns a stage by service and name ("default" is accepted for the default stage).
func (tx *Tx) stageRow(ctx context.Context, serviceID, name string) (Stage, error) {
	name = stageKey(name)
	st, err := scanStage(tx.queryRow(ctx, `SELECT `+stageColumns+` FROM stages WHERE service_id = ? AND name = ?`,
		serviceID, name))
	if errors.Is(err, sql.ErrNoRows) {
		if err := tx.requireService(ctx, serviceID); err != nil {
			return st, err
		}
		return st, NotFound("stage %s not found in service %q", stageLabel(name), serviceID)
	}
	if err != nil {
		return st, fmt.Errorf("storage: get stage %s: %w", stageLabel(name), err)
	}
	return st, nil
}

// stageInput validates the editable fields of a stage and returns them normalised.
func stageInput(st Stage) (Stage, *Error) {
	var e *Error
	if e = checkDescription("description", st.Description); e != nil {
		return st, e
	}
	if st.BackendURL, e = normalizeBackendURL("backendUrl", st.BackendURL); e != nil {
		return st, e
	}
	if st.Settings, e = validateSettings(st.Settings); e != nil {
		return st, e
	}
	return st, nil
}

// CreateStage creates a stage. The service must have at least one method (the seed's rule).
func (tx *Tx) CreateStage(ctx context.Context, st Stage) (Stage, error) {
	var out Stage
	err := tx.atomic(ctx, func() error {
		if err := tx.requireService(ctx, st.ServiceID); err != nil {
			return err
		}
		if e := checkStageName(st.Name); e != nil {
			return e
		}
		var e *Error
		if st, e = stageInput(st); e != nil {
			return e
		}
		methods, err := tx.count(ctx, `SELECT COUNT(*) FROM methods WHERE service_id = ?`, st.ServiceID)
		if err != nil {
			return err
		}
		if methods == 0 {
			return Conflict(CodeNoMethods, "create a method before the first stage: a stage serves the service's methods")
		}
		n, err := tx.count(ctx, `SELECT COUNT(*) FROM stages WHERE service_id = ? AND name = ?`, st.ServiceID, st.Name)
		if err != nil {
			return err
		}
		if n > 0 {
			return conflictOn("name", CodeAlreadyExists, "stage %s already exists in service %q",
				stageLabel(st.Name), st.ServiceID)
		}
		if max := tx.s.limits.MaxStagesPerService; max >= 0 {
			n, err := tx.count(ctx, `SELECT COUNT(*) FROM stages WHERE service_id = ?`, st.ServiceID)
			if err != nil {
				return err
			}
			if n >= max {
				return Limit("service %q already has %d stages, the limit; delete one first", st.ServiceID, n)
			}
		}
		settings, err := encodeSettings(st.Settings)
		if err != nil {
			return err
		}
		now := fmtTime(tx.s.now())
		if _, err := tx.exec(ctx, `INSERT INTO stages (service_id, name, description, backend_url, settings,
			version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
			st.ServiceID, st.Name, st.Description, st.BackendURL, settings, now, now); err != nil {
			return fmt.Errorf("storage: insert stage: %w", err)
		}
		out, err = tx.stageRow(ctx, st.ServiceID, st.Name)
		return err
	})
	return out, err
}

// GetStage returns a stage with its settings and applied resources.
func (tx *Tx) GetStage(ctx context.Context, serviceID, name string) (Stage, error) {
	return tx.stageRow(ctx, serviceID, name)
}

// ListStages returns the stages of a service by name, the default stage first. Resources (the applied tree) is
// left nil to keep lists small; ResourcesAppliedAt says whether and when resources were applied.
func (tx *Tx) ListStages(ctx context.Context, serviceID string) ([]Stage, error) {
	if err := tx.requireService(ctx, serviceID); err != nil {
		return nil, err
	}
	rows, err := tx.query(ctx, `SELECT `+stageColumnsNoTree+` FROM stages WHERE service_id = ? ORDER BY name`,
		serviceID)
	if err != nil {
		return nil, fmt.Errorf("storage: list stages: %w", err)
	}
	defer rows.Close()
	out := []Stage{}
	for rows.Next() {
		st, err := scanStage(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list stages: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list stages: %w", err)
	}
	return out, nil
}

// UpdateStage changes a stage's description, backend URL and settings (the name is fixed). The change is live only
// after a deploy. Nothing is written when nothing changed.
func (tx *Tx) UpdateStage(ctx context.Context, st Stage, ifVersion int64) (Stage, error) {
	var out Stage
	err := tx.atomic(ctx, func() error {
		cur, err := tx.stageRow(ctx, st.ServiceID, st.Name)
		if err != nil {
			return err
		}
		if err := checkVersion("stage "+stageLabel(cur.Name), cur.Version, ifVersion); err != nil {
			return err
		}
		var e *Error
		if st, e = stageInput(st); e != nil {
			return e
		}
		settings, err := encodeSettings(st.Settings)
		if err != nil {
			return err
		}
		curSettings, err := encodeSettings(cur.Settings)
		if err != nil {
			return err
		}
		if st.Description == cur.Description && st.BackendURL == cur.BackendURL && settings == curSettings {
			out = cur
			return nil
		}
		if _, err := tx.exec(ctx, `UPDATE stages SET description = ?, backend_url = ?, settings = ?,
			version = version + 1, updated_at = ? WHERE id = ?`, st.Description, st.BackendURL, settings,
			fmtTime(tx.s.now()), cur.ID); err != nil {
			return fmt.Errorf("storage: update stage %s: %w", stageLabel(cur.Name), err)
		}
		out, err = tx.stageRow(ctx, cur.ServiceID, cur.Name)
		return err
	})
	return out, err
}

// DeleteStage deletes a stage with its deployment history and custom domains, unless a usage plan is connected to
// it (the seed's rule): then a 409 names the plan.
func (tx *Tx) DeleteStage(ctx context.Context, serviceID, name string, ifVersion int64) error {
	return tx.atomic(ctx, func() error {
		cur, err := tx.stageRow(ctx, serviceID, name)
		if err != nil {
			return err
		}
		if err := checkVersion("stage "+stageLabel(cur.Name), cur.Version, ifVersion); err != nil {
			return err
		}
		var plan string
		err = tx.queryRow(ctx, `SELECT p.name FROM plan_stages ps JOIN usage_plans p ON p.id = ps.plan_id
			WHERE ps.stage_id = ? ORDER BY p.name LIMIT 1`, cur.ID).Scan(&plan)
		switch {
		case err == nil:
			return Conflict(CodeInUse, "stage %s is connected to usage plan %q: disconnect it from the plan first",
				stageLabel(cur.Name), plan)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("storage: delete stage %s: %w", stageLabel(cur.Name), err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM stages WHERE id = ?`, cur.ID); err != nil {
			return fmt.Errorf("storage: delete stage %s: %w", stageLabel(cur.Name), err)
		}
		return nil
	})
}

// ApplyResources copies the service's current resource tree into the stage. It reports false, and writes nothing,
// when the stage already has an identical tree (the console disables the button then).
func (tx *Tx) ApplyResources(ctx context.Context, serviceID, stageName string) (Stage, bool, error) {
	var out Stage
	changed := false
	err := tx.atomic(ctx, func() error {
		cur, err := tx.stageRow(ctx, serviceID, stageName)
		if err != nil {
			return err
		}
		tree, err := tx.ResourceTree(ctx, serviceID)
		if err != nil {
			return err
		}
		b, err := json.Marshal(tree)
		if err != nil {
			return fmt.Errorf("storage: encode resources: %w", err)
		}
		if cur.Resources != nil {
			if old, err := json.Marshal(cur.Resources); err == nil && string(old) == string(b) {
				out = cur
				return nil
			}
		}
		now := fmtTime(tx.s.now())
		if _, err := tx.exec(ctx, `UPDATE stages SET resources = ?, resources_applied_at = ?, version = version + 1,
			updated_at = ? WHERE id = ?`, string(b), now, now, cur.ID); err != nil {
			return fmt.Errorf("storage: apply resources to stage %s: %w", stageLabel(cur.Name), err)
		}
		changed = true
		out, err = tx.stageRow(ctx, serviceID, cur.Name)
		return err
	})
	return out, changed, err
}
