package config

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"github.com/portico-gateway/portico/storage"
)

// Change is one thing Apply changed (or, in a dry run, would change).
type Change struct {
	Object string `json:"object"` // e.g. `service shop`, `stage shop/test`
	Action string `json:"action"` // created | updated | unchanged
}

// Result lists the changes of an apply.
type Result struct {
	Changes []Change `json:"changes"`
	DryRun  bool     `json:"dryRun,omitempty"`
	// GeneratedKeys are the API key values Apply generated for keys it created: shown here once, never again.
	GeneratedKeys []GeneratedKey `json:"generatedKeys,omitempty"`
}

// Changed reports whether anything was created or updated.
func (r Result) Changed() bool {
	for _, c := range r.Changes {
		if c.Action != "unchanged" {
			return true
		}
	}
	return false
}

// Options are what Apply needs beyond the store.
type Options struct {
	// ValidateModule checks a WASM module before it is stored (nil: no check).
	ValidateModule func(ctx context.Context, wasm []byte) error
}

// Apply makes the store match doc inside tx: modules are uploaded, services are matched by ID (when given) or name,
// their resource trees replaced, their stages created or updated; API keys and usage plans are matched by name, and
// a plan's stage and key connections become what the document lists. Applying the same document twice changes
// nothing.
// Errors are *storage.Error values whose Field says where in the document the problem is.
func Apply(ctx context.Context, tx *storage.Tx, doc *Document, opts Options) (Result, error) {
	var res Result
	for i, m := range doc.Modules {
		where := fmt.Sprintf("modules[%d]", i)
		c, err := applyModule(ctx, tx, m, opts)
		if err != nil {
			if se, ok := storage.AsError(err); ok {
				return res, se.WithField(where)
			}
			return res, fmt.Errorf("%s: %w", where, err)
		}
		res.Changes = append(res.Changes, c)
	}
	// API keys before services, usage plans after them: plans connect both (apikeys.go).
	if err := applyAPIKeys(ctx, tx, doc.APIKeys, &res); err != nil {
		return res, err
	}
	for i := range doc.Services {
		where := fmt.Sprintf("services[%d]", i)
		changes, err := applyService(ctx, tx, &doc.Services[i])
		if err != nil {
			if se, ok := storage.AsError(err); ok {
				return res, se.WithField(where)
			}
			return res, fmt.Errorf("%s: %w", where, err)
		}
		res.Changes = append(res.Changes, changes...)
	}
	if err := applyUsagePlans(ctx, tx, doc.UsagePlans, &res); err != nil {
		return res, err
	}
	return res, nil
}

func applyModule(ctx context.Context, tx *storage.Tx, m Module, opts Options) (Change, error) {
	object := "module " + m.Name
	if len(m.WASM) == 0 {
		if _, err := tx.GetModule(ctx, m.Name); err != nil {
			return Change{}, storage.Invalid("file", "module %s has no file and is not uploaded yet", m.Name)
		}
		return Change{Object: object, Action: "unchanged"}, nil
	}
	if opts.ValidateModule != nil {
		if err := opts.ValidateModule(ctx, m.WASM); err != nil {
			return Change{}, storage.Invalid("file", "%s: %v", m.File, err)
		}
	}
	_, created, err := tx.PutModule(ctx, m.Name, m.WASM)
	if err != nil {
		return Change{}, err
	}
	if created {
		return Change{Object: object, Action: "uploaded"}, nil
	}
	return Change{Object: object, Action: "unchanged"}, nil
}

