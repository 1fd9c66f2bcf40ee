package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Usage plans (the seed's 사용량 계획): a plan is connected to stages, and API keys are connected per (plan, stage);
// a key is in at most one plan per stage. Plan limits apply to the gateway without a deploy: the admin API pushes
// the key table (KeyTable) to the data plane after every committed change.

// Error codes of usage plan connections.
const (
	// CodeKeyInOtherPlan: the key is already connected to another plan on the stage (move it instead).
	CodeKeyInOtherPlan = "key_in_other_plan"
	// CodeStageNotConnected: a key can only move to a plan connected to the same stage.
	CodeStageNotConnected = "stage_not_connected"
)

// Bounds of a plan's limits.
const (
	MaxPlanRPS        = 1_000_000
	MaxPlanQuotaLimit = 1_000_000_000_000
)

// planInput validates a plan's editable fields and returns them normalised (period upper case, "" is NONE).
func planInput(p UsagePlan) (UsagePlan, *Error) {
	if e := checkRefName(p.Name); e != nil {
		return p, e
	}
	if e := checkDescription("description", p.Description); e != nil {
		return p, e
	}
	if p.RPS < 0 || p.RPS > MaxPlanRPS {
		return p, Invalid("rps", "%d: use 0 (no limit) to %d requests per second", p.RPS, MaxPlanRPS)
	}
	p.QuotaPeriod = strings.ToUpper(strings.TrimSpace(p.QuotaPeriod))
	switch p.QuotaPeriod {
	case "", QuotaNone:
		p.QuotaPeriod = QuotaNone
		if p.QuotaLimit != 0 {
			return p, Invalid("quotaLimit", "a quota limit needs a quota period (%s or %s)", QuotaDay, QuotaMonth)
		}
	case QuotaDay, QuotaMonth:
		if p.QuotaLimit < 1 || p.QuotaLimit > MaxPlanQuotaLimit {
			return p, Invalid("quotaLimit", "%d: a %s quota allows 1 to %d requests per period", p.QuotaLimit,
				p.QuotaPeriod, int64(MaxPlanQuotaLimit))
		}
	default:
		return p, Invalid("quotaPeriod", "%q: use %s, %s or %s", p.QuotaPeriod, QuotaDay, QuotaMonth, QuotaNone)
	}
	return p, nil
}

const planColumns = `id, name, description, rps, quota_period, quota_limit, version, created_at, updated_at`

func scanPlan(row interface{ Scan(...any) error }) (UsagePlan, error) {
	var p UsagePlan
	var created, updated string
	if err := row.Scan(&p.ID, &p.Name, &p.Description, &p.RPS, &p.QuotaPeriod, &p.QuotaLimit, &p.Version, &created,
		&updated); err != nil {
		return p, err
	}
	var err error
	if p.CreatedAt, err = parseTime(created); err != nil {
		return p, err
	}
	p.UpdatedAt, err = parseTime(updated)
	return p, err
}

// planRow finds a plan by name or, failing that, by numeric ID, without its stages.
func (tx *Tx) planRow(ctx context.Context, ref string) (UsagePlan, error) {
	p, err := scanPlan(tx.queryRow(ctx, `SELECT `+planColumns+` FROM usage_plans WHERE name = ?`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
			p, err = scanPlan(tx.queryRow(ctx, `SELECT `+planColumns+` FROM usage_plans WHERE id = ?`, id))
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return p, NotFound("usage plan %q not found", ref)
	}
	if err != nil {
		return p, fmt.Errorf("storage: get usage plan %q: %w", ref, err)
	}
	return p, nil
}

func (tx *Tx) checkPlanName(ctx context.Context, name string, self int64) error {
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM usage_plans WHERE name = ? AND id != ?`, name, self)
	if err != nil {
		return err
	}
	if n > 0 {
		return conflictOn("name", CodeAlreadyExists, "usage plan %q already exists; choose another name", name)
	}
	return nil
}

// bumpPlan records a change of a plan's connections in its version.
func (tx *Tx) bumpPlan(ctx context.Context, id int64) error {
	if _, err := tx.exec(ctx, `UPDATE usage_plans SET version = version + 1, updated_at = ? WHERE id = ?`,
		fmtTime(tx.s.now()), id); err != nil {
		return fmt.Errorf("storage: update usage plan %d: %w", id, err)
	}
	return nil
}

// CreateUsagePlan creates a plan.
func (tx *Tx) CreateUsagePlan(ctx context.Context, p UsagePlan) (UsagePlan, error) {
	var out UsagePlan
	err := tx.atomic(ctx, func() error {
		var e *Error
		if p, e = planInput(p); e != nil {
			return e
		}
		if err := tx.checkPlanName(ctx, p.Name, 0); err != nil {
			return err
		}
		now := fmtTime(tx.s.now())
		id, err := tx.insertID(ctx, "usage plan", `INSERT INTO usage_plans (name, description, rps, quota_period,
			quota_limit, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
			p.Name, p.Description, p.RPS, p.QuotaPeriod, p.QuotaLimit, now, now)
		if err != nil {
			return err
		}
		out, err = tx.GetUsagePlan(ctx, strconv.FormatInt(id, 10))
		return err
	})
	return out, err
}

