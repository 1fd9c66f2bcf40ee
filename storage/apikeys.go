package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
)

// API key values are secrets: the store keeps only their SHA-256 digests (lower-case hex), and a value exists in
// plain text only in the return value of the operation that made it (create, regenerate), so the caller can show it
// once. Nothing here logs or persists a value.

// Which key value of an API key.
const (
	KeyPrimary   = "primary"
	KeySecondary = "secondary"
)

// Limits of a key value given by the operator (generated values are 32 characters).
const (
	MinKeyValueLen = 16
	MaxKeyValueLen = 256
)

// generatedKeyBytes is the entropy of a generated value: 24 random bytes are 32 URL-safe base64 characters.
const generatedKeyBytes = 24

// KeyValues are the plain-text values of an API key, as given to or returned by create and regenerate. An empty
// field means "generate one" on input and "not generated" (the caller gave it) on output. They never reach the
// database; String, GoString and LogValue redact them so a stray log line or %v cannot leak them.
type KeyValues struct {
	Primary   string
	Secondary string
}

func (KeyValues) String() string       { return "KeyValues{redacted}" }
func (KeyValues) GoString() string     { return "storage.KeyValues{redacted}" }
func (KeyValues) LogValue() slog.Value { return slog.StringValue("redacted") }

func (v KeyValues) get(which string) string {
	if which == KeyPrimary {
		return v.Primary
	}
	return v.Secondary
}

// HashAPIKey returns the digest under which a key value is stored and looked up: SHA-256, lower-case hex.
func HashAPIKey(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// GenerateAPIKeyValue draws a new key value from crypto/rand: 32 URL-safe characters (192 bits).
func GenerateAPIKeyValue() (string, error) {
	var b [generatedKeyBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("storage: generate API key value: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// checkKeyValue checks a value given by the operator. It goes in a request header, so it is visible ASCII.
func checkKeyValue(field, v string) *Error {
	if len(v) < MinKeyValueLen || len(v) > MaxKeyValueLen {
		return Invalid(field, "an API key value has %d to %d characters (this one has %d); leave it out to "+
			"generate one", MinKeyValueLen, MaxKeyValueLen, len(v))
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return Invalid(field, "an API key value has visible ASCII characters only (no spaces), as it is "+
				"sent in a header")
		}
	}
	return nil
}

func checkWhich(which string) *Error {
	if which != KeyPrimary && which != KeySecondary {
		return Invalid("which", "%q: use %q or %q", which, KeyPrimary, KeySecondary)
	}
	return nil
}

// checkRefName checks the name of an API key or usage plan. Names are looked up before IDs, so an all-digit name
// would hide the entity whose ID it spells.
func checkRefName(v string) *Error {
	if e := checkText("name", v, maxNameLen, true); e != nil {
		return e
	}
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return Invalid("name", "%q: a name must not be only digits (URLs accept IDs too)", v)
	}
	return nil
}

func checkKeyStatus(s string) *Error {
	if s != KeyActive && s != KeyInactive {
		return Invalid("status", "%q: use %s or %s", s, KeyActive, KeyInactive)
	}
	return nil
}

const apiKeyColumns = `id, name, description, status, version, created_at, updated_at`

func scanAPIKey(row interface{ Scan(...any) error }) (APIKey, error) {
	var k APIKey
	var created, updated string
	if err := row.Scan(&k.ID, &k.Name, &k.Description, &k.Status, &k.Version, &created, &updated); err != nil {
		return k, err
	}
	var err error
	if k.CreatedAt, err = parseTime(created); err != nil {
		return k, err
	}
	k.UpdatedAt, err = parseTime(updated)
	return k, err
}

// apiKeyRow finds a key by name or, failing that, by numeric ID, without its connections.
func (tx *Tx) apiKeyRow(ctx context.Context, ref string) (APIKey, error) {
	k, err := scanAPIKey(tx.queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE name = ?`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
			k, err = scanAPIKey(tx.queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ?`, id))
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return k, NotFound("API key %q not found", ref)
	}
	if err != nil {
		return k, fmt.Errorf("storage: get API key %q: %w", ref, err)
	}
	return k, nil
}