func applyService(ctx context.Context, tx *storage.Tx, def *Service) ([]Change, error) {
	var changes []Change
	svc, found, err := findService(ctx, tx, def)
	if err != nil {
		return nil, err
	}
	object := "service " + def.Name
	switch {
	case !found:
		svc, err = tx.CreateService(ctx, storage.Service{ID: def.ID, Name: def.Name, Description: def.Description})
		if err != nil {
			return nil, err
		}
		changes = append(changes, Change{Object: object, Action: "created"})
	case svc.Name != def.Name || svc.Description != def.Description:
		svc.Name, svc.Description = def.Name, def.Description
		if svc, err = tx.UpdateService(ctx, svc, 0); err != nil {
			return nil, err
		}
		changes = append(changes, Change{Object: object, Action: "updated"})
	default:
		changes = append(changes, Change{Object: object, Action: "unchanged"})
	}

	tree, err := toTree(def.Resources)
	if err != nil {
		return nil, err
	}
	before, err := tx.ResourceTree(ctx, svc.ID)
	if err != nil {
		return nil, err
	}
	if err := tx.ReplaceTree(ctx, svc.ID, tree); err != nil {
		if se, ok := storage.AsError(err); ok {
			c := *se
			c.Field = treeField(tree, se.Field)
			return nil, &c
		}
		return nil, err
	}
	after, err := tx.ResourceTree(ctx, svc.ID)
	if err != nil {
		return nil, err
	}
	changes = append(changes, Change{Object: "resources of " + def.Name, Action: treeAction(before, after)})

	for i := range def.Stages {
		c, err := applyStage(ctx, tx, svc, &def.Stages[i])
		if err != nil {
			if se, ok := storage.AsError(err); ok {
				return nil, se.WithField(fmt.Sprintf("stages[%d]", i))
			}
			return nil, fmt.Errorf("stages[%d]: %w", i, err)
		}
		changes = append(changes, c)
	}
	return changes, nil
}

func findService(ctx context.Context, tx *storage.Tx, def *Service) (storage.Service, bool, error) {
	ref := def.ID
	if ref == "" {
		ref = def.Name
	}
	svc, err := tx.GetService(ctx, ref)
	if err != nil {
		if se, ok := storage.AsError(err); ok && se.Kind == storage.KindNotFound {
			return storage.Service{}, false, nil
		}
		return storage.Service{}, false, err
	}
	return svc, true, nil
}

func applyStage(ctx context.Context, tx *storage.Tx, svc storage.Service, def *Stage) (Change, error) {
	object := fmt.Sprintf("stage %s/%s", svc.Name, stageLabel(def.Name))
	settings, err := toSettings(def.Settings)
	if err != nil {
		return Change{}, err
	}
	cur, err := tx.GetStage(ctx, svc.ID, def.Name)
	if err != nil {
		if se, ok := storage.AsError(err); ok && se.Kind == storage.KindNotFound {
			_, err = tx.CreateStage(ctx, storage.Stage{ServiceID: svc.ID, Name: def.Name, Description: def.Description,
				BackendURL: def.BackendURL, Settings: settings})
			if err != nil {
				return Change{}, err
			}
			return Change{Object: object, Action: "created"}, nil
		}
		return Change{}, err
	}
	if cur.Description == def.Description && cur.BackendURL == def.BackendURL && sameJSON(cur.Settings, settings) {
		return Change{Object: object, Action: "unchanged"}, nil
	}
	cur.Description, cur.BackendURL, cur.Settings = def.Description, def.BackendURL, settings
	if _, err := tx.UpdateStage(ctx, cur, 0); err != nil {
		return Change{}, err
	}
	return Change{Object: object, Action: "updated"}, nil
}

func stageLabel(name string) string {
	if name == "" {
		return "(default)"
	}
	return name
}

