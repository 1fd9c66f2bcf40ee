package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Quota usage lives in the gateway's memory and is flushed here in batches (runtime/usage); the store never sits on
// the request path. One row per (key, stage): the running count of the period that starts at period_start.

// QuotaUsage is the count of one (key, stage) in the period that starts at PeriodStart (UTC). A zero PeriodStart
// means "no count" (the plan has no quota): saving it deletes the row.
type QuotaUsage struct {
	KeyID       int64
	StageID     int64
	PeriodStart time.Time
	Count       int64
}

// QuotaPeriodStart returns the start of the quota period that contains t: 00:00 UTC of its day (DAY), 00:00 UTC
// of the 1st of its month (MONTH), or the zero time (NONE).
func QuotaPeriodStart(period string, t time.Time) time.Time {
	t = t.UTC()
	switch period {
	case QuotaDay:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case QuotaMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Time{}
}

// quotaUse builds the usage of a key on a stage from its stored row (if any) at time now: a count from an earlier
// period counts as 0.
func quotaUse(period string, limit int64, start sql.NullString, count sql.NullInt64, now time.Time) QuotaUse {
	u := QuotaUse{Period: period, Limit: limit}
	if period != QuotaDay && period != QuotaMonth {
		return u
	}
	cur := QuotaPeriodStart(period, now)
	u.PeriodStart = &cur
	if start.Valid && count.Valid {
		if t, err := parseTime(start.String); err == nil && t.Equal(cur) {
			u.Used = count.Int64
		}
	}
	return u
}

// rebindQuota carries the stored usage rows selected by where from one quota period to another (a plan's period
// changed, or a key moved to a plan with another period): DAY and MONTH keep the count of the current period
// under the new period's start, NONE resets it (the seed's rules). Rows of past periods are dropped. The gateway
// applies the same rules to its live counters when it receives the new key table.
func (tx *Tx) rebindQuota(ctx context.Context, from, to, where string, args ...any) error {
	if from == to {
		return nil
	}
	if to == QuotaNone || from == QuotaNone {
		// To NONE: reset. From NONE: nothing was counted, any row is stale.
		if _, err := tx.exec(ctx, `DELETE FROM quota_usage WHERE `+where, args...); err != nil {
			return fmt.Errorf("storage: reset quota usage: %w", err)
		}
		return nil
	}
	now := tx.s.now()
	oldStart, newStart := fmtTime(QuotaPeriodStart(from, now)), fmtTime(QuotaPeriodStart(to, now))
	if _, err := tx.exec(ctx, `UPDATE quota_usage SET period_start = ?, updated_at = ? WHERE period_start = ? AND `+
		where, append([]any{newStart, fmtTime(now), oldStart}, args...)...); err != nil {
		return fmt.Errorf("storage: carry quota usage over: %w", err)
	}
	if _, err := tx.exec(ctx, `DELETE FROM quota_usage WHERE period_start != ? AND `+where,
		append([]any{newStart}, args...)...); err != nil {
		return fmt.Errorf("storage: drop old quota usage: %w", err)
	}
	return nil
}

// SaveQuotaUsage writes a batch of counts (the gateway's periodic flush). Counts of keys or stages deleted since
// they were taken are skipped; a zero PeriodStart deletes the row.
func (tx *Tx) SaveQuotaUsage(ctx context.Context, batch []QuotaUsage) error {
	if len(batch) == 0 {
		return nil
	}
	return tx.atomic(ctx, func() error {
		now := fmtTime(tx.s.now())
		for _, u := range batch {
			if u.PeriodStart.IsZero() {
				if _, err := tx.exec(ctx, `DELETE FROM quota_usage WHERE key_id = ? AND stage_id = ?`, u.KeyID,
					u.StageID); err != nil {
					return fmt.Errorf("storage: save quota usage: %w", err)
				}
				continue
			}
			if _, err := tx.exec(ctx, `INSERT INTO quota_usage (key_id, stage_id, period_start, count, updated_at)
				SELECT ?1, ?2, ?3, ?4, ?5
				WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?1) AND EXISTS (SELECT 1 FROM stages WHERE id = ?2)
				ON CONFLICT (key_id, stage_id) DO UPDATE SET period_start = excluded.period_start,
					count = excluded.count, updated_at = excluded.updated_at`,
				u.KeyID, u.StageID, fmtTime(u.PeriodStart), u.Count, now); err != nil {
				return fmt.Errorf("storage: save quota usage: %w", err)
			}
		}
		return nil
	})
}

// LoadQuotaUsage reads every stored count (the gateway loads them at start, so usage survives a restart).
func (tx *Tx) LoadQuotaUsage(ctx context.Context) ([]QuotaUsage, error) {
	rows, err := tx.query(ctx, `SELECT key_id, stage_id, period_start, count FROM quota_usage ORDER BY key_id, stage_id`)
	if err != nil {
		return nil, fmt.Errorf("storage: load quota usage: %w", err)
	}
	defer rows.Close()
	out := []QuotaUsage{}
	for rows.Next() {
		var u QuotaUsage
		var start string
		if err := rows.Scan(&u.KeyID, &u.StageID, &start, &u.Count); err != nil {
			return nil, fmt.Errorf("storage: load quota usage: %w", err)
		}
		if u.PeriodStart, err = parseTime(start); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// KeyTable is everything the data plane needs to check API keys and usage plans, read in one snapshot: every key
// with its value digests and status, and every (key, stage) grant with the limits of the key's plan there. The
// control plane reads it after each change and hands it to the gateway, which never reads the store itself.
type KeyTable struct {
	Keys   []TableKey
	Grants []KeyGrant
}

// TableKey is one API key as the data plane sees it. Hashes are SHA-256, lower-case hex.
type TableKey struct {
	ID            int64
	Name          string
	Status        string
	PrimaryHash   string
	SecondaryHash string
}

// KeyGrant says that a key may call a stage, limited by a plan.
type KeyGrant struct {
	KeyID       int64
	StageID     int64
	ServiceID   string
	StageName   string
	PlanID      int64
	PlanName    string
	RPS         int
	QuotaPeriod string
	QuotaLimit  int64
}

// KeyTable reads the key table.
func (tx *Tx) KeyTable(ctx context.Context) (KeyTable, error) {
	var t KeyTable
	rows, err := tx.query(ctx, `SELECT id, name, status, primary_hash, secondary_hash FROM api_keys ORDER BY id`)
	if err != nil {
		return t, fmt.Errorf("storage: read key table: %w", err)
	}
	for rows.Next() {
		var k TableKey
		if err := rows.Scan(&k.ID, &k.Name, &k.Status, &k.PrimaryHash, &k.SecondaryHash); err != nil {
			rows.Close()
			return t, fmt.Errorf("storage: read key table: %w", err)
		}
		t.Keys = append(t.Keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("storage: read key table: %w", err)
	}
	rows, err = tx.query(ctx, `SELECT psk.key_id, s.id, s.service_id, s.name, p.id, p.name, p.rps, p.quota_period,
		p.quota_limit FROM plan_stage_keys psk JOIN stages s ON s.id = psk.stage_id
		JOIN usage_plans p ON p.id = psk.plan_id ORDER BY psk.key_id, s.id`)
	if err != nil {
		return t, fmt.Errorf("storage: read key table: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g KeyGrant
		if err := rows.Scan(&g.KeyID, &g.StageID, &g.ServiceID, &g.StageName, &g.PlanID, &g.PlanName, &g.RPS,
			&g.QuotaPeriod, &g.QuotaLimit); err != nil {
			return t, fmt.Errorf("storage: read key table: %w", err)
		}
		t.Grants = append(t.Grants, g)
	}
	return t, rows.Err()
}