// checkKeyName refuses a name another key (not self) already has.
func (tx *Tx) checkKeyName(ctx context.Context, name string, self int64) error {
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM api_keys WHERE name = ? AND id != ?`, name, self)
	if err != nil {
		return err
	}
	if n > 0 {
		return conflictOn("name", CodeAlreadyExists, "API key %q already exists; choose another name", name)
	}
	return nil
}

// checkHashFree refuses a digest that is already a value (primary or secondary) of another key than self.
func (tx *Tx) checkHashFree(ctx context.Context, field, hash string, self int64) error {
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM api_keys WHERE (primary_hash = ?1 OR secondary_hash = ?1)
		AND id != ?2`, hash, self)
	if err != nil {
		return err
	}
	if n > 0 {
		return conflictOn(field, CodeAlreadyExists, "this value is already a value of another API key; "+
			"choose another one or leave it out to generate one")
	}
	return nil
}

// keyValue returns the digest for a given value (checked) or for a newly generated one, which it also returns.
func keyValue(field, given string) (hash, generated string, err error) {
	if given != "" {
		if e := checkKeyValue(field, given); e != nil {
			return "", "", e
		}
		return HashAPIKey(given), "", nil
	}
	v, err := GenerateAPIKeyValue()
	if err != nil {
		return "", "", err
	}
	return HashAPIKey(v), v, nil
}

