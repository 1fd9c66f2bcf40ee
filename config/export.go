package config

import (
	"context"
	"encoding/json"

	"github.com/portico-gateway/portico/storage"
)

// Export reads every service with its resource tree and stages, the API keys (never their values) and the usage
// plans into a Document that Apply accepts as it is.
func Export(ctx context.Context, tx *storage.Tx) (*Document, error) {
	services, err := tx.ListServices(ctx)
	if err != nil {
		return nil, err
	}
	doc := &Document{Services: []Service{}}
	modules, err := tx.ListModules(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range modules {
		doc.Modules = append(doc.Modules, Module{Name: m.Name}) // bytes stay in the store; apply keeps them
	}
	for _, svc := range services {
		tree, err := tx.ResourceTree(ctx, svc.ID)
		if err != nil {
			return nil, err
		}
		out := Service{ID: svc.ID, Name: svc.Name, Description: svc.Description, Resources: map[string]Resource{}}
		for _, res := range tree.Resources {
			r := Resource{Plugins: fromPlugins(res.Plugins)}
			for _, m := range res.Methods {
				if m.ManagedBy != "" {
					continue // re-created by the plugin that manages it
				}
				if r.Methods == nil {
					r.Methods = map[string]Method{}
				}
				r.Methods[m.HTTPMethod] = Method{Name: m.Name, Description: m.Description, Plugins: fromPlugins(m.Plugins),
					Backend: Backend{Type: m.Backend.Type, Path: m.Backend.Path, Status: m.Backend.Status,
						Headers: m.Backend.Headers, Body: m.Backend.Body}}
			}
			out.Resources[res.Path] = r
		}
		stages, err := tx.ListStages(ctx, svc.ID)
		if err != nil {
			return nil, err
		}
		for _, st := range stages {
			out.Stages = append(out.Stages, Stage{Name: st.Name, Description: st.Description, BackendURL: st.BackendURL,
				Settings: fromSettings(st.Settings)})
		}
		doc.Services = append(doc.Services, out)
	}
	// API keys without their values, and usage plans with their connections (apikeys.go).
	if err := exportAPIKeys(ctx, tx, doc); err != nil {
		return nil, err
	}
	if err := exportUsagePlans(ctx, tx, doc); err != nil {
		return nil, err
	}
	return doc, nil
}

func fromPlugins(ps []storage.PluginBinding) []Plugin {
	var out []Plugin
	for _, p := range ps {
		var cfg map[string]any
		if len(p.Config) > 0 {
			_ = json.Unmarshal(p.Config, &cfg)
		}
		phase := p.Phase
		if phase == storage.PhaseRequest {
			phase = "" // the default, left out to match hand-written files
		}
		out = append(out, Plugin{Type: p.Type, Phase: phase, OverrideChildren: p.OverrideChildren, Config: cfg})
	}
	return out
}

func fromSettings(s storage.StageSettings) map[string]PathSettings {
	if len(s) == 0 {
		return nil
	}
	out := make(map[string]PathSettings, len(s))
	for path, ps := range s {
		node := PathSettings{Settings: fromSetting(ps.Settings)}
		for m, ms := range ps.Methods {
			if node.Methods == nil {
				node.Methods = map[string]Settings{}
			}
			node.Methods[m] = fromSetting(ms)
		}
		out[path] = node
	}
	return out
}

// fromSetting decodes raw settings for the file. Secrets inside auth settings are redacted: an export must never
// leak them; re-applying an export needs the secret given again (env:NAME).
func fromSetting(s storage.Settings) Settings {
	decode := func(raw json.RawMessage) any {
		if len(raw) == 0 {
			return nil
		}
		var v any
		_ = json.Unmarshal(raw, &v)
		return v
	}
	out := Settings{IPACL: decode(s.IPACL), Auth: decode(s.Auth), RateLimit: decode(s.RateLimit),
		APIKey: decode(s.APIKey), PreCall: decode(s.PreCall), BackendURL: s.BackendURL}
	if auth, ok := out.Auth.(map[string]any); ok {
		if _, has := auth["secret"]; has {
			auth["secret"] = "env:REDACTED"
		}
	}
	return out
}
