package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portico-gateway/portico/runtime/ctxvar"
	"github.com/portico-gateway/portico/runtime/router"
)

// Field length limits (characters, not bytes, as in the console).
const (
	maxNameLen        = 50
	maxDescriptionLen = 500
	maxAuthorLen      = 100
	maxBackendPathLen = 1024
	maxURLLen         = 1024
	maxMockBodyLen    = 1 << 20
)

// checkText checks a single-line, human-entered text field.
func checkText(field, v string, max int, required bool) *Error {
	if v == "" {
		if required {
			return Invalid(field, "is required")
		}
		return nil
	}
	if !utf8.ValidString(v) {
		return Invalid(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return Invalid(field, "is %d characters long; the limit is %d", n, max)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return Invalid(field, "must not contain control characters (found %U)", r)
		}
	}
	if strings.TrimSpace(v) != v {
		return Invalid(field, "must not start or end with spaces")
	}
	return nil
}

// checkDescription checks free text: newlines and tabs are allowed, other control characters are not.
func checkDescription(field, v string) *Error {
	if !utf8.ValidString(v) {
		return Invalid(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(v); n > maxDescriptionLen {
		return Invalid(field, "is %d characters long; the limit is %d", n, maxDescriptionLen)
	}
	for _, r := range v {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return Invalid(field, "must not contain control characters (found %U)", r)
		}
	}
	return nil
}

// parseResourcePath validates a resource path for field.
func parseResourcePath(field, p string) ([]router.Segment, *Error) {
	// Messages are self-contained (the admin API shows Message alone), so the cause is not attached as Err: Error()
	// would repeat it.
	segs, err := router.ParsePath(p)
	if err != nil {
		if pe, ok := err.(*router.PathError); ok {
			return nil, Invalid(field, "%q: %s", p, pe.Reason)
		}
		return nil, Invalid(field, "%s", err.Error())
	}
	return segs, nil
}

// normalizeHTTPMethod upper-cases m and checks it is one of HTTPMethods.
func normalizeHTTPMethod(field, m string) (string, *Error) {
	u := strings.ToUpper(strings.TrimSpace(m))
	if u == "" {
		return "", Invalid(field, "is required: one of %s", strings.Join(HTTPMethods, ", "))
	}
	if !slices.Contains(HTTPMethods, u) {
		return "", Invalid(field, "%q is not supported: use one of %s", m, strings.Join(HTTPMethods, ", "))
	}
	return u, nil
}

// validateMethod checks a method's own fields and backend, with scope the segments of its resource's full path, and
// returns it normalised (upper-case method, lower-case backend type, empty maps as nil).
func validateMethod(m Method, scope []router.Segment) (Method, *Error) {
	var e *Error
	if m.HTTPMethod, e = normalizeHTTPMethod("method", m.HTTPMethod); e != nil {
		return m, e
	}
	if e = checkText("name", m.Name, maxNameLen, false); e != nil {
		return m, e
	}
	if e = checkDescription("description", m.Description); e != nil {
		return m, e
	}
	if e = checkText("managedBy", m.ManagedBy, maxNameLen, false); e != nil {
		return m, e
	}
	if m.Backend, e = validateBackend(m.Backend, scope); e != nil {
		return m, e
	}
	return m, nil
}

func validateBackend(b Backend, scope []router.Segment) (Backend, *Error) {
	b.Type = strings.ToLower(strings.TrimSpace(b.Type))
	if len(b.Headers) == 0 {
		b.Headers = nil
	}
	switch b.Type {
	case BackendHTTP:
		return b, validateHTTPBackend(b, scope)
	case BackendMock:
		return b, validateMockBackend(b, scope)
	case "":
		return b, Invalid("backend.type", "is required: %q or %q", BackendHTTP, BackendMock)
	}
	return b, Invalid("backend.type", "%q is not a backend type: use %q or %q", b.Type, BackendHTTP, BackendMock)
}

func validateHTTPBackend(b Backend, scope []router.Segment) *Error {
	const f = "backend.path"
	switch {
	case b.Path == "":
		return Invalid(f, "is required for an http backend: the path appended to the stage's backend URL, e.g. /")
	case b.Path[0] != '/':
		return Invalid(f, "must start with /")
	case len(b.Path) > maxBackendPathLen:
		return Invalid(f, "is %d characters long; the limit is %d", len(b.Path), maxBackendPathLen)
	case strings.ContainsAny(b.Path, "?#"):
		return Invalid(f, "must not contain a query string or fragment: the request's query string is passed "+
			"on, and the query plugin adds parameters")
	}
	for _, r := range b.Path {
		if r <= ' ' || r == 0x7f {
			return Invalid(f, "must not contain spaces or control characters (percent-encode them)")
		}
	}
	if _, err := ctxvar.Parse(b.Path, scope); err != nil {
		return Invalid(f, "%s", templateReason(err))
	}
	switch {
	case b.Status != 0:
		return Invalid("backend.status", "only a mock backend has a status")
	case len(b.Headers) != 0:
		return Invalid("backend.headers", "only a mock backend has headers (use the response-header plugin)")
	case b.Body != "":
		return Invalid("backend.body", "only a mock backend has a body")
	}
	return nil
}

func validateMockBackend(b Backend, scope []router.Segment) *Error {
	switch {
	case b.Path != "":
		return Invalid("backend.path", "only an http backend has a path")
	case b.Status == 0:
		return Invalid("backend.status", "is required for a mock backend (100-599)")
	case b.Status < 100 || b.Status > 599:
		return Invalid("backend.status", "%d is not an HTTP status: use 100-599", b.Status)
	case len(b.Body) > maxMockBodyLen:
		return Invalid("backend.body", "is %d bytes long; the limit is %d", len(b.Body), maxMockBodyLen)
	}
	names := make([]string, 0, len(b.Headers))
	for name := range b.Headers {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic: the same input always reports the same field
	seen := make(map[string]string, len(names))
	for _, name := range names {
		f := "backend.headers." + name
		if !validToken(name) {
			return Invalid(f, "%q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~)", name)
		}
		if prev, ok := seen[strings.ToLower(name)]; ok {
			return Invalid(f, "duplicates header %s (header names are case-insensitive)", prev)
		}
		seen[strings.ToLower(name)] = name
		v := b.Headers[name]
		if strings.ContainsAny(v, "\r\n\x00") {
			return Invalid(f, "must not contain CR, LF or NUL")
		}
		if _, err := ctxvar.Parse(v, scope); err != nil {
			return Invalid(f, "%s", templateReason(err))
		}
	}
	if _, err := ctxvar.Parse(b.Body, scope); err != nil {
		return Invalid("backend.body", "%s", templateReason(err))
	}
	return nil
}

func templateReason(err error) string {
	if te, ok := err.(*ctxvar.Error); ok {
		return te.Reason
	}
	return err.Error()
}

// validToken reports whether s is an RFC 9110 token (a header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// validatePlugin checks a binding and asks the plugin registry about its type and config. It returns the binding
// normalised: default phase, compacted config (so that equal configs compare equal).
func validatePlugin(v PluginValidator, path, method string, p PluginBinding) (PluginBinding, *Error) {
	p.Type = strings.TrimSpace(p.Type)
	if p.Type == "" {
		return p, Invalid("type", "is required")
	}
	if p.Phase == "" {
		p.Phase = PhaseRequest
	}
	if p.Phase != PhaseRequest && p.Phase != PhaseResponse {
		return p, Invalid("phase", "%q is not a phase: use %q or %q", p.Phase, PhaseRequest, PhaseResponse)
	}
	cfg, e := compactObject("config", p.Config)
	if e != nil {
		return p, e
	}
	p.Config = cfg
	if v == nil {
		return p, Invalid("type", "unknown plugin type %q (no plugins are registered)", p.Type)
	}
	if err := v.ValidatePlugin(path, method, p.Type, p.Phase, p.Config); err != nil {
		if se, ok := AsError(err); ok {
			return p, se.WithField("config")
		}
		return p, Invalid("config", "%s", err.Error())
	}
	return p, nil
}

// compactObject checks that raw is empty or a JSON object and returns it compacted (nil when empty or null).
func compactObject(field string, raw json.RawMessage) (json.RawMessage, *Error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil, nil
	}
	if t[0] != '{' || !json.Valid(t) {
		return nil, Invalid(field, "must be a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, t); err != nil {
		return nil, Invalid(field, "must be a JSON object: %v", err)
	}
	return buf.Bytes(), nil
}

// compactJSON checks that raw is empty or valid JSON and returns it compacted.
func compactJSON(field string, raw json.RawMessage) (json.RawMessage, *Error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, t); err != nil {
		return nil, Invalid(field, "is not valid JSON: %v", err)
	}
	return buf.Bytes(), nil
}

var (
	stageNameRE = regexp.MustCompile(`^[a-z0-9]{0,30}$`)
	serviceIDRE = regexp.MustCompile(`^[a-z0-9]{4,16}$`)
)

// reservedStageName is what the CLI and URLs call the default stage, whose real name is "".
const reservedStageName = "default"

// stageKey maps the "default" alias to the default stage's name.
func stageKey(name string) string {
	if name == reservedStageName {
		return ""
	}
	return name
}

// stageLabel names a stage in messages.
func stageLabel(name string) string {
	if name == "" {
		return "(default)"
	}
	return strconv.Quote(name)
}

func checkStageName(name string) *Error {
	if name == reservedStageName {
		return Invalid("name", "the default stage has the empty name; %q is reserved as its alias", reservedStageName)
	}
	if !stageNameRE.MatchString(name) {
		return Invalid("name", "%q: use up to 30 lower-case letters and digits (empty for the default stage)", name)
	}
	return nil
}

// normalizeBackendURL checks a stage (or override) backend URL and trims its trailing slashes.
func normalizeBackendURL(field, raw string) (string, *Error) {
	if raw == "" {
		return "", Invalid(field, "is required, e.g. https://api.example.com or https://api.example.com/apis")
	}
	if len(raw) > maxURLLen {
		return "", Invalid(field, "is %d characters long; the limit is %d", len(raw), maxURLLen)
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f {
			return "", Invalid(field, "must not contain spaces or control characters")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", Invalid(field, "is not a URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", Invalid(field, "must start with http:// or https://")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return "", Invalid(field, "needs a host, e.g. https://api.example.com")
	case u.User != nil:
		return "", Invalid(field, "must not contain user information; send credentials with a request-header plugin")
	case u.RawQuery != "" || u.ForceQuery:
		return "", Invalid(field, "must not contain a query string")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "", Invalid(field, "must not contain a fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", Invalid(field, "port %q is out of range (1-65535)", p)
		}
	}
	// The method's backend path starts with "/", so a trailing slash here would double it.
	return strings.TrimRight(raw, "/"), nil
}

// validateSettings checks the shape of a settings tree; the contents of each setting are raw JSON that the data
// plane compiler validates at deploy time. Returns the tree with compacted JSON.
func validateSettings(s StageSettings) (StageSettings, *Error) {
	if len(s) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(StageSettings, len(s))
	for _, k := range keys {
		f := fmt.Sprintf("settings[%q]", k)
		if k != "/" {
			if _, e := parseResourcePath(f, k); e != nil {
				return nil, e
			}
		}
		ps := s[k]
		var e *Error
		if ps.Settings, e = validateNodeSettings(f, ps.Settings); e != nil {
			return nil, e
		}
		if len(ps.Methods) == 0 {
			ps.Methods = nil
		}
		methods := make([]string, 0, len(ps.Methods))
		for m := range ps.Methods {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		var ms map[string]Settings
		for _, m := range methods {
			mf := fmt.Sprintf("%s.methods[%q]", f, m)
			if !slices.Contains(HTTPMethods, m) {
				return nil, Invalid(mf, "%q is not a method: use one of %s (upper-case)", m, strings.Join(HTTPMethods, ", "))
			}
			ns, e := validateNodeSettings(mf, ps.Methods[m])
			if e != nil {
				return nil, e
			}
			if ms == nil {
				ms = make(map[string]Settings, len(methods))
			}
			ms[m] = ns
		}
		ps.Methods = ms
		out[k] = ps
	}
	return out, nil
}

func validateNodeSettings(f string, s Settings) (Settings, *Error) {
	var e *Error
	for _, slot := range []struct {
		name string
		v    *json.RawMessage
	}{{"ipAcl", &s.IPACL}, {"auth", &s.Auth}, {"rateLimit", &s.RateLimit}, {"apiKey", &s.APIKey},
		{"preCall", &s.PreCall}} {
		if *slot.v, e = compactJSON(f+"."+slot.name, *slot.v); e != nil {
			return s, e
		}
	}
	if s.BackendURL != "" {
		if s.BackendURL, e = normalizeBackendURL(f+".backendUrl", s.BackendURL); e != nil {
			return s, e
		}
	}
	return s, nil
}

// normalizeHost checks a custom domain's host name: a lower-case DNS name, not an IP address.
func normalizeHost(raw string) (string, *Error) {
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(raw)), ".")
	if h == "" {
		return "", Invalid("host", "is required, e.g. api.example.com")
	}
	if len(h) > 253 {
		return "", Invalid("host", "is %d characters long; a DNS name has at most 253", len(h))
	}
	if net.ParseIP(h) != nil {
		return "", Invalid("host", "%q is an IP address; a custom domain is a DNS name", raw)
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return "", Invalid("host", "%q: each dot-separated label has 1 to 63 characters", raw)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "", Invalid("host", "%q: a label must not start or end with '-'", raw)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", Invalid("host", "%q: use letters, digits, '-' and '.' only", raw)
			}
		}
	}
	return h, nil
}

// normalizeBasePath checks a custom domain's base path: "" or static segments such as /v1 ("/" means none).
func normalizeBasePath(p string) (string, *Error) {
	if p == "" || p == "/" {
		return "", nil
	}
	p = strings.TrimSuffix(p, "/")
	segs, e := parseResourcePath("basePath", p)
	if e != nil {
		return "", e
	}
	for _, s := range segs {
		if s.Kind != router.Static {
			return "", Invalid("basePath", "%q: a base path has no variables", p)
		}
	}
	return p, nil
}