// CreateAPIKey creates a key (status "" is ACTIVE). Values in given are hashed; the ones left empty are generated
// and returned in plain text — the only time anyone sees them.
func (tx *Tx) CreateAPIKey(ctx context.Context, k APIKey, given KeyValues) (APIKey, KeyValues, error) {
	var out APIKey
	var gen KeyValues
	err := tx.atomic(ctx, func() error {
		if k.Status == "" {
			k.Status = KeyActive
		}
		if e := checkRefName(k.Name); e != nil {
			return e
		}
		if e := checkDescription("description", k.Description); e != nil {
			return e
		}
		if e := checkKeyStatus(k.Status); e != nil {
			return e
		}
		if err := tx.checkKeyName(ctx, k.Name, 0); err != nil {
			return err
		}
		if given.Primary != "" && given.Primary == given.Secondary {
			return Invalid("secondaryKey", "the secondary value must differ from the primary one")
		}
		var hashes [2]string
		for i, which := range []string{KeyPrimary, KeySecondary} {
			field := which + "Key"
			h, v, err := keyValue(field, given.get(which))
			if err != nil {
				return err
			}
			if err := tx.checkHashFree(ctx, field, h, 0); err != nil {
				return err
			}
			hashes[i] = h
			if which == KeyPrimary {
				gen.Primary = v
			} else {
				gen.Secondary = v
			}
		}
		now := fmtTime(tx.s.now())
		id, err := tx.insertID(ctx, "API key", `INSERT INTO api_keys (name, description, status, primary_hash,
			secondary_hash, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
			k.Name, k.Description, k.Status, hashes[0], hashes[1], now, now)
		if err != nil {
			return err
		}
		out, err = tx.GetAPIKey(ctx, strconv.FormatInt(id, 10))
		return err
	})
	if err != nil {
		return APIKey{}, KeyValues{}, err
	}
	return out, gen, nil
}

// GetAPIKey returns a key, by name or ID, with its connections and their quota usage.
func (tx *Tx) GetAPIKey(ctx context.Context, ref string) (APIKey, error) {
	k, err := tx.apiKeyRow(ctx, ref)
	if err != nil {
		return k, err
	}
	conns, err := tx.keyConnections(ctx, `WHERE psk.key_id = ?`, k.ID)
	if err != nil {
		return k, err
	}
	k.Connections = conns[k.ID]
	if k.Connections == nil {
		k.Connections = []KeyConnection{}
	}
	return k, nil
}

// ListAPIKeys returns every key by name, with connections.
func (tx *Tx) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := tx.query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("storage: list API keys: %w", err)
	}
	out := []APIKey{}
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: list API keys: %w", err)
		}
		out = append(out, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list API keys: %w", err)
	}
	conns, err := tx.keyConnections(ctx, ``)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Connections = conns[out[i].ID]; out[i].Connections == nil {
			out[i].Connections = []KeyConnection{}
		}
	}
	return out, nil
}

// keyConnections reads key connections (filtered by where) grouped by key ID.
func (tx *Tx) keyConnections(ctx context.Context, where string, args ...any) (map[int64][]KeyConnection, error) {
	rows, err := tx.query(ctx, `SELECT psk.key_id, p.id, p.name, p.rps, p.quota_period, p.quota_limit, s.service_id,
		s.name, s.id, psk.created_at, q.period_start, q.count
		FROM plan_stage_keys psk JOIN usage_plans p ON p.id = psk.plan_id JOIN stages s ON s.id = psk.stage_id
		LEFT JOIN quota_usage q ON q.key_id = psk.key_id AND q.stage_id = psk.stage_id `+where+`
		ORDER BY s.service_id, s.name, p.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: read key connections: %w", err)
	}
	defer rows.Close()
	now := tx.s.now()
	out := map[int64][]KeyConnection{}
	for rows.Next() {
		var keyID, limit int64
		var c KeyConnection
		var period, created string
		var qStart sql.NullString
		var qCount sql.NullInt64
		if err := rows.Scan(&keyID, &c.PlanID, &c.PlanName, &c.RPS, &period, &limit, &c.ServiceID, &c.StageName,
			&c.StageID, &created, &qStart, &qCount); err != nil {
			return nil, fmt.Errorf("storage: read key connections: %w", err)
		}
		if c.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		c.Quota = quotaUse(period, limit, qStart, qCount, now)
		out[keyID] = append(out[keyID], c)
	}
	return out, rows.Err()
}

// UpdateAPIKey changes a key's name, description and status (k.ID names it). Nothing is written when nothing
// changed. An INACTIVE key is refused by the gateway as soon as the change reaches it.
func (tx *Tx) UpdateAPIKey(ctx context.Context, k APIKey, ifVersion int64) (APIKey, error) {
	var out APIKey
	err := tx.atomic(ctx, func() error {
		cur, err := tx.apiKeyRow(ctx, strconv.FormatInt(k.ID, 10))
		if err != nil {
			return err
		}
		if err := checkVersion("API key "+cur.Name, cur.Version, ifVersion); err != nil {
			return err
		}
		if e := checkRefName(k.Name); e != nil {
			return e
		}
		if e := checkDescription("description", k.Description); e != nil {
			return e
		}
		if e := checkKeyStatus(k.Status); e != nil {
			return e
		}
		if k.Name == cur.Name && k.Description == cur.Description && k.Status == cur.Status {
			out, err = tx.GetAPIKey(ctx, strconv.FormatInt(cur.ID, 10))
			return err
		}
		if err := tx.checkKeyName(ctx, k.Name, cur.ID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE api_keys SET name = ?, description = ?, status = ?, version = version + 1,
			updated_at = ? WHERE id = ?`, k.Name, k.Description, k.Status, fmtTime(tx.s.now()), cur.ID); err != nil {
			return fmt.Errorf("storage: update API key %s: %w", cur.Name, err)
		}
		out, err = tx.GetAPIKey(ctx, strconv.FormatInt(cur.ID, 10))
		return err
	})
	return out, err
}

// RegenerateAPIKey replaces the primary or secondary value of a key with a new random one and returns it in plain
// text (shown once). The old value stops working as soon as the change reaches the gateway.
func (tx *Tx) RegenerateAPIKey(ctx context.Context, ref, which string, ifVersion int64) (APIKey, string, error) {
	var out APIKey
	var value string
	err := tx.atomic(ctx, func() error {
		var err error
		out, value, _, err = tx.setKeyValue(ctx, ref, which, "", ifVersion)
		return err
	})
	if err != nil {
		return APIKey{}, "", err
	}
	return out, value, nil
}

// SetAPIKeyValue sets the primary or secondary value of a key to a given one (the declarative file's
// primaryKey: env:…). It reports whether the value changed; setting the current value writes nothing.
func (tx *Tx) SetAPIKeyValue(ctx context.Context, ref, which, value string) (APIKey, bool, error) {
	var out APIKey
	changed := false
	err := tx.atomic(ctx, func() error {
		if value == "" {
			return Invalid(which+"Key", "is empty")
		}
		var err error
		out, _, changed, err = tx.setKeyValue(ctx, ref, which, value, 0)
		return err
	})
	return out, changed, err
}

// setKeyValue stores the digest of given, or of a generated value that it returns.
func (tx *Tx) setKeyValue(ctx context.Context, ref, which, given string, ifVersion int64) (APIKey, string, bool, error) {
	if e := checkWhich(which); e != nil {
		return APIKey{}, "", false, e
	}
	cur, err := tx.apiKeyRow(ctx, ref)
	if err != nil {
		return APIKey{}, "", false, err
	}
	if err := checkVersion("API key "+cur.Name, cur.Version, ifVersion); err != nil {
		return APIKey{}, "", false, err
	}
	field := which + "Key"
	hash, generated, err := keyValue(field, given)
	if err != nil {
		return APIKey{}, "", false, err
	}
	column, other := "primary_hash", "secondary_hash"
	if which == KeySecondary {
		column, other = other, column
	}
	var curHash, otherHash string
	if err := tx.queryRow(ctx, `SELECT `+column+`, `+other+` FROM api_keys WHERE id = ?`, cur.ID).
		Scan(&curHash, &otherHash); err != nil {
		return APIKey{}, "", false, fmt.Errorf("storage: read API key %s: %w", cur.Name, err)
	}
	if hash == curHash {
		out, err := tx.GetAPIKey(ctx, strconv.FormatInt(cur.ID, 10))
		return out, "", false, err
	}
	if hash == otherHash {
		return APIKey{}, "", false, Invalid(field, "the primary and secondary values of a key must differ")
	}
	if err := tx.checkHashFree(ctx, field, hash, cur.ID); err != nil {
		return APIKey{}, "", false, err
	}
	if _, err := tx.exec(ctx, `UPDATE api_keys SET `+column+` = ?, version = version + 1, updated_at = ?
		WHERE id = ?`, hash, fmtTime(tx.s.now()), cur.ID); err != nil {
		return APIKey{}, "", false, fmt.Errorf("storage: set %s value of API key %s: %w", which, cur.Name, err)
	}
	out, err := tx.GetAPIKey(ctx, strconv.FormatInt(cur.ID, 10))
	return out, generated, true, err
}

// DeleteAPIKey deletes a key and its quota usage, unless it is connected to a usage plan on some stage (the seed's
// rule): then a 409 names the plan and the stage.
func (tx *Tx) DeleteAPIKey(ctx context.Context, ref string, ifVersion int64) error {
	return tx.atomic(ctx, func() error {
		cur, err := tx.apiKeyRow(ctx, ref)
		if err != nil {
			return err
		}
		if err := checkVersion("API key "+cur.Name, cur.Version, ifVersion); err != nil {
			return err
		}
		var plan, svc, stage string
		err = tx.queryRow(ctx, `SELECT p.name, s.service_id, s.name FROM plan_stage_keys psk
			JOIN usage_plans p ON p.id = psk.plan_id JOIN stages s ON s.id = psk.stage_id
			WHERE psk.key_id = ? ORDER BY p.name, s.service_id, s.name LIMIT 1`, cur.ID).Scan(&plan, &svc, &stage)
		switch {
		case err == nil:
			return Conflict(CodeInUse, "API key %q is connected to usage plan %q on stage %s of service %q: "+
				"disconnect it first", cur.Name, plan, stageLabel(stage), svc)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("storage: delete API key %s: %w", cur.Name, err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM api_keys WHERE id = ?`, cur.ID); err != nil {
			return fmt.Errorf("storage: delete API key %s: %w", cur.Name, err)
		}
		return nil
	})
}
