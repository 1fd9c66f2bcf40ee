package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
)

// WASM modules are kept by (name, digest): uploading new bytes under a name adds a version, and a deployment pins
// the digest it was made with, so a redeploy of an old deployment runs the module it ran then.

// PluginTypeWASM is the plugin type whose config names a module: {"module": "NAME", "config": {...}}.
const PluginTypeWASM = "wasm"

// MaxModuleBytes bounds an uploaded module.
const MaxModuleBytes = 32 << 20

var moduleNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// PutModule stores wasm under name. It returns the stored module and whether these bytes were new for the name.
// The caller validates the bytes as a plugin module first (the wasm host knows what a valid module is).
func (tx *Tx) PutModule(ctx context.Context, name string, wasm []byte) (Module, bool, error) {
	var out Module
	created := false
	err := tx.atomic(ctx, func() error {
		if !moduleNameRe.MatchString(name) {
			return Invalid("name", "module names are 1–64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit")
		}
		if len(wasm) == 0 || len(wasm) > MaxModuleBytes {
			return Invalid("file", "a module must be 1 byte to %d MiB", MaxModuleBytes>>20)
		}
		sum := sha256.Sum256(wasm)
		digest := hex.EncodeToString(sum[:])
		n, err := tx.count(ctx, `SELECT COUNT(*) FROM modules WHERE name = ? AND digest = ?`, name, digest)
		if err != nil {
			return err
		}
		if n == 0 {
			if _, err := tx.exec(ctx, `INSERT INTO modules (name, digest, bytes, size, version, created_at)
				VALUES (?, ?, ?, ?, 1, ?)`, name, digest, wasm, len(wasm), fmtTime(tx.s.now())); err != nil {
				return fmt.Errorf("storage: insert module %s: %w", name, err)
			}
			created = true
		}
		out, err = tx.moduleByDigest(ctx, name, digest)
		return err
	})
	return out, created, err
}

const moduleSelect = `SELECT name, digest, size, version, created_at FROM modules `

func scanModule(row interface{ Scan(...any) error }) (Module, error) {
	var m Module
	var created string
	if err := row.Scan(&m.Name, &m.Digest, &m.Size, &m.Version, &created); err != nil {
		return m, err
	}
	var err error
	m.CreatedAt, err = parseTime(created)
	return m, err
}

func (tx *Tx) moduleByDigest(ctx context.Context, name, digest string) (Module, error) {
	m, err := scanModule(tx.queryRow(ctx, moduleSelect+`WHERE name = ? AND digest = ?`, name, digest))
	if err != nil {
		return Module{}, NotFound("module %s@%s not found", name, shortDigest(digest))
	}
	return m, nil
}

// GetModule returns the newest version of a module.
func (tx *Tx) GetModule(ctx context.Context, name string) (Module, error) {
	m, err := scanModule(tx.queryRow(ctx, moduleSelect+`WHERE name = ? ORDER BY id DESC LIMIT 1`, name))
	if err != nil {
		return Module{}, NotFound("module %s not found: upload it with `portico module add %s FILE`", name, name)
	}
	return m, nil
}

// ModuleBytes returns the bytes of one module version.
func (tx *Tx) ModuleBytes(ctx context.Context, name, digest string) ([]byte, error) {
	var b []byte
	if err := tx.queryRow(ctx, `SELECT bytes FROM modules WHERE name = ? AND digest = ?`, name, digest).Scan(&b); err != nil {
		return nil, NotFound("module %s@%s not found", name, shortDigest(digest))
	}
	return b, nil
}

