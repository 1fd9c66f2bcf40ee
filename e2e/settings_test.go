package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// settingsYAML is a service whose stage "test" carries the given settings tree (indented under "settings:").
func settingsYAML(backendURL, settings string) string {
	return `
services:
  - id: sett0001
    name: sett
    resources:
      /items:
        plugins:
          - type: cors
            config:
              allowOrigins: ["https://shop.example.com"]
              allowMethods: [GET, POST]
              allowHeaders: [content-type, authorization]
              exposeHeaders: [x-request-id]
              allowCredentials: true
              maxAge: 600
        methods:
          GET: { backend: { type: http, path: /items } }
      /items/{id}:
        methods:
          GET: { backend: { type: http, path: "/items/${request.path.id}" } }
    stages:
      - name: test
        backendUrl: "` + backendURL + `"
        settings:
` + settings
}

const settHost = "sett0001-test.localhost"

func TestIPACL(t *testing.T) {
	be := newBackend(t, "a")
	for _, tc := range []struct {
		name, acl string
		status    int
	}{
		{"allow list without the client", `{ mode: allow, addresses: [10.0.0.0/8] }`, 403},
		{"allow list with the client", `{ mode: allow, addresses: [10.0.0.0/8, 127.0.0.1] }`, 200},
		{"deny list with the client", `{ mode: deny, addresses: [127.0.0.0/8] }`, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := startNode(t, t.TempDir())
			c := clientOf(n)
			applyYAML(t, c, settingsYAML(be.URL, "          /:\n            ipAcl: "+tc.acl+"\n"))
			deploy(t, c, "sett", "test", "")
			r := call(t, n.GatewayAddrs()[0], settHost, "GET", "/items")
			expectStatus(t, r, tc.status)
			if tc.status == 403 {
				if code, _ := gatewayError(t, r); code != "ip_denied" {
					t.Fatalf("code %q", code)
				}
			}
		})
	}
}

// signHMAC builds the seed's Authorization header, independently of the plugin's code: SignToString is the
// method, the path with query, the date, then each listed header as lower-case-name:value, each line ending "\n".
func signHMAC(secret, method, pathQuery, date string, headers [][2]string) string {
	var sb strings.Builder
	sb.WriteString(method + "\n" + pathQuery + "\n" + date + "\n")
	names := make([]string, len(headers))
	for i, h := range headers {
		sb.WriteString(strings.ToLower(h[0]) + ":" + h[1] + "\n")
		names[i] = strings.ToLower(h[0])
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(sb.String()))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return `hmac algorithm="HmacSHA256", headers="` + strings.Join(names, ",") + `", signature="` + sig + `"`
}

func TestHMACAuth(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	t.Setenv("SETT_HMAC_SECRET", "s3cr3t")
	applyYAML(t, c, settingsYAML(be.URL, `          /:
            auth: { type: hmac, secret: s3cr3t, validitySeconds: 300, requiredHeaders: [x-nhn-client-id] }
`))
	deploy(t, c, "sett", "test", "")
	gw := n.GatewayAddrs()[0]
	now := time.Now().UTC().Format("2006-01-02T15:04:05Z")
	good := signHMAC("s3cr3t", "GET", "/items/9?x=1", now, [][2]string{{"x-nhn-client-id", "nhn"}})

	r := call(t, gw, settHost, "GET", "/items/9?x=1", "Authorization", good, "x-nhn-date", now, "x-nhn-client-id", "nhn")
	expectStatus(t, r, 200)

	old := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04:05Z")
	for _, tc := range []struct {
		name string
		hdr  []string
		code string
	}{
		{"no authorization", []string{"x-nhn-date", now}, "hmac_missing"},
		{"wrong secret", []string{"Authorization", signHMAC("other", "GET", "/items/9?x=1", now, [][2]string{{"x-nhn-client-id", "nhn"}}), "x-nhn-date", now, "x-nhn-client-id", "nhn"}, "hmac_signature"},
		{"replay outside the window", []string{"Authorization", signHMAC("s3cr3t", "GET", "/items/9?x=1", old, [][2]string{{"x-nhn-client-id", "nhn"}}), "x-nhn-date", old, "x-nhn-client-id", "nhn"}, "hmac_expired"},
		{"required header not signed", []string{"Authorization", signHMAC("s3cr3t", "GET", "/items/9?x=1", now, nil), "x-nhn-date", now, "x-nhn-client-id", "nhn"}, "hmac_required_header"},
	} {
		r := call(t, gw, settHost, "GET", "/items/9?x=1", tc.hdr...)
		expectStatus(t, r, 401)
		if code, _ := gatewayError(t, r); code != tc.code {
			t.Errorf("%s: code %q, want %q", tc.name, code, tc.code)
		}
	}
}