// GetUsagePlan returns a plan, by name or ID, with its stages and their keys.
func (tx *Tx) GetUsagePlan(ctx context.Context, ref string) (UsagePlan, error) {
	p, err := tx.planRow(ctx, ref)
	if err != nil {
		return p, err
	}
	p.Stages, err = tx.planStages(ctx, p, `WHERE ps.plan_id = ?`, p.ID)
	return p, err
}

// ListUsagePlans returns every plan by name, with stages and keys.
func (tx *Tx) ListUsagePlans(ctx context.Context) ([]UsagePlan, error) {
	rows, err := tx.query(ctx, `SELECT `+planColumns+` FROM usage_plans ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("storage: list usage plans: %w", err)
	}
	out := []UsagePlan{}
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: list usage plans: %w", err)
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list usage plans: %w", err)
	}
	for i := range out {
		if out[i].Stages, err = tx.planStages(ctx, out[i], `WHERE ps.plan_id = ?`, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UpdateUsagePlan changes a plan (p.ID names it). The change applies to the gateway without a deploy. Switching
// the quota period between DAY and MONTH keeps the usage of the connected keys (it may then exceed a lower limit);
// switching it to NONE resets their usage (the seed's rules).
func (tx *Tx) UpdateUsagePlan(ctx context.Context, p UsagePlan, ifVersion int64) (UsagePlan, error) {
	var out UsagePlan
	err := tx.atomic(ctx, func() error {
		cur, err := tx.planRow(ctx, strconv.FormatInt(p.ID, 10))
		if err != nil {
			return err
		}
		if err := checkVersion("usage plan "+cur.Name, cur.Version, ifVersion); err != nil {
			return err
		}
		var e *Error
		if p, e = planInput(p); e != nil {
			return e
		}
		if p.Name == cur.Name && p.Description == cur.Description && p.RPS == cur.RPS &&
			p.QuotaPeriod == cur.QuotaPeriod && p.QuotaLimit == cur.QuotaLimit {
			out, err = tx.GetUsagePlan(ctx, strconv.FormatInt(cur.ID, 10))
			return err
		}
		if err := tx.checkPlanName(ctx, p.Name, cur.ID); err != nil {
			return err
		}
		if p.QuotaPeriod != cur.QuotaPeriod {
			if err := tx.rebindQuota(ctx, cur.QuotaPeriod, p.QuotaPeriod,
				`(key_id, stage_id) IN (SELECT key_id, stage_id FROM plan_stage_keys WHERE plan_id = ?)`, cur.ID); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `UPDATE usage_plans SET name = ?, description = ?, rps = ?, quota_period = ?,
			quota_limit = ?, version = version + 1, updated_at = ? WHERE id = ?`, p.Name, p.Description, p.RPS,
			p.QuotaPeriod, p.QuotaLimit, fmtTime(tx.s.now()), cur.ID); err != nil {
			return fmt.Errorf("storage: update usage plan %s: %w", cur.Name, err)
		}
		out, err = tx.GetUsagePlan(ctx, strconv.FormatInt(cur.ID, 10))
		return err
	})
	return out, err
}

// DeleteUsagePlan deletes a plan, unless stages are connected to it (the seed's rule): then a 409 names one.
func (tx *Tx) DeleteUsagePlan(ctx context.Context, ref string, ifVersion int64) error {
	return tx.atomic(ctx, func() error {
		cur, err := tx.planRow(ctx, ref)
		if err != nil {
			return err
		}
		if err := checkVersion("usage plan "+cur.Name, cur.Version, ifVersion); err != nil {
			return err
		}
		var svc, stage string
		err = tx.queryRow(ctx, `SELECT s.service_id, s.name FROM plan_stages ps JOIN stages s ON s.id = ps.stage_id
			WHERE ps.plan_id = ? ORDER BY s.service_id, s.name LIMIT 1`, cur.ID).Scan(&svc, &stage)
		switch {
		case err == nil:
			return Conflict(CodeInUse, "usage plan %q is connected to stage %s of service %q: disconnect its "+
				"stages first", cur.Name, stageLabel(stage), svc)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("storage: delete usage plan %s: %w", cur.Name, err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM usage_plans WHERE id = ?`, cur.ID); err != nil {
			return fmt.Errorf("storage: delete usage plan %s: %w", cur.Name, err)
		}
		return nil
	})
}