// toTree converts the file's path map into the store's sorted tree.
func toTree(resources map[string]Resource) (storage.ResourceTree, error) {
	paths := make([]string, 0, len(resources))
	for p := range resources {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	tree := storage.ResourceTree{Resources: []storage.Resource{}}
	for _, p := range paths {
		def := resources[p]
		res := storage.Resource{Path: p}
		plugins, err := toPlugins(def.Plugins)
		if err != nil {
			return tree, storage.Invalid(fmt.Sprintf("resources[%s].plugins", p), "%v", err)
		}
		res.Plugins = plugins
		methods := make([]string, 0, len(def.Methods))
		for m := range def.Methods {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			md := def.Methods[m]
			mp, err := toPlugins(md.Plugins)
			if err != nil {
				return tree, storage.Invalid(fmt.Sprintf("resources[%s].methods.%s.plugins", p, m), "%v", err)
			}
			res.Methods = append(res.Methods, storage.Method{
				HTTPMethod: m, Name: md.Name, Description: md.Description, Plugins: mp,
				Backend: storage.Backend{Type: md.Backend.Type, Path: md.Backend.Path, Status: md.Backend.Status,
					Headers: md.Backend.Headers, Body: md.Backend.Body},
			})
		}
		tree.Resources = append(tree.Resources, res)
	}
	return tree, nil
}

func toPlugins(defs []Plugin) ([]storage.PluginBinding, error) {
	var out []storage.PluginBinding
	for i, d := range defs {
		cfg, err := rawJSON(d.Config)
		if err != nil {
			return nil, fmt.Errorf("[%d].config: %w", i, err)
		}
		phase := d.Phase
		if phase == "" {
			phase = storage.PhaseRequest
		}
		out = append(out, storage.PluginBinding{Type: d.Type, Phase: phase, OverrideChildren: d.OverrideChildren, Config: cfg})
	}
	return out, nil
}

func toSettings(defs map[string]PathSettings) (storage.StageSettings, error) {
	if len(defs) == 0 {
		return nil, nil
	}
	out := make(storage.StageSettings, len(defs))
	for path, ps := range defs {
		s, err := toSetting(ps.Settings)
		if err != nil {
			return nil, storage.Invalid("settings["+path+"]", "%v", err)
		}
		node := storage.PathSettings{Settings: s}
		for m, ms := range ps.Methods {
			s, err := toSetting(ms)
			if err != nil {
				return nil, storage.Invalid("settings["+path+"].methods."+m, "%v", err)
			}
			if node.Methods == nil {
				node.Methods = map[string]storage.Settings{}
			}
			node.Methods[m] = s
		}
		out[path] = node
	}
	return out, nil
}

func toSetting(s Settings) (storage.Settings, error) {
	var out storage.Settings
	var err error
	for _, f := range []struct {
		v   any
		dst *json.RawMessage
	}{{s.IPACL, &out.IPACL}, {s.Auth, &out.Auth}, {s.RateLimit, &out.RateLimit}, {s.APIKey, &out.APIKey}, {s.PreCall, &out.PreCall}} {
		if *f.dst, err = rawJSON(f.v); err != nil {
			return out, err
		}
	}
	out.BackendURL = s.BackendURL
	return out, nil
}

var treeFieldRe = regexp.MustCompile(`^resources\[(\d+)\](?:\.methods\[(\d+)\])?`)

// treeField rewrites the store's index-based field ("resources[2].methods[0].backend.path") into the file's own
// terms ("resources[/items/{id}].methods.GET.backend.path").
func treeField(tree storage.ResourceTree, field string) string {
	m := treeFieldRe.FindStringSubmatch(field)
	if m == nil {
		return field
	}
	ri, _ := strconv.Atoi(m[1])
	if ri >= len(tree.Resources) {
		return field
	}
	res := tree.Resources[ri]
	out := "resources[" + res.Path + "]"
	if m[2] != "" {
		mi, _ := strconv.Atoi(m[2])
		if mi >= len(res.Methods) {
			return field
		}
		out += ".methods." + res.Methods[mi].HTTPMethod
	}
	return out + field[len(m[0]):]
}

// sameJSON compares two values by their canonical JSON encoding (maps encode with sorted keys).
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// treeAction compares two trees ignoring IDs and versions' meaning: if the versions and counts are the same, the
// tree is unchanged.
func treeAction(before, after storage.ResourceTree) string {
	if sameJSON(before, after) {
		return "unchanged"
	}
	if len(before.Resources) == 0 {
		return "created"
	}
	return "updated"
}
