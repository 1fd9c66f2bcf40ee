package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
)

const serviceColumns = `id, name, description, version, created_at, updated_at`

func scanService(row interface{ Scan(...any) error }) (Service, error) {
	var s Service
	var created, updated string
	if err := row.Scan(&s.ID, &s.Name, &s.Description, &s.Version, &created, &updated); err != nil {
		return s, err
	}
	var err error
	if s.CreatedAt, err = parseTime(created); err != nil {
		return s, err
	}
	s.UpdatedAt, err = parseTime(updated)
	return s, err
}

// CreateService creates a service. ID is optional ([a-z0-9]{4,16}); a random 8-character ID is generated when empty.
func (tx *Tx) CreateService(ctx context.Context, svc Service) (Service, error) {
	var out Service
	err := tx.atomic(ctx, func() error {
		if e := checkService(svc); e != nil {
			return e
		}
		if svc.ID != "" && !serviceIDRE.MatchString(svc.ID) {
			return Invalid("id", "%q: use 4 to 16 lower-case letters and digits, or leave it empty to generate one", svc.ID)
		}
		if e := tx.checkServiceName(ctx, svc.Name, ""); e != nil {
			return e
		}
		if svc.ID == "" {
			id, err := tx.newServiceID(ctx)
			if err != nil {
				return err
			}
			svc.ID = id
		} else if n, err := tx.count(ctx, `SELECT COUNT(*) FROM services WHERE id = ?`, svc.ID); err != nil {
			return err
		} else if n > 0 {
			return conflictOn("id", CodeAlreadyExists, "a service with ID %q already exists", svc.ID)
		}
		if max := tx.s.limits.MaxServices; max >= 0 {
			n, err := tx.count(ctx, `SELECT COUNT(*) FROM services`)
			if err != nil {
				return err
			}
			if n >= max {
				return Limit("this gateway already has %d services, the limit; delete one first", n)
			}
		}
		now := fmtTime(tx.s.now())
		if _, err := tx.exec(ctx, `INSERT INTO services (id, name, description, version, created_at, updated_at)
			VALUES (?, ?, ?, 1, ?, ?)`, svc.ID, svc.Name, svc.Description, now, now); err != nil {
			return fmt.Errorf("storage: insert service: %w", err)
		}
		var err error
		out, err = tx.getServiceByID(ctx, svc.ID)
		return err
	})
	return out, err
}

func checkService(svc Service) *Error {
	if e := checkText("name", svc.Name, maxNameLen, true); e != nil {
		return e
	}
	return checkDescription("description", svc.Description)
}

// checkServiceName refuses a name another service (not self) already has.
func (tx *Tx) checkServiceName(ctx context.Context, name, self string) error {
	var id string
	err := tx.queryRow(ctx, `SELECT id FROM services WHERE name = ? AND id != ?`, name, self).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("storage: check service name: %w", err)
	}
	return conflictOn("name", CodeAlreadyExists, "service %q already exists (ID %s); choose another name", name, id)
}

// newServiceID draws an unused 8-character [a-z0-9] ID from crypto/rand.
func (tx *Tx) newServiceID(ctx context.Context) (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	for range 10 {
		b := make([]byte, 8)
		for i := range b {
			var c [1]byte
			for {
				if _, err := rand.Read(c[:]); err != nil {
					return "", fmt.Errorf("storage: generate service ID: %w", err)
				}
				if c[0] < 252 { // 252 = 7*36: reject the rest so every character is equally likely
					break
				}
			}
			b[i] = alphabet[c[0]%36]
		}
		id := string(b)
		n, err := tx.count(ctx, `SELECT COUNT(*) FROM services WHERE id = ?`, id)
		if err != nil {
			return "", err
		}
		if n == 0 {
			return id, nil
		}
	}
	return "", errors.New("storage: could not generate an unused service ID")
}

// GetService returns the service whose ID or, failing that, name is ref.
func (tx *Tx) GetService(ctx context.Context, ref string) (Service, error) {
	s, err := scanService(tx.queryRow(ctx, `SELECT `+serviceColumns+` FROM services
		WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return s, NotFound("service %q not found", ref)
	}
	if err != nil {
		return s, fmt.Errorf("storage: get service %q: %w", ref, err)
	}
	return s, nil
}

func (tx *Tx) getServiceByID(ctx context.Context, id string) (Service, error) {
	s, err := scanService(tx.queryRow(ctx, `SELECT `+serviceColumns+` FROM services WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, NotFound("service %q not found", id)
	}
	if err != nil {
		return s, fmt.Errorf("storage: get service %q: %w", id, err)
	}
	return s, nil
}

// requireService returns a NotFound error unless the service exists. Operations scoped to a service take its ID.
func (tx *Tx) requireService(ctx context.Context, id string) error {
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM services WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return NotFound("service %q not found", id)
	}
	return nil
}

// ListServices returns all services by name.
func (tx *Tx) ListServices(ctx context.Context) ([]Service, error) {
	rows, err := tx.query(ctx, `SELECT `+serviceColumns+` FROM services ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("storage: list services: %w", err)
	}
	defer rows.Close()
	out := []Service{}
	for rows.Next() {
		s, err := scanService(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list services: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list services: %w", err)
	}
	return out, nil
}

// UpdateService changes a service's name and description. Nothing is written (and the version stays) when both
// are unchanged.
func (tx *Tx) UpdateService(ctx context.Context, svc Service, ifVersion int64) (Service, error) {
	var out Service
	err := tx.atomic(ctx, func() error {
		cur, err := tx.getServiceByID(ctx, svc.ID)
		if err != nil {
			return err
		}
		if err := checkVersion(fmt.Sprintf("service %s", cur.ID), cur.Version, ifVersion); err != nil {
			return err
		}
		if e := checkService(svc); e != nil {
			return e
		}
		if svc.Name == cur.Name && svc.Description == cur.Description {
			out = cur
			return nil
		}
		if err := tx.checkServiceName(ctx, svc.Name, cur.ID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE services SET name = ?, description = ?, version = version + 1,
			updated_at = ? WHERE id = ?`, svc.Name, svc.Description, fmtTime(tx.s.now()), cur.ID); err != nil {
			return fmt.Errorf("storage: update service %s: %w", cur.ID, err)
		}
		out, err = tx.getServiceByID(ctx, cur.ID)
		return err
	})
	return out, err
}

// DeleteService deletes a service and everything it owns (resources, stages, deployments, domains), unless one of
// its stages is connected to a usage plan (the seed's rule): then a 409 names the plan and the stage.
func (tx *Tx) DeleteService(ctx context.Context, id string, ifVersion int64) error {
	return tx.atomic(ctx, func() error {
		cur, err := tx.getServiceByID(ctx, id)
		if err != nil {
			return err
		}
		if err := checkVersion(fmt.Sprintf("service %s", cur.ID), cur.Version, ifVersion); err != nil {
			return err
		}
		var stage, plan string
		err = tx.queryRow(ctx, `SELECT s.name, p.name FROM stages s
			JOIN plan_stages ps ON ps.stage_id = s.id JOIN usage_plans p ON p.id = ps.plan_id
			WHERE s.service_id = ? ORDER BY s.name, p.name LIMIT 1`, id).Scan(&stage, &plan)
		switch {
		case err == nil:
			return Conflict(CodeInUse, "stage %s of service %q is connected to usage plan %q: disconnect it first",
				stageLabel(stage), cur.Name, plan)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("storage: delete service %s: %w", id, err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM services WHERE id = ?`, id); err != nil {
			return fmt.Errorf("storage: delete service %s: %w", id, err)
		}
		return nil
	})
}
