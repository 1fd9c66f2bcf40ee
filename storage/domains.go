package storage

import (
	"context"
	"fmt"
)

const domainSelect = `SELECT d.host, s.service_id, s.name, d.base_path, d.version, d.created_at
	FROM domains d JOIN stages s ON s.id = d.stage_id `

func scanDomain(row interface{ Scan(...any) error }) (Domain, error) {
	var d Domain
	var created string
	if err := row.Scan(&d.Host, &d.ServiceID, &d.StageName, &d.BasePath, &d.Version, &created); err != nil {
		return d, err
	}
	var err error
	d.CreatedAt, err = parseTime(created)
	return d, err
}

// CreateDomain maps a custom host name (and optional base path) to a stage. The host is normalised to lower case
// without a trailing dot.
func (tx *Tx) CreateDomain(ctx context.Context, d Domain) (Domain, error) {
	var out Domain
	err := tx.atomic(ctx, func() error {
		host, e := normalizeHost(d.Host)
		if e != nil {
			return e
		}
		base, e := normalizeBasePath(d.BasePath)
		if e != nil {
			return e
		}
		st, err := tx.stageRow(ctx, d.ServiceID, d.StageName)
		if err != nil {
			return err
		}
		if cur, err := tx.GetDomain(ctx, host); err == nil {
			return conflictOn("host", CodeAlreadyExists, "domain %s already maps to stage %s of service %q",
				host, stageLabel(cur.StageName), cur.ServiceID)
		} else if se, ok := AsError(err); !ok || se.Kind != KindNotFound {
			return err
		}
		now := fmtTime(tx.s.now())
		if _, err := tx.exec(ctx, `INSERT INTO domains (host, stage_id, base_path, version, created_at, updated_at)
			VALUES (?, ?, ?, 1, ?, ?)`, host, st.ID, base, now, now); err != nil {
			return fmt.Errorf("storage: insert domain %s: %w", host, err)
		}
		out, err = tx.GetDomain(ctx, host)
		return err
	})
	return out, err
}

// GetDomain returns the mapping of a host.
func (tx *Tx) GetDomain(ctx context.Context, host string) (Domain, error) {
	ds, err := tx.queryDomains(ctx, `WHERE d.host = ?`, host)
	if err != nil {
		return Domain{}, err
	}
	if len(ds) == 0 {
		return Domain{}, NotFound("domain %s not found", host)
	}
	return ds[0], nil
}

// ListDomains returns every custom domain by host.
func (tx *Tx) ListDomains(ctx context.Context) ([]Domain, error) {
	return tx.queryDomains(ctx, `ORDER BY d.host`)
}

func (tx *Tx) queryDomains(ctx context.Context, where string, args ...any) ([]Domain, error) {
	rows, err := tx.query(ctx, domainSelect+where, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list domains: %w", err)
	}
	defer rows.Close()
	out := []Domain{}
	for rows.Next() {
		d, err := scanDomain(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list domains: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list domains: %w", err)
	}
	return out, nil
}

// DeleteDomain removes a custom domain.
func (tx *Tx) DeleteDomain(ctx context.Context, host string, ifVersion int64) error {
	return tx.atomic(ctx, func() error {
		if h, e := normalizeHost(host); e == nil {
			host = h
		}
		cur, err := tx.GetDomain(ctx, host)
		if err != nil {
			return err
		}
		if err := checkVersion("domain "+host, cur.Version, ifVersion); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM domains WHERE host = ?`, host); err != nil {
			return fmt.Errorf("storage: delete domain %s: %w", host, err)
		}
		return nil
	})
}
