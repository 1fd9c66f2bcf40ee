// Package config is the declarative configuration file (`portico apply -f portico.yaml`): its types, strict
// parsing with file:line errors, and the translation to and from the store. The format is a public contract
// (shared/contract/portico.example.yaml): fields may be added, never renamed or dropped.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Document is a whole configuration file.
type Document struct {
	Services   []Service   `yaml:"services" json:"services"`
	Modules    []Module    `yaml:"modules,omitempty" json:"modules,omitempty"`
	APIKeys    []APIKey    `yaml:"apiKeys,omitempty" json:"apiKeys,omitempty"`
	UsagePlans []UsagePlan `yaml:"usagePlans,omitempty" json:"usagePlans,omitempty"`
}

// Service is a service with its resource tree and stages.
type Service struct {
	ID          string              `yaml:"id,omitempty" json:"id,omitempty"`
	Name        string              `yaml:"name" json:"name"`
	Description string              `yaml:"description,omitempty" json:"description,omitempty"`
	Resources   map[string]Resource `yaml:"resources,omitempty" json:"resources,omitempty"`
	Stages      []Stage             `yaml:"stages,omitempty" json:"stages,omitempty"`
}

// Resource is one path of the tree; parents are implied.
type Resource struct {
	Plugins []Plugin          `yaml:"plugins,omitempty" json:"plugins,omitempty"`
	Methods map[string]Method `yaml:"methods,omitempty" json:"methods,omitempty"`
}