// planStages reads stage connections (filtered by where) of plan p with their keys.
func (tx *Tx) planStages(ctx context.Context, p UsagePlan, where string, args ...any) ([]PlanStage, error) {
	rows, err := tx.query(ctx, `SELECT s.service_id, s.name, s.id, ps.created_at FROM plan_stages ps
		JOIN stages s ON s.id = ps.stage_id `+where+` ORDER BY s.service_id, s.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: read stages of usage plan %s: %w", p.Name, err)
	}
	out := []PlanStage{}
	for rows.Next() {
		var ps PlanStage
		var created string
		if err := rows.Scan(&ps.ServiceID, &ps.StageName, &ps.StageID, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: read stages of usage plan %s: %w", p.Name, err)
		}
		if ps.CreatedAt, err = parseTime(created); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, ps)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: read stages of usage plan %s: %w", p.Name, err)
	}
	now := tx.s.now()
	for i := range out {
		ps := &out[i]
		if ps.APIKeys, err = tx.planStageKeys(ctx, p, ps.StageID, now); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (tx *Tx) planStageKeys(ctx context.Context, p UsagePlan, stageID int64, now time.Time) ([]PlanStageKey, error) {
	rows, err := tx.query(ctx, `SELECT k.id, k.name, k.status, psk.created_at, q.period_start, q.count
		FROM plan_stage_keys psk JOIN api_keys k ON k.id = psk.key_id
		LEFT JOIN quota_usage q ON q.key_id = psk.key_id AND q.stage_id = psk.stage_id
		WHERE psk.plan_id = ? AND psk.stage_id = ? ORDER BY k.name`, p.ID, stageID)
	if err != nil {
		return nil, fmt.Errorf("storage: read keys of usage plan %s: %w", p.Name, err)
	}
	defer rows.Close()
	out := []PlanStageKey{}
	for rows.Next() {
		var k PlanStageKey
		var created string
		var qStart sql.NullString
		var qCount sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Name, &k.Status, &created, &qStart, &qCount); err != nil {
			return nil, fmt.Errorf("storage: read keys of usage plan %s: %w", p.Name, err)
		}
		if k.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		k.Quota = quotaUse(p.QuotaPeriod, p.QuotaLimit, qStart, qCount, now)
		out = append(out, k)
	}
	return out, rows.Err()
}

// planStageRef is a resolved (plan, stage) connection.
type planStageRef struct {
	plan  UsagePlan
	stage Stage
}

func (r planStageRef) label() string {
	return fmt.Sprintf("stage %s of service %q", stageLabel(r.stage.Name), r.stage.ServiceID)
}

// resolvePlanStage finds the plan and the stage; connected says whether the connection must (true) or must not
// (false) exist, which is checked.
func (tx *Tx) resolvePlanStage(ctx context.Context, planRef, serviceID, stageName string, connected bool) (planStageRef, error) {
	var r planStageRef
	var err error
	if r.plan, err = tx.planRow(ctx, planRef); err != nil {
		return r, err
	}
	if r.stage, err = tx.stageRow(ctx, serviceID, stageName); err != nil {
		return r, err
	}
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM plan_stages WHERE plan_id = ? AND stage_id = ?`, r.plan.ID, r.stage.ID)
	if err != nil {
		return r, err
	}
	switch {
	case connected && n == 0:
		return r, NotFound("%s is not connected to usage plan %q", r.label(), r.plan.Name)
	case !connected && n > 0:
		return r, Conflict(CodeAlreadyExists, "%s is already connected to usage plan %q", r.label(), r.plan.Name)
	}
	return r, nil
}

