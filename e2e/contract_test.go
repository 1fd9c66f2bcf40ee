package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/portico-gateway/portico/config"
)

// TestContractFileAppliesAsItIs applies shared/contract/portico.example.yaml — the public contract of the
// configuration format — unchanged, deploys its stages and calls them.
func TestContractFileAppliesAsItIs(t *testing.T) {
	contract, err := filepath.Abs("../../shared/contract/portico.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(contract); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI checks out shared/ beside the repository: %v", err) // the contract must be tested there
		}
		t.Skip("the shared contract file is not beside this checkout")
	}
	// The file names its module relative to the repository root and two secrets by environment variable.
	wasm := filepath.Join("..", "examples", "plugins", "go", "add-header", "add-header.wasm")
	if err := os.WriteFile(wasm, goExample(t, "add-header"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SHOP_HMAC_SECRET", "contract-secret")
	t.Setenv("PARTNER_A_KEY", "partner-a-contract-key-0123456789")
	t.Chdir("..") // portico apply runs from the repository root
	doc, err := config.ParseFile(contract)
	if err != nil {
		t.Fatalf("the contract file does not parse: %v", err)
	}

	be := newBackend(t, "a")
	n := startNode(t, t.TempDir())
	c := clientOf(n)
	var res config.Result
	if err := c.Do(context.Background(), http.MethodPost, "/v1/apply", doc, &res); err != nil {
		t.Fatalf("the contract file does not apply: %v", err)
	}
	for _, stage := range []string{"default", "test", "hmac"} {
		deploy(t, c, "shop", stage, "contract")
	}
	// The stages call 127.0.0.1:9000; point the default stage at the test backend to see requests arrive.
	applyYAMLPatchBackend(t, c, be.URL)
	deploy(t, c, "shop", "default", "backend")
	gw := n.GatewayAddrs()[0]
	r := call(t, gw, "shop0001.localhost", "GET", "/hello")
	expectStatus(t, r, 200)
	expectContains(t, r.Body, "hello 127.0.0.1")
	expectStatus(t, call(t, gw, "shop0001.localhost", "GET", "/edge"), 200)
	if be.last(t).Header.Get("X-From-Wasm") != "yes" {
		t.Fatalf("the wasm plugin did not run: %v", be.last(t).Header)
	}
	// The test stage requires a JWT (its JWKS server is not running): refused, not served unchecked.
	expectStatus(t, call(t, gw, "shop0001-test.localhost", "GET", "/hello"), 401)
}

// applyYAMLPatchBackend changes only the default stage's backend URL of the contract's shop service.
func applyYAMLPatchBackend(t *testing.T, c interface {
	Do(ctx context.Context, method, path string, in, out any) error
}, url string) {
	t.Helper()
	if err := c.Do(context.Background(), http.MethodPatch, "/v1/services/shop/stages/default",
		map[string]any{"backendUrl": url}, nil); err != nil {
		t.Fatal(err)
	}
}