// ListModules returns the newest version of every module, by name.
func (tx *Tx) ListModules(ctx context.Context) ([]Module, error) {
	rows, err := tx.query(ctx, moduleSelect+`WHERE id IN (SELECT MAX(id) FROM modules GROUP BY name) ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("storage: list modules: %w", err)
	}
	defer rows.Close()
	out := []Module{}
	for rows.Next() {
		m, err := scanModule(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list modules: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// DeleteModule removes every version of a module. It is refused while a plugin binding of a service or of a
// stage's applied resources, or a live deployment, uses it: the error names the first user found.
func (tx *Tx) DeleteModule(ctx context.Context, name string) error {
	return tx.atomic(ctx, func() error {
		if _, err := tx.GetModule(ctx, name); err != nil {
			return err
		}
		if user, err := tx.moduleUser(ctx, name); err != nil {
			return err
		} else if user != "" {
			return Conflict(CodeInUse, "module %s is used by %s: remove that plugin (and deploy) first", name, user)
		}
		if _, err := tx.exec(ctx, `DELETE FROM modules WHERE name = ?`, name); err != nil {
			return fmt.Errorf("storage: delete module %s: %w", name, err)
		}
		return nil
	})
}

// moduleUser names something that uses module name, or returns "".
func (tx *Tx) moduleUser(ctx context.Context, name string) (string, error) {
	services, err := tx.ListServices(ctx)
	if err != nil {
		return "", err
	}
	for _, svc := range services {
		tree, err := tx.ResourceTree(ctx, svc.ID)
		if err != nil {
			return "", err
		}
		if where := treeUsesModule(tree, name); where != "" {
			return fmt.Sprintf("service %s %s", svc.Name, where), nil
		}
		stages, err := tx.ListStages(ctx, svc.ID)
		if err != nil {
			return "", err
		}
		for _, st := range stages {
			full, err := tx.GetStage(ctx, svc.ID, st.Name)
			if err != nil {
				return "", err
			}
			if full.Resources != nil {
				if where := treeUsesModule(*full.Resources, name); where != "" {
					return fmt.Sprintf("stage %s of service %s %s", stageLabel(st.Name), svc.Name, where), nil
				}
			}
		}
	}
	live, err := tx.LiveDeployments(ctx)
	if err != nil {
		return "", err
	}
	for _, d := range live {
		if d.Snapshot == nil {
			continue
		}
		for _, ref := range d.Snapshot.Modules {
			if ref.Name == name {
				return fmt.Sprintf("deployment %d (stage %s of service %s)", d.ID, stageLabel(d.StageName), d.ServiceID), nil
			}
		}
	}
	return "", nil
}

func treeUsesModule(tree ResourceTree, name string) string {
	for _, r := range tree.Resources {
		for _, p := range r.Plugins {
			if wasmModuleName(p) == name {
				return "at " + r.Path
			}
		}
		for _, m := range r.Methods {
			for _, p := range m.Plugins {
				if wasmModuleName(p) == name {
					return "at " + m.HTTPMethod + " " + r.Path
				}
			}
		}
	}
	return ""
}

// wasmModuleName is the module a binding of the wasm plugin type names ("" for other bindings).
func wasmModuleName(p PluginBinding) string {
	if p.Type != PluginTypeWASM || len(p.Config) == 0 {
		return ""
	}
	var cfg struct {
		Module string `json:"module"`
	}
	_ = json.Unmarshal(p.Config, &cfg)
	return cfg.Module
}

// pinModules resolves every module the snapshot's wasm bindings name to its newest digest, for the deployment to
// pin. A missing module fails the deploy with the field that names it.
func (tx *Tx) pinModules(ctx context.Context, snap *Snapshot) error {
	names := map[string]string{}
	for _, r := range snap.Resources.Resources {
		for _, p := range r.Plugins {
			if n := wasmModuleName(p); n != "" {
				names[n] = r.Path
			}
		}
		for _, m := range r.Methods {
			for _, p := range m.Plugins {
				if n := wasmModuleName(p); n != "" {
					names[n] = m.HTTPMethod + " " + r.Path
				}
			}
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	snap.Modules = nil
	for _, n := range sorted {
		m, err := tx.GetModule(ctx, n)
		if err != nil {
			return Invalid(names[n]+" plugins.wasm.module", "module %s is not uploaded: `portico module add %s FILE`", n, n)
		}
		snap.Modules = append(snap.Modules, ModuleRef{Name: n, Digest: m.Digest})
	}
	return nil
}

func shortDigest(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