// ConnectStage connects a stage to a plan: keys connected to the plan there may then call it.
func (tx *Tx) ConnectStage(ctx context.Context, planRef, serviceID, stageName string, ifVersion int64) (PlanStage, error) {
	var out PlanStage
	err := tx.atomic(ctx, func() error {
		r, err := tx.resolvePlanStage(ctx, planRef, serviceID, stageName, false)
		if err != nil {
			return err
		}
		if err := checkVersion("usage plan "+r.plan.Name, r.plan.Version, ifVersion); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO plan_stages (plan_id, stage_id, created_at) VALUES (?, ?, ?)`,
			r.plan.ID, r.stage.ID, fmtTime(tx.s.now())); err != nil {
			return fmt.Errorf("storage: connect %s to usage plan %s: %w", r.label(), r.plan.Name, err)
		}
		if err := tx.bumpPlan(ctx, r.plan.ID); err != nil {
			return err
		}
		out, err = tx.PlanStage(ctx, r.plan.Name, serviceID, stageName)
		return err
	})
	return out, err
}

// PlanStage returns one stage connection of a plan with its keys.
func (tx *Tx) PlanStage(ctx context.Context, planRef, serviceID, stageName string) (PlanStage, error) {
	r, err := tx.resolvePlanStage(ctx, planRef, serviceID, stageName, true)
	if err != nil {
		return PlanStage{}, err
	}
	list, err := tx.planStages(ctx, r.plan, `WHERE ps.plan_id = ? AND ps.stage_id = ?`, r.plan.ID, r.stage.ID)
	if err != nil {
		return PlanStage{}, err
	}
	if len(list) == 0 {
		return PlanStage{}, NotFound("%s is not connected to usage plan %q", r.label(), r.plan.Name)
	}
	return list[0], nil
}

// DisconnectStage disconnects a stage from a plan, unless keys are connected to the plan there (the seed's rule):
// then a 409 names one.
func (tx *Tx) DisconnectStage(ctx context.Context, planRef, serviceID, stageName string, ifVersion int64) error {
	return tx.atomic(ctx, func() error {
		r, err := tx.resolvePlanStage(ctx, planRef, serviceID, stageName, true)
		if err != nil {
			return err
		}
		if err := checkVersion("usage plan "+r.plan.Name, r.plan.Version, ifVersion); err != nil {
			return err
		}
		var key string
		err = tx.queryRow(ctx, `SELECT k.name FROM plan_stage_keys psk JOIN api_keys k ON k.id = psk.key_id
			WHERE psk.plan_id = ? AND psk.stage_id = ? ORDER BY k.name LIMIT 1`, r.plan.ID, r.stage.ID).Scan(&key)
		switch {
		case err == nil:
			return Conflict(CodeInUse, "API key %q is connected to usage plan %q on %s: disconnect the stage's "+
				"API keys first", key, r.plan.Name, r.label())
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("storage: disconnect %s: %w", r.label(), err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM plan_stages WHERE plan_id = ? AND stage_id = ?`, r.plan.ID,
			r.stage.ID); err != nil {
			return fmt.Errorf("storage: disconnect %s from usage plan %s: %w", r.label(), r.plan.Name, err)
		}
		return tx.bumpPlan(ctx, r.plan.ID)
	})
}

// keyPlanOnStage returns the plan a key is connected to on a stage ("" and 0 when none).
func (tx *Tx) keyPlanOnStage(ctx context.Context, keyID, stageID int64) (int64, string, error) {
	var id int64
	var name string
	err := tx.queryRow(ctx, `SELECT p.id, p.name FROM plan_stage_keys psk JOIN usage_plans p ON p.id = psk.plan_id
		WHERE psk.key_id = ? AND psk.stage_id = ?`, keyID, stageID).Scan(&id, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("storage: read plan of API key %d: %w", keyID, err)
	}
	return id, name, nil
}

// ConnectKey connects an API key to a plan on one of the plan's stages. A key is in at most one plan per stage:
// a key already in another plan there is refused with a 409 that names that plan (move it instead).
func (tx *Tx) ConnectKey(ctx context.Context, planRef, serviceID, stageName, keyRef string, ifVersion int64) (PlanStage, error) {
	var out PlanStage
	err := tx.atomic(ctx, func() error {
		r, err := tx.resolvePlanStage(ctx, planRef, serviceID, stageName, true)
		if err != nil {
			return err
		}
		if err := checkVersion("usage plan "+r.plan.Name, r.plan.Version, ifVersion); err != nil {
			return err
		}
		key, err := tx.apiKeyRow(ctx, keyRef)
		if err != nil {
			return err
		}
		planID, planName, err := tx.keyPlanOnStage(ctx, key.ID, r.stage.ID)
		switch {
		case err != nil:
			return err
		case planID == r.plan.ID:
			return conflictOn("apiKey", CodeAlreadyExists, "API key %q is already connected to usage plan %q on %s",
				key.Name, r.plan.Name, r.label())
		case planID != 0:
			return conflictOn("apiKey", CodeKeyInOtherPlan, "API key %q is connected to usage plan %q on %s; a key "+
				"is in one plan per stage: move it to %q instead", key.Name, planName, r.label(), r.plan.Name)
		}
		if _, err := tx.exec(ctx, `INSERT INTO plan_stage_keys (plan_id, stage_id, key_id, created_at)
			VALUES (?, ?, ?, ?)`, r.plan.ID, r.stage.ID, key.ID, fmtTime(tx.s.now())); err != nil {
			return fmt.Errorf("storage: connect API key %s: %w", key.Name, err)
		}
		if err := tx.bumpPlan(ctx, r.plan.ID); err != nil {
			return err
		}
		out, err = tx.PlanStage(ctx, r.plan.Name, serviceID, stageName)
		return err
	})
	return out, err
}

