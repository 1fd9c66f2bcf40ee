package cors

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Config is the plugin's JSON config (a public contract: see contract/portico.example.yaml).
type Config struct {
	// AllowOrigins are the origins allowed to read responses: "scheme://host[:port]" each, or ["*"] for any
	// origin (then without credentials).
	AllowOrigins []string `json:"allowOrigins"`
	// AllowMethods are the methods a preflight may ask for; ["*"] allows any. Empty: GET, HEAD and POST.
	AllowMethods []string `json:"allowMethods,omitempty"`
	// AllowHeaders are the request headers a preflight may ask for; ["*"] allows any (the requested list is
	// echoed). Empty: only the CORS-safelisted headers.
	AllowHeaders []string `json:"allowHeaders,omitempty"`
	// ExposeHeaders are the response headers a browser script may read beyond the safelisted ones.
	ExposeHeaders []string `json:"exposeHeaders,omitempty"`
	// AllowCredentials lets requests with cookies or HTTP authentication read responses.
	AllowCredentials bool `json:"allowCredentials,omitempty"`
	// MaxAge is how long a browser may cache a preflight answer, in seconds, -1..86400; -1 or 0: not cached.
	// Absent: no Access-Control-Max-Age header (the browser's default, 5 s).
	MaxAge *int `json:"maxAge,omitempty"`
}

// Limits on a config.
const (
	maxEntries = 100 // per list
	maxMaxAge  = 86400
)

// parse decodes and checks a config and compiles the header values it answers with. Errors name the field.
func parse(raw json.RawMessage) (*Plugin, error) {
	var cfg Config
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("config: %w (fields: allowOrigins, allowMethods, allowHeaders, exposeHeaders, "+
			"allowCredentials, maxAge)", err)
	}
	for _, l := range []struct {
		field string
		list  []string
	}{{"allowOrigins", cfg.AllowOrigins}, {"allowMethods", cfg.AllowMethods}, {"allowHeaders", cfg.AllowHeaders},
		{"exposeHeaders", cfg.ExposeHeaders}} {
		if len(l.list) > maxEntries {
			return nil, fmt.Errorf("%s: at most %d entries", l.field, maxEntries)
		}
	}
	p := &Plugin{credentials: cfg.AllowCredentials}

	if len(cfg.AllowOrigins) == 0 {
		return nil, fmt.Errorf(`allowOrigins: give at least one origin such as "https://app.example.com", or "*"`)
	}
	for i, o := range cfg.AllowOrigins {
		if o == "*" {
			if len(cfg.AllowOrigins) > 1 {
				return nil, fmt.Errorf(`allowOrigins[%d]: "*" allows every origin and must be the only entry`, i)
			}
			// The Fetch standard ignores "Access-Control-Allow-Origin: *" on credentialed requests, so the
			// combination could never work; refusing it at save time beats a browser error nobody can explain.
			if cfg.AllowCredentials {
				return nil, fmt.Errorf(`allowOrigins: "*" cannot be combined with allowCredentials (browsers ` +
					`refuse credentials for a wildcard origin): list the origins, or set allowCredentials to false`)
			}
			p.anyOrigin = true
			continue
		}
		norm, err := normalizeOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("allowOrigins[%d]: %w", i, err)
		}
		for _, seen := range p.origins {
			if string(seen) == norm {
				return nil, fmt.Errorf("allowOrigins[%d]: %q is listed twice", i, o)
			}
		}
		p.origins = append(p.origins, []byte(norm))
	}

	methods, anyMethod, err := tokenList("allowMethods", cfg.AllowMethods, true)
	if err != nil {
		return nil, err
	}
	if len(cfg.AllowMethods) == 0 {
		methods = []string{"GET", "HEAD", "POST"}
	}
	p.anyMethod = anyMethod
	for _, m := range methods {
		p.methods = append(p.methods, []byte(m))
	}
	p.allowMethods = []byte(strings.Join(methods, ", "))

	headers, anyHeader, err := tokenList("allowHeaders", cfg.AllowHeaders, false)
	if err != nil {
		return nil, err
	}
	p.echoHeaders = anyHeader
	p.allowHeaders = []byte(strings.Join(headers, ", "))

	expose, anyExpose, err := tokenList("exposeHeaders", cfg.ExposeHeaders, false)
	if err != nil {
		return nil, err
	}
	if anyExpose {
		// "*" is a wildcard only for requests without credentials; with them a browser reads it as a header
		// literally named "*". The operator would see headers silently hidden, so say it now.
		if cfg.AllowCredentials {
			return nil, fmt.Errorf(`exposeHeaders: "*" cannot be combined with allowCredentials: list the headers`)
		}
		expose = []string{"*"}
	}
	p.exposeHeaders = []byte(strings.Join(expose, ", "))

	if cfg.MaxAge != nil {
		age := *cfg.MaxAge
		if age < -1 || age > maxMaxAge {
			return nil, fmt.Errorf("maxAge: must be between -1 and %d seconds", maxMaxAge)
		}
		// -1 is the console's "do not cache". A negative delta-seconds is not valid HTTP, and browsers treat 0
		// as "do not cache", so -1 is sent as 0.
		p.maxAge = []byte(strconv.Itoa(max(age, 0)))
	}
	return p, nil
}

