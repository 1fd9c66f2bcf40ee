package deploy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/pipeline"
	"github.com/portico-gateway/portico/storage"
)

// Plugin types that implement the stage settings, in the fixed order of the stage checks (DESIGN §3): IP ACL, API
// key and usage plan, HMAC or JWT, rate limit, pre-call. They run before the route's own plugins.
const (
	TypeIPACL     = "ip-acl"
	TypeAPIKey    = "api-key"
	TypeHMAC      = "hmac"
	TypeJWT       = "jwt"
	TypeRateLimit = "rate-limit"
	TypePreCall   = "pre-call"
)

// settingsIndex answers "which setting applies to this path and method": the method's own, else the nearest
// path's (the path itself, then its ancestors up to the root "/").
type settingsIndex storage.StageSettings

func newSettingsIndex(s storage.StageSettings) settingsIndex { return settingsIndex(s) }

// check is one stage setting in effect for a route, with the settings node that declares it.
type check struct {
	field  string // ipAcl, apiKey, auth, rateLimit, preCall
	typ    string
	raw    json.RawMessage
	path   string
	method string // "" when declared on a path
}

// lookup finds the nearest declaration of one setting field for (path, method).
func (s settingsIndex) lookup(path, method string, get func(storage.Settings) json.RawMessage) (json.RawMessage, string, string) {
	if ps, ok := s[path]; ok {
		if ms, ok := ps.Methods[method]; ok && len(get(ms)) > 0 {
			return get(ms), path, method
		}
	}
	for p := path; ; p = parentPath(p) {
		if ps, ok := s[p]; ok && len(get(ps.Settings)) > 0 {
			return get(ps.Settings), p, ""
		}
		if p == "/" {
			return nil, "", ""
		}
	}
}

// checks lists the stage checks in effect for a route, in their fixed order.
func (s settingsIndex) checks(path, method string) ([]check, error) {
	var out []check
	add := func(field, typ string, get func(storage.Settings) json.RawMessage) {
		if raw, at, m := s.lookup(path, method, get); raw != nil {
			out = append(out, check{field: field, typ: typ, raw: raw, path: at, method: m})
		}
	}
	add("ipAcl", TypeIPACL, func(st storage.Settings) json.RawMessage { return st.IPACL })
	add("apiKey", TypeAPIKey, func(st storage.Settings) json.RawMessage { return st.APIKey })
	add("auth", "", func(st storage.Settings) json.RawMessage { return st.Auth })
	add("rateLimit", TypeRateLimit, func(st storage.Settings) json.RawMessage { return st.RateLimit })
	add("preCall", TypePreCall, func(st storage.Settings) json.RawMessage { return st.PreCall })

	kept := out[:0]
	for _, c := range out {
		switch c.field {
		case "apiKey":
			if strings.TrimSpace(string(c.raw)) == "false" {
				continue // switched off below a path that requires it
			}
		case "auth":
			typ, rest, err := splitAuth(c.raw)
			if err != nil {
				return nil, compileError(c.where()+".auth", "%v", err)
			}
			c.typ, c.raw = typ, rest
		}
		kept = append(kept, c)
	}
	return kept, nil
}

// splitAuth reads {"type":"hmac"|"jwt", …} into the plugin type and the rest of the object, its config.
func splitAuth(raw json.RawMessage) (string, json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", nil, fmt.Errorf("auth must be an object with a type: %w", err)
	}
	var typ string
	if err := json.Unmarshal(m["type"], &typ); err != nil || (typ != TypeHMAC && typ != TypeJWT) {
		return "", nil, fmt.Errorf(`type must be "hmac" or "jwt"`)
	}
	delete(m, "type")
	rest, err := json.Marshal(m)
	return typ, rest, err
}

func (c check) where() string {
	if c.method != "" {
		return "settings." + c.path + ".methods." + c.method
	}
	return "settings." + c.path
}

// stageChecks compiles the stage checks of a route. Each declaration is compiled once and shared by every route it
// applies to: a root rate limit is one limiter for the whole stage, a method's is that method's own (seed).
func (pc *pluginCompiler) stageChecks(s settingsIndex, path, method string) ([]pipeline.Binding, error) {
	checks, err := s.checks(path, method)
	if err != nil {
		return nil, err
	}
	out := make([]pipeline.Binding, 0, len(checks))
	for _, c := range checks {
		key := c.where() + "." + c.field
		if b, ok := pc.checks[key]; ok {
			out = append(out, b)
			continue
		}
		b, err := pc.build(c.typ, c.path, c.method, abi.PhaseRequest, c.raw, c.where()+"."+c.field, key)
		if err != nil {
			return nil, err
		}
		pc.checks[key] = b
		out = append(out, b)
	}
	return out, nil
}

// backendURL is the backend URL override in effect for (path, method), or "".
func (s settingsIndex) backendURL(path, method string) string {
	if ps, ok := s[path]; ok {
		if ms, ok := ps.Methods[method]; ok && ms.BackendURL != "" {
			return ms.BackendURL
		}
	}
	for p := path; ; p = parentPath(p) {
		if ps, ok := s[p]; ok && ps.BackendURL != "" {
			return ps.BackendURL
		}
		if p == "/" {
			return ""
		}
	}
}

// parentPath returns the parent resource path ("/a/b" → "/a", "/a" → "/").
func parentPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}
