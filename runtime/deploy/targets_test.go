package deploy

import (
	"testing"

	"github.com/portico-gateway/portico/runtime/proxy"
)

func TestTargetCache(t *testing.T) {
	tc, tr := targetCache{}, proxy.NewTransport(proxy.Options{})
	get := func(u string) *proxy.Target {
		t.Helper()
		tg, err := tc.get(tr, u)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	a, b, c := get("http://127.0.0.1:9000/api"), get("http://127.0.0.1:9000/api"), get("http://127.0.0.1:9000/v2")
	if a != b {
		t.Error("two routes on one backend URL got two targets")
	}
	if a == c || string(c.BasePath()) != "/v2" {
		t.Errorf("another base path shares the target (base path %q)", c.BasePath())
	}
	if _, err := tc.get(tr, "ftp://x"); err == nil {
		t.Error("bad URL accepted")
	}
}