// normalizeOrigin checks an origin ("scheme://host[:port]") and returns it the way browsers serialize the Origin
// header: scheme and host in lower case, no default port, no trailing slash.
func normalizeOrigin(o string) (string, error) {
	const form = `an origin is "scheme://host[:port]", e.g. "https://app.example.com:8443"`
	u, err := url.Parse(o)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not an origin: %s", o, form)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("%q has more than scheme, host and port: %s", o, form)
	}
	if strings.ContainsAny(u.Host, "*") {
		return "", fmt.Errorf("%q: wildcards inside an origin are not supported; list each origin, or use \"*\" alone", o)
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("%q: port must be 1-65535", o)
		}
		if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
			port = ""
		}
	}
	if strings.HasPrefix(u.Host, "[") {
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "", fmt.Errorf("%q: %q is not an IPv6 address", o, host)
		}
		host = "[" + host + "]"
	} else if !validHost(host) {
		// Browsers send the ASCII (punycode) form of a name in Origin: "xn--…", never raw Unicode.
		return "", fmt.Errorf("%q: the host may have only letters, digits, '.', '-' and '_' (punycode for "+
			"international names), or be an IPv6 address in brackets", o)
	}
	if port != "" {
		return scheme + "://" + host + ":" + port, nil
	}
	return scheme + "://" + host, nil
}

func validHost(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// tokenList checks a list of methods or header names. A lone "*" reports any=true; "*" mixed with names is an
// error. Methods are upper-cased and header names lower-cased; duplicates are an error.
func tokenList(field string, list []string, methods bool) (out []string, any bool, err error) {
	for i, s := range list {
		if s == "*" {
			if len(list) > 1 {
				return nil, false, fmt.Errorf(`%s[%d]: "*" must be the only entry`, field, i)
			}
			return nil, true, nil
		}
		if !validToken(s) {
			return nil, false, fmt.Errorf("%s[%d]: %q is not a valid %s", field, i, s, map[bool]string{
				true: "method", false: "header name"}[methods])
		}
		if methods {
			// Portico's methods are upper case (GET, PATCH, …): "get" in a config means GET.
			s = strings.ToUpper(s)
		} else {
			s = strings.ToLower(s)
		}
		for _, seen := range out {
			if seen == s {
				return nil, false, fmt.Errorf("%s[%d]: %q is listed twice", field, i, s)
			}
		}
		out = append(out, s)
	}
	return out, false, nil
}

// validToken reports whether s is an RFC 9110 token (what methods and header names are made of).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
