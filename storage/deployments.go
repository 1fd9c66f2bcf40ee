package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// deploymentSelect reads deployments with their stage, and whether the stage serves / is based on each.
const deploymentSelect = `SELECT d.id, d.stage_id, s.service_id, s.name, d.description, d.author, d.status,
	d.created_at, s.deployed_deployment_id IS d.id, s.base_deployment_id IS d.id, %s
	FROM deployments d JOIN stages s ON s.id = d.stage_id `

func scanDeployment(row interface{ Scan(...any) error }) (Deployment, error) {
	var d Deployment
	var created string
	var snapshot sql.NullString
	if err := row.Scan(&d.ID, &d.StageID, &d.ServiceID, &d.StageName, &d.Description, &d.Author, &d.Status,
		&created, &d.Deployed, &d.Base, &snapshot); err != nil {
		return d, err
	}
	var err error
	if d.CreatedAt, err = parseTime(created); err != nil {
		return d, err
	}
	if snapshot.Valid {
		d.Snapshot = new(Snapshot)
		if err := json.Unmarshal([]byte(snapshot.String), d.Snapshot); err != nil {
			return d, fmt.Errorf("storage: deployment %d: bad stored snapshot: %w", d.ID, err)
		}
	}
	return d, nil
}

func (tx *Tx) queryDeployments(ctx context.Context, withSnapshot bool, where string, args ...any) ([]Deployment, error) {
	col := "NULL"
	if withSnapshot {
		col = "d.snapshot"
	}
	rows, err := tx.query(ctx, fmt.Sprintf(deploymentSelect, col)+where, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list deployments: %w", err)
	}
	defer rows.Close()
	out := []Deployment{}
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list deployments: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list deployments: %w", err)
	}
	return out, nil
}

// Deploy snapshots the stage (applied resources, settings, backend URL) into a new deployment and makes it the
// stage's deployed and base deployment. check (may be nil) sees the snapshot first, typically the data-plane
// compiler; if it fails its error is returned unchanged and nothing is written.
func (tx *Tx) Deploy(ctx context.Context, serviceID, stageName, description, author string, check func(Snapshot) error) (Deployment, error) {
	var id int64
	err := tx.atomic(ctx, func() error {
		if e := checkDescription("description", description); e != nil {
			return e
		}
		if e := checkText("author", author, maxAuthorLen, false); e != nil {
			return e
		}
		st, err := tx.stageRow(ctx, serviceID, stageName)
		if err != nil {
			return err
		}
		if st.Resources == nil {
			return Conflict(CodeNotApplied, "stage %s has no resources yet: apply the service's resources to it "+
				"before deploying", stageLabel(st.Name))
		}
		snap := Snapshot{
			ServiceID:  st.ServiceID,
			StageName:  st.Name,
			BackendURL: st.BackendURL,
			Resources:  *st.Resources,
			Settings:   st.Settings,
		}
		if err := tx.pinModules(ctx, &snap); err != nil {
			return err
		}
		if check != nil {
			if err := check(snap); err != nil {
				return err
			}
		}
		b, err := json.Marshal(snap)
		if err != nil {
			return fmt.Errorf("storage: encode snapshot: %w", err)
		}
		now := fmtTime(tx.s.now())
		if id, err = tx.insertID(ctx, "deployment", `INSERT INTO deployments (stage_id, service_id, description,
			author, status, snapshot, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			st.ID, st.ServiceID, description, author, DeploymentSucceeded, string(b), now); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE stages SET base_deployment_id = ?1, deployed_deployment_id = ?1,
			version = version + 1, updated_at = ?2 WHERE id = ?3`, id, now, st.ID); err != nil {
			return fmt.Errorf("storage: deploy stage %s: %w", stageLabel(st.Name), err)
		}
		return nil
	})
	if err != nil {
		return Deployment{}, err
	}
	return tx.GetDeployment(ctx, serviceID, stageName, id)
}