// DisconnectKey disconnects an API key from a plan on a stage: the key can no longer call the stage. Its quota
// usage there is kept (reconnecting it in the same period continues the count).
func (tx *Tx) DisconnectKey(ctx context.Context, planRef, serviceID, stageName, keyRef string, ifVersion int64) error {
	return tx.atomic(ctx, func() error {
		r, key, err := tx.connectedKey(ctx, planRef, serviceID, stageName, keyRef, ifVersion)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM plan_stage_keys WHERE plan_id = ? AND stage_id = ? AND key_id = ?`,
			r.plan.ID, r.stage.ID, key.ID); err != nil {
			return fmt.Errorf("storage: disconnect API key %s: %w", key.Name, err)
		}
		return tx.bumpPlan(ctx, r.plan.ID)
	})
}

// connectedKey resolves a key connected to (plan, stage) and checks the plan's version.
func (tx *Tx) connectedKey(ctx context.Context, planRef, serviceID, stageName, keyRef string, ifVersion int64) (planStageRef, APIKey, error) {
	r, err := tx.resolvePlanStage(ctx, planRef, serviceID, stageName, true)
	if err != nil {
		return r, APIKey{}, err
	}
	if err := checkVersion("usage plan "+r.plan.Name, r.plan.Version, ifVersion); err != nil {
		return r, APIKey{}, err
	}
	key, err := tx.apiKeyRow(ctx, keyRef)
	if err != nil {
		return r, key, err
	}
	planID, _, err := tx.keyPlanOnStage(ctx, key.ID, r.stage.ID)
	if err != nil {
		return r, key, err
	}
	if planID != r.plan.ID {
		return r, key, NotFound("API key %q is not connected to usage plan %q on %s", key.Name, r.plan.Name, r.label())
	}
	return r, key, nil
}

// MoveKey moves an API key, on one stage, from a plan to another plan connected to the same stage (the seed's
// "사용량 계획 변경"). Its quota usage is kept when the new plan's period is DAY or MONTH and reset when it is NONE.
// It returns the stage connection of the new plan.
func (tx *Tx) MoveKey(ctx context.Context, planRef, serviceID, stageName, keyRef, toPlanRef string, ifVersion int64) (PlanStage, error) {
	var out PlanStage
	err := tx.atomic(ctx, func() error {
		r, key, err := tx.connectedKey(ctx, planRef, serviceID, stageName, keyRef, ifVersion)
		if err != nil {
			return err
		}
		to, err := tx.planRow(ctx, toPlanRef)
		if err != nil {
			return err
		}
		if to.ID == r.plan.ID {
			return Invalid("plan", "API key %q is already in usage plan %q on %s", key.Name, to.Name, r.label())
		}
		n, err := tx.count(ctx, `SELECT COUNT(*) FROM plan_stages WHERE plan_id = ? AND stage_id = ?`, to.ID, r.stage.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return conflictOn("plan", CodeStageNotConnected, "usage plan %q is not connected to %s: a key can only "+
				"move to a plan connected to the same stage", to.Name, r.label())
		}
		if _, err := tx.exec(ctx, `UPDATE plan_stage_keys SET plan_id = ?, created_at = ? WHERE stage_id = ? AND key_id = ?`,
			to.ID, fmtTime(tx.s.now()), r.stage.ID, key.ID); err != nil {
			return fmt.Errorf("storage: move API key %s: %w", key.Name, err)
		}
		if err := tx.rebindQuota(ctx, r.plan.QuotaPeriod, to.QuotaPeriod, `key_id = ? AND stage_id = ?`, key.ID,
			r.stage.ID); err != nil {
			return err
		}
		if err := tx.bumpPlan(ctx, r.plan.ID); err != nil {
			return err
		}
		if err := tx.bumpPlan(ctx, to.ID); err != nil {
			return err
		}
		out, err = tx.PlanStage(ctx, to.Name, serviceID, stageName)
		return err
	})
	return out, err
}
