// Command benchtool writes the inputs bench/run.sh needs: an RSA key pair with a long-lived RS256 JWT, the Portico
// configuration files of every scenario, and a wrk Lua script spreading requests over 1 000 routes.
//
//	benchtool -out DIR -backend 127.0.0.1:18000
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// APIKey is the API key the full-chain scenario sends (printed to DIR/apikey).
const APIKey = "bench-key-0123456789abcdef0123456789"

func main() {
	out := flag.String("out", ".", "output directory")
	backend := flag.String("backend", "127.0.0.1:18000", "backend address")
	routes := flag.Int("routes", 1000, "routes of the many-routes scenario")
	flag.Parse()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	check(err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	check(err)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	token, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": "https://id.example.com",
		"sub": "bench", "exp": time.Now().Add(24 * time.Hour).Unix()}).SignedString(key)
	check(err)
	write(*out, "token", token)
	write(*out, "apikey", APIKey)

	be := "http://" + *backend
	// Every service proxies everything (`/{proxy+}`, ANY) like the peers' `location /`: the backend sees the path as
	// sent. Service IDs are fixed so the stage hosts are known: {id}.localhost.
	proxyRoute := `      /{proxy+}:
        methods:
          ANY: { backend: { type: http, path: "/${request.path.proxy+}" } }
`
	var b strings.Builder
	fmt.Fprintf(&b, "services:\n")
	// bare: one route, no plugins.
	fmt.Fprintf(&b, "  - id: benchbare\n    name: bench-bare\n    resources:\n%s    stages:\n      - { name: \"\", backendUrl: %q }\n", proxyRoute, be)
	// full chain: API key + JWT RS256 + rate limit + CORS + two header plugins.
	indented := "                " + strings.ReplaceAll(strings.TrimSpace(pubPEM), "\n", "\n                ")
	fmt.Fprintf(&b, `  - id: benchfull
    name: bench-full
    resources:
      /{proxy+}:
        plugins:
          - type: cors
            config: { allowOrigins: ["https://shop.example.com"], allowMethods: [GET] }
          - type: request-header
            config: { set: { x-client-ip: "${request.clientIp}" } }
          - type: response-header
            phase: response
            config: { set: { cache-control: no-store } }
        methods:
          ANY: { backend: { type: http, path: "/${request.path.proxy+}" } }
    stages:
      - name: ""
        backendUrl: %q
        settings:
          /:
            apiKey: true
            auth:
              type: jwt
              algorithm: RS256
              publicKeyPem: |
%s
            rateLimit: { rps: 100000, burst: 100000, key: { type: ip } }
`, be, indented)
	// one WASM plugin (Go add-header).
	fmt.Fprintf(&b, `  - id: benchwasm
    name: bench-wasm
    resources:
      /{proxy+}:
        plugins:
          - type: wasm
            config: { module: add-header, config: { header: x-from-wasm, value: "yes" } }
        methods:
          ANY: { backend: { type: http, path: "/${request.path.proxy+}" } }
    stages:
      - { name: "", backendUrl: %q }
`, be)
	// many routes: /rNNNN/{proxy+}, the same per-route work as bare, only the table is larger. Each route has its own
	// backend path template, as routes of a real API do, and the backend sees the same paths as in the one-route
	// baseline (which forwards "/rNNNN/items/N" as it is).
	fmt.Fprintf(&b, "  - id: benchroutes\n    name: bench-routes\n    resources:\n")
	for i := 0; i < *routes; i++ {
		fmt.Fprintf(&b, "      /r%04d/{proxy+}:\n        methods:\n          ANY: { backend: { type: http, path: \"/r%04d/${request.path.proxy+}\" } }\n", i, i)
	}
	fmt.Fprintf(&b, "    stages:\n      - { name: \"\", backendUrl: %q }\n", be)
	// deploy under load: a separate service redeployed every second.
	fmt.Fprintf(&b, "  - id: benchdeploy\n    name: bench-deploy\n    resources:\n%s    stages:\n      - { name: \"\", backendUrl: %q }\n", proxyRoute, be)
	fmt.Fprintf(&b, `apiKeys:
  - { name: bench, status: ACTIVE, primaryKey: %q }
usagePlans:
  - name: bench-unlimited
    quota: { period: NONE }
    stages:
      - { service: bench-full, stage: "", apiKeys: [bench] }
`, APIKey)
	write(*out, "portico.yaml", b.String())

	// wrk script: requests spread round-robin over the routes, prebuilt in init so the script costs wrk little.
	// With "/r%04d/items/1" paths against the bare stage it is the one-route baseline with the same client cost.
	write(*out, "spread.lua", fmt.Sprintf(`local reqs = {}
local n = %d
local i = 0
function init(args)
  local prefix = args[1] or "/r"
  for k = 0, n - 1 do
    reqs[k] = wrk.format("GET", string.format("%%s%%04d/items/%%d", prefix, k, k))
  end
  i = math.random(0, n - 1)
end
function request()
  i = (i + 1) %% n
  return reqs[i]
end
`, *routes))
}

func write(dir, name, s string) {
	check(os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