// Method is an HTTP method of a path.
type Method struct {
	Name        string   `yaml:"name,omitempty" json:"name,omitempty"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Backend     Backend  `yaml:"backend" json:"backend"`
	Plugins     []Plugin `yaml:"plugins,omitempty" json:"plugins,omitempty"`
}

// Backend is an HTTP backend path or a custom (mock) response.
type Backend struct {
	Type    string            `yaml:"type" json:"type"`
	Path    string            `yaml:"path,omitempty" json:"path,omitempty"`
	Status  int               `yaml:"status,omitempty" json:"status,omitempty"`
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	Body    string            `yaml:"body,omitempty" json:"body,omitempty"`
}

// Plugin is a plugin binding; Config is owned by the plugin.
type Plugin struct {
	Type             string         `yaml:"type" json:"type"`
	Phase            string         `yaml:"phase,omitempty" json:"phase,omitempty"`
	OverrideChildren bool           `yaml:"overrideChildren,omitempty" json:"overrideChildren,omitempty"`
	Config           map[string]any `yaml:"config,omitempty" json:"config,omitempty"`
}

// Stage is a stage of a service.
type Stage struct {
	Name        string                  `yaml:"name" json:"name"`
	Description string                  `yaml:"description,omitempty" json:"description,omitempty"`
	BackendURL  string                  `yaml:"backendUrl" json:"backendUrl"`
	Settings    map[string]PathSettings `yaml:"settings,omitempty" json:"settings,omitempty"`
}

// Settings are the stage checks of one node of the settings tree.
type Settings struct {
	IPACL      any    `yaml:"ipAcl,omitempty" json:"ipAcl,omitempty"`
	Auth       any    `yaml:"auth,omitempty" json:"auth,omitempty"`
	RateLimit  any    `yaml:"rateLimit,omitempty" json:"rateLimit,omitempty"`
	APIKey     any    `yaml:"apiKey,omitempty" json:"apiKey,omitempty"`
	PreCall    any    `yaml:"preCall,omitempty" json:"preCall,omitempty"`
	BackendURL string `yaml:"backendUrl,omitempty" json:"backendUrl,omitempty"`
}

// PathSettings are the settings of a path and of its methods.
type PathSettings struct {
	Settings `yaml:",inline" json:",inline"`
	Methods  map[string]Settings `yaml:"methods,omitempty" json:"methods,omitempty"`
}

// Module is a WASM module file. The file (relative to the configuration file) is read by `portico apply` and its
// bytes sent along; a module without a file must already be uploaded.
type Module struct {
	Name string `yaml:"name" json:"name"`
	File string `yaml:"file,omitempty" json:"file,omitempty"`
	WASM []byte `yaml:"-" json:"wasm,omitempty"`
}

// APIKey is an API key.
type APIKey struct {
	Name         string `yaml:"name" json:"name"`
	Description  string `yaml:"description,omitempty" json:"description,omitempty"`
	Status       string `yaml:"status,omitempty" json:"status,omitempty"`
	PrimaryKey   string `yaml:"primaryKey,omitempty" json:"primaryKey,omitempty"`
	SecondaryKey string `yaml:"secondaryKey,omitempty" json:"secondaryKey,omitempty"`
}

// UsagePlan is a usage plan with its stage and key connections.
type UsagePlan struct {
	Name        string      `yaml:"name" json:"name"`
	Description string      `yaml:"description,omitempty" json:"description,omitempty"`
	RPS         int         `yaml:"rps,omitempty" json:"rps,omitempty"`
	Quota       *Quota      `yaml:"quota,omitempty" json:"quota,omitempty"`
	Stages      []PlanStage `yaml:"stages,omitempty" json:"stages,omitempty"`
}

// Quota is a usage plan's request quota.
type Quota struct {
	Period string `yaml:"period" json:"period"`
	Limit  int64  `yaml:"limit,omitempty" json:"limit,omitempty"`
}

// PlanStage connects a plan to a stage and lists the keys connected there.
type PlanStage struct {
	Service string   `yaml:"service" json:"service"`
	Stage   string   `yaml:"stage" json:"stage"`
	APIKeys []string `yaml:"apiKeys,omitempty" json:"apiKeys,omitempty"`
}

// MaxFileBytes bounds a configuration file.
const MaxFileBytes = 16 << 20

// ParseError is a syntax or shape error in a file, with the file name and line.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ParseFile reads and parses a configuration file. Secrets written as "env:NAME" are resolved from the environment.
func ParseFile(path string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, &ParseError{File: path, Msg: fmt.Sprintf("larger than %d bytes", MaxFileBytes)}
	}
	doc, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if err := doc.ResolveEnv(os.LookupEnv); err != nil {
		return nil, &ParseError{File: path, Msg: err.Error()}
	}
	if err := doc.readModules(filepath.Dir(path)); err != nil {
		return nil, &ParseError{File: path, Msg: err.Error()}
	}
	return doc, nil
}

// Parse parses YAML (or JSON, which is YAML) strictly: unknown fields, duplicate keys and wrong types are errors
// that name the line.
func Parse(name string, data []byte) (*Document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{File: name, Msg: "the file is empty"}
		}
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &ParseError{File: name, Msg: "only one YAML document is allowed"}
	}
	if err := doc.normalize(); err != nil {
		return nil, &ParseError{File: name, Msg: err.Error()}
	}
	return &doc, nil
}

// yamlError turns yaml.v3's messages ("yaml: line 12: …", TypeError lists) into ParseErrors.
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs := make([]string, 0, len(te.Errors))
		for _, m := range te.Errors {
			msgs = append(msgs, strings.TrimPrefix(m, "yaml: "))
		}
		line := 0
		fmt.Sscanf(msgs[0], "line %d:", &line)
		if line > 0 {
			msgs[0] = strings.TrimSpace(strings.SplitN(msgs[0], ":", 2)[1])
		}
		// Go type names mean little to a reader of the file; "config.Stage" reads better as "Stage".
		return &ParseError{File: name, Line: line, Msg: strings.ReplaceAll(strings.Join(msgs, "; "), "config.", "")}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		msg = strings.TrimSpace(strings.SplitN(msg, ":", 2)[1])
	}
	return &ParseError{File: name, Line: line, Msg: msg}
}

// normalize upper-cases method names and checks the shape rules that need no store.
func (d *Document) normalize() error {
	for si := range d.Services {
		svc := &d.Services[si]
		if strings.TrimSpace(svc.Name) == "" {
			return fmt.Errorf("services[%d]: name is required", si)
		}
		for path, res := range svc.Resources {
			if len(res.Methods) == 0 {
				continue
			}
			upper := make(map[string]Method, len(res.Methods))
			for m, def := range res.Methods {
				u := strings.ToUpper(m)
				if _, dup := upper[u]; dup {
					return fmt.Errorf("services[%d] (%s).resources[%s]: method %s is defined twice", si, svc.Name, path, u)
				}
				upper[u] = def
			}
			res.Methods = upper
			svc.Resources[path] = res
		}
	}
	return nil
}

// ResolveEnv replaces secret values written as "env:NAME" with the variable's value; a missing variable is an
// error that names it.
func (d *Document) ResolveEnv(lookup func(string) (string, bool)) error {
	resolve := func(where string, v *string) error {
		name, ok := strings.CutPrefix(*v, "env:")
		if !ok {
			return nil
		}
		val, found := lookup(name)
		if !found {
			return fmt.Errorf("%s: environment variable %s is not set", where, name)
		}
		*v = val
		return nil
	}
	for i := range d.APIKeys {
		k := &d.APIKeys[i]
		if err := resolve(fmt.Sprintf("apiKeys[%d].primaryKey", i), &k.PrimaryKey); err != nil {
			return err
		}
		if err := resolve(fmt.Sprintf("apiKeys[%d].secondaryKey", i), &k.SecondaryKey); err != nil {
			return err
		}
	}
	for si := range d.Services {
		for sti := range d.Services[si].Stages {
			st := &d.Services[si].Stages[sti]
			for path, ps := range st.Settings {
				if err := resolveSecrets(fmt.Sprintf("services[%d].stages[%d].settings[%s]", si, sti, path), &ps.Settings, resolve); err != nil {
					return err
				}
				for m, ms := range ps.Methods {
					if err := resolveSecrets(fmt.Sprintf("services[%d].stages[%d].settings[%s].methods.%s", si, sti, path, m), &ms, resolve); err != nil {
						return err
					}
					ps.Methods[m] = ms
				}
				st.Settings[path] = ps
			}
		}
	}
	return nil
}

// resolveSecrets resolves the "env:" values of the secret-carrying fields of auth settings.
func resolveSecrets(where string, s *Settings, resolve func(string, *string) error) error {
	auth, ok := s.Auth.(map[string]any)
	if !ok {
		return nil
	}
	for _, key := range []string{"secret", "publicKeyPem"} {
		if v, ok := auth[key].(string); ok {
			if err := resolve(where+".auth."+key, &v); err != nil {
				return err
			}
			auth[key] = v
		}
	}
	return nil
}

// readModules reads the module files, relative to dir.
func (d *Document) readModules(dir string) error {
	for i := range d.Modules {
		m := &d.Modules[i]
		if m.File == "" {
			continue
		}
		// A relative path is relative to the configuration file; failing that, to the working directory (the
		// contract example names ./examples/… from the repository root).
		p := m.File
		if !filepath.IsAbs(p) {
			if beside := filepath.Join(dir, p); fileExists(beside) || !fileExists(p) {
				p = beside
			}
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("modules[%d] (%s): %w", i, m.Name, err)
		}
		m.WASM = b
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Marshal writes the document as YAML.
func (d *Document) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

// rawJSON encodes a decoded YAML value as JSON for the store (which keeps plugin and setting configs raw).
func rawJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return b, nil
}