func TestJWTAuthAndRateLimit(t *testing.T) {
	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	applyYAML(t, c, settingsYAML(be.URL, `          /:
            auth:
              type: jwt
              algorithm: HS256
              secret: a-secret-of-at-least-32-bytes-long!!
              leewaySeconds: 0
              claims:
                - { name: iss, type: string, values: ["https://id.example.com"], required: true, verifyValue: true }
            rateLimit: { rps: 100, key: { type: ip } }
          /items/{id}:
            methods:
              GET:
                rateLimit: { rps: 1, key: { type: pathVariable, name: id } }
`))
	deploy(t, c, "sett", "test", "")
	gw := n.GatewayAddrs()[0]
	sign := func(claims jwt.MapClaims, method jwt.SigningMethod, key any) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	secret := []byte("a-secret-of-at-least-32-bytes-long!!")
	good := sign(jwt.MapClaims{"iss": "https://id.example.com", "exp": time.Now().Add(time.Hour).Unix()}, jwt.SigningMethodHS256, secret)

	expectStatus(t, call(t, gw, settHost, "GET", "/items", "Authorization", "Bearer "+good), 200)
	for _, tc := range []struct {
		name, token, code string
	}{
		{"missing", "", "jwt_missing"},
		{"alg none", sign(jwt.MapClaims{"iss": "https://id.example.com"}, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType), "jwt_invalid"},
		{"expired", sign(jwt.MapClaims{"iss": "https://id.example.com", "exp": time.Now().Add(-time.Minute).Unix()}, jwt.SigningMethodHS256, secret), "jwt_expired"},
		{"wrong issuer", sign(jwt.MapClaims{"iss": "https://evil.example.com", "exp": time.Now().Add(time.Hour).Unix()}, jwt.SigningMethodHS256, secret), "jwt_claim"},
	} {
		var hdr []string
		if tc.token != "" {
			hdr = []string{"Authorization", "Bearer " + tc.token}
		}
		r := call(t, gw, settHost, "GET", "/items", hdr...)
		expectStatus(t, r, 401)
		if code, _ := gatewayError(t, r); code != tc.code {
			t.Errorf("%s: code %q, want %q", tc.name, code, tc.code)
		}
	}

	// The method's rate limit (1 rps per path variable) overrides the root's 100 rps.
	statuses := []int{}
	for i := 0; i < 3; i++ {
		r := call(t, gw, settHost, "GET", "/items/42", "Authorization", "Bearer "+good)
		statuses = append(statuses, r.Status)
		if r.Status == 429 && r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	if statuses[0] != 200 || statuses[2] != 429 {
		t.Fatalf("statuses %v, want 200 first and 429 by the third", statuses)
	}
	// Another value of the path variable has its own bucket.
	expectStatus(t, call(t, gw, settHost, "GET", "/items/43", "Authorization", "Bearer "+good), 200)
}

func TestPreCallAndCORS(t *testing.T) {
	be := newBackend(t, "a")
	pre := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Allow") == "yes" {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"denied":"by pre-call"}`))
	}))
	defer pre.Close()
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	applyYAML(t, c, settingsYAML(be.URL, `          /items:
            preCall: { method: GET, url: "`+pre.URL+`/check", cacheSeconds: 30 }
`))
	deploy(t, c, "sett", "test", "")
	gw := n.GatewayAddrs()[0]

	expectStatus(t, call(t, gw, settHost, "GET", "/items", "X-Allow", "yes"), 200)
	r := call(t, gw, settHost, "GET", "/items")
	expectStatus(t, r, 401)
	if r.Body != `{"denied":"by pre-call"}` {
		t.Fatalf("pre-call answer not relayed: %q", r.Body)
	}
	// /items/{id} is below /items: the path's pre-call applies there too.
	expectStatus(t, call(t, gw, settHost, "GET", "/items/1"), 401)

	// CORS: the preflight is answered by the plugin's own OPTIONS method, without pre-call or backend.
	before := be.count()
	r = call(t, gw, settHost, "OPTIONS", "/items", "Origin", "https://shop.example.com",
		"Access-Control-Request-Method", "POST")
	expectStatus(t, r, 204)
	if r.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" ||
		r.Header.Get("Access-Control-Allow-Credentials") != "true" || r.Header.Get("Access-Control-Max-Age") != "600" {
		t.Fatalf("preflight headers %v", r.Header)
	}
	if be.count() != before {
		t.Fatal("a preflight reached the backend")
	}
	expectStatus(t, call(t, gw, settHost, "OPTIONS", "/items", "Origin", "https://evil.example.com",
		"Access-Control-Request-Method", "POST"), 403)
	r = call(t, gw, settHost, "GET", "/items", "Origin", "https://shop.example.com", "X-Allow", "yes")
	expectStatus(t, r, 200)
	if r.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" || r.Header.Get("Access-Control-Expose-Headers") == "" {
		t.Fatalf("CORS headers on a normal response: %v", r.Header)
	}
}