// ListDeployments returns a stage's deployment history, newest first, without snapshots.
func (tx *Tx) ListDeployments(ctx context.Context, serviceID, stageName string) ([]Deployment, error) {
	st, err := tx.stageRow(ctx, serviceID, stageName)
	if err != nil {
		return nil, err
	}
	return tx.queryDeployments(ctx, false, `WHERE d.stage_id = ? ORDER BY d.id DESC`, st.ID)
}

// GetDeployment returns one deployment of a stage with its snapshot.
func (tx *Tx) GetDeployment(ctx context.Context, serviceID, stageName string, id int64) (Deployment, error) {
	st, err := tx.stageRow(ctx, serviceID, stageName)
	if err != nil {
		return Deployment{}, err
	}
	ds, err := tx.queryDeployments(ctx, true, `WHERE d.id = ? AND d.stage_id = ?`, id, st.ID)
	if err != nil {
		return Deployment{}, err
	}
	if len(ds) == 0 {
		return Deployment{}, NotFound("deployment %d not found in stage %s of service %q", id, stageLabel(st.Name),
			serviceID)
	}
	return ds[0], nil
}

// Rollback copies a deployment's resources, settings and backend URL back into the stage's editable state and makes
// it the stage's base. What the stage serves is unchanged until the next deploy.
func (tx *Tx) Rollback(ctx context.Context, serviceID, stageName string, deploymentID int64) (Stage, error) {
	var out Stage
	err := tx.atomic(ctx, func() error {
		d, err := tx.GetDeployment(ctx, serviceID, stageName, deploymentID)
		if err != nil {
			return err
		}
		snap := d.Snapshot
		tree, err := json.Marshal(snap.Resources)
		if err != nil {
			return fmt.Errorf("storage: encode resources: %w", err)
		}
		settings, err := encodeSettings(snap.Settings)
		if err != nil {
			return err
		}
		now := fmtTime(tx.s.now())
		if _, err := tx.exec(ctx, `UPDATE stages SET backend_url = ?, settings = ?, resources = ?,
			resources_applied_at = ?, base_deployment_id = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			snap.BackendURL, settings, string(tree), now, d.ID, now, d.StageID); err != nil {
			return fmt.Errorf("storage: roll back stage %s: %w", stageLabel(d.StageName), err)
		}
		out, err = tx.stageRow(ctx, serviceID, d.StageName)
		return err
	})
	return out, err
}

// DeleteDeployment removes a deployment from the history. The deployment the stage serves cannot be deleted; if the
// deleted one was the stage's base, the stage has no base afterwards.
func (tx *Tx) DeleteDeployment(ctx context.Context, serviceID, stageName string, id int64) error {
	return tx.atomic(ctx, func() error {
		d, err := tx.GetDeployment(ctx, serviceID, stageName, id)
		if err != nil {
			return err
		}
		if d.Deployed {
			return Conflict(CodeInUse, "deployment %d is what stage %s serves: deploy another one before deleting it",
				id, stageLabel(d.StageName))
		}
		if _, err := tx.exec(ctx, `DELETE FROM deployments WHERE id = ?`, id); err != nil {
			return fmt.Errorf("storage: delete deployment %d: %w", id, err)
		}
		if d.Base { // base_deployment_id was set to NULL by the foreign key; the stage changed
			if _, err := tx.exec(ctx, `UPDATE stages SET version = version + 1, updated_at = ? WHERE id = ?`,
				fmtTime(tx.s.now()), d.StageID); err != nil {
				return fmt.Errorf("storage: delete deployment %d: %w", id, err)
			}
		}
		return nil
	})
}

// LiveDeployments returns the deployment every stage serves, with snapshots: what a gateway loads at start.
func (tx *Tx) LiveDeployments(ctx context.Context) ([]Deployment, error) {
	return tx.queryDeployments(ctx, true, `WHERE s.deployed_deployment_id = d.id ORDER BY s.service_id, s.name`)
}
